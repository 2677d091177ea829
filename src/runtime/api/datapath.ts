/**
 * The send and receive DDI: NdisSendNetBufferLists and NdisMSendNetBufferListsComplete,
 * NdisMIndicateReceiveNetBufferLists and NdisReturnNetBufferLists.
 *
 * Each checks the chain it is handed before NDIS takes any of it: a NULL or cyclic chain, an NBL
 * that is freed, not NDIS's, or held by someone else is a named violation and the whole call is
 * refused, so that nothing already accepted is lost and nothing is completed twice. Within a
 * completion or a return, NBLs that do not match NDIS's record are reported and left alone; the
 * others go on.
 */

import type { NET_BUFFER_LIST } from "../../ndis/nbl.js";
import type { NDIS_HANDLE } from "../../ndis/types.js";
import type {
  Binding,
  MiniportAdapter,
  NdisRuntime,
  NetBufferListObject,
} from "../core/objects/records.js";
import {
  cancelSends,
  completeFast,
  completeSends,
  completionProblem,
  indicateFast,
  indicateReceive,
  receiveSource,
  returnFast,
  returnFromBinding,
  returnProblem,
  sendFast,
  sendOnBinding,
  sendSource,
  walkChain,
} from "../core/stack/datapath.js";
import {
  holdersBelowOf,
  miniportAdapterOf,
  openBindingOf,
  reportAtCaller,
  reportContextCarriedBack,
  reportLiveChildren,
  sendersOf,
} from "./lookup.js";
import { checkResources, isResources, markResources } from "./resources-check.js";

/**
 * NBLs handed on with a wrong SourceHandle, and the value they carried: the sender or indicator
 * was reported for it then. When such an NBL comes back with the same value, the driver giving it
 * back (the miniport completing it, the protocol returning it) changed nothing and is not blamed.
 */
const faultySource = new WeakMap<NetBufferListObject, unknown>();

function noteFaultySources(chain: NET_BUFFER_LIST, expected: unknown): void {
  for (let n: NET_BUFFER_LIST | null = chain; n !== null; n = n.Next)
    if (n.SourceHandle !== expected) faultySource.set(n as NetBufferListObject, n.SourceHandle);
}

/** True when an NBL's SourceHandle is the wrong one it was handed on with (already reported). */
function keptFaultySource(nbl: NetBufferListObject): boolean {
  return faultySource.has(nbl) && faultySource.get(nbl) === nbl.SourceHandle;
}

/**
 * NdisSendNetBufferLists: sends a chain down a binding. The protocol holds every NBL and has set
 * each one's SourceHandle to `NdisBindingHandle`. Every NBL comes back exactly once through
 * ProtocolSendNetBufferListsComplete — at once with NDIS_STATUS_PAUSED while the binding or the
 * adapter is not Running.
 */
export function NdisSendNetBufferLists(
  NdisBindingHandle: NDIS_HANDLE,
  NetBufferList: NET_BUFFER_LIST,
  PortNumber: number,
  SendFlags: number,
): void {
  const binding = openBindingOf("NdisSendNetBufferLists", NdisBindingHandle);
  if (binding === null) return;
  if (sendFast(binding, NetBufferList, PortNumber >>> 0, SendFlags >>> 0)) return;
  sendChecked(binding, NetBufferList, PortNumber >>> 0, SendFlags >>> 0);
}

/**
 * The general way of a send (outside the entry point, so that its closure is built only when it
 * runs): the chain checked with a report naming what is wrong, then handed on.
 */
