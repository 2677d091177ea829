/**
 * The pcap miniport: a capture file replayed as receives, paced by an NDIS timer on a manual
 * clock, from a pool allocated once; sends swallowed; a bad file or registry value fails the
 * adapter's initialization with a status and a reason.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import * as pcap from "../../src/drivers/pcap/index.js";
import { NBL_POOL_SIZE, pcapReplayOf } from "../../src/drivers/pcap/index.js";
import {
  type FrameEvent,
  ManualClock,
  makeOidRequest,
  type NDIS_HANDLE,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_PROMISCUOUS,
  NDIS_STATUS_INVALID_DATA,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_OPEN_FAILED,
  NDIS_STATUS_SUCCESS,
  NdisFreeNetBufferList,
  NdisFreeNetBufferListPool,
  NdisHost,
  NdisOidRequest,
  NdisRequestSetInformation,
  NdisReturnNetBufferLists,
  NdisSendNetBufferLists,
  type NET_BUFFER_LIST,
  OID_GEN_CURRENT_PACKET_FILTER,
  type RegistryValue,
  type TraceEvent,
} from "../../src/index.js";
import { pcapFile, pcapngFile } from "../../src/pcap/pcapng.js";
import { allocateNbls, nblPool } from "../helpers/nbl.js";
import { type ProtocolScript, scriptedProtocol } from "../helpers/protocol.js";

const dir = mkdtempSync(join(tmpdir(), "ndis-pcap-"));

/** `count` 60-byte frames, frame i filled with i and stamped `gapMs` apart. */
function frames(count: number, gapMs: number) {
  return Array.from({ length: count }, (_, i) => ({
    timeNs: 1_700_000_000_000_000_000n + BigInt(i * gapMs) * 1_000_000n,
    data: new Uint8Array(60).fill(i & 0xff),
  }));
}

function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** Sets the packet filter of the protocol's binding, as a protocol does once bound. */
function setFilter(binding: NDIS_HANDLE, filter: number): number {
  const buffer = new Uint8Array(4);
  new DataView(buffer.buffer).setUint32(0, filter, true);
  return NdisOidRequest(
    binding,
    makeOidRequest({
      RequestType: NdisRequestSetInformation,
      Oid: OID_GEN_CURRENT_PACKET_FILTER,
      InformationBuffer: buffer,
    }),
  );
}

async function replay(
  registry: Record<string, RegistryValue>,
  proto: ProtocolScript = {},
  filter = NDIS_PACKET_TYPE_PROMISCUOUS,
) {
  const clock = new ManualClock();
  const host = new NdisHost({ verifier: "record", clock });
  const received: FrameEvent[] = [];
  const trace: TraceEvent[] = [];
  host.onTrace((e) => trace.push(e));
  host.onFrame((e) => {
    if (e.direction === "receive") received.push(e);
  });
  const protocol = scriptedProtocol({ ...proto, name: "proto" });
  await host.loadDriver({ name: "proto", module: protocol.module });
  const { driverObject } = await host.loadDriver({ name: "pcap", module: pcap });
  const info = await host.addAdapter({ driver: "pcap", name: "cap0", registry });
  const binding = protocol.bindings[0]?.handle;
  if (binding !== undefined) assert.equal(setFilter(binding, filter), NDIS_STATUS_SUCCESS);
  const stats = () => {
    const all = pcapReplayOf(driverObject)?.adapters() ?? [];
    assert.equal(all.length, 1);
    return all[0] as NonNullable<(typeof all)[0]>;
  };
  const teardown = async () => {
    if (host.adapter("cap0") !== undefined) await host.removeAdapter("cap0");
    await host.unloadDriver("pcap");
    await host.unloadDriver("proto");
    assert.deepEqual(host.liveObjects(), []);
    assert.deepEqual(host.violations, []);
    assert.equal(clock.pending, 0, "no timer left behind");
  };
  return { clock, host, info, received, trace, protocol, driverObject, stats, teardown };
}

