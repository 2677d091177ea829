/**
 * OID requests held by a driver that stops: a filter module whose FilterOidRequest pended a
 * request and whose driver the verifier then stops (or that is detached still holding it), and an
 * IM driver stopped while its virtual miniport has a request out below. NDIS completes each such
 * request to its issuer — a protocol (ProtocolOidRequestComplete) or the host (`oidRequest`) —
 * exactly once with NDIS_STATUS_REQUEST_ABORTED, as it does for a stopped miniport's requests;
 * a late completion from the stopped driver reaches nobody; the stacks around it go on.
 * Doc pages: https://learn.microsoft.com/windows-hardware/drivers/network/filter-module-oid-requests,
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ndis/nf-ndis-ndisfoidrequestcomplete
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setImmediate as turn } from "node:timers/promises";
import {
  ManualClock,
  makeOidRequest,
  type NDIS_HANDLE,
  type NDIS_OID_REQUEST,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_REQUEST_ABORTED,
  NDIS_STATUS_SUCCESS,
  NdisFOidRequestComplete,
  NdisHost,
  NdisMOidRequestComplete,
  NdisOidRequest,
  NdisRequestQueryInformation,
  OID_GEN_VENDOR_DESCRIPTION,
  OID_GEN_VENDOR_ID,
} from "../../src/index.js";
import { scriptedFilter } from "../helpers/filter.js";
import { type Lower, scriptedIm } from "../helpers/im.js";
import { indicateLinkState, scriptedMiniport } from "../helpers/miniport.js";
import { scriptedProtocol } from "../helpers/protocol.js";

const VENDOR = 0x00123456;

function query(Oid: number): NDIS_OID_REQUEST {
  return makeOidRequest({
    RequestType: NdisRequestQueryInformation,
    Oid,
    InformationBuffer: new Uint8Array(4),
    RequestId: null,
  });
}

/** A miniport answering OID_GEN_VENDOR_ID at once (or pending everything when `pend()`). */
function vendorMiniport() {
  const held: { adapter: NDIS_HANDLE; request: NDIS_OID_REQUEST }[] = [];
  let pend = false;
  const mp = scriptedMiniport({
    oid: (a, r) => {
      if (pend) {
        held.push({ adapter: a.handle as NDIS_HANDLE, request: r });
        return NDIS_STATUS_PENDING;
      }
      const q = r.DATA.QUERY_INFORMATION;
      if (q.Oid !== OID_GEN_VENDOR_ID) return 0xc0010017; // NDIS_STATUS_INVALID_OID
      new DataView((q.InformationBuffer as Uint8Array).buffer).setUint32(0, VENDOR, true);
      q.BytesWritten = 4;
      return NDIS_STATUS_SUCCESS;
    },
  });
  return { mp, held, pendAll: () => (pend = true) };
}

/**
 * A filter that keeps every OID_GEN_VENDOR_ID request (PENDING) and throws on
 * OID_GEN_VENDOR_DESCRIPTION; everything else passes down.
 */
function holdingFilter() {
  const held: { handle: NDIS_HANDLE; request: NDIS_OID_REQUEST }[] = [];
  const filter = scriptedFilter("flt", {
    oid: (m, request) => {
      const oid = request.DATA.QUERY_INFORMATION.Oid;
      if (oid === OID_GEN_VENDOR_DESCRIPTION) throw new Error("filter bug");
      if (oid !== OID_GEN_VENDOR_ID) return NDIS_STATUS_SUCCESS;
      held.push({ handle: m.handle, request });
      return NDIS_STATUS_PENDING;
    },
  });
  return { filter, held };
}

async function filterStack(verifier: "strict" | "record", clock?: ManualClock) {
  const host = new NdisHost(clock === undefined ? { verifier } : { verifier, clock });
  const { mp } = vendorMiniport();
  const { filter, held } = holdingFilter();
  const proto = scriptedProtocol({ packetFilter: 0 });
  await host.loadDriver({ name: "flt", module: filter.module });
  await host.loadDriver({ name: "mp", module: mp.module });
  await host.loadDriver({ name: "proto", module: proto.module });
  await host.addAdapter({ driver: "mp", name: "eth0" });
  await host.addAdapter({ driver: "mp", name: "eth1" });
  const binding = (adapter: string) =>
    proto.bindings.find((b) => b.adapter === adapter)?.handle as NDIS_HANDLE;
  return { host, filter, held, proto, binding };
}