function sendChecked(
  binding: Binding,
  NetBufferList: NET_BUFFER_LIST,
  PortNumber: number,
  SendFlags: number,
): void {
  const runtime = binding.runtime;
  const NdisBindingHandle = binding.handle;
  let badSource = -1;
  const checked = walkChain(runtime, NetBufferList, (nbl, i) => {
    if (nbl.owner !== binding.driver) {
      return `is held by ${nbl.owner === null ? "NDIS" : nbl.owner.name}, not by ${binding.driver.name}`;
    }
    if (nbl.FirstNetBuffer === null) return "has no NET_BUFFER";
    if (badSource < 0 && nbl.SourceHandle !== NdisBindingHandle) badSource = i;
    return null;
  });
  if (typeof checked === "string") {
    reportAtCaller(
      runtime,
      "NdisSendNetBufferLists_InvalidChain",
      `NdisSendNetBufferLists on ${binding.protocol.chars.Name} → ${binding.adapter.name}: ${checked}; NDIS sent none of the chain`,
      binding.driver,
    );
    return;
  }
  if (badSource >= 0) {
    noteFaultySources(NetBufferList, NdisBindingHandle);
    reportAtCaller(
      runtime,
      "NetBufferList_SourceHandle",
      `NdisSendNetBufferLists on ${binding.protocol.chars.Name} → ${binding.adapter.name}: NBL #${badSource}'s SourceHandle is not the binding handle`,
      binding.driver,
    );
  }
  sendOnBinding(binding, NetBufferList, checked, PortNumber, SendFlags);
}

/**
 * NdisMSendNetBufferListsComplete: the miniport gives back NBLs it was sent, in any grouping;
 * each goes to the binding it was sent on (ProtocolSendNetBufferListsComplete).
 */
export function NdisMSendNetBufferListsComplete(
  MiniportAdapterHandle: NDIS_HANDLE,
  NetBufferList: NET_BUFFER_LIST,
  SendCompleteFlags: number,
): void {
  const adapter = miniportAdapterOf("NdisMSendNetBufferListsComplete", MiniportAdapterHandle);
  if (adapter === null) return;
  if (completeFast(adapter, NetBufferList, SendCompleteFlags >>> 0)) return;
  completeChecked(adapter, NetBufferList, SendCompleteFlags >>> 0);
}

/** The general way of a completion: NBLs NDIS's record does not match are reported and left alone. */
function completeChecked(
  adapter: MiniportAdapter,
  NetBufferList: NET_BUFFER_LIST,
  SendCompleteFlags: number,
): void {
  const runtime = adapter.runtime;
  const accepted = filterChain(
    runtime,
    NetBufferList,
    (nbl) => completionProblem(adapter, nbl),
    (problem) =>
      reportAtCaller(
        runtime,
        "NdisMSendNetBufferListsComplete_NotOwned",
        `NdisMSendNetBufferListsComplete on adapter ${adapter.name}: ${problem}`,
        adapter.driver,
      ),
  );
  if (accepted === null) return;
  reportLiveChildren(
    runtime,
    accepted,
    `NdisMSendNetBufferListsComplete on adapter ${adapter.name}`,
    adapter.driver,
  );
  reportContextCarriedBack(
    runtime,
    accepted,
    `NdisMSendNetBufferListsComplete on adapter ${adapter.name}`,
    adapter.driver,
    sendersOf,
  );
  let badSource = -1;
  let i = 0;
  for (let n: NET_BUFFER_LIST | null = accepted; n !== null; n = n.Next, i++) {
    const o = n as NetBufferListObject;
    if (badSource < 0 && n.SourceHandle !== sendSource(o) && !keptFaultySource(o)) badSource = i;
  }
  if (badSource >= 0) {
    reportAtCaller(
      runtime,
      "NetBufferList_SourceHandle",
      `NdisMSendNetBufferListsComplete on adapter ${adapter.name}: completed NBL #${badSource}'s SourceHandle is no longer the handle of the binding that sent it`,
      adapter.driver,
    );
  }
  completeSends(adapter, accepted, SendCompleteFlags);
}

/**
 * Walks a chain handed back to NDIS (completion, return). An unacceptable chain (NULL, cyclic,
 * foreign objects) is reported whole and refused; single NBLs that NDIS's record does not match
 * are reported and unlinked, and the rest is returned as a chain.
 */
