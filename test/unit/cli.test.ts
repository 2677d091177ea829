/** `ndis run`, as a user runs it: a child process, its output and its exit code. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function ndis(...args: string[]) {
  const result = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("ndis run", () => {
  test("prints the registration trace of the passthrough driver and exits 0", () => {
    const { code, stdout } = ndis("run");
    assert.equal(code, 0);
    assert.match(stdout, /NDIS 6\.89/);
    assert.match(stdout, /→ NdisMRegisterMiniportDriver/);
    assert.match(
      stdout,
      /← NdisMRegisterMiniportDriver = NDIS_STATUS_SUCCESS \(0x00000000\)\s+intermediate, NDIS 6\.89, revision 3/,
    );
    assert.match(
      stdout,
      /← NdisIMAssociateMiniport\s+IM miniport edge of passthrough ↔ protocol "passthrough"/,
    );
    assert.match(stdout, /virtual miniport eth0-pt \[passthrough\] Running/);
    assert.match(stdout, /binding passthrough → eth0: Running/);
    assert.match(stdout, /→ MiniportHaltEx \[passthrough\]/);
    assert.match(stdout, /→ MiniportDriverUnload/);
    assert.match(stdout, /live objects after teardown: 0/);
    assert.match(stdout, /verifier: no violations/);
  });

  test("--json prints one JSON record per line, trace events in order", () => {
    const { code, stdout } = ndis("run", "--json", "--ndis-version", "6.30");
    assert.equal(code, 0);
    const records = stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string; [k: string]: unknown });
    assert.equal(records[0]?.type, "host");
    assert.equal(records[0]?.ndisVersion, "6.30");
    const calls = records
      .filter((r) => r.type === "trace" && r.phase === "call")
      .map((r) => r.name);
    assert.deepEqual(calls.slice(0, 4), [
      "DriverEntry",
      "NdisMRegisterMiniportDriver",
      "NdisRegisterProtocolDriver",
      "NdisIMAssociateMiniport",
    ]);
    const seqs = records.filter((r) => r.type === "trace").map((r) => r.seq as number);
    assert.deepEqual(
      seqs,
      [...seqs].sort((x, y) => x - y),
    );
    const driver = records.find((r) => r.type === "driver") as
      | { miniportDrivers: { revision: number }[] }
      | undefined;
    assert.equal(driver?.miniportDrivers[0]?.revision, 2);
    assert.deepEqual(records.at(-1), {
      type: "summary",
      loaded: true,
      violations: 0,
      errors: 0,
      leaked: 0,
    });
  });

  test("the default stack comes up and down on every NDIS generation", () => {
    for (const version of ["6.0", "6.20", "6.80"]) {
      const { code, stdout } = ndis("run", "--json", "--ndis-version", version);
      assert.equal(code, 0, version);
      const lines = stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { type: string; state?: string; name?: string });
      assert.ok(
        lines.some((r) => r.type === "adapter" && r.name === "eth0-pt" && r.state === "Running"),
        version,
      );
      assert.deepEqual(
        lines.at(-1),
        { type: "summary", loaded: true, violations: 0, errors: 0, leaked: 0 },
        version,
      );
    }
  });

  test("a version NDIS never had is refused with a message and exit code 2", () => {
    const { code, stderr } = ndis("run", "--ndis-version", "6.3");
    assert.equal(code, 2);
    assert.match(stderr, /ndis: ndisVersion "6\.3" is not an NDIS 6 version/);
  });

  test("an unknown verifier mode is a usage error", () => {
    const { code, stderr } = ndis("run", "--verifier", "loud");
    assert.equal(code, 2);
    assert.match(stderr, /Allowed choices are strict, record, off/);
  });
});
