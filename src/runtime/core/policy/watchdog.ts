/**
 * NDIS's watchdogs, on the host clock: every operation NDIS waits for a driver to complete — a
 * miniport's pause or restart, a protocol's pended bind, unbind, NetEventPause, NetEventRestart or
 * any other NetPnPEvent — and an OID request that does not complete, a send that is never
 * completed, an adapter whose sends stop making progress. Driver Verifier's NDIS checks use these
 * limits (NdisTimedOidComplete 12 s, NdisTimedDataSend 30 s, NdisTimedDataHang 22 s; a filter's
 * pause 10 s, which the model applies to every pause and, [MODEL], to every other pended PnP
 * operation), and to a filter module's handler that blocked in a wait and has not returned
 * (FilterAttach, FilterDetach, FilterSetModuleOptions, FilterNetPnPEvent…), or a miniport's
 * MiniportInitializeEx or MiniportHaltEx that did.
 *
 * Blame goes to the driver that HOLDS what the operation waits for, per NDIS's ownership records:
 * a hub whose pause waits for receives an IM never returned is not at fault, the IM is; an IM
 * whose forwarded OID request a miniport below never completes is not at fault, the miniport is.
 * When the driver holding an object is itself waiting for objects it handed on, the search goes on
 * down (or up) the stack.
 *
 * A pended operation past its limit is also "stuck": a host operation waiting for it (a removal,
 * a pause, a bind) stops waiting and fails with NDIS_ERR_TIMEOUT naming what is outstanding —
 * unless strict mode stopped the driver at fault, whose containment ends the wait. So no host
 * operation hangs silently; while one waits, the clock keeps the process alive (`hold`).
 *
 * The watchdog looks once per period (1 s of host time) and only while adapters exist, so an
 * idle host has no timer, a data path pays nothing (the send counter it reads is kept anyway), and
 * the real clock's timer alone never keeps a process alive. A report names what is still
 * outstanding, NBL by NBL, the way `!ndiskd.pendingnbls` lists them.
 */
import type { NET_BUFFER_LIST } from "../../../ndis/nbl.js";
import { type NDIS_OID_REQUEST, ndisOidToString } from "../../../ndis/oid.js";
import {
  NetEventCancelRemoveDevice,
  NetEventIMReEnableDevice,
  NetEventQueryPower,
  NetEventQueryRemoveDevice,
  NetEventReconfigure,
  NetEventSetPower,
} from "../../../ndis/structs.js";
import type { VerifierRuleId } from "../../../verifier/rules.js";
import type {
  Binding,
  DriverRecord,
  FilterModule,
  MiniportAdapter,
  NdisRuntime,
  NetBufferListObject,
} from "../objects/records.js";
import {
  recvAdapterAt,
  recvAdaptersOf,
  recvHolderAt,
  sendEdgeAt,
  sendEdges,
  topSendEdge,
} from "../objects/records.js";
import { resetPendingSince } from "../stack/reset.js";

export interface WatchdogLimits {
  /** MiniportPause pending longer than this is reported. Default 10 000 ms. */
  readonly pauseMs: number;
  /** An OID request pending at a miniport, or held by a filter module, longer than this is reported. Default 12 000 ms. */
  readonly oidMs: number;
  /** An NBL held by a miniport (not completed) longer than this is reported. Default 30 000 ms. */
  readonly sendMs: number;
  /** Sends outstanding with no completion at all for this long is reported. Default 22 000 ms. */
  readonly hangMs: number;
  /**
   * A pended restart, bind, unbind or NetPnPEvent (other than a pause) longer than this is
   * reported. Default 10 000 ms [MODEL: the pause limit].
   */
  readonly pnpMs: number;
}

export const DEFAULT_WATCHDOG_LIMITS: WatchdogLimits = Object.freeze({
  pauseMs: 10_000,
  oidMs: 12_000,
  sendMs: 30_000,
  hangMs: 22_000,
  pnpMs: 10_000,
});

const PERIOD_MS = 1000;

interface AdapterWatch {
  oid: unknown;
  oidSince: bigint;
  oidReported: boolean;
  completions: number;
  progressSince: bigint;
  hangReported: boolean;
}

