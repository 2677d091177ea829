/**
 * NDIS 6.1's direct OID request path, each test naming the page (learn.microsoft.com,
 * windows-hardware/drivers/network and the ndis.h DDI reference) whose fact it checks:
 * "Direct OID Request Interface in NDIS 6.1", "Miniport Adapter Direct OID Requests", "Filter
 * Module Direct OID Requests", NdisDirectOidRequest, NdisFDirectOidRequest,
 * NdisMDirectOidRequestComplete, NdisFDirectOidRequestComplete, FilterDirectOidRequest.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  DISPATCH_LEVEL,
  KeGetCurrentIrql,
  makeOidRequest,
  type NDIS_HANDLE,
  type NDIS_OID_REQUEST,
  type NDIS_SPIN_LOCK,
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_OID,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_REQUEST_ABORTED,
  NDIS_STATUS_SUCCESS,
  NdisAcquireSpinLock,
  NdisAllocateCloneOidRequest,
  NdisAllocateSpinLock,
  NdisCancelDirectOidRequest,
  NdisDirectOidRequest,
  NdisFDirectOidRequest,
  NdisFDirectOidRequestComplete,
  NdisFreeCloneOidRequest,
  NdisHost,
  NdisMDirectOidRequestComplete,
  NdisReleaseSpinLock,
  NdisRequestSetInformation,
  OID_GEN_VENDOR_DESCRIPTION,
  OID_TCP_TASK_IPSEC_OFFLOAD_V2_ADD_SA,
  OID_TCP_TASK_IPSEC_OFFLOAD_V2_DELETE_SA,
  type Out,
  type TraceEvent,
} from "../../src/index.js";
import { type FilterModuleCtx, scriptedFilter } from "../helpers/filter.js";
import { type ScriptedAdapter, scriptedMiniport } from "../helpers/miniport.js";
import { type ProtocolBinding, scriptedProtocol } from "../helpers/protocol.js";

const rules = (host: NdisHost) => host.violations.map((v) => v.rule);

const directRequest = (oid = OID_TCP_TASK_IPSEC_OFFLOAD_V2_ADD_SA, id: unknown = Symbol("sa")) =>
  makeOidRequest({
    RequestType: NdisRequestSetInformation,
    Oid: oid,
    InformationBuffer: new Uint8Array(16),
    RequestId: id,
  });

/** Every handler NDIS calls and DDI call a driver makes, `name(detail)`, in order. */
function callLog(host: NdisHost): string[] {
  const log: string[] = [];
  host.onTrace((e: TraceEvent) => {
    if (e.phase === "call" && (e.kind === "handler" || e.kind === "ddi")) log.push(e.name);
  });
  return log;
}

interface Options {
  /** MiniportDirectOidRequest; the default succeeds. */
  direct?: (a: ScriptedAdapter, r: NDIS_OID_REQUEST) => NDIS_STATUS;
  /** MiniportOidRequest; the default answers NOT_SUPPORTED. */
  oid?: (a: ScriptedAdapter, r: NDIS_OID_REQUEST) => unknown;
  /** The protocol's NDIS minor version (89 unless told). */
  protocolMinor?: number;
  /** Leave ProtocolDirectOidRequestComplete out. */
  noProtocolComplete?: boolean;
  /** Leave the miniport's direct handlers out. */
  noMiniportDirect?: boolean;
  /** Filter drivers, bottom first; each is made under the service name f1, f2… of its place. */
  filters?: ReturnType<typeof scriptedFilter>[];
}

