/**
 * The order and conditions of NDIS's calls into drivers, each test naming the page of
 * learn.microsoft.com (windows-hardware/drivers/network, and the ndis.h DDI reference) whose fact
 * it checks, in our own words, and asserting it on the trace. Facts already checked elsewhere
 * (removal and surprise removal orders: removal.test.ts; reset: reset.test.ts; the OIDs NDIS
 * answers itself: oid-ndis-answers.test.ts) are not repeated here.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as passthrough from "../../src/drivers/passthrough/index.js";
import {
  KeGetCurrentIrql,
  makeOidRequest,
  NDIS_FILTER_ATTRIBUTES_REVISION_1,
  type NDIS_HANDLE,
  NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND,
  NDIS_MINIPORT_ATTRIBUTES_NO_PAUSE_ON_SUSPEND,
  NDIS_OBJECT_TYPE_FILTER_ATTRIBUTES,
  NDIS_OBJECT_TYPE_STATUS_INDICATION,
  type NDIS_OID_REQUEST,
  NDIS_PAUSE_ATTACH_FILTER,
  NDIS_PAUSE_LOW_POWER,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NdisDevicePnPEventPowerProfileChanged,
  NdisDeviceStateD0,
  NdisDeviceStateD3,
  NdisFIndicateStatus,
  NdisFOidRequest,
  NdisFSetAttributes,
  NdisHost,
  NdisMOidRequestComplete,
  NdisRequestQueryInformation,
  NdisShutdownPowerOff,
  NetEventBindsComplete,
  NetEventPause,
  NetEventQueryPower,
  NetEventRestart,
  NetEventSetPower,
  OID_GEN_VENDOR_DESCRIPTION,
  OID_PNP_SET_POWER,
  PASSIVE_LEVEL,
  type TraceEvent,
} from "../../src/index.js";
import { scriptedFilter } from "../helpers/filter.js";
import { type Script, scriptedMiniport } from "../helpers/miniport.js";
import { scriptedProtocol } from "../helpers/protocol.js";

/** Every handler NDIS calls, as `driver: Handler(detail)`, in call order. */
function handlerLog(host: NdisHost): string[] {
  const log: string[] = [];
  host.onTrace((e: TraceEvent) => {
    if (e.kind === "handler" && e.phase === "call")
      log.push(`${e.driver}: ${e.name}(${e.detail ?? ""})`);
  });
  return log;
}

/** mp with eth0 under two filters, f1 (lower) and f2 (upper), and protocol p on top. */
async function filteredStack(mp: Script = {}) {
  const host = new NdisHost({ verifier: "record" });
  const log = handlerLog(host);
  const miniport = scriptedMiniport(mp);
  await host.loadDriver({ name: "mp", module: miniport.module });
  const f1 = scriptedFilter("f1");
  const f2 = scriptedFilter("f2");
  await host.loadDriver({ name: "f1", module: f1.module, filter: { class: "identification" } });
  await host.loadDriver({ name: "f2", module: f2.module, filter: { class: "diagnostic" } });
  const p = scriptedProtocol({ name: "p" });
  await host.loadDriver({ name: "p", module: p.module });
  return { host, log, miniport, p };
}

/** Only the lifecycle calls (no OID requests, no SetModuleOptions, no DriverEntry). */
const lifecycle = (log: readonly string[]) =>
  log.filter(
    (l) => !/OidRequest|FilterSetModuleOptions|DriverEntry|MiniportDevicePnPEventNotify/.test(l),
  );