/** An operation NDIS waits for on an adapter or a binding. */
interface PendingWatch {
  /** What is pending (`MiniportPause`, `ProtocolNetPnPEvent(NetEventPause)`…). */
  op: string;
  since: bigint;
  reported: boolean;
  /** Set once NDIS gives up waiting: the report that says why. */
  stuck: string | null;
}

type Watched = MiniportAdapter | Binding | FilterModule;

const NET_EVENT_NAMES: Record<number, string> = {
  [NetEventSetPower]: "NetEventSetPower",
  [NetEventQueryPower]: "NetEventQueryPower",
  [NetEventQueryRemoveDevice]: "NetEventQueryRemoveDevice",
  [NetEventCancelRemoveDevice]: "NetEventCancelRemoveDevice",
  [NetEventReconfigure]: "NetEventReconfigure",
  [NetEventIMReEnableDevice]: "NetEventIMReEnableDevice",
};

/** The operation NDIS is waiting for on `object` now, with its rule and limit; null if none. */
function pendingOf(
  object: Watched,
  limits: WatchdogLimits,
): { op: string; rule: VerifierRuleId; limitMs: number } | null {
  if (object.kind === "miniport-adapter") {
    const state = object.machine.state;
    if (state === "Pausing")
      return { op: "MiniportPause", rule: "NdisTimedPauseComplete", limitMs: limits.pauseMs };
    if (state === "Restarting")
      return { op: "MiniportRestart", rule: "NdisTimedRestartComplete", limitMs: limits.pnpMs };
    if (resetPendingSince(object) !== null)
      return { op: "MiniportResetEx", rule: "NdisTimedResetComplete", limitMs: limits.pnpMs };
    // A MiniportInitializeEx or MiniportHaltEx that blocked and has not returned.
    const blocked = object.blockedIn[0];
    if (blocked !== undefined)
      return { op: blocked, rule: "NdisTimedBindComplete", limitMs: limits.pnpMs };
    return null;
  }
  if (object.kind === "filter-module") {
    // A filter's pended pause or restart (NdisFPauseComplete / NdisFRestartComplete never called).
    const state = object.machine.state;
    if (state === "Pausing")
      return { op: "FilterPause", rule: "NdisTimedPauseComplete", limitMs: limits.pauseMs };
    if (state === "Restarting")
      return { op: "FilterRestart", rule: "NdisTimedRestartComplete", limitMs: limits.pnpMs };
    // A handler that blocked and has not returned: NDIS's next step for the module waits for it.
    const blocked = object.blockedIn[0];
    if (blocked === undefined) return null;
    const pnp = blocked === "FilterNetPnPEvent" || blocked === "FilterDevicePnPEventNotify";
    return {
      op: blocked,
      rule: pnp ? "NdisTimedPnPEventComplete" : "NdisTimedBindComplete",
      limitMs: limits.pnpMs,
    };
  }
  switch (object.machine.state) {
    case "Opening":
      return { op: "ProtocolBindAdapterEx", rule: "NdisTimedBindComplete", limitMs: limits.pnpMs };
    case "Closing":
      return {
        op: "ProtocolUnbindAdapterEx",
        rule: "NdisTimedBindComplete",
        limitMs: limits.pnpMs,
      };
    case "Pausing":
      return {
        op: "ProtocolNetPnPEvent(NetEventPause)",
        rule: "NdisTimedPauseComplete",
        limitMs: limits.pauseMs,
      };
    case "Restarting":
      return {
        op: "ProtocolNetPnPEvent(NetEventRestart)",
        rule: "NdisTimedRestartComplete",
        limitMs: limits.pnpMs,
      };
  }
  for (const notification of object.pendingEvents.keys()) {
    const code = notification.NetPnPEvent.NetEvent;
    return {
      op: `ProtocolNetPnPEvent(${NET_EVENT_NAMES[code] ?? `NetEvent ${code}`})`,
      rule: "NdisTimedPnPEventComplete",
      limitMs: limits.pnpMs,
    };
  }
  return null;
}