async function stack(options: Options = {}) {
  const host = new NdisHost({ verifier: "record" });
  const completions: { request: NDIS_OID_REQUEST; status: number; irql: number }[] = [];
  const cancels: unknown[] = [];
  const mp = scriptedMiniport({
    ...(options.oid === undefined ? {} : { oid: options.oid }),
    chars: options.noMiniportDirect
      ? {}
      : {
          DirectOidRequestHandler: (a: ScriptedAdapter, r: NDIS_OID_REQUEST) =>
            options.direct === undefined ? NDIS_STATUS_SUCCESS : options.direct(a, r),
          CancelDirectOidRequestHandler: (_a: ScriptedAdapter, id: unknown) => cancels.push(id),
        },
  });
  const proto = scriptedProtocol({
    ...(options.protocolMinor === undefined ? {} : { minor: options.protocolMinor }),
    chars: options.noProtocolComplete
      ? {}
      : {
          DirectOidRequestCompleteHandler: (
            _b: ProtocolBinding,
            request: NDIS_OID_REQUEST,
            status: number,
          ) => completions.push({ request, status, irql: KeGetCurrentIrql() }),
        },
  });
  await host.loadDriver({ name: "mp", module: mp.module });
  for (const [i, f] of (options.filters ?? []).entries())
    await host.loadDriver({
      name: `f${i + 1}`,
      module: f.module,
      filter: { class: i === 0 ? "identification" : "diagnostic" },
    });
  await host.loadDriver({ name: "proto", module: proto.module });
  await host.addAdapter({ driver: "mp", name: "eth0" });
  const binding = proto.bindings[0] as ProtocolBinding;
  return { host, mp, proto, binding, completions, cancels };
}

/** A filter whose FilterDirectOidRequest forwards a clone down and completes the original. */
function forwardingFilter(name: string, pend = false) {
  const originals = new Map<NDIS_OID_REQUEST, NDIS_OID_REQUEST>();
  const seen: string[] = [];
  const filter = scriptedFilter(name, {
    chars: {
      DirectOidRequestHandler: (m: FilterModuleCtx, r: NDIS_OID_REQUEST) => {
        seen.push(`FilterDirectOidRequest(${KeGetCurrentIrql()})`);
        const out: Out<NDIS_OID_REQUEST> = {};
        const status = NdisAllocateCloneOidRequest(m.handle, r, 0x74736554, out);
        if (status !== NDIS_STATUS_SUCCESS) return status;
        const clone = out.value as NDIS_OID_REQUEST;
        originals.set(clone, r);
        const down = NdisFDirectOidRequest(m.handle, clone);
        if (down === NDIS_STATUS_PENDING) return NDIS_STATUS_PENDING;
        originals.delete(clone);
        NdisFreeCloneOidRequest(m.handle, clone);
        if (!pend) return down;
        NdisFDirectOidRequestComplete(m.handle, r, down);
        return NDIS_STATUS_PENDING;
      },
      DirectOidRequestCompleteHandler: (m: FilterModuleCtx, clone: NDIS_OID_REQUEST, s: number) => {
        seen.push("FilterDirectOidRequestComplete");
        const original = originals.get(clone) as NDIS_OID_REQUEST;
        originals.delete(clone);
        NdisFreeCloneOidRequest(m.handle, clone);
        NdisFDirectOidRequestComplete(m.handle, original, s);
      },
      CancelDirectOidRequestHandler: (_m: FilterModuleCtx, _id: unknown) =>
        seen.push("FilterCancelDirectOidRequest"),
    },
  });
  return { filter, seen };
}

