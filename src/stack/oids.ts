/**
 * What `ndis run` asks the adapters of a running stack through OID requests (`host.oidRequest`):
 * every adapter's OID_GEN_STATISTICS — physical and IM virtual miniports alike, so the table
 * shows what each driver reports, built-in or not — and any OID by its NDIS name (`--oid`),
 * decoded where this package knows the structure.
 */
import {
  type HostOidAnswer,
  type HostStatistics,
  MediaConnectStateConnected,
  NDIS_OIDS,
  NDIS_PACKET_TYPE_ALL_FUNCTIONAL,
  NDIS_PACKET_TYPE_ALL_LOCAL,
  NDIS_PACKET_TYPE_ALL_MULTICAST,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_FUNCTIONAL,
  NDIS_PACKET_TYPE_GROUP,
  NDIS_PACKET_TYPE_MAC_FRAME,
  NDIS_PACKET_TYPE_MULTICAST,
  NDIS_PACKET_TYPE_NO_LOCAL,
  NDIS_PACKET_TYPE_PROMISCUOUS,
  NDIS_PACKET_TYPE_SMT,
  NDIS_PACKET_TYPE_SOURCE_ROUTING,
  NDIS_SIZEOF_STATISTICS_INFO_REVISION_1,
  type NDIS_STATISTICS_INFO,
  NDIS_STATISTICS_INFO_COUNTERS,
  NDIS_STATUS_BUFFER_TOO_SHORT,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_SUCCESS,
  type NdisHost,
  ndisInterruptModerationParametersFromBytes,
  ndisOidToString,
  ndisStatisticsInfoFromBytes,
  OID_802_3_CURRENT_ADDRESS,
  OID_802_3_MULTICAST_LIST,
  OID_802_3_PERMANENT_ADDRESS,
  OID_GEN_CURRENT_PACKET_FILTER,
  OID_GEN_INTERRUPT_MODERATION,
  OID_GEN_LINK_SPEED,
  OID_GEN_MEDIA_CONNECT_STATUS,
  OID_GEN_STATISTICS,
  OID_GEN_SUPPORTED_LIST,
  OID_GEN_VENDOR_DESCRIPTION,
} from "../index.js";
import { didYouMean } from "./suggest.js";

/** One adapter's row of `ndis run`'s table. */
export type AdapterCounters = HostStatistics["adapters"][number] & {
  /**
   * Where the numbers come from: the driver's answer to OID_GEN_STATISTICS, or — when the driver
   * did not answer it (not supported, failed, still pending) — NDIS's own count at the edge.
   */
  readonly source: "OID_GEN_STATISTICS" | "NDIS";
  /** Sends the miniport discarded (ifOutDiscards); 0 from NDIS's count. */
  readonly sendDrops: number;
  /** Received frames with errors (ifInErrors); 0 from NDIS's count. */
  readonly receiveErrors: number;
  /** The driver's whole answer, when it gave one (counters as numbers). */
  readonly statistics?: Readonly<Record<string, number>>;
  /** Why NDIS's count is shown instead (the driver's status, or "pending"). */
  readonly unanswered?: string;
};

/** `ndis run`'s table: the adapters as their drivers report them, the bindings as NDIS counts. */
export interface RunStatistics {
  readonly adapters: readonly AdapterCounters[];
  readonly bindings: HostStatistics["bindings"];
  /** The filter modules as NDIS counts them. */
  readonly filters?: HostStatistics["filters"];
}

function sum(info: NDIS_STATISTICS_INFO, ...names: (keyof NDIS_STATISTICS_INFO)[]): number {
  let total = 0n;
  for (const name of names) total += BigInt(info[name]);
  return Number(total);
}

/** An adapter row from the driver's NDIS_STATISTICS_INFO; NDIS's own refusals are kept. */
function fromInfo(
  row: HostStatistics["adapters"][number],
  info: NDIS_STATISTICS_INFO,
): AdapterCounters {
  return {
    ...row,
    source: "OID_GEN_STATISTICS",
    receivedPackets: sum(info, "ifHCInUcastPkts", "ifHCInMulticastPkts", "ifHCInBroadcastPkts"),
    receivedBytes: sum(info, "ifHCInOctets"),
    sentPackets: sum(info, "ifHCOutUcastPkts", "ifHCOutMulticastPkts", "ifHCOutBroadcastPkts"),
    sentBytes: sum(info, "ifHCOutOctets"),
    receiveDrops: sum(info, "ifInDiscards"),
    sendDrops: sum(info, "ifOutDiscards"),
    sendErrors: sum(info, "ifOutErrors"),
    receiveErrors: sum(info, "ifInErrors"),
    statistics: Object.fromEntries([
      ["SupportedStatistics", info.SupportedStatistics],
      ...NDIS_STATISTICS_INFO_COUNTERS.map((name) => [name, Number(info[name])]),
    ]),
  };
}