function describeObject(object: Watched): string {
  if (object.kind === "filter-module") return `filter module ${object.name}`;
  return object.kind === "miniport-adapter"
    ? `adapter ${object.name}`
    : `${object.protocol.chars.Name} → ${object.adapter.name}`;
}

interface SendWatch {
  sends: number;
  since: bigint;
  reported: boolean;
}

const ms = (ns: bigint): number => Number(ns / 1_000_000n);

export class Watchdog {
  readonly #runtime: NdisRuntime;
  readonly #limits: WatchdogLimits;
  readonly #adapters = new WeakMap<MiniportAdapter, AdapterWatch>();
  readonly #sends = new WeakMap<NET_BUFFER_LIST, SendWatch>();
  readonly #pending = new WeakMap<Watched, PendingWatch>();
  /** Since when each OID request a filter module holds has been seen held. */
  readonly #heldOids = new WeakMap<
    FilterModule,
    Map<NDIS_OID_REQUEST, { since: bigint; reported: boolean }>
  >();
  #armed = false;

  constructor(runtime: NdisRuntime, limits: WatchdogLimits) {
    this.#runtime = runtime;
    this.#limits = limits;
  }

  /**
   * Starts looking (if not already): called whenever an adapter comes into being. With the
   * verifier off nothing is reported, but a pended operation still becomes stuck at its limit.
   */
  ensureRunning(): void {
    if (this.#armed) return;
    this.#armed = true;
    this.#runtime.clock.schedule(PERIOD_MS, () => this.#tick(), true, "NDIS: watchdog");
  }

  /**
   * Why NDIS gave up waiting for the operation pending on `object`, or null while it still waits
   * (or nothing is pending).
   */
  stuck(object: MiniportAdapter | Binding | FilterModule): string | null {
    const w = this.#pending.get(object);
    if (w === undefined || w.stuck === null) return null;
    const now = pendingOf(object, this.#limits);
    return now !== null && now.op === w.op ? w.stuck : null;
  }

  /**
   * Keeps the process alive while a host operation waits for a driver (on the real clock; a
   * virtual clock has nothing to keep alive). Returns the release.
   */
  hold(): () => void {
    return this.#runtime.clock.hold?.() ?? (() => {});
  }

  #tick(): void {
    this.#armed = false;
    const runtime = this.#runtime;
    if (runtime.bugCheck !== null) return;
    const now = runtime.clock.now();
    const held = this.#heldByMiniports();
    const forwarding = runtime.verifierMode === "off" ? null : this.#forwarding();
    for (const adapter of [...runtime.adapters.values()]) {
      if (adapter.driver.crashed !== null) continue;
      if (forwarding !== null) this.#check(adapter, now, held.get(adapter) ?? [], forwarding);
      this.#checkPending(adapter, now);
      for (const module of adapter.filters) {
        if (module.driver.crashed !== null) continue;
        this.#checkPending(module, now);
        if (forwarding !== null) this.#checkHeldOids(module, now);
      }
    }
    for (const binding of [...runtime.bindings]) {
      if (binding.driver.crashed !== null) continue;
      this.#checkPending(binding, now);
    }
    if (runtime.adapters.size > 0 || runtime.bindings.size > 0) this.ensureRunning();
  }

  /**
   * Drivers waiting for something they handed on: an OID request of their own pending or queued
   * at an adapter, sends of their own not completed. An IM's virtual miniport that holds a request
   * or sends because of these is not the one at fault; the adapter below is watched on its own.
   */
  #forwarding(): { oids: Set<DriverRecord>; sends: Set<DriverRecord> } {
    const oids = new Set<DriverRecord>();
    const sends = new Set<DriverRecord>();
    for (const adapter of this.#runtime.adapters.values()) {
      const pending = adapter.oidPending;
      const issuer = (pending?.binding ?? pending?.onBehalfOf)?.driver;
      if (issuer !== undefined) oids.add(issuer);
      for (const entry of adapter.oidQueue) {
        const by = entry.binding ?? entry.onBehalfOf;
        if (by !== undefined && by !== null) oids.add(by.driver);
      }
    }
    for (const binding of this.#runtime.bindings)
      if (binding.sendsOutstanding > 0) sends.add(binding.driver);
    return { oids, sends };
  }

  /**
   * OID requests a filter module's FilterOidRequest pended and it has not completed, past the OID
   * limit: reported against the filter (Driver Verifier's NdisTimedOidComplete covers filters
   * too), once per request. A module with requests of its own still out below may be waiting for
   * them: the adapter below is watched for those. In strict mode the report stops the filter and
   * NDIS completes what it held with NDIS_STATUS_REQUEST_ABORTED.
   */
  #checkHeldOids(module: FilterModule, now: bigint): void {
    let watched = this.#heldOids.get(module);
    if (module.oidsHeld.size === 0) {
      if (watched !== undefined) this.#heldOids.delete(module);
      return;
    }
    if (watched === undefined) {
      watched = new Map();
      this.#heldOids.set(module, watched);
    }
    for (const request of watched.keys())
      if (!module.oidsHeld.has(request)) watched.delete(request);
    for (const request of [...module.oidsHeld.keys()]) {
      const w = watched.get(request);
      if (w === undefined) {
        watched.set(request, { since: now, reported: false });
        continue;
      }
      if (w.reported || module.oidsPending > 0 || ms(now - w.since) < this.#limits.oidMs) continue;
      w.reported = true;
      this.#runtime.violate(
        "NdisTimedOidComplete",
        `filter module ${module.name} has held OID request ${ndisOidToString(request.DATA.QUERY_INFORMATION.Oid)} for ${ms(now - w.since) / 1000} s without NdisFOidRequestComplete`,
        module.driver,
      );
      if (module.driver.crashed !== null) return;
    }
  }

