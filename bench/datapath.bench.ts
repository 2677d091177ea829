/**
 * Data-path throughput, in packets (NBLs) per second, for batches of 1, 16 and 64 NBLs:
 *
 *  (a) ceiling: the same NBL objects handed through three plain function calls and back;
 *  (b) a protocol sending straight to a miniport through NDIS (send + completion), verifier off;
 *  (c) the same through the passthrough IM driver; also receive + return through it;
 *  (d) (c) with the verifier strict.
 *
 * Then, for (c) with 64-NBL batches, heap growth and GC runs over 10 million packets in steady
 * state: the data path should allocate nothing per packet.
 *
 * Run: npm run bench:datapath. Figures are ratios within one run; record them in BENCHMARKS.md.
 */
import { PerformanceObserver } from "node:perf_hooks";
import * as passthrough from "../src/drivers/passthrough/index.js";
import {
  type DriverModule,
  type NDIS_BIND_PARAMETERS,
  type NDIS_HANDLE,
  NDIS_OBJECT_TYPE_DEFAULT,
  NDIS_OBJECT_TYPE_OPEN_PARAMETERS,
  NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
  NdisAllocateNetBufferList,
  NdisAllocateNetBufferListPool,
  NdisHost,
  type NdisHostOptions,
  NdisMedium802_3,
  NdisMIndicateReceiveNetBufferLists,
  NdisMRegisterMiniportDriver,
  NdisMSendNetBufferListsComplete,
  NdisMSetMiniportAttributes,
  NdisOpenAdapterEx,
  NdisRegisterProtocolDriver,
  NdisReturnNetBufferLists,
  NdisSendNetBufferLists,
  type NET_BUFFER_LIST,
  NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
  type Out,
  type VerifierMode,
} from "../src/index.js";
import { miniportChars, protocolChars } from "../test/helpers/drivers.js";
import { generalAttributes, registrationAttributes } from "../test/helpers/miniport.js";

interface MpAdapter {
  readonly handle: NDIS_HANDLE;
}
const mpAdapters: MpAdapter[] = [];
let returned = 0;

/** A miniport whose wire takes every frame at once; it counts what comes back from receives. */
const benchMiniport: DriverModule = {
  DriverEntry: (DriverObject, RegistryPath) => {
    const chars = miniportChars({
      Flags: 0,
      Header: { Type: 0x8a, Revision: 2, Size: 152 },
      MinorNdisVersion: 20,
      InitializeHandlerEx: (handle: NDIS_HANDLE) => {
        const adapter: MpAdapter = { handle };
        mpAdapters.push(adapter);
        NdisMSetMiniportAttributes(handle, registrationAttributes(adapter));
        return NdisMSetMiniportAttributes(handle, generalAttributes());
      },
      SendNetBufferListsHandler: (a: MpAdapter, nbls: NET_BUFFER_LIST) => {
        NdisMSendNetBufferListsComplete(a.handle, nbls, 0);
      },
      ReturnNetBufferListsHandler: (_a: MpAdapter, nbls: NET_BUFFER_LIST) => {
        for (let n: NET_BUFFER_LIST | null = nbls; n !== null; n = n.Next) returned++;
      },
    });
    const out: Out<NDIS_HANDLE> = {};
    return NdisMRegisterMiniportDriver(DriverObject, RegistryPath, undefined, chars, out);
  },
};

interface ProtoBinding {
  handle: NDIS_HANDLE | undefined;
}
let protocolHandle: NDIS_HANDLE | undefined;
const protoBindings: ProtoBinding[] = [];
let completed = 0;
let received = 0;

