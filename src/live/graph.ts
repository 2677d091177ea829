/**
 * The stack as a graph, bottom to top, for the live view: what NDIS holds (adapters, protocol
 * edges, bindings, IM drivers' virtual miniports over their protocol edges, filter modules) as
 * nodes and edges, each stateful object under the same name its state machine reports in the
 * trace (`adapter eth0`, `binding tcpip → eth0`), so a `state` event names the node it moves.
 *
 * New kinds of object slot in as data: a node has a free-form `kind` (the page styles the kinds
 * it knows and draws any other like a miniport), and an edge says which node is above which. The
 * layer of a node is computed from the edges (1 + the highest layer below it), so nothing here
 * needs to know how tall a stack can be.
 */
import type { AdapterInfo, BindingInfo, DriverInfo, NdisHost, TraceEvent } from "../index.js";

/** Node kinds the page knows; any other string is drawn as a generic box. */
export type KnownNodeKind = "miniport" | "virtual-miniport" | "filter" | "im-protocol" | "protocol";

export interface LiveNode {
  /** `adapter eth0`, `binding …` never (bindings are edges), `protocol host-a`, `filter …`. */
  readonly id: string;
  readonly kind: KnownNodeKind | (string & {});
  /** What the page writes in the box: the device or protocol name. */
  readonly label: string;
  /** The service name of the driver the node belongs to. */
  readonly driver: string;
  /** The state machine's state, or null for objects without one (a protocol edge). */
  readonly state: string | null;
  /** 0 for the bottom (physical adapters); computed from the edges. */
  readonly layer: number;
}

export interface LiveEdge {
  /** For a binding, the name its state machine reports: `binding host-a → eth0-pt`. */
  readonly id: string;
  /**
   * `binding`: a protocol (upper) bound to an adapter or the top of its filter stack (lower);
   * `im`: an IM driver's virtual miniport (upper) over its own protocol edge (lower);
   * `filter`: a filter module (upper) attached over the module or adapter below it.
   */
  readonly kind: "binding" | "im" | "filter";
  readonly upper: string;
  readonly lower: string;
  readonly state: string | null;
  /** The driver whose object the edge is (the protocol's, for a binding). */
  readonly driver: string;
}

export interface LiveGraph {
  readonly nodes: readonly LiveNode[];
  readonly edges: readonly LiveEdge[];
}

/** A filter module attached to an adapter, as NDIS would report it; bottom-most first. */
export interface FilterModuleInfo {
  readonly name: string;
  readonly driver: string;
  readonly adapter: string;
  readonly state: string;
}

/** What the graph is built from: what NdisHost describes (filters once the host has them). */
export interface StackDescription {
  readonly adapters: readonly AdapterInfo[];
  readonly bindings: readonly BindingInfo[];
  readonly drivers: readonly DriverInfo[];
  readonly filters?: readonly FilterModuleInfo[];
}

/**
 * What a running host describes, its filter modules included: each adapter's modules bottom to
 * top, named as NDIS names them (`<filter driver> on <adapter>`).
 */
export function describeHost(
  host: Pick<NdisHost, "adapters" | "bindings" | "drivers" | "filterModules">,
): StackDescription {
  const filters = host.adapters.flatMap((a) =>
    host.filterModules(a.name).map((m) => ({
      name: `${m.driver} on ${a.name}`,
      driver: m.driver,
      adapter: a.name,
      state: m.state,
    })),
  );
  return { adapters: host.adapters, bindings: host.bindings, drivers: host.drivers, filters };
}

export const adapterId = (name: string): string => `adapter ${name}`;
export const protocolId = (name: string): string => `protocol ${name}`;
export const bindingId = (protocol: string, adapter: string): string =>
  `binding ${protocol} → ${adapter}`;
export const filterId = (name: string): string => `filter ${name}`;

type Unplaced = Omit<LiveNode, "layer">;