describe("starting, pausing and restarting a driver stack", () => {
  // "Starting a Driver Stack": MiniportInitializeEx leaves the adapter Paused; the filter modules
  // attach from the one nearest the miniport upward; once all below are Paused the protocol binds;
  // then NDIS restarts the stack. "Restarting a Driver Stack": the miniport first, then the
  // modules from the bottom up, then the bindings (NetEventRestart). "Handling PnP Events and
  // Power Management Events in a Protocol Driver": NetEventBindsComplete, with a NULL binding
  // context, once the protocol is bound to every adapter it can bind to.
  test("initialize, attach bottom-up, bind, restart bottom-up, then NetEventBindsComplete", async () => {
    const { host, log, p } = await filteredStack();
    log.length = 0;
    p.calls.length = 0;
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.deepEqual(lifecycle(log), [
      "mp: MiniportInitializeEx(eth0)",
      "f1: FilterAttach(f1 on eth0)",
      "f2: FilterAttach(f2 on eth0)",
      "p: ProtocolBindAdapterEx(p → eth0)",
      "mp: MiniportRestart(eth0)",
      "f1: FilterRestart(f1 on eth0)",
      "f2: FilterRestart(f2 on eth0)",
      "p: ProtocolNetPnPEvent(p → eth0: NetEventRestart)",
    ]);
    // A protocol loaded after the adapter: bound and restarted first, then told the binds are done.
    const late = scriptedProtocol({ name: "late" });
    log.length = 0;
    await host.loadDriver({ name: "late", module: late.module });
    const mine = log.filter((l) => l.startsWith("late: ") && !l.includes("DriverEntry"));
    assert.deepEqual(mine, [
      "late: ProtocolBindAdapterEx(late → eth0)",
      "late: ProtocolNetPnPEvent(late → eth0: NetEventRestart)",
      `late: ProtocolNetPnPEvent(late: NetEvent ${NetEventBindsComplete})`,
    ]);
    assert.deepEqual(host.violations, []);
  });

  // "Pausing a Driver Stack": the protocol bindings first (NetEventPause), then the filter
  // modules from the top of the stack down to the miniport, then the miniport adapter.
  test("pause: bindings, then modules top-down, then the miniport; restart the mirror", async () => {
    const { host, log } = await filteredStack();
    await host.addAdapter({ driver: "mp", name: "eth0" });
    log.length = 0;
    await host.pauseStack("eth0");
    assert.deepEqual(lifecycle(log), [
      "p: ProtocolNetPnPEvent(p → eth0: NetEventPause)",
      "f2: FilterPause(f2 on eth0)",
      "f1: FilterPause(f1 on eth0)",
      "mp: MiniportPause(eth0)",
    ]);
    log.length = 0;
    await host.restartStack("eth0");
    assert.deepEqual(lifecycle(log), [
      "mp: MiniportRestart(eth0)",
      "f1: FilterRestart(f1 on eth0)",
      "f2: FilterRestart(f2 on eth0)",
      "p: ProtocolNetPnPEvent(p → eth0: NetEventRestart)",
    ]);
    assert.deepEqual(host.violations, []);
  });

  // "Restarting a Driver Stack": a miniport that fails its restart goes back to Paused, and NDIS
  // restarts nothing above it.
  test("a failed MiniportRestart: the adapter stays Paused, no module or binding is restarted", async () => {
    let fail = false;
    const { host, log } = await filteredStack({
      restart: () => (fail ? NDIS_STATUS_FAILURE : NDIS_STATUS_SUCCESS),
    });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    await host.pauseStack("eth0");
    fail = true;
    log.length = 0;
    await host.restartStack("eth0");
    assert.deepEqual(lifecycle(log), ["mp: MiniportRestart(eth0)"]);
    assert.equal(host.adapter("eth0")?.state, "Paused");
    assert.deepEqual(
      host.bindings.map((b) => b.state),
      ["Paused"],
    );
  });

  // "Stopping a Driver Stack": the stack is paused, the protocol unbound, the filter modules
  // detached from the top down, and the miniport halted last.
  test("stop: pause, unbind, detach top-down, halt", async () => {
    const { host, log } = await filteredStack();
    await host.addAdapter({ driver: "mp", name: "eth0" });
    log.length = 0;
    await host.removeAdapter("eth0");
    assert.deepEqual(lifecycle(log), [
      "p: ProtocolNetPnPEvent(p → eth0: NetEventPause)",
      "f2: FilterPause(f2 on eth0)",
      "f1: FilterPause(f1 on eth0)",
      "mp: MiniportPause(eth0)",
      "p: ProtocolUnbindAdapterEx(p → eth0)",
      "f2: FilterDetach(f2 on eth0)",
      "f1: FilterDetach(f1 on eth0)",
      "mp: MiniportHaltEx(eth0)",
    ]);
    assert.deepEqual(host.violations, []);
  });

  // "Modifying a Running Driver Stack": to insert a filter module NDIS pauses the stack, attaches
  // the module, and restarts the stack; NDIS_PROTOCOL_PAUSE_PARAMETERS names the reason
  // (NDIS_PAUSE_ATTACH_FILTER).
  test("a filter module added at run time: pause the stack, FilterAttach, restart it", async () => {
    const host = new NdisHost({ verifier: "record" });
    const log = handlerLog(host);
    const mp = scriptedMiniport();
    await host.loadDriver({ name: "mp", module: mp.module });
    const p = scriptedProtocol({ name: "p" });
    await host.loadDriver({ name: "p", module: p.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    const f = scriptedFilter("f");
    await host.loadDriver({ name: "f", module: f.module, filter: { adapters: [] } });
    log.length = 0;
    p.calls.length = 0;
    await host.attachFilter("f", "eth0");
    assert.deepEqual(lifecycle(log), [
      "p: ProtocolNetPnPEvent(p → eth0: NetEventPause)",
      "mp: MiniportPause(eth0)",
      "f: FilterAttach(f on eth0)",
      "mp: MiniportRestart(eth0)",
      "f: FilterRestart(f on eth0)",
      "p: ProtocolNetPnPEvent(p → eth0: NetEventRestart)",
    ]);
    assert.equal(p.calls[0], `ProtocolNetPnPEvent(${NetEventPause}, ${NDIS_PAUSE_ATTACH_FILTER})`);
    assert.deepEqual(host.violations, []);
  });
});

describe("attaching a filter module", () => {
  // "Attaching a Filter Module": while Attaching (inside FilterAttach) a filter makes no OID
  // request and no status indication; both are supported from Paused on. The attach itself
  // still succeeds, and the miniport never sees the request.
  test("an OID request and a status indication from inside FilterAttach are refused and named", async () => {
    const host = new NdisHost({ verifier: "record" });
    const seen: number[] = [];
    await host.loadDriver({
      name: "mp",
      module: scriptedMiniport({
        oid: (_a, r) => {
          seen.push(r.DATA.QUERY_INFORMATION.Oid);
          return NDIS_STATUS_NOT_SUPPORTED;
        },
      }).module,
    });
    let oidStatus = -1;
    const f1 = scriptedFilter("f1", {
      attach: (handle) => {
        const status = NdisFSetAttributes(
          handle,
          { handle, adapter: "eth0" },
          {
            Header: {
              Type: NDIS_OBJECT_TYPE_FILTER_ATTRIBUTES,
              Revision: NDIS_FILTER_ATTRIBUTES_REVISION_1,
              Size: 8,
            },
            Flags: 0,
          },
        );
        oidStatus = NdisFOidRequest(
          handle,
          makeOidRequest({
            RequestType: NdisRequestQueryInformation,
            Oid: OID_GEN_VENDOR_DESCRIPTION,
            InformationBuffer: new Uint8Array(32),
          }),
        );
        NdisFIndicateStatus(handle, {
          Header: { Type: NDIS_OBJECT_TYPE_STATUS_INDICATION, Revision: 1, Size: 0 },
          SourceHandle: handle,
          PortNumber: 0,
          StatusCode: NDIS_STATUS_LINK_STATE,
          Flags: 0,
          DestinationHandle: null,
          RequestId: null,
          StatusBuffer: null,
          StatusBufferSize: 0,
          Guid: null,
          NdisReserved: [null, null, null, null],
        } as never);
        return status;
      },
    });
    await host.loadDriver({ name: "f1", module: f1.module, filter: { class: "identification" } });
    const p = scriptedProtocol({ name: "p" });
    await host.loadDriver({ name: "p", module: p.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.equal(oidStatus, NDIS_STATUS_FAILURE);
    assert.ok(!seen.includes(OID_GEN_VENDOR_DESCRIPTION), "the miniport never saw it");
    assert.deepEqual(p.statuses, [], "no indication reached the protocol");
    assert.deepEqual(
      host.violations.map((v) => v.rule),
      ["FilterRequest_Attaching", "FilterRequest_Attaching"],
    );
    assert.equal(host.adapter("eth0")?.state, "Running");
  });
});

describe("halting a miniport adapter", () => {
  // "Halting a Miniport Adapter": NDIS does not call MiniportHaltEx while OID requests are
  // outstanding. A query NDIS sent for user mode, pended by the miniport, holds the halt back
  // until NdisMOidRequestComplete.
  test("MiniportHaltEx waits for an OID request NDIS itself has outstanding", async () => {
    const host = new NdisHost({ verifier: "record" });
    const log = handlerLog(host);
    let held: NDIS_OID_REQUEST | null = null;
    const mp = scriptedMiniport({
      oid: (_a, r) => {
        if (r.DATA.QUERY_INFORMATION.Oid !== OID_GEN_VENDOR_DESCRIPTION)
          return NDIS_STATUS_NOT_SUPPORTED;
        held = r;
        return NDIS_STATUS_PENDING;
      },
    });
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    const answer = host.oidRequest("eth0", {
      type: "query",
      oid: OID_GEN_VENDOR_DESCRIPTION,
      buffer: new Uint8Array(64),
    });
    let removed = false;
    const removal = host.removeAdapter("eth0").then(() => {
      removed = true;
    });
    // Let the removal run as far as it can.
    for (let i = 0; i < 50 && !removed; i++) await new Promise((r) => setImmediate(r));
    assert.ok(held !== null, "the miniport holds the query");
    assert.ok(log.includes("mp: MiniportPause(eth0)"), "the stack was paused");
    assert.ok(!log.includes("mp: MiniportHaltEx(eth0)"), "no halt with the query outstanding");
    assert.equal(removed, false);
    NdisMOidRequestComplete(
      mp.adapters[0]?.handle as NDIS_HANDLE,
      held as unknown as NDIS_OID_REQUEST,
      NDIS_STATUS_SUCCESS,
    );
    await removal;
    assert.equal((await answer).status, NDIS_STATUS_SUCCESS);
    assert.deepEqual(log.slice(-1), ["mp: MiniportHaltEx(eth0)"]);
    assert.deepEqual(host.violations, []);
  });
});

describe("system power", () => {
  /** The OID_PNP_SET_POWER states a miniport was set to, in order. */
  const powerMiniport = (powers: number[]): Script => ({
    attributeFlags: NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND,
    oid: (_a, r) => {
      const q = r.DATA.SET_INFORMATION;
      if (q.Oid !== OID_PNP_SET_POWER) return NDIS_STATUS_NOT_SUPPORTED;
      powers.push(new DataView((q.InformationBuffer as Uint8Array).buffer).getUint32(0, true));
      q.BytesRead = 4;
      return NDIS_STATUS_SUCCESS;
    },
  });

  // "Handling a Set Power Request": going to sleep, the protocols hear NetEventSetPower first,
  // then NDIS pauses the modules above and the miniport (reason: low power), and only then
  // issues OID_PNP_SET_POWER. Waking: OID_PNP_SET_POWER(D0), then the restart (miniport, then
  // the drivers above), then NetEventSetPower(D0). MINIPORT_DEVICE_PNP_EVENT_NOTIFY: after the set
  // to D0 NDIS tells the miniport the power profile.
  test("sleep: set power, pause, OID; wake: OID, power profile, restart, set power", async () => {
    const powers: number[] = [];
    const { host, log, miniport, p } = await filteredStack(powerMiniport(powers));
    await host.addAdapter({ driver: "mp", name: "eth0" });
    log.length = 0;
    p.calls.length = 0;
    miniport.calls.length = 0;
    assert.equal(await host.suspend(), NDIS_STATUS_SUCCESS);
    assert.deepEqual(log, [
      "p: ProtocolNetPnPEvent(p → eth0: NetEvent 1)", // NetEventQueryPower
      "p: ProtocolNetPnPEvent(p → eth0: NetEvent 0)", // NetEventSetPower (D3)
      "p: ProtocolNetPnPEvent(p → eth0: NetEventPause)",
      "f2: FilterPause(f2 on eth0)",
      "f1: FilterPause(f1 on eth0)",
      "mp: MiniportPause(eth0)",
      "mp: MiniportOidRequest(eth0)", // OID_PNP_SET_POWER (D3)
    ]);
    assert.deepEqual(p.calls, [
      `ProtocolNetPnPEvent(${NetEventQueryPower})`,
      `ProtocolNetPnPEvent(${NetEventSetPower})`,
      `ProtocolNetPnPEvent(${NetEventPause}, ${NDIS_PAUSE_LOW_POWER})`,
    ]);
    assert.ok(miniport.calls.includes(`MiniportPause(${NDIS_PAUSE_LOW_POWER})`));
    log.length = 0;
    miniport.calls.length = 0;
    await host.resume();
    assert.deepEqual(lifecycle(log), [
      "mp: MiniportRestart(eth0)",
      "f1: FilterRestart(f1 on eth0)",
      "f2: FilterRestart(f2 on eth0)",
      "p: ProtocolNetPnPEvent(p → eth0: NetEventRestart)",
      "p: ProtocolNetPnPEvent(p → eth0: NetEvent 0)", // NetEventSetPower (D0)
    ]);
    assert.deepEqual(miniport.calls.slice(0, 3), [
      `MiniportOidRequest(${OID_PNP_SET_POWER.toString(16)})`,
      `MiniportDevicePnPEventNotify(${NdisDevicePnPEventPowerProfileChanged})`,
      "MiniportRestart",
    ]);
    assert.deepEqual(powers, [NdisDeviceStateD3, NdisDeviceStateD0]);
    assert.deepEqual(host.violations, []);
  });

  // "Handling a Set Power Request", the virtual-miniport case: the protocol bound to an IM
  // driver's virtual miniport hears NetEventSetPower before its pause and NetEventSetPower(D0)
  // after its restart; the virtual miniport gets OID_PNP_SET_POWER, which the IM answers itself.
  test("above an IM virtual miniport: set power before the pause, set power (D0) after the restart", async () => {
    const host = new NdisHost({
      verifier: "record",
      bindings: [
        { protocol: "passthrough", adapter: "eth0" },
        { protocol: "tcpip", adapter: "eth0-pt" },
      ],
    });
    const mp = scriptedMiniport(powerMiniport([]));
    const tcpip = scriptedProtocol({ name: "tcpip" });
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.loadDriver({ name: "passthrough", module: passthrough });
    await host.loadDriver({ name: "tcpip", module: tcpip.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    tcpip.calls.length = 0;
    assert.equal(await host.suspend(), NDIS_STATUS_SUCCESS);
    const events = () => tcpip.calls.map((c) => c.replace(/, \d+\)$/, ")"));
    const sleep = events();
    assert.ok(
      sleep.indexOf(`ProtocolNetPnPEvent(${NetEventSetPower})`) <
        sleep.indexOf(`ProtocolNetPnPEvent(${NetEventPause})`),
      sleep.join(", "),
    );
    tcpip.calls.length = 0;
    await host.resume();
    const wake = events();
    assert.ok(
      wake.indexOf(`ProtocolNetPnPEvent(${NetEventRestart})`) <
        wake.indexOf(`ProtocolNetPnPEvent(${NetEventSetPower})`),
      wake.join(", "),
    );
    assert.deepEqual(
      host.adapters.map((a) => `${a.name}:${a.state}`),
      ["eth0:Running", "eth0-pt:Running"],
    );
    assert.deepEqual(host.violations, []);
  });

  // OID_PNP_SET_POWER: from NDIS 6.30 on, NDIS does not pause and restart the stack around a power
  // transition when the miniport set NDIS_MINIPORT_ATTRIBUTES_NO_PAUSE_ON_SUSPEND and every
  // protocol bound (and filter attached) above it is an NDIS 6.30 or later driver.
  for (const [minor, paused] of [
    [30, false],
    [20, true],
  ] as const) {
    test(`NO_PAUSE_ON_SUSPEND with an NDIS 6.${minor} protocol above: ${paused ? "paused as usual" : "no pause, no restart"}`, async () => {
      const powers: number[] = [];
      const host = new NdisHost({ verifier: "record" });
      const log = handlerLog(host);
      const mp = scriptedMiniport({
        ...powerMiniport(powers),
        minor: 30,
        attributeFlags:
          NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND |
          NDIS_MINIPORT_ATTRIBUTES_NO_PAUSE_ON_SUSPEND,
      });
      const p = scriptedProtocol({ name: "p", minor });
      await host.loadDriver({ name: "mp", module: mp.module });
      await host.loadDriver({ name: "p", module: p.module });
      await host.addAdapter({ driver: "mp", name: "eth0" });
      log.length = 0;
      assert.equal(await host.suspend(), NDIS_STATUS_SUCCESS);
      await host.resume();
      const stackOps = log.filter((l) =>
        /MiniportPause|MiniportRestart|NetEventPause|NetEventRestart/.test(l),
      );
      assert.equal(stackOps.length > 0, paused, stackOps.join(", "));
      assert.deepEqual(powers, [NdisDeviceStateD3, NdisDeviceStateD0]);
      assert.equal(host.adapter("eth0")?.state, "Running");
      assert.deepEqual(host.violations, []);
    });
  }

  // "Handling PnP Events and Power Management Events in a Protocol Driver": a protocol that is not
  // aware of power management answers NetEventSetPower with NDIS_STATUS_NOT_SUPPORTED to have NDIS
  // unbind it from the adapter. (It binds again once the system is awake.)
  test("NetEventSetPower answered NOT_SUPPORTED: NDIS unbinds that protocol before the pause", async () => {
    const host = new NdisHost({ verifier: "record" });
    const log = handlerLog(host);
    const mp = scriptedMiniport(powerMiniport([]));
    const old = scriptedProtocol({
      name: "old",
      pnp: (_b, e) =>
        e.NetPnPEvent.NetEvent === NetEventSetPower
          ? NDIS_STATUS_NOT_SUPPORTED
          : NDIS_STATUS_SUCCESS,
    });
    const aware = scriptedProtocol({ name: "aware" });
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.loadDriver({ name: "old", module: old.module });
    await host.loadDriver({ name: "aware", module: aware.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    log.length = 0;
    assert.equal(await host.suspend(), NDIS_STATUS_SUCCESS);
    const unbind = log.indexOf("old: ProtocolUnbindAdapterEx(old → eth0)");
    assert.ok(
      unbind > log.indexOf("old: ProtocolNetPnPEvent(old → eth0: NetEvent 0)"),
      log.join("\n"),
    );
    assert.ok(unbind < log.indexOf("mp: MiniportPause(eth0)"), log.join("\n"));
    assert.ok(!log.includes("aware: ProtocolUnbindAdapterEx(aware → eth0)"));
    assert.deepEqual(
      host.bindings.map((b) => `${b.protocol}:${b.state}`),
      ["aware:Paused"],
    );
    await host.resume();
    assert.deepEqual(host.bindings.map((b) => `${b.protocol}:${b.state}`).sort(), [
      "aware:Running",
      "old:Running",
    ]);
    assert.deepEqual(host.violations, []);
  });

  // "Handling PnP Events and Power Management Events in a Protocol Driver": a NetEventQueryPower
  // is always followed by a NetEventSetPower; one that sets the current state (D0) cancels the
  // query. A refused query is therefore followed by NetEventSetPower(D0), and nothing pauses.
  test("a refused NetEventQueryPower is followed by NetEventSetPower of the current state", async () => {
    const host = new NdisHost({ verifier: "record" });
    const mp = scriptedMiniport();
    const states: number[] = [];
    const proto = scriptedProtocol({
      pnp: (_b, e) => {
        const ev = e.NetPnPEvent;
        if (ev.NetEvent === NetEventSetPower)
          states.push(new DataView((ev.Buffer as Uint8Array).buffer).getUint32(0, true));
        return ev.NetEvent === NetEventQueryPower ? NDIS_STATUS_FAILURE : NDIS_STATUS_SUCCESS;
      },
    });
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.loadDriver({ name: "proto", module: proto.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    proto.calls.length = 0;
    assert.equal(await host.suspend(), NDIS_STATUS_FAILURE);
    assert.deepEqual(proto.calls, [
      `ProtocolNetPnPEvent(${NetEventQueryPower})`,
      `ProtocolNetPnPEvent(${NetEventSetPower})`,
    ]);
    assert.deepEqual(states, [NdisDeviceStateD0], "D0, the state the adapter is in");
    assert.deepEqual(
      host.adapters.map((a) => a.state),
      ["Running"],
    );
  });
});

describe("unloading", () => {
  // "Unloading a Miniport Driver": the system calls the unload routine once every device the
  // driver services has been removed — each adapter is paused and halted, and only then does
  // MiniportDriverUnload run.
  test("a miniport: every adapter paused and halted, then MiniportDriverUnload", async () => {
    const host = new NdisHost({ verifier: "record" });
    const log = handlerLog(host);
    const mp = scriptedMiniport();
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    await host.addAdapter({ driver: "mp", name: "eth1" });
    log.length = 0;
    await host.unloadDriver("mp");
    assert.deepEqual(lifecycle(log), [
      "mp: MiniportPause(eth0)",
      "mp: MiniportHaltEx(eth0)",
      "mp: MiniportPause(eth1)",
      "mp: MiniportHaltEx(eth1)",
      "mp: MiniportDriverUnload()",
    ]);
    assert.deepEqual(host.violations, []);
  });

  // "Unloading a Filter Driver" (NdisFDeregisterFilterDriver detaches every module still
  // attached; the unload routine runs once none is) and "Modifying a Running Driver Stack" (a
  // module leaves a running stack paused: NDIS pauses the stack, detaches, restarts it).
  test("a filter: each module leaves its paused stack (FilterDetach), the stack restarts, then the unload routine", async () => {
    const host = new NdisHost({ verifier: "record" });
    const log = handlerLog(host);
    await host.loadDriver({ name: "mp", module: scriptedMiniport().module });
    const f1 = scriptedFilter("f1");
    await host.loadDriver({ name: "f1", module: f1.module, filter: { class: "identification" } });
    await host.loadDriver({ name: "p", module: scriptedProtocol({ name: "p" }).module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    log.length = 0;
    await host.unloadDriver("f1");
    assert.deepEqual(lifecycle(log), [
      "p: ProtocolNetPnPEvent(p → eth0: NetEventPause)",
      "f1: FilterPause(f1 on eth0)",
      "mp: MiniportPause(eth0)",
      "f1: FilterDetach(f1 on eth0)",
      "mp: MiniportRestart(eth0)",
      "p: ProtocolNetPnPEvent(p → eth0: NetEventRestart)",
      "f1: DriverUnload()",
    ]);
    assert.equal(host.adapter("eth0")?.state, "Running");
    assert.deepEqual(host.violations, []);
  });

  // PROTOCOL_UNINSTALL: when the protocol is uninstalled NDIS calls ProtocolUninstall after
  // ProtocolUnbindAdapterEx for each bound adapter, and before the unload routine. A plain stop
  // (no uninstall) does not call it.
  for (const uninstall of [true, false]) {
    test(`a protocol ${uninstall ? "uninstalled: unbind from each adapter, ProtocolUninstall, then the unload routine" : "stopped, not uninstalled: no ProtocolUninstall"}`, async () => {
      const host = new NdisHost({ verifier: "record" });
      const log = handlerLog(host);
      await host.loadDriver({ name: "mp", module: scriptedMiniport().module });
      const p = scriptedProtocol({ name: "p", chars: { UninstallHandler: () => {} } });
      await host.loadDriver({ name: "p", module: p.module });
      await host.addAdapter({ driver: "mp", name: "eth0" });
      await host.addAdapter({ driver: "mp", name: "eth1" });
      log.length = 0;
      await host.unloadDriver("p", { uninstall });
      assert.deepEqual(lifecycle(log), [
        "p: ProtocolNetPnPEvent(p → eth0: NetEventPause)",
        "p: ProtocolUnbindAdapterEx(p → eth0)",
        "p: ProtocolNetPnPEvent(p → eth1: NetEventPause)",
        "p: ProtocolUnbindAdapterEx(p → eth1)",
        ...(uninstall ? ["p: ProtocolUninstall(p)"] : []),
        "p: DriverUnload()",
      ]);
      assert.deepEqual(host.violations, []);
    });
  }

  // "Unloading an Intermediate Driver": the IM's MiniportDriverUnload deregisters both edges;
  // "Intermediate Driver Unbinding Operations": ProtocolUnbindAdapterEx of the protocol edge closes
  // its binding (NdisCloseAdapterEx). The virtual miniport is gone (halted) before its lower
  // binding is unbound, and the unload routine comes last.
  test("an IM driver: the stack above the virtual miniport, its halt, the protocol edge's unbind, then MiniportDriverUnload", async () => {
    const host = new NdisHost({
      verifier: "record",
      bindings: [
        { protocol: "passthrough", adapter: "eth0" },
        { protocol: "tcpip", adapter: "eth0-pt" },
      ],
    });
    const log = handlerLog(host);
    await host.loadDriver({ name: "mp", module: scriptedMiniport().module });
    await host.loadDriver({ name: "passthrough", module: passthrough });
    await host.loadDriver({ name: "tcpip", module: scriptedProtocol({ name: "tcpip" }).module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    log.length = 0;
    await host.unloadDriver("passthrough", { uninstall: true });
    assert.deepEqual(lifecycle(log), [
      "tcpip: ProtocolNetPnPEvent(tcpip → eth0-pt: NetEventPause)",
      "passthrough: MiniportPause(eth0-pt)",
      "tcpip: ProtocolUnbindAdapterEx(tcpip → eth0-pt)",
      "passthrough: MiniportHaltEx(eth0-pt)",
      "passthrough: ProtocolNetPnPEvent(passthrough → eth0: NetEventPause)",
      "passthrough: ProtocolUnbindAdapterEx(passthrough → eth0)",
      "passthrough: MiniportDriverUnload()",
    ]);
    assert.equal(host.adapter("eth0")?.state, "Running", "the lower adapter runs on");
    assert.deepEqual(host.violations, []);
  });
});

describe("shutdown", () => {
  // MINIPORT_SHUTDOWN: for NdisShutdownPowerOff NDIS calls MiniportShutdownEx at PASSIVE_LEVEL,
  // the adapter enters the Shutdown state and no other handler runs after it, MiniportHaltEx
  // included — not even a pause first.
  test("MiniportShutdownEx at PASSIVE_LEVEL from Running, and nothing after it", async () => {
    const host = new NdisHost({ verifier: "record" });
    const log = handlerLog(host);
    const irqls: number[] = [];
    const mp = scriptedMiniport({ shutdown: () => irqls.push(KeGetCurrentIrql()) });
    await host.loadDriver({ name: "mp", module: mp.module });
    const p = scriptedProtocol({ name: "p" });
    await host.loadDriver({ name: "p", module: p.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    log.length = 0;
    await host.shutdown(NdisShutdownPowerOff);
    assert.deepEqual(log, ["mp: MiniportShutdownEx(eth0)"]);
    assert.deepEqual(irqls, [PASSIVE_LEVEL]);
    assert.deepEqual(host.violations, []);
  });
});