/** A protocol that counts completions and returns every receive at once. */
const benchProtocol: DriverModule = {
  DriverEntry: (DriverObject) => {
    const chars = protocolChars({
      Name: "benchproto",
      BindAdapterHandlerEx: (_c: unknown, bindContext: NDIS_HANDLE, p: NDIS_BIND_PARAMETERS) => {
        const b: ProtoBinding = { handle: undefined };
        protoBindings.push(b);
        const out: Out<NDIS_HANDLE> = {};
        const status = NdisOpenAdapterEx(
          protocolHandle as NDIS_HANDLE,
          b,
          {
            Header: { Type: NDIS_OBJECT_TYPE_OPEN_PARAMETERS, Revision: 1, Size: 0 },
            AdapterName: p.AdapterName,
            MediumArray: [NdisMedium802_3],
            MediumArraySize: 1,
            SelectedMediumIndex: {},
          },
          bindContext,
          out,
        );
        b.handle = out.value;
        return status;
      },
      SendNetBufferListsCompleteHandler: (_b: ProtoBinding, nbls: NET_BUFFER_LIST) => {
        for (let n: NET_BUFFER_LIST | null = nbls; n !== null; n = n.Next) completed++;
      },
      ReceiveNetBufferListsHandler: (
        b: ProtoBinding,
        nbls: NET_BUFFER_LIST,
        _p: number,
        count: number,
      ) => {
        received += count;
        NdisReturnNetBufferLists(b.handle as NDIS_HANDLE, nbls, 0);
      },
    });
    const out: Out<NDIS_HANDLE> = {};
    const status = NdisRegisterProtocolDriver(undefined, chars, out);
    protocolHandle = out.value;
    DriverObject.DriverUnload = () => undefined;
    return status;
  },
};

function pool(handle: NDIS_HANDLE): NDIS_HANDLE {
  const p = NdisAllocateNetBufferListPool(handle, {
    Header: {
      Type: NDIS_OBJECT_TYPE_DEFAULT,
      Revision: NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
      Size: NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
    },
    ProtocolId: 0,
    fAllocateNetBuffer: true,
    ContextSize: 32, // room for the IM's context, as a real stack reserves it
    PoolTag: 0x68636e62,
    DataSize: 64,
  });
  if (p === null) throw new Error("pool allocation failed");
  return p;
}

function batch(poolHandle: NDIS_HANDLE, size: number, source: NDIS_HANDLE): NET_BUFFER_LIST {
  const list: NET_BUFFER_LIST[] = [];
  for (let i = 0; i < size; i++) {
    const nbl = NdisAllocateNetBufferList(poolHandle, 0, 0);
    if (nbl === null) throw new Error("NBL allocation failed");
    nbl.SourceHandle = source;
    list.push(nbl);
  }
  for (let i = 0; i < size; i++) (list[i] as NET_BUFFER_LIST).Next = list[i + 1] ?? null;
  return list[0] as NET_BUFFER_LIST;
}

interface Stack {
  readonly send: NDIS_HANDLE;
  readonly indicate: NDIS_HANDLE;
  readonly host: NdisHost;
}

async function makeStack(viaIm: boolean, verifier: VerifierMode): Promise<Stack> {
  mpAdapters.length = 0;
  protoBindings.length = 0;
  const options: NdisHostOptions = {
    verifier,
    bindings: viaIm
      ? [
          { protocol: "passthrough", adapter: "eth0" },
          { protocol: "benchproto", adapter: "eth0-pt" },
        ]
      : [{ protocol: "benchproto", adapter: "eth0" }],
  };
  const host = new NdisHost(options);
  await host.loadDriver({ name: "benchmp", module: benchMiniport });
  if (viaIm) await host.loadDriver({ name: "passthrough", module: passthrough });
  await host.loadDriver({ name: "benchproto", module: benchProtocol });
  await host.addAdapter({ driver: "benchmp", name: "eth0" });
  const send = protoBindings[0]?.handle;
  const indicate = mpAdapters[0]?.handle;
  if (send === undefined || indicate === undefined) throw new Error("the bench stack did not bind");
  return { send, indicate, host };
}

/** Packets per second of `round` (which moves `size` packets), over about `packets` packets. */
function measure(size: number, packets: number, round: () => void): number {
  const rounds = Math.max(1, Math.floor(packets / size));
  for (let i = 0; i < Math.min(rounds, 20_000); i++) round(); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) round();
  const ns = Number(process.hrtime.bigint() - start);
  return (rounds * size * 1e9) / ns;
}

const SIZES = [1, 16, 64] as const;
const PACKETS = Number(process.env.BENCH_PACKETS ?? 3_000_000);
const rows: Record<string, string | number>[] = [];
const results = new Map<string, number>();

function record(name: string, size: number, pps: number) {
  results.set(`${name}/${size}`, pps);
}

