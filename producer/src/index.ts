// What the chatbot's Worker imports to send its analytics events to the cv-analytics queue.
//
// `logQuery` and `logResponse` build an event from typed inputs (the types are generated from
// docs/events.schema.json, which shared-types derives: they cannot drift from what the processor
// accepts), sign one SQS `SendMessage` with the stack's send-only credential (aws4fetch), and
// hand the send to `ctx.waitUntil`, so that it outlives the response. Each attempt has a short
// timeout; one retry follows a timeout, a network error, a throttle or a server error, with the
// same deduplication id, so that SQS keeps one copy if both arrive. Strings are made well formed
// and cut to the schema's limits, and the body to the processor's 16 KB (a header is the
// visitor's to make long), so that the processor does not refuse an event for them. Nothing here
// ever throws into the chatbot's answer: a failure is logged, and the answer goes out as it
// would have.

import { AwsClient } from "aws4fetch";

import { LIMITS, QUESTION_PATTERN, type QueryEvent, type ResponseEvent } from "./events.js";

export { LIMITS } from "./events.js";
export type { AnalyticsEvent, MatchType, QueryEvent, ResponseEvent } from "./events.js";

/** The Worker's settings (`wrangler secret put` for the two keys). */
export interface AnalyticsEnv {
  /** The stack's `QueueUrl` output. */
  ANALYTICS_QUEUE_URL?: string;
  /** An access key of a user holding only the stack's `ProducerPolicyArn` (`sqs:SendMessage`). */
  ANALYTICS_ACCESS_KEY_ID?: string;
  ANALYTICS_SECRET_ACCESS_KEY?: string;
  /** Only when the queue URL does not name it (`https://sqs.<region>.amazonaws.com/...`). */
  ANALYTICS_REGION?: string;
  /** Only for a local emulator: where to send instead of the queue URL's host. */
  ANALYTICS_ENDPOINT?: string;
}

/** The part of the Worker's `ExecutionContext` the producer uses. */
export interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}

/** What a question's event is built from: the event, less what the producer fills in. */
export type QueryInput = Omit<QueryEvent, "eventType" | "timestamp"> & { timestamp?: number };

/** What an answer's event is built from: the event, less what the producer fills in. */
export type ResponseInput = Omit<ResponseEvent, "eventType" | "timestamp"> & { timestamp?: number };

export interface SendOptions {
  /** Each attempt's limit, in milliseconds (default 2,000; SQS answers in tens). */
  timeoutMs?: number;
  /** Where a failure is reported (default `console.error`). */
  log?: (line: string) => void;
}

/** The session the chatbot sends when a request carries no session header. */
export const ANONYMOUS_SESSION = "anonymous";
const DEFAULT_TIMEOUT_MS = 2_000;
const RETRY_DELAY_MS = 100;

/** Sends the query event of a question that just arrived. Never throws. */
export function logQuery(
  env: AnalyticsEnv,
  ctx: WaitUntil,
  input: QueryInput,
  options: SendOptions = {},
): void {
  keepAlive(ctx, options, "query", input, (report) => {
    const metadata = input.metadata ?? {};
    const event: QueryEvent = {
      ...input,
      eventType: "query",
      timestamp: input.timestamp ?? Date.now(),
      sessionId: session(input.sessionId),
      query: cut(input.query, LIMITS.query),
      metadata: {
        ...metadata,
        ...(metadata.userAgent != null && { userAgent: cut(metadata.userAgent, LIMITS.userAgent) }),
        ...(metadata.referer != null && { referer: cut(metadata.referer, LIMITS.referer) }),
      },
    };
    // The processor refuses a question of white space alone (an empty one, or one whose first
    // 1,000 characters are all white space): sent, it would end in the dead-letter queue.
    if (!QUESTION_PATTERN.test(event.query)) {
      throw new SendError("the question is empty or white space alone, which the processor refuses", false);
    }
    // Each header within its limit can still make a body the processor refuses (2,048 emoji
    // are 8 KB): the referer goes first, then the user agent.
    const body = within(event, report, [
      ["metadata.referer", (e) => (e.metadata?.referer == null ? undefined : { ...e, metadata: { ...e.metadata, referer: null } })],
      ["metadata.userAgent", (e) => (e.metadata?.userAgent == null ? undefined : { ...e, metadata: { ...e.metadata, userAgent: null } })],
    ]);
    return send(env, event, body, options);
  });
}

