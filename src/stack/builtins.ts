/**
 * The drivers a stack file can name by id instead of a path. Each entry is the driver module and
 * what the stack runner may do with it from the Node side: which adapter registry values name
 * files (resolved relative to the stack file), how to explain an adapter that failed to start,
 * and what to report when the run ends.
 */

import { isAbsolute, resolve } from "node:path";
import * as capture from "../drivers/capture/index.js";
import * as filterPassthrough from "../drivers/filter-passthrough/index.js";
import * as hub from "../drivers/hub/index.js";
import * as ipv4Host from "../drivers/ipv4-host/index.js";
import * as netem from "../drivers/netem/index.js";
import * as passthrough from "../drivers/passthrough/index.js";
import * as pcap from "../drivers/pcap/index.js";
import * as raw from "../drivers/raw/index.js";
import * as tap from "../drivers/tap/index.js";
import * as team from "../drivers/team/index.js";
import * as testMiniport from "../drivers/test-miniport/index.js";
import * as vlanMux from "../drivers/vlan-mux/index.js";
import * as vxlan from "../drivers/vxlan/index.js";
import type { DRIVER_OBJECT, DriverModule } from "../index.js";
import type { RegistryValues } from "./schema.js";

/** What a built-in driver says about itself when a run ends: text lines and a JSON record. */
export interface DriverReport {
  readonly driver: string;
  readonly lines: readonly string[];
  readonly data: object;
}

/** An adapter as the runner knows it: its device name and NDIS interface index. */
export interface AdapterRef {
  readonly name: string;
  readonly ifIndex: number;
}

export interface BuiltinDriver {
  readonly id: string;
  readonly description: string;
  readonly module: DriverModule;
  /** Adapter registry values that are file names, resolved relative to the stack file. */
  readonly fileKeys?: readonly string[];
  /** Driver (Parameters key) registry values that are file names, resolved the same way. */
  readonly driverFileKeys?: readonly string[];
  /** Why an adapter of this driver failed to initialize, if the driver knows. */
  readonly explainFailure?: (
    driverObject: DRIVER_OBJECT,
    adapter: AdapterRef,
  ) => string | undefined;
  /** Sets an adapter's link up or down (run events). */
  readonly setLink?: (driverObject: DRIVER_OBJECT, adapter: AdapterRef, up: boolean) => void;
  /** Hands the adapter a frame as if it came from the wire; says what became of it. */
  readonly inject?: (driverObject: DRIVER_OBJECT, adapter: AdapterRef, frame: Uint8Array) => string;
  /** The driver's own counters, for the end-of-run summary. */
  readonly report?: (
    driverObject: DRIVER_OBJECT,
    service: string,
    nameOf: (ifIndex: number) => string,
  ) => DriverReport | undefined;
}

