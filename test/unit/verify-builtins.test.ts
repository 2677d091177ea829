/**
 * `ndis verify <built-in id>` works for every built-in driver the help lists that runs without
 * the real world: the ids that need configuration (vlan-mux, team, ipv4-host, pcap) get what
 * `--stack` gives from their example stack file (read from examples/ each time, so a change to
 * the example reaches verify), vxlan tunnels over the loopback interface, and every applicable
 * scenario passes its plain run; tap, whose wire is a macvtap device, is one line saying what to
 * pass. A driver that does not come up on the suite's rig — here vlan-mux without its
 * configuration, and vxlan with a bad address — is one clear error that says what did not happen
 * and how to configure it: no scenario runs, the command reports one failed result (`bring-up`)
 * in every output and exits 1, as for any driver that fails.
 */
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { VerifyUsageError, verify } from "../../src/cli/commands/verify.js";
import { createOutput } from "../../src/cli/output.js";
import { builtinDriverIds, loadStackFile } from "../../src/stack/index.js";
import {
  builtinPath,
  builtinVerifyConfig,
  configFromRegistryArgs,
  configFromStack,
  mergeConfig,
} from "../../src/verify/config.js";
import { DriverNotUp, runConformance } from "../../src/verify/index.js";

const driver = (id: string) => builtinPath(id) as string;
const EXAMPLES = fileURLToPath(new URL("../../examples/", import.meta.url));
/** The text without colour: CI=true (or FORCE_COLOR) colours the verdicts. */
function plain(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes start with ESC.
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

/** Built-in ids whose wire is the real world and no loopback stands in for (a macvtap device). */
const NEEDS_THE_WORLD = ["tap"];

describe("ndis verify on the built-in drivers", () => {
  for (const id of builtinDriverIds().filter((id) => !NEEDS_THE_WORLD.includes(id)))
    test(`${id}: every applicable scenario passes its plain run`, async () => {
      const config = builtinVerifyConfig(id);
      const report = await runConformance(driver(id), {
        plain: true,
        ...(config === undefined ? {} : { config }),
      });
      assert.deepEqual(
        report.results.filter((r) => r.status === "fail").map((r) => `${r.name}: ${r.failure}`),
        [],
      );
      assert.ok(report.results.length > 0, `${id}: no scenario ran`);
    });

  test("the command gives a built-in id its default configuration: ndis verify vlan-mux runs its scenarios and exits 0", async () => {
    let text = "";
    const code = await verify(
      {
        driver: "vlan-mux",
        plain: true,
        jobs: 1,
        only: ["bring-up-adapter-first", "oid-requests"],
      },
      createOutput((t) => {
        text += plain(t);
      }),
    );
    assert.equal(code, 0, text);
    assert.match(text, /2 passed, 0 failed/);
  });
});

test("--registry binding.key=value wins over a default's (or a stack file's) value of one binding", () => {
  const base = builtinVerifyConfig("vlan-mux") ?? {};
  const merged = mergeConfig(base, configFromRegistryArgs(["binding.UpperBindings=v1,v2"]));
  assert.deepEqual(merged.bindings?.eth0?.UpperBindings, ["v1", "v2"]);
  assert.deepEqual(merged.bindings?.eth1?.UpperBindings, ["v1", "v2"]);
  assert.deepEqual(merged.devices, base.devices, "the devices are the default's");
});

describe("miniports whose wire is the real world", () => {
  test("ndis verify vxlan: its tunnels run over the loopback interface, every frame the suite sends leaves as a VXLAN datagram", async () => {
    // A UDP socket of the test's own stands in for the far end (RemotePort), on 127.0.0.1 only.
    const far = createSocket("udp4");
    const datagrams: Buffer[] = [];
    far.on("message", (message) => datagrams.push(message));
    await new Promise<void>((resolve) => far.bind(0, "127.0.0.1", resolve));
    try {
      const port = far.address().port;
      let text = "";
      const code = await verify(
        {
          driver: "vxlan",
          plain: true,
          jobs: 1,
          only: ["miniport-lifecycle"],
          registry: [`lower0.RemotePort=${port}`, `lower1.RemotePort=${port}`],
        },
        createOutput((t) => {
          text += plain(t);
        }),
      );
      assert.equal(code, 0, text);
      assert.match(text, /1 passed, 0 failed/);
      // Sent before the command returned; a limit (not a wait) in case none ever was.
      if (datagrams.length === 0)
        await once(far, "message", { signal: AbortSignal.timeout(5_000) });
      // Flags 0x08 (a VNI follows) and VNI 42, the default's.
      assert.equal(datagrams[0]?.[0], 0x08);
      assert.equal(datagrams[0]?.readUIntBE(4, 3), 42);
    } finally {
      far.close();
    }
  });

  test("ndis verify tap without a wire: one line saying why and what to pass, nothing run (exit 2)", async () => {
    let text = "";
    await assert.rejects(
      verify(
        { driver: "tap", plain: true, jobs: 1 },
        createOutput((t) => {
          text += t;
        }),
      ),
      (err: unknown) =>
        err instanceof VerifyUsageError &&
        !err.message.includes("\n") &&
        /macvtap/.test(err.message) &&
        /--registry lower0\.Parent=<interface> lower1\.Parent=<interface>/.test(err.message) &&
        /--jobs 1/.test(err.message) &&
        /--stack <file>/.test(err.message),
    );
    assert.equal(text, "", "nothing ran");
  });

  test("ndis verify tap with a wire given runs: here one that does not exist fails its bring-up", async () => {
    let text = "";
    const code = await verify(
      { driver: "tap", plain: true, jobs: 1, registry: ["lower0.Link=ndis-tidy-none"] },
      createOutput((t) => {
        text += plain(t);
      }),
    );
    assert.equal(code, 1, text);
    assert.match(text, /bring-up/);
    assert.match(text, /0 passed, 1 failed/);
  });
});

describe("the defaults are the example stack files", () => {
  test("ndis verify <id> gets what --stack examples/<its example> gives", async () => {
    for (const [id, file] of [
      ["vlan-mux", "vlan-mux.yaml"],
      ["team", "team.yaml"],
      ["ipv4-host", "pcap-replay.yaml"],
      ["pcap", "pcap-replay.yaml"],
    ] as const) {
      const { name: _name, ...fromStack } = configFromStack(
        await loadStackFile(join(EXAMPLES, file)),
        id,
      );
      assert.deepEqual(builtinVerifyConfig(id), fromStack, id);
    }
    assert.equal(builtinVerifyConfig("passthrough"), undefined, "passthrough needs none");
  });

  test("a change to the example reaches verify", () => {
    const dir = mkdtempSync(join(tmpdir(), "ndis-examples-"));
    const team = readFileSync(join(EXAMPLES, "team.yaml"), "utf8");
    assert.match(team, /DownDelayMs: 200/);
    writeFileSync(join(dir, "team.yaml"), team.replace("DownDelayMs: 200", "DownDelayMs: 350"));
    assert.equal(builtinVerifyConfig("team", dir)?.devices?.team0?.DownDelayMs, 350);
    assert.deepEqual(builtinVerifyConfig("team", dir)?.lowers, ["m1", "m2"]);
  });

  test("a miniport's adapters are its lower adapters, its file values resolved against the stack file", () => {
    const pcap = builtinVerifyConfig("pcap");
    assert.deepEqual(pcap?.lowers, ["cap0"]);
    assert.equal(pcap?.devices?.cap0?.File, join(EXAMPLES, "peer-pings.pcap"));
  });
});

describe("a driver that does not come up", () => {
  test("is one error naming what did not happen, not a failure per scenario", async () => {
    const started: string[] = [];
    await assert.rejects(
      runConformance(driver("vlan-mux"), {
        plain: true,
        onScenarioStart: (s) => started.push(s.name),
      }),
      (err: unknown) =>
        err instanceof DriverNotUp &&
        /did not come up/.test(err.message) &&
        /started 0 virtual miniport\(s\) over 1 lower adapter\(s\)/.test(err.message) &&
        /--stack/.test(err.message) &&
        /--registry/.test(err.message) &&
        /docs\/verify\.md/.test(err.message),
    );
    assert.deepEqual(started, [], "no scenario was started");
  });

  test("its configuration given, the same driver comes up", async () => {
    const report = await runConformance(driver("vlan-mux"), {
      plain: true,
      only: ["bring-up-adapter-first"],
      config: builtinVerifyConfig("vlan-mux") ?? {},
    });
    assert.equal(report.failed, 0, report.results[0]?.failure ?? "");
  });

  test("on the command line: one failed result, bring-up, in the text, --json and JUnit outputs; exit 1; no scenario run", async () => {
    let text = "";
    const out = createOutput((t) => {
      text += plain(t);
    });
    const junit = join(mkdtempSync(join(tmpdir(), "ndis-notup-")), "report.xml");
    // vxlan with an address that is none: its MiniportInitializeEx fails.
    const registry = ["lower0.RemoteAddress=nowhere", "lower1.RemoteAddress=nowhere"];
    const code = await verify({ driver: "vxlan", plain: true, jobs: 1, junit, registry }, out);
    assert.equal(code, 1);
    const failed = text.split("\n").filter((line) => line.includes("✖"));
    assert.ok(failed.length >= 1 && failed.every((line) => line.includes("bring-up")), text);
    assert.match(text, /MiniportInitializeEx/);
    assert.match(text, /Check the configuration given \(--stack, --registry\)/);
    assert.match(text, /0 passed, 1 failed/);
    const xml = readFileSync(junit, "utf8");
    assert.match(xml, /tests="1" failures="1"/);
    assert.match(xml, /name="bring-up"/);
    let json = "";
    const code2 = await verify(
      { driver: "vxlan", plain: true, jobs: 2, json: true, registry },
      createOutput(
        (t) => {
          json += t;
        },
        { json: true },
      ),
    );
    assert.equal(code2, 1);
    const records = json
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string; name?: string; failed?: number });
    assert.deepEqual(
      records.map((r) => r.type),
      ["scenario", "summary"],
    );
    assert.equal(records[0]?.name, "bring-up");
    assert.equal(records[1]?.failed, 1);
  });
});
