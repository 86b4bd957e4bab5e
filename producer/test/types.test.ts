// The producer's event types are those the schema (and so shared-types) gives.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { generate, TYPES } from "../scripts/types.js";

test("src/events.ts is what docs/events.schema.json generates (make schema)", async () => {
  assert.equal(readFileSync(TYPES, "utf8"), await generate(), "run `make schema` and commit src/events.ts");
});
