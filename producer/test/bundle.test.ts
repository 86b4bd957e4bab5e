// The module bundles for a Worker as Wrangler bundles it (esbuild, the Workers' conditions, no
// Node built-ins): what it uses is what Workers have. Prints the bundle's size.

import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";

import { build } from "esbuild";

import { ROOT } from "./support.js";

test("src/index.ts bundles for Workers without Node's built-ins", async () => {
  const result = await build({
    entryPoints: [join(ROOT, "producer", "src", "index.ts")],
    bundle: true,
    format: "esm",
    // A browser-like platform: a `node:` import, or a package that needs one, fails the build.
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    target: "es2022",
    minify: true,
    write: false,
    logLevel: "silent",
  });
  assert.deepEqual(result.errors, []);
  const [bundle] = result.outputFiles;
  assert.ok(bundle);
  assert.doesNotMatch(bundle.text, /\brequire\(|from\s*"node:/);
  for (const name of ["logQuery", "logResponse"]) {
    assert.match(bundle.text, new RegExp(`\\b${name}\\b`), `${name} is exported`);
  }
  console.log(`producer bundle for Workers: ${bundle.contents.byteLength} bytes minified (aws4fetch included)`);
});
