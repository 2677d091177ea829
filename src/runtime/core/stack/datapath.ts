/**
 * NDIS's data path: sends down a binding to a miniport and their completions back up, receive
 * indications up to the bindings of an adapter and their returns back down.
 *
 * NDIS knows who holds every NBL: a send pushes the binding on the NBL's send path and hands the
 * NBL to the miniport's driver; the completion pops it and hands the NBL back to the binding's
 * driver. An indication pushes the adapter and the binding(s) that hold it; the last return pops
 * it. Completions and returns are routed by these paths, and anything that does not match them
 * (completing twice, returning what was never indicated) is a named violation and is dropped
 * without touching the NBL. In steady state nothing here allocates per packet.
 *
 * [MODEL] With several bindings receiving one indication, each gets the same chain (its links
 * restored between receivers); the NBL goes back to the miniport after the last of them returns.
 */

import {
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK,
  type NET_BUFFER_LIST,
} from "../../../ndis/nbl.js";
import {
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_RESET_IN_PROGRESS,
  NDIS_STATUS_SEND_ABORTED,
} from "../../../ndis/status.js";
import { callHandler, currentFrame } from "../objects/context.js";
import type {
  Binding,
  DriverRecord,
  FilterModule,
  MiniportAdapter,
  NdisRuntime,
} from "../objects/records.js";
import {
  NetBufferListObject,
  popRecv,
  popSendEdge,
  pushRecv,
  pushSendEdge,
  recvAdapterAt,
  recvHolderAt,
  sendEdgeAt,
  topRecvAdapter,
  topRecvHolder,
  topSendEdge,
} from "../objects/records.js";
import {
  edgeBelow,
  noReceiveModules,
  noSendModules,
  receiveEdgeAbove,
  sendEdgeBelow,
} from "./crossing.js";
import { loopbackIndications, releaseLoopback, wantsLoopback } from "./loopback.js";
import {
  observeCompletion,
  observeIndication,
  observeModule,
  observeReceive,
  observeRefused,
  observeSend,
} from "./observe.js";
import { acceptsByFilter, chainFilter, isPromiscuous, sortByFilter } from "./receive-filter.js";

/** An edge that sends down the stack: a protocol binding or a filter module. */
export type SendingEdge = Binding | FilterModule;
/** An edge that indicates up the stack: the miniport adapter or a filter module. */
export type IndicatingEdge = MiniportAdapter | FilterModule;

/**
 * The handle an NBL's SourceHandle must carry on its way back: the edge of this stack that
 * originated it — below filter modules that passed it on, the binding that sent it (or the
 * module that made it); for an indication, the miniport adapter (or the module that made it).
 */
export function sendSource(nbl: NetBufferListObject): unknown {
  let i = nbl.sendDepth - 1;
  while (i > 0) {
    const edge = sendEdgeAt(nbl, i) as SendingEdge;
    const above = sendEdgeAt(nbl, i - 1) as SendingEdge;
    if (edge.kind !== "filter-module" || above.adapter !== edge.adapter) break;
    i--;
  }
  return sendEdgeAt(nbl, i)?.handle;
}

/** The handle a returned NBL's SourceHandle must carry (see sendSource). */
export function receiveSource(nbl: NetBufferListObject): unknown {
  let i = nbl.recvDepth - 1;
  while (i > 0) {
    const edge = recvAdapterAt(nbl, i) as IndicatingEdge;
    if (edge.kind !== "filter-module" || recvHolderAt(nbl, i - 1) !== edge) break;
    i--;
  }
  return recvAdapterAt(nbl, i)?.handle;
}

/** The adapter whose stack an edge is in. */
function adapterOf(edge: IndicatingEdge): MiniportAdapter {
  return edge.kind === "filter-module" ? edge.adapter : edge;
}

type SendHandler = (context: unknown, nbl: NET_BUFFER_LIST, port: number, flags: number) => void;
type CompleteHandler = (context: unknown, nbl: NET_BUFFER_LIST, flags: number) => void;
type ReceiveHandler = (
  context: unknown,
  nbl: NET_BUFFER_LIST,
  port: number,
  count: number,
  flags: number,
) => void;
type ReturnHandler = (context: unknown, nbl: NET_BUFFER_LIST, flags: number) => void;

/** Reported when an adapter reaches Paused with NBLs still out. */
export function checkAdapterQuiet(adapter: MiniportAdapter): void {
  if (adapter.sendsOutstanding === 0 && adapter.receivesOutstanding === 0) return;
  adapter.runtime.violate(
    "MiniportPause_NblsOutstanding",
    `adapter ${adapter.name} completed its pause with ${adapter.sendsOutstanding} send(s) not completed and ${adapter.receivesOutstanding} indicated NBL(s) not returned`,
    adapter.driver,
  );
}

/** Reported when a binding reaches Paused with sends still out. */
export function checkBindingQuiet(binding: Binding): void {
  if (binding.sendsOutstanding === 0) return;
  binding.runtime.violate(
    "ProtocolPause_SendsOutstanding",
    `${binding.protocol.chars.Name} completed NetEventPause on ${binding.adapter.name} with ${binding.sendsOutstanding} send(s) not completed`,
    binding.driver,
  );
}

/**
 * Walks a chain NDIS is handed: every element a live NDIS NBL, no cycle, at least one. Returns
 * its length, or a reason it is unacceptable. `check` vets each NBL (null = fine).
 */
export function walkChain(
  runtime: NdisRuntime,
  chain: unknown,
  check: (nbl: NetBufferListObject, index: number) => string | null,
): number | string {
  if (chain === null || chain === undefined) return "the chain is NULL";
  const stamp = ++runtime.chainStamp;
  let count = 0;
  for (let nbl: unknown = chain; nbl !== null; nbl = (nbl as NET_BUFFER_LIST).Next) {
    if (!(nbl instanceof NetBufferListObject) || !nbl.allocated) {
      return `NBL #${count} is ${nbl instanceof NetBufferListObject ? "freed" : "not an NBL NDIS allocated"}`;
    }
    if (nbl.stamp === stamp) return `the chain loops back to an earlier NBL at #${count}`;
    nbl.stamp = stamp;
    const why = check(nbl, count);
    if (why !== null) return `NBL #${count} ${why}`;
    count++;
  }
  return count;
}

/** Completes a send NDIS refuses itself (paused binding, module or adapter) to the sender, inline. */
function completeToSender(binding: SendingEdge, chain: NET_BUFFER_LIST, status: NDIS_STATUS): void {
  for (let nbl: NET_BUFFER_LIST | null = chain; nbl !== null; nbl = nbl.Next) nbl.Status = status;
  if (binding.kind === "filter-module") {
    callSendComplete(binding, chain, 0);
    return;
  }
  const complete = binding.protocol.chars.handlers.SendNetBufferListsCompleteHandler as
    | CompleteHandler
    | undefined;
  if (complete === undefined) return;
  callHandler(
    binding.runtime,
    binding.driver,
    "ProtocolSendNetBufferListsComplete",
    currentFrame().irql,
    complete,
    binding.context,
    chain,
    0,
  );
}

/**
 * NdisSendNetBufferLists after its arguments were checked: hands the chain to the miniport, or
 * completes it at once with NDIS_STATUS_PAUSED when the binding or the adapter is not Running.
 */
export function sendOnBinding(
  binding: Binding,
  chain: NET_BUFFER_LIST,
  count: number,
  port: number,
  flags: number,
): void {
  const adapter = binding.adapter;
  if (binding.machine.state !== "Running" || adapter.machine.state !== "Running") {
    if (binding.runtime.observing) observeRefused(binding, chain);
    completeToSender(binding, chain, NDIS_STATUS_PAUSED);
    return;
  }
  if (adapter.runtime.observing) observeSend(binding, chain);
  if (wantsLoopback(binding, flags)) loopBackSend(binding, chain, port, flags);
  sendDown(binding, chain, count, port, flags);
}

/**
 * NDIS's loopback of a send (loopback.ts): a copy of each frame indicated, before the send goes
 * down, to the bindings that take it.
 */
function loopBackSend(binding: Binding, chain: NET_BUFFER_LIST, port: number, flags: number): void {
  const adapter = binding.adapter;
  for (const { nbl, receivers } of loopbackIndications(binding, chain, flags)) {
    indicateTo(adapter, null, nbl, 1, port, NDIS_RECEIVE_FLAGS_RESOURCES, receivers);
    releaseLoopback(nbl);
  }
}

/**
 * Hands a chain from `from` (a binding, or a filter module) to the next edge below it that takes
 * sends: a filter module's FilterSendNetBufferLists, or the miniport. Each NBL records `from` on
 * its send path, so its completion comes back up the same way.
 */
