/**
 * What a newcomer met at the command line: `ndis --version`; an `--interval` with a floor; the
 * final table not printed below an identical live one; `verify` in colour like `run`, and both
 * plain under NO_COLOR; `ndis verify` resolving its path from the current directory and saying
 * what it expected; and start-up that loads a verb's modules only when that verb runs.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { TRACE_FORMATS } from "../../src/cli/commands/trace.js";
import { driverModuleArgument, VerifyUsageError } from "../../src/cli/commands/verify.js";
import {
  MIN_INTERVAL_MS,
  TRACE_FORMAT_CHOICES,
  VERIFIER_MODE_CHOICES,
} from "../../src/cli/options.js";
import { colourVerdict, createOutput } from "../../src/cli/output.js";
import { type HostStatistics, VERIFIER_MODES } from "../../src/index.js";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const MAIN = join(ROOT, "src/cli/main.ts");
const ESC = "\u001b";

function ndis(args: string[], env: Record<string, string> = {}, cwd = ROOT) {
  return spawnSync(
    process.execPath,
    ["--import", join(ROOT, "node_modules/tsx/dist/loader.mjs"), MAIN, ...args],
    {
      cwd,
      encoding: "utf8",
      timeout: 120_000,
      env: { ...process.env, NO_COLOR: "", FORCE_COLOR: "", CI: "", ...env },
    },
  );
}

describe("ndis --version and option floors", () => {
  test("--version prints the package's version", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    const r = ndis(["--version"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), pkg.version);
  });

  test(`--interval below ${MIN_INTERVAL_MS}ms is a usage error`, () => {
    const r = ndis(["run", "--interval", "0s"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--interval.*expected at least 100ms/);
  });

  test("the CLI's own choice lists are the runtime's", () => {
    assert.deepEqual([...VERIFIER_MODE_CHOICES], [...VERIFIER_MODES]);
    assert.deepEqual([...TRACE_FORMAT_CHOICES], [...TRACE_FORMATS]);
  });

  test("main.ts loads no verb's module up front (start-up pays only for commander)", () => {
    const source = readFileSync(MAIN, "utf8");
    const imports = [...source.matchAll(/^import\s+(type\s+)?[^;]*?from\s+"([^"]+)";/gms)]
      .filter((m) => m[1] === undefined)
      .map((m) => m[2]);
    assert.deepEqual(imports.sort(), [
      "../stack/duration.js",
      "./options.js",
      "commander",
      "node:fs",
    ]);
  });
});

describe("the live table", () => {
  const stats: HostStatistics = {
    adapters: [],
    bindings: [],
  } as unknown as HostStatistics;

  test("is erased before the final one, so the same table is not printed twice", () => {
    let text = "";
    const out = createOutput(
      (t) => {
        text += t;
      },
      { live: true },
    );
    out.counters(stats, 1000);
    const drawn = text.split("\n").length - 1;
    out.endLive();
    assert.ok(text.endsWith(`${ESC}[${drawn}A${ESC}[0J`), JSON.stringify(text));
    const before = text.length;
    out.line("ran 1.0s");
    out.endLive();
    assert.equal(
      text.length,
      before + "ran 1.0s\n".length,
      "nothing to erase once a line followed",
    );
  });
});

describe("colour", () => {
  test("verdicts: ✔ green, ✖ red, failures counted in red (when colour is on)", () => {
    const line = colourVerdict("[1/2] ✖ oid-requests (3 ms) — boom");
    const totals = colourVerdict("1 passed, 1 failed");
    // picocolors decides from the environment; when it colours, the marks carry it.
    if (line.includes(ESC)) {
      assert.match(line, new RegExp(`${ESC}\\[31m✖`));
      assert.match(totals, new RegExp(`${ESC}\\[32m1 passed`));
      assert.match(totals, new RegExp(`${ESC}\\[31m1 failed`));
    } else assert.equal(line, "[1/2] ✖ oid-requests (3 ms) — boom");
  });

  const verifyArgs = [
    "verify",
    "src/drivers/passthrough/index.ts",
    "--only",
    "bring-up-adapter-first",
    "--plain",
  ];
  test("ndis verify is coloured when colour is wanted", () => {
    const r = ndis(verifyArgs, { FORCE_COLOR: "1" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`${ESC}\\[32m✔`));
  });

  test("NO_COLOR: neither verify nor run prints an escape", () => {
    const v = ndis(verifyArgs, { FORCE_COLOR: "1", NO_COLOR: "1" });
    assert.equal(v.status, 0, v.stderr);
    assert.ok(!v.stdout.includes(ESC), v.stdout);
    const r = ndis(["run", "examples/passthrough.yaml"], { FORCE_COLOR: "1", NO_COLOR: "1" });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!r.stdout.includes(ESC));
  });
});

describe("ndis verify <path>", () => {
  const elsewhere = mkdtempSync(join(tmpdir(), "ndis-cwd-"));

  test("a relative path is resolved from the current directory", () => {
    assert.equal(
      driverModuleArgument("src/drivers/passthrough/index.ts", ROOT),
      join(ROOT, "src/drivers/passthrough/index.ts"),
    );
    assert.equal(
      driverModuleArgument("ndis-ts/drivers/passthrough", ROOT),
      "ndis-ts/drivers/passthrough",
    );
  });

  test("a missing file names the path it looked for and what was expected", () => {
    const r = ndis(["verify", "./nothere.ts"], {}, elsewhere);
    assert.equal(r.status, 2);
    assert.match(
      r.stderr,
      new RegExp(
        `no such file \\(looked for ${join(elsewhere, "nothere.ts")}\\); expected an IM driver module`,
      ),
    );
    assert.doesNotMatch(r.stderr, /dist\/host|node:internal/);
  });

  test("a stack file is refused with what to run instead", () => {
    assert.throws(
      () => driverModuleArgument("examples/hub-ping.yaml", ROOT),
      (e: unknown) =>
        e instanceof VerifyUsageError &&
        /is a stack file, not a driver module.*ndis run examples\/hub-ping\.yaml/.test(e.message),
    );
    const r = ndis(["verify", join(ROOT, "examples/hub-ping.yaml")], {}, elsewhere);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /is a stack file/);
  });

  test("ndis run with a missing stack file names the path it looked for", () => {
    const r = ndis(["run", "./nothere.yaml"], {}, elsewhere);
    assert.equal(r.status, 2);
    assert.match(r.stderr, new RegExp(`looked for ${join(elsewhere, "nothere.yaml")}`));
  });
});
