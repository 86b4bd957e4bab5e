// The producer's event types and limits are those the schema (and so shared-types) gives.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";

import { ROOT } from "./support.js";

test("src/events.ts is what docs/events.schema.json generates (make schema)", () => {
  const check = spawnSync(process.execPath, [join(ROOT, "producer", "scripts", "types.mjs"), "--check"], {
    encoding: "utf8",
  });
  assert.equal(check.status, 0, check.stderr);
});