/**
 * Queries OID_GEN_STATISTICS of every adapter at once, as NDIS would for a user-mode query.
 * A query not answered within one turn of the event loop after the others (a driver that pends
 * it and is slow, or never completes) is not waited for: that row shows NDIS's count and says
 * so. Only one query per adapter is ever outstanding: while one pends, later calls do not add
 * another.
 */
export class StatisticsReader {
  readonly #host: NdisHost;
  readonly #pending = new Set<string>();

  constructor(host: NdisHost) {
    this.#host = host;
  }

  async read(): Promise<RunStatistics> {
    const base = this.#host.statistics();
    const answers = new Map<string, HostOidAnswer | string>();
    const queries = base.adapters.map(async (row) => {
      if (this.#pending.has(row.name)) {
        answers.set(row.name, "pending");
        return;
      }
      this.#pending.add(row.name);
      try {
        answers.set(
          row.name,
          await this.#host.oidRequest(row.name, {
            type: "statistics",
            oid: OID_GEN_STATISTICS,
            buffer: NDIS_SIZEOF_STATISTICS_INFO_REVISION_1,
          }),
        );
      } catch (err) {
        answers.set(row.name, err instanceof Error ? err.message : String(err));
      } finally {
        this.#pending.delete(row.name);
      }
    });
    // Answers given at once or through promise chains arrive before a macrotask turn.
    await Promise.race([
      Promise.all(queries),
      new Promise<void>((resolve) => setImmediate(resolve)),
    ]);
    const adapters = base.adapters.map((row): AdapterCounters => {
      const answer = answers.get(row.name) ?? "pending";
      if (typeof answer !== "string" && answer.status === NDIS_STATUS_SUCCESS) {
        const info = ndisStatisticsInfoFromBytes(answer.data);
        if (info !== null) return fromInfo(row, info);
      }
      return {
        ...row,
        source: "NDIS",
        sendDrops: 0,
        receiveErrors: 0,
        unanswered:
          typeof answer === "string"
            ? answer
            : answer.status === NDIS_STATUS_SUCCESS
              ? `answered ${answer.bytesWritten} bytes, not an NDIS_STATISTICS_INFO`
              : answer.statusName,
      };
    });
    return { adapters, bindings: base.bindings, filters: base.filters };
  }
}

/** An OID name `ndis run --oid` does not know. */
export class OidNameError extends Error {
  override readonly name = "OidNameError";
}

/** The OID named `name` (NDIS's name, case-insensitive, or 0x… hex); an OidNameError else. */
export function oidByName(name: string): number {
  if (/^0x[0-9a-f]{1,8}$/i.test(name)) return Number.parseInt(name.slice(2), 16);
  const upper = name.toUpperCase();
  if (Object.hasOwn(NDIS_OIDS, upper)) return NDIS_OIDS[upper] as number;
  throw new OidNameError(
    `--oid: no OID named ${JSON.stringify(name)}${didYouMean(upper, Object.keys(NDIS_OIDS))} (an NDIS name such as OID_GEN_STATISTICS, or a value such as 0x00020106)`,
  );
}

function mac(bytes: Uint8Array, at: number): string {
  return [...bytes.subarray(at, at + 6)].map((b) => b.toString(16).padStart(2, "0")).join(":");
}

const PACKET_TYPES: readonly [number, string][] = [
  [NDIS_PACKET_TYPE_DIRECTED, "DIRECTED"],
  [NDIS_PACKET_TYPE_MULTICAST, "MULTICAST"],
  [NDIS_PACKET_TYPE_ALL_MULTICAST, "ALL_MULTICAST"],
  [NDIS_PACKET_TYPE_BROADCAST, "BROADCAST"],
  [NDIS_PACKET_TYPE_SOURCE_ROUTING, "SOURCE_ROUTING"],
  [NDIS_PACKET_TYPE_PROMISCUOUS, "PROMISCUOUS"],
  [NDIS_PACKET_TYPE_SMT, "SMT"],
  [NDIS_PACKET_TYPE_ALL_LOCAL, "ALL_LOCAL"],
  [NDIS_PACKET_TYPE_GROUP, "GROUP"],
  [NDIS_PACKET_TYPE_ALL_FUNCTIONAL, "ALL_FUNCTIONAL"],
  [NDIS_PACKET_TYPE_FUNCTIONAL, "FUNCTIONAL"],
  [NDIS_PACKET_TYPE_MAC_FRAME, "MAC_FRAME"],
  [NDIS_PACKET_TYPE_NO_LOCAL, "NO_LOCAL"],
];

