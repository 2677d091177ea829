/**
 * PnP events beyond pause and restart (§2.9): NetEventQueryRemoveDevice with veto and
 * NetEventCancelRemoveDevice, NetEventReconfigure with PENDING, and an IM driver passing events
 * up with NdisMNetPnPEvent under its rules.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as passthrough from "../../src/drivers/passthrough/index.js";
import * as testMiniport from "../../src/drivers/test-miniport/index.js";
import {
  type NDIS_HANDLE,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NdisCompleteNetPnPEvent,
  NdisError,
  NdisHost,
  NdisMNetPnPEvent,
  type NET_PNP_EVENT_NOTIFICATION,
  NetEventCancelRemoveDevice,
  NetEventPause,
  NetEventQueryRemoveDevice,
  NetEventReconfigure,
  type TraceEvent,
} from "../../src/index.js";
import { scriptedIm } from "../helpers/im.js";
import { scriptedMiniport } from "../helpers/miniport.js";
import { type ProtocolScript, scriptedProtocol } from "../helpers/protocol.js";

/** testmp/eth0 under passthrough, with tcpip above eth0-pt. */
async function stack(tcpipScript: ProtocolScript = {}) {
  const host = new NdisHost({
    verifier: "record",
    bindings: [
      { protocol: "passthrough", adapter: "eth0" },
      { protocol: "tcpip", adapter: "eth0-pt" },
    ],
  });
  await host.loadDriver({ name: "testmp", module: testMiniport });
  await host.loadDriver({ name: "passthrough", module: passthrough });
  const tcpip = scriptedProtocol({ name: "tcpip", ...tcpipScript });
  await host.loadDriver({ name: "tcpip", module: tcpip.module });
  await host.addAdapter({ driver: "testmp", name: "eth0" });
  const log: string[] = [];
  host.onTrace((e: TraceEvent) => {
    if (e.phase === "call" && (e.kind === "handler" || e.name === "NdisMNetPnPEvent"))
      log.push(`${e.name}(${e.detail ?? ""})`);
  });
  return { host, tcpip, log };
}

const refusesRemoval = (): ProtocolScript => ({
  pnp: (_b, e) =>
    e.NetPnPEvent.NetEvent === NetEventQueryRemoveDevice
      ? NDIS_STATUS_FAILURE
      : NDIS_STATUS_SUCCESS,
});

describe("query remove", () => {
  test("the question travels up through passthrough; nobody refuses, so the adapter may go", async () => {
    const { host, tcpip, log } = await stack();
    assert.equal(await host.queryRemoveAdapter("eth0"), NDIS_STATUS_SUCCESS);
    assert.deepEqual(log, [
      `ProtocolNetPnPEvent(passthrough → eth0: NetEvent ${NetEventQueryRemoveDevice})`,
      "NdisMNetPnPEvent()",
      `ProtocolNetPnPEvent(tcpip → eth0-pt: NetEvent ${NetEventQueryRemoveDevice})`,
    ]);
    assert.deepEqual(tcpip.calls.slice(-1), [`ProtocolNetPnPEvent(${NetEventQueryRemoveDevice})`]);
    assert.deepEqual(host.violations, []);
  });

  test("a refusal above the IM vetoes the removal; the adapter stays and nothing was torn down", async () => {
    const { host } = await stack(refusesRemoval());
    assert.equal(await host.queryRemoveAdapter("eth0"), NDIS_STATUS_FAILURE);
    await assert.rejects(
      host.removeAdapter("eth0", { query: true }),
      (e: unknown) => NdisError.is(e) && e.code === "NDIS_ERR_VETOED",
    );
    assert.deepEqual(
      host.adapters.map((a) => `${a.name}:${a.state}`),
      ["eth0:Running", "eth0-pt:Running"],
    );
  });

  test("those asked before a refusal hear NetEventCancelRemoveDevice", async () => {
    const host = new NdisHost({ verifier: "record" });
    await host.loadDriver({ name: "testmp", module: testMiniport });
    const first = scriptedProtocol({ name: "first" });
    const second = scriptedProtocol({ name: "second", ...refusesRemoval() });
    await host.loadDriver({ name: "first", module: first.module });
    await host.loadDriver({ name: "second", module: second.module });
    await host.addAdapter({ driver: "testmp", name: "eth0" });
    assert.equal(await host.queryRemoveAdapter("eth0"), NDIS_STATUS_FAILURE);
    assert.deepEqual(first.calls.slice(-2), [
      `ProtocolNetPnPEvent(${NetEventQueryRemoveDevice})`,
      `ProtocolNetPnPEvent(${NetEventCancelRemoveDevice})`,
    ]);
    assert.deepEqual(second.calls.slice(-1), [`ProtocolNetPnPEvent(${NetEventQueryRemoveDevice})`]);
  });
});