/** Sends the response event of an answer the chatbot produced. Never throws. */
export function logResponse(
  env: AnalyticsEnv,
  ctx: WaitUntil,
  input: ResponseInput,
  options: SendOptions = {},
): void {
  keepAlive(ctx, options, "response", input, (report) => {
    const metadata = input.metadata ?? {};
    const event: ResponseEvent = {
      ...input,
      eventType: "response",
      timestamp: input.timestamp ?? Date.now(),
      sessionId: session(input.sessionId),
      reasoning: cut(input.reasoning, LIMITS.reasoning),
      metadata: {
        ...metadata,
        sourcesUsed: (metadata.sourcesUsed ?? []).slice(0, LIMITS.sources).map((s) => cut(s, LIMITS.source)),
      },
    };
    // Twenty sources of 200 emoji are 16 KB alone: the last ones go, one at a time.
    const body = within(event, report, [
      ["metadata.sourcesUsed", (e) => {
        const sources = e.metadata?.sourcesUsed ?? [];
        return sources.length === 0 ? undefined : { ...e, metadata: { ...e.metadata, sourcesUsed: sources.slice(0, -1) } };
      }],
    ]);
    return send(env, event, body, options);
  });
}

/**
 * The `MessageGroupId` of an event, as docs/events.md prescribes: its session, or its request id
 * when it has none, the anonymous one, or one SQS would refuse as a group id (over 128 characters,
 * or characters other than letters, digits and punctuation). Every copy of an event has the same.
 */
export function messageGroup(event: QueryEvent | ResponseEvent): string {
  const session = event.sessionId;
  return session && session !== ANONYMOUS_SESSION && validGroupId(session)
    ? session
    : event.requestId;
}

/** The `MessageDeduplicationId` of an event: `<requestId>-<eventType>-<timestamp>`. */
export function deduplicationId(event: QueryEvent | ResponseEvent): string {
  return `${event.requestId}-${event.eventType}-${event.timestamp}`;
}

/** The session header's value, well formed and within its limit, or the anonymous one. */
function session(id: string | null | undefined): string {
  return id ? cut(id, LIMITS.sessionId) : ANONYMOUS_SESSION;
}

/**
 * `text` well formed (a lone surrogate, say from a question cut in the middle of an emoji,
 * becomes U+FFFD instead of a body the processor cannot read) and at most `max` characters
 * (code points, as the schema and the processor count them).
 */
function cut(text: string, max: number): string {
  const whole = text.replace(LONE_SURROGATE, "\uFFFD");
  if (whole.length <= max) {
    return whole;
  }
  const points = Array.from(whole);
  return points.length <= max ? whole : points.slice(0, max).join("");
}

/**
 * Half of a surrogate pair without its other half: what `String.prototype.toWellFormed` replaces,
 * spelled out because that is ES2024 and the Workers' TypeScript template declares ES2021.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** What SQS takes as a group id: 1 to 128 of letters, digits and ASCII punctuation. */
function validGroupId(id: string): boolean {
  return /^[\x21-\x7e]{1,128}$/.test(id);
}

/** One JSON log line about the event being sent. */
type Report = (level: "warn" | "error", message: string, detail: Record<string, unknown>) => void;

/**
 * Runs `sending` after the caller's turn, kept alive by `ctx.waitUntil`, with every failure
 * logged: nothing in here reaches the caller, even from a caller in plain JavaScript that passes
 * `null` for `input` or `options`.
 */
function keepAlive(
  ctx: WaitUntil,
  options: SendOptions | null | undefined,
  eventType: string,
  input: { requestId?: unknown } | null | undefined,
  sending: (report: Report) => Promise<void>,
): void {
  const report: Report = (level, message, detail) => {
    try {
      const log = options?.log ?? ((line: string) => console.error(line));
      log(JSON.stringify({ level, message, eventType, requestId: input?.requestId, ...detail }));
    } catch {
      // A log that fails has nowhere to go; the answer must still go out.
    }
  };
  const sent = Promise.resolve()
    .then(() => sending(report))
    .catch((error: unknown) => report("error", "cv-analytics: event not sent", { reason: explain(error) }));
  try {
    ctx.waitUntil(sent);
  } catch (error) {
    // The send goes on, but nothing keeps it alive after the response.
    report("error", "cv-analytics: event send not kept alive", { reason: explain(error) });
  }
}

/**
 * The message body of `event` within the processor's limit (`LIMITS.body` bytes of UTF-8): as
 * it is, or with what `shrinks` take away, each applied while the body is over and it has
 * something left to take (a warning says what went).
 */