const BUILTINS: readonly BuiltinDriver[] = [
  {
    id: "hub",
    description: "a miniport whose adapters with the same Hub registry value hear each other",
    module: hub,
    setLink: (driverObject, adapter, up) => {
      if (!hub.hubOf(driverObject).setLink(adapter.ifIndex, up))
        throw new Error(`adapter ${adapter.name} is not a running hub adapter`);
    },
    inject: (driverObject, adapter, frame) => {
      const arrival = hub.hubOf(driverObject).inject(adapter.ifIndex, frame);
      if (arrival === null)
        throw new Error(
          `adapter ${adapter.name}: not a hub adapter, or the frame is shorter than an Ethernet header`,
        );
      return arrival;
    },
    report: (driverObject, service, nameOf) => {
      const adapters = hub
        .hubOf(driverObject)
        .adapters()
        .map((a) => ({ name: nameOf(a.ifIndex), ...a }));
      return {
        driver: service,
        lines: adapters.map(
          (a) =>
            `${a.name} on hub ${a.hub}: link ${a.linkUp ? "up" : "down"}, sent ${a.counters.framesSent}, received ${a.counters.framesReceived}, filtered ${a.counters.framesFiltered}, discarded ${a.counters.receiveDiscards}${a.counters.runtsDropped === 0 ? "" : `, runts dropped ${a.counters.runtsDropped}`}`,
        ),
        data: { adapters },
      };
    },
  },
  {
    id: "ipv4-host",
    description: "an IPv4 host protocol: ARP, ICMP echo (answering and pinging), UDP echo",
    module: ipv4Host,
    report: (driverObject, service) => {
      const interfaces = ipv4Host.ipv4HostInterfaces(driverObject);
      const refusals = ipv4Host.ipv4HostRefusals(driverObject);
      return {
        driver: service,
        lines: [
          ...interfaces.map((i) => {
            const c = i.counters;
            const ping =
              i.pingTarget === null
                ? ""
                : `, pinged ${i.pingTarget}: ${c.echoRequestsSent} echo requests sent, ${c.echoRepliesReceived} answered`;
            return `${i.address ?? "(no address)"} on ${i.adapterName}${ping}; answered ${c.echoRequestsAnswered} echo requests, ${c.arpRequestsAnswered} ARP requests${i.udpEchoPort === null ? "" : `, echoed ${c.udpEchoed} UDP datagrams`}`;
          }),
          ...refusals.map((r) => `refused to bind to ${r.adapterName}: ${r.reason}`),
        ],
        data: { interfaces, refusals },
      };
    },
  },
  {
    id: "raw",
    description: "a protocol that lets Node send and read whole Ethernet frames (like ndisprot)",
    module: raw,
    report: (driverObject, service) => {
      const bindings = raw.rawBindings(driverObject);
      return {
        driver: service,
        lines: bindings.map(
          (b) =>
            `${b.adapterName}: received ${b.counters.framesReceived}, sent ${b.counters.framesSent}, dropped ${b.counters.framesDropped}`,
        ),
        data: { bindings },
      };
    },
  },
  {
    id: "passthrough",
    description: "the passthrough IM driver",
    module: passthrough,
  },
  {
    id: "filter-passthrough",
    description:
      "a lightweight filter that passes everything through (the WDK filter sample's shape)",
    module: filterPassthrough,
    report: (driverObject, service) => {
      const modules = filterPassthrough.filterModulesOf(driverObject);
      return {
        driver: service,
        lines: modules.map((m) => `${m.adapter}: ${m.sent} NBLs down, ${m.received} up`),
        data: { modules },
      };
    },
  },
  {
    id: "capture",
    description:
      "a monitoring filter that writes pcapng of what crosses it (Npcap's shape: ring, drop counter)",
    module: capture,
    driverFileKeys: ["CaptureFile"],
    report: (driverObject, service) => {
      const c = capture.captureOf(driverObject);
      if (c === undefined) return undefined;
      return {
        driver: service,
        lines: [
          `${c.written} frames written to ${c.file ?? "memory"}, ${c.dropped} not kept (ring of ${c.ringSize})${c.problem === null ? "" : `; ${c.problem}`}`,
          ...c.modules.map(
            (m) => `${m.adapter}: ${m.outbound} out, ${m.inbound} in, ${m.dropped} not kept`,
          ),
        ],
        data: c,
      };
    },
  },
  {
    id: "netem",
    description:
      "a modifying filter that drops, delays, duplicates, reorders and corrupts frames from a seed",
    module: netem,
    report: (driverObject, service) => {
      const n = netem.netemOf(driverObject);
      return {
        driver: service,
        lines: [
          ...n.modules.map((m) => {
            const c = m.counters;
            return `${m.adapter} (seed ${m.config.seed}): ${c.frames} frames, dropped ${c.dropped}, delayed ${c.delayed}, duplicated ${c.duplicated}, reordered ${c.reordered}, corrupted ${c.corrupted}`;
          }),
          ...n.problems.map((p) => `refused to attach: ${p}`),
        ],
        data: n,
      };
    },
  },
  {
    id: "vlan-mux",
    description:
      "a MUX IM driver: one Ethernet binding, a virtual miniport (VELAN) per 802.1Q VLAN",
    module: vlanMux,
    report: (driverObject, service) => {
      const info = vlanMux.vlanMuxOf(driverObject);
      return {
        driver: service,
        lines: [
          ...info.velans.map((v) => {
            const c = v.counters;
            return `${v.instanceName} on ${v.adapterName}, VLAN ${v.vlanId}${v.untagged ? " (untagged)" : ""}: sent ${c.taggedSent + c.untaggedSent}, received ${c.taggedReceived + c.untaggedReceived}, filtered ${c.framesFiltered}`;
          }),
          ...info.bindings.map(
            (b) =>
              `${b.adapterName}: unknown-VLAN drops ${b.counters.unknownVlanDrops}, untagged drops ${b.counters.untaggedDrops}, malformed ${b.counters.malformedDrops}`,
          ),
          ...info.refusals.map((r) => `${r.instanceName} did not start: ${r.reason}`),
        ],
        data: info,
      };
    },
  },
  {
    id: "team",
    description:
      "a NIC team IM driver: N member adapters under one virtual miniport (LBFO, bonding)",
    module: team,
    report: (driverObject, service) => {
      const control = team.teamOf(driverObject);
      // Link speeds are bigints (bits per second); a JSON record carries them as numbers.
      const teams = control.teams.map((t) => ({
        ...t,
        speed: Number(t.speed),
        members: t.members.map((m) => ({ ...m, speed: Number(m.speed) })),
      }));
      return {
        driver: service,
        lines: [
          ...teams.flatMap((t) => [
            `${t.name} (${t.mode}): active ${t.activeMember ?? "none"}, link ${t.linkUp ? "up" : "down"}, ${t.failovers} failover(s), ${t.failbacks} failback(s), ${t.gratuitousArps} gratuitous ARP(s)`,
            ...t.members.map(
              (m) =>
                `  member ${m.adapterName}: link ${m.link}, ${m.usable ? "usable" : "not usable"}, sent ${m.counters.framesSent}, received ${m.counters.framesReceived}`,
            ),
          ]),
          ...control.refusals.map((r) => `refused ${r.adapterName}: ${r.reason}`),
        ],
        data: { teams, refusals: control.refusals },
      };
    },
  },
  {
    id: "test-miniport",
    description: "an Ethernet miniport with nothing behind it",
    module: testMiniport,
  },
  {
    id: "pcap",
    description: "a miniport that replays a pcap/pcapng file as receive traffic",
    module: pcap,
    fileKeys: ["File"],
    explainFailure: (driverObject, adapter) =>
      pcap.pcapReplayOf(driverObject)?.failure(adapter.ifIndex),
    report: (driverObject, service, nameOf) => {
      const replay = pcap.pcapReplayOf(driverObject);
      if (replay === undefined) return undefined;
      const adapters = replay.adapters().map((a) => ({ name: nameOf(a.ifIndex), ...a }));
      return {
        driver: service,
        lines: adapters.map(
          (a) =>
            `${a.name}: replayed ${a.indicated} frames from a ${a.frames}-frame file (${a.passes} pass${a.passes === 1 ? "" : "es"}), ${a.sendsSwallowed} sends swallowed${a.readError === null ? "" : `; stopped: ${a.readError}`}`,
        ),
        data: { adapters },
      };
    },
  },
  {
    id: "vxlan",
    description: "a miniport whose wire is a VXLAN tunnel over a UDP socket (RFC 7348)",
    module: vxlan,
    explainFailure: (driverObject) => vxlan.vxlanInitErrors(driverObject).at(-1),
    report: (driverObject, service, nameOf) => {
      const adapters = vxlan
        .vxlanAdapters(driverObject)
        .map((a) => ({ name: nameOf(a.ifIndex), ...a }));
      return {
        driver: service,
        lines: adapters.map(
          (a) =>
            `${a.name}: VNI ${a.vni} ${a.local} → ${a.remote}, link ${a.linkUp ? "up" : `down${a.linkError === null ? "" : ` (${a.linkError})`}`}, sent ${a.counters.framesSent}, received ${a.counters.framesReceived}, dropped ${a.dropped}`,
        ),
        data: { adapters },
      };
    },
  },
  {
    id: "tap",
    description:
      "a miniport whose wire is a Linux macvtap device (/dev/tapN), so Linux programs talk to the stack",
    module: tap,
    fileKeys: ["Device", "DeviceDirectory"],
    explainFailure: (driverObject) => tap.tapInitErrors(driverObject).at(-1),
    setLink: (driverObject, adapter, up) => tap.tapSetLink(driverObject, adapter.ifIndex, up),
    report: (driverObject, service, nameOf) => {
      const adapters = tap
        .tapAdapters(driverObject)
        .map((a) => ({ name: nameOf(a.ifIndex), ...a }));
      return {
        driver: service,
        lines: adapters.map(
          (a) =>
            `${a.name}: ${a.device} (${a.link}), link ${a.linkUp ? "up" : `down${a.linkError === null ? "" : ` (${a.linkError})`}`}, sent ${a.counters.framesSent}, received ${a.counters.framesReceived}, dropped ${a.dropped}`,
        ),
        data: { adapters },
      };
    },
  },
];

export function builtinDriver(id: string): BuiltinDriver | undefined {
  return BUILTINS.find((b) => b.id === id);
}

export function builtinDriverIds(): readonly string[] {
  return BUILTINS.map((b) => b.id).sort();
}

/** A module string that is a path rather than a built-in id. */
export function isModulePath(module: string): boolean {
  return (
    module.startsWith("./") ||
    module.startsWith("../") ||
    module.startsWith("/") ||
    /\.(?:[cm]?js|[cm]?ts)$/.test(module)
  );
}

/**
 * `registry` with the values of `keys` (a built-in's `fileKeys` or `driverFileKeys`) that are
 * relative file names resolved against `baseDir`, the stack file's folder.
 */
export function withFiles(
  registry: RegistryValues | undefined,
  keys: readonly string[] | undefined,
  baseDir: string,
): RegistryValues | undefined {
  if (registry === undefined || keys === undefined) return registry;
  const out: RegistryValues = { ...registry };
  for (const key of keys) {
    const value = out[key];
    if (typeof value === "string" && !isAbsolute(value)) out[key] = resolve(baseDir, value);
  }
  return out;
}
