/**
 * C drivers: built with `ndis build` (clang --target=wasm32, wasm-ld), loaded like any driver,
 * brought up, passing traffic, checked by the same verifier. Skipped without clang and lld.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import * as passthrough from "../../src/drivers/passthrough/index.js";
import { allocateFramePool, copyFrame, frameNbl } from "../../src/drivers/shared/frames.js";
import {
  loadWasmDriverFile,
  ManualClock,
  makeOidRequest,
  type NDIS_HANDLE,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NdisFreeNetBufferList,
  NdisFreeNetBufferListPool,
  NdisHost,
  NdisOidRequest,
  NdisRequestQueryInformation,
  NdisRequestSetInformation,
  NdisReturnNetBufferLists,
  NdisSendNetBufferLists,
  type NET_BUFFER_LIST,
  OID_802_3_CURRENT_ADDRESS,
} from "../../src/index.js";
import { runConformance } from "../../src/verify/index.js";
import {
  buildSample,
  cSkipReason,
  FILTER_PASSTHROUGH,
  LOOPBACK_MINIPORT,
  PASSTHROUGH,
} from "../helpers/cdriver.js";
import { scriptedMiniport } from "../helpers/miniport.js";
import { scriptedProtocol } from "../helpers/protocol.js";

const skip = cSkipReason() ?? false;
const rules = (host: NdisHost) => host.violations.map((v) => v.rule);
const drain = () => new Promise<void>((resolve) => setImmediate(resolve));

function frame(i: number): Uint8Array {
  const f = new Uint8Array(60 + i);
  f.fill(0xff, 0, 6);
  f.set([2, 0, 0, 0, 0, 9], 6);
  f[12] = 0x88;
  f[13] = 0xb5;
  for (let j = 14; j < f.length; j++) f[j] = (i * 7 + j) & 0xff;
  return f;
}

describe("a C miniport (samples/loopback-miniport)", { skip }, () => {
  test("builds, loads, comes up, loops frames back intact, answers OIDs, and tears down clean", async () => {
    const path = await buildSample("cloop", LOOPBACK_MINIPORT);
    const host = new NdisHost({ verifier: "strict" });
    const received: Uint8Array[] = [];
    const protocol = scriptedProtocol({
      receive: (b, nbls) => {
        for (let n: NET_BUFFER_LIST | null = nbls; n !== null; n = n.Next) {
          const data = n.FirstNetBuffer === null ? null : copyFrame(n.FirstNetBuffer);
          if (data !== null) received.push(data);
        }
        NdisReturnNetBufferLists(b.handle as NDIS_HANDLE, nbls, 0);
      },
    });
    await host.loadDriver({ name: "cloop", module: path });
    await host.loadDriver({ name: "p", module: protocol.module });
    await host.addAdapter({ driver: "cloop", name: "loop0" });
    assert.equal(host.bindings[0]?.state, "Running");
    const adapter = host.adapter("loop0");
    assert.equal(adapter?.state, "Running");

    const b = protocol.bindings[0];
    assert.ok(b !== undefined);
    const pool = allocateFramePool(protocol.protocolHandle() as NDIS_HANDLE, 0x74736574);
    assert.ok(pool !== null);
    const frames = [frame(0), frame(1), frame(2)];
    const nbls = frames.map((f) => {
      const nbl = frameNbl(pool, f);
      assert.ok(nbl !== null);
      nbl.SourceHandle = b.handle as NDIS_HANDLE;
      return nbl;
    });
    for (let i = 0; i < nbls.length; i++) (nbls[i] as NET_BUFFER_LIST).Next = nbls[i + 1] ?? null;
    NdisSendNetBufferLists(b.handle as NDIS_HANDLE, nbls[0] as NET_BUFFER_LIST, 0, 0);
    await host.settle();
    assert.deepEqual(received, frames);
    assert.equal(protocol.completed.length, 3);
    assert.ok(protocol.completed.every((c) => c.status === NDIS_STATUS_SUCCESS));
    for (const nbl of nbls) NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferListPool(pool);

    const request = makeOidRequest({
      RequestType: NdisRequestQueryInformation,
      Oid: OID_802_3_CURRENT_ADDRESS,
      InformationBuffer: new Uint8Array(6),
    });
    assert.equal(NdisOidRequest(b.handle as NDIS_HANDLE, request), NDIS_STATUS_SUCCESS);
    assert.deepEqual(
      [...(request.DATA.QUERY_INFORMATION.InformationBuffer ?? [])],
      [0x02, 0x00, 0x4c, 0x4f, 0x00, adapter?.ifIndex ?? -1],
    );

    await host.removeAdapter("loop0");
    await host.unloadDriver("p");
    await host.unloadDriver("cloop");
    assert.deepEqual(rules(host), []);
    assert.deepEqual(host.liveObjects(), []);
  });
});

const HOSTILE = ["test/fixtures/c/hostile.c"];

/**
 * A host with the hostile C miniport (one bug) and, beside it, a TypeScript stack that must live
 * on. `stepBudget`: load the module with that budget (default: by path, as a user does).
 */