describe("a filter module stopped while its FilterOidRequest holds a request", () => {
  test("the protocol's pended request completes once with NDIS_STATUS_REQUEST_ABORTED; both stacks run on without the filter", async () => {
    const s = await filterStack("strict");
    const mine = query(OID_GEN_VENDOR_ID);
    assert.equal(NdisOidRequest(s.binding("eth0"), mine), NDIS_STATUS_PENDING);
    assert.equal(s.held.length, 1, "the module keeps it");
    assert.equal(s.proto.oidCompletions.length, 0);
    // The filter throws on the next request: the verifier stops its driver.
    assert.notEqual(
      NdisOidRequest(s.binding("eth1"), query(OID_GEN_VENDOR_DESCRIPTION)),
      NDIS_STATUS_PENDING,
    );
    await s.host.settle();
    assert.deepEqual(
      s.host.stoppedDrivers.map((v) => [v.driver, v.rule]),
      [["flt", "DriverException"]],
    );
    assert.deepEqual(
      s.proto.oidCompletions.map((c) => [c.request === mine, c.status]),
      [[true, NDIS_STATUS_REQUEST_ABORTED]],
    );
    // A late completion from the stopped filter reaches nobody.
    const late = s.held[0] as { handle: NDIS_HANDLE; request: NDIS_OID_REQUEST };
    NdisFOidRequestComplete(late.handle, late.request, NDIS_STATUS_SUCCESS);
    await s.host.settle();
    assert.equal(s.proto.oidCompletions.length, 1, "never completed twice");
    // The stacks go on around the stopped filter: requests reach the miniports.
    for (const adapter of ["eth0", "eth1"]) {
      const again = query(OID_GEN_VENDOR_ID);
      assert.equal(NdisOidRequest(s.binding(adapter), again), NDIS_STATUS_SUCCESS, adapter);
      assert.equal(again.DATA.QUERY_INFORMATION.BytesWritten, 4);
    }
    assert.equal(s.filter.calls.filter((c) => c.startsWith("FilterOidRequest(")).length, 2);
    // Teardown completes: nothing waits for the aborted request.
    await s.host.removeAdapter("eth0");
    await s.host.removeAdapter("eth1");
    for (const name of ["proto", "mp"]) await s.host.unloadDriver(name);
    assert.equal(s.host.stoppedDrivers.length, 1, "only the filter was stopped");
  });

  test("the host's oidRequest settles with NDIS_STATUS_REQUEST_ABORTED", async () => {
    const s = await filterStack("strict");
    const pending = s.host.oidRequest("eth0", { type: "query", oid: OID_GEN_VENDOR_ID });
    let settled = false;
    void pending.then(() => (settled = true));
    await turn();
    assert.equal(s.held.length, 1, "the module keeps the host's request");
    assert.equal(settled, false);
    NdisOidRequest(s.binding("eth1"), query(OID_GEN_VENDOR_DESCRIPTION));
    await s.host.settle();
    const answer = await pending;
    assert.equal(answer.status, NDIS_STATUS_REQUEST_ABORTED);
    assert.match(answer.statusName, /^NDIS_STATUS_REQUEST_ABORTED/);
    assert.deepEqual(
      s.host.stoppedDrivers.map((v) => v.driver),
      ["flt"],
    );
    const late = s.held[0] as { handle: NDIS_HANDLE; request: NDIS_OID_REQUEST };
    NdisFOidRequestComplete(late.handle, late.request, NDIS_STATUS_SUCCESS);
    const after = await s.host.oidRequest("eth0", { type: "query", oid: OID_GEN_VENDOR_ID });
    assert.equal(after.status, NDIS_STATUS_SUCCESS, "the stack runs on without the filter");
    await s.host.shutdown();
  });

  test("a module detached still holding a request: named, and the request is aborted to its issuer", async () => {
    const s = await filterStack("record");
    const mine = query(OID_GEN_VENDOR_ID);
    assert.equal(NdisOidRequest(s.binding("eth0"), mine), NDIS_STATUS_PENDING);
    await s.host.unloadDriver("flt");
    assert.ok(
      s.host.violations.some((v) => v.rule === "FilterDetach_RequestsPending"),
      "FilterDetach_RequestsPending",
    );
    assert.deepEqual(
      s.proto.oidCompletions.map((c) => [c.request === mine, c.status]),
      [[true, NDIS_STATUS_REQUEST_ABORTED]],
    );
    const again = query(OID_GEN_VENDOR_ID);
    assert.equal(NdisOidRequest(s.binding("eth0"), again), NDIS_STATUS_SUCCESS);
    await s.host.removeAdapter("eth0");
    await s.host.removeAdapter("eth1");
  });
});

describe("the watchdog and a filter module that never completes a request", () => {
  test("NdisTimedOidComplete at 12 s names the filter; strict mode stops it and the protocol hears REQUEST_ABORTED", async () => {
    const clock = new ManualClock();
    const { host, held, proto, binding: on } = await filterStack("strict", clock);
    const binding = on("eth0");
    const mine = query(OID_GEN_VENDOR_ID);
    assert.equal(NdisOidRequest(binding, mine), NDIS_STATUS_PENDING);
    assert.equal(held.length, 1);
    clock.advance(11_000);
    assert.deepEqual(host.violations, [], "not before the limit");
    clock.advance(3_000);
    await host.settle();
    assert.deepEqual(
      host.stoppedDrivers.map((v) => [v.rule, v.driver]),
      [["NdisTimedOidComplete", "flt"]],
    );
    assert.match(host.stoppedDrivers[0]?.message ?? "", /filter module .*OID_GEN_VENDOR_ID/);
    assert.deepEqual(
      proto.oidCompletions.map((c) => [c.request === mine, c.status]),
      [[true, NDIS_STATUS_REQUEST_ABORTED]],
    );
    const again = query(OID_GEN_VENDOR_ID);
    assert.equal(NdisOidRequest(binding, again), NDIS_STATUS_SUCCESS, "the stack runs on");
    await host.removeAdapter("eth0");
    await host.removeAdapter("eth1");
  });
});