export function filterChain(
  runtime: NdisRuntime,
  chain: NET_BUFFER_LIST,
  problemOf: (nbl: NetBufferListObject) => string | null,
  report: (problem: string) => void,
): NET_BUFFER_LIST | null {
  let bad: [number, string][] | null = null;
  const checked = walkChain(runtime, chain, (nbl, i) => {
    const problem = problemOf(nbl);
    if (problem !== null) {
      bad ??= [];
      bad.push([i, problem]);
    }
    return null;
  });
  if (typeof checked === "string") {
    report(`${checked}; NDIS took none of the chain`);
    return null;
  }
  if (bad === null) return chain;
  const rejectedList: [number, string][] = bad;
  for (const [i, problem] of rejectedList) report(`NBL #${i} ${problem}; NDIS left it alone`);
  // Unlink the rejected NBLs; the others go on in order.
  const rejected = new Set(rejectedList.map(([i]) => i));
  let head: NET_BUFFER_LIST | null = null;
  let tail: NET_BUFFER_LIST | null = null;
  let i = 0;
  for (let n: NET_BUFFER_LIST | null = chain; n !== null; i++) {
    const next: NET_BUFFER_LIST | null = n.Next;
    if (!rejected.has(i)) {
      if (tail === null) head = n;
      else tail.Next = n;
      tail = n;
    }
    n = next;
  }
  if (tail !== null) tail.Next = null;
  return head;
}

/**
 * NdisMIndicateReceiveNetBufferLists: the miniport indicates a chain of NBLs it holds (SourceHandle
 * set to its adapter handle) to every Running binding of the adapter.
 */
export function NdisMIndicateReceiveNetBufferLists(
  MiniportAdapterHandle: NDIS_HANDLE,
  NetBufferList: NET_BUFFER_LIST,
  PortNumber: number,
  NumberOfNetBufferLists: number,
  ReceiveFlags: number,
): void {
  const adapter = miniportAdapterOf("NdisMIndicateReceiveNetBufferLists", MiniportAdapterHandle);
  if (adapter === null) return;
  const port = PortNumber >>> 0;
  const flags = ReceiveFlags >>> 0;
  if (isResources(flags)) {
    const base = markResources(NetBufferList);
    try {
      if (!indicateFast(adapter, NetBufferList, NumberOfNetBufferLists, port, flags))
        indicateChecked(adapter, NetBufferList, port, NumberOfNetBufferLists, flags);
    } finally {
      checkResources(
        adapter.runtime,
        base,
        adapter,
        null,
        `NdisMIndicateReceiveNetBufferLists on adapter ${adapter.name}`,
      );
    }
    return;
  }
  if (indicateFast(adapter, NetBufferList, NumberOfNetBufferLists, port, flags)) return;
  indicateChecked(adapter, NetBufferList, port, NumberOfNetBufferLists, flags);
}

/** The general way of an indication: the chain checked with a report naming what is wrong. */
function indicateChecked(
  adapter: MiniportAdapter,
  NetBufferList: NET_BUFFER_LIST,
  PortNumber: number,
  NumberOfNetBufferLists: number,
  ReceiveFlags: number,
): void {
  const runtime = adapter.runtime;
  const MiniportAdapterHandle = adapter.handle;
  let badSource = -1;
  const checked = walkChain(runtime, NetBufferList, (nbl, i) => {
    if (nbl.owner !== adapter.driver) {
      return `is held by ${nbl.owner === null ? "NDIS" : nbl.owner.name}, not by ${adapter.driver.name}`;
    }
    if (nbl.FirstNetBuffer === null) return "has no NET_BUFFER";
    if (badSource < 0 && nbl.SourceHandle !== MiniportAdapterHandle) badSource = i;
    return null;
  });
  const where = `NdisMIndicateReceiveNetBufferLists on adapter ${adapter.name}`;
  if (typeof checked === "string" || checked !== NumberOfNetBufferLists) {
    const why =
      typeof checked === "string"
        ? checked
        : `NumberOfNetBufferLists is ${String(NumberOfNetBufferLists)} but the chain holds ${checked}`;
    reportAtCaller(
      runtime,
      "NdisMIndicateReceiveNetBufferLists_InvalidChain",
      `${where}: ${why}; NDIS indicated nothing`,
      adapter.driver,
    );
    return;
  }
  if (adapter.machine.state !== "Running") {
    reportAtCaller(
      runtime,
      "NdisMIndicateReceiveNetBufferLists_NotRunning",
      `${where} while the adapter is ${adapter.machine.state}; NDIS indicated nothing`,
      adapter.driver,
    );
    return;
  }
  if (badSource >= 0) {
    noteFaultySources(NetBufferList, MiniportAdapterHandle);
    reportAtCaller(
      runtime,
      "NetBufferList_SourceHandle",
      `${where}: NBL #${badSource}'s SourceHandle is not the adapter handle`,
      adapter.driver,
    );
  }
  indicateReceive(adapter, NetBufferList, checked, PortNumber, ReceiveFlags);
}

