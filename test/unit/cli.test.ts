/** `ndis run`, as a user runs it: a child process, its output and its exit code. */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { readCapture } from "../../src/pcap/pcapng.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ENV = { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" };
const CLI = ["--import", "tsx", "src/cli/main.ts"];
const dir = mkdtempSync(join(tmpdir(), "ndis-cli-"));

function ndis(...args: string[]) {
  const result = spawnSync(process.execPath, [...CLI, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: ENV,
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

type JsonRecord = { type: string; [k: string]: unknown };

function records(stdout: string): JsonRecord[] {
  return stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as JsonRecord);
}

const CLEAN = { problems: 0, violations: 0, errors: 0, leaked: 0 };

describe("ndis run: the embedded default stack", () => {
  test("two IPv4 hosts ping each other over a hub for 3 s, then everything is gone", () => {
    const started = Date.now();
    const { code, stdout } = ndis("run");
    assert.equal(code, 0, stdout);
    assert.ok(Date.now() - started >= 3000, "it ran for its duration");
    assert.match(stdout, /NDIS 6\.89 .*verifier record, stack \(embedded default/);
    assert.match(stdout, /virtual miniport eth0-pt \[passthrough\] Running/);
    assert.match(stdout, /binding host-a → eth0-pt: Running/);
    assert.match(
      stdout,
      /\[1\.0s\] eth0 Running: rx \d+ pkts/,
      "periodic counter lines when piped",
    );
    assert.match(
      stdout,
      /198\.51\.100\.1 on eth0-pt, pinged 198\.51\.100\.2: 4 echo requests sent, 4 answered/,
    );
    assert.match(
      stdout,
      /198\.51\.100\.2 on eth1-pt, pinged 198\.51\.100\.1: 4 echo requests sent, 4 answered/,
    );
    assert.match(stdout, /live objects after teardown: 0/);
    assert.match(stdout, /verifier: no violations/);
  });

  test("--json: one record per line, counters, reports, and a clean summary last", () => {
    const { code, stdout } = ndis("run", "--json", "--duration", "2500ms", "--interval", "500ms");
    assert.equal(code, 0);
    const all = records(stdout);
    assert.equal(all[0]?.type, "host");
    assert.ok(all.filter((r) => r.type === "counters" && r.final === false).length >= 3);
    const hostA = all.find((r) => r.type === "report" && r.driver === "host-a") as
      | { interfaces: { counters: { echoRepliesReceived: number } }[] }
      | undefined;
    assert.ok((hostA?.interfaces[0]?.counters.echoRepliesReceived ?? 0) >= 3);
    assert.equal(
      all.some((r) => r.type === "trace"),
      false,
      "no trace unless asked for",
    );
    assert.deepEqual(all.at(-1), {
      type: "summary",
      stack: "default",
      reason: "duration",
      ...CLEAN,
    });
  });
});

describe("ndis run <stack file>", () => {
  test("--trace prints the registration and teardown trace of the passthrough example", () => {
    const { code, stdout } = ndis("run", "examples/passthrough.yaml", "--trace");
    assert.equal(code, 0);
    assert.match(stdout, /verifier strict, stack examples\/passthrough\.yaml/);
    assert.match(
      stdout,
      /← NdisMRegisterMiniportDriver = NDIS_STATUS_SUCCESS \(0x00000000\)\s+intermediate, NDIS 6\.89, revision 3/,
    );
    assert.match(
      stdout,
      /← NdisIMAssociateMiniport\s+IM miniport edge of passthrough ↔ protocol "passthrough"/,
    );
    assert.match(stdout, /virtual miniport eth0-pt \[passthrough\] Running/);
    assert.match(stdout, /→ MiniportHaltEx \[passthrough\]/);
    assert.match(stdout, /→ MiniportDriverUnload/);
    assert.match(stdout, /live objects after teardown: 0/);
  });

  test("--ndis-version overrides the file: the stack comes up and down on every generation", () => {
    for (const version of ["6.0", "6.20", "6.80"]) {
      const { code, stdout } = ndis(
        "run",
        "examples/passthrough.yaml",
        "--json",
        "--trace",
        "--ndis-version",
        version,
      );
      assert.equal(code, 0, version);
      const all = records(stdout);
      assert.equal(all[0]?.ndisVersion, version);
      const calls = all.filter((r) => r.type === "trace" && r.phase === "call").map((r) => r.name);
      assert.deepEqual(calls.slice(0, 2), ["DriverEntry", "NdisMRegisterMiniportDriver"]);
      const up = all.find((r) => r.type === "up") as unknown as {
        adapters: { name: string; state: string }[];
      };
      assert.ok(
        up.adapters.some((a) => a.name === "eth0-pt" && a.state === "Running"),
        version,
      );
      assert.deepEqual(all.at(-1), {
        type: "summary",
        stack: "examples/passthrough.yaml",
        reason: "duration",
        ...CLEAN,
      });
    }
  });

  test("--capture writes every frame crossing the adapter's edge to a pcapng file", () => {
    const out = join(dir, "replay.pcapng");
    const { code, stdout } = ndis("run", "examples/pcap-replay.yaml", "--capture", out);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /capture: 12 frames written to /);
    assert.match(stdout, /answered 4 echo requests, 1 ARP requests, echoed 1 UDP datagrams/);
    const frames = readCapture(new Uint8Array(readFileSync(out)));
    assert.equal(frames.length, 12, "6 replayed in, 6 answers out");
    assert.ok(
      frames.every((f) => f.iface === 0),
      "one interface: cap0",
    );
    // The 4th frame up is an echo request (type 8); an echo reply (type 0) goes down after it.
    const icmpTypes = frames
      .filter((f) => f.data[12] === 0x08 && f.data[13] === 0x00 && f.data[23] === 1)
      .map((f) => f.data[34]);
    assert.deepEqual(icmpTypes.slice(0, 2), [8, 0]);
    assert.ok(
      frames.every((f, i) => i === 0 || f.timeNs >= (frames[i - 1]?.timeNs ?? 0n)),
      "in time order",
    );
  });

  test("a pcap adapter with a malformed file: the reason, the status, exit 1", () => {
    const bad = join(dir, "bad.pcap");
    writeFileSync(bad, Uint8Array.of(0xd4, 0xc3, 0xb2, 0xa1, 2, 0));
    const stack = join(dir, "bad-capture.yaml");
    writeFileSync(
      stack,
      `drivers: [{ name: replay, module: pcap }]\nadapters: [{ name: cap0, driver: replay, registry: { File: bad.pcap } }]\nrun: { duration: 100ms }\n`,
    );
    const { code, stdout } = ndis("run", stack, "--trace");
    assert.equal(code, 1);
    assert.match(stdout, /← MiniportInitializeEx = NDIS_STATUS_INVALID_DATA/);
    assert.match(
      stdout,
      /✖ adapter cap0: MiniportInitializeEx failed: .*bad\.pcap: capture file, byte 0: pcap header cut short/,
    );
    assert.match(stdout, /live objects after teardown: 0/);
  });

  test("a driver that breaks a rule: the violation, the calls that led there, exit 1", () => {
    const stack = join(dir, "broken.yaml");
    const driver = fileURLToPath(new URL("../fixtures/broken-pause.ts", import.meta.url));
    writeFileSync(
      stack,
      `drivers: [{ name: bad, module: ${JSON.stringify(driver)} }]\nadapters: [{ name: eth0, driver: bad }]\nrun: { duration: 100ms }\n`,
    );
    const { code, stdout } = ndis("run", stack);
    assert.equal(code, 1);
    assert.match(stdout, /verifier: 1 violation/);
    assert.match(
      stdout,
      /\[error\] MiniportPause_Return \(driver bad\): MiniportPause of adapter eth0 returned 0x00003039/,
    );
    assert.match(
      stdout,
      /the calls that led there:\n(?: {6}.*\n)*? {6}\s*→ MiniportPause \[bad\] eth0/,
    );
  });

  test("a stack file with mistakes: every one as file:line:col, exit 2", () => {
    const stack = join(dir, "mistakes.yaml");
    writeFileSync(
      stack,
      "drivers:\n  - name: x\n    module: e1000\nadapters:\n  - { name: eth0, driver: x, speed: 10 }\n",
    );
    const { code, stdout, stderr } = ndis("run", stack);
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.match(stderr, /ndis: the stack file is not valid:/);
    assert.match(stderr, /mistakes\.yaml:5:30: adapters\[0\]\.speed: unknown key "speed"/);
    const syntax = join(dir, "syntax.yaml");
    writeFileSync(syntax, "drivers:\n  - name: x\n   module: pcap\n");
    const second = ndis("run", syntax);
    assert.equal(second.code, 2);
    assert.match(second.stderr, /syntax\.yaml:3:\d+: YAML syntax: /);
    const missing = ndis("run", join(dir, "nowhere.yaml"));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nowhere\.yaml:1:1: cannot read the stack file: no such file/);
  });

  test("a version NDIS never had is refused with a message and exit code 2", () => {
    const { code, stderr } = ndis("run", "examples/passthrough.yaml", "--ndis-version", "6.3");
    assert.equal(code, 2);
    assert.match(stderr, /ndis: ndisVersion "6\.3" is not an NDIS 6 version/);
  });

  test("an unknown verifier mode and a bad duration are usage errors", () => {
    const verifier = ndis("run", "--verifier", "loud");
    assert.equal(verifier.code, 2);
    assert.match(verifier.stderr, /Allowed choices are strict, record, off/);
    const duration = ndis("run", "--duration", "soon");
    assert.equal(duration.code, 2);
    assert.match(duration.stderr, /expected a duration such as "500ms"/);
  });
});

describe("ndis run: stopped by a signal", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    test(`${signal} tears the stack down in NDIS order and exits 0`, async () => {
      const stack = join(dir, `forever-${signal}.yaml`);
      writeFileSync(
        stack,
        "drivers:\n  - { name: passthrough, module: passthrough }\n  - { name: testmp, module: test-miniport }\nadapters: [{ name: eth0, driver: testmp }]\n",
      );
      const child = spawn(process.execPath, [...CLI, "run", stack, "--trace"], {
        cwd: ROOT,
        env: ENV,
      });
      let stdout = "";
      let signalled = false;
      child.stdout.setEncoding("utf8");
      const exited = new Promise<number | null>((resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill("SIGKILL");
          reject(new Error(`no exit within 30 s; output so far:\n${stdout}`));
        }, 30_000);
        child.on("exit", (code) => {
          clearTimeout(timer);
          resolve(code);
        });
      });
      child.stdout.on("data", (chunk: string) => {
        stdout += chunk;
        // Up: the binding line is printed once the stack is running.
        if (!signalled && /binding passthrough → eth0: Running/.test(stdout)) {
          signalled = true;
          child.kill(signal);
        }
      });
      const code = await exited;
      assert.equal(code, 0, stdout);
      assert.match(stdout, new RegExp(`${signal} after \\d+\\.\\ds; tearing the stack down`));
      const teardown = stdout.slice(stdout.indexOf("tearing the stack down"));
      const order = [
        "→ MiniportPause [testmp]",
        "→ MiniportHaltEx [testmp]",
        "→ MiniportDriverUnload [testmp]",
        "→ MiniportDriverUnload [passthrough]",
      ].map((s) => teardown.indexOf(s));
      assert.ok(
        order.every((i) => i > 0),
        "each teardown step is in the trace",
      );
      assert.deepEqual(
        order,
        [...order].sort((a, b) => a - b),
        "in NDIS order",
      );
      assert.match(stdout, /live objects after teardown: 0/);
    });
  }
});
