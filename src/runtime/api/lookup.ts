/**
 * What the DDI entry points share: reporting a violation against the driver whose code is
 * calling, and turning a handle argument into the live object it must stand for.
 */
import type { NET_BUFFER_LIST } from "../../ndis/nbl.js";
import type { VerifierRuleId } from "../../verifier/rules.js";
import { currentFrame } from "../core/objects/context.js";
import {
  describeHandleArgument,
  handleDriver,
  handleRuntime,
  resolveHandle,
} from "../core/objects/handles.js";
import type {
  Binding,
  DriverRecord,
  MiniportAdapter,
  NdisRuntime,
  NetBufferListObject,
} from "../core/objects/records.js";
import { contextOwnerAt, recvHolderAt, sendEdgeAt } from "../core/objects/records.js";

/**
 * Reports `rule` against the calling driver, on `runtime` (or, when null, on the NDIS whose code
 * is running). Outside any NDIS there is nobody to tell, and nothing happens.
 */
export function reportAtCaller(
  runtime: NdisRuntime | null,
  rule: VerifierRuleId,
  message: string,
  /**
   * Whom to blame when no driver's code is running (a driver acting on an event from outside
   * NDIS — a socket, a Node caller): the driver the handle in question was given to.
   */
  owner: DriverRecord | null = null,
): void {
  const frame = currentFrame();
  const target = runtime ?? frame.runtime;
  if (target === null) return;
  target.assertAlive();
  target.violate(rule, message, frame.driver ?? owner, frame.depth);
}

/**
 * Reports Completion_StatusPending when a call that ends a pended operation
 * (NdisCompleteNetPnPEvent, NdisCompleteBindAdapterEx, NdisMRestartComplete, NdisFRestartComplete,
 * NdisMResetComplete) is given NDIS_STATUS_PENDING (0x103) as the operation's final status;
 * true then. The caller goes on as with a failure status.
 */
export function reportPendingCompletion(
  runtime: NdisRuntime | null,
  call: string,
  status: number,
  where: string,
  owner: DriverRecord | null = null,
): boolean {
  if (status >>> 0 !== 0x103) return false;
  reportAtCaller(
    runtime,
    "Completion_StatusPending",
    `${call} ${where} with NDIS_STATUS_PENDING: a completion carries the operation's final status`,
    owner,
  );
  return true;
}

/** Reports InvalidNdisHandle: `functionName` got `handle` where it needs a live `what`. */
export function reportBadHandle(functionName: string, handle: unknown, what: string): void {
  reportAtCaller(
    handleRuntime(handle),
    "InvalidNdisHandle",
    `${functionName} got ${describeHandleArgument(handle)}; it needs a live ${what}`,
    handleDriver(handle),
  );
}

/** The open binding behind an NdisBindingHandle, or null after reporting InvalidNdisHandle. */
export function openBindingOf(functionName: string, handle: unknown): Binding | null {
  const target = resolveHandle(handle);
  if (target?.kind === "binding" && target.handle === handle && target.open === "open")
    return target;
  reportBadHandle(functionName, handle, "binding handle from NdisOpenAdapterEx");
  return null;
}

/** The adapter behind a MiniportAdapterHandle, or null after reporting InvalidNdisHandle. */
export function miniportAdapterOf(functionName: string, handle: unknown): MiniportAdapter | null {
  const target = resolveHandle(handle);
  if (target?.kind === "miniport-adapter") return target;
  reportBadHandle(functionName, handle, "miniport adapter handle");
  return null;
}

/**
 * Reports every NBL of `chain` handed back (completed or returned) while derived NBLs made from it
 * live (NetBufferList_ParentWithLiveChildren). The NBLs still go back: nothing is lost.
 */
/**
 * An NBL going back the way it came (a send completed, a receive returned) leaves the driver that
 * hands it back: context space that driver allocated on it with NdisAllocateNetBufferListContext
 * and has not freed can never be freed by it again (the NBL is no longer its to touch), and the
 * originator does not know about it. `path` is what stays on the NBL's way after this crossing
 * (the senders above a completion, the holders below a return): a driver found there again (a
 * filter with two modules in the stack) may still hold that many allocations of its own.
 */
export function reportContextCarriedBack(
  runtime: NdisRuntime,
  chain: NET_BUFFER_LIST | null,
  where: string,
  holder: DriverRecord,
  stillOnPath: (nbl: NetBufferListObject, holder: DriverRecord) => number,
): void {
  let i = 0;
  for (let n = chain; n !== null; n = n.Next, i++) {
    const o = n as NetBufferListObject;
    let own = 0;
    for (let k = 0; k < o.contextDepth; k++) if (contextOwnerAt(o, k) === holder) own++;
    if (own === 0) continue;
    const left = own - stillOnPath(n as NetBufferListObject, holder);
    if (left > 0)
      reportAtCaller(
        runtime,
        "NetBufferListContext_Leaked",
        `${where}: NBL #${i} goes back still holding ${left} context allocation(s) ${holder.name} made with NdisAllocateNetBufferListContext and never freed with NdisFreeNetBufferListContext`,
        holder,
      );
  }
}

/** How many of the edges an NBL was sent through (its senders, still waiting) belong to `driver`. */
export function sendersOf(nbl: NetBufferListObject, driver: DriverRecord): number {
  let count = 0;
  for (let i = 0; i < nbl.sendDepth; i++) if (sendEdgeAt(nbl, i)?.driver === driver) count++;
  return count;
}

/** How many of the holders below the top of an NBL's receive path belong to `driver`. */
export function holdersBelowOf(nbl: NetBufferListObject, driver: DriverRecord): number {
  let count = 0;
  for (let depth = 0; depth < nbl.recvDepth - 1; depth++) {
    const at = recvHolderAt(nbl, depth);
    if (at === null || at === undefined) continue;
    if (Array.isArray(at) ? at.some((b) => b.driver === driver) : at.driver === driver) count++;
  }
  return count;
}

export function reportLiveChildren(
  runtime: NdisRuntime,
  chain: NET_BUFFER_LIST | null,
  where: string,
  owner: DriverRecord,
): void {
  let i = 0;
  for (let n = chain; n !== null; n = n.Next, i++) {
    const children = (n as NetBufferListObject).liveChildren;
    if (children > 0)
      reportAtCaller(
        runtime,
        "NetBufferList_ParentWithLiveChildren",
        `${where}: NBL #${i} still has ${children} derived NET_BUFFER_LIST${children === 1 ? "" : "s"} (clone, fragment or reassembled) not freed`,
        owner,
      );
  }
}
