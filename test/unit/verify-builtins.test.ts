/**
 * `ndis verify <built-in id>` works for every built-in driver the help lists that runs without
 * the real world: the ids that need configuration (vlan-mux, team, ipv4-host, pcap) get the one
 * their example stack file uses, and every applicable scenario passes its plain run. A driver
 * that does not come up on the suite's rig — here vlan-mux without its configuration, and vxlan,
 * whose wire is a real UDP underlay — is one clear error that says what did not happen and how
 * to configure it, and the command exits 2 (a setup error) with no scenario run.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { VerifyUsageError, verify } from "../../src/cli/commands/verify.js";
import { createOutput } from "../../src/cli/output.js";
import { builtinDriverIds } from "../../src/stack/index.js";
import {
  builtinPath,
  builtinVerifyConfig,
  configFromRegistryArgs,
  mergeConfig,
} from "../../src/verify/config.js";
import { DriverNotUp, runConformance } from "../../src/verify/index.js";

const driver = (id: string) => builtinPath(id) as string;
/** Built-in ids whose wire is the real world (a UDP socket, a macvtap device): no default can bring them up. */
const NEEDS_THE_WORLD = ["tap", "vxlan"];

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
        text += t;
      }),
    );
    assert.equal(code, 0, text);
    assert.match(text, /2 passed, 0 failed/);
  });
});

test("--registry binding.key=value wins over a default's (or a stack file's) value of one binding", () => {
  const base = builtinVerifyConfig("vlan-mux") ?? {};
  const merged = mergeConfig(base, configFromRegistryArgs(["binding.UpperBindings=v1,v2"]));
  assert.deepEqual(merged.bindings?.lower0?.UpperBindings, ["v1", "v2"]);
  assert.deepEqual(merged.bindings?.lower1?.UpperBindings, ["v1", "v2"]);
  assert.deepEqual(merged.devices, base.devices, "the devices are the default's");
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

  test("on the command line: exit 2 (a setup error), one line, no scenario lines, on worker threads too", async () => {
    let text = "";
    const out = createOutput((t) => {
      text += t;
    });
    await assert.rejects(
      verify({ driver: "vxlan", plain: true, jobs: 1 }, out),
      (err: unknown) =>
        err instanceof VerifyUsageError &&
        /MiniportInitializeEx/.test(err.message) &&
        /--stack <file>/.test(err.message) &&
        !err.message.includes("\n"),
    );
    assert.doesNotMatch(text, /✖|passed|failed/);
  });
});
