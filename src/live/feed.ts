/**
 * What the live view's page is told, and how fast: a LiveFeed watches one host (its control-path
 * trace, its counters, its violations, its topology) or holds one recorded trace, and streams
 * messages to any number of clients.
 *
 * The stack never waits for a browser. The trace listener only appends to a bounded ring; all
 * the work of building and sending messages happens on the feed's own timer, a bounded amount per
 * client per tick. A client whose connection is full (its `write` returned false) is skipped until
 * it drains; it then gets one catch-up — the current graph, the latest counters, at most
 * `MAX_EVENTS_PER_MESSAGE` of the events it missed and how many it skipped — so a slow browser
 * sees coarser updates and the host sees none of it.
 */
import {
  formatViolationReport,
  type HostStatistics,
  type NdisHost,
  type TraceEvent,
  type Violation,
} from "../index.js";
import { statusName } from "../trace/sequence-draw.js";
import { describeHost, graphOf, type LiveGraph } from "./graph.js";

/** Events kept for clients that connect later or catch up. */
export const RING_SIZE = 4000;
/** At most this many events go into one message; a client further behind skips the oldest. */
export const MAX_EVENTS_PER_MESSAGE = 400;
/** Events a recorded trace's page gets at most (the last ones). */
export const MAX_REPLAY_EVENTS = 20_000;

/** One adapter's or binding's counters at one tick. */
export interface CounterRow {
  /** The graph's id: `adapter eth0`, `binding host-a → eth0-pt`. */
  readonly id: string;
  readonly state: string;
  readonly rxPackets: number;
  readonly rxBytes: number;
  readonly txPackets: number;
  readonly txBytes: number;
  /** Frames lost, by why. */
  readonly drops: {
    /** An adapter indicated them while no binding was Running to take them. */
    readonly noReceiver: number;
    /** Sends NDIS completed at once with NDIS_STATUS_PAUSED (not Running). */
    readonly paused: number;
    /** Sends the miniport completed with a failure status. */
    readonly failed: number;
  };
  /** NBLs sent and not completed, plus (adapters) NBLs indicated and not returned. */
  readonly outstanding: number;
}

export interface Tick {
  /** Host clock milliseconds. */
  readonly t: number;
  readonly rows: readonly CounterRow[];
}

export interface ViolationView {
  readonly rule: string;
  readonly severity: string;
  readonly driver: string | null;
  /** The report as `ndis run` prints it: the one-line form and the calls that led there. */
  readonly report: string;
}

export interface Hello {
  readonly mode: "live" | "replay";
  readonly title: string;
  readonly graph: LiveGraph;
  readonly tick: Tick | null;
  readonly events: readonly PageEvent[];
  readonly skipped: number;
  readonly violations: readonly ViolationView[];
  /** The host actions the page may offer (none in a replay). */
  readonly actions: readonly string[];
  /** True while the trace includes the data path's per-NBL calls. */
  readonly dataPath: boolean;
  /** A replay's failure text and final object states, when it comes from `ndis verify`. */
  readonly failure?: string;
}

/** One connected page. `write` returns false when the connection's buffer is full. */
export interface FeedClient {
  write(type: string, data: unknown): boolean;
}

interface ClientState {
  readonly client: FeedClient;
  /** The last event seq it was sent. */
  seq: number;
  violations: number;
  graph: string;
  congested: boolean;
}

/** An event as the page gets it: with its status's name, when it has a status. */
export type PageEvent = TraceEvent & { readonly statusName?: string };

function forPage(events: readonly TraceEvent[]): PageEvent[] {
  return events.map((e) =>
    e.status === undefined ? e : { ...e, statusName: statusName(e.status) },
  );
}

