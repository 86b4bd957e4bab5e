// End to end with the real code on both sides of the queue: the producer sends to the local
// SQS (moto), the events on the queue are checked against the schema, and the processor's own
// binary, run as Lambda's SQS trigger runs it (`cargo xtask sqs-trigger`), stores them in the
// table as docs/architecture.md describes. Run by `make test-producer` (and so `make test`),
// which starts a fresh local stack and passes its settings in the environment; `npm test`
// leaves it out (it is not a *.test.js).

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { after, test } from "node:test";

import {
  type AnalyticsEnv,
  type AnalyticsEvent,
  deduplicationId,
  logQuery,
  logResponse,
  messageGroup,
} from "../src/index.js";
import {
  administrator,
  call,
  chatbotKey,
  client,
  ENDPOINT,
  enforceIam,
  onTheQueue,
  QUEUE_URL,
  REGION,
  setting,
} from "./stack.js";
import { Context, schemaErrors } from "./support.js";

type Attribute = { S?: string; N?: string; BOOL?: boolean; NULL?: boolean; L?: Attribute[]; SS?: string[] };

/** A DynamoDB item as plain values. */
function plain(item: Record<string, Attribute>): Record<string, unknown> {
  const value = (a: Attribute): unknown =>
    a.S ?? (a.N !== undefined ? Number(a.N) : (a.BOOL ?? a.SS ?? a.L?.map(value) ?? null));
  return Object.fromEntries(Object.entries(item).map(([k, a]) => [k, value(a)]));
}

async function record(requestId: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await call<{ Item?: Record<string, Attribute> }>("dynamodb", "DynamoDB_20120810.GetItem", {
    TableName: setting("TABLE_NAME"),
    Key: { pk: { S: `REQ#${requestId}` } },
    ConsistentRead: true,
  });
  return Item && plain(Item);
}

/** The processor's binary as Lambda's SQS trigger runs it, until stopped by its process group. */
let trigger: ChildProcess | undefined;
let triggerLog = "";

function startTrigger(): void {
  const moto = {
    AWS_ENDPOINT_URL: ENDPOINT,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: administrator().accessKeyId,
    AWS_SECRET_ACCESS_KEY: administrator().secretAccessKey,
  };
  trigger = spawn(
    setting("XTASK_BINARY"),
    ["sqs-trigger", QUEUE_URL, setting("PROCESSOR_BINARY"), `TABLE_NAME=${setting("TABLE_NAME")}`,
      `DEAD_LETTER_QUEUE_URL=${setting("DEAD_LETTER_QUEUE_URL")}`, "STAGE=dev", "RECORD_TTL_DAYS=3650",
      ...Object.entries(moto).map(([name, value]) => `${name}=${value}`)],
    { detached: true, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...moto } },
  );
  trigger.stderr?.on("data", (chunk: Buffer) => (triggerLog += chunk.toString()));
}

after(async () => {
  if (trigger?.pid) {
    process.kill(-trigger.pid, "SIGKILL");
  }
  await enforceIam("inf");
});

// 2025-11-08T13:14:18.821Z, a Saturday of 2025-W45.
const ASKED = 1_762_607_658_821;

