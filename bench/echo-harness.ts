/**
 * The echo benchmarks' shared harness (bench/vxlan.bench.ts, bench/tap.bench.ts): our stack and
 * bare Node echoes answer `ping` from a network namespace, one subject after the other, every
 * subject once per round (every other round in the reverse order); the targets compare our
 * stack with the bare echo as ratios taken per round (ours / bare of the same round) and
 * reported as their median, with per-subject medians and best rounds for context.
 *
 *  - pps: `ping -f -l WINDOW -c FLOOD` (WINDOW echo requests in flight); answered echoes per
 *    second of the flood's duration.
 *  - RTT: `ping -c PINGS -i 0.005`; the median of the per-reply times.
 *
 * Environment: WINDOW (64), FLOOD (30000), PINGS (400), ROUNDS (5), VERIFIER (strict) for our
 * stack, ONLY=ndis,bare (subject keys) to measure those alone (for profiling with --cpu-prof),
 * PING_CPU=1 to measure `ping`'s CPU time per echo as well, FLOODS=n for n floods at once.
 */
import type { CommandResult } from "../test/helpers/netns.js";
import { median } from "./paired.js";

export const WINDOW = Number(process.env.WINDOW ?? 64);
export const FLOOD = Number(process.env.FLOOD ?? 30000);
export const PINGS = Number(process.env.PINGS ?? 400);
export const ROUNDS = Number(process.env.ROUNDS ?? 5);
/** VERIFIER=off|record|strict for our stack (default strict, as NdisHost's). */
export const VERIFIER = (process.env.VERIFIER ?? "strict") as "off" | "record" | "strict";
export const ONLY = process.env.ONLY?.split(",");
/**
 * FLOODS=n: n floods at once (n × WINDOW echo requests in flight), so that the echo, not `ping`,
 * limits the rate: its device then holds more frames than a wakeup reads (context).
 */
export const FLOODS = Number(process.env.FLOODS ?? 1);
/** PING_CPU=1: also measure `ping`'s own CPU time per echo (context). */
export const PING_CPU = process.env.PING_CPU === "1";

/** Where the pings come from: a namespace that runs commands. */
export interface EchoNet {
  run(command: readonly string[], timeoutMs?: number): Promise<CommandResult>;
}

export interface EchoSubject<W> {
  /** Short name, for ONLY; "ndis" and "bare" are the pair the targets compare. */
  readonly key: string;
  readonly name: string;
  /** Starts answering; resolves with what stops it. */
  start(wire: W): Promise<() => Promise<void>>;
}

export interface EchoResult {
  readonly pps: number;
  readonly lost: number;
  readonly rttMs: number;
  /**
   * This process's CPU time (user + system, process.cpuUsage) during the flood per answered echo,
   * in µs: what one echo costs the answering side, kernel work done in its system calls included.
   * Unlike pps it does not move with what else the machine runs (time the process waited for a
   * core is not counted), so it is the figure to compare on a loaded machine.
   */
  readonly cpuUs: number;
  /**
   * This process's voluntary context switches during the flood per 1000 answered echoes: how
   * often it found nothing to do and slept (in epoll_wait) — how the echo and `ping` keep in step.
   */
  readonly sleepsPerK: number;
  /** `ping`'s own CPU time per echo (µs), with PING_CPU=1 (the flood then runs under bash). */
  readonly pingCpuUs: number | null;
}

export { median };

/**
 * One measurement of whoever answers `target` now: a warm-up (JIT on both sides; with
 * `warmFlood`, a short flood too), the flood, then the RTT pings.
 */
export async function measureEcho(
  net: EchoNet,
  target: string,
  warmFlood: boolean,
): Promise<EchoResult> {
  await net.run(["ping", "-c", "20", "-i", "0.01", "-W", "1", target]);
  if (warmFlood)
    await net.run(
      ["ping", "-f", "-q", "-l", String(WINDOW), "-c", "5000", "-w", "20", target],
      30_000,
    );
  const floodArgs = [
    "ping",
    "-f",
    "-q",
    "-l",
    String(WINDOW),
    "-c",
    String(FLOOD),
    "-w",
    "60",
    target,
  ];
  const switches0 = process.resourceUsage().voluntaryContextSwitches;
  const cpu0 = process.cpuUsage();
  const floods = await Promise.all(
    Array.from({ length: FLOODS }, () =>
      net.run(PING_CPU ? ["bash", "-c", `${floodArgs.join(" ")}; times`] : floodArgs, 90_000),
    ),
  );
  const cpu = process.cpuUsage(cpu0);
  const switches = process.resourceUsage().voluntaryContextSwitches - switches0;
  // With FLOODS > 1: every flood's echoes over the longest flood's time.
  const f = { sent: 0, received: 0, ms: 0 };
  let pingCpu = 0;
  for (const flood of floods) {
    const m = /(\d+) packets transmitted, (\d+) received.*time (\d+)ms/.exec(flood.stdout);
    if (m === null) throw new Error(`ping -f: ${flood.stdout}${flood.stderr}`);
    f.sent += Number(m[1]);
    f.received += Number(m[2]);
    f.ms = Math.max(f.ms, Number(m[3]));
    pingCpu += PING_CPU ? (childCpuUs(flood.stdout, 1) ?? Number.NaN) : 0;
  }
  const ping = await net.run(
    ["ping", "-c", String(PINGS), "-i", "0.005", "-W", "1", target],
    60_000,
  );
  const rtts = [...ping.stdout.matchAll(/time=([\d.]+) ms/g)].map((x) => Number(x[1]));
  if (rtts.length < PINGS * 0.95) console.log(`    (only ${rtts.length}/${PINGS} pings answered)`);
  return {
    pps: (f.received / f.ms) * 1000,
    lost: f.sent - f.received,
    rttMs: median(rtts),
    cpuUs: (cpu.user + cpu.system) / Math.max(1, f.received),
    sleepsPerK: (switches * 1000) / Math.max(1, f.received),
    pingCpuUs: PING_CPU ? pingCpu / Math.max(1, f.received) : null,
  };
}

