/**
 * What a filter module costs on the data path, as ratios of cells paired in the same rounds of
 * one run: a protocol sending 64-NBL batches to a miniport (send + completion) and a miniport
 * indicating 64-NBL batches to a protocol (receive + return),
 *
 *   direct:  no filter;
 *   filter:  through a running filter-passthrough module;
 *   bypass:  through a filter-passthrough registered without send/receive handlers (bypass mode).
 *
 * Each round measures every cell once, in rotating order, so that drift and GC fall on all of
 * them alike; a cell's figure is its median over the rounds. Then heap growth per packet over
 * 5 million packets through the running filter (64-NBL batches), after warm-up.
 *
 * Run: npm run bench:filter (BENCH_ROUNDS, BENCH_PACKETS to change the size).
 */
import {
  filterDriverEntry,
  DriverEntry as filterEntry,
} from "../src/drivers/filter-passthrough/index.js";
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
} from "../src/index.js";
import { miniportChars, protocolChars } from "../test/helpers/drivers.js";
import { generalAttributes, registrationAttributes } from "../test/helpers/miniport.js";

const BATCH = 64;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const PACKETS = Number(process.env.BENCH_PACKETS ?? 1_000_000);

let moved = 0;

function benchMiniport(adapters: NDIS_HANDLE[]): DriverModule {
  return {
    DriverEntry: (DriverObject, RegistryPath) => {
      const chars = miniportChars({
        Flags: 0,
        Header: { Type: 0x8a, Revision: 2, Size: 152 },
        MinorNdisVersion: 20,
        InitializeHandlerEx: (handle: NDIS_HANDLE) => {
          adapters.push(handle);
          const ctx = { handle };
          NdisMSetMiniportAttributes(handle, registrationAttributes(ctx));
          return NdisMSetMiniportAttributes(handle, generalAttributes());
        },
        SendNetBufferListsHandler: (a: { handle: NDIS_HANDLE }, nbls: NET_BUFFER_LIST) => {
          NdisMSendNetBufferListsComplete(a.handle, nbls, 0);
        },
        ReturnNetBufferListsHandler: () => {
          moved++;
        },
      });
      return NdisMRegisterMiniportDriver(DriverObject, RegistryPath, undefined, chars, {});
    },
  };
}

