/**
 * `ndis verify` for the kinds of driver besides the 1:1 IM (docs/verify.md "Driver kinds"): the
 * kind is found from what DriverEntry registers; the three sample filters pass with the explorer
 * on; vlan-mux (1:N) and team (N:1) pass in their example configurations (`--stack`); and a
 * planted bug per kind is found, with a replay token the shipped driver passes.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadStackFile } from "../../src/stack/index.js";
import { builtinPath, configFromRegistryArgs, configFromStack } from "../../src/verify/config.js";
import {
  checkDriverKind,
  DriverNotUp,
  importDriver,
  NotAnImDriver,
  replayRun,
  runConformance,
  type VerifyConfig,
} from "../../src/verify/index.js";
import { plantedKinds } from "../fixtures/planted-kinds.js";
import { materialize } from "../helpers/mutants.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const driver = (id: string) => builtinPath(id) as string;

async function stackConfig(file: string, id: string): Promise<VerifyConfig> {
  const { name: _name, ...config } = configFromStack(
    await loadStackFile(`${ROOT}examples/${file}`),
    driver(id),
  );
  return config;
}

describe("driver kinds", () => {
  test("the kind comes from what DriverEntry registers; a module that registers nothing is one error", async () => {
    const kind = async (id: string) => checkDriverKind(await importDriver(driver(id)), "k", id);
    assert.equal(await kind("filter-passthrough"), "filter");
    assert.equal(await kind("passthrough"), "im");
    assert.equal(await kind("vlan-mux"), "im");
    assert.equal(await kind("hub"), "miniport");
    assert.equal(await kind("ipv4-host"), "protocol");
    await assert.rejects(
      checkDriverKind({ DriverEntry: () => 0 }, "k", "empty"),
      (err: unknown) => err instanceof NotAnImDriver && /registered nothing/.test(err.message),
    );
  });

  test("filter-passthrough passes every stack scenario and filter-attach-detach with the explorer on; the IM-only one is skipped with its reason", async () => {
    const report = await runConformance(driver("filter-passthrough"), { runs: 10 });
    assert.equal(report.kind, "filter");
    assert.deepEqual(
      report.results.filter((r) => r.status === "fail").map((r) => `${r.name}: ${r.failure}`),
      [],
    );
    assert.equal(report.results.length, 23);
    assert.deepEqual(
      report.skipped?.find((s) => s.name === "race-disable-vm"),
      {
        name: "race-disable-vm",
        reason: "not for a filter driver (it checks an intermediate driver)",
      },
    );
    assert.ok(report.skipped?.every((s) => /^not for a filter driver/.test(s.reason)));
  });

  for (const id of ["capture", "netem"])
    test(`${id} passes the race scenarios with the explorer on`, async () => {
      const report = await runConformance(driver(id), {
        runs: 8,
        only: [
          "pause-restart-under-traffic",
          "race-pause-traffic",
          "race-unbind-receives",
          "race-surprise-removal",
        ],
      });
      assert.deepEqual(
        report.results.filter((r) => r.status === "fail").map((r) => `${r.name}: ${r.failure}`),
        [],
      );
    });

  test("a filter planted with a bug (netem counting RESOURCES receives) fails with a replay token the shipped netem passes", async () => {
    const mutant = plantedKinds["netem-resources-counted"];
    const path = materialize(mutant);
    const report = await runConformance(path, { only: [mutant.scenario] });
    const result = report.results[0];
    assert.equal(result?.status, "fail");
    assert.equal(result?.rule, "NdisTimedPauseComplete");
    assert.match(
      result?.failure ?? "",
      /FilterPause of filter module imtest on lower0 has not completed/,
    );
    const token = result?.replay as string;
    assert.equal((await replayRun(token, path)).status, "fail");
    assert.equal((await replayRun(token, driver("netem"))).status, "pass");
  });

  test("vlan-mux (1:N) passes in examples/vlan-mux.yaml's configuration; without it, it starts no VELAN", async () => {
    const config = await stackConfig("vlan-mux.yaml", "vlan-mux");
    assert.deepEqual(config.lowers, ["eth0", "eth1"]);
    assert.deepEqual(config.bindings?.eth0, { UpperBindings: ["velan10a", "velan20a"] });
    const report = await runConformance(driver("vlan-mux"), { config, plain: true });
    assert.deepEqual(
      report.results.filter((r) => r.status === "fail").map((r) => `${r.name}: ${r.failure}`),
      [],
    );
    assert.equal(report.results.length, 23);
    // Without it: one error before any scenario (DriverNotUp), not a failure per scenario.
    await assert.rejects(
      runConformance(driver("vlan-mux"), { plain: true, only: ["bring-up-adapter-first"] }),
      (err: unknown) =>
        err instanceof DriverNotUp && /started 0 virtual miniport\(s\)/.test(err.message),
    );
  });

  test("vlan-mux waits for a VELAN's pended OID request before passing a PnP event up (SDV NdisMNetPnPEventInOIDRequest): the surprise-removal race verify found now passes", async () => {
    const config = await stackConfig("vlan-mux.yaml", "vlan-mux");
    const result = await replayRun("race-surprise-removal:random:1", driver("vlan-mux"), {
      config,
    });
    assert.equal(result.status, "pass", result.failure ?? "");
  });

  test("a MUX planted with a bug (a VELAN's pause ignores receives held above) is found; vlan-mux passes its token", async () => {
    const config = await stackConfig("vlan-mux.yaml", "vlan-mux");
    const mutant = plantedKinds["mux-pause-ignores-receives"];
    const path = materialize(mutant);
    const report = await runConformance(path, { config, only: [mutant.scenario] });
    const result = report.results[0];
    assert.equal(result?.rule, "MiniportPause_NblsOutstanding", result?.failure ?? "passed");
    const token = result?.replay as string;
    assert.equal((await replayRun(token, driver("vlan-mux"), { config })).status, "pass");
  });

  test("team (N:1) passes in examples/team.yaml's configuration, also under the explorer", async () => {
    const config = await stackConfig("team.yaml", "team");
    assert.deepEqual(config.lowers, ["m1", "m2"]);
    assert.equal(config.devices?.team0?.Primary, "m1");
    const plain = await runConformance(driver("team"), { config, plain: true });
    assert.deepEqual(
      plain.results.filter((r) => r.status === "fail").map((r) => `${r.name}: ${r.failure}`),
      [],
    );
    const explored = await runConformance(driver("team"), {
      config,
      runs: 25,
      only: ["link-status", "race-pause-traffic", "race-vm-pause-receives"],
    });
    assert.deepEqual(
      explored.results.filter((r) => r.status === "fail").map((r) => `${r.name}: ${r.failure}`),
      [],
    );
  });

  test("a team planted with a bug (a send completion ends the pause with receives held above) is found by the explorer; team passes its token", async () => {
    const config = await stackConfig("team.yaml", "team");
    const mutant = plantedKinds["team-pause-ignores-receives"];
    const path = materialize(mutant);
    const plain = await runConformance(path, { config, plain: true, only: [mutant.scenario] });
    assert.equal(plain.results[0]?.status, "pass", "only an interleaving shows it");
    const report = await runConformance(path, { config, only: [mutant.scenario] });
    const result = report.results[0];
    assert.equal(result?.rule, "MiniportPause_NblsOutstanding", result?.failure ?? "passed");
    const token = result?.replay as string;
    assert.equal((await replayRun(token, path, { config })).status, "fail");
    assert.equal((await replayRun(token, driver("team"), { config })).status, "pass");
  });
});

describe("a miniport alone and a protocol alone", () => {
  test("hub (a miniport) passes its scenarios with the explorer on; the stack scenarios are skipped", async () => {
    const report = await runConformance(driver("hub"), { runs: 20 });
    assert.equal(report.kind, "miniport");
    assert.deepEqual(
      report.results.map((r) => `${r.name}: ${r.status} ${r.failure ?? ""}`.trim()),
      [
        "miniport-lifecycle: pass",
        "miniport-pause-under-traffic: pass",
        "miniport-receive-pause: pass",
        "miniport-reset: pass",
        "miniport-oids: pass",
        "miniport-surprise-removal: pass",
      ],
    );
    assert.ok((report.skipped?.length ?? 0) > 20);
  });

  test("[MODEL] a miniport whose characteristics header says NDIS_OBJECT_TYPE_DEFAULT (as Microsoft's MUX sample writes it) is checked, not refused at load", async () => {
    const path = materialize({
      name: "hub-default-header-type",
      base: "hub",
      bug: "Header.Type of its characteristics is NDIS_OBJECT_TYPE_DEFAULT, which Windows accepts.",
      patches: [
        {
          file: "index.ts",
          find: "    Header: miniportCharacteristicsHeader(version),",
          replace: "    Header: { ...miniportCharacteristicsHeader(version), Type: 0x80 },",
        },
      ],
    });
    const report = await runConformance(path, { only: ["miniport-lifecycle"], plain: true });
    assert.equal(report.kind, "miniport");
    assert.deepEqual(
      report.results.map((r) => `${r.name}: ${r.status} ${r.failure ?? ""}`.trim()),
      ["miniport-lifecycle: pass"],
    );
  });

  test("a miniport with an MTU below 1500 (vxlan's 1450) that refuses longer frames passes: the suite's largest frames fit the adapter's MTU", async () => {
    const path = materialize({
      name: "hub-mtu-1450",
      base: "hub",
      bug: "None: an MTU of 1450 and NDIS_STATUS_INVALID_LENGTH for a longer frame are both legal.",
      patches: [
        { file: "oid.ts", find: "export const MTU = 1500;", replace: "export const MTU = 1450;" },
        {
          file: "datapath.ts",
          find: "      if (frame.length < 14) {",
          replace:
            "      if (frame.length > 14 + 1450) {\n        nbl.Status = 0xc0010014; // NDIS_STATUS_INVALID_LENGTH\n        continue;\n      }\n      if (frame.length < 14) {",
        },
      ],
    });
    const report = await runConformance(path, { only: ["miniport-lifecycle"], plain: true });
    assert.deepEqual(
      report.results.map((r) => `${r.name}: ${r.status} ${r.failure ?? ""}`.trim()),
      ["miniport-lifecycle: pass"],
    );
  });

  test("raw and ipv4-host (protocols, ipv4-host with its binding's IPAddress) pass their scenarios with the explorer on", async () => {
    for (const [id, config] of [
      ["raw", undefined],
      ["ipv4-host", configFromRegistryArgs(["binding.IPAddress=198.51.100.1"])],
    ] as const) {
      const report = await runConformance(driver(id), {
        runs: 20,
        ...(config === undefined ? {} : { config }),
      });
      assert.equal(report.kind, "protocol");
      assert.deepEqual(
        report.results
          .filter((r) => r.status === "fail")
          .map((r) => `${id} ${r.name}: ${r.failure}`),
        [],
      );
      assert.equal(report.results.length, 5);
    }
  });

  for (const [name, shipped] of [
    ["hub-address-truncated", "hub"],
    ["raw-returns-resources", "raw"],
  ] as const)
    test(`${name}: found with a replay token ${shipped} passes`, async () => {
      const mutant = plantedKinds[name];
      const path = materialize(mutant);
      const report = await runConformance(path, { only: [mutant.scenario] });
      const result = report.results[0];
      assert.equal(result?.status, "fail", `not found in ${result?.runs} runs`);
      assert.ok(mutant.rules.includes(result?.rule ?? null), result?.failure ?? "");
      const token = result?.replay as string;
      assert.equal((await replayRun(token, path)).status, "fail");
      assert.equal((await replayRun(token, driver(shipped))).status, "pass");
    });
});

describe("OID completions with every legal byte count", () => {
  test("a driver that reports the buffer's size as written passes the plain run and is caught by the explorer; passthrough passes its token", async () => {
    const mutant = plantedKinds["bytes-written-assumed"];
    const path = materialize(mutant);
    const plain = await runConformance(path, { plain: true, only: [mutant.scenario] });
    assert.equal(plain.results[0]?.status, "pass", "the plain answer fills the buffer exactly");
    const report = await runConformance(path, { only: [mutant.scenario] });
    const result = report.results[0];
    assert.equal(result?.status, "fail");
    assert.match(
      result?.failure ?? "",
      /the lower miniport wrote \d+ byte\(s\), the protocol above was told BytesWritten 8/,
    );
    const token = result?.replay as string;
    assert.equal((await replayRun(token, driver("passthrough"))).status, "pass");
  });
});

describe("--registry and --stack", () => {
  test("key=value is a Parameters value, binding.key every lower binding's, DEVICE.key a device's; numbers and lists are read as such", () => {
    assert.deepEqual(
      configFromRegistryArgs([
        "DelayMs=20",
        "Mode=active-backup",
        "binding.TeamName=team0",
        "team0.Primary=m1",
        "binding.UpperBindings=velan10,velan20",
      ]),
      {
        driver: { DelayMs: 20, Mode: "active-backup" },
        bindings: { "*": { TeamName: "team0", UpperBindings: ["velan10", "velan20"] } },
        devices: { team0: { Primary: "m1" } },
      },
    );
  });

  test("ndis verify team --stack examples/team.yaml runs the suite in that configuration (exit 0); a stack without the driver is bad usage", () => {
    const cli = (args: string[]) =>
      spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "verify", ...args], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, NO_COLOR: "1" },
      });
    const ok = cli([
      "team",
      "--stack",
      "examples/team.yaml",
      "--plain",
      "--jobs",
      "1",
      "--only",
      "link-status,bring-up-im-first",
    ]);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /2 passed, 0 failed/);
    const wrong = cli(["netem", "--stack", "examples/team.yaml", "--plain"]);
    assert.equal(wrong.status, 2, wrong.stdout + wrong.stderr);
    assert.match(wrong.stderr, /no driver of the stack is/);
  });
});
