/* Generated from docs/events.schema.json (derived from shared-types) by `make schema`: do not edit. */

/**
 * One analytics event: a question arrived, or an answer was produced.
 */
export type AnalyticsEvent = QueryEvent | ResponseEvent;
/**
 * Raw request headers; `null` reads as `{}`.
 */
export type QueryMetadata = {
  referer?: string | null;
  userAgent?: string | null;
} | null;
/**
 * How well the CV matched the question.
 */
export type MatchType = "full" | "partial" | "none";
/**
 * What the retrieval found; `null` reads as `{}`.
 */
export type ResponseMetadata = {
  /**
   * The best similarity, from 0 to 1 (and a number DynamoDB stores).
   */
  matchQuality?: number | null;
  /**
   * The CV sections the answer used (the chatbot sends at most 5).
   *
   * @maxItems 20
   */
  sourcesUsed?: string[];
} | null;
/**
 * Not sent today; used when present.
 */
export type Performance = {
  cacheHit?: boolean | null;
  llmTime?: number | null;
  retrievalTime?: number | null;
  totalTime?: number | null;
} | null;

/**
 * A question arrived.
 */
export interface QueryEvent {
  eventType: "query";
  metadata?: QueryMetadata;
  /**
   * The question after sanitising (the chatbot sends 10 to 200 characters).
   */
  query: string;
  /**
   * A UUID v4, shared with the response.
   */
  requestId: string;
  /**
   * The session header's value, else `anonymous`.
   */
  sessionId?: string | null;
  /**
   * Epoch milliseconds when the event was built.
   */
  timestamp: number;
}
/**
 * An answer was produced for a question.
 */
export interface ResponseEvent {
  eventType: "response";
  /**
   * An integer from 0 to 100.
   */
  matchScore: number;
  matchType: MatchType;
  metadata?: ResponseMetadata;
  performance?: Performance;
  /**
   * Text made by code, such as `Excellent match: "C#" with 0.91 similarity`.
   */
  reasoning: string;
  /**
   * The query's `requestId`.
   */
  requestId: string;
  /**
   * As in the query.
   */
  sessionId?: string | null;
  /**
   * Epoch milliseconds when the event was built.
   */
  timestamp: number;
  /**
   * How many CV passages the retrieval returned (the chatbot sends at most 5).
   */
  vectorMatches?: number | null;
}

/** The schema's limits: the body's bytes (UTF-8); the fields' characters (code points) or items. */
export const LIMITS = {
  body: 16384,
  query: 1000,
  sessionId: 256,
  userAgent: 2048,
  referer: 2048,
  reasoning: 2000,
  sources: 20,
  source: 200,
} as const;

/** What a question must hold (the schema's pattern): a character that is not white space, as the processor counts it. */
export const QUESTION_PATTERN = new RegExp("[^\\t\\n\\v\\f\\r \\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]");