describe("an IM driver stopped while a request it forwarded is out below", () => {
  test("the request its virtual miniport held completes once with NDIS_STATUS_REQUEST_ABORTED; the late answer from below goes nowhere", async () => {
    const forwarded = new Map<NDIS_OID_REQUEST, { vm: NDIS_HANDLE; original: NDIS_OID_REQUEST }>();
    let imCompletions = 0;
    const im = scriptedIm({
      miniport: {
        // MiniportOidRequest of the virtual miniport: forward a clone down.
        OidRequestHandler: (vm: { handle: NDIS_HANDLE; lower: Lower }, r: NDIS_OID_REQUEST) => {
          const q = r.DATA.QUERY_INFORMATION;
          const clone = query(q.Oid);
          forwarded.set(clone, { vm: vm.handle, original: r });
          const status = NdisOidRequest(vm.lower.handle as NDIS_HANDLE, clone);
          if (status === NDIS_STATUS_PENDING) return NDIS_STATUS_PENDING;
          forwarded.delete(clone);
          return status;
        },
      },
      protocol: {
        StatusHandlerEx: () => {
          throw new Error("IM bug");
        },
        OidRequestCompleteHandler: (_lower: Lower, clone: NDIS_OID_REQUEST, status: number) => {
          imCompletions++;
          const f = forwarded.get(clone);
          if (f === undefined) return;
          forwarded.delete(clone);
          NdisMOidRequestComplete(f.vm, f.original, status);
        },
      },
    });
    const below = vendorMiniport();
    const host = new NdisHost({
      verifier: "strict",
      bindings: [
        { protocol: "im", adapter: "eth0" },
        { protocol: "tcpip", adapter: "eth0-vm" },
        { protocol: "tcpip", adapter: "eth1" },
      ],
    });
    const tcpip = scriptedProtocol({ name: "tcpip", packetFilter: 0 });
    await host.loadDriver({ name: "mp", module: below.mp.module });
    await host.loadDriver({ name: "im", module: im.module });
    await host.loadDriver({ name: "tcpip", module: tcpip.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    await host.addAdapter({ driver: "mp", name: "eth1" });
    const onVm = tcpip.bindings.find((b) => b.adapter === "eth0-vm")?.handle as NDIS_HANDLE;
    const onEth1 = tcpip.bindings.find((b) => b.adapter === "eth1")?.handle as NDIS_HANDLE;
    assert.ok(onVm !== undefined && onEth1 !== undefined);
    below.pendAll();
    const mine = query(OID_GEN_VENDOR_ID);
    assert.equal(NdisOidRequest(onVm, mine), NDIS_STATUS_PENDING);
    assert.equal(below.held.length, 1, "the clone is out at the miniport below");
    const hostQuery = host.oidRequest("eth0-vm", { type: "query", oid: OID_GEN_VENDOR_ID });
    await turn();
    // The IM crashes on a status indication from below: strict mode stops it.
    const eth0 = below.held[0]?.adapter as NDIS_HANDLE;
    indicateLinkState(eth0);
    await host.settle();
    assert.deepEqual(
      host.stoppedDrivers.map((v) => v.driver),
      ["im"],
    );
    const aborted = tcpip.oidCompletions.filter((c) => c.request === mine);
    assert.deepEqual(
      aborted.map((c) => c.status),
      [NDIS_STATUS_REQUEST_ABORTED],
    );
    assert.equal((await hostQuery).status, NDIS_STATUS_REQUEST_ABORTED);
    // The miniport below answers the clone late: the stopped IM is not called, tcpip hears
    // nothing more.
    const clone = below.held[0] as { adapter: NDIS_HANDLE; request: NDIS_OID_REQUEST };
    NdisMOidRequestComplete(clone.adapter, clone.request, NDIS_STATUS_SUCCESS);
    await host.settle();
    assert.equal(imCompletions, 0, "ProtocolOidRequestComplete of the stopped IM never runs");
    assert.equal(tcpip.oidCompletions.filter((c) => c.request === mine).length, 1);
    // The neighbour stack runs on.
    const next = query(OID_GEN_VENDOR_ID);
    assert.equal(NdisOidRequest(onEth1, next), NDIS_STATUS_PENDING);
    const last = below.held.at(-1) as { adapter: NDIS_HANDLE; request: NDIS_OID_REQUEST };
    assert.equal(last.request, next);
    NdisMOidRequestComplete(last.adapter, next, NDIS_STATUS_SUCCESS);
    assert.equal(tcpip.oidCompletions.at(-1)?.status, NDIS_STATUS_SUCCESS);
    await host.removeAdapter("eth0");
    await host.removeAdapter("eth1");
  });
});