const MODERATION = ["Unknown", "NotSupported", "Enabled", "Disabled"];

/**
 * A query's answer as text lines: the structure decoded where this package knows it
 * (NDIS_STATISTICS_INFO, the supported OID list, MAC addresses and lists, the packet filter,
 * interrupt moderation, link speed, connect status, the vendor description), a ULONG or ULONG64
 * by its size, else the bytes in hex.
 */
export function decodeOidAnswer(oid: number, data: Uint8Array): string[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  switch (oid) {
    case OID_GEN_STATISTICS: {
      const info = ndisStatisticsInfoFromBytes(data);
      if (info === null) break;
      return [
        `SupportedStatistics 0x${info.SupportedStatistics.toString(16).padStart(8, "0")}`,
        ...NDIS_STATISTICS_INFO_COUNTERS.map((name) => `${name} ${info[name]}`),
      ];
    }
    case OID_GEN_SUPPORTED_LIST: {
      if (data.length % 4 !== 0) break;
      const out: string[] = [];
      for (let i = 0; i < data.length; i += 4) out.push(ndisOidToString(view.getUint32(i, true)));
      return out.length === 0 ? ["(empty)"] : out;
    }
    case OID_802_3_PERMANENT_ADDRESS:
    case OID_802_3_CURRENT_ADDRESS:
      if (data.length !== 6) break;
      return [mac(data, 0)];
    case OID_802_3_MULTICAST_LIST: {
      if (data.length % 6 !== 0) break;
      if (data.length === 0) return ["(empty)"];
      const out: string[] = [];
      for (let i = 0; i < data.length; i += 6) out.push(mac(data, i));
      return out;
    }
    case OID_GEN_CURRENT_PACKET_FILTER: {
      if (data.length !== 4) break;
      const value = view.getUint32(0, true);
      const names = PACKET_TYPES.filter(([bit]) => (value & bit) !== 0).map(([, n]) => n);
      return [
        `0x${value.toString(16).padStart(8, "0")} ${names.length === 0 ? "(none)" : names.join(" | ")}`,
      ];
    }
    case OID_GEN_INTERRUPT_MODERATION: {
      const p = ndisInterruptModerationParametersFromBytes(data);
      if (p === null) break;
      return [
        `InterruptModeration ${MODERATION[p.InterruptModeration] ?? p.InterruptModeration}, Flags 0x${p.Flags.toString(16)}`,
      ];
    }
    case OID_GEN_LINK_SPEED:
      if (data.length !== 4) break;
      return [`${view.getUint32(0, true) * 100} bits/s`];
    case OID_GEN_MEDIA_CONNECT_STATUS:
      if (data.length !== 4) break;
      return [
        view.getUint32(0, true) === MediaConnectStateConnected ? "connected" : "disconnected",
      ];
    case OID_GEN_VENDOR_DESCRIPTION: {
      const end = data.indexOf(0);
      return [JSON.stringify(new TextDecoder().decode(end < 0 ? data : data.subarray(0, end)))];
    }
  }
  if (data.length === 4) return [String(view.getUint32(0, true))];
  if (data.length === 8) return [String(view.getBigUint64(0, true))];
  if (data.length === 0) return ["(no data)"];
  const hex: string[] = [];
  for (let i = 0; i < data.length; i += 16)
    hex.push([...data.subarray(i, i + 16)].map((b) => b.toString(16).padStart(2, "0")).join(" "));
  return hex;
}

/** The answer of `oid` on every adapter of `host`, retried once with the size asked for. */
export async function queryEveryAdapter(
  host: NdisHost,
  oid: number,
): Promise<{ readonly adapter: string; readonly answer: HostOidAnswer | string }[]> {
  return Promise.all(
    host.adapters.map(async ({ name }) => {
      try {
        let answer = await host.oidRequest(name, { type: "query", oid });
        if (
          (answer.status === NDIS_STATUS_BUFFER_TOO_SHORT ||
            answer.status === NDIS_STATUS_INVALID_LENGTH) &&
          answer.bytesNeeded > 1024
        )
          answer = await host.oidRequest(name, { type: "query", oid, buffer: answer.bytesNeeded });
        return { adapter: name, answer };
      } catch (err) {
        return { adapter: name, answer: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
}
