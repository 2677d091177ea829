/**
 * The stack file loader: good files come back typed, bad ones are refused with every problem
 * named as file:line:col and what was expected.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ManualClock } from "../../src/index.js";
import {
  durationMs,
  loadStackFile,
  parseStack,
  StackFileError,
  stackFileJsonSchema,
  startStack,
  stopStack,
} from "../../src/stack/index.js";

/** The problems parseStack reports for `text`, as `line:col: message` strings. */
function problems(text: string): string[] {
  try {
    parseStack(text, "bad.yaml");
  } catch (err) {
    assert.ok(err instanceof StackFileError, String(err));
    for (const p of err.problems) assert.equal(p.file, "bad.yaml");
    assert.match(err.message, /^bad\.yaml:\d+:\d+: /);
    return err.problems.map(
      (p) => `${p.line}:${p.col}: ${p.path === "" ? "" : `${p.path}: `}${p.message}`,
    );
  }
  assert.fail("the stack file was accepted");
}

describe("stack file: accepted", () => {
  test("a full YAML file comes back with its defaults filled in", () => {
    const stack = parseStack(
      `ndis:
  version: "6.30"
  verifier: strict
drivers:
  - name: passthrough
    module: passthrough
  - name: testmp
    module: test-miniport
    registry: { Speed: 1000, Name: fast, Tags: [a, b] }
adapters:
  - { name: eth0, driver: testmp, registry: { NetworkAddress: "02-00-00-00-00-09" } }
devices:
  eth0-pt: { Mode: 1 }
run:
  duration: 1.5s
  events:
    - at: 500ms
      link: { adapter: eth0, up: false }
`,
      "good.yaml",
    );
    assert.equal(stack.file, "good.yaml");
    assert.equal(stack.spec.ndis?.version, "6.30");
    assert.equal(stack.spec.bindings, "all");
    assert.deepEqual(stack.spec.drivers[1]?.registry, {
      Speed: 1000,
      Name: "fast",
      Tags: ["a", "b"],
    });
    assert.equal(stack.spec.run?.events[0]?.link.up, false);
    assert.equal(durationMs(stack.spec.run?.duration ?? ""), 1500);
  });

  test("JSON is a stack file too", () => {
    const stack = parseStack(
      JSON.stringify({
        drivers: [{ name: "t", module: "test-miniport" }],
        adapters: [{ name: "eth0", driver: "t" }],
        bindings: [{ protocol: "p", adapter: "eth0", registry: { IPAddress: "169.254.0.1" } }],
      }),
      "stack.json",
    );
    assert.deepEqual(stack.spec.bindings, [
      { protocol: "p", adapter: "eth0", registry: { IPAddress: "169.254.0.1" } },
    ]);
  });

  test("durations: ms, s, m; anything else is refused", () => {
    assert.equal(durationMs("250ms"), 250);
    assert.equal(durationMs("3s"), 3000);
    assert.equal(durationMs("2m"), 120_000);
    assert.equal(durationMs("1h"), 3_600_000);
    assert.throws(() => durationMs("3 s"), RangeError);
  });
});

