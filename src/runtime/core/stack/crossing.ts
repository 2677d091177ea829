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
export type DownKind = "send" | "cancelSend" | "oid" | "cancelOid" | "devicePnp";
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
