/**
 * The host's OID requests (`host.oidRequest`), as NDIS issues one from user mode: answered by NDIS
 * from the attributes where it can, else through the filter modules top down to the miniport,
 * pended or not; and `ndis run`'s table and summary built from every adapter's answer to
 * OID_GEN_STATISTICS — a driver of the user's own included (issue 22, newcomer item 5).
 * Doc pages: https://learn.microsoft.com/windows-hardware/drivers/network/oid-gen-statistics,
 * https://learn.microsoft.com/windows-hardware/drivers/network/filter-module-oid-requests
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { setImmediate as turn } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { run } from "../../src/cli/commands/run.js";
import { countersTable, createOutput } from "../../src/cli/output.js";
import {
  ManualClock,
  type NDIS_HANDLE,
  type NDIS_OID_REQUEST,
  NDIS_SIZEOF_STATISTICS_INFO_REVISION_1,
  NDIS_STATUS_ADAPTER_NOT_READY,
  NDIS_STATUS_BUFFER_TOO_SHORT,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NdisError,
  NdisFOidRequestComplete,
  NdisHost,
  NdisMOidRequestComplete,
  NdisRequestQueryStatistics,
  NdisRequestSetInformation,
  ndisStatisticsInfoBytes,
  ndisStatisticsInfoFromBytes,
  OID_GEN_CURRENT_LOOKAHEAD,
  OID_GEN_MAXIMUM_FRAME_SIZE,
  OID_GEN_STATISTICS,
} from "../../src/index.js";
import { decodeOidAnswer, oidByName, StatisticsReader } from "../../src/stack/index.js";
import { scriptedFilter } from "../helpers/filter.js";
import { scriptedMiniport } from "../helpers/miniport.js";

const LOSSY = fileURLToPath(new URL("../fixtures/lossy-miniport.ts", import.meta.url));

function stats(values: { ifInDiscards?: bigint; ifHCInUcastPkts?: bigint }): Uint8Array {
  const zero = 0n;
  return ndisStatisticsInfoBytes({
    SupportedStatistics: 0x10,
    ifInDiscards: values.ifInDiscards ?? zero,
    ifInErrors: zero,
    ifHCInOctets: zero,
    ifHCInUcastPkts: values.ifHCInUcastPkts ?? zero,
    ifHCInMulticastPkts: zero,
    ifHCInBroadcastPkts: zero,
    ifHCOutOctets: zero,
    ifHCOutUcastPkts: zero,
    ifHCOutMulticastPkts: zero,
    ifHCOutBroadcastPkts: zero,
    ifOutErrors: zero,
    ifOutDiscards: zero,
    ifHCInUcastOctets: zero,
    ifHCInMulticastOctets: zero,
    ifHCInBroadcastOctets: zero,
    ifHCOutUcastOctets: zero,
    ifHCOutMulticastOctets: zero,
    ifHCOutBroadcastOctets: zero,
  });
}

/** A miniport answering OID_GEN_STATISTICS as `answer` says (sync, pended, never). */
function statisticsMiniport(answer: "now" | "later" | "never" | "unsupported") {
  const pended: { handle: NDIS_HANDLE; request: NDIS_OID_REQUEST }[] = [];
  let queries = 0;
  const fill = (request: NDIS_OID_REQUEST) => {
    const d = request.DATA.QUERY_INFORMATION;
    if (d.InformationBufferLength < NDIS_SIZEOF_STATISTICS_INFO_REVISION_1) {
      d.BytesNeeded = NDIS_SIZEOF_STATISTICS_INFO_REVISION_1;
      return NDIS_STATUS_BUFFER_TOO_SHORT;
    }
    d.InformationBuffer?.set(stats({ ifInDiscards: 5n, ifHCInUcastPkts: 10n }));
    d.BytesWritten = NDIS_SIZEOF_STATISTICS_INFO_REVISION_1;
    return NDIS_STATUS_SUCCESS;
  };
  const m = scriptedMiniport({
    oid: (adapter, request) => {
      const d = request.DATA.QUERY_INFORMATION;
      if (request.RequestType === NdisRequestSetInformation) return NDIS_STATUS_SUCCESS;
      if (d.Oid !== OID_GEN_STATISTICS || answer === "unsupported")
        return NDIS_STATUS_NOT_SUPPORTED;
      queries++;
      if (answer === "now") return fill(request);
      pended.push({ handle: adapter.handle, request });
      return NDIS_STATUS_PENDING;
    },
  });
  return {
    m,
    queries: () => queries,
    completeAll: () => {
      for (const { handle, request } of pended.splice(0))
        NdisMOidRequestComplete(handle, request, fill(request));
    },
  };
}

