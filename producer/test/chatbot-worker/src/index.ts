// A chatbot Worker as small as one can be: it answers at once, and sends the question's and the
// answer's events as the producer's README tells a chatbot to. The producer's workerd test
// copies this project, installs the producer into it from its tarball, type-checks it with the
// Workers template's settings, bundles it as Wrangler does and runs it inside workerd.
//
// A question is a POST of `{ "question": "..." }`; the answer names the request id its events
// carry, so that a test can find them on the queue.

import { type AnalyticsEnv, logQuery, logResponse } from "cv-analytics-producer";

interface Env extends AnalyticsEnv {}

export default {
  async fetch(request, env, ctx): Promise<Response> {
    const requestId = crypto.randomUUID();
    const sessionId = request.headers.get("x-session-id");
    const body = await request.json<{ question?: unknown }>().catch(() => null);
    const question = typeof body?.question === "string" ? body.question : "";
    logQuery(env, ctx, {
      requestId,
      sessionId,
      query: question,
      metadata: { userAgent: request.headers.get("user-agent"), referer: request.headers.get("referer") },
    });

    // The answer, found at once: this Worker knows one subject.
    const known = /\brust\b/i.test(question);
    const answer = known ? "Yes: Rust, on AWS Lambda." : "I have no answer to that.";
    logResponse(env, ctx, {
      requestId,
      sessionId,
      matchType: known ? "full" : "none",
      matchScore: known ? 92 : 0,
      reasoning: known ? 'Excellent match: "Rust" with 0.92 similarity' : "No match",
      vectorMatches: known ? 3 : 0,
      metadata: { matchQuality: known ? 0.92 : 0, sourcesUsed: known ? ["Rust"] : [] },
    });
    return Response.json({ requestId, answer });
  },
} satisfies ExportedHandler<Env>;
