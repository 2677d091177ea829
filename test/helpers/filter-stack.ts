/**
 * The smallest stack with a filter module: a scripted miniport with eth0, a scripted filter "flt"
 * attached to it, and a scripted protocol bound on top, verifier "record" — for tests of what
 * crosses a module.
 */
import { filterDriverEntry } from "../../src/drivers/filter-passthrough/index.js";
import { type NDIS_HANDLE, NdisHost } from "../../src/index.js";
import { type FilterScript, scriptedFilter } from "./filter.js";
import { type Script, scriptedMiniport } from "./miniport.js";
import { type ProtocolScript, scriptedProtocol } from "./protocol.js";

export interface FilterStackOptions {
  readonly filter?: FilterScript;
  readonly mp?: Script;
  readonly proto?: ProtocolScript;
}

export async function filterStack(options: FilterStackOptions = {}) {
  const host = new NdisHost({ verifier: "record" });
  const miniport = scriptedMiniport(options.mp);
  await host.loadDriver({ name: "mp", module: miniport.module });
  const filter = scriptedFilter("flt", options.filter);
  await host.loadDriver({ name: "flt", module: filter.module });
  const proto = scriptedProtocol(options.proto);
  await host.loadDriver({ name: "proto", module: proto.module });
  await host.addAdapter({ driver: "mp", name: "eth0" });
  const binding = proto.bindings[0]?.handle as NDIS_HANDLE;
  const adapter = miniport.adapters[0]?.handle as NDIS_HANDLE;
  /** The module's context (its NdisFilterHandle). */
  const module = () => filter.modules[0] as { handle: NDIS_HANDLE };
  return { host, miniport, filter, proto, binding, adapter, module };
}

/** The rules the verifier reported, in order. */
export const rulesOf = (host: NdisHost) => host.violations.map((v) => v.rule);

/**
 * The same stack with the filter-passthrough sample as its filter, verifier strict; `setup` runs
 * on the host before anything loads (a trace listener, say).
 */
export async function sampleFilterStack(setup?: (host: NdisHost) => void) {
  const host = new NdisHost({ verifier: "strict" });
  setup?.(host);
  const miniport = scriptedMiniport();
  await host.loadDriver({ name: "mp", module: miniport.module });
  await host.loadDriver({
    name: "filter-passthrough",
    module: { DriverEntry: filterDriverEntry() },
    filter: {},
  });
  const proto = scriptedProtocol();
  await host.loadDriver({ name: "proto", module: proto.module });
  await host.addAdapter({ driver: "mp", name: "eth0" });
  const binding = proto.bindings[0]?.handle as NDIS_HANDLE;
  const adapter = miniport.adapters[0]?.handle as NDIS_HANDLE;
  return { host, miniport, proto, binding, adapter };
}