  /** A pended operation past its limit: reported against whoever holds it up, then stuck. */
  #checkPending(object: Watched, now: bigint): void {
    const pending = pendingOf(object, this.#limits);
    let w = this.#pending.get(object);
    if (pending === null) {
      if (w !== undefined) this.#pending.delete(object);
      return;
    }
    if (w === undefined || w.op !== pending.op) {
      w = { op: pending.op, since: now, reported: false, stuck: null };
      this.#pending.set(object, w);
      return;
    }
    if (!w.reported && object.kind === "binding" && this.#waitsAbove(object.driver)) {
      // An IM's bind or unbind waits for its virtual miniports' own pended operations, which
      // are watched (and blamed) on their own; its clock starts once those are done.
      w.since = now;
      return;
    }
    const elapsed = ms(now - w.since);
    if (!w.reported && elapsed >= pending.limitMs) {
      w.reported = true;
      const { message, blamed } = this.#explain(object, pending.op, elapsed);
      for (const driver of blamed) this.#runtime.violate(pending.rule, message, driver);
      // Strict mode stopped the drivers at fault: their containment ends the wait. Otherwise NDIS
      // gives up waiting now.
      const contained =
        this.#runtime.verifierMode === "strict" && blamed.every((d) => d.crashed !== null);
      if (!contained) this.#giveUp(object, w, message);
    } else if (w.reported && w.stuck === null && elapsed >= 2 * pending.limitMs) {
      // Containment did not end it either.
      this.#giveUp(object, w, this.#explain(object, pending.op, elapsed).message);
    }
  }