export function counterRows(stats: HostStatistics): CounterRow[] {
  return [
    ...stats.adapters.map((a) => ({
      id: `adapter ${a.name}`,
      state: a.state,
      rxPackets: a.receivedPackets,
      rxBytes: a.receivedBytes,
      txPackets: a.sentPackets,
      txBytes: a.sentBytes,
      drops: { noReceiver: a.receiveDrops, paused: a.sendsRefused, failed: a.sendErrors },
      outstanding: a.sendsOutstanding + a.receivesOutstanding,
    })),
    ...stats.bindings.map((b) => ({
      id: `binding ${b.protocol} → ${b.adapter}`,
      state: b.state,
      rxPackets: b.receivedPackets,
      rxBytes: b.receivedBytes,
      txPackets: b.sentPackets,
      txBytes: b.sentBytes,
      drops: { noReceiver: b.receiveDrops, paused: b.sendsRefused, failed: b.sendErrors },
      outstanding: b.sendsOutstanding,
    })),
  ];
}

export function violationView(v: Violation): ViolationView {
  return { rule: v.rule, severity: v.severity, driver: v.driver, report: formatViolationReport(v) };
}

export interface LiveFeedOptions {
  readonly title: string;
  /** Host clock milliseconds, for the ticks. */
  readonly now?: () => number;
  /** How often counters are sampled and clients flushed. Default 250 ms. */
  readonly tickMs?: number;
}

export class LiveFeed {
  readonly title: string;
  readonly mode: "live" | "replay";
  readonly #now: () => number;
  readonly #tickMs: number;
  #host: NdisHost | null = null;
  #unsubscribe: (() => void) | null = null;
  #dataPath = false;
  #ring: TraceEvent[] = [];
  /** seq of the newest event in the ring (0: none). */
  #lastSeq = 0;
  #graph: LiveGraph = { nodes: [], edges: [] };
  #graphText = "";
  #tick: Tick | null = null;
  #violations: ViolationView[] = [];
  #timer: ReturnType<typeof setInterval> | null = null;
  readonly #clients = new Set<ClientState>();
  #actions: readonly string[] = [];
  #failure: string | undefined;
  /** Ticks sent to clients so far (the benchmark and tests read it). */
  ticks = 0;
  /** Milliseconds spent in `flush` (sampling the host, writing to clients): the view's own work. */
  busyMs = 0;

  private constructor(mode: "live" | "replay", options: LiveFeedOptions) {
    this.mode = mode;
    this.title = options.title;
    this.#now = options.now ?? (() => performance.now());
    this.#tickMs = options.tickMs ?? 250;
  }

  /** A feed of a running host; call `attach` with the host (before its drivers load, ideally). */
  static live(options: LiveFeedOptions): LiveFeed {
    return new LiveFeed("live", options);
  }

  /** A feed of a recorded trace: its graph is what its state events tell. */
  static replay(
    options: LiveFeedOptions & {
      readonly events: readonly TraceEvent[];
      readonly graph: LiveGraph;
      readonly violations?: readonly ViolationView[];
      readonly failure?: string;
    },
  ): LiveFeed {
    const feed = new LiveFeed("replay", options);
    feed.#ring = options.events.slice(-MAX_REPLAY_EVENTS);
    feed.#graph = options.graph;
    feed.#graphText = JSON.stringify(options.graph);
    feed.#violations = [...(options.violations ?? [])];
    feed.#failure = options.failure;
    return feed;
  }

  /** Starts watching `host`: its control-path trace from now, its counters on every tick. */
  attach(host: NdisHost): void {
    this.#host = host;
    this.#subscribe();
    this.#sample();
    this.#timer ??= setInterval(() => this.flush(), this.#tickMs);
    this.#timer.unref?.();
  }

  /** The host actions the page may offer. */
  setActions(actions: readonly string[]): void {
    this.#actions = actions;
  }

  get dataPath(): boolean {
    return this.#dataPath;
  }

