// What the producer's tests share: a Worker's ExecutionContext that keeps what it is given,
// the event schema (docs/events.schema.json) as a validator, and the repository's files.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { Ajv2020 } from "ajv/dist/2020.js";

import type { AnalyticsEvent } from "../src/index.js";

/** The repository's root: the tests run from producer/dist/test/. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export function repositoryFile(path: string): string {
  return readFileSync(join(ROOT, path), "utf8");
}

/** A Worker's `ctx`: what it was asked to keep alive, to be awaited as the runtime would. */
export class Context {
  readonly kept: Promise<unknown>[] = [];

  waitUntil(promise: Promise<unknown>): void {
    this.kept.push(promise);
  }

  /** Waits for every send, as the runtime does after the response; true if none rejected. */
  async settled(): Promise<boolean> {
    const results = await Promise.allSettled(this.kept);
    return results.every((r) => r.status === "fulfilled");
  }
}

// The schema's `format`s (int64, uint32, double) are annotations for readers, not checks.
const ajv = new Ajv2020({ allErrors: true, validateFormats: false });
// The body's bound, an annotation for producers (a schema's keywords bound fields, not bodies).
ajv.addKeyword({ keyword: "x-maxBodyBytes", schemaType: "number" });
const validate = ajv.compile(JSON.parse(repositoryFile("docs/events.schema.json")));

/** The schema's complaints about a message body: none when it is a valid event. */
export function schemaErrors(body: string): string[] {
  const event = JSON.parse(body) as AnalyticsEvent;
  return validate(event)
    ? []
    : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`);
}