/**
 * NdisReturnNetBufferLists: the protocol gives back NBLs indicated to it (not under
 * NDIS_RECEIVE_FLAGS_RESOURCES), in any grouping; once no binding holds an NBL it goes back to
 * the miniport that indicated it (MiniportReturnNetBufferLists).
 */
export function NdisReturnNetBufferLists(
  NdisBindingHandle: NDIS_HANDLE,
  NetBufferLists: NET_BUFFER_LIST,
  ReturnFlags: number,
): void {
  const binding = openBindingOf("NdisReturnNetBufferLists", NdisBindingHandle);
  if (binding === null) return;
  if (returnFast(binding, NetBufferLists, ReturnFlags >>> 0)) return;
  returnChecked(binding, NetBufferLists, ReturnFlags >>> 0);
}

/** The general way of a return: NBLs NDIS's record does not match are reported and left alone. */
function returnChecked(
  binding: Binding,
  NetBufferLists: NET_BUFFER_LIST,
  ReturnFlags: number,
): void {
  const runtime = binding.runtime;
  const accepted = filterChain(
    runtime,
    NetBufferLists,
    (nbl) => returnProblem(binding, nbl),
    (problem) =>
      reportAtCaller(
        runtime,
        "NdisReturnNetBufferLists_NotIndicated",
        `NdisReturnNetBufferLists on ${binding.protocol.chars.Name} → ${binding.adapter.name}: ${problem}`,
        binding.driver,
      ),
  );
  if (accepted === null) return;
  reportLiveChildren(
    runtime,
    accepted,
    `NdisReturnNetBufferLists on ${binding.protocol.chars.Name} → ${binding.adapter.name}`,
    binding.driver,
  );
  reportContextCarriedBack(
    runtime,
    accepted,
    `NdisReturnNetBufferLists on ${binding.protocol.chars.Name} → ${binding.adapter.name}`,
    binding.driver,
    holdersBelowOf,
  );
  let badSource = -1;
  let i = 0;
  for (let n: NET_BUFFER_LIST | null = accepted; n !== null; n = n.Next, i++) {
    const o = n as NetBufferListObject;
    if (badSource < 0 && n.SourceHandle !== receiveSource(o) && !keptFaultySource(o)) badSource = i;
  }
  if (badSource >= 0) {
    reportAtCaller(
      runtime,
      "NetBufferList_SourceHandle",
      `NdisReturnNetBufferLists on ${binding.protocol.chars.Name} → ${binding.adapter.name}: returned NBL #${badSource}'s SourceHandle is no longer the handle of the adapter that indicated it`,
      binding.driver,
    );
  }
  returnFromBinding(binding, accepted, ReturnFlags);
}

/**
 * NdisCancelSendNetBufferLists: cancels the sends on a binding whose NBLs carry `CancelId`
 * (NDIS_SET_NET_BUFFER_LIST_CANCEL_ID). Those the miniport still holds come back with
 * NDIS_STATUS_SEND_ABORTED through ProtocolSendNetBufferListsComplete.
 */
export function NdisCancelSendNetBufferLists(
  NdisBindingHandle: NDIS_HANDLE,
  CancelId: unknown,
): void {
  const binding = openBindingOf("NdisCancelSendNetBufferLists", NdisBindingHandle);
  if (binding === null) return;
  binding.runtime.assertAlive();
  cancelSends(binding, CancelId);
}

let partialCancelId = 0;

/**
 * NdisGeneratePartialCancelId: a value for the most significant byte of a driver's cancel IDs,
 * so that IDs of different drivers do not collide.
 */
export function NdisGeneratePartialCancelId(): number {
  partialCancelId = (partialCancelId % 255) + 1;
  return partialCancelId;
}