export function sendDown(
  from: SendingEdge,
  chain: NET_BUFFER_LIST,
  count: number,
  port: number,
  flags: number,
): void {
  const adapter = from.adapter;
  const below =
    adapter.filters.length === 0
      ? null
      : sendEdgeBelow(adapter, from.kind === "filter-module" ? from : null);
  if (below !== null) {
    if (adapter.runtime.observing) observeModule(below, chain, "send");
    for (let nbl: NET_BUFFER_LIST | null = chain; nbl !== null; nbl = nbl.Next) {
      const o = nbl as NetBufferListObject;
      pushSendEdge(o, from);
      o.owner = below.driver;
    }
    from.sendsOutstanding += count;
    below.sendsHeld += count;
    callHandler(
      adapter.runtime,
      below.driver,
      "FilterSendNetBufferLists",
      currentFrame().irql,
      below.send as SendHandler,
      below.context,
      chain,
      port,
      flags,
    );
    return;
  }
  const miniport = adapter.driver;
  if (miniport.crashed !== null) {
    refuseBelow(from, chain, count, NDIS_STATUS_FAILURE);
    return;
  }
  if (adapter.resetting) {
    // NDIS accepts no send for an adapter being reset (ProtocolStatusEx, NDIS_STATUS_RESET_START).
    refuseBelow(from, chain, count, NDIS_STATUS_RESET_IN_PROGRESS);
    return;
  }
  for (let nbl: NET_BUFFER_LIST | null = chain; nbl !== null; nbl = nbl.Next) {
    const o = nbl as NetBufferListObject;
    pushSendEdge(o, from);
    o.owner = miniport;
    o.sendCount++;
  }
  from.sendsOutstanding += count;
  adapter.sendsOutstanding += count;
  callSend(adapter, chain, port, flags);
}

/**
 * Completes a chain the miniport below will not take back to `from` with `status`. A filter
 * module gets it through the usual completion path, so what it holds is counted as for any
 * completion (it holds the NBLs again, to complete them on up).
 */
function refuseBelow(
  from: SendingEdge,
  chain: NET_BUFFER_LIST,
  count: number,
  status: NDIS_STATUS,
): void {
  if (from.kind !== "filter-module") {
    completeToSender(from, chain, status);
    return;
  }
  for (let n: NET_BUFFER_LIST | null = chain; n !== null; n = n.Next) {
    n.Status = status;
    pushSendEdge(n as NetBufferListObject, from);
  }
  from.sendsOutstanding += count;
  completeUp(chain, 0);
}

function callSend(
  adapter: MiniportAdapter,
  chain: NET_BUFFER_LIST,
  port: number,
  flags: number,
): void {
  const send = adapter.block.chars.handlers.SendNetBufferListsHandler as SendHandler;
  callHandler(
    adapter.runtime,
    adapter.driver,
    "MiniportSendNetBufferLists",
    currentFrame().irql,
    send,
    adapter.context,
    chain,
    port,
    flags,
  );
}

/**
 * NdisFSendNetBufferLists after the chain was checked: the module passes the chain on down. A
 * paused module sends nothing (FilterSend_Paused): NDIS completes the chain straight back to its
 * FilterSendNetBufferListsComplete with NDIS_STATUS_PAUSED.
 */
export function sendFromFilter(
  module: FilterModule,
  chain: NET_BUFFER_LIST,
  count: number,
  port: number,
  flags: number,
): void {
  // NBLs the module was sent from above and now passes on: it holds them no longer.
  for (let n: NET_BUFFER_LIST | null = chain; n !== null; n = n.Next) {
    if ((n as NetBufferListObject).sendDepth > 0) module.sendsHeld--;
  }
  const state = module.machine.state;
  if (state === "Paused" || state === "Detached" || state === "Attaching") {
    module.runtime.violate(
      "FilterSend_Paused",
      `NdisFSendNetBufferLists on ${module.name} while it is ${state}; NDIS completes the chain with NDIS_STATUS_PAUSED`,
      module.driver,
    );
    for (let n: NET_BUFFER_LIST | null = chain; n !== null; n = n.Next) {
      n.Status = NDIS_STATUS_PAUSED;
      pushSendEdge(n as NetBufferListObject, module);
    }
    module.sendsOutstanding += count;
    completeUp(chain, 0);
    return;
  }
  sendDown(module, chain, count, port, flags);
}

/** Why `nbl` cannot be completed by `adapter`'s miniport, or null. */
export function completionProblem(
  adapter: MiniportAdapter,
  nbl: NetBufferListObject,
): string | null {
  const binding = topSendEdge(nbl);
  if (binding === undefined || binding.adapter !== adapter || nbl.owner !== adapter.driver) {
    return "was not sent to this adapter, or was completed already";
  }
  return null;
}

/** Why `module` cannot complete `nbl` with NdisFSendNetBufferListsComplete, or null. */
export function filterCompletionProblem(
  module: FilterModule,
  nbl: NetBufferListObject,
): string | null {
  const sender = topSendEdge(nbl);
  if (
    sender === undefined ||
    sender.adapter !== module.adapter ||
    nbl.owner !== module.driver ||
    sendEdgeBelow(module.adapter, sender.kind === "filter-module" ? sender : null) !== module
  ) {
    return "was not sent to this filter module, or was completed already";
  }
  return null;
}

/**
 * NdisMSendNetBufferListsComplete after the chain was checked: each NBL goes back to the binding
 * it was sent on; each binding gets its NBLs (in chain order) in one completion call.
 */
export function completeSends(
  adapter: MiniportAdapter,
  chain: NET_BUFFER_LIST,
  flags: number,
): void {
  const count = completeUp(chain, flags);
  adapter.sendsOutstanding -= count;
  adapter.sendCompletions += count;
}

/**
 * NdisFSendNetBufferListsComplete after the chain was checked: the module lets go of NBLs it was
 * sent, and each goes on up to the edge that sent it.
 */
export function completeFromFilter(
  module: FilterModule,
  chain: NET_BUFFER_LIST,
  flags: number,
): void {
  module.sendsHeld -= completeUp(chain, flags);
}

/**
 * Sends a chain of completed NBLs one edge up the way each came: pops the sender off each NBL's
 * send path and gives each sender its NBLs (in chain order) in one completion call. Returns how
 * many NBLs went up.
 */
function completeUp(chain: NET_BUFFER_LIST, flags: number): number {
  let first: SendingEdge | null = null;
  let others: SendingEdge[] | null = null;
  let nbl: NET_BUFFER_LIST | null = chain;
  let count = 0;
  while (nbl !== null) {
    const next: NET_BUFFER_LIST | null = nbl.Next;
    const o = nbl as NetBufferListObject;
    const binding = popSendEdge(o) as SendingEdge;
    o.owner = binding.driver;
    binding.sendsOutstanding--;
    // A module that gets a completion holds the NBL again until it completes it on up (unless
    // it sent the NBL itself: then nobody above waits for it).
    if (binding.kind === "filter-module") {
      if (o.sendDepth > 0) binding.sendsHeld++;
    } else if (binding.runtime.observing) observeCompletion(binding, nbl);
    count++;
    nbl.Next = null;
    if (binding.completeLast === null) {
      binding.completeFirst = nbl;
      if (first === null) first = binding;
      else if (binding !== first) {
        others ??= [];
        others.push(binding);
      }
    } else binding.completeLast.Next = nbl;
    binding.completeLast = nbl;
    nbl = next;
  }
  if (first !== null) deliverCompletion(first, flags);
  if (others !== null) for (const b of others) deliverCompletion(b, flags);
  return count;
}

/** FilterSendNetBufferListsComplete of `module`, with `chain`. */
function callSendComplete(module: FilterModule, chain: NET_BUFFER_LIST, flags: number): void {
  callHandler(
    module.runtime,
    module.driver,
    "FilterSendNetBufferListsComplete",
    currentFrame().irql,
    module.sendComplete as CompleteHandler,
    module.context,
    chain,
    flags,
  );
}

function deliverCompletion(binding: SendingEdge, flags: number): void {
  const chain = binding.completeFirst as NET_BUFFER_LIST;
  binding.completeFirst = null;
  binding.completeLast = null;
  if (binding.kind === "filter-module") {
    callSendComplete(binding, chain, flags);
    return;
  }
  callComplete(binding, chain, flags);
}

function callComplete(binding: Binding, chain: NET_BUFFER_LIST, flags: number): void {
  const complete = binding.protocol.chars.handlers
    .SendNetBufferListsCompleteHandler as CompleteHandler;
  callHandler(
    binding.runtime,
    binding.driver,
    "ProtocolSendNetBufferListsComplete",
    currentFrame().irql,
    complete,
    binding.context,
    chain,
    flags,
  );
}

/**
 * NdisMIndicateReceiveNetBufferLists after the chain was checked: every Running binding of the
 * adapter gets it. Without NDIS_RECEIVE_FLAGS_RESOURCES the bindings keep it until they return
 * it; with the flag it is the miniport's again when this returns.
 */
export function indicateReceive(
  adapter: MiniportAdapter,
  chain: NET_BUFFER_LIST,
  count: number,
  port: number,
  flags: number,
): void {
  indicateUp(adapter, null, chain, count, port, flags);
}

/**
 * NdisFIndicateReceiveNetBufferLists after the chain was checked: the module lets go of what it
 * was indicated (what it indicates of its own it never held) and passes the chain on up.
 */
