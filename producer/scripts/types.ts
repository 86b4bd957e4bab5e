// src/events.ts from docs/events.schema.json, which shared-types derives: the producer's event
// types are generated, never written. `make schema` runs this after writing the schema; the
// producer's tests fail while the committed file differs from what this generates.

import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { compile } from "json-schema-to-typescript";

/** The producer's folder: this runs from producer/dist/scripts/. */
const PRODUCER = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const SCHEMA = join(PRODUCER, "..", "docs", "events.schema.json");
export const TYPES = join(PRODUCER, "src", "events.ts");

/** The TypeScript of the schema's types. */
export async function generate(): Promise<string> {
  const schema = JSON.parse(readFileSync(SCHEMA, "utf8")) as Parameters<typeof compile>[0];
  return compile(schema, "AnalyticsEvent", {
    bannerComment:
      "/* Generated from docs/events.schema.json (derived from shared-types) by `make schema`: do not edit. */",
    // Unknown keys are tolerated by the processor, never sent by the producer.
    additionalProperties: false,
    // `sourcesUsed` is at most 20 strings: an array, not twenty tuple types.
    maxItems: -1,
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(TYPES, await generate());
  console.error(`wrote ${TYPES}`);
}