test("what the producer sends is stored by the processor as one record per request", async () => {
  // The chatbot's credential: a user holding the stack's producer policy alone. The test and
  // the trigger act as an administrator. From then on moto checks signatures and permissions.
  const chatbot = await chatbotKey("pipeline");

  const env: AnalyticsEnv = {
    ANALYTICS_QUEUE_URL: QUEUE_URL,
    ANALYTICS_ACCESS_KEY_ID: chatbot.accessKeyId,
    ANALYTICS_SECRET_ACCESS_KEY: chatbot.secretAccessKey,
    ANALYTICS_REGION: REGION,
    ANALYTICS_ENDPOINT: ENDPOINT,
  };
  const ctx = new Context();
  const logged: string[] = [];
  const options = { log: (line: string) => logged.push(line) };
  const [answered, early, unanswered] = [randomUUID(), randomUUID(), randomUUID()];
  const headers = {
    userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
    referer: "https://example.dev/cv?from=linkedin",
  };

  // An anonymous question and its answer.
  logQuery(env, ctx, { requestId: answered, query: "have you any experience with c#?", metadata: headers, timestamp: ASKED }, options);
  logResponse(env, ctx, {
    requestId: answered,
    matchType: "full",
    matchScore: 91,
    reasoning: 'Excellent match: "C#" with 0.91 similarity',
    vectorMatches: 5,
    metadata: { matchQuality: 0.91, sourcesUsed: ["C#", ".NET"] },
    timestamp: ASKED + 1_612,
  }, options);
  // An answer sent (and on the queue) before its question, in a named session.
  logResponse(env, ctx, {
    requestId: early, sessionId: "s-e2e", matchType: "partial", matchScore: 55, reasoning: "Partial match",
    metadata: { sourcesUsed: [] }, timestamp: ASKED + 5_000,
  }, options);
  assert.ok(await ctx.settled());
  logQuery(env, ctx, { requestId: early, sessionId: "s-e2e", query: "Do you know Kubernetes?", timestamp: ASKED + 4_000 }, options);
  // A question never answered, with personal data in it, sent twice, one after the other, as a
  // retry after a lost answer sends it.
  for (let i = 0; i < 2; i++) {
    logQuery(env, ctx, {
      requestId: unanswered, sessionId: "s-e2e", query: "Can I email you at jane.doe@example.com about a role?",
      timestamp: ASKED + 9_000,
    }, options);
    assert.ok(await ctx.settled());
  }
  assert.ok(await ctx.settled());
  assert.deepEqual(logged, [], "every send succeeded");

  // On the queue: five events (the retry deduplicated), each valid against the schema, each in
  // its session's group or its request's, with its deduplication id.
  const messages = await onTheQueue();
  assert.equal(messages.length, 5, messages.map((m) => m.Body).join("\n"));
  for (const m of messages) {
    assert.deepEqual(schemaErrors(m.Body), [], m.Body);
    const event = JSON.parse(m.Body) as AnalyticsEvent;
    assert.equal(m.Attributes?.MessageGroupId, messageGroup(event));
    assert.equal(m.Attributes?.MessageDeduplicationId, deduplicationId(event));
  }
  // The named session's three events share its group; the anonymous request has its own.
  assert.deepEqual(new Set(messages.map((m) => m.Attributes?.MessageGroupId)), new Set([answered, "s-e2e"]));

  // In the table, once the processor has drained the queue.
  startTrigger();
  const stored = new Map<string, Record<string, unknown>>();
  const complete = (r?: Record<string, unknown>) => r !== undefined && r.queryTs !== undefined;
  for (let i = 0; i < 120; i++) {
    for (const id of [answered, early, unanswered]) {
      const r = await record(id);
      if (complete(r) && (id === unanswered || r?.responseTs !== undefined)) {
        stored.set(id, r as Record<string, unknown>);
      }
    }
    if (stored.size === 3) {
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  assert.equal(stored.size, 3, `not every request was stored; the trigger said:\n${triggerLog}`);

  const first = stored.get(answered) ?? {};
  assert.equal(first.week, "2025-W45");
  assert.equal(first.sessionId, "anonymous");
  assert.equal(first.queryTs, ASKED);
  assert.equal(first.query, "have you any experience with c#?");
  assert.equal(first.browser, "Firefox");
  assert.equal(first.device, "desktop");
  assert.equal(first.referer, "https://example.dev");
  assert.equal(first.userAgent, undefined, "the raw user agent is never stored");
  assert.equal(first.responseTs, ASKED + 1_612);
  assert.equal(first.matchType, "full");
  assert.equal(first.matchScore, 91);
  assert.equal(first.matchQuality, 0.91);
  assert.equal(first.reasoning, 'Excellent match: "C#" with 0.91 similarity');
  assert.equal(first.vectorMatches, 5);
  assert.deepEqual(first.sourcesUsed, ["C#", ".NET"]);
  assert.equal(first.expiresAt, Math.floor(ASKED / 1000) + 3650 * 86_400);

  const second = stored.get(early) ?? {};
  assert.equal(second.sessionId, "s-e2e");
  assert.equal(second.query, "Do you know Kubernetes?");
  assert.equal(second.queryTs, ASKED + 4_000);
  assert.equal(second.matchType, "partial");

  const third = stored.get(unanswered) ?? {};
  assert.equal(third.query, "Can I email you at [email] about a role?");
  assert.equal(third.redactions, 1);
  assert.equal(third.responseTs, undefined);
  assert.equal(third.matchType, undefined);

  // Nothing was refused.
  const { Attributes } = await call<{ Attributes: Record<string, string> }>("sqs", "AmazonSQS.GetQueueAttributes", {
    QueueUrl: setting("DEAD_LETTER_QUEUE_URL"),
    AttributeNames: ["ApproximateNumberOfMessages"],
  });
  assert.equal(Attributes.ApproximateNumberOfMessages, "0");

  // The chatbot's credential sends to the event queue and does nothing else.
  const chatbotClient = client(chatbot);
  for (const [target, body] of [
    ["AmazonSQS.ReceiveMessage", { QueueUrl: QUEUE_URL }],
    ["AmazonSQS.SendMessage", { QueueUrl: setting("DEAD_LETTER_QUEUE_URL"), MessageBody: "{}" }],
  ] as const) {
    const refused = await chatbotClient.fetch(ENDPOINT, {
      method: "POST",
      headers: { "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target },
      body: JSON.stringify(body),
      aws: { service: "sqs" },
    });
    assert.equal(refused.status, 403, `${target} with the chatbot's key: ${await refused.text()}`);
  }
});