  /** True when a virtual miniport of `driver`, or a binding above one, has a pended operation. */
  #waitsAbove(driver: DriverRecord): boolean {
    for (const block of driver.miniportDrivers) {
      for (const adapter of block.adapters) {
        if (pendingOf(adapter, this.#limits) !== null) return true;
        for (const binding of adapter.bindings)
          if (pendingOf(binding, this.#limits) !== null) return true;
      }
    }
    return false;
  }

  #giveUp(object: Watched, w: PendingWatch, message: string): void {
    w.stuck = message;
    for (const wake of [...object.waiters]) wake();
  }

  /** The report for a pended operation, and the drivers holding it up. */
  #explain(
    object: Watched,
    op: string,
    elapsedMs: number,
  ): { message: string; blamed: DriverRecord[] } {
    const runtime = this.#runtime;
    const head = `${op} of ${describeObject(object)} has not completed after ${elapsedMs / 1000} s`;
    if (object.kind !== "binding" && object.blockedIn.includes(op))
      return {
        message: `${op} of ${describeObject(object)}${object.kind === "miniport-adapter" ? ` (driver ${object.driver.name})` : ""} has not returned after ${elapsedMs / 1000} s: the handler is still blocked in a wait`,
        blamed: [object.driver],
      };
    if (object.kind === "filter-module")
      return {
        message: `${head}; NDIS sees ${object.sendsOutstanding} send(s) it passed down not completed and ${object.receivesOutstanding} indication(s) it passed up not returned${object.sendsOutstanding + object.receivesOutstanding === 0 ? " — it waits for something NDIS will never give back" : ""}`,
        blamed: [object.driver],
      };
    if (object.kind === "miniport-adapter") {
      const held = this.#heldByMiniports().get(object) ?? [];
      const awaited = awaitedBy(runtime, object.driver, object);
      const blamed = culprits(runtime, object.driver, awaited);
      return {
        message: `${head}; still outstanding: ${describeOutstanding(runtime, object, held, runtime.clock.now(), this.#sends)}${blamedText(blamed, object.driver)}`,
        blamed,
      };
    }
    const awaited = awaitedBy(runtime, object.driver, object);
    const blamed = op.endsWith("(NetEventPause)")
      ? culprits(runtime, object.driver, awaited)
      : [object.driver];
    const sends =
      object.sendsOutstanding > 0
        ? `; still outstanding: ${object.sendsOutstanding} send(s) not completed [${listByHolder(awaited)}]`
        : "";
    return { message: `${head}${sends}${blamedText(blamed, object.driver)}`, blamed };
  }

  /** Every NBL a miniport holds in its send path now, by adapter. */
  #heldByMiniports(): Map<MiniportAdapter, NetBufferListObject[]> {
    const held = new Map<MiniportAdapter, NetBufferListObject[]>();
    for (const driver of this.#runtime.drivers.values()) {
      for (const pool of driver.pools) {
        if (pool.kind !== "nbl-pool") continue;
        for (const nbl of pool.all) {
          const binding = topSendEdge(nbl);
          if (binding === undefined || nbl.owner !== binding.adapter.driver) continue;
          const list = held.get(binding.adapter);
          if (list === undefined) held.set(binding.adapter, [nbl]);
          else list.push(nbl);
        }
      }
    }
    return held;
  }

  #check(
    adapter: MiniportAdapter,
    now: bigint,
    held: readonly NetBufferListObject[],
    forwarding: { oids: Set<DriverRecord>; sends: Set<DriverRecord> },
  ): void {
    const runtime = this.#runtime;
    const limits = this.#limits;
    let w = this.#adapters.get(adapter);
    if (w === undefined) {
      w = {
        oid: null,
        oidSince: now,
        oidReported: false,
        completions: adapter.sendCompletions,
        progressSince: now,
        hangReported: false,
      };
      this.#adapters.set(adapter, w);
    }
    // An OID request that does not complete.
    const oid = adapter.oidPending;
    if (oid !== w.oid) {
      w.oid = oid;
      w.oidSince = now;
      w.oidReported = false;
    } else if (
      oid !== null &&
      !w.oidReported &&
      ms(now - w.oidSince) >= limits.oidMs &&
      !forwarding.oids.has(adapter.driver)
    ) {
      w.oidReported = true;
      const request = oid.request;
      runtime.violate(
        "NdisTimedOidComplete",
        `adapter ${adapter.name} has held OID request ${ndisOidToString(request.DATA.QUERY_INFORMATION.Oid)} for ${ms(now - w.oidSince) / 1000} s without NdisMOidRequestComplete`,
        adapter.driver,
      );
    }
    // Sends that stop making progress (at an IM's virtual miniport, unless they wait below).
    const waitsBelow = forwarding.sends.has(adapter.driver);
    if (adapter.sendsOutstanding === 0 || adapter.sendCompletions !== w.completions || waitsBelow) {
      w.completions = adapter.sendCompletions;
      w.progressSince = now;
      w.hangReported = false;
    } else if (!w.hangReported && ms(now - w.progressSince) >= limits.hangMs) {
      w.hangReported = true;
      runtime.violate(
        "NdisTimedDataHang",
        `adapter ${adapter.name} has had ${adapter.sendsOutstanding} sends outstanding and completed none for ${ms(now - w.progressSince) / 1000} s`,
        adapter.driver,
      );
    }
    // One send held too long.
    for (const nbl of held) {
      let s = this.#sends.get(nbl);
      if (s === undefined || s.sends !== nbl.sendCount || waitsBelow) {
        s = { sends: nbl.sendCount, since: now, reported: false };
        this.#sends.set(nbl, s);
      } else if (!s.reported && ms(now - s.since) >= limits.sendMs) {
        s.reported = true;
        runtime.violate(
          "NdisTimedDataSend",
          `${describeNbl(nbl)} was handed to MiniportSendNetBufferLists of adapter ${adapter.name} ${ms(now - s.since) / 1000} s ago and is not completed`,
          adapter.driver,
        );
      }
    }
  }
}