  /**
   * Includes the data path's per-NBL calls in the trace (or stops). They are many: while on, the
   * data path builds an event per handler call, which costs it throughput.
   */
  setDataPath(on: boolean): void {
    if (this.#dataPath === on) return;
    this.#dataPath = on;
    if (this.#host !== null) this.#subscribe();
  }

  #subscribe(): void {
    this.#unsubscribe?.();
    const host = this.#host;
    if (host === null) return;
    this.#unsubscribe = host.onTrace((event) => this.#record(event), {
      dataPath: this.#dataPath,
    });
  }

  #record(event: TraceEvent): void {
    const ring = this.#ring;
    ring.push(event);
    this.#lastSeq = event.seq;
    if (ring.length >= RING_SIZE * 2) ring.splice(0, ring.length - RING_SIZE);
  }

  #sample(): void {
    const host = this.#host;
    if (host === null) return;
    this.#tick = { t: this.#now(), rows: counterRows(host.statistics()) };
    const graph = graphOf(describeHost(host));
    const text = JSON.stringify(graph);
    if (text !== this.#graphText) {
      this.#graph = graph;
      this.#graphText = text;
    }
    const all = host.violations;
    for (let i = this.#violations.length; i < all.length; i++) {
      const v = all[i];
      if (v !== undefined) this.#violations.push(violationView(v));
    }
  }

  /**
   * The events after `seq` (the ring is in seq order), at most `max` of the newest, and how many
   * newer than `seq` it leaves out: over the cap, or already gone from the ring.
   */
  #eventsAfter(
    seq: number,
    max = MAX_EVENTS_PER_MESSAGE,
  ): { events: TraceEvent[]; skipped: number } {
    const ring = this.#ring;
    let start = ring.length;
    while (start > 0 && (ring[start - 1]?.seq ?? 0) > seq) start--;
    const from = Math.max(start, ring.length - max);
    const first = ring[start]?.seq;
    const gone = start === 0 && first !== undefined && seq > 0 ? Math.max(0, first - seq - 1) : 0;
    return { events: ring.slice(from), skipped: from - start + gone };
  }

  /** What a page gets first. */
  hello(): Hello {
    const max = this.mode === "replay" ? MAX_REPLAY_EVENTS : MAX_EVENTS_PER_MESSAGE;
    const { events, skipped } = this.#eventsAfter(0, max);
    return {
      mode: this.mode,
      title: this.title,
      graph: this.#graph,
      tick: this.#tick,
      events: forPage(events),
      skipped,
      violations: this.#violations,
      actions: this.#actions,
      dataPath: this.#dataPath,
      ...(this.#failure === undefined ? {} : { failure: this.#failure }),
    };
  }

  /** Adds a client: it gets the hello now and updates on every tick. Returns its removal. */
  connect(client: FeedClient): { drained(): void; close(): void } {
    const hello = this.hello();
    const state: ClientState = {
      client,
      seq: this.#lastSeq,
      violations: this.#violations.length,
      graph: this.#graphText,
      congested: !client.write("hello", hello),
    };
    this.#clients.add(state);
    return {
      drained: () => {
        state.congested = false;
        this.#flushClient(state);
      },
      close: () => {
        this.#clients.delete(state);
      },
    };
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** Samples the host and sends every client that can take it what is new. */
  flush(): void {
    const start = performance.now();
    this.#sample();
    for (const state of this.#clients) if (!state.congested) this.#flushClient(state);
    this.busyMs += performance.now() - start;
  }

  #flushClient(state: ClientState): void {
    const { client } = state;
    let ok = true;
    if (state.graph !== this.#graphText) {
      state.graph = this.#graphText;
      ok = client.write("graph", this.#graph);
    }
    if (this.#lastSeq > state.seq) {
      const { events, skipped } = this.#eventsAfter(state.seq);
      state.seq = this.#lastSeq;
      ok = client.write("events", { events: forPage(events), skipped }) && ok;
    }
    if (this.#violations.length > state.violations) {
      ok = client.write("violations", this.#violations.slice(state.violations)) && ok;
      state.violations = this.#violations.length;
    }
    if (this.#tick !== null && this.mode === "live") {
      ok = client.write("tick", this.#tick) && ok;
      this.ticks++;
    }
    state.congested = !ok;
  }

  /** Stops the timer and the trace subscription; clients stay until their connections close. */
  close(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.flush();
    this.#host = null;
  }
}
