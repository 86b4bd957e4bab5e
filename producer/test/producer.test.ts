// The producer against a scripted SQS endpoint on loopback: what it sends, how it signs, its
// timeout and its one retry, and that no failure reaches the caller.

import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, test } from "node:test";

import {
  type AnalyticsEnv,
  type AnalyticsEvent,
  deduplicationId,
  LIMITS,
  type QueryEvent,
  type QueryInput,
  type ResponseEvent,
  type ResponseInput,
  type SendOptions,
  logQuery,
  logResponse,
  messageGroup,
  queueRegion,
} from "../src/index.js";
import { Context, repositoryFile, schemaErrors } from "./support.js";

interface Received {
  headers: IncomingMessage["headers"];
  body: Record<string, string>;
}

/** How the endpoint answers each request in turn: a status, or `hang` (never answers). */
type Answer = number | "hang";

let server: Server;
let endpoint: string;
let script: Answer[] = [];
let received: Received[] = [];

before(async () => {
  server = createServer((request, response) => {
    let text = "";
    request.on("data", (chunk: Buffer) => (text += chunk.toString()));
    request.on("end", () => {
      received.push({ headers: request.headers, body: JSON.parse(text) as Record<string, string> });
      const answer = script.shift() ?? 200;
      if (answer === "hang") {
        return; // the client's timeout ends it
      }
      const ok = answer === 200;
      response.writeHead(answer, { "Content-Type": "application/x-amz-json-1.0" });
      response.end(
        JSON.stringify(
          ok
            ? { MessageId: `m-${received.length}`, MD5OfMessageBody: "", SequenceNumber: "1" }
            : { __type: answer === 400 ? "AccessDenied" : "InternalError", message: `scripted ${answer}` },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

beforeEach(() => {
  script = [];
  received = [];
});

/** The body of the event of `kind` the endpoint received (concurrent sends arrive in any order). */
function sentOfKind(kind: "query" | "response"): string {
  return received.map((r) => r.body.MessageBody ?? "").find((b) => b.includes(`"eventType":"${kind}"`)) ?? "";
}

function env(): AnalyticsEnv {
  return {
    ANALYTICS_QUEUE_URL: `${endpoint}/123456789012/cv-analytics-dev-events.fifo`,
    ANALYTICS_ACCESS_KEY_ID: "AKIAPRODUCER",
    ANALYTICS_SECRET_ACCESS_KEY: "secret",
    ANALYTICS_REGION: "eu-west-2",
  };
}

const ID = "3f0c5a8e-6b1d-4c2a-9e4f-2a7b9d1c0e55";

/** A question sent with `overrides` of the settings; `timeoutMs` short only where the endpoint hangs. */
function ask(ctx: Context, logged: string[], overrides: AnalyticsEnv = {}, timeoutMs = 2_000): void {
  logQuery(
    { ...env(), ...overrides },
    ctx,
    { requestId: ID, query: "have you any experience with c#?", metadata: { userAgent: "Mozilla/5.0" } },
    { timeoutMs, log: (line) => logged.push(line) },
  );
}

describe("the queue attributes", () => {
  test("are those shared-types gives every case", () => {
    const { cases } = JSON.parse(repositoryFile("shared-types/tests/queue-attributes.json")) as {
      cases: { case: string; event: AnalyticsEvent; messageGroupId: string; messageDeduplicationId: string }[];
    };
    assert.ok(cases.length >= 8);
    for (const c of cases) {
      assert.equal(messageGroup(c.event), c.messageGroupId, c.case);
      assert.equal(deduplicationId(c.event), c.messageDeduplicationId, c.case);
    }
  });
});

describe("a send", () => {
  test("is kept alive by waitUntil, signed for SQS, and carries a valid event", async () => {
    const ctx = new Context();
    const logged: string[] = [];
    const before = Date.now();
    const returned: unknown = logQuery(
      env(),
      ctx,
      { requestId: ID, sessionId: "s-42", query: "have you any experience with c#?" },
      { log: (line) => logged.push(line) },
    );
    assert.equal(returned, undefined);
    assert.equal(ctx.kept.length, 1, "the send is handed to waitUntil");
    assert.ok(await ctx.settled());
    assert.deepEqual(logged, []);

    assert.equal(received.length, 1);
    const [{ headers, body }] = received as [Received];
    assert.equal(headers["x-amz-target"], "AmazonSQS.SendMessage");
    assert.equal(headers["content-type"], "application/x-amz-json-1.0");
    assert.match(
      String(headers.authorization),
      /^AWS4-HMAC-SHA256 Credential=AKIAPRODUCER\/\d{8}\/eu-west-2\/sqs\/aws4_request, SignedHeaders=.*, Signature=[0-9a-f]{64}$/,
    );
    assert.equal(body.QueueUrl, env().ANALYTICS_QUEUE_URL);
    assert.equal(body.MessageGroupId, "s-42");
    const event = JSON.parse(body.MessageBody ?? "") as AnalyticsEvent;
    assert.deepEqual(schemaErrors(body.MessageBody ?? ""), []);
    assert.equal(event.eventType, "query");
    assert.ok(event.timestamp >= before && event.timestamp <= Date.now());
    assert.deepEqual(event.metadata, {});
    assert.equal(body.MessageDeduplicationId, `${ID}-query-${event.timestamp}`);
  });

  test("of an answer fills in the anonymous session and groups by the request", async () => {
    const ctx = new Context();
    logResponse(env(), ctx, {
      requestId: ID,
      matchType: "full",
      matchScore: 91,
      reasoning: 'Excellent match: "C#" with 0.91 similarity',
      vectorMatches: 5,
      metadata: { matchQuality: 0.91, sourcesUsed: ["C#", ".NET"] },
      timestamp: 1_762_607_660_433,
    });
    assert.ok(await ctx.settled());
    const [{ body }] = received as [Received];
    assert.deepEqual(schemaErrors(body.MessageBody ?? ""), []);
    const event = JSON.parse(body.MessageBody ?? "") as AnalyticsEvent;
    assert.equal(event.sessionId, "anonymous");
    assert.equal(body.MessageGroupId, ID);
    assert.equal(body.MessageDeduplicationId, `${ID}-response-1762607660433`);
  });

  test("that times out is sent once more with the same deduplication id", async () => {
    script = ["hang", 200];
    const ctx = new Context();
    const logged: string[] = [];
    ask(ctx, logged, {}, 500);
    assert.ok(await ctx.settled());
    assert.deepEqual(logged, []);
    assert.equal(received.length, 2);
    const [first, second] = received as [Received, Received];
    assert.equal(second.body.MessageDeduplicationId, first.body.MessageDeduplicationId);
    assert.equal(second.body.MessageBody, first.body.MessageBody);
  });

  test("that a server error or a throttle refuses is sent once more", async () => {
    for (const status of [500, 503, 429]) {
      script = [status, 200];
      received = [];
      const ctx = new Context();
      const logged: string[] = [];
      ask(ctx, logged);
      assert.ok(await ctx.settled());
      assert.deepEqual(logged, [], `after ${status}`);
      assert.equal(received.length, 2, `after ${status}`);
    }
  });

  test("that fails twice is logged, never thrown, and not tried a third time", async () => {
    script = ["hang", 500, 200];
    const ctx = new Context();
    const logged: string[] = [];
    ask(ctx, logged, {}, 500);
    assert.ok(await ctx.settled(), "the kept promise never rejects");
    assert.equal(received.length, 2);
    assert.equal(logged.length, 1);
    const line = JSON.parse(logged[0] ?? "") as Record<string, string>;
    assert.equal(line.level, "error");
    assert.equal(line.requestId, ID);
    assert.equal(line.eventType, "query");
    assert.match(line.reason ?? "", /^no answer from SQS within 500 ms; then, once more: SQS answered 500/);
  });

  test("that SQS refuses for good (a denied credential) is not retried", async () => {
    script = [400];
    const ctx = new Context();
    const logged: string[] = [];
    ask(ctx, logged);
    assert.ok(await ctx.settled());
    assert.equal(received.length, 1);
    assert.match(logged[0] ?? "", /SQS answered 400: .*AccessDenied/);
  });

  test("without its settings names what is missing and sends nothing", async () => {
    for (const [name, overrides] of [
      ["ANALYTICS_QUEUE_URL", { ANALYTICS_QUEUE_URL: "" }],
      ["ANALYTICS_ACCESS_KEY_ID", { ANALYTICS_ACCESS_KEY_ID: undefined }],
      ["ANALYTICS_SECRET_ACCESS_KEY", { ANALYTICS_SECRET_ACCESS_KEY: "" }],
      ["ANALYTICS_REGION", { ANALYTICS_REGION: undefined }],
    ] as const) {
      const ctx = new Context();
      const logged: string[] = [];
      ask(ctx, logged, overrides);
      assert.ok(await ctx.settled());
      assert.equal(logged.length, 1, name);
      assert.match(logged[0] ?? "", new RegExp(name), name);
    }
    assert.equal(received.length, 0);
  });

  test("takes the region from an AWS queue URL, or else from ANALYTICS_REGION", async () => {
    assert.equal(queueRegion("https://sqs.eu-west-2.amazonaws.com/123456789012/q.fifo"), "eu-west-2");
    assert.equal(queueRegion("https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q.fifo"), "cn-north-1");
    assert.equal(queueRegion("https://sqs.eu-west-2.amazonaws.com.invalid/1/q.fifo"), undefined);
    assert.equal(queueRegion(`${endpoint}/123456789012/q.fifo`), undefined);
    assert.equal(queueRegion("not a url"), undefined);
    const ctx = new Context();
    const logged: string[] = [];
    ask(ctx, logged, { ANALYTICS_QUEUE_URL: "not a url" });
    assert.ok(await ctx.settled());
    assert.match(logged[0] ?? "", /ANALYTICS_QUEUE_URL not a url is not a URL/);
  });

  test("never throws into the caller, even when waitUntil or the log does", async () => {
    const logged: string[] = [];
    let kept: Promise<unknown> | undefined;
    const broken = {
      waitUntil(promise: Promise<unknown>): void {
        kept = promise;
        throw new Error("waitUntil called after the response");
      },
    };
    const input = { requestId: ID, query: "have you any experience with c#?" };
    assert.doesNotThrow(() => logQuery(env(), broken, input, { log: (l) => logged.push(l) }));
    await kept;
    assert.equal(logged.length, 1);
    assert.match(logged[0] ?? "", /event send not kept alive.*waitUntil called after the response/);
    assert.equal(received.length, 1, "the send itself went on");

    script = [400];
    const throwing = () => {
      throw new Error("the log is broken");
    };
    const ctx = new Context();
    assert.doesNotThrow(() => logQuery(env(), broken, input, { log: throwing }));
    assert.doesNotThrow(() => logQuery(env(), ctx, input, { log: throwing }));
    await kept;
    assert.ok(await ctx.settled());
  });

  test("keeps every string within the schema's limits and well formed", async () => {
    const ctx = new Context();
    const emoji = "\u{1F600}";
    logQuery(env(), ctx, {
      requestId: ID,
      sessionId: "s".repeat(300),
      // 999 letters and an emoji cut in half by whoever sanitised the question.
      query: `${"q".repeat(999)}${emoji}${emoji}`.slice(0, 1_000),
      metadata: { userAgent: `Mozilla/5.0 ${emoji.repeat(3_000)}`, referer: null },
    });
    logResponse(env(), ctx, {
      requestId: ID,
      matchType: "none",
      matchScore: 0,
      reasoning: "r".repeat(2_500),
      metadata: { sourcesUsed: Array.from({ length: 25 }, (_, i) => `${i}`.repeat(300)) },
    });
    assert.ok(await ctx.settled());
    assert.equal(received.length, 2);
    const [query, response] = [sentOfKind("query"), sentOfKind("response")];
    assert.deepEqual(schemaErrors(query), []);
    assert.deepEqual(schemaErrors(response), []);
    const q = JSON.parse(query) as QueryEvent;
    assert.equal(q.sessionId?.length, 256);
    assert.equal(q.query, `${"q".repeat(999)}\uFFFD`, "the half emoji is replaced, not sent");
    assert.equal(Array.from(q.metadata?.userAgent ?? "").length, 2_048);
    assert.equal(q.metadata?.referer, null);
    const r = JSON.parse(response) as ResponseEvent;
    assert.equal(r.reasoning.length, 2_000);
    assert.equal(r.metadata?.sourcesUsed?.length, 20);
    assert.ok(r.metadata?.sourcesUsed?.every((s) => s.length === 200));
  });

  test("replaces every lone surrogate, wherever it stands, as String.prototype.toWellFormed does", async () => {
    // The module spells the replacement out (toWellFormed is ES2024; Workers' TypeScript, ES2021).
    const [high, low, pair] = ["\uD83D", "\uDE00", "\u{1F600}"];
    const questions = [
      `${low}a${high}${high}${low}${low}${high}`,
      `${high}${pair}${low}${pair}`,
      `${low}${low}${high}${high}`,
      `${pair}${pair}é\u0301`,
    ];
    for (const question of questions) {
      received = [];
      const ctx = new Context();
      logQuery(env(), ctx, { requestId: ID, query: question });
      assert.ok(await ctx.settled());
      const q = JSON.parse(sentOfKind("query")) as QueryEvent;
      assert.equal(q.query, question.toWellFormed(), JSON.stringify(question));
    }
  });

  test("keeps the body within the processor's 16 KB, taking the least useful fields first", async () => {
    const ctx = new Context();
    const logged: string[] = [];
    const log = { log: (line: string) => logged.push(line) };
    const emoji = "\u{1F600}";
    // Headers a visitor made long: each within its 2,048 characters, 16 KB together.
    const headers = { userAgent: emoji.repeat(3_000), referer: emoji.repeat(3_000) };
    logQuery(env(), ctx, { requestId: ID, query: "have you any experience with c#?", metadata: headers }, log);
    const sources = Array.from({ length: 25 }, () => emoji.repeat(300));
    const reasoning = "r".repeat(2_000);
    logResponse(env(), ctx, { requestId: ID, matchType: "full", matchScore: 90, reasoning, metadata: { sourcesUsed: sources } }, log);
    assert.ok(await ctx.settled());
    const bodies = received.map((r) => r.body.MessageBody ?? "");
    assert.equal(bodies.length, 2);
    for (const body of bodies) {
      assert.ok(new TextEncoder().encode(body).length <= LIMITS.body, `${body.length} characters`);
      assert.deepEqual(schemaErrors(body), []);
    }
    const q = JSON.parse(sentOfKind("query")) as QueryEvent;
    assert.equal(q.metadata?.referer, null, "the referer went first");
    assert.equal(Array.from(q.metadata?.userAgent ?? "").length, 2_048, "the user agent is kept");
    const r = JSON.parse(sentOfKind("response")) as ResponseEvent;
    const kept = r.metadata?.sourcesUsed ?? [];
    assert.ok(kept.length > 0 && kept.length < 20, `${kept.length} sources`);
    const oneMore = { ...r, metadata: { ...r.metadata, sourcesUsed: [...kept, emoji.repeat(200)] } };
    assert.ok(new TextEncoder().encode(JSON.stringify(oneMore)).length > LIMITS.body, "as many sources as fit");
    const warnings = logged.map((l) => JSON.parse(l) as { level: string; dropped: string[] });
    assert.deepEqual(warnings.map((w) => [w.level, w.dropped]).sort(), [
      ["warn", ["metadata.referer"]],
      ["warn", ["metadata.sourcesUsed"]],
    ]);
  });

  test("of a question of white space alone is logged, not sent (the processor refuses it)", async () => {
    for (const query of ["", " \t\n", "\u3000\u00A0\u2028", `${" ".repeat(LIMITS.query)}have you any experience with c#?`]) {
      received = [];
      const ctx = new Context();
      const logged: string[] = [];
      logQuery(env(), ctx, { requestId: ID, query }, { log: (line) => logged.push(line) });
      assert.ok(await ctx.settled());
      assert.equal(received.length, 0, JSON.stringify(query));
      assert.equal(logged.length, 1);
      assert.match(logged[0] ?? "", /event not sent.*white space alone/);
      // What the schema says of it: refused.
      assert.notDeepEqual(schemaErrors(JSON.stringify({ eventType: "query", requestId: ID, timestamp: Date.now(), query: Array.from(query).slice(0, LIMITS.query).join("") })), []);
    }
  });

  test("of a body still too large is logged, not sent", async () => {
    const ctx = new Context();
    const logged: string[] = [];
    // A plain-JavaScript caller can add keys the types do not have.
    const input = { requestId: ID, query: "q?", notes: "n".repeat(20_000) } as unknown as QueryInput;
    logQuery(env(), ctx, input, { log: (line) => logged.push(line) });
    assert.ok(await ctx.settled());
    assert.equal(received.length, 0);
    assert.match(logged[0] ?? "", /event not sent.*over the processor's 16384/);
  });

  test("never throws for a plain-JavaScript caller's null input or options", async (t) => {
    const errors: string[] = [];
    t.mock.method(console, "error", (line: string) => errors.push(line));
    const ctx = new Context();
    assert.doesNotThrow(() => logQuery(env(), ctx, null as unknown as QueryInput));
    assert.doesNotThrow(() => logResponse(null as unknown as AnalyticsEnv, ctx, null as unknown as ResponseInput, null as unknown as SendOptions));
    assert.ok(await ctx.settled());
    assert.equal(errors.length, 2);
    assert.ok(errors.every((e) => e.includes("event not sent")));
    assert.equal(received.length, 0);
  });
});