describe("pcap miniport: replay", () => {
  test("Timing original keeps the file's gaps between frames", async () => {
    const path = file("five.pcap", pcapFile(frames(5, 100)));
    const r = await replay({ File: path });
    assert.equal(r.info.state, "Running");
    r.clock.advance(0);
    assert.equal(r.received.length, 1);
    r.clock.advance(99);
    assert.equal(r.received.length, 1);
    r.clock.advance(1);
    assert.equal(r.received.length, 2);
    r.clock.advance(1000);
    assert.deepEqual(
      r.received.map((f) => Number(f.timeNs / 1_000_000n)),
      [0, 100, 200, 300, 400],
    );
    assert.deepEqual(
      r.received.map((f) => f.data[0]),
      [0, 1, 2, 3, 4],
    );
    assert.equal(r.protocol.received.length, 5, "the protocol above got every frame");
    assert.deepEqual(
      {
        indicated: r.stats().indicated,
        passes: r.stats().passes,
        outstanding: r.stats().outstanding,
      },
      { indicated: 5, passes: 1, outstanding: 0 },
    );
    const [adapter] = r.host.statistics().adapters;
    assert.equal(adapter?.receivedPackets, 5);
    assert.equal(adapter?.receivedBytes, 300);
    await r.teardown();
  });

  test("pcapng files replay too, and Loop 1 with RatePps paces a fixed rate round and round", async () => {
    const bytes = pcapngFile(
      ["wire"],
      frames(3, 5000).map((f) => ({ ...f, iface: 0 })),
    );
    const r = await replay({ File: file("three.pcapng", bytes), Loop: 1, RatePps: 10 });
    r.clock.advance(1000);
    // One frame every 100 ms: 10 in the first second, 4 passes over 3 frames.
    assert.equal(r.received.length, 10);
    assert.deepEqual(
      r.received.slice(0, 3).map((f) => Number(f.timeNs / 1_000_000n)),
      [100, 200, 300],
    );
    assert.deepEqual(
      r.received.slice(0, 7).map((f) => f.data[0]),
      [0, 1, 2, 0, 1, 2, 0],
    );
    assert.equal(r.stats().passes, 4);
    await r.teardown();
  });

  test("Timing asap indicates as many frames as there are free NBLs, and waits for returns", async () => {
    const held: { handle: NDIS_HANDLE; nbls: NET_BUFFER_LIST }[] = [];
    const r = await replay(
      { File: file("hundred.pcap", pcapFile(frames(100, 1000))), Timing: "asap" },
      {
        receive: (b, nbls) => {
          held.push({ handle: b.handle as NDIS_HANDLE, nbls });
        },
      },
    );
    r.clock.advance(0);
    assert.equal(r.received.length, NBL_POOL_SIZE, "the preallocated pool bounds what is up");
    r.clock.advance(10_000);
    assert.equal(r.received.length, NBL_POOL_SIZE, "nothing more until NBLs come back");
    assert.equal(r.stats().outstanding, NBL_POOL_SIZE);
    for (const h of held.splice(0)) NdisReturnNetBufferLists(h.handle, h.nbls, 0);
    r.clock.advance(0);
    assert.equal(r.received.length, 2 * NBL_POOL_SIZE);
    // Give everything back as it comes until the file is done.
    for (let i = 0; i < 10 && held.length > 0; i++) {
      for (const h of held.splice(0)) NdisReturnNetBufferLists(h.handle, h.nbls, 0);
      r.clock.advance(0);
    }
    assert.equal(r.received.length, 100);
    assert.equal(r.stats().outstanding, 0);
    await r.teardown();
  });

  test("a pause stops the replay (timer cancelled), a restart goes on from the next frame", async () => {
    const r = await replay({ File: file("ten.pcap", pcapFile(frames(10, 100))) });
    r.clock.advance(250);
    assert.equal(r.received.length, 3);
    await r.host.pauseStack("cap0");
    assert.equal(r.host.adapter("cap0")?.state, "Paused");
    r.clock.advance(1000);
    assert.equal(r.received.length, 3, "nothing indicated while paused");
    await r.host.restartStack("cap0");
    r.clock.advance(1000);
    assert.deepEqual(
      r.received.map((f) => f.data[0]),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    await r.teardown();
  });

  test("sends are completed with SUCCESS and counted, never indicated back", async () => {
    const r = await replay({ File: file("one.pcap", pcapFile(frames(1, 0))) });
    const binding = r.protocol.bindings[0]?.handle as NDIS_HANDLE;
    const pool = nblPool(r.protocol.protocolHandle() as NDIS_HANDLE);
    const nbls = allocateNbls(pool, 3, binding);
    NdisSendNetBufferLists(binding, nbls[0] as NET_BUFFER_LIST, 0, 0);
    assert.deepEqual(
      r.protocol.completed.map((c) => c.status),
      [NDIS_STATUS_SUCCESS, NDIS_STATUS_SUCCESS, NDIS_STATUS_SUCCESS],
    );
    assert.equal(r.stats().sendsSwallowed, 3);
    assert.equal(r.host.statistics().adapters[0]?.sentPackets, 3);
    for (const nbl of nbls) NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferListPool(pool);
    await r.teardown();
  });

  test("only what the packet filter lets through goes up; the rest keeps its turn and is counted", async () => {
    const mac = (last: number) => Uint8Array.of(0x02, 0, 0, 0, 0, last);
    const frame = (dst: Uint8Array, tag: number) => {
      const data = new Uint8Array(60);
      data.set(dst, 0);
      data.set(mac(0x99), 6);
      data[14] = tag;
      return data;
    };
    const broadcast = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    const bytes = pcapFile(
      [frame(mac(1), 1), frame(mac(7), 2), frame(broadcast, 3), frame(mac(1), 4)].map(
        (data, i) => ({ timeNs: BigInt(i) * 10_000_000n, data }),
      ),
    );
    const r = await replay(
      { File: file("mixed.pcap", bytes), NetworkAddress: "02-00-00-00-00-01" },
      {},
      NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST,
    );
    r.clock.advance(100);
    assert.deepEqual(
      r.received.map((f) => f.data[14]),
      [1, 3, 4],
    );
    assert.deepEqual(
      r.received.map((f) => Number(f.timeNs / 1_000_000n)),
      [0, 20, 30],
      "the refused frame kept its place on the timeline",
    );
    assert.equal(r.stats().filtered, 1);
    await r.teardown();
  });

  test("an adapter no protocol set a filter on indicates nothing", async () => {
    const r = await replay({ File: file("quiet.pcap", pcapFile(frames(3, 1))) }, {}, 0);
    r.clock.advance(100);
    assert.equal(r.received.length, 0);
    assert.equal(r.stats().filtered, 3);
    await r.teardown();
  });

  test("an empty capture brings the adapter up and indicates nothing", async () => {
    const r = await replay({ File: file("empty.pcap", pcapFile([])), Loop: 1 });
    assert.equal(r.info.state, "Running");
    r.clock.advance(1000);
    assert.equal(r.received.length, 0);
    await r.teardown();
  });
});

describe("pcap miniport: refused at MiniportInitializeEx", () => {
  async function refused(registry: Record<string, RegistryValue>, status: number, why: RegExp) {
    const r = await replay(registry);
    assert.equal(r.info.state, "Halted");
    assert.equal(r.host.adapter("cap0"), undefined);
    const init = r.trace.find(
      (e) => e.name === "MiniportInitializeEx" && e.phase === "return" && e.driver === "pcap",
    );
    assert.equal(init?.status, status);
    assert.match(pcapReplayOf(r.driverObject)?.failure(r.info.ifIndex) ?? "", why);
    assert.equal(r.protocol.bindings.length, 0, "nothing binds to an adapter that never came up");
    await r.teardown();
  }

  test("a malformed file: NDIS_STATUS_INVALID_DATA, and the byte offset", async () => {
    const good = pcapFile(frames(2, 1));
    await refused(
      { File: file("cut.pcap", good.subarray(0, good.length - 10)) },
      NDIS_STATUS_INVALID_DATA,
      /cut\.pcap: capture file, byte 100: record of 60 bytes runs past the end of the file/,
    );
  });

  test("a missing file: NDIS_STATUS_OPEN_FAILED", async () => {
    await refused(
      { File: join(dir, "nope.pcap") },
      NDIS_STATUS_OPEN_FAILED,
      /nope\.pcap: cannot read it \(ENOENT\)/,
    );
  });

  test("registry values: File missing, Loop 2, Timing fast, RatePps 0", async () => {
    const path = file("ok.pcap", pcapFile(frames(1, 0)));
    await refused({}, NDIS_STATUS_INVALID_PARAMETER, /File \(the capture file\) is missing/);
    await refused(
      { File: path, Loop: 2 },
      NDIS_STATUS_INVALID_PARAMETER,
      /Loop is 2: expected 0 or 1/,
    );
    await refused(
      { File: path, Timing: "fast" },
      NDIS_STATUS_INVALID_PARAMETER,
      /Timing is "fast"/,
    );
    await refused({ File: path, RatePps: 0 }, NDIS_STATUS_INVALID_PARAMETER, /RatePps is 0/);
  });
});