describe("direct OID requests: protocol to miniport", () => {
  // "Miniport Adapter Direct OID Requests" / NdisDirectOidRequest: the request reaches
  // MiniportDirectOidRequest; a synchronous answer is the call's return, and the completion
  // handler is not called.
  test("NdisDirectOidRequest reaches MiniportDirectOidRequest; a synchronous answer is returned", async () => {
    const { host, binding, completions } = await stack();
    const log = callLog(host);
    const status = NdisDirectOidRequest(binding.handle as NDIS_HANDLE, directRequest());
    assert.equal(status, NDIS_STATUS_SUCCESS);
    assert.deepEqual(log, ["NdisDirectOidRequest", "MiniportDirectOidRequest"]);
    assert.deepEqual(completions, []);
    assert.deepEqual(rules(host), []);
  });

  // "Direct OID Request Interface in NDIS 6.1": NDIS does not serialize direct requests with
  // other direct requests nor with ordinary ones. Two direct requests and an ordinary one are at
  // the miniport at once, and the direct ones complete in any order.
  test("not serialized: two direct requests reach the miniport while an ordinary one is pending there", async () => {
    const pendedDirect: NDIS_OID_REQUEST[] = [];
    const { host, mp, binding, completions } = await stack({
      direct: (_a, r) => {
        pendedDirect.push(r);
        return NDIS_STATUS_PENDING;
      },
      oid: () => NDIS_STATUS_PENDING,
    });
    const ordinary = host.oidRequest("eth0", { type: "query", oid: OID_GEN_VENDOR_DESCRIPTION });
    const first = directRequest();
    const second = directRequest(OID_TCP_TASK_IPSEC_OFFLOAD_V2_DELETE_SA);
    assert.equal(NdisDirectOidRequest(binding.handle as NDIS_HANDLE, first), NDIS_STATUS_PENDING);
    assert.equal(NdisDirectOidRequest(binding.handle as NDIS_HANDLE, second), NDIS_STATUS_PENDING);
    assert.deepEqual(pendedDirect, [first, second], "both at the miniport, none queued");
    const handle = (mp.adapters[0] as ScriptedAdapter).handle;
    NdisMDirectOidRequestComplete(handle, second, NDIS_STATUS_SUCCESS);
    NdisMDirectOidRequestComplete(handle, first, NDIS_STATUS_INVALID_OID);
    assert.deepEqual(
      completions.map((c) => [c.request, c.status]),
      [
        [second, NDIS_STATUS_SUCCESS],
        [first, NDIS_STATUS_INVALID_OID],
      ],
    );
    void ordinary;
    assert.deepEqual(rules(host), []);
  });

  // "Direct OID Request Interface in NDIS 6.1": miniport and filter drivers handle direct
  // requests at IRQL <= DISPATCH_LEVEL. A protocol issuing one under a spin lock is within the
  // contract, and the miniport's handler runs at the caller's DISPATCH_LEVEL.
  test("issued at DISPATCH_LEVEL: MiniportDirectOidRequest runs at DISPATCH_LEVEL, no violation", async () => {
    const irqls: number[] = [];
    const { host, binding } = await stack({
      direct: () => {
        irqls.push(KeGetCurrentIrql());
        return NDIS_STATUS_SUCCESS;
      },
    });
    const lock = {} as NDIS_SPIN_LOCK;
    NdisAllocateSpinLock(lock);
    const handle = binding.handle as NDIS_HANDLE;
    NdisAcquireSpinLock(lock);
    const status = NdisDirectOidRequest(handle, directRequest());
    NdisReleaseSpinLock(lock);
    assert.equal(status, NDIS_STATUS_SUCCESS);
    assert.deepEqual(irqls, [DISPATCH_LEVEL]);
    assert.deepEqual(
      rules(host).filter((r) => r.startsWith("Irql")),
      [],
    );
  });

  // NdisFDirectOidRequest / NdisDirectOidRequest: the direct path carries only the OIDs NDIS
  // supports on it (each OID's page says so); a general request goes through NdisOidRequest.
  test("an OID the direct path does not carry: NDIS_STATUS_INVALID_OID, the miniport is not called", async () => {
    let called = 0;
    const { host, binding } = await stack({
      direct: () => {
        called++;
        return NDIS_STATUS_SUCCESS;
      },
    });
    const status = NdisDirectOidRequest(
      binding.handle as NDIS_HANDLE,
      directRequest(OID_GEN_VENDOR_DESCRIPTION),
    );
    assert.equal(status, NDIS_STATUS_INVALID_OID);
    assert.equal(called, 0);
    assert.deepEqual(rules(host), ["DirectOidRequest_NotDirectOid"]);
  });

  // NdisFDirectOidRequest: a driver that issues direct requests registers the direct completion
  // handler; it exists from characteristics revision 2 (NDIS 6.1) on, so an NDIS 6.0 protocol has
  // none however its table is filled.
  for (const [why, options] of [
    ["no ProtocolDirectOidRequestComplete", { noProtocolComplete: true }],
    ["an NDIS 6.0 protocol (revision 1: the handler is not read)", { protocolMinor: 0 }],
  ] as const) {
    test(`${why}: NDIS_STATUS_NOT_SUPPORTED and a named rule`, async () => {
      const { host, binding } = await stack(options);
      const status = NdisDirectOidRequest(binding.handle as NDIS_HANDLE, directRequest());
      assert.equal(status, NDIS_STATUS_NOT_SUPPORTED);
      assert.deepEqual(rules(host), ["DirectOidRequest_NoCompleteHandler"]);
    });
  }

  // "Direct OID Request Interface in NDIS 6.1": the interface is optional for drivers. A miniport
  // without MiniportDirectOidRequest: NDIS answers NOT_SUPPORTED itself. [MODEL]
  test("a miniport without the direct path: NDIS_STATUS_NOT_SUPPORTED", async () => {
    const { host, binding } = await stack({ noMiniportDirect: true });
    const status = NdisDirectOidRequest(binding.handle as NDIS_HANDLE, directRequest());
    assert.equal(status, NDIS_STATUS_NOT_SUPPORTED);
    assert.deepEqual(rules(host), []);
  });

  // NdisMDirectOidRequestComplete: only for a request MiniportDirectOidRequest returned PENDING
  // for, exactly once, never with PENDING.
  test("NdisMDirectOidRequestComplete exactly once: a second completion is a violation, not a second ProtocolDirectOidRequestComplete", async () => {
    const { host, mp, binding, completions } = await stack({
      direct: () => NDIS_STATUS_PENDING,
    });
    const request = directRequest();
    assert.equal(NdisDirectOidRequest(binding.handle as NDIS_HANDLE, request), NDIS_STATUS_PENDING);
    const handle = (mp.adapters[0] as ScriptedAdapter).handle;
    NdisMDirectOidRequestComplete(handle, request, NDIS_STATUS_SUCCESS);
    NdisMDirectOidRequestComplete(handle, request, NDIS_STATUS_SUCCESS);
    NdisMDirectOidRequestComplete(handle, directRequest(), NDIS_STATUS_SUCCESS);
    assert.equal(completions.length, 1);
    assert.deepEqual(rules(host), [
      "NdisMDirectOidRequestComplete_NotPending",
      "NdisMDirectOidRequestComplete_NotPending",
    ]);
  });

  test("MiniportDirectOidRequest that completes and then returns SUCCESS instead of PENDING is reported", async () => {
    const { host, binding, completions } = await stack({
      direct: (a, r) => {
        NdisMDirectOidRequestComplete(a.handle, r, NDIS_STATUS_SUCCESS);
        return NDIS_STATUS_SUCCESS;
      },
    });
    const status = NdisDirectOidRequest(binding.handle as NDIS_HANDLE, directRequest());
    assert.equal(status, NDIS_STATUS_PENDING, "the result went to the completion handler");
    assert.equal(completions.length, 1);
    assert.deepEqual(rules(host), ["NdisMDirectOidRequestComplete_NotPending"]);
  });

  test("a direct request issued again while in flight is refused and named", async () => {
    const { host, binding } = await stack({ direct: () => NDIS_STATUS_PENDING });
    const request = directRequest();
    assert.equal(NdisDirectOidRequest(binding.handle as NDIS_HANDLE, request), NDIS_STATUS_PENDING);
    assert.notEqual(
      NdisDirectOidRequest(binding.handle as NDIS_HANDLE, request),
      NDIS_STATUS_PENDING,
    );
    assert.deepEqual(rules(host), ["DirectOidRequest_InFlight"]);
  });

  // NdisCancelDirectOidRequest → MiniportCancelDirectOidRequest for the pended request's id.
  test("NdisCancelDirectOidRequest reaches MiniportCancelDirectOidRequest with the RequestId", async () => {
    const { host, mp, binding, cancels, completions } = await stack({
      direct: () => NDIS_STATUS_PENDING,
    });
    const id = Symbol("cancel me");
    const request = directRequest(OID_TCP_TASK_IPSEC_OFFLOAD_V2_ADD_SA, id);
    assert.equal(NdisDirectOidRequest(binding.handle as NDIS_HANDLE, request), NDIS_STATUS_PENDING);
    NdisCancelDirectOidRequest(binding.handle as NDIS_HANDLE, id);
    assert.deepEqual(cancels, [id]);
    NdisMDirectOidRequestComplete(
      (mp.adapters[0] as ScriptedAdapter).handle,
      request,
      NDIS_STATUS_REQUEST_ABORTED,
    );
    assert.equal(completions.length, 1);
    assert.deepEqual(rules(host), []);
  });
});