async function hostileHost(bug: string | readonly string[], stepBudget?: number) {
  const bugs = typeof bug === "string" ? [bug] : bug;
  const path = await buildSample(
    `hostile-${bugs.join("-")}`,
    HOSTILE,
    bugs.map((b) => `-D${b}`),
  );
  const host = new NdisHost({ verifier: "strict" });
  const protocol = scriptedProtocol({});
  const module =
    stepBudget === undefined ? path : await loadWasmDriverFile(path, undefined, { stepBudget });
  await host.loadDriver({ name: "hostile", module });
  await host.loadDriver({ name: "tsmini", module: scriptedMiniport().module });
  await host.loadDriver({ name: "p", module: protocol.module });
  await host.addAdapter({ driver: "tsmini", name: "ok0" });
  return { host, protocol };
}

describe("a hostile or broken C driver", { skip }, () => {
  test("completing an NBL twice is the same named violation as for a TypeScript driver", async () => {
    const { host, protocol } = await hostileHost("HOSTILE_DOUBLE_COMPLETE");
    await host.addAdapter({ driver: "hostile", name: "bad0" });
    const b = protocol.bindings.find((x) => x.adapter === "bad0");
    assert.ok(b !== undefined);
    const pool = allocateFramePool(protocol.protocolHandle() as NDIS_HANDLE, 0x74736574);
    assert.ok(pool !== null);
    const nbl = frameNbl(pool, new Uint8Array(60).fill(1));
    assert.ok(nbl !== null);
    nbl.SourceHandle = b.handle as NDIS_HANDLE;
    NdisSendNetBufferLists(b.handle as NDIS_HANDLE, nbl, 0, 0);
    await host.settle();
    const violation = host.violations[0];
    assert.equal(violation?.rule, "NdisMSendNetBufferListsComplete_NotOwned");
    assert.equal(violation?.driver, "hostile");
    // The report says where in the C code: the function that made the DDI call, and its handler.
    assert.match(
      violation?.message ?? "",
      /\(in C function CompleteAgain, inside its MiniportSendNetBufferLists \(hostile-HOSTILE_DOUBLE_COMPLETE\.wasm\)\)$/,
    );
    assert.equal(host.adapter("ok0")?.state, "Running");
  });

  test("a trap in a handler is reported naming the module, handler and C function; the host lives on", async () => {
    const { host } = await hostileHost("HOSTILE_TRAP_PAUSE");
    await host.addAdapter({ driver: "hostile", name: "bad0" });
    await host.pauseStack("bad0").catch(() => undefined);
    const violation = host.violations.find((v) => v.rule === "DriverException");
    assert.match(
      violation?.message ?? "",
      /MiniportPause threw WasmTrap: hostile-HOSTILE_TRAP_PAUSE\.wasm: MiniportPause \(C function Pause\) trapped: unreachable/,
    );
    assert.equal(host.adapter("ok0")?.state, "Running");
  });

  test("an out-of-bounds write traps with the module and handler named", async () => {
    const { host } = await hostileHost("HOSTILE_OOB_RESTART");
    await host.addAdapter({ driver: "hostile", name: "bad0" }).catch(() => undefined);
    const violation = host.violations.find((v) => v.rule === "DriverException");
    assert.match(
      violation?.message ?? "",
      /MiniportRestart \(C function Restart\) trapped: memory access out of bounds/,
    );
    assert.equal(host.adapter("ok0")?.state, "Running");
  });

  test("a handler in an endless loop is stopped at its step budget, naming module, handler and the looping C function; the host lives on", async () => {
    const { host, protocol } = await hostileHost("HOSTILE_LOOP_PAUSE", 1_000_000);
    await host.addAdapter({ driver: "hostile", name: "bad0" });
    await host.pauseStack("bad0").catch(() => undefined);
    const violation = host.violations.find((v) => v.rule === "DriverException");
    assert.equal(violation?.driver, "hostile");
    assert.match(
      violation?.message ?? "",
      /hostile-HOSTILE_LOOP_PAUSE\.wasm: MiniportPause \(C function Pause\) ran past its budget of 1000000 steps \(loop iterations and calls\) in C function WaitForHardwareIdle: an endless loop\?/,
    );
    // The other stack runs on: a frame sent on it comes back.
    assert.equal(host.adapter("ok0")?.state, "Running");
    const ok = protocol.bindings.find((x) => x.adapter === "ok0");
    assert.ok(ok !== undefined);
    const pool = allocateFramePool(protocol.protocolHandle() as NDIS_HANDLE, 0x74736574);
    assert.ok(pool !== null);
    const nbl = frameNbl(pool, new Uint8Array(60).fill(1));
    assert.ok(nbl !== null);
    nbl.SourceHandle = ok.handle as NDIS_HANDLE;
    NdisSendNetBufferLists(ok.handle as NDIS_HANDLE, nbl, 0, 0);
    await host.settle();
    assert.equal(protocol.completed.length, 1);
  });

  test("a DriverEntry that never returns is stopped: the load fails, the report names it, the host lives on", async () => {
    const path = await buildSample("hostile-loop-entry", HOSTILE, ["-DHOSTILE_LOOP_ENTRY"]);
    const host = new NdisHost({ verifier: "strict" });
    await host.loadDriver({ name: "tsmini", module: scriptedMiniport().module });
    await host.addAdapter({ driver: "tsmini", name: "ok0" });
    const module = await loadWasmDriverFile(path, undefined, { stepBudget: 100_000 });
    const loaded = await host.loadDriver({ name: "hostile", module });
    assert.notEqual(loaded.status, NDIS_STATUS_SUCCESS);
    const violation = host.violations.find((v) => v.rule === "DriverException");
    assert.match(
      violation?.message ?? "",
      /hostile-loop-entry\.wasm: DriverEntry \(C function DriverEntry\) ran past its budget of 100000 steps/,
    );
    assert.equal(host.adapter("ok0")?.state, "Running");
  });

  test("a data-path handler that loops is stopped too, and the NBLs it held come back", async () => {
    const { host, protocol } = await hostileHost("HOSTILE_LOOP_SEND", 1_000_000);
    await host.addAdapter({ driver: "hostile", name: "bad0" });
    const b = protocol.bindings.find((x) => x.adapter === "bad0");
    assert.ok(b !== undefined);
    const pool = allocateFramePool(protocol.protocolHandle() as NDIS_HANDLE, 0x74736574);
    assert.ok(pool !== null);
    const nbl = frameNbl(pool, new Uint8Array(60).fill(1));
    assert.ok(nbl !== null);
    nbl.SourceHandle = b.handle as NDIS_HANDLE;
    NdisSendNetBufferLists(b.handle as NDIS_HANDLE, nbl, 0, 0);
    await host.settle();
    const violation = host.violations.find((v) => v.rule === "DriverException");
    assert.match(
      violation?.message ?? "",
      /MiniportSendNetBufferLists \(C function Send\) ran past its budget of 1000000 steps/,
    );
    assert.ok(host.stoppedDrivers.some((v) => v.driver === "hostile"));
    assert.equal(protocol.completed.length, 1);
    assert.equal(host.adapter("ok0")?.state, "Running");
  });

  test("a handler pointer that is not a function is named when NDIS calls it", async () => {
    const { host, protocol } = await hostileHost("HOSTILE_BAD_HANDLER");
    await host.addAdapter({ driver: "hostile", name: "bad0" });
    const b = protocol.bindings.find((x) => x.adapter === "bad0");
    const request = makeOidRequest({
      RequestType: NdisRequestQueryInformation,
      Oid: 0xff010101,
      InformationBuffer: new Uint8Array(4),
    });
    NdisOidRequest(b?.handle as NDIS_HANDLE, request);
    await host.settle();
    const violation = host.violations.find((v) => v.rule === "DriverException");
    assert.match(
      violation?.message ?? "",
      /MiniportOidRequest is the function pointer 0x7777, which is not a function of the module/,
    );
    assert.equal(host.adapter("ok0")?.state, "Running");
  });

  test("a module importing a routine ndis-ts does not have is refused at load, naming the import", async () => {
    // ndis build refuses such a module itself (test/unit/c-wdk-style.test.ts): built here without
    // that check, as a module built by other means would be.
    const path = await buildSample("hostile-import", HOSTILE, ["-DHOSTILE_UNKNOWN_IMPORT"], {
      checkImports: false,
    });
    const host = new NdisHost({ verifier: "strict" });
    await assert.rejects(
      host.loadDriver({ name: "hostile", module: path }),
      /hostile-import\.wasm imports ndis\.IoCallDriver \(function\), which ndis-ts does not provide/,
    );
    assert.deepEqual(host.liveObjects(), []);
  });

  test("a module without DriverEntry, or not WebAssembly at all, is refused naming the file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ndis-c-bad-"));
    const empty = join(dir, "empty.wasm");
    writeFileSync(empty, Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0));
    const garbage = join(dir, "garbage.wasm");
    writeFileSync(garbage, "MZ this is not wasm");
    const host = new NdisHost({ verifier: "strict" });
    await assert.rejects(
      host.loadDriver({ name: "e", module: empty }),
      /empty\.wasm does not export a DriverEntry function/,
    );
    await assert.rejects(
      host.loadDriver({ name: "g", module: garbage }),
      /garbage\.wasm is not a valid WebAssembly module/,
    );
  });
});

