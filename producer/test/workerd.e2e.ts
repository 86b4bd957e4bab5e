// The producer inside Cloudflare's runtime, as a chatbot's Worker runs it: the Worker of
// test/chatbot-worker, with the producer installed from its tarball as the README says (see
// workerd.ts), in workerd, sending with the chatbot's key to the local stack's queue on moto,
// which checks signatures and permissions. The answer's latency is printed with and without the
// producer, and the answer never waits on the send: not on moto (its answers are held until the
// Worker has answered), not on a closed port, not on an SQS that accepts and never answers (the
// send lingers after the answer, two attempts of 2 s, and how long is printed); a wrong secret is
// logged once, not retried, never thrown. Run by `make test-producer`, one test file at a time
// (this one and pipeline.e2e share moto's IAM checks); `npm test` leaves it out.

import assert from "node:assert/strict";
import { lstatSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { type AnalyticsEvent, deduplicationId, LIMITS, messageGroup } from "../src/index.js";
import { LoopbackSqs } from "./loopback-sqs.js";
import { chatbotKey, ENDPOINT, enforceIam, type Keys, type Message, QUEUE_URL, REGION, takeFromTheQueue } from "./stack.js";
import { repositoryFile, schemaErrors } from "./support.js";
import { type ChatbotWorker, chatbotWorker, freePort, Workerd } from "./workerd.js";

/** The producer's limit on each attempt, which the Worker keeps (its default). */
const ATTEMPT_MS = 2_000;
const NOT_SENT = "cv-analytics: event not sent";

/** The Worker at other compatibility dates than the runtime's newest, and with Node's compatibility. */
const OTHER_RUNTIMES = [
  { name: "dated-2022-11-30", compatibilityDate: "2022-11-30" },
  { name: "dated-2024-09-23-nodejs-compat", compatibilityDate: "2024-09-23", compatibilityFlags: ["nodejs_compat"] },
];

let dir: string;
let worker: ChatbotWorker;
let workerd: Workerd | undefined;
let relay: LoopbackSqs | undefined;
let hanging: LoopbackSqs | undefined;

/** The Worker's settings, as `wrangler secret put` and its vars would give them. */
function settings(endpoint: string, keys: Keys): Record<string, string> {
  return {
    ANALYTICS_QUEUE_URL: QUEUE_URL,
    ANALYTICS_ACCESS_KEY_ID: keys.accessKeyId,
    ANALYTICS_SECRET_ACCESS_KEY: keys.secretAccessKey,
    ANALYTICS_REGION: REGION,
    ANALYTICS_ENDPOINT: endpoint,
  };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "cv-analytics-workerd-"));
  const started = performance.now();
  worker = await chatbotWorker(dir);
  console.log(`the Worker project: the producer packed, installed offline, type-checked and bundled in ${seconds(performance.now() - started)}`);

  const chatbot = await chatbotKey("workerd");
  relay = await LoopbackSqs.relayTo(ENDPOINT);
  hanging = await LoopbackSqs.neverAnswering();
  const [moto, never, closed] = [relay.url, hanging.url, `http://127.0.0.1:${await freePort()}`];
  workerd = await Workerd.start(dir, [
    { name: "without-producer", bundle: worker.baseline, bindings: settings(moto, chatbot) },
    { name: "moto", bundle: worker.bundle, bindings: settings(moto, chatbot) },
    { name: "closed-port", bundle: worker.bundle, bindings: settings(closed, chatbot) },
    { name: "never-answering", bundle: worker.bundle, bindings: settings(never, chatbot) },
    { name: "wrong-secret", bundle: worker.bundle, bindings: settings(moto, { ...chatbot, secretAccessKey: "not-the-secret" }) },
    ...OTHER_RUNTIMES.map((r) => ({ ...r, bundle: worker.bundle, bindings: settings(moto, chatbot) })),
  ]);
});

after(async () => {
  await workerd?.stop();
  await relay?.close();
  await hanging?.close();
  await enforceIam("inf");
  rmSync(dir, { recursive: true, force: true });
});

interface Asked {
  requestId: string;
  answer: string;
  /** When the question was sent and the answer read whole (`performance.now()`). */
  sent: number;
  answered: number;
  latency: number;
}

/** The browser of the questions that do not say another. */
const BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";

/** One question to the Worker `name`, as a chat page sends it. */
async function ask(name: string, question: string, headers: Record<string, string> = {}): Promise<Asked> {
  assert.ok(workerd);
  const sent = performance.now();
  const response = await fetch(workerd.url(name), {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": BROWSER, ...headers },
    body: JSON.stringify({ question }),
  });
  const text = await response.text();
  const answered = performance.now();
  assert.equal(response.status, 200, text);
  const { requestId, answer } = JSON.parse(text) as { requestId: string; answer: string };
  return { requestId, answer, sent, answered, latency: answered - sent };
}

