/**
 * Network PnP and power events through filter modules: NDIS gives them to a module's
 * FilterNetPnPEvent on their way up; the module passes them on with NdisFNetPnPEvent (the answer
 * from above is its answer) or answers itself; a module without the handler is skipped.
 *
 * Docs: "FILTER_NET_PNP_EVENT" (optional; its return matters for NetEventQueryPower and
 * NetEventQueryRemoveDevice only) and "NdisFNetPnPEvent" (forwards to the overlying drivers,
 * PASSIVE_LEVEL, returns their status).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type NDIS_HANDLE,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_SUCCESS,
  NdisFNetPnPEvent,
  type NET_PNP_EVENT_NOTIFICATION,
  NetEventCancelRemoveDevice,
  NetEventQueryPower,
  NetEventQueryRemoveDevice,
  NetEventSetPower,
  type TraceEvent,
} from "../../src/index.js";
import type { FilterScript } from "../helpers/filter.js";
import { filterStack, rulesOf, sampleFilterStack } from "../helpers/filter-stack.js";
import type { ProtocolScript } from "../helpers/protocol.js";

async function stack(
  filterChars: NonNullable<FilterScript["chars"]> | null,
  proto: ProtocolScript = {},
) {
  const s = await filterStack({
    filter: filterChars === null ? {} : { chars: filterChars },
    proto,
  });
  s.proto.calls.length = 0;
  return { host: s.host, filter: s.filter, protocol: s.proto };
}

const rules = rulesOf;
const pnpCalls = (calls: string[]) => calls.filter((c) => c.startsWith("ProtocolNetPnPEvent"));

describe("net PnP events through filter modules", () => {
  test("a module sees a query-remove, passes it on, and the protocol's refusal comes back to NDIS", async () => {
    const seen: number[] = [];
    const s = await stack(
      {
        NetPnPEventHandler: (m: { handle: NDIS_HANDLE }, e: NET_PNP_EVENT_NOTIFICATION) => {
          seen.push(e.NetPnPEvent.NetEvent);
          return NdisFNetPnPEvent(m.handle, e);
        },
      },
      {
        pnp: (_b, e) =>
          e.NetPnPEvent.NetEvent === NetEventQueryRemoveDevice
            ? NDIS_STATUS_FAILURE
            : NDIS_STATUS_SUCCESS,
      },
    );
    assert.equal(await s.host.queryRemoveAdapter("eth0"), NDIS_STATUS_FAILURE);
    assert.deepEqual(seen, [NetEventQueryRemoveDevice, NetEventCancelRemoveDevice]);
    assert.deepEqual(pnpCalls(s.protocol.calls), [
      `ProtocolNetPnPEvent(${NetEventQueryRemoveDevice})`,
      `ProtocolNetPnPEvent(${NetEventCancelRemoveDevice})`,
    ]);
    assert.deepEqual(rules(s.host), []);
  });

  test("a module may answer itself: the protocol never hears the event", async () => {
    const s = await stack({
      NetPnPEventHandler: (_m: unknown, e: NET_PNP_EVENT_NOTIFICATION) =>
        e.NetPnPEvent.NetEvent === NetEventQueryPower ? NDIS_STATUS_FAILURE : NDIS_STATUS_SUCCESS,
    });
    assert.equal(await s.host.suspend(), NDIS_STATUS_FAILURE, "the module refused to sleep");
    assert.deepEqual(pnpCalls(s.protocol.calls), []);
    assert.deepEqual(rules(s.host), []);
  });

  test("a module without FilterNetPnPEvent is skipped: the protocol hears the event directly", async () => {
    const s = await stack(null);
    assert.equal(await s.host.queryRemoveAdapter("eth0"), NDIS_STATUS_SUCCESS);
    assert.deepEqual(pnpCalls(s.protocol.calls), [
      `ProtocolNetPnPEvent(${NetEventQueryRemoveDevice})`,
    ]);
    assert.ok(!s.filter.calls.some((c) => c.includes("NetPnP")));
  });

  test("the passthrough filter sample forwards power events both ways through a suspend and resume", async () => {
    const handlers: string[] = [];
    const { host, proto: protocol } = await sampleFilterStack((h) =>
      h.onTrace((e: TraceEvent) => {
        if (e.kind === "handler" && e.phase === "call") handlers.push(e.name);
      }),
    );
    protocol.calls.length = 0;
    handlers.length = 0;
    assert.equal(await host.suspend(), NDIS_STATUS_SUCCESS);
    await host.resume();
    const events = pnpCalls(protocol.calls).map((c) => Number(c.slice(20).split(/[,)]/)[0]));
    assert.deepEqual(
      events.filter((e) => e === NetEventQueryPower || e === NetEventSetPower),
      [NetEventQueryPower, NetEventSetPower, NetEventSetPower],
      // "Handling a Set Power Request": the binding is kept over the miniport's halt, so the
      // protocol hears SetPower(D0) on wake as well.
      "QueryPower, SetPower(D3) and SetPower(D0) reached the protocol",
    );
    const pnp = handlers.filter((h) => h.endsWith("NetPnPEvent"));
    assert.deepEqual(
      pnp.slice(0, 2),
      ["FilterNetPnPEvent", "ProtocolNetPnPEvent"],
      "through the module first",
    );
    assert.deepEqual(rules(host), []);
  });

  test("NdisFNetPnPEvent refuses a notification without an event code", async () => {
    const s = await stack(null);
    const m = s.filter.modules[0] as { handle: NDIS_HANDLE };
    assert.equal(NdisFNetPnPEvent(m.handle, {} as never), NDIS_STATUS_INVALID_PARAMETER);
    assert.deepEqual(pnpCalls(s.protocol.calls), []);
  });
});