/** Sends `count` frames, chained, on the protocol's binding to `adapter`; waits for NDIS to settle. */
async function sendFrames(
  host: NdisHost,
  protocol: ReturnType<typeof scriptedProtocol>,
  adapter: string,
  count: number,
) {
  const b = protocol.bindings.find((x) => x.adapter === adapter);
  assert.ok(b !== undefined);
  const pool = allocateFramePool(protocol.protocolHandle() as NDIS_HANDLE, 0x74736574);
  assert.ok(pool !== null);
  const nbls: NET_BUFFER_LIST[] = [];
  for (let i = 0; i < count; i++) {
    const nbl = frameNbl(pool, frame(i));
    assert.ok(nbl !== null);
    nbl.SourceHandle = b.handle as NDIS_HANDLE;
    if (i > 0) (nbls[i - 1] as NET_BUFFER_LIST).Next = nbl;
    nbls.push(nbl);
  }
  NdisSendNetBufferLists(b.handle as NDIS_HANDLE, nbls[0] as NET_BUFFER_LIST, 0, 0);
  await host.settle();
}

describe("lookaside lists from C (NdisInitializeNPagedLookasideList and the rest)", {
  skip,
}, () => {
  test("each send takes a zeroed block and gives it back; halt deletes the list; nothing leaks", async () => {
    const { host, protocol } = await hostileHost("LOOKASIDE");
    await host.addAdapter({ driver: "hostile", name: "bad0" });
    await sendFrames(host, protocol, "bad0", 3);
    // The second round reuses blocks the first gave back (the driver traps on a dirty one).
    await sendFrames(host, protocol, "bad0", 3);
    assert.equal(protocol.completed.length, 6);
    assert.deepEqual(rules(host), []);
    await host.removeAdapter("bad0");
    await host.unloadDriver("hostile");
    assert.deepEqual(rules(host), []);
  });

  test("a block kept and a list never deleted are named at unload, by pool tag", async () => {
    const { host, protocol } = await hostileHost(["LOOKASIDE", "LOOKASIDE_LEAK"]);
    await host.addAdapter({ driver: "hostile", name: "bad0" });
    await sendFrames(host, protocol, "bad0", 2);
    assert.equal(protocol.completed.length, 2);
    await host.removeAdapter("bad0");
    await host.unloadDriver("hostile");
    const leak = host.violations.find((v) => v.rule === "Memory_LeakedAtUnload");
    assert.equal(leak?.driver, "hostile");
    assert.match(
      leak?.message ?? "",
      /pool tag 'Look' \(0x6b6f6f4c\): 1 block, 64 bytes; the lookaside list of pool tag 'Look' \(0x6b6f6f4c\), never deleted/,
    );
  });
});