export function indicateFromFilter(
  module: FilterModule,
  chain: NET_BUFFER_LIST,
  count: number,
  port: number,
  flags: number,
): void {
  const state = module.machine.state;
  if (state === "Paused" || state === "Detached" || state === "Attaching") {
    module.runtime.violate(
      "FilterIndicate_Paused",
      `NdisFIndicateReceiveNetBufferLists on ${module.name} while it is ${state}; NDIS indicated nothing (the module still holds the chain)`,
      module.driver,
    );
    return;
  }
  // NBLs indicated to the module and now passed on: the module's record of them stays on the NBL
  // (it gets them back through FilterReturnNetBufferLists); it holds them no longer.
  for (let n: NET_BUFFER_LIST | null = chain; n !== null; n = n.Next) {
    const o = n as NetBufferListObject;
    if (topRecvHolder(o) === module) module.receivesHeld--;
  }
  indicateUp(module.adapter, module, chain, count, port, flags);
}

/**
 * A module's indication that nobody above took comes straight back to it (FilterReturnNetBufferLists):
 * what it was indicated from below it holds again, until it returns that on down.
 */
function holdAgain(module: FilterModule, chain: NET_BUFFER_LIST): void {
  for (let n: NET_BUFFER_LIST | null = chain; n !== null; n = n.Next) {
    const o = n as NetBufferListObject;
    if (topRecvHolder(o) === module) module.receivesHeld++;
  }
}

/**
 * Hands an indication from `from` (null: the miniport) to the next edge above that takes
 * receives: a filter module's FilterReceiveNetBufferLists, or the Running bindings, each getting
 * what its packet filter accepts.
 */