describe("stack file: refused with file:line:col", () => {
  test("a YAML syntax error names its line and column", () => {
    const found = problems("drivers:\n  - name: a\n    module: [passthrough\n");
    assert.equal(found.length, 1);
    assert.match(found[0] ?? "", /^\d+:\d+: YAML syntax: /);
    assert.match(found[0] ?? "", /^(3|4):/);
  });

  test("a wrong type points at the value and says what was expected", () => {
    const found = problems(
      "drivers:\n  - name: t\n    module: test-miniport\n    registry:\n      Speed: -1\nadapters: eth0\n",
    );
    assert.deepEqual(found, [
      "5:14: drivers[0].registry.Speed: expected a REG_DWORD: an integer 0…4294967295",
      "6:11: adapters: expected a list of adapters",
    ]);
  });

  test("an unknown key points at the key and lists the known ones", () => {
    const found = problems("drivers:\n  - name: t\n    modul: test-miniport\n");
    assert.deepEqual(found, [
      '2:5: drivers[0]: missing "module": expected a built-in driver id or a path to a driver module',
      '3:5: drivers[0].modul: unknown key "modul": expected one of name, module, registry',
    ]);
  });

  test("an unknown top-level key", () => {
    assert.deepEqual(problems("drivers: [{ name: t, module: pcap }]\nadaptors: []\n"), [
      '2:1: adaptors: unknown key "adaptors": expected one of ndis, drivers, adapters, bindings, devices, run, capture',
    ]);
  });

  test("an unknown driver names the built-ins", () => {
    const found = problems("drivers:\n  - name: x\n    module: e1000\n");
    assert.equal(found.length, 1);
    assert.match(
      found[0] ?? "",
      /^3:13: drivers\[0\]\.module: unknown driver "e1000": expected a built-in driver \(capture, filter-passthrough, hub, ipv4-host, netem, passthrough, pcap, raw, tap, team, test-miniport, vlan-mux, vxlan\) or a path to a driver module \(\.\/my-driver\.ts\)$/,
    );
  });

  test("an adapter of a driver not listed, and a link event for an adapter not listed", () => {
    assert.deepEqual(
      problems(
        "drivers: [{ name: t, module: test-miniport }]\nadapters:\n  - { name: eth0, driver: tt }\nrun:\n  events:\n    - { at: 1s, link: { adapter: eth9, up: true } }\n",
      ),
      [
        '3:27: adapters[0].driver: no driver named "tt": expected one of the drivers listed (t)',
        '6:34: run.events[0].link.adapter: no adapter named "eth9": expected one of the adapters listed',
      ],
    );
  });

  test("an NDIS version written as a number, and one NDIS never had", () => {
    const found = problems("ndis: { version: 6.30 }\ndrivers: [{ name: t, module: pcap }]\n");
    assert.match(found[0] ?? "", /^1:18: ndis\.version: expected a quoted NDIS version string/);
    const never = problems('ndis: { version: "6.3" }\ndrivers: [{ name: t, module: pcap }]\n');
    assert.match(
      never[0] ?? "",
      /^1:18: ndis\.version: expected an NDIS 6 version \(6\.0, 6\.1, 6\.20/,
    );
  });

  test("a bad duration and a duplicate driver name", () => {
    assert.deepEqual(
      problems(
        "drivers:\n  - { name: t, module: pcap }\n  - { name: t, module: pcap }\nrun: { duration: 5 seconds }\n",
      ),
      ['4:18: run.duration: expected a duration such as "500ms", "3s" or "2m"'],
    );
    assert.deepEqual(
      problems("drivers:\n  - { name: t, module: pcap }\n  - { name: t, module: pcap }\n"),
      ["3:13: drivers[1].name: driver t is listed twice: expected unique service names"],
    );
  });

  test("an empty file, and a file that does not exist", async () => {
    assert.match(problems("")[0] ?? "", /^1:1: the file is empty/);
    const dir = mkdtempSync(join(tmpdir(), "ndis-stack-"));
    await assert.rejects(loadStackFile(join(dir, "none.yaml")), (err: unknown) => {
      assert.ok(err instanceof StackFileError);
      assert.match(err.message, /none\.yaml:1:1: cannot read the stack file: no such file/);
      return true;
    });
    writeFileSync(join(dir, "s.yaml"), "drivers: [{ name: t, module: pcap }]\n");
    const stack = await loadStackFile(join(dir, "s.yaml"));
    assert.equal(stack.baseDir, dir);
  });
});

describe("stack file: a driver of one's own", () => {
  test("a module path is resolved against the stack file's folder and loaded", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ndis-own-"));
    const driver = fileURLToPath(
      new URL("../../src/drivers/test-miniport/index.ts", import.meta.url),
    );
    writeFileSync(
      join(dir, "own.yaml"),
      `drivers: [{ name: mine, module: ${JSON.stringify(relative(dir, driver))} }]\nadapters: [{ name: eth0, driver: mine }]\n`,
    );
    const running = await startStack(await loadStackFile(join(dir, "own.yaml")), {
      clock: new ManualClock(),
    });
    assert.deepEqual(running.problems, []);
    assert.equal(running.host.adapter("eth0")?.state, "Running");
    assert.deepEqual((await stopStack(running)).liveObjects, []);
  });
});

describe("stack file: JSON Schema", () => {
  test("the schema names every top-level key and forbids others", () => {
    const schema = stackFileJsonSchema() as {
      properties: Record<string, unknown>;
      additionalProperties: boolean;
      required: string[];
    };
    assert.deepEqual(Object.keys(schema.properties).sort(), [
      "adapters",
      "bindings",
      "capture",
      "devices",
      "drivers",
      "ndis",
      "run",
    ]);
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(schema.required, ["drivers"]);
  });
});