function benchProtocol(
  bindings: NDIS_HANDLE[],
  handleOut: { value: NDIS_HANDLE | undefined },
): DriverModule {
  return {
    DriverEntry: (DriverObject) => {
      const chars = protocolChars({
        Name: "benchproto",
        BindAdapterHandlerEx: (_c: unknown, bindContext: NDIS_HANDLE, p: NDIS_BIND_PARAMETERS) => {
          const out: Out<NDIS_HANDLE> = {};
          const ctx: { handle: NDIS_HANDLE | undefined } = { handle: undefined };
          const status = NdisOpenAdapterEx(
            handleOut.value as NDIS_HANDLE,
            ctx,
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
          ctx.handle = out.value;
          if (out.value !== undefined) bindings.push(out.value);
          return status;
        },
        SendNetBufferListsCompleteHandler: () => {
          moved++;
        },
        ReceiveNetBufferListsHandler: (b: { handle: NDIS_HANDLE }, nbls: NET_BUFFER_LIST) => {
          NdisReturnNetBufferLists(b.handle, nbls, 0);
        },
      });
      const out: Out<NDIS_HANDLE> = {};
      const status = NdisRegisterProtocolDriver(undefined, chars, out);
      handleOut.value = out.value;
      DriverObject.DriverUnload = () => undefined;
      return status;
    },
  };
}

function chainOf(handle: NDIS_HANDLE, source: NDIS_HANDLE): NET_BUFFER_LIST {
  const pool = NdisAllocateNetBufferListPool(handle, {
    Header: {
      Type: NDIS_OBJECT_TYPE_DEFAULT,
      Revision: NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
      Size: NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
    },
    ProtocolId: 0,
    fAllocateNetBuffer: true,
    ContextSize: 0,
    PoolTag: 0x746c6662,
    DataSize: 64,
  });
  if (pool === null) throw new Error("pool");
  const list: NET_BUFFER_LIST[] = [];
  for (let i = 0; i < BATCH; i++) {
    const nbl = NdisAllocateNetBufferList(pool, 0, 0) as NET_BUFFER_LIST;
    nbl.SourceHandle = source;
    list.push(nbl);
  }
  for (let i = 0; i < BATCH; i++) (list[i] as NET_BUFFER_LIST).Next = list[i + 1] ?? null;
  return list[0] as NET_BUFFER_LIST;
}

interface Cell {
  readonly name: string;
  readonly send: () => void;
  readonly receive: () => void;
  readonly host: NdisHost;
}

async function cell(name: string, filter: "none" | "running" | "bypass"): Promise<Cell> {
  const adapters: NDIS_HANDLE[] = [];
  const bindings: NDIS_HANDLE[] = [];
  const proto: { value: NDIS_HANDLE | undefined } = { value: undefined };
  const host = new NdisHost({ verifier: "off" });
  await host.loadDriver({ name: "benchmp", module: benchMiniport(adapters) });
  if (filter !== "none") {
    const entry = filter === "bypass" ? filterDriverEntry({ bypass: true }) : filterEntry;
    await host.loadDriver({ name: "filter-passthrough", module: { DriverEntry: entry } });
  }
  await host.loadDriver({ name: "benchproto", module: benchProtocol(bindings, proto) });
  await host.addAdapter({ driver: "benchmp", name: "eth0" });
  const binding = bindings[0] as NDIS_HANDLE;
  const adapter = adapters[0] as NDIS_HANDLE;
  const tx = chainOf(proto.value as NDIS_HANDLE, binding);
  const rx = chainOf(adapter, adapter);
  return {
    name,
    host,
    send: () => NdisSendNetBufferLists(binding, tx, 0, 0),
    receive: () => NdisMIndicateReceiveNetBufferLists(adapter, rx, 0, BATCH, 0),
  };
}

/** Packets per second of `round` over about PACKETS packets. */
function measure(round: () => void): number {
  const rounds = Math.max(1, Math.floor(PACKETS / BATCH));
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) round();
  return (rounds * BATCH * 1e9) / Number(process.hrtime.bigint() - start);
}

const cells = [
  await cell("direct", "none"),
  await cell("filter", "running"),
  await cell("bypass", "bypass"),
];
for (const c of cells) {
  for (let i = 0; i < 20_000; i++) {
    c.send();
    c.receive();
  }
}
const samples = new Map<string, number[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < cells.length; k++) {
    const c = cells[(k + round) % cells.length] as Cell;
    for (const [dir, fn] of [
      ["send", c.send],
      ["receive", c.receive],
    ] as const) {
      const key = `${c.name}/${dir}`;
      const list = samples.get(key) ?? [];
      list.push(measure(fn));
      samples.set(key, list);
    }
  }
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};
const pps = (key: string) => median(samples.get(key) ?? [0]);
const rows = cells.map((c) => ({
  path: c.name,
  "send+complete (Mpps)": Number((pps(`${c.name}/send`) / 1e6).toFixed(2)),
  "receive+return (Mpps)": Number((pps(`${c.name}/receive`) / 1e6).toFixed(2)),
}));
console.table(rows);
for (const dir of ["send", "receive"]) {
  const direct = pps(`direct/${dir}`);
  console.log(
    `${dir}: filter costs ${(direct / pps(`filter/${dir}`)).toFixed(2)}× direct, bypass ${(direct / pps(`bypass/${dir}`)).toFixed(2)}× direct (64-NBL batches, median of ${ROUNDS} paired rounds)`,
  );
}
for (const c of cells) if (c.host.violations.length > 0) throw new Error(`${c.name}: a violation`);
if (moved === 0) throw new Error("nothing moved");

// Allocation in steady state through the running filter.
{
  const c = cells[1] as Cell;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const packets = 5_000_000;
  for (let i = 0; i < packets / BATCH; i++) {
    c.send();
    c.receive();
  }
  const after = process.memoryUsage().heapUsed;
  console.log(
    `heap growth through the running filter: ${((after - before) / (2 * packets)).toFixed(3)} bytes/packet over ${2 * packets} packets (sends and receives, before any GC${gc === undefined ? "; run with --expose-gc for a clean baseline" : ""})`,
  );
}