function indicateUp(
  adapter: MiniportAdapter,
  from: FilterModule | null,
  chain: NET_BUFFER_LIST,
  count: number,
  port: number,
  flags: number,
): void {
  const indicator: IndicatingEdge = from ?? adapter;
  const resources = (flags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0;
  const above = adapter.filters.length === 0 ? null : receiveEdgeAbove(adapter, from);
  if (above !== null) {
    if (adapter.runtime.observing) {
      if (from === null) observeIndication(adapter, chain);
      observeModule(above, chain, "receive");
    }
    take(chain, indicator, resources ? null : above, above.driver);
    indicator.receivesOutstanding += count;
    if (!resources) above.receivesHeld += count;
    callHandler(
      adapter.runtime,
      above.driver,
      "FilterReceiveNetBufferLists",
      currentFrame().irql,
      above.receive as ReceiveHandler,
      above.context,
      chain,
      port,
      count,
      flags,
    );
    if (resources) giveBack(chain, indicator, count);
    return;
  }
  let filtering = false;
  for (const b of adapter.bindings)
    if (b.machine.state === "Running" && b.driver.crashed === null && !isPromiscuous(b)) {
      filtering = true;
      break;
    }
  if (!filtering) {
    indicateTo(adapter, from, chain, count, port, flags, null);
    return;
  }
  const running = adapter.bindings.filter(
    (b) => b.machine.state === "Running" && b.driver.crashed === null,
  );
  // NDIS filters per binding: each gets only the NBLs its packet filter accepts.
  const order: NET_BUFFER_LIST[] = [];
  for (let n: NET_BUFFER_LIST | null = chain; n !== null; n = n.Next) order.push(n);
  const { groups, dropped } = sortByFilter(adapter, chain, running);
  for (const group of groups) {
    const nbls = group.nbls;
    for (let i = 0; i < nbls.length; i++) (nbls[i] as NET_BUFFER_LIST).Next = nbls[i + 1] ?? null;
    indicateTo(adapter, from, nbls[0] as NET_BUFFER_LIST, nbls.length, port, flags, group.bindings);
  }
  if (dropped.length > 0) {
    for (let i = 0; i < dropped.length; i++)
      (dropped[i] as NET_BUFFER_LIST).Next = dropped[i + 1] ?? null;
    if (from === null && adapter.runtime.observing)
      observeReceive(adapter, dropped[0] as NET_BUFFER_LIST, []);
    if (!resources) {
      if (from !== null) holdAgain(from, dropped[0] as NET_BUFFER_LIST);
      callReturn(indicator, dropped[0] as NET_BUFFER_LIST, 0);
    }
  }
  // Under RESOURCES the indicator has its chain back as it indicated it.
  if (resources)
    for (let i = 0; i < order.length; i++)
      (order[i] as NET_BUFFER_LIST).Next = order[i + 1] ?? null;
}

/**
 * Indicates a chain from `from` (null: the miniport) to `only` — every one of which takes all of
 * it — or, when null, to every Running binding of the adapter.
 */
function indicateTo(
  adapter: MiniportAdapter,
  from: FilterModule | null,
  chain: NET_BUFFER_LIST,
  count: number,
  port: number,
  flags: number,
  only: Binding[] | null,
): void {
  const indicator: IndicatingEdge = from ?? adapter;
  const resources = (flags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0;
  let receivers = 0;
  let single: Binding | null = null;
  if (only !== null) {
    receivers = only.length;
    single = only[0] ?? null;
  } else {
    for (const b of adapter.bindings) {
      if (b.machine.state === "Running" && b.driver.crashed === null) {
        receivers++;
        single ??= b;
      }
    }
  }
  // What comes from a module was counted at the adapter when the miniport indicated it.
  if (adapter.runtime.observing)
    observeReceive(
      from === null ? adapter : null,
      chain,
      only ??
        adapter.bindings.filter((b) => b.machine.state === "Running" && b.driver.crashed === null),
    );
  if (receivers === 0) {
    // Nobody to receive: the NBLs are the indicator's again at once.
    if (!resources) {
      if (from !== null) {
        for (let n: NET_BUFFER_LIST | null = chain; n !== null; n = n.Next)
          (n as NetBufferListObject).owner = from.driver;
        holdAgain(from, chain);
      }
      callReturn(indicator, chain, 0);
    }
    return;
  }
  const irql = currentFrame().irql;
  if (receivers === 1) {
    const binding = single as Binding;
    take(chain, indicator, resources ? null : binding, binding.driver);
    indicator.receivesOutstanding += count;
    if (!resources) binding.receivesHeld += count;
    deliverReceive(binding, chain, port, count, flags, irql);
    if (resources) giveBack(chain, indicator, count);
    return;
  }
  // Several receivers: each gets the chain as indicated.
  const nbls: NET_BUFFER_LIST[] = [];
  for (let n: NET_BUFFER_LIST | null = chain; n !== null; n = n.Next) nbls.push(n);
  const holders =
    only ??
    adapter.bindings.filter((b) => b.machine.state === "Running" && b.driver.crashed === null);
  for (const n of nbls) {
    const o = n as NetBufferListObject;
    // Under RESOURCES nobody keeps it: it is the indicator's again when the indication returns.
    pushRecv(o, indicator, resources ? null : [...holders]);
    o.owner = null;
  }
  indicator.receivesOutstanding += count;
  for (const binding of holders) {
    for (let i = 0; i < nbls.length; i++) {
      const n = nbls[i] as NET_BUFFER_LIST;
      n.Next = nbls[i + 1] ?? null;
      // [MODEL] While its handler runs, each receiver may pass the NBLs on up.
      (n as NetBufferListObject).owner = binding.driver;
    }
    if (!resources) binding.receivesHeld += count;
    deliverReceive(binding, chain, port, count, flags, irql);
  }
  for (let i = 0; i < nbls.length; i++) {
    const n = nbls[i] as NetBufferListObject;
    n.Next = nbls[i + 1] ?? null;
    // Held by one binding only: that binding's; by several: shared, nobody's alone.
    const held = topRecvHolder(n);
    if (Array.isArray(held)) n.owner = held.length === 1 ? (held[0] as Binding).driver : null;
  }
  if (resources) giveBack(chain, indicator, count);
}

/**
 * Records an indication: `holder` keeps it until it returns it (null under RESOURCES: nobody
 * keeps it); `user` holds it while its receive handler runs (it may pass it on up meanwhile).
 */
function take(
  chain: NET_BUFFER_LIST,
  adapter: IndicatingEdge,
  holder: Binding | FilterModule | null,
  user: DriverRecord,
): void {
  for (let n: NET_BUFFER_LIST | null = chain; n !== null; n = n.Next) {
    const o = n as NetBufferListObject;
    pushRecv(o, adapter, holder);
    o.owner = user;
  }
}

/** After a RESOURCES indication: the NBLs are the miniport's again. */
function giveBack(chain: NET_BUFFER_LIST, adapter: IndicatingEdge, count: number): void {
  for (let n: NET_BUFFER_LIST | null = chain; n !== null; n = n.Next) {
    const o = n as NetBufferListObject;
    popRecv(o);
    o.owner = adapter.driver;
  }
  adapter.receivesOutstanding -= count;
}

function deliverReceive(
  binding: Binding,
  chain: NET_BUFFER_LIST,
  port: number,
  count: number,
  flags: number,
  irql: number,
): void {
  const receive = binding.protocol.chars.handlers.ReceiveNetBufferListsHandler as ReceiveHandler;
  callHandler(
    binding.runtime,
    binding.driver,
    "ProtocolReceiveNetBufferLists",
    irql,
    receive,
    binding.context,
    chain,
    port,
    count,
    flags,
  );
}

/** Why `binding` cannot return `nbl`, or null. */
export function returnProblem(binding: Binding, nbl: NetBufferListObject): string | null {
  const indicator = topRecvAdapter(nbl);
  if (indicator === undefined || adapterOf(indicator) !== binding.adapter) {
    return "was not indicated on this binding's adapter, or was returned already";
  }
  const holders = topRecvHolder(nbl);
  const holds = Array.isArray(holders) ? holders.includes(binding) : holders === binding;
  if (!holds)
    return "is not held by this binding (returned already, or indicated with NDIS_RECEIVE_FLAGS_RESOURCES)";
  return null;
}

/** Why `module` cannot return `nbl` with NdisFReturnNetBufferLists, or null. */
export function filterReturnProblem(module: FilterModule, nbl: NetBufferListObject): string | null {
  if (nbl.recvDepth === 0 || topRecvHolder(nbl) !== module) {
    return "was not indicated to this filter module, or was returned already (or came with NDIS_RECEIVE_FLAGS_RESOURCES)";
  }
  return null;
}

/**
 * NdisReturnNetBufferLists after the chain was checked: the binding lets go; NBLs no binding holds
 * any more go back to their adapters' MiniportReturnNetBufferLists, one call per adapter.
 */
export function returnFromBinding(binding: Binding, chain: NET_BUFFER_LIST, flags: number): void {
  returnFromEdge(binding, chain, flags);
}

/**
 * A binding's or a filter module's return (after the chain was checked): the edge lets go; NBLs
 * nobody above holds any more go back down to the edge that indicated them
 * (FilterReturnNetBufferLists or MiniportReturnNetBufferLists), one call per edge.
 */
export function returnFromEdge(
  binding: Binding | FilterModule,
  chain: NET_BUFFER_LIST,
  flags: number,
): void {
  let firstAdapter: IndicatingEdge | null = null;
  let firstChain: NET_BUFFER_LIST | null = null;
  let firstLast: NET_BUFFER_LIST | null = null;
  let others: Map<IndicatingEdge, NET_BUFFER_LIST[]> | null = null;
  let returned = 0;
  let nbl: NET_BUFFER_LIST | null = chain;
  while (nbl !== null) {
    const next: NET_BUFFER_LIST | null = nbl.Next;
    const o = nbl as NetBufferListObject;
    const adapter = topRecvAdapter(o) as IndicatingEdge;
    const holders = topRecvHolder(o);
    returned++;
    let last = true;
    if (holders !== binding && Array.isArray(holders)) {
      holders.splice(holders.indexOf(binding as Binding), 1);
      last = holders.length === 0;
      if (!last && holders.length === 1) o.owner = (holders[0] as Binding | FilterModule).driver;
    }
    nbl.Next = null;
    if (last) {
      popRecv(o);
      o.owner = adapter.driver;
      adapter.receivesOutstanding--;
      // A module that gets a return holds the NBL again until it returns it on down (unless it
      // indicated the NBL itself: then nobody below waits for it).
      if (adapter.kind === "filter-module" && topRecvHolder(o) === adapter) adapter.receivesHeld++;
      if (firstAdapter === null || firstAdapter === adapter) {
        firstAdapter = adapter;
        if (firstLast === null) firstChain = nbl;
        else firstLast.Next = nbl;
        firstLast = nbl;
      } else {
        others ??= new Map();
        const list = others.get(adapter);
        if (list === undefined) others.set(adapter, [nbl]);
        else list.push(nbl);
      }
    }
    nbl = next;
  }
  binding.receivesHeld -= returned;
  if (firstAdapter !== null && firstChain !== null) callReturn(firstAdapter, firstChain, flags);
  if (others !== null) {
    for (const [adapter, list] of others) {
      for (let i = 0; i < list.length; i++) (list[i] as NET_BUFFER_LIST).Next = list[i + 1] ?? null;
      callReturn(adapter, list[0] as NET_BUFFER_LIST, flags);
    }
  }
}

function callReturn(adapter: IndicatingEdge, chain: NET_BUFFER_LIST, flags: number): void {
  if (adapter.kind === "filter-module") {
    callHandler(
      adapter.runtime,
      adapter.driver,
      "FilterReturnNetBufferLists",
      currentFrame().irql,
      adapter.returnHandler as ReturnHandler,
      adapter.context,
      chain,
      flags,
    );
    return;
  }
  const ret = adapter.block.chars.handlers.ReturnNetBufferListsHandler as ReturnHandler;
  callHandler(
    adapter.runtime,
    adapter.driver,
    "MiniportReturnNetBufferLists",
    currentFrame().irql,
    ret,
    adapter.context,
    chain,
    flags,
  );
}

type CancelHandler = (context: unknown, cancelId: unknown) => void;

/**
 * NdisCancelSendNetBufferLists after its handle was checked: NDIS asks the binding's miniport to
 * cancel the sends tagged `cancelId` (MiniportCancelSend). The miniport completes the ones it
 * still holds with NDIS_STATUS_SEND_ABORTED; the others complete as usual.
 */
export function cancelSends(binding: Binding, cancelId: unknown): void {
  cancelDown(binding.adapter, null, cancelId);
}

/** NdisFCancelSendNetBufferLists: the cancellation goes on down from `module`. */
export function cancelFromFilter(module: FilterModule, cancelId: unknown): void {
  cancelDown(module.adapter, module, cancelId);
}

/** A send cancellation crossing down from `from` (null: a binding) to the next edge that takes it. */
function cancelDown(adapter: MiniportAdapter, from: FilterModule | null, cancelId: unknown): void {
  const below = adapter.filters.length === 0 ? null : edgeBelow(adapter, from, "cancelSend");
  if (below !== null) {
    callHandler(
      adapter.runtime,
      below.driver,
      "FilterCancelSendNetBufferLists",
      currentFrame().irql,
      below.cancelSend as CancelHandler,
      below.context,
      cancelId,
    );
    return;
  }
  if (adapter.sendsOutstanding === 0) return;
  const cancel = adapter.block.chars.handlers.CancelSendHandler as CancelHandler | undefined;
  if (cancel === undefined) return;
  callHandler(
    adapter.runtime,
    adapter.driver,
    "MiniportCancelSend",
    currentFrame().irql,
    cancel,
    adapter.context,
    cancelId,
  );
}

/**
 * After the verifier stopped `driver`: NDIS takes back the NBLs it holds on the data path, so that
 * nothing waits for them forever. Sends its miniport edge holds complete to their senders with
 * NDIS_STATUS_SEND_ABORTED; indications its protocol edge holds count as returned. [MODEL] An NBL
 * a stopped IM forwarded further down comes back to the stopped driver and stays there.
 */
export function reclaimFrom(runtime: NdisRuntime, driver: DriverRecord): void {
  const sends = new Map<MiniportAdapter, NET_BUFFER_LIST[]>();
  const returns = new Map<Binding | FilterModule, NET_BUFFER_LIST[]>();
  for (const d of runtime.drivers.values()) {
    for (const pool of d.pools) {
      if (pool.kind !== "nbl-pool") continue;
      for (const nbl of pool.all) {
        if (!nbl.allocated) continue;
        const top = topSendEdge(nbl);
        if (top !== undefined && top.adapter.driver === driver && nbl.owner === driver) {
          const list = sends.get(top.adapter) ?? [];
          list.push(nbl);
          sends.set(top.adapter, list);
        }
        const held = topRecvHolder(nbl);
        const holders =
          held === undefined || held === null ? [] : Array.isArray(held) ? held : [held];
        for (const b of holders) {
          if (b.driver !== driver) continue;
          const list = returns.get(b) ?? [];
          list.push(nbl);
          returns.set(b, list);
        }
      }
    }
  }
  for (const [adapter, list] of sends) {
    for (let i = 0; i < list.length; i++) {
      const n = list[i] as NET_BUFFER_LIST;
      n.Status = NDIS_STATUS_SEND_ABORTED;
      n.Next = list[i + 1] ?? null;
    }
    completeSends(adapter, list[0] as NET_BUFFER_LIST, 0);
  }
  for (const [binding, list] of returns) {
    for (let i = 0; i < list.length; i++) (list[i] as NET_BUFFER_LIST).Next = list[i + 1] ?? null;
    returnFromEdge(binding, list[0] as NET_BUFFER_LIST, 0);
  }
}

/**
 * Whether the driver handing `n` back may still hold context space on it: the general path
 * judges (NetBufferListContext_Leaked), so the fast crossings leave such an NBL to it. Under
 * verifier "off" the record is never kept (NetBufferListObject.recordsContext) and contextDepth
 * stays 0; otherwise the newest owner is on the NBL's first cache lines (contextOwner0) unless
 * the NBL carries more than one allocation.
 */
function keepsContext(n: NetBufferListObject, holder: DriverRecord): boolean {
  const depth = n.contextDepth;
  if (depth === 0) return false;
  return (depth === 1 ? n.contextOwner0 : n.contextOwnersDeeper[depth - 2]) === holder;
}

/*
 * The data path's fast crossings: one pass per chain that checks each NBL and records the
 * crossing in the same step, with no closure and no per-call object. Each returns true when it
 * took the whole chain. On the first NBL it cannot take (a bad chain, or a case it leaves to the
 * general path: several receivers, a completion or return spread over several edges, someone
 * observing), it undoes what it recorded for the NBLs before it and returns false; the caller then
 * goes the general way (walkChain with its reports, then sendOnBinding, sendFromFilter,
 * completeSends, completeFromFilter, indicateReceive, indicateFromFilter or returnFromEdge),
 * exactly as if the fast pass had not run.
 *
 * An NBL's owner is a driver only while it is allocated (freeing it clears the owner), so the
 * ownership check also refuses freed NBLs. A chain that loops back on itself is caught without
 * marking the NBLs: every crossing changes
 * an NBL's owner from the driver handing it over to another (a crossing where both are one driver
 * goes the general way), so an NBL met a second time in the same pass is no longer the hander's
 * and fails the ownership check.
 *
 * Every edge of a stack has its fast crossing: a binding's or a filter module's send down to the
 * next module or the miniport, the miniport's or a module's completion up to the edge that sent,
 * the miniport's or a module's indication up to the next module or the one receiving binding, and
 * a binding's or a module's return down to the edge that indicated. An adapter without filter
 * modules — a protocol or an IM bound straight to a miniport, the common stack — has its own four
 * loops (sendToMiniportFast, completeToBindingFast, indicateToBindingFast, returnToMiniportFast):
 * the same checks and records, without the cases only modules have, which in the shared loops
 * cost 8-16 % of a crossing (paired rounds at 64 NBLs). A stack whose modules all sit out a path
 * (bypassed, or stopped) takes them on that path too (crossing.ts noSendModules,
 * noReceiveModules): NDIS skips a bypassed module, so it costs nothing there.
 */

/**
 * Whether `n`, met on a chain, is an NBL object `holder` holds: the fast crossings' first test of
 * every NBL. The owner is read before the class is tested: that read checks the object's map, and
 * V8 then folds the instanceof after it into nothing, where an instanceof first walked the
 * prototype chain of every NBL (a loop of dependent loads in the optimized code). The result is
 * the same for anything a driver can pass: a primitive or an object that is not one of NDIS's NBLs
 * has no owner that is a driver record of NDIS's (undefined and null are tested first).
 */
function heldBy(n: unknown, holder: DriverRecord): n is NetBufferListObject {
  return (
    n !== undefined &&
    n !== null &&
    (n as NetBufferListObject).owner === holder &&
    n instanceof NetBufferListObject
  );
}

/** NdisSendNetBufferLists' fast crossing: every NBL held by the binding's driver, SourceHandle set. */
export function sendFast(binding: Binding, chain: unknown, port: number, flags: number): boolean {
  if (
    binding.machine.state !== "Running" ||
    binding.adapter.machine.state !== "Running" ||
    binding.runtime.observing ||
    // NDIS loops the send back to some binding: the general crossing does it.
    (flags & NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK) !== 0 ||
    (binding.adapter.bindings.length > 1 && wantsLoopback(binding, flags)) ||
    chain === null ||
    chain === undefined
  )
    return false;
  const adapter = binding.adapter;
  if (noSendModules(adapter)) return sendToMiniportFast(binding, chain, port, flags);
  return sendToModuleFast(
    binding,
    sendEdgeBelow(adapter, null) as FilterModule,
    chain,
    port,
    flags,
  );
}

/**
 * NdisSendNetBufferLists' crossing for a binding of an adapter without filter modules (or whose
 * modules all sit out sends): the chain goes straight to the miniport. The same checks and
 * records, in a loop with only what this case needs.
 */
function sendToMiniportFast(
  binding: Binding,
  chain: unknown,
  port: number,
  flags: number,
): boolean {
  const adapter = binding.adapter;
  const to = adapter.driver;
  const holder = binding.driver;
  const source = binding.handle;
  if (to.crashed !== null || to === holder || adapter.resetting) return false;
  let count = 0;
  for (let n: unknown = chain; n !== null; n = (n as NET_BUFFER_LIST).Next) {
    if (!heldBy(n, holder) || n.FirstNetBuffer === null || n.SourceHandle !== source) {
      undoSends(chain as NetBufferListObject, count, holder, true);
      return false;
    }
    pushSendEdge(n, binding);
    n.owner = to;
    n.sendCount++;
    count++;
  }
  binding.sendsOutstanding += count;
  adapter.sendsOutstanding += count;
  callSend(adapter, chain as NET_BUFFER_LIST, port, flags);
  return true;
}

/**
 * completeFastFrom for the miniport of an adapter without filter modules: every NBL goes back to
 * the one binding that sent it.
 */
function completeToBindingFast(adapter: MiniportAdapter, chain: unknown, flags: number): number {
  const holder = adapter.driver;
  let to: Binding | null = null;
  let toDriver: DriverRecord | null = null;
  let source: unknown;
  let count = 0;
  for (let n: unknown = chain; n !== null; n = (n as NET_BUFFER_LIST).Next) {
    if (!heldBy(n, holder) || n.liveChildren !== 0 || keepsContext(n, holder)) {
      if (to !== null) undoCompletions(chain as NetBufferListObject, count, to, holder);
      return -1;
    }
    const sender = topSendEdge(n);
    if (sender !== to) {
      if (
        to !== null ||
        sender === undefined ||
        sender.kind !== "binding" ||
        sender.adapter !== adapter ||
        sender.driver === holder ||
        sender.driver.crashed !== null
      ) {
        if (to !== null) undoCompletions(chain as NetBufferListObject, count, to, holder);
        return -1;
      }
      to = sender;
      toDriver = sender.driver;
      source = sender.handle;
    }
    if (n.SourceHandle !== source) {
      undoCompletions(chain as NetBufferListObject, count, to as Binding, holder);
      return -1;
    }
    // The top just read: one edge less deep.
    n.sendDepth--;
    n.owner = toDriver;
    count++;
  }
  const sender = to as Binding;
  sender.sendsOutstanding -= count;
  callComplete(sender, chain as NET_BUFFER_LIST, flags);
  return count;
}

/**
 * A module's send or indication the fast crossing may take: a chain, from a module that may pass
 * traffic on (not Paused, Detached or Attaching: the general path reports those), nobody
 * observing.
 */
function passesOn(module: FilterModule, chain: unknown): boolean {
  const state = module.machine.state;
  return (
    state !== "Paused" &&
    state !== "Detached" &&
    state !== "Attaching" &&
    !module.runtime.observing &&
    chain !== null &&
    chain !== undefined
  );
}

/**
 * NdisFSendNetBufferLists' fast crossing: a module that may send (not Paused, Detached or
 * Attaching) passes on NBLs its driver holds.
 */
export function filterSendFast(
  module: FilterModule,
  chain: unknown,
  port: number,
  flags: number,
): boolean {
  if (!passesOn(module, chain)) return false;
  return moduleSendFast(module, chain, port, flags);
}

function undoSends(
  chain: NetBufferListObject,
  count: number,
  holder: DriverRecord,
  toMiniport: boolean,
): void {
  let n = chain;
  for (let i = 0; i < count; i++) {
    popSendEdge(n);
    n.owner = holder;
    if (toMiniport) n.sendCount--;
    n = n.Next as NetBufferListObject;
  }
}

function callFilterSend(
  module: FilterModule,
  chain: NET_BUFFER_LIST,
  port: number,
  flags: number,
): void {
  callHandler(
    module.runtime,
    module.driver,
    "FilterSendNetBufferLists",
    currentFrame().irql,
    module.send as SendHandler,
    module.context,
    chain,
    port,
    flags,
  );
}

/**
 * NdisMSendNetBufferListsComplete's fast crossing: every NBL sent to this adapter, not yet
 * completed, SourceHandle still its originator's, all sent by one edge (a binding, or the lowest
 * filter module that takes sends).
 */
export function completeFast(adapter: MiniportAdapter, chain: unknown, flags: number): boolean {
  if (adapter.runtime.observing || chain === null || chain === undefined) return false;
  let count: number;
  if (noSendModules(adapter)) count = completeToBindingFast(adapter, chain, flags);
  else {
    // Sent down by the lowest module that takes sends (a binding's, if the stack changed since).
    const exit = adapter.sendExit;
    count = exit === null ? -1 : completeToModuleFast(adapter, exit, chain, flags);
    if (count < 0) count = completeFastFrom(adapter, null, chain, flags);
  }
  if (count < 0) return false;
  adapter.sendsOutstanding -= count;
  adapter.sendCompletions += count;
  return true;
}

/**
 * NdisFSendNetBufferListsComplete's fast crossing: every NBL sent to this module from above and
 * held by its driver, all sent by one edge.
 */
export function filterCompleteFast(module: FilterModule, chain: unknown, flags: number): boolean {
  if (module.runtime.observing || chain === null || chain === undefined) return false;
  const count = moduleCompleteFast(module, chain, flags);
  if (count < 0) return false;
  module.sendsHeld -= count;
  return true;
}

/**
 * A completion by the miniport (`module` null) or by `module`, up to the one edge that sent the
 * chain: checks and records each NBL in one pass, then calls that edge's completion handler.
 * Returns how many NBLs went up, or -1 when it took none.
 */
function completeFastFrom(
  adapter: MiniportAdapter,
  module: FilterModule | null,
  chain: unknown,
  flags: number,
): number {
  const holder = module === null ? adapter.driver : module.driver;
  let to: SendingEdge | null = null;
  let toDriver: DriverRecord | null = null;
  let bySender = false;
  let source: unknown;
  let count = 0;
  let held = 0;
  // Below a module, the edge above it on the NBL's path last met and the handle it makes the
  // originator's: a binding of this adapter (the common case of a module passing on what a
  // protocol sent), so that sentBy runs once per chain rather than per NBL.
  let lastAbove: SendingEdge | undefined;
  let lastSource: unknown;
  for (let n: unknown = chain; n !== null; n = (n as NET_BUFFER_LIST).Next) {
    const sender =
      heldBy(n, holder) && n.liveChildren === 0 && !keepsContext(n, holder)
        ? topSendEdge(n)
        : undefined;
    if (sender === undefined || sender !== to) {
      // The first NBL (or a sender other than the first NBL's): is this the edge it came from?
      if (
        sender === undefined ||
        to !== null ||
        sender.adapter !== adapter ||
        sender.driver === holder ||
        sender.driver.crashed !== null ||
        (module !== null &&
          sendEdgeBelow(adapter, sender.kind === "filter-module" ? sender : null) !== module)
      ) {
        if (to !== null) undoCompletions(chain as NetBufferListObject, count, to, holder);
        return -1;
      }
      to = sender;
      toDriver = sender.driver;
      // The miniport hands back what it was sent with the originator's SourceHandle: the
      // binding's, or below modules, whoever made the NBL (sentBy, per NBL).
      bySender = module === null && sender.kind === "binding";
      source = sender.handle;
    }
    const o = n as NetBufferListObject;
    if (module === null) {
      let expected = source;
      if (!bySender) {
        const above = sendEdgeAt(o, o.sendDepth - 2);
        if (above === undefined || above !== lastAbove) {
          expected = sentBy(sender, o);
          // Only a binding of this adapter above makes the originator its own handle.
          const byBinding =
            above !== undefined && above.kind === "binding" && above.adapter === adapter;
          lastAbove = byBinding ? above : undefined;
          lastSource = expected;
        } else expected = lastSource;
      }
      if (o.SourceHandle !== expected) {
        undoCompletions(chain as NetBufferListObject, count, sender, holder);
        return -1;
      }
    }
    popSendEdge(o);
    if (o.sendDepth !== 0) held++;
    o.owner = toDriver;
    count++;
  }
  const sender = to as SendingEdge;
  sender.sendsOutstanding -= count;
  if (sender.kind === "filter-module") {
    // A module gets back what it passed on: it holds those again until it completes them on up.
    sender.sendsHeld += held;
    callSendComplete(sender, chain as NET_BUFFER_LIST, flags);
  } else callComplete(sender, chain as NET_BUFFER_LIST, flags);
  return count;
}

/**
 * The handle a completed NBL's SourceHandle must carry, `sender` being the top of its send path:
 * the sending binding's, or below modules that passed it on, the originator's (sendSource).
 */
function sentBy(sender: SendingEdge, nbl: NetBufferListObject): unknown {
  if (sender.kind === "binding") return sender.handle;
  const above = sendEdgeAt(nbl, nbl.sendDepth - 2);
  // The common case: a module passing on what a binding of its adapter sent.
  if (above !== undefined && above.kind === "binding" && above.adapter === sender.adapter)
    return above.handle;
  return sendSource(nbl);
}

function undoCompletions(
  chain: NetBufferListObject,
  count: number,
  sender: SendingEdge,
  holder: DriverRecord,
): void {
  let n = chain;
  for (let i = 0; i < count; i++) {
    pushSendEdge(n, sender);
    n.owner = holder;
    n = n.Next as NetBufferListObject;
  }
}

/** The one binding of `adapter` that would receive an indication now, or null (none, or several). */
function soleReceiver(adapter: MiniportAdapter): Binding | null {
  const all = adapter.bindings;
  let single: Binding | null = null;
  for (let i = 0; i < all.length; i++) {
    const b = all[i] as Binding;
    if (b.machine.state === "Running" && b.driver.crashed === null) {
      if (single !== null) return null;
      single = b;
    }
  }
  return single;
}

/**
 * NdisMIndicateReceiveNetBufferLists' fast crossing: a Running adapter, every NBL held by the
 * miniport with its SourceHandle, the count right, going to one filter module or one binding.
 */
export function indicateFast(
  adapter: MiniportAdapter,
  chain: unknown,
  count: number,
  port: number,
  flags: number,
): boolean {
  if (
    adapter.machine.state !== "Running" ||
    adapter.runtime.observing ||
    chain === null ||
    chain === undefined
  )
    return false;
  if (noReceiveModules(adapter)) return indicateToBindingFast(adapter, chain, count, port, flags);
  const above = receiveEdgeAbove(adapter, null) as FilterModule;
  return indicateToModuleFast(adapter, above, chain, count, port, flags);
}

/**
 * NdisMIndicateReceiveNetBufferLists' crossing for an adapter without filter modules (or whose
 * modules all sit out receives): the chain goes to the one Running binding, when its packet
 * filter takes every NBL.
 */
function indicateToBindingFast(
  adapter: MiniportAdapter,
  chain: unknown,
  count: number,
  port: number,
  flags: number,
): boolean {
  const binding = soleReceiver(adapter);
  if (binding === null) return false;
  const filter = chainFilter(binding, adapter);
  const holder = adapter.driver;
  const user = binding.driver;
  if (user === holder) return false;
  const source = adapter.handle;
  const resources = (flags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0;
  const keeper = resources ? null : binding;
  let seen = 0;
  for (let n: unknown = chain; n !== null; n = (n as NET_BUFFER_LIST).Next) {
    if (
      !heldBy(n, holder) ||
      n.FirstNetBuffer === null ||
      n.SourceHandle !== source ||
      (filter !== null && !acceptsByFilter(filter, n))
    ) {
      undoIndications(chain as NetBufferListObject, seen, holder);
      return false;
    }
    pushRecv(n, adapter, keeper);
    n.owner = user;
    seen++;
  }
  if (seen !== count) {
    undoIndications(chain as NetBufferListObject, seen, holder);
    return false;
  }
  adapter.receivesOutstanding += count;
  if (!resources) binding.receivesHeld += count;
  deliverReceive(binding, chain as NET_BUFFER_LIST, port, count, flags, currentFrame().irql);
  if (resources) giveBack(chain as NET_BUFFER_LIST, adapter, count);
  return true;
}

/**
 * returnFastFrom for a binding of an adapter without filter modules: every NBL goes back to the
 * miniport, which indicated it; its SourceHandle must be the adapter's again.
 */
function returnToMiniportFast(binding: Binding, chain: unknown, flags: number): boolean {
  const adapter = binding.adapter;
  const holder = binding.driver;
  const to = adapter.driver;
  if (to === holder || to.crashed !== null) return false;
  const source = adapter.handle;
  let count = 0;
  for (let n: unknown = chain; n !== null; n = (n as NET_BUFFER_LIST).Next) {
    if (
      !heldBy(n, holder) ||
      n.liveChildren !== 0 ||
      keepsContext(n, holder) ||
      n.SourceHandle !== source
    ) {
      undoReturns(chain as NetBufferListObject, count, binding, adapter);
      return false;
    }
    if (topRecvAdapter(n) !== adapter || topRecvHolder(n) !== binding) {
      undoReturns(chain as NetBufferListObject, count, binding, adapter);
      return false;
    }
    n.recvDepth--;
    n.owner = to;
    count++;
  }
  adapter.receivesOutstanding -= count;
  binding.receivesHeld -= count;
  callReturn(adapter, chain as NET_BUFFER_LIST, flags);
  return true;
}

/**
 * NdisFIndicateReceiveNetBufferLists' fast crossing: a module that may indicate passes on NBLs
 * its driver holds, the count right, to the next module or one binding.
 */
export function filterIndicateFast(
  module: FilterModule,
  chain: unknown,
  count: number,
  port: number,
  flags: number,
): boolean {
  if (!passesOn(module, chain)) return false;
  return moduleIndicateFast(module, chain, count, port, flags);
}

function undoIndications(chain: NetBufferListObject, count: number, holder: DriverRecord): void {
  let n = chain;
  for (let i = 0; i < count; i++) {
    popRecv(n);
    n.owner = holder;
    n = n.Next as NetBufferListObject;
  }
}

function callFilterReceive(
  module: FilterModule,
  chain: NET_BUFFER_LIST,
  port: number,
  count: number,
  flags: number,
  irql: number,
): void {
  callHandler(
    module.runtime,
    module.driver,
    "FilterReceiveNetBufferLists",
    irql,
    module.receive as ReceiveHandler,
    module.context,
    chain,
    port,
    count,
    flags,
  );
}

/**
 * NdisReturnNetBufferLists' fast crossing: every NBL indicated on this binding's adapter by one
 * edge and held by this binding alone, its SourceHandle the indicator's again.
 */
export function returnFast(binding: Binding, chain: unknown, flags: number): boolean {
  if (chain === null || chain === undefined) return false;
  const adapter = binding.adapter;
  if (noReceiveModules(adapter)) return returnToMiniportFast(binding, chain, flags);
  // Indicated by the top module that takes receives (by another edge, if the stack changed since).
  const exit = adapter.receiveExit;
  if (exit !== null && returnToModuleFast(binding, exit, chain, flags)) return true;
  return returnFastFrom(binding, true, chain, flags);
}

/** NdisFReturnNetBufferLists' fast crossing: every NBL indicated to this module, by one edge. */
export function filterReturnFast(module: FilterModule, chain: unknown, flags: number): boolean {
  if (chain === null || chain === undefined) return false;
  return moduleReturnFast(module, chain, flags);
}

/**
 * A return by `edge` down to the one edge that indicated the chain (a filter module, or the
 * miniport): checks and records each NBL in one pass, then calls FilterReturnNetBufferLists or
 * MiniportReturnNetBufferLists. `checkSource`: each NBL's SourceHandle must be its originator's.
 */
function returnFastFrom(
  edge: Binding | FilterModule,
  checkSource: boolean,
  chain: unknown,
  flags: number,
): boolean {
  const adapter = edge.adapter;
  const holder = edge.driver;
  let from: IndicatingEdge | null = null;
  let count = 0;
  let held = 0;
  for (let n: unknown = chain; n !== null; n = (n as NET_BUFFER_LIST).Next) {
    const depth =
      heldBy(n, holder) && n.liveChildren === 0 && !keepsContext(n, holder) ? n.recvDepth - 1 : -1;
    const o = n as NetBufferListObject;
    const indicator = recvAdapterAt(o, depth);
    if (
      indicator === undefined ||
      recvHolderAt(o, depth) !== edge ||
      (from === null
        ? adapterOf(indicator) !== adapter ||
          indicator.driver === holder ||
          indicator.driver.crashed !== null
        : indicator !== from) ||
      (checkSource &&
        o.SourceHandle !==
          (indicator.kind === "filter-module"
            ? indicatedBy(o, depth, indicator)
            : indicator.handle))
    ) {
      if (from !== null) undoReturns(chain as NetBufferListObject, count, edge, from);
      return false;
    }
    from = indicator;
    popRecv(o);
    if (topRecvHolder(o) === indicator) held++;
    o.owner = indicator.driver;
    count++;
  }
  const indicator = from as IndicatingEdge;
  indicator.receivesOutstanding -= count;
  // A module gets back what it passed on: it holds those again until it returns them on down.
  if (indicator.kind === "filter-module") indicator.receivesHeld += held;
  edge.receivesHeld -= count;
  callReturn(indicator, chain as NET_BUFFER_LIST, flags);
  return true;
}

/**
 * receiveSource for a returned NBL whose indicator (at `depth`) is `module`, without the walk in
 * the common case: the module passing on what the miniport below it indicated.
 */
function indicatedBy(nbl: NetBufferListObject, depth: number, module: FilterModule): unknown {
  const below = recvAdapterAt(nbl, depth - 1);
  if (
    below !== undefined &&
    below.kind === "miniport-adapter" &&
    recvHolderAt(nbl, depth - 1) === module
  )
    return below.handle;
  return receiveSource(nbl);
}

function undoReturns(
  chain: NetBufferListObject,
  count: number,
  edge: Binding | FilterModule,
  indicator: IndicatingEdge,
): void {
  let n = chain;
  for (let i = 0; i < count; i++) {
    pushRecv(n, indicator, edge);
    n.owner = edge.driver;
    n = n.Next as NetBufferListObject;
  }
}

/*
 * A stack with filter modules that take part in its sends has loops of its own for the four
 * crossings of a module on the send path, as an adapter without modules has for its binding
 * and miniport: a binding's send into the top module (sendToModuleFast), a module's send on
 * down (moduleSendFast), the miniport's completion to the lowest module (completeToModuleFast)
 * and a module's completion on up (moduleCompleteFast). Each makes the checks and records of the
 * general crossing for its case (sendOnBinding / sendFromFilter, completeSends /
 * completeFromFilter) in one pass, and leaves anything it does not take to completeFastFrom or to
 * the general path.
 */

/** NdisSendNetBufferLists' crossing for a binding whose stack's top sending module is `below`. */
function sendToModuleFast(
  binding: Binding,
  below: FilterModule,
  chain: unknown,
  port: number,
  flags: number,
): boolean {
  const to = below.driver;
  const holder = binding.driver;
  const source = binding.handle;
  if (to.crashed !== null || to === holder) return false;
  let count = 0;
  for (let n: unknown = chain; n !== null; n = (n as NET_BUFFER_LIST).Next) {
    if (!heldBy(n, holder) || n.FirstNetBuffer === null || n.SourceHandle !== source) {
      undoSends(chain as NetBufferListObject, count, holder, false);
      return false;
    }
    pushSendEdge(n, binding);
    n.owner = to;
    count++;
  }
  binding.sendsOutstanding += count;
  below.sendsHeld += count;
  callFilterSend(below, chain as NET_BUFFER_LIST, port, flags);
  return true;
}

/**
 * NdisFSendNetBufferLists' crossing: a module passes a chain on down, to the next module that
 * takes sends or to the miniport. What it was sent from above (an NBL with a send path) it holds
 * no longer.
 */
function moduleSendFast(
  module: FilterModule,
  chain: unknown,
  port: number,
  flags: number,
): boolean {
  const adapter = module.adapter;
  const below = sendEdgeBelow(adapter, module);
  const toMiniport = below === null;
  const to = toMiniport ? adapter.driver : below.driver;
  const holder = module.driver;
  // A miniport being reset takes no sends: the general path completes them RESET_IN_PROGRESS.
  if (to.crashed !== null || to === holder || (toMiniport && adapter.resetting)) return false;
  let count = 0;
  let held = 0;
  for (let n: unknown = chain; n !== null; n = (n as NET_BUFFER_LIST).Next) {
    if (!heldBy(n, holder) || n.FirstNetBuffer === null) {
      undoSends(chain as NetBufferListObject, count, holder, toMiniport);
      return false;
    }
    if (n.sendDepth !== 0) held++;
    pushSendEdge(n, module);
    n.owner = to;
    if (toMiniport) n.sendCount++;
    count++;
  }
  module.sendsOutstanding += count;
  module.sendsHeld -= held;
  if (toMiniport) {
    adapter.sendsOutstanding += count;
    callSend(adapter, chain as NET_BUFFER_LIST, port, flags);
  } else {
    (below as FilterModule).sendsHeld += count;
    callFilterSend(below as FilterModule, chain as NET_BUFFER_LIST, port, flags);
  }
  return true;
}

/**
 * completeFastFrom for the miniport's completion of NBLs that `module` (the stack's lowest
 * module that takes sends) passed down: each SourceHandle still its originator's. Returns how
 * many NBLs went up, or -1 when it took none.
 */
function completeToModuleFast(
  adapter: MiniportAdapter,
  module: FilterModule,
  chain: unknown,
  flags: number,
): number {
  const holder = adapter.driver;
  const to = module.driver;
  if (to === holder || to.crashed !== null) return -1;
  // The case this loop takes: the module passed the whole chain down for one binding of this
  // adapter, the originator whose handle every NBL carries, found from the first NBL before the
  // loop. Anything else (an NBL the module made itself, one it passed down for another edge)
  // goes to completeFastFrom, which works out each NBL's originator on its own. A loop that did
  // that itself, keeping the last edge met and its handle in loop variables, cost ~6 % more per
  // packet, and ~6 % more again with the per-NBL fallback inlined in it.
  if (!heldBy(chain, holder)) return -1;
  const above = sendEdgeAt(chain, chain.sendDepth - 2);
  if (above === undefined || above.kind !== "binding" || above.adapter !== adapter) return -1;
  const source = above.handle;
  let count = 0;
  for (let n: unknown = chain; n !== null; n = (n as NET_BUFFER_LIST).Next) {
    if (!heldBy(n, holder) || n.liveChildren !== 0 || keepsContext(n, holder)) {
      undoCompletions(chain as NetBufferListObject, count, module, holder);
      return -1;
    }
    const depth = n.sendDepth - 1;
    if (
      depth < 1 ||
      sendEdgeAt(n, depth) !== module ||
      sendEdgeAt(n, depth - 1) !== above ||
      n.SourceHandle !== source
    ) {
      undoCompletions(chain as NetBufferListObject, count, module, holder);
      return -1;
    }
    popSendEdge(n);
    n.owner = to;
    count++;
  }
  module.sendsOutstanding -= count;
  // It gets back what it passed on: it holds those again until it completes them on up.
  module.sendsHeld += count;
  callSendComplete(module, chain as NET_BUFFER_LIST, flags);
  return count;
}

/**
 * completeFastFrom for a module completing NBLs it was sent from above: all to the one edge that
 * sent them (a binding, or a module above whose next edge below this module is). Returns how many
 * NBLs went up, or -1 when it took none.
 */
function moduleCompleteFast(module: FilterModule, chain: unknown, flags: number): number {
  const adapter = module.adapter;
  const holder = module.driver;
  // The first NBL names the edge the whole chain goes back to (the top of its send path), found
  // before the loop: a loop that carried it in variables it rewrote cost ~6 % more per packet.
  if (!heldBy(chain, holder) || chain.liveChildren !== 0 || keepsContext(chain, holder)) return -1;
  const sender = topSendEdge(chain);
  if (
    sender === undefined ||
    sender.adapter !== adapter ||
    sender.driver === holder ||
    sender.driver.crashed !== null ||
    sendEdgeBelow(adapter, sender.kind === "filter-module" ? sender : null) !== module
  )
    return -1;
  const toDriver = sender.driver;
  let count = 0;
  let held = 0;
  for (let n: unknown = chain; n !== null; n = (n as NET_BUFFER_LIST).Next) {
    if (!heldBy(n, holder) || n.liveChildren !== 0 || keepsContext(n, holder)) {
      undoCompletions(chain as NetBufferListObject, count, sender, holder);
      return -1;
    }
    const depth = n.sendDepth - 1;
    if (depth < 0 || sendEdgeAt(n, depth) !== sender) {
      undoCompletions(chain as NetBufferListObject, count, sender, holder);
      return -1;
    }
    popSendEdge(n);
    if (depth !== 0) held++;
    n.owner = toDriver;
    count++;
  }
  sender.sendsOutstanding -= count;
  if (sender.kind === "filter-module") {
    sender.sendsHeld += held;
    callSendComplete(sender, chain as NET_BUFFER_LIST, flags);
  } else callComplete(sender, chain as NET_BUFFER_LIST, flags);
  return count;
}

/*
 * Likewise on the receive path, for a stack with modules that take receives: the miniport's
 * indication into the lowest module (indicateToModuleFast), a module's indication on up
 * (moduleIndicateFast), a binding's return to the top module (returnToModuleFast) and a module's
 * return on down (moduleReturnFast). Anything one does not take goes to returnFastFrom or the
 * general path.
 */

/** NdisMIndicateReceiveNetBufferLists' crossing into `above`, the stack's lowest receiving module. */
function indicateToModuleFast(
  adapter: MiniportAdapter,
  above: FilterModule,
  chain: unknown,
  count: number,
  port: number,
  flags: number,
): boolean {
  const holder = adapter.driver;
  const user = above.driver;
  if (user === holder) return false;
  const source = adapter.handle;
  const resources = (flags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0;
  const keeper = resources ? null : above;
  let seen = 0;
  for (let n: unknown = chain; n !== null; n = (n as NET_BUFFER_LIST).Next) {
    if (!heldBy(n, holder) || n.FirstNetBuffer === null || n.SourceHandle !== source) {
      undoIndications(chain as NetBufferListObject, seen, holder);
      return false;
    }
    pushRecv(n, adapter, keeper);
    n.owner = user;
    seen++;
  }
  if (seen !== count) {
    undoIndications(chain as NetBufferListObject, seen, holder);
    return false;
  }
  adapter.receivesOutstanding += count;
  if (!resources) above.receivesHeld += count;
  callFilterReceive(above, chain as NET_BUFFER_LIST, port, count, flags, currentFrame().irql);
  if (resources) giveBack(chain as NET_BUFFER_LIST, adapter, count);
  return true;
}

/**
 * NdisFIndicateReceiveNetBufferLists' crossing: a module passes a chain on up, to the next module
 * that takes receives, or to the one Running binding when its packet filter takes every NBL.
 */
function moduleIndicateFast(
  module: FilterModule,
  chain: unknown,
  count: number,
  port: number,
  flags: number,
): boolean {
  const adapter = module.adapter;
  const above = receiveEdgeAbove(adapter, module);
  let binding: Binding | null = null;
  let filter: ReturnType<typeof chainFilter> = null;
  if (above === null) {
    binding = soleReceiver(adapter);
    if (binding === null) return false;
    // NDIS's packet filtering: a chain with an NBL the binding's filter refuses goes the general way.
    filter = chainFilter(binding, adapter);
  }
  const receiver = (above ?? binding) as Binding | FilterModule;
  const holder = module.driver;
  const user = receiver.driver;
  if (user === holder) return false;
  const resources = (flags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0;
  const keeper = resources ? null : receiver;
  let seen = 0;
  // NBLs indicated to the module that it now passes on: it holds them no longer.
  let held = 0;
  for (let n: unknown = chain; n !== null; n = (n as NET_BUFFER_LIST).Next) {
    if (
      !heldBy(n, holder) ||
      n.FirstNetBuffer === null ||
      (filter !== null && !acceptsByFilter(filter, n))
    ) {
      undoIndications(chain as NetBufferListObject, seen, holder);
      return false;
    }
    if (topRecvHolder(n) === module) held++;
    pushRecv(n, module, keeper);
    n.owner = user;
    seen++;
  }
  if (seen !== count) {
    undoIndications(chain as NetBufferListObject, seen, holder);
    return false;
  }
  module.receivesOutstanding += count;
  module.receivesHeld -= held;
  if (!resources) receiver.receivesHeld += count;
  const irql = currentFrame().irql;
  if (above !== null) callFilterReceive(above, chain as NET_BUFFER_LIST, port, count, flags, irql);
  else deliverReceive(binding as Binding, chain as NET_BUFFER_LIST, port, count, flags, irql);
  if (resources) giveBack(chain as NET_BUFFER_LIST, module, count);
  return true;
}

/**
 * NdisReturnNetBufferLists' crossing for NBLs that `module` (the stack's top receiving module)
 * indicated to this binding alone: each SourceHandle the originator's again.
 */
function returnToModuleFast(
  binding: Binding,
  module: FilterModule,
  chain: unknown,
  flags: number,
): boolean {
  const adapter = binding.adapter;
  const holder = binding.driver;
  const to = module.driver;
  if (to === holder || to.crashed !== null) return false;
  // The common case: the module passed up what this adapter's miniport indicated, whose handle
  // every NBL carries; an NBL indicated otherwise is looked at on its own (indicatedBy). Not the
  // last edge met kept in loop variables: as in completeToModuleFast, that cost more per packet.
  const source = adapter.handle;
  let count = 0;
  let held = 0;
  for (let n: unknown = chain; n !== null; n = (n as NET_BUFFER_LIST).Next) {
    if (!heldBy(n, holder) || n.liveChildren !== 0 || keepsContext(n, holder)) {
      undoReturns(chain as NetBufferListObject, count, binding, module);
      return false;
    }
    const depth = n.recvDepth - 1;
    if (recvAdapterAt(n, depth) !== module || recvHolderAt(n, depth) !== binding) {
      undoReturns(chain as NetBufferListObject, count, binding, module);
      return false;
    }
    const below = recvAdapterAt(n, depth - 1);
    const heldBelow = recvHolderAt(n, depth - 1) === module;
    if (
      n.SourceHandle !== (heldBelow && below === adapter ? source : indicatedBy(n, depth, module))
    ) {
      undoReturns(chain as NetBufferListObject, count, binding, module);
      return false;
    }
    n.recvDepth = depth;
    if (heldBelow) held++;
    n.owner = to;
    count++;
  }
  module.receivesOutstanding -= count;
  // It gets back what it passed on: it holds those again until it returns them on down.
  module.receivesHeld += held;
  binding.receivesHeld -= count;
  callReturn(module, chain as NET_BUFFER_LIST, flags);
  return true;
}

/**
 * NdisFReturnNetBufferLists' crossing: a module returns NBLs indicated to it, all by one edge
 * below (the miniport, or a module), which it alone holds.
 */
function moduleReturnFast(module: FilterModule, chain: unknown, flags: number): boolean {
  const adapter = module.adapter;
  const holder = module.driver;
  // The first NBL names the edge the whole chain goes back to (the top of its receive path),
  // found before the loop, as in moduleCompleteFast.
  if (!heldBy(chain, holder) || chain.liveChildren !== 0 || keepsContext(chain, holder))
    return false;
  const from = topRecvAdapter(chain);
  if (
    from === undefined ||
    adapterOf(from) !== adapter ||
    from.driver === holder ||
    from.driver.crashed !== null
  )
    return false;
  const toDriver = from.driver;
  let count = 0;
  let held = 0;
  for (let n: unknown = chain; n !== null; n = (n as NET_BUFFER_LIST).Next) {
    if (!heldBy(n, holder) || n.liveChildren !== 0 || keepsContext(n, holder)) {
      undoReturns(chain as NetBufferListObject, count, module, from);
      return false;
    }
    const depth = n.recvDepth - 1;
    if (recvAdapterAt(n, depth) !== from || recvHolderAt(n, depth) !== module) {
      undoReturns(chain as NetBufferListObject, count, module, from);
      return false;
    }
    n.recvDepth = depth;
    if (recvHolderAt(n, depth - 1) === from) held++;
    n.owner = toDriver;
    count++;
  }
  from.receivesOutstanding -= count;
  if (from.kind === "filter-module") from.receivesHeld += held;
  module.receivesHeld -= count;
  callReturn(from, chain as NET_BUFFER_LIST, flags);
  return true;
}