describe("direct OID requests through filter modules", () => {
  // "Filter Module Direct OID Requests" and FilterDirectOidRequest: NDIS calls the module's
  // FilterDirectOidRequest for a request from above; the module forwards a clone with
  // NdisFDirectOidRequest; the miniport's completion comes back through
  // FilterDirectOidRequestComplete, and the module's NdisFDirectOidRequestComplete reaches the
  // protocol's ProtocolDirectOidRequestComplete. A module without direct handlers is skipped.
  test("down through the module that takes them, skipping the one that does not, and back up", async () => {
    const plain = scriptedFilter("f2");
    const { filter, seen } = forwardingFilter("f1");
    const pended: NDIS_OID_REQUEST[] = [];
    const { host, mp, binding, completions } = await stack({
      filters: [filter, plain],
      direct: (_a, r) => {
        pended.push(r);
        return NDIS_STATUS_PENDING;
      },
    });
    const log = callLog(host);
    plain.calls.length = 0;
    const request = directRequest();
    assert.equal(NdisDirectOidRequest(binding.handle as NDIS_HANDLE, request), NDIS_STATUS_PENDING);
    assert.equal(pended.length, 1);
    assert.notEqual(pended[0], request, "the miniport has the module's clone");
    NdisMDirectOidRequestComplete(
      (mp.adapters[0] as ScriptedAdapter).handle,
      pended[0] as NDIS_OID_REQUEST,
      NDIS_STATUS_SUCCESS,
    );
    assert.deepEqual(
      log.filter((n) => n.includes("Direct")),
      [
        "NdisDirectOidRequest",
        "FilterDirectOidRequest",
        "NdisFDirectOidRequest",
        "MiniportDirectOidRequest",
        "NdisMDirectOidRequestComplete",
        "FilterDirectOidRequestComplete",
        "NdisFDirectOidRequestComplete",
        "ProtocolDirectOidRequestComplete",
      ],
    );
    assert.deepEqual(plain.calls, [], "the module without direct handlers saw nothing");
    assert.deepEqual(
      completions.map((c) => [c.request, c.status]),
      [[request, NDIS_STATUS_SUCCESS]],
    );
    assert.deepEqual(seen, [`FilterDirectOidRequest(0)`, "FilterDirectOidRequestComplete"]);
    assert.deepEqual(rules(host), []);
    // Nothing left: the clone was freed, the module detaches cleanly.
    await host.removeAdapter("eth0");
    assert.deepEqual(rules(host), []);
  });

  // NdisFDirectOidRequestComplete: only for a request the module's FilterDirectOidRequest pended,
  // exactly once.
  test("NdisFDirectOidRequestComplete for a request the module was not given is a violation", async () => {
    const { filter } = forwardingFilter("f1");
    const { host } = await stack({ filters: [filter] });
    const module = filter.modules[0] as FilterModuleCtx;
    NdisFDirectOidRequestComplete(module.handle, directRequest(), NDIS_STATUS_SUCCESS);
    assert.deepEqual(rules(host), ["NdisFDirectOidRequestComplete_NotPending"]);
  });

  // A module that completes from inside FilterDirectOidRequest and returns PENDING: the result goes
  // to the issuer's completion handler (as for the ordinary path).
  test("a module completing inside its handler and returning PENDING: the protocol hears it once", async () => {
    const { filter } = forwardingFilter("f1", true);
    const { host, binding, completions } = await stack({ filters: [filter] });
    const status = NdisDirectOidRequest(binding.handle as NDIS_HANDLE, directRequest());
    assert.equal(status, NDIS_STATUS_PENDING);
    assert.equal(completions.length, 1);
    assert.equal(completions[0]?.status, NDIS_STATUS_SUCCESS);
    assert.deepEqual(rules(host), []);
  });

  // NdisFDirectOidRequest: a filter originates a direct request of its own; it comes back to its
  // FilterDirectOidRequestComplete (which it must have registered).
  test("a module originates a direct request: FilterDirectOidRequestComplete gets the miniport's answer", async () => {
    const got: number[] = [];
    const filter = scriptedFilter("f1", {
      chars: {
        DirectOidRequestHandler: () => NDIS_STATUS_NOT_SUPPORTED,
        DirectOidRequestCompleteHandler: (_m: FilterModuleCtx, _r: NDIS_OID_REQUEST, s: number) =>
          got.push(s),
      },
    });
    const pended: NDIS_OID_REQUEST[] = [];
    const { host, mp } = await stack({
      filters: [filter],
      direct: (_a, r) => {
        pended.push(r);
        return NDIS_STATUS_PENDING;
      },
    });
    const module = filter.modules[0] as FilterModuleCtx;
    const request = directRequest();
    assert.equal(NdisFDirectOidRequest(module.handle, request), NDIS_STATUS_PENDING);
    assert.deepEqual(pended, [request]);
    NdisMDirectOidRequestComplete(
      (mp.adapters[0] as ScriptedAdapter).handle,
      request,
      NDIS_STATUS_SUCCESS,
    );
    assert.deepEqual(got, [NDIS_STATUS_SUCCESS]);
    assert.deepEqual(rules(host), []);
  });

  test("NdisCancelDirectOidRequest goes to the module's FilterCancelDirectOidRequest", async () => {
    const { filter, seen } = forwardingFilter("f1");
    const { binding } = await stack({ filters: [filter], direct: () => NDIS_STATUS_PENDING });
    const id = Symbol("x");
    NdisDirectOidRequest(
      binding.handle as NDIS_HANDLE,
      directRequest(OID_TCP_TASK_IPSEC_OFFLOAD_V2_ADD_SA, id),
    );
    NdisCancelDirectOidRequest(binding.handle as NDIS_HANDLE, id);
    assert.ok(seen.includes("FilterCancelDirectOidRequest"), seen.join(", "));
  });
});

