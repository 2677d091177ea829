/**
 * The crossing: how anything that travels an adapter's stack finds the next edge. An adapter's
 * stack is a chain — the miniport at the bottom, its filter modules bottom to top
 * (`adapter.filters`), the bindings at the top — and every kind of traffic asks the same two
 * questions: which edge is next below this one, and which is next above. A filter module that
 * has no handler for a kind of traffic is skipped for it (bypass mode on the data path; no
 * FilterOidRequest, no FilterStatus…), so the answer depends on the kind.
 *
 * Sends, cancels, OID requests and device PnP notifications go down; receives, status
 * indications and net PnP events go up; completions and returns retrace the recorded path of
 * what they complete. The data path (datapath.ts), the OID path (oid.ts) and the status and PnP
 * DDI all ask here.
 */
import type { FilterModule, MiniportAdapter } from "../objects/records.js";

/** Traffic that goes down the stack, and the handler a module needs to take part. */
export type DownKind = "send" | "cancelSend" | "oid" | "cancelOid" | "directOid" | "devicePnp";
/** Traffic that goes up the stack. */
export type UpKind = "receive" | "status" | "netPnp";

function handles(module: FilterModule, kind: DownKind | UpKind): boolean {
  const h = module.block.chars.handlers;
  switch (kind) {
    case "send":
      return module.send !== null;
    case "cancelSend":
      return module.send !== null && module.cancelSend !== null;
    case "receive":
      return module.receive !== null;
    case "oid":
      return h.OidRequestHandler !== undefined;
    case "cancelOid":
      return h.CancelOidRequestHandler !== undefined;
    case "directOid":
      return h.DirectOidRequestHandler !== undefined;
    case "status":
      return h.StatusHandler !== undefined;
    case "netPnp":
      return h.NetPnPEventHandler !== undefined;
    case "devicePnp":
      return h.DevicePnPEventNotifyHandler !== undefined;
  }
}

/** A module takes part while attached and not stopped by the verifier. */
function live(module: FilterModule): boolean {
  const s = module.machine.state;
  return s !== "Detached" && s !== "Attaching" && module.driver.crashed === null;
}

/**
 * The next edge below `from` for `kind`: a filter module, or null for the miniport. `from` null
 * means "from a binding" (the top of the stack).
 */
export function edgeBelow(
  adapter: MiniportAdapter,
  from: FilterModule | null,
  kind: DownKind,
): FilterModule | null {
  const chain = adapter.filters;
  if (chain.length === 0) return null;
  let i = from === null ? chain.length - 1 : chain.indexOf(from) - 1;
  for (; i >= 0; i--) {
    const m = chain[i] as FilterModule;
    if (live(m) && handles(m, kind)) return m;
  }
  return null;
}

/**
 * The next edge above `from` for `kind`: a filter module, or null for the bindings. `from` null
 * means "from the miniport" (the bottom of the stack).
 */
export function edgeAbove(
  adapter: MiniportAdapter,
  from: FilterModule | null,
  kind: UpKind,
): FilterModule | null {
  const chain = adapter.filters;
  if (chain.length === 0) return null;
  let i = from === null ? 0 : chain.indexOf(from) + 1;
  for (; i < chain.length; i++) {
    const m = chain[i] as FilterModule;
    if (live(m) && handles(m, kind)) return m;
  }
  return null;
}

/*
 * The data path asks the same two questions on every call — where does a send from here go, and
 * where does an indication from here go — and the answer changes only when the stack does. So
 * the sends' and receives' answers are resolved once per change for the whole stack, each
 * module keeping its next edge (`sendBelow`, `receiveAbove`) and the adapter the first
 * (`sendEntry`, `receiveEntry`); a module NDIS bypasses on a path is then not looked at on it at
 * all. Any change that can alter an answer bumps the runtime's routeEpoch; a stack whose route
 * is older resolves it again before it answers.
 */

function resolveRoute(adapter: MiniportAdapter): void {
  const chain = adapter.filters;
  let below: FilterModule | null = null;
  let exit: FilterModule | null = null;
  for (let i = 0; i < chain.length; i++) {
    const m = chain[i] as FilterModule;
    m.sendBelow = below;
    if (live(m) && m.send !== null) {
      below = m;
      exit ??= m;
    }
  }
  adapter.sendEntry = below;
  adapter.sendExit = exit;
  let above: FilterModule | null = null;
  let top: FilterModule | null = null;
  for (let i = chain.length - 1; i >= 0; i--) {
    const m = chain[i] as FilterModule;
    m.receiveAbove = above;
    if (live(m) && m.receive !== null) {
      above = m;
      top ??= m;
    }
  }
  adapter.receiveEntry = above;
  adapter.receiveExit = top;
  adapter.routeEpoch = adapter.runtime.routeEpoch;
}

/**
 * edgeBelow(adapter, from, "send") from the stack's resolved route: the module a send from
 * `from` (null: a binding) goes to next, or null for the miniport.
 */
export function sendEdgeBelow(
  adapter: MiniportAdapter,
  from: FilterModule | null,
): FilterModule | null {
  if (adapter.routeEpoch !== adapter.runtime.routeEpoch) resolveRoute(adapter);
  return from === null ? adapter.sendEntry : from.sendBelow;
}

/**
 * edgeAbove(adapter, from, "receive") from the stack's resolved route, for `from` null (the
 * miniport) or a module in the stack: the module an indication goes to next, or null for the
 * bindings.
 */
export function receiveEdgeAbove(
  adapter: MiniportAdapter,
  from: FilterModule | null,
): FilterModule | null {
  if (adapter.routeEpoch !== adapter.runtime.routeEpoch) resolveRoute(adapter);
  return from === null ? adapter.receiveEntry : from.receiveAbove;
}

/** No module of the stack takes part in its sends: none attached, or each bypassed or stopped. */
export function noSendModules(adapter: MiniportAdapter): boolean {
  return adapter.filters.length === 0 || sendEdgeBelow(adapter, null) === null;
}

/** No module of the stack takes part in its receives: none attached, or each bypassed or stopped. */
export function noReceiveModules(adapter: MiniportAdapter): boolean {
  return adapter.filters.length === 0 || receiveEdgeAbove(adapter, null) === null;
}