describe("a C driver that blocks (Asyncify)", { skip }, () => {
  test("MiniportInitializeEx sleeps and MiniportPause waits on an event while the host and the driver's other handlers go on", async () => {
    const path = await buildSample("waiter", HOSTILE, ["-DWAITER"]);
    const clock = new ManualClock();
    const host = new NdisHost({ clock, verifier: "record" });
    const protocol = scriptedProtocol({});
    await host.loadDriver({ name: "waiter", module: path });
    await host.loadDriver({ name: "p", module: protocol.module });
    let added = false;
    const adding = host.addAdapter({ driver: "waiter", name: "w0" }).then(() => {
      added = true;
    });
    for (let i = 0; i < 5; i++) await drain();
    assert.equal(added, false, "MiniportInitializeEx is asleep: 3 ms of host time");
    clock.advance(2);
    await drain();
    assert.equal(added, false);
    clock.advance(1);
    await adding;
    assert.equal(host.adapter("w0")?.state, "Running");

    let paused = false;
    const pausing = host.pauseStack("w0").then(() => {
      paused = true;
    });
    for (let i = 0; i < 5; i++) await drain();
    assert.equal(paused, false);
    assert.equal(host.adapter("w0")?.state, "Pausing");
    // The driver's OID handler runs while its pause handler is blocked, and opens the gate.
    const b = protocol.bindings[0];
    const gate = makeOidRequest({
      RequestType: NdisRequestSetInformation,
      Oid: 0xff000001,
      InformationBuffer: new Uint8Array(4),
    });
    assert.equal(NdisOidRequest(b?.handle as NDIS_HANDLE, gate), NDIS_STATUS_SUCCESS);
    await pausing;
    assert.equal(host.adapter("w0")?.state, "Paused");
    assert.deepEqual(rules(host), []);

    // Sleeping while holding a spin lock is the named violation; the sleep does not block.
    const locked = makeOidRequest({
      RequestType: NdisRequestSetInformation,
      Oid: 0xff000002,
      InformationBuffer: new Uint8Array(4),
    });
    assert.equal(NdisOidRequest(b?.handle as NDIS_HANDLE, locked), NDIS_STATUS_SUCCESS);
    assert.deepEqual(rules(host), ["Irql_Wait_Function"]);
    assert.match(
      host.violations[0]?.message ?? "",
      /NdisMSleep called at DISPATCH_LEVEL in MiniportOidRequest/,
    );
    await host.removeAdapter("w0");
  });
});