describe("reconfigure", () => {
  test("a protocol that pends NetEventReconfigure completes it with NdisCompleteNetPnPEvent", async () => {
    let held: { binding: NDIS_HANDLE; event: NET_PNP_EVENT_NOTIFICATION } | undefined;
    const host = new NdisHost({ verifier: "record" });
    await host.loadDriver({ name: "testmp", module: testMiniport });
    const proto = scriptedProtocol({
      name: "proto",
      pnp: (b, e) => {
        if (e.NetPnPEvent.NetEvent !== NetEventReconfigure) return NDIS_STATUS_SUCCESS;
        held = { binding: b.handle as NDIS_HANDLE, event: e };
        return NDIS_STATUS_PENDING;
      },
    });
    await host.loadDriver({ name: "proto", module: proto.module });
    await host.addAdapter({ driver: "testmp", name: "eth0" });
    let done = false;
    const reconfiguring = host.reconfigure("proto", "eth0").then((s) => {
      done = true;
      return s;
    });
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(done, false);
    NdisCompleteNetPnPEvent(
      held?.binding as NDIS_HANDLE,
      held?.event as NET_PNP_EVENT_NOTIFICATION,
      NDIS_STATUS_SUCCESS,
    );
    assert.equal(await reconfiguring, NDIS_STATUS_SUCCESS);
    assert.deepEqual(host.violations, [], "the completion matched the pended event, not a pause");
    assert.deepEqual(host.bindings[0]?.state, "Running");
  });

  test("reconfigure without an adapter reaches the protocol with a NULL binding context", async () => {
    const contexts: unknown[] = [];
    const host = new NdisHost({ verifier: "record" });
    const proto = scriptedProtocol({
      name: "proto",
      pnp: (b) => {
        contexts.push(b);
        return NDIS_STATUS_SUCCESS;
      },
    });
    await host.loadDriver({ name: "proto", module: proto.module });
    contexts.length = 0; // NetEventBindsComplete at load
    assert.equal(await host.reconfigure("proto"), NDIS_STATUS_SUCCESS);
    assert.deepEqual(contexts, [null]);
    await assert.rejects(host.reconfigure("nobody"), /no protocol named/);
  });
});

describe("NdisMNetPnPEvent rules", () => {
  test("propagating NetEventPause is a violation and INVALID_PARAMETER; a plain miniport gets NOT_SUPPORTED", async () => {
    const statuses: number[] = [];
    const host = new NdisHost({
      verifier: "record",
      bindings: [{ protocol: "im", adapter: "eth0" }],
    });
    await host.loadDriver({ name: "testmp", module: testMiniport });
    const im = scriptedIm();
    await host.loadDriver({ name: "im", module: im.module });
    await host.addAdapter({ driver: "testmp", name: "eth0" });
    const vm = im.lowers[0]?.vm?.handle as NDIS_HANDLE;
    const pause = {
      Header: { Type: 0x80, Revision: 1, Size: 0 },
      PortNumber: 0,
      NetPnPEvent: { NetEvent: NetEventPause, Buffer: null, BufferLength: 0 },
    };
    const reconfigure = {
      ...pause,
      NetPnPEvent: { NetEvent: NetEventReconfigure, Buffer: null, BufferLength: 0 },
    };
    // Called as the IM would, from inside its own protocol edge (a reconfigure of its binding).
    const probe = scriptedProtocol({
      name: "probe",
      pnp: (_b, e) => {
        if (e.NetPnPEvent.NetEvent !== NetEventReconfigure) return NDIS_STATUS_SUCCESS;
        statuses.push(NdisMNetPnPEvent(vm, pause));
        statuses.push(NdisMNetPnPEvent(vm, reconfigure));
        return NDIS_STATUS_SUCCESS;
      },
    });
    await host.loadDriver({ name: "probe", module: probe.module });
    await host.reconfigure("probe");
    assert.deepEqual(statuses, [NDIS_STATUS_INVALID_PARAMETER, NDIS_STATUS_SUCCESS]);
    assert.deepEqual(
      host.violations.map((v) => v.rule),
      ["NdisMNetPnPEvent_NotPropagatable"],
    );
    // A plain miniport's adapter propagates nothing; junk is an invalid handle.
    const mp = scriptedMiniport();
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.addAdapter({ driver: "mp", name: "eth9" });
    assert.equal(
      NdisMNetPnPEvent(mp.adapters[0]?.handle as NDIS_HANDLE, reconfigure),
      NDIS_STATUS_NOT_SUPPORTED,
    );
    assert.equal(NdisMNetPnPEvent({} as NDIS_HANDLE, reconfigure), NDIS_STATUS_FAILURE);
  });
});
