// The local stack the end-to-end tests run on (`cargo xtask local-stack`: moto): its settings,
// which `make test-producer` passes in the environment; the tests' own calls to it (not the
// producer's), signed as an administrator; the chatbot's key, made from the stack's producer
// policy, with moto checking every signature and permission from then on; and what is on the
// event queue.

import assert from "node:assert/strict";

import { AwsClient } from "aws4fetch";

export function setting(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run this test with \`make test-producer\`, which starts the local stack`);
  }
  return value;
}

export const QUEUE_URL = setting("QUEUE_URL");
export const ENDPOINT = setting("AWS_ENDPOINT_URL");
export const REGION = setting("AWS_REGION");

export interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Who the tests' own calls are signed as: the stack's keys, then an administrator's. */
let admin: Keys = { accessKeyId: setting("AWS_ACCESS_KEY_ID"), secretAccessKey: setting("AWS_SECRET_ACCESS_KEY") };
let aws = client(admin);

export function administrator(): Keys {
  return admin;
}

export function client(keys: Keys): AwsClient {
  return new AwsClient({ ...keys, region: REGION, retries: 0 });
}

/** One call of SQS's or DynamoDB's JSON protocol, which must succeed. */
export async function call<T>(service: "sqs" | "dynamodb", target: string, body: object): Promise<T> {
  const response = await aws.fetch(ENDPOINT, {
    method: "POST",
    headers: { "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target },
    body: JSON.stringify(body),
    aws: { service },
  });
  const text = await response.text();
  assert.ok(response.ok, `${target}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** One IAM call (IAM speaks only the query protocol, and answers in XML). */
async function iam(action: string, params: Record<string, string>): Promise<string> {
  const body = new URLSearchParams({ Action: action, Version: "2010-05-08", ...params });
  const response = await aws.fetch(ENDPOINT, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: body.toString(),
    aws: { service: "iam", region: "us-east-1" },
  });
  const text = await response.text();
  assert.ok(response.ok, `${action}: ${response.status} ${text}`);
  return text;
}

/** A new IAM user holding `policyArn` alone, and an access key of it. */
async function userWith(name: string, policyArn: string): Promise<Keys> {
  await iam("CreateUser", { UserName: name });
  await iam("AttachUserPolicy", { UserName: name, PolicyArn: policyArn });
  const key = await iam("CreateAccessKey", { UserName: name });
  return { accessKeyId: xmlField(key, "AccessKeyId"), secretAccessKey: xmlField(key, "SecretAccessKey") };
}

function xmlField(xml: string, tag: string): string {
  const value = new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(xml)?.[1];
  assert.ok(value, `no ${tag} in ${xml}`);
  return value;
}

/** From `count` requests on, moto checks every signature and every permission, as AWS does. */
export async function enforceIam(count: number | "inf"): Promise<void> {
  const response = await fetch(`${ENDPOINT}/moto-api/reset-auth`, { method: "POST", body: String(count) });
  assert.ok(response.ok, await response.text());
}

/**
 * The chatbot's credential: a user holding the stack's producer policy alone. The test's own
 * calls are an administrator's from then on, and moto checks signatures and permissions (until
 * `enforceIam("inf")`). `prefix` keeps one test file's users apart from another's.
 */
export async function chatbotKey(prefix: string): Promise<Keys> {
  const everything = xmlField(
    await iam("CreatePolicy", {
      PolicyName: `${prefix}-administrator`,
      PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }),
    }),
    "Arn",
  );
  const chatbot = await userWith(`${prefix}-chatbot`, setting("PRODUCER_POLICY_ARN"));
  admin = await userWith(`${prefix}-administrator`, everything);
  aws = client(admin);
  await enforceIam(0);
  return chatbot;
}

export interface Message {
  MessageId: string;
  Body: string;
  ReceiptHandle: string;
  Attributes?: Record<string, string>;
}

/**
 * Every message on the queue: received (which hides them), then made visible again at once. SQS
 * hands out a FIFO group's messages in order, a later one only once the earlier are gone or
 * visible again, so they are read in passes, until one brings nothing new.
 */
export async function onTheQueue(): Promise<Message[]> {
  const seen = new Map<string, Message>();
  for (let pass = 0, before = -1; pass < 10 && seen.size > before; pass++) {
    before = seen.size;
    const { Messages = [] } = await call<{ Messages?: Message[] }>("sqs", "AmazonSQS.ReceiveMessage", {
      QueueUrl: QUEUE_URL,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: 30,
      MessageSystemAttributeNames: ["MessageGroupId", "MessageDeduplicationId"],
    });
    for (const m of Messages) {
      seen.set(m.MessageId, m);
    }
    if (Messages.length > 0) {
      await call("sqs", "AmazonSQS.ChangeMessageVisibilityBatch", {
        QueueUrl: QUEUE_URL,
        Entries: Messages.map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })),
      });
    }
  }
  return [...seen.values()];
}

/**
 * Takes every message `wanted` selects off the queue, reading until a receive brings nothing;
 * the others are made visible again. A FIFO group's next message comes only once the one before
 * it is gone, so each is deleted as soon as it is read: a copy that arrived twice is read twice.
 */
export async function takeFromTheQueue(wanted: (m: Message) => boolean): Promise<Message[]> {
  const [taken, others]: [Message[], Message[]] = [[], []];
  for (let pass = 0; pass < 100; pass++) {
    const { Messages = [] } = await call<{ Messages?: Message[] }>("sqs", "AmazonSQS.ReceiveMessage", {
      QueueUrl: QUEUE_URL,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: 30,
      MessageSystemAttributeNames: ["MessageGroupId", "MessageDeduplicationId"],
    });
    if (Messages.length === 0) {
      break;
    }
    const mine = Messages.filter(wanted);
    taken.push(...mine);
    others.push(...Messages.filter((m) => !wanted(m)));
    await batches("AmazonSQS.DeleteMessageBatch", mine, () => ({}));
  }
  await batches("AmazonSQS.ChangeMessageVisibilityBatch", others, () => ({ VisibilityTimeout: 0 }));
  return taken;
}

/** One SQS batch action on `messages`, ten at a time, every entry of which must succeed. */
async function batches(target: string, messages: Message[], entry: (m: Message) => object): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const { Failed = [] } = await call<{ Failed?: unknown[] }>("sqs", target, {
      QueueUrl: QUEUE_URL,
      Entries: messages.slice(i, i + 10).map((m, j) => ({ Id: `m${j}`, ReceiptHandle: m.ReceiptHandle, ...entry(m) })),
    });
    assert.deepEqual(Failed, [], target);
  }
}
