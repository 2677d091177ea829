/**
 * NDIS's watchdogs, on the host clock: a pause that does not complete, an OID request that does
 * not complete, a send that is never completed, an adapter whose sends stop making progress.
 * Driver Verifier's NDIS checks use these limits (NdisTimedOidComplete 12 s, NdisTimedDataSend
 * 30 s, NdisTimedDataHang 22 s; a filter's pause 10 s, which the model applies to every pause).
 *
 * The watchdog looks once per period (1 s of host time) and only while adapters exist, so an
 * idle host has no timer, a data path pays nothing (the send counter it reads is kept anyway), and
 * the real clock's timer never keeps a process alive. A report names what is still outstanding,
 * NBL by NBL, the way `!ndiskd.pendingnbls` lists them.
 */
import type { NET_BUFFER_LIST } from "../../ndis/nbl.js";
import { ndisOidToString } from "../../ndis/oid.js";
import type { MiniportAdapter } from "./adapter.js";
import type { NetBufferListObject } from "./nbl.js";
import type { NdisRuntime } from "./runtime.js";

export interface WatchdogLimits {
  /** MiniportPause pending longer than this is reported. Default 10 000 ms. */
  readonly pauseMs: number;
  /** An OID request pending at a miniport longer than this is reported. Default 12 000 ms. */
  readonly oidMs: number;
  /** An NBL held by a miniport (not completed) longer than this is reported. Default 30 000 ms. */
  readonly sendMs: number;
  /** Sends outstanding with no completion at all for this long is reported. Default 22 000 ms. */
  readonly hangMs: number;
}

export const DEFAULT_WATCHDOG_LIMITS: WatchdogLimits = Object.freeze({
  pauseMs: 10_000,
  oidMs: 12_000,
  sendMs: 30_000,
  hangMs: 22_000,
});

const PERIOD_MS = 1000;

interface AdapterWatch {
  pauseSince: bigint | null;
  pauseReported: boolean;
  oid: unknown;
  oidSince: bigint;
  oidReported: boolean;
  completions: number;
  progressSince: bigint;
  hangReported: boolean;
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
  #armed = false;

  constructor(runtime: NdisRuntime, limits: WatchdogLimits) {
    this.#runtime = runtime;
    this.#limits = limits;
  }

  /** Starts looking (if not already): called whenever an adapter comes into being. */
  ensureRunning(): void {
    if (this.#armed || this.#runtime.verifierMode === "off") return;
    this.#armed = true;
    this.#runtime.clock.schedule(PERIOD_MS, () => this.#tick(), true);
  }

  #tick(): void {
    this.#armed = false;
    const runtime = this.#runtime;
    if (runtime.bugCheck !== null) return;
    const now = runtime.clock.now();
    const held = this.#heldByMiniports();
    for (const adapter of [...runtime.adapters.values()]) {
      if (adapter.driver.crashed !== null) continue;
      this.#check(adapter, now, held.get(adapter) ?? []);
    }
    if (runtime.adapters.size > 0) this.ensureRunning();
  }

  /** Every NBL a miniport holds in its send path now, by adapter. */
  #heldByMiniports(): Map<MiniportAdapter, NetBufferListObject[]> {
    const held = new Map<MiniportAdapter, NetBufferListObject[]>();
    for (const driver of this.#runtime.drivers.values()) {
      for (const pool of driver.pools) {
        if (pool.kind !== "nbl-pool") continue;
        for (const nbl of pool.all) {
          const binding = nbl.sendPath[nbl.sendPath.length - 1];
          if (binding === undefined || nbl.owner !== binding.adapter.driver) continue;
          const list = held.get(binding.adapter);
          if (list === undefined) held.set(binding.adapter, [nbl]);
          else list.push(nbl);
        }
      }
    }
    return held;
  }

  #check(adapter: MiniportAdapter, now: bigint, held: readonly NetBufferListObject[]): void {
    const runtime = this.#runtime;
    const limits = this.#limits;
    let w = this.#adapters.get(adapter);
    if (w === undefined) {
      w = {
        pauseSince: null,
        pauseReported: false,
        oid: null,
        oidSince: now,
        oidReported: false,
        completions: adapter.sendCompletions,
        progressSince: now,
        hangReported: false,
      };
      this.#adapters.set(adapter, w);
    }
    // A pause that does not end.
    if (adapter.machine.state === "Pausing") {
      w.pauseSince ??= now;
      if (!w.pauseReported && ms(now - w.pauseSince) >= limits.pauseMs) {
        w.pauseReported = true;
        runtime.violate(
          "NdisTimedPauseComplete",
          `MiniportPause of adapter ${adapter.name} has not completed after ${ms(now - w.pauseSince) / 1000} s; still outstanding: ${describeOutstanding(runtime, adapter, held, now, this.#sends)}`,
          adapter.driver,
        );
      }
    } else {
      w.pauseSince = null;
      w.pauseReported = false;
    }
    // An OID request that does not complete.
    const oid = adapter.oidPending;
    if (oid !== w.oid) {
      w.oid = oid;
      w.oidSince = now;
      w.oidReported = false;
    } else if (oid !== null && !w.oidReported && ms(now - w.oidSince) >= limits.oidMs) {
      w.oidReported = true;
      const request = oid.request;
      runtime.violate(
        "NdisTimedOidComplete",
        `adapter ${adapter.name} has held OID request ${ndisOidToString(request.DATA.QUERY_INFORMATION.Oid)} for ${ms(now - w.oidSince) / 1000} s without NdisMOidRequestComplete`,
        adapter.driver,
      );
    }
    // Sends that stop making progress.
    if (adapter.sendsOutstanding === 0 || adapter.sendCompletions !== w.completions) {
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
      if (s === undefined || s.sends !== nbl.sendCount) {
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
    const sender = nbl.sendPath[0]?.protocol.chars.Name ?? "?";
    return `${describeNbl(nbl)} pending in the miniport${age} (sent by ${sender})`;
  });
  parts.push(
    `${adapter.sendsOutstanding} send(s) not completed${pending.length > 0 ? ` [${pending.join("; ")}${held.length > 8 ? "; …" : ""}]` : ""}`,
  );
  const notReturned: string[] = [];
  for (const driver of runtime.drivers.values()) {
    for (const pool of driver.pools) {
      if (pool.kind !== "nbl-pool") continue;
      for (const nbl of pool.all) {
        if (nbl.recvAdapters[nbl.recvAdapters.length - 1] !== adapter) continue;
        const holder = nbl.owner?.name ?? "several protocols";
        if (notReturned.length < 8) notReturned.push(`${describeNbl(nbl)} held by ${holder}`);
      }
    }
  }
  parts.push(
    `${adapter.receivesOutstanding} indication(s) not returned${notReturned.length > 0 ? ` [${notReturned.join("; ")}]` : ""}`,
  );
  if (adapter.oidPending !== null)
    parts.push(
      `OID request ${ndisOidToString(adapter.oidPending.request.DATA.QUERY_INFORMATION.Oid)} pending`,
    );
  return parts.join(", ");
}