async function hostWith(module: ReturnType<typeof scriptedMiniport>["module"]) {
  const host = new NdisHost({ verifier: "strict" });
  await host.loadDriver({ name: "mp", module: module });
  await host.addAdapter({ driver: "mp", name: "eth0" });
  return host;
}

describe("host.oidRequest", () => {
  test("a query the miniport answers: status, byte counts and a copy of the answer", async () => {
    const { m } = statisticsMiniport("now");
    const host = await hostWith(m.module);
    const answer = await host.oidRequest("eth0", { type: "statistics", oid: "OID_GEN_STATISTICS" });
    assert.equal(answer.status, NDIS_STATUS_SUCCESS);
    assert.equal(answer.statusName, "NDIS_STATUS_SUCCESS (0x00000000)");
    assert.equal(answer.bytesWritten, NDIS_SIZEOF_STATISTICS_INFO_REVISION_1);
    assert.equal(answer.data.length, NDIS_SIZEOF_STATISTICS_INFO_REVISION_1);
    assert.equal(ndisStatisticsInfoFromBytes(answer.data)?.ifInDiscards, 5n);
    assert.ok(m.calls.includes(`MiniportOidRequest(${OID_GEN_STATISTICS.toString(16)})`));
    const short = await host.oidRequest("eth0", {
      type: "query",
      oid: OID_GEN_STATISTICS,
      buffer: 8,
    });
    assert.equal(short.status, NDIS_STATUS_BUFFER_TOO_SHORT);
    assert.equal(short.bytesNeeded, NDIS_SIZEOF_STATISTICS_INFO_REVISION_1);
    assert.equal(short.data.length, 0);
    await host.removeAdapter("eth0");
    await host.unloadDriver("mp");
    assert.deepEqual(host.violations, []);
  });

  test("a pended query resolves when the miniport completes it; NDIS answers the attribute OIDs itself", async () => {
    const mp = statisticsMiniport("later");
    const host = await hostWith(mp.m.module);
    let settled = false;
    const pending = host
      .oidRequest("eth0", { type: "query", oid: OID_GEN_STATISTICS })
      .then((a) => {
        settled = true;
        return a;
      });
    await turn();
    assert.equal(settled, false, "still with the miniport");
    mp.completeAll();
    const answer = await pending;
    assert.equal(answer.status, NDIS_STATUS_SUCCESS);
    assert.equal(ndisStatisticsInfoFromBytes(answer.data)?.ifHCInUcastPkts, 10n);
    const calls = mp.m.calls.length;
    const frame = await host.oidRequest("eth0", { type: "query", oid: OID_GEN_MAXIMUM_FRAME_SIZE });
    assert.equal(frame.status, NDIS_STATUS_SUCCESS);
    assert.equal(decodeOidAnswer(OID_GEN_MAXIMUM_FRAME_SIZE, frame.data)[0], "1500");
    assert.equal(mp.m.calls.length, calls, "answered from the general attributes");
    const set = await host.oidRequest("eth0", {
      type: "set",
      oid: OID_GEN_CURRENT_LOOKAHEAD,
      buffer: Uint8Array.of(128, 0, 0, 0),
    });
    assert.equal(set.status, NDIS_STATUS_SUCCESS);
    assert.equal(set.data.length, 0);
    await host.removeAdapter("eth0");
    await host.unloadDriver("mp");
    assert.deepEqual(host.violations, []);
  });

  test("the request enters at the top of the filter stack; a filter that pends it completes it to the host", async () => {
    const mp = statisticsMiniport("now");
    const seen: NDIS_OID_REQUEST[] = [];
    const held: { handle: NDIS_HANDLE; request: NDIS_OID_REQUEST }[] = [];
    const filter = scriptedFilter("flt", {
      oid: (m, request) => {
        seen.push(request);
        if (request.DATA.QUERY_INFORMATION.Oid !== OID_GEN_STATISTICS) return NDIS_STATUS_SUCCESS;
        held.push({ handle: m.handle, request });
        return NDIS_STATUS_PENDING;
      },
    });
    const host = new NdisHost({ verifier: "strict" });
    await host.loadDriver({ name: "flt", module: filter.module });
    await host.loadDriver({ name: "mp", module: mp.m.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    const pending = host.oidRequest("eth0", { type: "statistics", oid: OID_GEN_STATISTICS });
    await turn();
    assert.equal(seen.length, 1, "FilterOidRequest got the host's request");
    assert.equal(seen[0]?.RequestType, NdisRequestQueryStatistics);
    assert.equal(mp.queries(), 0, "the filter kept it");
    const first = held[0];
    assert.ok(first !== undefined);
    first.request.DATA.QUERY_INFORMATION.InformationBuffer?.set(stats({ ifInDiscards: 7n }));
    first.request.DATA.QUERY_INFORMATION.BytesWritten = NDIS_SIZEOF_STATISTICS_INFO_REVISION_1;
    NdisFOidRequestComplete(first.handle, first.request, NDIS_STATUS_SUCCESS);
    const answer = await pending;
    assert.equal(answer.status, NDIS_STATUS_SUCCESS);
    assert.equal(ndisStatisticsInfoFromBytes(answer.data)?.ifInDiscards, 7n, "the filter's answer");
    await host.removeAdapter("eth0");
    await host.unloadDriver("mp");
    await host.unloadDriver("flt");
    assert.deepEqual(host.violations, []);
  });

  test("bad requests are NdisErrors naming what is wrong; a halted driver's adapter is not ready", async () => {
    const { m } = statisticsMiniport("now");
    const host = await hostWith(m.module);
    await assert.rejects(
      host.oidRequest("eth9", { type: "query", oid: OID_GEN_STATISTICS }),
      (e) => NdisError.is(e) && /no adapter named "eth9"/.test(e.message),
    );
    await assert.rejects(
      host.oidRequest("eth0", { type: "get" as "query", oid: OID_GEN_STATISTICS }),
      /type "get" is not "query", "set" or "statistics"/,
    );
    await assert.rejects(
      host.oidRequest("eth0", { type: "query", oid: "OID_GEN_STATISTIC" }),
      /"OID_GEN_STATISTIC" is not an OID this package names/,
    );
    await assert.rejects(
      host.oidRequest("eth0", { type: "set", oid: OID_GEN_CURRENT_LOOKAHEAD }),
      /a set needs a buffer/,
    );
    await assert.rejects(
      host.oidRequest("eth0", { type: "query", oid: 2 ** 32 }),
      /is not a ULONG/,
    );
    await host.removeAdapter("eth0");
    await host.unloadDriver("mp");
    assert.equal(NDIS_STATUS_ADAPTER_NOT_READY, 0xc0010011);
  });

  test("--oid names: NDIS names in any case or a value; a typo gets a suggestion", () => {
    assert.equal(oidByName("oid_gen_statistics"), OID_GEN_STATISTICS);
    assert.equal(oidByName("0x00020106"), OID_GEN_STATISTICS);
    assert.throws(
      () => oidByName("OID_GEN_STATISTIC"),
      /no OID named "OID_GEN_STATISTIC"; did you mean "OID_GEN_STATISTICS"\?/,
    );
  });
});

type JsonRecord = { type: string; [k: string]: unknown };

/** `run()` with JSON output on a ManualClock for `ms` of virtual time; its exit code and records. */
async function runJson(
  options: Parameters<typeof run>[0],
  ms: number,
): Promise<{ code: number; records: JsonRecord[] }> {
  let text = "";
  const out = createOutput(
    (t) => {
      text += t;
    },
    { json: true },
  );
  const clock = new ManualClock();
  const done = run({ interval: "1m", ...options }, out, { clock, signals: new EventEmitter() });
  const records = () =>
    text
      .trim()
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as JsonRecord);
  for (let i = 0; i < 10_000 && !records().some((r) => r.type === "up"); i++) await turn();
  for (let t = 0; t < ms; t += 50) {
    clock.advance(50);
    await turn();
  }
  const code = await done;
  return { code, records: records() };
}

describe("ndis run's statistics: what every driver answers to OID_GEN_STATISTICS", () => {
  test("a row is the driver's answer; a driver that does not answer shows NDIS's count and why", async () => {
    const answering = statisticsMiniport("now");
    const host = await hostWith(answering.m.module);
    const rows = (await new StatisticsReader(host).read()).adapters;
    assert.equal(rows[0]?.source, "OID_GEN_STATISTICS");
    assert.equal(rows[0]?.receiveDrops, 5);
    assert.equal(rows[0]?.receivedPackets, 10);
    const table = countersTable({ adapters: rows, bindings: [] }).map((l) =>
      l.replace(new RegExp(`${String.fromCharCode(27)}\\[\\d+m`, "g"), ""),
    );
    assert.match(table[1] ?? "", /^eth0\s+Running\s+10\s+0\s+0\s+0\s+5\s+0\s+driver$/);
    await host.removeAdapter("eth0");
    await host.unloadDriver("mp");

    const silent = statisticsMiniport("unsupported");
    const host2 = await hostWith(silent.m.module);
    const [row] = (await new StatisticsReader(host2).read()).adapters;
    assert.equal(row?.source, "NDIS");
    assert.equal(row?.unanswered, "NDIS_STATUS_NOT_SUPPORTED (0xC00000BB)");
    await host2.removeAdapter("eth0");
    await host2.unloadDriver("mp");
  });

  test("a query the driver never completes is not waited for, and not asked again while it pends", async () => {
    const mp = statisticsMiniport("never");
    const host = await hostWith(mp.m.module);
    const reader = new StatisticsReader(host);
    const first = await reader.read();
    assert.equal(first.adapters[0]?.source, "NDIS");
    assert.equal(first.adapters[0]?.unanswered, "pending");
    await reader.read();
    assert.equal(mp.queries(), 1, "one query outstanding, not one per tick");
    mp.completeAll();
    await turn();
    await reader.read();
    assert.equal(mp.queries(), 2, "asked again once the first one completed");
    mp.completeAll();
    await host.removeAdapter("eth0");
    await host.unloadDriver("mp");
  });

  test("ndis run: the pcap miniport answers OID_GEN_STATISTICS with what it replayed and swallowed", async () => {
    const { code, records: all } = await runJson({ stack: "examples/pcap-replay.yaml" }, 2000);
    assert.equal(code, 0);
    const final = all.find((r) => r.type === "counters" && r.final === true) as unknown as {
      adapters: { name: string; source: string; receivedPackets: number; sentPackets: number }[];
    };
    const cap0 = final.adapters.find((a) => a.name === "cap0");
    const replay = all.find((r) => r.type === "report" && r.driver === "replay") as unknown as {
      adapters: { indicated: number; sendsSwallowed: number }[];
    };
    assert.equal(cap0?.source, "OID_GEN_STATISTICS");
    assert.ok((replay.adapters[0]?.indicated ?? 0) > 0);
    assert.equal(cap0?.receivedPackets, replay.adapters[0]?.indicated);
    assert.equal(cap0?.sentPackets, replay.adapters[0]?.sendsSwallowed);
  });

  test("ndis run: the drops a driver of the user's own reports are in the table and its summary", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ndis-oid-"));
    const stack = join(dir, "lossy.yaml");
    writeFileSync(
      stack,
      `drivers:
  - { name: lossy, module: ${JSON.stringify(LOSSY)} }
  - { name: host-a, module: ipv4-host }
adapters:
  - { name: eth0, driver: lossy }
bindings:
  - protocol: host-a
    adapter: eth0
    registry: { IPAddress: 198.51.100.1, PrefixLength: 24, PingTarget: 198.51.100.2, PingIntervalMs: 100 }
run:
  duration: 1s
`,
    );
    const { code, records: all } = await runJson({ stack, oid: ["OID_GEN_STATISTICS"] }, 1000);
    assert.equal(code, 0);
    const final = all.find((r) => r.type === "counters" && r.final === true) as unknown as {
      adapters: { name: string; source: string; sendDrops: number; sentPackets: number }[];
      bindings: { protocol: string; sentPackets: number }[];
    };
    const eth0 = final.adapters.find((a) => a.name === "eth0");
    const given = final.bindings.find((b) => b.protocol === "host-a")?.sentPackets ?? 0;
    assert.ok(given >= 6, `ARP requests went down (${given})`);
    assert.equal(eth0?.source, "OID_GEN_STATISTICS");
    assert.equal(eth0?.sendDrops, Math.floor(given / 3), "the driver's own count of what it lost");
    assert.equal(eth0?.sentPackets, given - Math.floor(given / 3));
    const report = all.find((r) => r.type === "report" && r.driver === "lossy") as unknown as {
      adapters: { name: string; sendDrops: number }[];
    };
    assert.equal(report?.adapters[0]?.sendDrops, Math.floor(given / 3), "a summary for it");
    const oids = all.filter((r) => r.type === "oid");
    assert.deepEqual(
      oids.map((r) => [r.when, r.adapter, r.status]),
      [
        ["after bring-up", "eth0", "NDIS_STATUS_SUCCESS (0x00000000)"],
        ["before teardown", "eth0", "NDIS_STATUS_SUCCESS (0x00000000)"],
      ],
    );
    assert.ok(
      ((oids[1]?.decoded ?? []) as string[]).includes(`ifOutDiscards ${Math.floor(given / 3)}`),
      "--oid prints the structure decoded",
    );
  });
});