function describeNbl(nbl: NetBufferListObject): string {
  return `NBL #${nbl.pool.all.indexOf(nbl)} of ${nbl.pool.label}`;
}

/** What keeps a pause from completing: sends at the miniport, receives not yet returned. */
function describeOutstanding(
  runtime: NdisRuntime,
  adapter: MiniportAdapter,
  held: readonly NetBufferListObject[],
  now: bigint,
  sends: WeakMap<NET_BUFFER_LIST, SendWatch>,
): string {
  const parts: string[] = [];
  const pending = held.slice(0, 8).map((nbl) => {
    const since = sends.get(nbl)?.since;
    const age = since === undefined ? "" : ` for ${ms(now - since) / 1000} s`;
    const first = sendEdgeAt(nbl, 0);
    const sender =
      first === undefined ? "?" : first.kind === "binding" ? first.protocol.chars.Name : first.name;
    return `${describeNbl(nbl)} pending in the miniport${age} (sent by ${sender})`;
  });
  parts.push(
    `${adapter.sendsOutstanding} send(s) not completed${pending.length > 0 ? ` [${pending.join("; ")}${held.length > 8 ? "; …" : ""}]` : ""}`,
  );
  const notReturned: NetBufferListObject[] = [];
  for (const nbl of allNbls(runtime))
    if (recvAdapterAt(nbl, nbl.recvDepth - 1) === adapter) notReturned.push(nbl);
  parts.push(
    `${adapter.receivesOutstanding} indication(s) not returned${notReturned.length > 0 ? ` [${listByHolder(notReturned)}]` : ""}`,
  );
  if (adapter.oidPending !== null)
    parts.push(
      `OID request ${ndisOidToString(adapter.oidPending.request.DATA.QUERY_INFORMATION.Oid)} pending`,
    );
  return parts.join(", ");
}

/** Every NBL of every pool of this NDIS. */
function* allNbls(runtime: NdisRuntime): Generator<NetBufferListObject> {
  for (const driver of runtime.drivers.values())
    for (const pool of driver.pools) if (pool.kind === "nbl-pool") yield* pool.all;
}

/** The drivers holding an NBL now: its owner, or the bindings sharing one indication. */
function holdersOf(nbl: NetBufferListObject): DriverRecord[] {
  if (nbl.owner !== null) return [nbl.owner];
  const last = recvHolderAt(nbl, nbl.recvDepth - 1);
  if (Array.isArray(last)) return [...new Set(last.map((b) => b.driver))];
  return last === undefined || last === null ? [] : [last.driver];
}

function holderName(nbl: NetBufferListObject): string {
  const holders = holdersOf(nbl);
  return holders.length === 0 ? "NDIS" : holders.map((d) => d.name).join(", ");
}

/**
 * The NBLs `driver` handed on and waits to get back, held by someone else now: sends it made that
 * are not completed, indications it made that are not returned — on `object` when given (an
 * adapter's indications and the sends on it; a binding's sends), else anywhere.
 */