function within<T extends QueryEvent | ResponseEvent>(
  event: T,
  report: Report,
  shrinks: [string, (event: T) => T | undefined][],
): string {
  const bytes = (text: string) => new TextEncoder().encode(text).length;
  let current = event;
  let body = JSON.stringify(current);
  const dropped = new Set<string>();
  for (const [field, shrink] of shrinks) {
    for (let next = shrink(current); next && bytes(body) > LIMITS.body; next = shrink(current)) {
      current = next;
      body = JSON.stringify(current);
      dropped.add(field);
    }
  }
  if (bytes(body) > LIMITS.body) {
    throw new SendError(`the event is ${bytes(body)} bytes, over the processor's ${LIMITS.body}`, false);
  }
  if (dropped.size > 0) {
    report("warn", `cv-analytics: event cut to the processor's ${LIMITS.body} bytes`, { dropped: [...dropped] });
  }
  return body;
}

class SendError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

async function send(
  env: AnalyticsEnv,
  event: QueryEvent | ResponseEvent,
  messageBody: string,
  options: SendOptions | null | undefined,
): Promise<void> {
  const queueUrl = setting(env, "ANALYTICS_QUEUE_URL");
  const origin = url(queueUrl, "ANALYTICS_QUEUE_URL");
  const endpoint = env.ANALYTICS_ENDPOINT ? url(env.ANALYTICS_ENDPOINT, "ANALYTICS_ENDPOINT").href : origin.origin;
  const region = env.ANALYTICS_REGION || queueRegion(queueUrl);
  if (!region) {
    throw new SendError(
      `ANALYTICS_REGION is not set and the queue URL ${queueUrl} does not name a region`,
      false,
    );
  }
  // No retries of aws4fetch's own (it would retry ten times): one, below, for every failure.
  const client = new AwsClient({
    accessKeyId: setting(env, "ANALYTICS_ACCESS_KEY_ID"),
    secretAccessKey: setting(env, "ANALYTICS_SECRET_ACCESS_KEY"),
    service: "sqs",
    region,
    retries: 0,
  });
  const body = JSON.stringify({
    QueueUrl: queueUrl,
    MessageBody: messageBody,
    MessageGroupId: messageGroup(event),
    MessageDeduplicationId: deduplicationId(event),
  });
  const timeoutMs = options?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  try {
    await attempt(client, endpoint, body, timeoutMs);
  } catch (first) {
    if (first instanceof SendError && !first.retryable) {
      throw first;
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
    try {
      await attempt(client, endpoint, body, timeoutMs);
    } catch (second) {
      throw new SendError(`${explain(first)}; then, once more: ${explain(second)}`, false);
    }
  }
}

/** One signed `SendMessage` (SQS's JSON protocol) within `timeoutMs`. */
async function attempt(
  client: AwsClient,
  endpoint: string,
  body: string,
  timeoutMs: number,
): Promise<void> {
  let response: Response;
  try {
    response = await client.fetch(endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "AmazonSQS.SendMessage",
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    // AbortSignal.timeout's DOMException: an Error in some runtimes, not in others.
    const timedOut = (error as { name?: unknown } | null)?.name === "TimeoutError";
    throw new SendError(
      timedOut ? `no answer from SQS within ${timeoutMs} ms` : `SQS unreachable: ${explain(error)}`,
      true,
    );
  }
  if (response.ok) {
    await response.text().catch(() => undefined); // read, so that the connection can be reused
    return;
  }
  const detail = (await response.text().catch(() => "")).slice(0, 300);
  const retryable = response.status >= 500 || response.status === 429 || /Throttl/.test(detail);
  throw new SendError(`SQS answered ${response.status}: ${detail}`, retryable);
}

/** An error and what caused it (fetch's `TypeError: fetch failed` says nothing alone). */
function explain(error: unknown): string {
  if (!(error instanceof Error)) {
    return String(error);
  }
  // `cause` is ES2022's: read as a property, the module type-checks under ES2021 too.
  const { cause } = error as Error & { cause?: unknown };
  return cause === undefined ? error.message : `${error.message} (${explain(cause)})`;
}

function url(text: string, name: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new SendError(`${name} ${text} is not a URL`, false);
  }
}

function setting(env: AnalyticsEnv, name: keyof AnalyticsEnv): string {
  const value = env[name];
  if (!value) {
    throw new SendError(`${name} is not set`, false);
  }
  return value;
}

/** The region of an SQS queue URL such as `https://sqs.eu-west-2.amazonaws.com/<account>/<name>`. */
export function queueRegion(queueUrl: string): string | undefined {
  try {
    return /^sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(new URL(queueUrl).hostname)?.[1];
  } catch {
    return undefined;
  }
}
