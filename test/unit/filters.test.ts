/**
 * Filter modules in the stack: attach in NDIS's order relative to the miniport's restart and the
 * protocols' binds, the data path through any number of modules (and around bypassed ones),
 * OIDs and status through them, insertion and removal at run time, unload, mandatory filters,
 * and the verifier's filter rules, each broken by a filter that breaks it.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  filterDriverEntry,
  DriverEntry as passthroughFilterEntry,
} from "../../src/drivers/filter-passthrough/index.js";
import {
  type NDIS_HANDLE,
  NDIS_OBJECT_TYPE_OID_REQUEST,
  NDIS_OBJECT_TYPE_STATUS_INDICATION,
  type NDIS_OID_REQUEST,
  NDIS_OID_REQUEST_REVISION_1,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INDICATION_REVISION_1,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NdisFIndicateReceiveNetBufferLists,
  NdisFOidRequestComplete,
  NdisFPauseComplete,
  NdisFRestartComplete,
  NdisFReturnNetBufferLists,
  NdisFSendNetBufferLists,
  NdisFSendNetBufferListsComplete,
  NdisFSetAttributes,
  NdisHost,
  NdisMIndicateReceiveNetBufferLists,
  NdisMIndicateStatusEx,
  NdisOidRequest,
  NdisRequestQueryInformation,
  NdisReturnNetBufferLists,
  NdisSendNetBufferLists,
  type NET_BUFFER_LIST,
  OID_GEN_VENDOR_DESCRIPTION,
  type TraceEvent,
} from "../../src/index.js";
import { teardownHost } from "../helpers/drivers.js";
import { type FilterScript, scriptedFilter } from "../helpers/filter.js";
import { type Script, scriptedMiniport } from "../helpers/miniport.js";
import { allocateNbls, link, nblPool } from "../helpers/nbl.js";
import { type ProtocolScript, scriptedProtocol } from "../helpers/protocol.js";

const rules = (host: NdisHost) => host.violations.map((v) => v.rule);

interface StackOptions {
  mp?: Script;
  proto?: ProtocolScript;
  filters?: {
    name: string;
    script?: FilterScript;
    filter?: Parameters<NdisHost["loadDriver"]>[0]["filter"];
  }[];
  verifier?: "record" | "strict";
}

/** A miniport with eth0, the filters given (loaded before the adapter), a protocol bound. */
async function stack(opts: StackOptions = {}) {
  const host = new NdisHost({ verifier: opts.verifier ?? "record" });
  const handlers: string[] = [];
  host.onTrace((e: TraceEvent) => {
    if (e.kind === "handler" && e.phase === "call") handlers.push(e.name);
  });
  const mp = scriptedMiniport(opts.mp);
  await host.loadDriver({ name: "mp", module: mp.module });
  const filters = [];
  for (const f of opts.filters ?? [{ name: "flt" }]) {
    const sf = scriptedFilter(f.name, f.script);
    await host.loadDriver({
      name: f.name,
      module: sf.module,
      ...(f.filter ? { filter: f.filter } : {}),
    });
    filters.push(sf);
  }
  const proto = scriptedProtocol(opts.proto);
  await host.loadDriver({ name: "proto", module: proto.module });
  await host.addAdapter({ driver: "mp", name: "eth0" });
  const binding = proto.bindings[0]?.handle as NDIS_HANDLE;
  const adapter = mp.adapters[0]?.handle as NDIS_HANDLE;
  return { host, mp, proto, filters, binding, adapter, handlers };
}

function oidRequest(): NDIS_OID_REQUEST {
  return {
    Header: { Type: NDIS_OBJECT_TYPE_OID_REQUEST, Revision: NDIS_OID_REQUEST_REVISION_1, Size: 0 },
    RequestType: NdisRequestQueryInformation,
    PortNumber: 0,
    Timeout: 0,
    RequestId: 7,
    RequestHandle: null,
    DATA: {
      QUERY_INFORMATION: {
        Oid: OID_GEN_VENDOR_DESCRIPTION,
        InformationBuffer: new Uint8Array(64),
        InformationBufferLength: 64,
        BytesWritten: 0,
        BytesNeeded: 0,
        BytesRead: 0,
      },
    },
    SourceReserved: [],
    SupportedRevision: 0,
  } as unknown as NDIS_OID_REQUEST;
}

