/**
 * A driver written in TypeScript and named by path: plain Node 20 cannot import `.ts`, so the host
 * registers tsx's loader and retries. Checked in a child `node` without any loader, against the
 * built package (dist/, which `npm ci` builds).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

const built = fileURLToPath(new URL("../../dist/host/module-import.js", import.meta.url));
const typed = pathToFileURL(
  fileURLToPath(new URL("../fixtures/typed-module.ts", import.meta.url)),
).href;

test("a .ts module loads through tsx in a Node without a TypeScript loader", {
  skip: existsSync(built) ? false : "dist/ is not built (npm run build)",
}, () => {
  const script = `const { importModuleFile } = await import(${JSON.stringify(pathToFileURL(built).href)});
const m = await importModuleFile(${JSON.stringify(typed)});
console.log(m.answer);`;
  const plain = spawnSync(
    "node",
    ["--input-type=module", "-e", `await import(${JSON.stringify(typed)})`],
    {
      encoding: "utf8",
    },
  );
  assert.notEqual(plain.status, 0, "plain Node refuses .ts");
  assert.match(plain.stderr, /ERR_UNKNOWN_FILE_EXTENSION/);
  const out = spawnSync("node", ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(out.status, 0, out.stderr);
  assert.equal(out.stdout.trim(), "42");
});

test("the package exports ndis-ts/verify: the built suite runs the built passthrough", {
  skip: existsSync(built) ? false : "dist/ is not built (npm run build)",
}, () => {
  // A package can import itself by name through its "exports" (Node's self-reference).
  const script = `const { runConformance } = await import("ndis-ts/verify");
const pt = await import("ndis-ts/drivers/passthrough");
const report = await runConformance(pt, { only: ["race-oid-cancel"], runs: 5 });
console.log(report.results.map((r) => r.name + " " + r.status + " " + r.runs).join());`;
  const out = spawnSync("node", ["--input-type=module", "-e", script], {
    encoding: "utf8",
    cwd: fileURLToPath(new URL("../../", import.meta.url)),
  });
  assert.equal(out.status, 0, out.stderr);
  assert.equal(out.stdout.trim(), "race-oid-cancel pass 6");
});
