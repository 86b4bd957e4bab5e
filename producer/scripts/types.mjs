// src/events.ts from docs/events.schema.json, which shared-types derives: the producer's event
// types and limits are generated, never written. `make schema` runs it after writing the schema;
// with --check it writes nothing and fails when src/events.ts is not what it would write (the
// producer's tests run that).

import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { compile } from "json-schema-to-typescript";

const PRODUCER = join(dirname(fileURLToPath(import.meta.url)), "..");
const SCHEMA = join(PRODUCER, "..", "docs", "events.schema.json");
const TYPES = join(PRODUCER, "src", "events.ts");

/** The schema's value at `path` (in the event `title`, or at the root without one), which must
 * be of `type`: the schema changed if it is not. */
function limit(schema, title, path, type = "number") {
  const event = title ? schema.oneOf.find((variant) => variant.title === title) : schema;
  const value = path.reduce((node, key) => node?.[key], event);
  if (typeof value !== type) {
    throw new Error(`${title}.${path.join(".")} is no ${type} in ${SCHEMA}: update scripts/types.mjs`);
  }
  return value;
}

async function generate() {
  const schema = JSON.parse(readFileSync(SCHEMA, "utf8"));
  const types = await compile(schema, "AnalyticsEvent", {
    bannerComment:
      "/* Generated from docs/events.schema.json (derived from shared-types) by `make schema`: do not edit. */",
    // Unknown keys are tolerated by the processor, never sent by the producer.
    additionalProperties: false,
    // `sourcesUsed` is at most 20 strings: an array, not twenty tuple types.
    maxItems: -1,
  });
  const limits = {
    body: limit(schema, undefined, ["x-maxBodyBytes"]),
    query: limit(schema, "QueryEvent", ["properties", "query", "maxLength"]),
    sessionId: limit(schema, "QueryEvent", ["properties", "sessionId", "maxLength"]),
    userAgent: limit(schema, "QueryEvent", ["properties", "metadata", "properties", "userAgent", "maxLength"]),
    referer: limit(schema, "QueryEvent", ["properties", "metadata", "properties", "referer", "maxLength"]),
    reasoning: limit(schema, "ResponseEvent", ["properties", "reasoning", "maxLength"]),
    sources: limit(schema, "ResponseEvent", ["properties", "metadata", "properties", "sourcesUsed", "maxItems"]),
    source: limit(schema, "ResponseEvent", ["properties", "metadata", "properties", "sourcesUsed", "items", "maxLength"]),
  };
  const entries = Object.entries(limits).map(([name, value]) => `  ${name}: ${value},`);
  const question = limit(schema, "QueryEvent", ["properties", "query", "pattern"], "string");
  return `${types}
/** The schema's limits: the body's bytes (UTF-8); the fields' characters (code points) or items. */
export const LIMITS = {
${entries.join("\n")}
} as const;

/** What a question must hold (the schema's pattern): a character that is not white space, as the processor counts it. */
export const QUESTION_PATTERN = new RegExp(${JSON.stringify(question)});
`;
}

const text = await generate();
if (process.argv.includes("--check")) {
  if (readFileSync(TYPES, "utf8") !== text) {
    console.error(`${TYPES} is not what ${SCHEMA} generates: run \`make schema\` and commit it`);
    process.exit(1);
  }
} else {
  writeFileSync(TYPES, text);
  console.error(`wrote ${TYPES}`);
}