/** Selects the messages of the requests `ids`. */
function ofRequests(ids: Set<string>): (m: Message) => boolean {
  return (m) => ids.has((JSON.parse(m.Body) as AnalyticsEvent).requestId);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function spread(values: number[], unit = "ms"): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
  const max = sorted[sorted.length - 1] ?? NaN;
  return `median ${median.toFixed(1)} ${unit}, max ${max.toFixed(1)} ${unit}`;
}

/** The log lines of the events of `asked` that were not sent, once there are `count` (or `timeoutMs` passed). */
async function notSent(asked: Asked[], count: number, timeoutMs: number) {
  assert.ok(workerd);
  const ids = asked.map((a) => a.requestId);
  const lines = await workerd.waitForLines(
    (text) => text.includes(NOT_SENT) && ids.some((id) => text.includes(id)),
    count,
    timeoutMs,
  );
  return lines.map((line) => ({
    ...(JSON.parse(line.text) as { requestId: string; eventType: string; reason: string }),
    at: line.at,
  }));
}

test("the producer installs into a Worker project from its tarball, offline, and type-checks under the Workers template's settings", () => {
  // The tarball carries the module's source and aws4fetch, at the version the lockfile pins.
  assert.ok(worker.packed.includes("src/index.ts"), worker.packed.join(" "));
  assert.ok(worker.packed.includes("node_modules/aws4fetch/package.json"), "aws4fetch is in the tarball");
  assert.ok(!worker.packed.some((path) => path.startsWith("test/")), "the tests stay out of it");
  const installed = join(worker.project, "node_modules", "cv-analytics-producer");
  assert.ok(lstatSync(installed).isDirectory() && !lstatSync(installed).isSymbolicLink(), "copied, not linked to the checkout");
  const pinned = JSON.parse(repositoryFile("producer/package-lock.json")) as { packages: Record<string, { version: string }> };
  const aws4fetch = JSON.parse(readFileSync(join(installed, "node_modules", "aws4fetch", "package.json"), "utf8")) as { version: string };
  assert.equal(aws4fetch.version, pinned.packages["node_modules/aws4fetch"]?.version);
  // chatbotWorker ran tsc with the project's tsconfig.json (it throws on an error) and bundled it.
  assert.doesNotMatch(readFileSync(worker.bundle, "utf8"), /\brequire\(|from\s*"node:/);
});

/** A question as a visitor sends it; `refused`: one the producer logs and does not send. */
interface Visit {
  question: string;
  session?: string;
  headers?: Record<string, string>;
  refused?: boolean;
}

test("the answer does not wait on the send: moto's answers are held until the Worker has answered, and every event arrives once, valid, with its group and deduplication ids", async () => {
  assert.ok(relay && workerd);
  // Latency, question after question, with and without the producer.
  const rounds = 15;
  const [without, withIt]: [number[], number[]] = [[], []];
  const asked: (Visit & { asked: Asked })[] = [];
  for (let i = 0; i < rounds; i++) {
    const question = `Do you know Rust? (${i})`;
    without.push((await ask("without-producer", question)).latency);
    relay.hold();
    const a = await ask("moto", question);
    relay.release();
    withIt.push(a.latency);
    asked.push({ question, asked: a });
  }

  // Then questions a visitor could send, all at once.
  const emoji = "\u{1F980}";
  const visits: Visit[] = [
    { question: `Kennst du Rust ${emoji}? Ça va — 日本語で、مرحبا, e\u0301`, session: "s-workerd" },
    { question: `cut in half \uD83D by a sanitiser`, session: "s-workerd" },
    { question: `${"q".repeat(999)}${emoji}${"q".repeat(4_000)}` },
    { question: "rust, with long headers", headers: { "user-agent": `Mozilla/5.0 ${"M".repeat(8_000)}`, referer: `https://example.dev/${"p".repeat(4_000)}` } },
    { question: "a session too long to be a group", session: "s".repeat(300) },
    { question: "a session SQS would refuse as a group", session: "with spaces: not a group" },
    { question: "", refused: true },
    { question: " \t\u3000\u00A0", refused: true },
    ...Array.from({ length: 12 }, (_, i) => ({ question: `question ${i} about rust`, session: `s-burst-${i % 3}` })),
  ];
  relay.hold();
  const burst = await Promise.all(
    visits.map(async (v) => {
      const headers = { ...(v.session !== undefined && { "x-session-id": v.session }), ...v.headers };
      return { ...v, asked: await ask("moto", v.question, headers) };
    }),
  );
  relay.release();
  asked.push(...burst);

  // An answer that waited on a held send could only come after the attempt timed out.
  for (const { asked: a } of asked) {
    assert.ok(a.latency < ATTEMPT_MS, `answered in ${a.latency} ms: it waited on the send`);
  }
  // A subrequest an event, one SendMessage each, which moto accepted; a refused question's
  // event is logged instead, and nothing else is.
  const expected = asked.flatMap((v) => (v.refused ? ["response"] : ["query", "response"]));
  assert.equal(await relay.answered(expected.length, 10_000), expected.length);
  for (const v of asked) {
    const sent = relay.sendsOf(v.asked.requestId).map((s) => `${s.eventType} ${s.status}`).sort();
    assert.deepEqual(sent, v.refused ? ["response 200"] : ["query 200", "response 200"]);
  }
  const ids = new Set(asked.map((v) => v.asked.requestId));
  const logged = workerd.lines.filter((l) => [...ids].some((id) => l.text.includes(id))).map((l) => JSON.parse(l.text) as { requestId: string; message: string; reason: string });
  assert.deepEqual(
    logged.map((l) => [l.requestId, l.message, l.reason]).sort(),
    asked.filter((v) => v.refused).map((v) => [v.asked.requestId, NOT_SENT, "the question is empty or white space alone, which the processor refuses"]).sort(),
  );

  // On the queue: each event once, valid against the schema, with its group and deduplication id.
  const messages = await takeFromTheQueue(ofRequests(ids));
  assert.equal(messages.length, expected.length);
  const events = new Map<string, AnalyticsEvent>();
  for (const m of messages) {
    assert.deepEqual(schemaErrors(m.Body), [], m.Body);
    const event = JSON.parse(m.Body) as AnalyticsEvent;
    assert.equal(m.Attributes?.MessageGroupId, messageGroup(event));
    assert.equal(m.Attributes?.MessageDeduplicationId, deduplicationId(event));
    const key = `${event.requestId} ${event.eventType}`;
    assert.ok(!events.has(key), `${key} arrived twice`);
    events.set(key, event);
  }
  // What the visitor sent, well formed and within the schema's limits.
  const cut = (text: string, max: number) => Array.from(text.toWellFormed()).slice(0, max).join("");
  for (const { asked: a, question, session, headers = {}, refused } of asked) {
    const response = events.get(`${a.requestId} response`);
    assert.ok(response?.eventType === "response");
    assert.equal(response.matchType, /\brust\b/i.test(question) ? "full" : "none");
    assert.equal(response.sessionId, session ? cut(session, LIMITS.sessionId) : "anonymous");
    const query = events.get(`${a.requestId} query`);
    if (refused) {
      assert.equal(query, undefined);
      continue;
    }
    assert.ok(query?.eventType === "query");
    assert.equal(query.query, cut(question, LIMITS.query));
    assert.equal(query.sessionId, response.sessionId);
    assert.equal(query.metadata?.userAgent, cut(headers["user-agent"] ?? BROWSER, LIMITS.userAgent));
    assert.equal(query.metadata?.referer, headers.referer === undefined ? null : cut(headers.referer, LIMITS.referer));
  }
  // A session's events share its group; a session SQS would refuse as a group, its request's.
  assert.deepEqual(
    [...new Set(messages.map((m) => m.Attributes?.MessageGroupId).filter((g) => g?.startsWith("s-")))].sort(),
    ["s-burst-0", "s-burst-1", "s-burst-2", "s-workerd"],
  );

  const sendMs = relay.sends.filter((s) => ids.has(s.requestId)).map((s) => (s.answered ?? NaN) - s.arrived);
  console.log(
    `workerd ${Workerd.version} (compatibility date ${Workerd.compatibilityDate}, no flag): the answer's latency over ${rounds} questions ` +
      `without the producer ${spread(without)}, with it ${spread(withIt)} (moto's answers held until the Worker had answered); ` +
      `${visits.length} questions at once answered in ${spread(burst.map((b) => b.asked.latency))}; ` +
      `2 subrequests a question; moto took ${spread(sendMs)} to accept a SendMessage`,
  );
});

test("no compatibility flag is needed: at an older compatibility date, and with nodejs_compat, the events go as they do at the newest", async () => {
  assert.ok(relay);
  const [before, asked] = [relay.sends.length, [] as Asked[]];
  for (const { name } of OTHER_RUNTIMES) {
    asked.push(await ask(name, "Do you know Rust?"));
  }
  const ids = new Set(asked.map((a) => a.requestId));
  assert.equal(await relay.answered(before + 2 * asked.length, 5_000), before + 2 * asked.length);
  for (const a of asked) {
    assert.deepEqual(relay.sendsOf(a.requestId).map((s) => `${s.eventType} ${s.status}`).sort(), ["query 200", "response 200"]);
  }
  const messages = await takeFromTheQueue(ofRequests(ids));
  assert.equal(messages.length, 2 * asked.length);
  for (const m of messages) {
    assert.deepEqual(schemaErrors(m.Body), [], m.Body);
  }
});

test("the answer does not wait on a closed port: each event is tried twice, then logged once as not sent", async () => {
  const asked = [];
  for (let i = 0; i < 3; i++) {
    asked.push(await ask("closed-port", "Do you know Rust?"));
  }
  const lines = await notSent(asked, 2 * asked.length, 5_000);
  assert.equal(lines.length, 2 * asked.length, JSON.stringify(lines));
  const lingered = [];
  for (const a of asked) {
    const mine = lines.filter((l) => l.requestId === a.requestId);
    assert.deepEqual(mine.map((l) => l.eventType).sort(), ["query", "response"]);
    for (const line of mine) {
      assert.match(line.reason, /^SQS unreachable: .*; then, once more: SQS unreachable: /);
      // The failure is logged after the retry's 100 ms: an answer that waited would come after it.
      assert.ok(a.answered < line.at, `the answer came ${a.answered - line.at} ms after the failure was logged`);
      lingered.push(line.at - a.answered);
    }
  }
  console.log(`a closed port: the answer in ${spread(asked.map((a) => a.latency))}; the send failed ${spread(lingered)} after it (one retry)`);
});

test("the answer does not wait on an SQS that accepts and never answers: the send lingers two attempts of 2 s after it, then is logged", async () => {
  assert.ok(hanging);
  const asked = [];
  for (let i = 0; i < 3; i++) {
    asked.push(await ask("never-answering", "Do you know Rust?"));
  }
  for (const a of asked) {
    assert.ok(a.latency < ATTEMPT_MS, `answered in ${a.latency} ms: it waited on the send`);
  }
  const lines = await notSent(asked, 2 * asked.length, 2 * ATTEMPT_MS + 6_000);
  assert.equal(lines.length, 2 * asked.length, JSON.stringify(lines));
  const lingered = [];
  for (const a of asked) {
    // Four subrequests: each event's SendMessage twice, with the same deduplication id.
    const sends = hanging.sendsOf(a.requestId);
    assert.deepEqual(sends.map((s) => s.eventType).sort(), ["query", "query", "response", "response"]);
    assert.equal(new Set(sends.map((s) => s.deduplicationId)).size, 2);
    for (const line of lines.filter((l) => l.requestId === a.requestId)) {
      assert.equal(line.reason, `no answer from SQS within ${ATTEMPT_MS} ms; then, once more: no answer from SQS within ${ATTEMPT_MS} ms`);
      assert.ok(line.at - a.sent >= 2 * ATTEMPT_MS, `given up ${line.at - a.sent} ms after the question`);
      lingered.push(line.at - a.answered);
    }
  }
  console.log(
    `an SQS that never answers: the answer in ${spread(asked.map((a) => a.latency))}; ` +
      `the Worker kept running ${spread(lingered.map((ms) => ms / 1000), "s")} after it (4 subrequests a question)`,
  );
});

test("a wrong secret is logged once for each event, not retried, and never thrown", async () => {
  assert.ok(relay && workerd);
  const asked = [await ask("wrong-secret", "Do you know Rust?"), await ask("wrong-secret", "and Kubernetes?")];
  assert.deepEqual(asked.map((a) => a.answer), ["Yes: Rust, on AWS Lambda.", "I have no answer to that."]);
  const lines = await notSent(asked, 2 * asked.length, 5_000);
  assert.equal(lines.length, 2 * asked.length, JSON.stringify(lines));
  for (const line of lines) {
    assert.match(line.reason, /^SQS answered 403: .*SignatureDoesNotMatch/s);
    assert.doesNotMatch(line.reason, /once more/);
  }
  for (const a of asked) {
    assert.deepEqual(relay.sendsOf(a.requestId).map((s) => `${s.eventType} ${s.status}`).sort(), ["query 403", "response 403"]);
  }
  const ids = new Set(asked.map((a) => a.requestId));
  assert.deepEqual(await takeFromTheQueue(ofRequests(ids)), []);
  // Nothing reached the runtime as an exception, in this test or any other.
  assert.deepEqual(workerd.lines.filter((l) => /uncaught|exception/i.test(l.text)), []);
});