describe("a filter module in the stack", () => {
  test("NDIS attaches after MiniportInitializeEx, before the bind, and restarts it after the miniport", async () => {
    const s = await stack();
    const order = s.handlers.filter((h) =>
      [
        "MiniportInitializeEx",
        "FilterAttach",
        "ProtocolBindAdapterEx",
        "MiniportRestart",
        "FilterSetModuleOptions",
        "FilterRestart",
      ].includes(h),
    );
    assert.deepEqual(order, [
      "MiniportInitializeEx",
      "FilterAttach",
      "ProtocolBindAdapterEx",
      "MiniportRestart",
      "FilterSetModuleOptions",
      "FilterRestart",
    ]);
    const [m] = s.host.filterModules("eth0");
    assert.equal(m?.state, "Running");
    assert.equal(m?.driver, "flt");
    await teardownHost(s.host);
  });

  test("sends go down through the module and their completions come back up, each NBL once", async () => {
    const s = await stack();
    const nbls = allocateNbls(nblPool(s.proto.protocolHandle() as NDIS_HANDLE), 3, s.binding);
    NdisSendNetBufferLists(s.binding, nbls[0] as NET_BUFFER_LIST, 0, 0);
    assert.deepEqual(s.mp.sent, nbls, "the miniport got the protocol's NBLs");
    assert.deepEqual(
      s.proto.completed.map((c) => c.nbl),
      nbls,
    );
    assert.deepEqual(
      s.filters[0]?.calls.filter((c) => c.startsWith("FilterSend")),
      ["FilterSendNetBufferLists(eth0)", "FilterSendNetBufferListsComplete(eth0)"],
    );
    assert.deepEqual(rules(s.host), []);
  });

  test("receives go up through the module and their returns come back down to the miniport", async () => {
    const s = await stack();
    const nbls = allocateNbls(nblPool(s.adapter), 2, s.adapter);
    NdisMIndicateReceiveNetBufferLists(s.adapter, nbls[0] as NET_BUFFER_LIST, 0, 2, 0);
    assert.deepEqual(s.proto.received, nbls);
    assert.deepEqual(
      s.mp.returned,
      nbls,
      "the protocol returned at once; the filter passed it down",
    );
    assert.ok(s.filters[0]?.calls.includes("FilterReturnNetBufferLists(eth0)"));
    assert.deepEqual(rules(s.host), []);
  });

  test("two modules stack by class: the diagnostic one sits above the identification one", async () => {
    const s = await stack({
      filters: [
        { name: "lower", filter: { class: "identification" } },
        { name: "upper", filter: { class: "diagnostic" } },
      ],
    });
    assert.deepEqual(
      s.host.filterModules("eth0").map((m) => m.driver),
      ["lower", "upper"],
    );
    const seen: string[] = [];
    s.host.onTrace((e) => {
      if (e.kind === "handler" && e.phase === "call" && e.name.startsWith("Filter"))
        seen.push(`${e.name}:${e.driver}`);
    });
    const nbls = allocateNbls(nblPool(s.proto.protocolHandle() as NDIS_HANDLE), 1, s.binding);
    NdisSendNetBufferLists(s.binding, nbls[0] as NET_BUFFER_LIST, 0, 0);
    assert.deepEqual(seen, [
      "FilterSendNetBufferLists:upper",
      "FilterSendNetBufferLists:lower",
      "FilterSendNetBufferListsComplete:lower",
      "FilterSendNetBufferListsComplete:upper",
    ]);
    assert.equal(s.proto.completed.length, 1);
    assert.deepEqual(rules(s.host), []);
  });

  test("a filter without send and receive handlers is bypassed on the data path", async () => {
    const s = await stack({ filters: [{ name: "by", script: { bypass: true } }] });
    const nbls = allocateNbls(nblPool(s.proto.protocolHandle() as NDIS_HANDLE), 2, s.binding);
    NdisSendNetBufferLists(s.binding, nbls[0] as NET_BUFFER_LIST, 0, 0);
    const rx = allocateNbls(nblPool(s.adapter), 1, s.adapter);
    NdisMIndicateReceiveNetBufferLists(s.adapter, rx[0] as NET_BUFFER_LIST, 0, 1, 0);
    assert.equal(s.proto.completed.length, 2);
    assert.deepEqual(s.proto.received, rx);
    assert.ok(!s.handlers.some((h) => h.startsWith("FilterSend") || h.startsWith("FilterReceive")));
    const [m] = s.host.filterModules("eth0");
    assert.equal(m?.sends, false);
    assert.equal(m?.state, "Running");
    assert.deepEqual(rules(s.host), []);
  });

  test("an OID request goes down through FilterOidRequest and completes back up", async () => {
    let pended: NDIS_OID_REQUEST | null = null;
    const s = await stack({
      mp: {
        // Only the test's own query pends; the protocol's bind-time filter request succeeds.
        oid: (_a, r) => {
          if (r.DATA.QUERY_INFORMATION.Oid !== OID_GEN_VENDOR_DESCRIPTION)
            return NDIS_STATUS_SUCCESS;
          pended = r;
          return NDIS_STATUS_PENDING;
        },
      },
    });
    const request = oidRequest();
    assert.equal(NdisOidRequest(s.binding, request), NDIS_STATUS_PENDING);
    assert.ok(s.filters[0]?.calls.includes("FilterOidRequest(eth0)"));
    assert.equal(pended, request, "the scripted filter passed the request itself down");
    const { NdisMOidRequestComplete } = await import("../../src/index.js");
    NdisMOidRequestComplete(s.adapter, request, NDIS_STATUS_SUCCESS);
    assert.ok(s.filters[0]?.calls.includes("FilterOidRequestComplete(eth0)"));
    assert.deepEqual(
      s.proto.oidCompletions.map((c) => c.status),
      [NDIS_STATUS_SUCCESS],
    );
    assert.deepEqual(rules(s.host), []);
  });

  test("a filter may answer an OID itself: the miniport never sees it", async () => {
    let seen = 0;
    const s = await stack({
      mp: {
        oid: () => {
          seen++;
          return NDIS_STATUS_SUCCESS;
        },
      },
      filters: [{ name: "flt", script: { oid: () => NDIS_STATUS_SUCCESS } }],
    });
    assert.equal(NdisOidRequest(s.binding, oidRequest()), NDIS_STATUS_SUCCESS);
    assert.equal(seen, 0);
    await teardownHost(s.host);
  });

  test("a status indication goes up through FilterStatus to the protocol", async () => {
    const s = await stack();
    NdisMIndicateStatusEx(s.adapter, {
      Header: {
        Type: NDIS_OBJECT_TYPE_STATUS_INDICATION,
        Revision: NDIS_STATUS_INDICATION_REVISION_1,
        Size: 0,
      },
      SourceHandle: s.adapter,
      PortNumber: 0,
      StatusCode: NDIS_STATUS_LINK_STATE,
      Flags: 0,
      DestinationHandle: null,
      RequestId: null,
      StatusBuffer: null,
      StatusBufferSize: 0,
      Guid: null,
      NdisReserved: [],
    } as never);
    assert.ok(s.filters[0]?.calls.includes("FilterStatus(eth0)"));
    assert.equal(s.proto.statuses.length, 1);
    await teardownHost(s.host);
  });

  test("inserting and removing a module at run time pauses and restarts the stack around it", async () => {
    const s = await stack({ filters: [] });
    const late = scriptedFilter("late");
    await s.host.loadDriver({ name: "late", module: late.module });
    assert.deepEqual(
      s.host.filterModules("eth0").map((m) => `${m.driver}:${m.state}`),
      ["late:Running"],
    );
    assert.ok(
      s.mp.calls.some((c) => c === "MiniportPause(16)"),
      "paused with NDIS_PAUSE_ATTACH_FILTER",
    );
    const nbls = allocateNbls(nblPool(s.proto.protocolHandle() as NDIS_HANDLE), 1, s.binding);
    NdisSendNetBufferLists(s.binding, nbls[0] as NET_BUFFER_LIST, 0, 0);
    assert.ok(late.calls.includes("FilterSendNetBufferLists(eth0)"));
    await s.host.detachFilter("late", "eth0");
    assert.deepEqual(s.host.filterModules("eth0"), []);
    assert.ok(late.calls.includes("FilterDetach(eth0)"));
    assert.ok(
      s.mp.calls.some((c) => c === "MiniportPause(32)"),
      "paused with NDIS_PAUSE_DETACH_FILTER",
    );
    assert.equal(s.host.adapter("eth0")?.state, "Running");
    await s.host.attachFilter("late", "eth0");
    assert.equal(s.host.filterModules("eth0")[0]?.state, "Running");
    await s.host.unloadDriver("late");
    assert.deepEqual(s.host.filterModules("eth0"), []);
    assert.ok(late.calls.includes("FilterDriverUnload"));
    assert.deepEqual(rules(s.host), []);
  });

  test("a mandatory filter that fails to attach keeps the stack down; an optional one is skipped", async () => {
    const optional = await stack({
      filters: [{ name: "flt", script: { attach: () => NDIS_STATUS_FAILURE } }],
    });
    assert.equal(optional.host.adapter("eth0")?.state, "Running");
    assert.deepEqual(optional.host.filterModules("eth0"), []);
    await teardownHost(optional.host);
    const mandatory = await stack({
      filters: [
        { name: "flt", script: { attach: () => NDIS_STATUS_FAILURE }, filter: { mandatory: true } },
      ],
    });
    assert.equal(mandatory.host.adapter("eth0"), undefined, "the adapter was halted");
    assert.ok(mandatory.mp.calls.some((c) => c.startsWith("MiniportHaltEx")));
    assert.equal(mandatory.proto.bindings.length, 0, "nothing bound");
    await teardownHost(mandatory.host);
  });

  test("the passthrough filter sample carries traffic both ways, and in bypass mode too", async () => {
    for (const entry of [passthroughFilterEntry, filterDriverEntry({ bypass: true })]) {
      const host = new NdisHost({ verifier: "strict" });
      const mp = scriptedMiniport();
      await host.loadDriver({ name: "mp", module: mp.module });
      await host.loadDriver({ name: "filter-passthrough", module: { DriverEntry: entry } });
      const proto = scriptedProtocol();
      await host.loadDriver({ name: "proto", module: proto.module });
      await host.addAdapter({ driver: "mp", name: "eth0" });
      const binding = proto.bindings[0]?.handle as NDIS_HANDLE;
      const adapter = mp.adapters[0]?.handle as NDIS_HANDLE;
      const tx = allocateNbls(nblPool(proto.protocolHandle() as NDIS_HANDLE), 4, binding);
      NdisSendNetBufferLists(binding, tx[0] as NET_BUFFER_LIST, 0, 0);
      const rx = allocateNbls(nblPool(adapter), 2, adapter);
      NdisMIndicateReceiveNetBufferLists(adapter, rx[0] as NET_BUFFER_LIST, 0, 2, 0);
      assert.equal(proto.completed.length, 4);
      assert.deepEqual(mp.returned, rx);
      assert.equal(NdisOidRequest(binding, oidRequest()) !== NDIS_STATUS_PENDING, true);
      await host.pauseStack("eth0");
      await host.restartStack("eth0");
      assert.equal(host.filterModules("eth0")[0]?.state, "Running");
      assert.deepEqual(host.violations, []);
    }
  });
});

