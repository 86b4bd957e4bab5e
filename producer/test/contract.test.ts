// The poison corpus as a JavaScript reader sees it: JSON.parse, then the schema with ajv. Every
// body the processor refuses is refused here too, but those named in
// processor/tests/poison/schema-cannot.tsv (what a schema cannot say); every body it stores is
// accepted. The Rust side (processor/tests/it/contract.rs) checks the same with serde_json.

import assert from "node:assert/strict";
import { test } from "node:test";

import { repositoryFile, schemaErrors } from "./support.js";

function rows(path: string): string[][] {
  return repositoryFile(path)
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .map((line) => line.split("\t"));
}

test("ajv refuses every poison body the processor refuses, but the named few", () => {
  const named = new Map(rows("processor/tests/poison/schema-cannot.tsv").map(([file, why]) => [file, why]));
  let refusals = 0;
  let refused = 0;
  for (const [file = "", outcome] of rows("processor/tests/poison/expected.tsv")) {
    const body = repositoryFile(`processor/tests/poison/${file}`);
    let accepted: boolean;
    try {
      accepted = schemaErrors(body).length === 0;
    } catch {
      accepted = false; // not JSON to JSON.parse either
    }
    const expected = outcome === "accept" || named.has(file);
    assert.equal(accepted, expected, `${file}: ${named.get(file) ?? outcome}`);
    refusals += outcome === "reject" ? 1 : 0;
    refused += outcome === "reject" && !accepted ? 1 : 0;
  }
  assert.equal(refusals - refused, named.size, "every named body is in the corpus");
  console.log(`poison corpus through JSON.parse and ajv: ${refused} of ${refusals} refusals refused; ${named.size} named`);
});

test("ajv refuses a question of white space alone exactly as the processor counts white space", () => {
  // The processor refuses what Rust's char::is_whitespace calls white space: Unicode's
  // White_Space, the 25 code points below (the highest is U+3000).
  const white = new Set([
    0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005,
    0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
  ]);
  let checked = 0;
  for (const point of [...Array(0x3101).keys(), 0xfeff, 0x1f600]) {
    if (point >= 0xd800 && point <= 0xdfff) {
      continue; // no character
    }
    const c = String.fromCodePoint(point);
    const body = JSON.stringify({ eventType: "query", requestId: "r-1", timestamp: 1_762_607_658_821, query: c + c });
    assert.equal(/^\p{White_Space}$/u.test(c), white.has(point), `the list, at U+${point.toString(16)}`);
    assert.equal(schemaErrors(body).length === 0, !white.has(point), `U+${point.toString(16).padStart(4, "0")}`);
    checked++;
  }
  assert.ok(checked > 10_000);
});