function awaitedBy(
  runtime: NdisRuntime,
  driver: DriverRecord,
  object?: Watched,
): NetBufferListObject[] {
  const out: NetBufferListObject[] = [];
  for (const nbl of allNbls(runtime)) {
    if (!nbl.allocated) continue;
    const holders = holdersOf(nbl);
    if (holders.length === 0 || holders.every((h) => h === driver)) {
      // An adapter's own sends that its miniport keeps are what its pause waits for too.
      if (
        object?.kind === "miniport-adapter" &&
        holders.includes(driver) &&
        topSendEdge(nbl)?.adapter === object
      )
        out.push(nbl);
      continue;
    }
    const sent =
      object === undefined
        ? sendEdges(nbl).some((b) => b.driver === driver)
        : object.kind === "binding"
          ? sendEdges(nbl).includes(object)
          : topSendEdge(nbl)?.adapter === object;
    const indicated =
      object === undefined
        ? recvAdaptersOf(nbl).some((a) => a.driver === driver)
        : object.kind === "miniport-adapter" && recvAdaptersOf(nbl).includes(object);
    if (sent || indicated) out.push(nbl);
  }
  return out;
}

/**
 * Whom to blame for `waiting`'s wait on `awaited`: each holder, unless that holder is itself only
 * waiting for NBLs it handed on (an IM whose forwarded NBLs are held further along), in which case
 * the search goes on from there. `waiting` itself when it holds what it waits for, or nothing
 * else can be named.
 */
function culprits(
  runtime: NdisRuntime,
  waiting: DriverRecord,
  awaited: readonly NetBufferListObject[],
): DriverRecord[] {
  const found = new Set<DriverRecord>();
  const seen = new Set<DriverRecord>([waiting]);
  const visit = (driver: DriverRecord, depth: number): void => {
    const further = depth < 8 ? awaitedBy(runtime, driver) : [];
    const next = new Set(further.flatMap(holdersOf).filter((h) => !seen.has(h)));
    if (next.size === 0) {
      found.add(driver);
      return;
    }
    for (const h of next) {
      seen.add(h);
      visit(h, depth + 1);
    }
  };
  for (const nbl of awaited) {
    for (const holder of holdersOf(nbl)) {
      if (holder === waiting) {
        // It keeps these itself: at fault unless it is waiting for what it sent on below.
        const below = awaitedBy(runtime, waiting).filter((n) => !holdersOf(n).includes(waiting));
        if (below.length === 0) found.add(waiting);
        else
          for (const h of new Set(below.flatMap(holdersOf)))
            if (!seen.has(h)) {
              seen.add(h);
              visit(h, 1);
            }
      } else if (!seen.has(holder)) {
        seen.add(holder);
        visit(holder, 1);
      }
    }
  }
  if (found.size === 0) found.add(waiting);
  return [...found];
}

function blamedText(blamed: readonly DriverRecord[], waiting: DriverRecord): string {
  if (blamed.length === 1 && blamed[0] === waiting) return "";
  return `; held up by ${blamed.map((d) => d.name).join(", ")}`;
}

/** `held by tcpip: NBLs #0–#8 of NET_BUFFER_LIST pool 'Hubr' of hub; held by …`. */
function listByHolder(nbls: readonly NetBufferListObject[]): string {
  const groups = new Map<string, Map<NetBufferListObject["pool"], number[]>>();
  for (const nbl of nbls) {
    const holder = holderName(nbl);
    let pools = groups.get(holder);
    if (pools === undefined) {
      pools = new Map();
      groups.set(holder, pools);
    }
    const list = pools.get(nbl.pool);
    const index = nbl.pool.all.indexOf(nbl);
    if (list === undefined) pools.set(nbl.pool, [index]);
    else list.push(index);
  }
  const parts: string[] = [];
  for (const [holder, pools] of groups) {
    const lists = [...pools].map(([pool, indexes]) => {
      const sorted = indexes.sort((a, b) => a - b);
      const ranges: string[] = [];
      for (let i = 0; i < sorted.length; ) {
        let j = i;
        while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
        ranges.push(i === j ? `#${sorted[i]}` : `#${sorted[i]}–#${sorted[j]}`);
        i = j + 1;
      }
      return `NBL${sorted.length > 1 ? "s" : ""} ${ranges.join(", ")} of ${pool.label}`;
    });
    parts.push(`held by ${holder}: ${lists.join(", ")}`);
  }
  return parts.join("; ");
}