/** Gives every node its layer: 0 with nothing below, else 1 + the highest node below it. */
function layered(nodes: readonly Unplaced[], edges: readonly LiveEdge[]): LiveGraph {
  const below = new Map<string, string[]>();
  for (const e of edges) below.set(e.upper, [...(below.get(e.upper) ?? []), e.lower]);
  const layer = new Map<string, number>();
  const visiting = new Set<string>();
  const layerOf = (id: string): number => {
    const known = layer.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0; // a cycle cannot happen in NDIS; never loop on one
    visiting.add(id);
    const lower = below.get(id) ?? [];
    const value = lower.length === 0 ? 0 : 1 + Math.max(...lower.map(layerOf));
    visiting.delete(id);
    layer.set(id, value);
    return value;
  };
  const placed = nodes.map((n) => ({ ...n, layer: layerOf(n.id) }));
  // A protocol bound to nothing yet still belongs above the adapters.
  const top = Math.max(0, ...placed.map((n) => n.layer));
  return {
    nodes: placed.map((n) =>
      (n.kind === "protocol" || n.kind === "im-protocol") && !below.has(n.id)
        ? { ...n, layer: Math.max(1, top) }
        : n,
    ),
    edges,
  };
}

/** The graph of what a host holds now. */
export function graphOf(stack: StackDescription): LiveGraph {
  const nodes: Unplaced[] = [];
  const edges: LiveEdge[] = [];
  const imProtocols = new Map<string, string[]>(); // driver → its protocol edges' node ids
  for (const driver of stack.drivers) {
    for (const p of driver.protocolDrivers) {
      const kind = p.associatedWithMiniport ? "im-protocol" : "protocol";
      nodes.push({ id: protocolId(p.name), kind, label: p.name, driver: driver.name, state: null });
      if (p.associatedWithMiniport)
        imProtocols.set(driver.name, [...(imProtocols.get(driver.name) ?? []), protocolId(p.name)]);
    }
  }
  /** The top of each adapter's filter stack: what its bindings sit on. */
  const topOf = new Map<string, string>();
  for (const a of stack.adapters) {
    const id = adapterId(a.name);
    nodes.push({
      id,
      kind: a.intermediate ? "virtual-miniport" : "miniport",
      label: a.name,
      driver: a.driver,
      state: a.state,
    });
    topOf.set(a.name, id);
    if (a.intermediate) {
      for (const lower of imProtocols.get(a.driver) ?? [])
        edges.push({
          id: `im ${a.name}`,
          kind: "im",
          upper: id,
          lower,
          state: null,
          driver: a.driver,
        });
    }
  }
  for (const f of stack.filters ?? []) {
    const id = filterId(f.name);
    const lower = topOf.get(f.adapter) ?? adapterId(f.adapter);
    nodes.push({ id, kind: "filter", label: f.name, driver: f.driver, state: f.state });
    edges.push({
      id: `attach ${f.name}`,
      kind: "filter",
      upper: id,
      lower,
      state: null,
      driver: f.driver,
    });
    topOf.set(f.adapter, id);
  }
  for (const b of stack.bindings) {
    const upper = protocolId(b.protocol);
    const driver = nodes.find((n) => n.id === upper)?.driver ?? b.protocol;
    edges.push({
      id: bindingId(b.protocol, b.adapter),
      kind: "binding",
      upper,
      lower: topOf.get(b.adapter) ?? adapterId(b.adapter),
      state: b.state,
      driver,
    });
  }
  return layered(nodes, edges);
}

/** The runtime's `state` details: "adapter eth0: …", "binding a → eth0: …", "filter module f on eth0: …". */
const STATE_DETAIL = /^(adapter|binding|filter module) (.+): (\S+) → (\S+)$/;