describe("the verifier's filter rules, each broken by a filter", () => {
  test("FilterPause_NblsOutstanding: a pause that completes while a send it made is still below", async () => {
    const s = await stack({ mp: { send: () => {} } });
    const m = s.filters[0]?.modules[0] as { handle: NDIS_HANDLE };
    const tx = allocateNbls(nblPool(m.handle), 1, m.handle);
    NdisFSendNetBufferLists(m.handle, tx[0] as NET_BUFFER_LIST, 0, 0);
    assert.deepEqual(s.mp.sent, tx, "the miniport holds the filter's own NBL");
    await s.host.pauseStack("eth0");
    assert.deepEqual(rules(s.host), [
      "FilterPause_NblsOutstanding",
      "MiniportPause_NblsOutstanding",
    ]);
  });

  test("FilterPause_NblsOutstanding: a pause that completes while an indication it made is held above", async () => {
    // "Pausing a Filter Module": the module waits for the receive indications it originated.
    const held: NET_BUFFER_LIST[] = [];
    const s = await stack({ proto: { receive: (_b, nbls) => void held.push(nbls) } });
    const m = s.filters[0]?.modules[0] as { handle: NDIS_HANDLE };
    const rx = allocateNbls(nblPool(m.handle), 1, m.handle);
    NdisFIndicateReceiveNetBufferLists(m.handle, rx[0] as NET_BUFFER_LIST, 0, 1, 0);
    assert.deepEqual(held, rx, "the protocol keeps the filter's own NBL");
    await s.host.pauseStack("eth0");
    assert.deepEqual(rules(s.host), ["FilterPause_NblsOutstanding"]);
  });

  test("a pause that completes while a receive it only passed up is held above is no violation: the miniport waits for it", async () => {
    // The protocol keeps the miniport's NBL across its own pause ("Pausing a Binding" lets it) and
    // returns it only once MiniportPause has been called; the module's pause completes before.
    const held: NET_BUFFER_LIST[] = [];
    const s = await stack({
      proto: { receive: (_b, nbls) => void held.push(nbls) },
      mp: {
        pause: () => {
          assert.deepEqual(s.filters[0]?.calls.slice(-1), ["FilterPause(eth0)"]);
          for (const n of held.splice(0)) NdisReturnNetBufferLists(s.binding, n, 0);
          return NDIS_STATUS_SUCCESS;
        },
      },
    });
    const rx = allocateNbls(nblPool(s.adapter), 2, s.adapter);
    NdisMIndicateReceiveNetBufferLists(s.adapter, link(rx), 0, 2, 0);
    assert.equal(held.length, 1, "the protocol keeps the miniport's NBLs");
    await s.host.pauseStack("eth0");
    assert.deepEqual(s.mp.returned, rx, "back at the miniport, through the paused module");
    assert.deepEqual(rules(s.host), []);
  });

  test("FilterSend_Paused and FilterIndicate_Paused: traffic from a paused module", async () => {
    // Its own NBLs come back to it (completed PAUSED); it keeps them.
    const s = await stack({ filters: [{ name: "flt", script: { sendComplete: () => {} } }] });
    const m = s.filters[0]?.modules[0] as { handle: NDIS_HANDLE };
    const pool = nblPool(m.handle);
    await s.host.pauseStack("eth0");
    const tx = allocateNbls(pool, 1, m.handle);
    NdisFSendNetBufferLists(m.handle, tx[0] as NET_BUFFER_LIST, 0, 0);
    const rx = allocateNbls(pool, 1, m.handle);
    NdisFIndicateReceiveNetBufferLists(m.handle, rx[0] as NET_BUFFER_LIST, 0, 1, 0);
    assert.deepEqual(rules(s.host), ["FilterSend_Paused", "FilterIndicate_Paused"]);
  });

  test("NdisFSendNetBufferListsComplete_NotOwned: completing a send twice", async () => {
    const s = await stack({
      filters: [
        {
          name: "flt",
          script: {
            sendComplete: (m, n, f) => {
              NdisFSendNetBufferListsComplete(m.handle, n, f);
              NdisFSendNetBufferListsComplete(m.handle, n, f);
            },
          },
        },
      ],
    });
    const nbls = allocateNbls(nblPool(s.proto.protocolHandle() as NDIS_HANDLE), 1, s.binding);
    NdisSendNetBufferLists(s.binding, nbls[0] as NET_BUFFER_LIST, 0, 0);
    assert.equal(s.proto.completed.length, 1, "the protocol hears once");
    assert.deepEqual(rules(s.host), ["NdisFSendNetBufferListsComplete_NotOwned"]);
  });

  test("NdisFReturnNetBufferLists_NotIndicated: returning a receive twice", async () => {
    const s = await stack({
      filters: [
        {
          name: "flt",
          script: {
            returnNbls: (m, n, f) => {
              NdisFReturnNetBufferLists(m.handle, n, f);
              NdisFReturnNetBufferLists(m.handle, n, f);
            },
          },
        },
      ],
    });
    const rx = allocateNbls(nblPool(s.adapter), 1, s.adapter);
    NdisMIndicateReceiveNetBufferLists(s.adapter, rx[0] as NET_BUFFER_LIST, 0, 1, 0);
    assert.deepEqual(s.mp.returned, rx, "the miniport gets it back once");
    assert.deepEqual(rules(s.host), ["NdisFReturnNetBufferLists_NotIndicated"]);
  });

  test("NdisFSendNetBufferLists_InvalidChain and NdisFIndicateReceiveNetBufferLists_InvalidChain", async () => {
    const s = await stack();
    const m = s.filters[0]?.modules[0] as { handle: NDIS_HANDLE };
    NdisFSendNetBufferLists(m.handle, null as unknown as NET_BUFFER_LIST, 0, 0);
    const rx = allocateNbls(nblPool(m.handle), 2, m.handle);
    NdisFIndicateReceiveNetBufferLists(m.handle, link(rx), 0, 5, 0);
    assert.deepEqual(rules(s.host), [
      "NdisFSendNetBufferLists_InvalidChain",
      "NdisFIndicateReceiveNetBufferLists_InvalidChain",
    ]);
  });

  test("FilterAttach_MissingAttributes and NdisFSetAttributes_OutsideAttach", async () => {
    const s = await stack({
      filters: [{ name: "flt", script: { attach: () => NDIS_STATUS_SUCCESS } }],
    });
    assert.deepEqual(s.host.filterModules("eth0"), [], "NDIS failed the attach");
    const t = await stack();
    const m = t.filters[0]?.modules[0] as { handle: NDIS_HANDLE };
    NdisFSetAttributes(m.handle, {}, { Header: { Type: 0x8d, Revision: 1, Size: 8 }, Flags: 0 });
    assert.deepEqual(rules(s.host), ["FilterAttach_MissingAttributes"]);
    assert.deepEqual(rules(t.host), ["NdisFSetAttributes_OutsideAttach"]);
  });

  test("NdisFPauseComplete_NotPending and NdisFRestartComplete_NotPending", async () => {
    const s = await stack();
    const m = s.filters[0]?.modules[0] as { handle: NDIS_HANDLE };
    NdisFPauseComplete(m.handle);
    NdisFRestartComplete(m.handle, NDIS_STATUS_SUCCESS);
    assert.deepEqual(rules(s.host), [
      "NdisFPauseComplete_NotPending",
      "NdisFRestartComplete_NotPending",
    ]);
  });

  test("NdisFOidRequestComplete_NotPending: completing a request the filter was never given", async () => {
    const s = await stack();
    const m = s.filters[0]?.modules[0] as { handle: NDIS_HANDLE };
    NdisFOidRequestComplete(m.handle, oidRequest(), NDIS_STATUS_SUCCESS);
    assert.deepEqual(rules(s.host), ["NdisFOidRequestComplete_NotPending"]);
  });

  test("FilterDetach_RequestsPending: detaching a module whose request below never completed", async () => {
    const s = await stack({
      mp: {
        oid: (_a, r) =>
          r.DATA.QUERY_INFORMATION.Oid === OID_GEN_VENDOR_DESCRIPTION
            ? NDIS_STATUS_PENDING
            : NDIS_STATUS_SUCCESS,
      },
    });
    const m = s.filters[0]?.modules[0] as { handle: NDIS_HANDLE };
    const { NdisFOidRequest } = await import("../../src/index.js");
    assert.equal(NdisFOidRequest(m.handle, oidRequest()), NDIS_STATUS_PENDING);
    await s.host.detachFilter("flt", "eth0");
    assert.ok(rules(s.host).includes("FilterDetach_RequestsPending"));
  });

  test("NdisFDeregisterFilterDriver_ModulesAttached: deregistering with a module attached", async () => {
    const s = await stack();
    const { NdisFDeregisterFilterDriver } = await import("../../src/index.js");
    const block = s.host.drivers.find((d) => d.name === "flt")?.filterDrivers[0];
    NdisFDeregisterFilterDriver(block?.handle as NDIS_HANDLE);
    assert.deepEqual(rules(s.host), ["NdisFDeregisterFilterDriver_ModulesAttached"]);
    assert.deepEqual(s.host.filterModules("eth0"), []);
  });

  test("Irql_Filter_Driver_Function: NdisFRegisterFilterDriver under a spin lock", async () => {
    const { NdisAcquireSpinLock, NdisAllocateSpinLock, NdisReleaseSpinLock } = await import(
      "../../src/index.js"
    );
    const host = new NdisHost({ verifier: "record" });
    const f = scriptedFilter("flt");
    await host.loadDriver({
      name: "flt",
      module: {
        DriverEntry: (d, p) => {
          const lock = {} as never;
          NdisAllocateSpinLock(lock);
          NdisAcquireSpinLock(lock);
          const st = f.module.DriverEntry(d, p);
          NdisReleaseSpinLock(lock);
          return st;
        },
      },
    });
    assert.ok(rules(host).includes("Irql_Filter_Driver_Function"));
  });
});