describe("direct OID requests and the lifecycle", () => {
  // NdisCloseAdapterEx: a protocol waits for the requests it made before it closes — its direct
  // requests as much as its ordinary ones.
  test("closing a binding with a direct request still out is NdisCloseAdapterEx_RequestsOutstanding", async () => {
    const { host, binding } = await stack({ direct: () => NDIS_STATUS_PENDING });
    assert.equal(
      NdisDirectOidRequest(binding.handle as NDIS_HANDLE, directRequest()),
      NDIS_STATUS_PENDING,
    );
    await host.removeAdapter("eth0");
    assert.ok(rules(host).includes("NdisCloseAdapterEx_RequestsOutstanding"), rules(host).join());
  });

  // A miniport stopped by the verifier never completes what it pended: NDIS completes each direct
  // request it held to its issuer with NDIS_STATUS_REQUEST_ABORTED, as it does ordinary ones.
  test("a stopped miniport's pended direct requests complete to the protocol with REQUEST_ABORTED", async () => {
    const host = new NdisHost({ verifier: "strict" });
    const completions: number[] = [];
    const mp = scriptedMiniport({
      chars: {
        DirectOidRequestHandler: (a: ScriptedAdapter, r: NDIS_OID_REQUEST) => {
          if (r.DATA.SET_INFORMATION.Oid === OID_TCP_TASK_IPSEC_OFFLOAD_V2_DELETE_SA) {
            // A completion of a request it was never given: bug check 0x7C, the driver stops.
            NdisMDirectOidRequestComplete(a.handle, directRequest(), NDIS_STATUS_SUCCESS);
          }
          return NDIS_STATUS_PENDING;
        },
        CancelDirectOidRequestHandler: () => {},
      },
    });
    const proto = scriptedProtocol({
      chars: {
        DirectOidRequestCompleteHandler: (_b: ProtocolBinding, _r: NDIS_OID_REQUEST, s: number) =>
          completions.push(s),
      },
    });
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.loadDriver({ name: "proto", module: proto.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    const handle = (proto.bindings[0] as ProtocolBinding).handle as NDIS_HANDLE;
    assert.equal(NdisDirectOidRequest(handle, directRequest()), NDIS_STATUS_PENDING);
    // The handler that bug-checked never returned: the caller is answered FAILURE at once.
    assert.equal(
      NdisDirectOidRequest(handle, directRequest(OID_TCP_TASK_IPSEC_OFFLOAD_V2_DELETE_SA)),
      NDIS_STATUS_FAILURE,
    );
    await host.settle().catch(() => {});
    assert.deepEqual(rules(host), ["NdisMDirectOidRequestComplete_NotPending"]);
    assert.deepEqual(completions, [NDIS_STATUS_REQUEST_ABORTED], "the pended one, aborted once");
  });
});