/** A `state` event's object, its previous and its new state; null for any other event. */
export function parseStateEvent(event: TraceEvent): {
  readonly kind: string;
  readonly id: string;
  readonly name: string;
  readonly from: string;
  readonly to: string;
} | null {
  if (event.kind !== "state" || event.detail === undefined) return null;
  const m = STATE_DETAIL.exec(event.detail);
  if (m === null) return null;
  const [, label = "", name = "", from = "", to = ""] = m;
  const kind = label === "filter module" ? "filter" : label;
  return { kind, id: `${kind} ${name}`, name, from, to };
}

/**
 * The graph a recorded trace shows, as far as its `state` events tell (a recording holds no
 * topology): every adapter and binding that changed state, in the state before its first change;
 * an adapter whose driver also has a binding is an IM driver's virtual miniport, drawn over that
 * driver's protocol edge.
 */
export function graphOfTrace(events: readonly TraceEvent[]): LiveGraph {
  const adapters = new Map<string, { driver: string; state: string }>();
  const bindings = new Map<
    string,
    { protocol: string; adapter: string; driver: string; state: string }
  >();
  const filters = new Map<string, { driver: string; state: string }>();
  for (const event of events) {
    const step = parseStateEvent(event);
    if (step === null) continue;
    const driver = event.driver ?? "?";
    if (step.kind === "adapter" && !adapters.has(step.name))
      adapters.set(step.name, { driver, state: step.from });
    if (step.kind === "filter" && !filters.has(step.name))
      filters.set(step.name, { driver, state: step.from });
    if (step.kind === "binding" && !bindings.has(step.name)) {
      const [protocol = step.name, adapter = ""] = step.name.split(" → ");
      bindings.set(step.name, { protocol, adapter, driver, state: step.from });
    }
  }
  const protocolDrivers = new Set([...bindings.values()].map((b) => b.driver));
  const nodes: Unplaced[] = [];
  const edges: LiveEdge[] = [];
  const protocolsOf = new Map<string, string[]>();
  for (const b of bindings.values()) {
    const id = protocolId(b.protocol);
    if (nodes.some((n) => n.id === id)) continue;
    const im = [...adapters.values()].some((a) => a.driver === b.driver);
    nodes.push({
      id,
      kind: im ? "im-protocol" : "protocol",
      label: b.protocol,
      driver: b.driver,
      state: null,
    });
    protocolsOf.set(b.driver, [...(protocolsOf.get(b.driver) ?? []), id]);
  }
  for (const [name, a] of adapters) {
    const virtual = protocolDrivers.has(a.driver);
    const id = adapterId(name);
    nodes.push({
      id,
      kind: virtual ? "virtual-miniport" : "miniport",
      label: name,
      driver: a.driver,
      state: a.state,
    });
    if (virtual)
      for (const lower of protocolsOf.get(a.driver) ?? [])
        edges.push({
          id: `im ${name}`,
          kind: "im",
          upper: id,
          lower,
          state: null,
          driver: a.driver,
        });
  }
  /** The top of each adapter's filter stack (modules in the order they first changed state). */
  const topOf = new Map<string, string>();
  for (const [name, f] of filters) {
    const id = filterId(name);
    nodes.push({ id, kind: "filter", label: name, driver: f.driver, state: f.state });
    const at = name.lastIndexOf(" on ");
    if (at < 0) continue;
    const adapter = name.slice(at + 4);
    edges.push({
      id: `attach ${name}`,
      kind: "filter",
      upper: id,
      lower: topOf.get(adapter) ?? adapterId(adapter),
      state: null,
      driver: f.driver,
    });
    topOf.set(adapter, id);
  }
  for (const [name, b] of bindings) {
    if (!nodes.some((n) => n.id === adapterId(b.adapter)))
      nodes.push({
        id: adapterId(b.adapter),
        kind: "miniport",
        label: b.adapter,
        driver: "?",
        state: null,
      });
    edges.push({
      id: `binding ${name}`,
      kind: "binding",
      upper: protocolId(b.protocol),
      lower: topOf.get(b.adapter) ?? adapterId(b.adapter),
      state: b.state,
      driver: b.driver,
    });
  }
  return layered(nodes, edges);
}