// (a) ceiling: three plain calls down, one back up.
for (const size of SIZES) {
  const stack = await makeStack(false, "off");
  const chain = batch(pool(protocolHandle as NDIS_HANDLE), size, stack.send);
  let done = 0;
  const complete = (nbls: NET_BUFFER_LIST) => {
    for (let n: NET_BUFFER_LIST | null = nbls; n !== null; n = n.Next) done++;
  };
  const miniport = (nbls: NET_BUFFER_LIST) => complete(nbls);
  const ndis = (nbls: NET_BUFFER_LIST) => miniport(nbls);
  const protocol = (nbls: NET_BUFFER_LIST) => ndis(nbls);
  record(
    "a",
    size,
    measure(size, PACKETS, () => protocol(chain)),
  );
  if (done === 0) throw new Error("ceiling moved nothing");
}

for (const [name, viaIm, verifier] of [
  ["b", false, "off"],
  ["c", true, "off"],
  ["d", true, "strict"],
] as const) {
  for (const size of SIZES) {
    const stack = await makeStack(viaIm, verifier);
    const chain = batch(pool(protocolHandle as NDIS_HANDLE), size, stack.send);
    const before = completed;
    record(
      name,
      size,
      measure(size, PACKETS, () => NdisSendNetBufferLists(stack.send, chain, 0, 0)),
    );
    if (completed === before) throw new Error(`${name}: nothing completed`);
    if (viaIm) {
      const rx = batch(pool(stack.indicate), size, stack.indicate);
      const r0 = returned;
      record(
        `${name}-rx`,
        size,
        measure(size, PACKETS, () =>
          NdisMIndicateReceiveNetBufferLists(stack.indicate, rx, 0, size, 0),
        ),
      );
      if (returned === r0 || received === 0) throw new Error(`${name}: nothing received`);
    }
    if (stack.host.violations.length > 0)
      throw new Error(`${name}: ${stack.host.violations[0]?.message}`);
  }
}

const label: Record<string, string> = {
  a: "(a) ceiling: 3 plain calls",
  b: "(b) protocol → miniport, send+complete",
  c: "(c) protocol → passthrough → miniport, send+complete",
  "c-rx": "(c) miniport → passthrough → protocol, receive+return",
  d: "(d) = (c) send+complete, verifier strict",
  "d-rx": "(d) = (c) receive+return, verifier strict",
};
for (const key of Object.keys(label)) {
  const row: Record<string, string | number> = { path: label[key] as string };
  for (const size of SIZES)
    row[`batch ${size} (Mpps)`] = Number(((results.get(`${key}/${size}`) ?? 0) / 1e6).toFixed(2));
  rows.push(row);
}
console.table(rows);
const r = (x: string, y: string) => ((results.get(x) ?? 0) / (results.get(y) ?? 1)).toFixed(2);
console.log(
  `(b)/(c) at 64: ${r("b/64", "c/64")}×   (c)/(d) at 64: ${r("c/64", "d/64")}×   (a)/(c) at 64: ${r("a/64", "c/64")}×`,
);

// Steady-state allocation: 10 million packets through (c), 64-NBL batches.
{
  const stack = await makeStack(true, "strict");
  const chain = batch(pool(protocolHandle as NDIS_HANDLE), 64, stack.send);
  for (let i = 0; i < 50_000; i++) NdisSendNetBufferLists(stack.send, chain, 0, 0);
  let gcs = 0;
  const observer = new PerformanceObserver((list) => {
    gcs += list.getEntries().length;
  });
  observer.observe({ entryTypes: ["gc"] });
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const packets = 10_000_000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < packets / 64; i++) NdisSendNetBufferLists(stack.send, chain, 0, 0);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const heapAfterNoGc = process.memoryUsage().heapUsed;
  await new Promise((resolve) => setImmediate(resolve));
  observer.disconnect();
  console.log(
    `10M packets via passthrough (strict, batch 64): ${seconds.toFixed(2)} s, ${gcs} GC runs, heap ${((heapAfterNoGc - heapBefore) / 1024).toFixed(0)} KiB larger before any GC (${((heapAfterNoGc - heapBefore) / packets).toFixed(2)} bytes/packet)${gc === undefined ? " (run with --expose-gc for a clean baseline)" : ""}`,
  );
}