/**
 * A broken copy (its pause does not wait for what is out) under ndis verify: the send/receive
 * matrix passes, pause-restart-under-traffic fails with `rule` and a replay token.
 */
async function pauseFailureOf(path: string, rule: string) {
  const report = await runConformance(path, {
    only: ["send-receive-matrix", "pause-restart-under-traffic"],
    runs: 3,
  });
  const matrix = report.results.find((r) => r.name === "send-receive-matrix");
  const pause = report.results.find((r) => r.name === "pause-restart-under-traffic");
  assert.equal(matrix?.status, "pass");
  assert.equal(pause?.status, "fail");
  assert.equal(pause?.rule, rule);
  assert.match(pause?.replay ?? "", /^pause-restart-under-traffic:/);
  return pause;
}

describe("the C passthrough IM driver (samples/passthrough) under ndis verify", { skip }, () => {
  test("passes every scenario, the explorer on: a C IM between the suite's TypeScript miniport and protocol", async () => {
    const path = await buildSample("cpassthru", PASSTHROUGH);
    const report = await runConformance(path, { runs: 3 });
    const failed = report.results.filter((r) => r.status !== "pass");
    assert.deepEqual(
      failed.map((r) => `${r.name}: ${r.failure}`),
      [],
    );
    assert.ok(report.results.length >= 20);
    assert.ok(
      report.results.every((r) => (r.runs ?? 0) > 1),
      "explored runs besides the plain one",
    );
  });

  test("a broken copy (a pause that does not wait for what is out) fails with the same rule as the TypeScript one, and a replay token", async () => {
    const path = await buildSample("cpassthru-broken", PASSTHROUGH, ["-DPT_BUG_PAUSE_SUCCESS"]);
    const pause = await pauseFailureOf(path, "MiniportPause_NblsOutstanding");
    assert.equal(pause.violations[0]?.driver, "imtest");
  });

  test("the reverse mix: the TypeScript passthrough over the C miniport, under a TypeScript protocol", async () => {
    const path = await buildSample("cloop", LOOPBACK_MINIPORT);
    const host = new NdisHost({ verifier: "strict" });
    const received: Uint8Array[] = [];
    const protocol = scriptedProtocol({
      receive: (b, nbls, _port, _count, flags) => {
        // A promiscuous binding on loop0 also gets NDIS's loopback copies of passthrough's sends,
        // indicated with RESOURCES: those are never returned.
        if ((flags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0) return;
        if (b.adapter !== "loop0-pt") {
          NdisReturnNetBufferLists(b.handle as NDIS_HANDLE, nbls, 0);
          return;
        }
        for (let n: NET_BUFFER_LIST | null = nbls; n !== null; n = n.Next) {
          const data = n.FirstNetBuffer === null ? null : copyFrame(n.FirstNetBuffer);
          if (data !== null) received.push(data);
        }
        NdisReturnNetBufferLists(b.handle as NDIS_HANDLE, nbls, 0);
      },
    });
    await host.loadDriver({ name: "cloop", module: path });
    await host.addAdapter({ driver: "cloop", name: "loop0" });
    await host.loadDriver({ name: "passthrough", module: passthrough });
    await host.loadDriver({ name: "p", module: protocol.module });
    await host.settle();
    const b = protocol.bindings.find((x) => x.adapter === "loop0-pt");
    assert.ok(b !== undefined, JSON.stringify(host.bindings));
    const pool = allocateFramePool(protocol.protocolHandle() as NDIS_HANDLE, 0x74736574);
    assert.ok(pool !== null);
    const nbl = frameNbl(pool, frame(5));
    assert.ok(nbl !== null);
    nbl.SourceHandle = b.handle as NDIS_HANDLE;
    NdisSendNetBufferLists(b.handle as NDIS_HANDLE, nbl, 0, 0);
    await host.settle();
    assert.deepEqual(received, [frame(5)]);
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferListPool(pool);
    await host.unloadDriver("p");
    await host.unloadDriver("passthrough");
    await host.removeAdapter("loop0");
    await host.unloadDriver("cloop");
    assert.deepEqual(rules(host), []);
    assert.deepEqual(host.liveObjects(), []);
  });
});

describe("the C passthrough filter (samples/filter-passthrough) under ndis verify", {
  skip,
}, () => {
  test("passes every scenario that applies to a filter, the explorer on", async () => {
    const path = await buildSample("cfilter", FILTER_PASSTHROUGH);
    const report = await runConformance(path, { runs: 3 });
    assert.equal(report.kind, "filter");
    const failed = report.results.filter((r) => r.status !== "pass");
    assert.deepEqual(
      failed.map((r) => `${r.name}: ${r.failure}`),
      [],
    );
    const ran = report.results.filter((r) => r.skipped === undefined);
    assert.ok(ran.length >= 19, `${ran.length} scenarios ran`);
    assert.ok(
      ran.every((r) => (r.runs ?? 0) > 1),
      "explored runs besides the plain one",
    );
  });

  test("a copy whose FilterPause returns SUCCESS at once, pass-through receives still held above, passes: a filter waits only for what it originated", async () => {
    // "Pausing a Filter Module": the module waits for the indications it originated; one passed up
    // from the miniport is the miniport's to wait for (MiniportPause). These are the scenarios
    // where the protocol above still holds receives when NDIS pauses the module.
    const path = await buildSample("cfilter-at-once", FILTER_PASSTHROUGH, [
      "-DFILTER_PAUSE_AT_ONCE",
    ]);
    const only = [
      "pause-restart-under-traffic",
      "surprise-removal-under-traffic",
      "race-vm-pause-receives",
    ];
    const report = await runConformance(path, { only, runs: 3 });
    assert.deepEqual(
      report.results.map((r) => `${r.name}: ${r.status}${r.failure ? ` ${r.failure}` : ""}`).sort(),
      only.map((name) => `${name}: pass`).sort(),
    );
  });
});