/** bash's `times`: its children's user and system time (the second line), per echo in µs. */
function childCpuUs(stdout: string, received: number): number | null {
  const t = [...stdout.matchAll(/(\d+)m([\d.]+)s/g)].map((x) => Number(x[1]) * 60 + Number(x[2]));
  if (t.length < 4) return null;
  return (((t[2] as number) + (t[3] as number)) * 1e6) / Math.max(1, received);
}

/**
 * ROUNDS rounds of every subject (those in ONLY, when set), each started on `wire`, measured and
 * stopped; then the table and the paired ratios of "ndis" against "bare".
 */
export async function runEchoRounds<W>(
  subjects: readonly EchoSubject<W>[],
  wire: W,
  net: EchoNet,
  target: string,
  options: { readonly warmFlood: boolean },
): Promise<void> {
  const results = new Map<string, EchoResult[]>();
  const chosen = subjects.filter((s) => ONLY === undefined || ONLY.includes(s.key));
  for (let round = 0; round < ROUNDS; round++) {
    // Every other round in the reverse order: no subject always runs first or after another.
    for (const subject of round % 2 === 0 ? chosen : [...chosen].reverse()) {
      const stop = await subject.start(wire);
      try {
        const r = await measureEcho(net, target, options.warmFlood);
        console.log(
          `round ${round + 1} ${subject.name}: ${Math.round(r.pps)} echoes/s (ping -f -l ${WINDOW}, ${r.lost} not answered), median RTT ${r.rttMs.toFixed(3)} ms, CPU ${r.cpuUs.toFixed(2)} µs/echo, ${r.sleepsPerK.toFixed(1)} sleeps per 1000 echoes${r.pingCpuUs === null ? "" : `, ping's CPU ${r.pingCpuUs.toFixed(2)} µs/echo`}`,
        );
        results.set(subject.key, [...(results.get(subject.key) ?? []), r]);
      } finally {
        await stop();
      }
    }
  }
  reportEcho(subjects, results);
}

/** The per-subject table, then pps and RTT of "ndis" / "bare" as medians of per-round ratios. */
export function reportEcho<W>(
  subjects: readonly EchoSubject<W>[],
  results: ReadonlyMap<string, readonly EchoResult[]>,
): void {
  console.log("");
  console.log(
    `| subject (${ROUNDS} rounds) | echoes/s median | best | median RTT, median of rounds | best | CPU µs/echo, median | sleeps per 1000 echoes, median |`,
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const subject of subjects) {
    const rs = results.get(subject.key);
    if (rs === undefined) continue;
    console.log(
      `| ${subject.name} | ${Math.round(median(rs.map((r) => r.pps)))} | ${Math.round(Math.max(...rs.map((r) => r.pps)))} | ${median(rs.map((r) => r.rttMs)).toFixed(3)} ms | ${Math.min(...rs.map((r) => r.rttMs)).toFixed(3)} ms | ${median(rs.map((r) => r.cpuUs)).toFixed(2)} | ${median(rs.map((r) => r.sleepsPerK)).toFixed(1)} |`,
    );
  }
  const ours = results.get("ndis");
  const theirs = results.get("bare");
  if (ours === undefined || theirs === undefined) return;
  // Paired: round i of ours against round i of bare.
  const ppsRatios = ours.map((r, i) => r.pps / (theirs[i]?.pps ?? Number.NaN));
  const rttRatios = ours.map((r, i) => r.rttMs / (theirs[i]?.rttMs ?? Number.NaN));
  // bare's CPU per echo over ours: the share of bare's rate ours would reach if both were bound by
  // their own CPU time alone (context for pps on a loaded machine, not the target).
  const cpuRatios = ours.map((r, i) => (theirs[i]?.cpuUs ?? Number.NaN) / r.cpuUs);
  const pps = median(ppsRatios);
  const rtt = median(rttRatios);
  const cpuShare = median(cpuRatios);
  console.log("");
  console.log(
    `pps, median of the per-round ratios: ${(pps * 100).toFixed(1)}% of bare (target ≥ 80%: ${pps >= 0.8 ? "met" : "NOT met"}); rounds: ${ppsRatios.map((x) => `${(x * 100).toFixed(0)}%`).join(" ")}`,
  );
  console.log(
    `median RTT, median of the per-round ratios: ${rtt.toFixed(2)}× bare (target ≤ 1.3×: ${rtt <= 1.3 ? "met" : "NOT met"}); rounds: ${rttRatios.map((x) => `${x.toFixed(2)}×`).join(" ")}`,
  );
  console.log(
    `CPU per echo, bare / ours, median of the per-round ratios: ${(cpuShare * 100).toFixed(1)}% (context); rounds: ${cpuRatios.map((x) => `${(x * 100).toFixed(0)}%`).join(" ")}`,
  );
}

/** The Internet checksum's incremental update (RFC 1624): `checksum` with one word changed. */
export { adjustChecksum } from "../src/net/checksum.js";
