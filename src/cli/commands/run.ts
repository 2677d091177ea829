/**
 * `ndis run [stack.yaml]`: brings a stack up (registration, device arrivals, binds, IM virtual
 * miniports, restarts), shows its data-path counters while it runs, and when the duration is over
 * or on SIGINT/SIGTERM tears it down in NDIS order and sums up: what the drivers counted, what NDIS
 * counted, what is left (nothing, or a leak) and what the verifier saw. With no file it runs the
 * embedded default stack (examples/hub-ping.yaml): two IPv4 hosts pinging each other over a hub
 * through the passthrough IM driver.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import {
  type FrameEvent,
  type HostClock,
  NDIS_STATUS_SUCCESS,
  type NdisHost,
  ndisOidToString,
  realClock,
  type TraceEvent,
  type VerifierMode,
} from "../../index.js";
import {
  type ActionHandler,
  LIVE_ACTIONS,
  LiveFeed,
  type LiveServer,
  stackActions,
  startLiveServer,
} from "../../live/index.js";
import { PcapngWriter } from "../../pcap/pcapng.js";
import {
  type AdapterCounters,
  DEFAULT_STACK_NAME,
  type DriverReport,
  decodeOidAnswer,
  defaultStack,
  durationMs,
  loadStackFile,
  oidByName,
  queryEveryAdapter,
  type RunningStack,
  type RunStatistics,
  type Stack,
  StatisticsReader,
  startStack,
  stopStack,
} from "../../stack/index.js";
import { formatTraceLine } from "../../trace/index.js";
import type { Output } from "../output.js";

export interface RunOptions {
  /** A stack file; the embedded default when absent. */
  readonly stack?: string;
  /** Overrides the file's `ndis.version`. */
  readonly ndisVersion?: string;
  /** Overrides the file's `ndis.verifier` (default record). */
  readonly verifier?: VerifierMode;
  readonly acceptDefaultHeaderType?: boolean;
  /** Overrides the file's `run.duration`; without either the stack runs until a signal. */
  readonly duration?: string;
  /** How often the counters are shown ("1s"). */
  readonly interval?: string;
  /** A pcapng file to write every frame crossing an adapter's edge to. */
  readonly capture?: string;
  /** Print the DDI call trace. */
  readonly trace?: boolean;
  /** Record the trace to this file as JSON lines (`ndis trace` reads it). */
  readonly traceFile?: string;
  /**
   * Serve the live view on 127.0.0.1 while the stack runs; the run then lasts until a signal
   * unless `duration` is given (the file's run.duration is for unattended runs).
   */
  readonly ui?: boolean;
  /** The live view's port; default a free one. */
  readonly port?: number;
  /**
   * OIDs (NDIS names, or 0x… values) to query on every adapter once the stack is up and again
   * before the teardown; answers are printed decoded where the structure is known.
   */
  readonly oid?: readonly string[];
}

/** What `run` needs from its surroundings; tests inject their own. */
export interface RunEnvironment {
  /** The host clock (NDIS timers, the duration, link events). Default: the real clock. */
  readonly clock?: HostClock;
  /** Where SIGINT and SIGTERM come from. Default: the process. */
  readonly signals?: {
    once(signal: "SIGINT" | "SIGTERM", listener: () => void): unknown;
    off(signal: "SIGINT" | "SIGTERM", listener: () => void): unknown;
  };
  /** Wall-clock epoch nanoseconds for capture timestamps. Default: Date.now(). */
  readonly epochNs?: () => bigint;
  /** Ends the process (a second signal during the teardown). Default: process.exit. */
  readonly exit?: (code: number) => void;
}

/** Streams frames to a pcapng file: one interface per adapter edge, added on its first frame. */
class Capture {
  readonly #fd: number;
  readonly #writer = new PcapngWriter();
  readonly #filter: ReadonlySet<string> | null;
  readonly #epochAtStartNs: bigint;
  readonly #clockAtStartNs: bigint;
  frames = 0;

  constructor(
    path: string,
    adapters: readonly string[] | undefined,
    epochNs: bigint,
    clockNs: bigint,
  ) {
    this.#fd = openSync(path, "w");
    this.#filter = adapters === undefined ? null : new Set(adapters);
    this.#epochAtStartNs = epochNs;
    this.#clockAtStartNs = clockNs;
    writeSync(this.#fd, this.#writer.header());
  }

  frame(event: FrameEvent): void {
    if (this.#filter !== null && !this.#filter.has(event.adapter)) return;
    let iface = this.#writer.interfaceIndex(event.adapter);
    if (iface < 0) {
      writeSync(
        this.#fd,
        this.#writer.addInterface(event.adapter, `NDIS adapter ${event.adapter}`),
      );
      iface = this.#writer.interfaceIndex(event.adapter);
    }
    const comment = event.direction === "send" ? `send from ${event.protocol ?? "?"}` : "receive";
    const time = this.#epochAtStartNs + (event.timeNs - this.#clockAtStartNs);
    writeSync(this.#fd, this.#writer.packet(iface, time, event.data, comment));
    this.frames++;
  }

  #closed = false;

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }
}

/** Records the trace to a file, one JSON event per line, written in chunks. */
class TraceRecording {
  readonly #fd: number;
  #pending: string[] = [];
  #size = 0;
  #closed = false;
  events = 0;

  constructor(path: string) {
    this.#fd = openSync(path, "w");
  }

  event(event: TraceEvent): void {
    if (this.#closed) return;
    const line = `${formatTraceLine(event)}\n`;
    this.#pending.push(line);
    this.#size += line.length;
    this.events++;
    if (this.#size >= 1 << 16) this.flush();
  }

  flush(): void {
    if (this.#pending.length === 0) return;
    writeSync(this.#fd, this.#pending.join(""));
    this.#pending = [];
    this.#size = 0;
  }

  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    closeSync(this.#fd);
  }
}

function header(host: NdisHost, stack: Stack, out: Output): void {
  const info = host.ndisVersionInfo;
  out.line(
    `ndis-ts host: NDIS ${info.label} (${info.os}), verifier ${host.verifierMode}, stack ${stack.file}`,
  );
  out.record("host", {
    ndisVersion: info.label,
    os: info.os,
    verifier: host.verifierMode,
    stack: stack.file,
  });
}

/** Queries each OID on every adapter and prints the answers (`--oid`). */
async function printOids(
  host: NdisHost,
  oids: readonly number[],
  when: string,
  out: Output,
): Promise<void> {
  for (const oid of oids) {
    const answers = await queryEveryAdapter(host, oid);
    out.line(`${ndisOidToString(oid)} ${when}:`);
    for (const { adapter, answer } of answers) {
      if (typeof answer === "string") {
        out.problem(`  ${adapter}: ${answer}`);
        out.record("oid", { when, adapter, oid, error: answer });
        continue;
      }
      const decoded =
        answer.status === NDIS_STATUS_SUCCESS ? decodeOidAnswer(oid, answer.data) : [];
      if (answer.status !== NDIS_STATUS_SUCCESS)
        out.line(
          `  ${adapter}: ${answer.statusName}${answer.bytesNeeded > 0 ? ` (BytesNeeded ${answer.bytesNeeded})` : ""}`,
        );
      else if (decoded.length === 1) out.line(`  ${adapter}: ${decoded[0]}`);
      else {
        out.line(`  ${adapter}:`);
        for (const line of decoded) out.line(`    ${line}`);
      }
      out.record("oid", {
        when,
        adapter,
        oid,
        status: answer.statusName,
        bytesWritten: answer.bytesWritten,
        bytesNeeded: answer.bytesNeeded,
        data: Buffer.from(answer.data).toString("hex"),
        decoded,
      });
    }
  }
}

/**
 * The summary of a driver that has adapters and no built-in report (a driver of the user's own):
 * what its adapters answered to OID_GEN_STATISTICS.
 */
function statisticsReports(stats: RunStatistics, reported: ReadonlySet<string>): DriverReport[] {
  const byDriver = new Map<string, AdapterCounters[]>();
  for (const a of stats.adapters) {
    if (reported.has(a.driver)) continue;
    const list = byDriver.get(a.driver) ?? [];
    list.push(a);
    byDriver.set(a.driver, list);
  }
  return [...byDriver].map(([driver, adapters]) => ({
    driver,
    lines: adapters.map((a) =>
      a.source === "OID_GEN_STATISTICS"
        ? `${a.name} (OID_GEN_STATISTICS): received ${a.receivedPackets} frames ${a.receivedBytes} B, sent ${a.sentPackets} frames ${a.sentBytes} B; discarded ${a.receiveDrops} received, ${a.sendDrops} to send; errors ${a.receiveErrors} received, ${a.sendErrors} sending`
        : `${a.name}: OID_GEN_STATISTICS not answered (${a.unanswered ?? "?"}); NDIS counted received ${a.receivedPackets}, sent ${a.sentPackets}, dropped ${a.receiveDrops}`,
    ),
    data: { adapters },
  }));
}

/** Runs a stack; resolves with the process exit code (0 clean, 1 failed or dirty). */
export async function run(
  options: RunOptions,
  out: Output,
  env: RunEnvironment = {},
): Promise<number> {
  const stack = options.stack === undefined ? defaultStack() : await loadStackFile(options.stack);
  const clock = env.clock ?? realClock();
  const signals = env.signals ?? process;
  const spec = stack.spec;
  const durationText = options.duration ?? (options.ui === true ? undefined : spec.run?.duration);
  const runMs = durationText === undefined ? undefined : durationMs(durationText);
  const intervalMs = durationMs(options.interval ?? "1s");
  const capturePath = options.capture ?? spec.capture?.file;
  const oids = (options.oid ?? []).map(oidByName);

  // A signal from here on ends the run the orderly way: after bring-up, with the teardown.
  const cancels: (() => void)[] = [];
  /** Once the stack is up: the live view's actions act on it. */
  let uiReady: ((running: RunningStack) => void) | null = null;
  let stop: (reason: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => {
    stop = resolve;
  });
  const onInt = () => stop("SIGINT");
  const onTerm = () => stop("SIGTERM");
  signals.once("SIGINT", onInt);
  signals.once("SIGTERM", onTerm);
  cancels.push(
    () => signals.off("SIGINT", onInt),
    () => signals.off("SIGTERM", onTerm),
  );

  let capture: Capture | null = null;
  let recording: TraceRecording | null = null;
  let feed: LiveFeed | null = null;
  let server: LiveServer | null = null;
  try {
    if (options.ui === true) {
      const live = LiveFeed.live({
        title: stack.file === DEFAULT_STACK_NAME ? "default stack (hub-ping)" : stack.file,
        now: () => Number(clock.now()) / 1e6,
      });
      feed = live;
      let act: ActionHandler | null = null;
      server = await startLiveServer({
        feed: live,
        ...(options.port === undefined ? {} : { port: options.port }),
        actions: (request) =>
          act === null ? Promise.reject(new Error("the stack is still coming up")) : act(request),
      });
      cancels.push(() => {
        act = null;
      });
      const attach = (running: RunningStack) => {
        act = stackActions(running, live);
        live.setActions(LIVE_ACTIONS);
      };
      uiReady = attach;
      out.line(`live view: ${server.url}  (Ctrl-C stops the stack)`);
      out.record("ui", { url: server.url });
    }
    recording = options.traceFile === undefined ? null : new TraceRecording(options.traceFile);
    capture =
      capturePath === undefined
        ? null
        : new Capture(
            capturePath,
            options.capture === undefined ? spec.capture?.adapters : undefined,
            env.epochNs?.() ?? BigInt(Date.now()) * 1_000_000n,
            clock.now(),
          );
    const running = await startStack(stack, {
      ...(options.ndisVersion === undefined ? {} : { ndisVersion: options.ndisVersion }),
      ...(options.verifier === undefined ? {} : { verifier: options.verifier }),
      acceptDefaultHeaderType: options.acceptDefaultHeaderType === true,
      clock,
      setup: (host) => {
        header(host, stack, out);
        feed?.attach(host);
        if (options.trace === true) host.onTrace((event) => out.trace(event));
        const record = recording;
        if (record !== null) host.onTrace((event) => record.event(event));
        const sink = capture;
        if (sink !== null) host.onFrame((event) => sink.frame(event));
      },
    });
    const { host } = running;
    uiReady?.(running);
    const startedNs = clock.now();
    const elapsedMs = () => Number(clock.now() - startedNs) / 1e6;

    for (const problem of running.problems) out.problem(problem);
    out.record("up", {
      adapters: host.adapters,
      bindings: host.bindings,
      problems: running.problems,
    });
    out.line("");
    out.adapters(host.adapters, host.bindings);
    out.line("");
    const reader = new StatisticsReader(host);
    if (oids.length > 0) {
      await printOids(host, oids, "after bring-up", out);
      out.line("");
    }

    // Link events, on the host clock from now.
    cancels.push(
      running.scheduleEvents((event, error) => {
        const { adapter, up } = event.link;
        if (error !== null) {
          out.problem(`link event at ${event.at}: ${error}`);
          return;
        }
        out.line(`link ${adapter} ${up ? "up" : "down"} at ${event.at}`);
        out.record("link", { adapter, up, at: event.at });
      }),
    );

    // Live counters until the duration is over or a signal comes.
    let ticking = true;
    const ticker = setInterval(() => {
      void reader.read().then((stats) => {
        if (ticking) out.counters(stats, elapsedMs());
      });
    }, intervalMs);
    cancels.push(() => {
      ticking = false;
    });
    cancels.push(() => clearInterval(ticker));
    if (runMs !== undefined) cancels.push(clock.schedule(runMs, () => stop("duration")));
    const reason = await stopped;
    for (const cancel of cancels) cancel();
    const ranMs = elapsedMs();
    // A second signal while the teardown waits (for a driver that never completes something):
    // leave now with what is known, rather than after the watchdogs give up.
    const leave = (signal: string) => () => {
      capture?.close();
      recording?.close();
      out.line("");
      out.problem(`${signal} again: leaving before the teardown finished`);
      const left = host.liveObjects();
      out.line(`live objects now: ${left.length}`);
      for (const object of left)
        out.problem(`left behind: ${object.kind} ${object.name} (${object.driver})`);
      out.violations(host.violations);
      out.record("summary", {
        stack: stack.file === DEFAULT_STACK_NAME ? "default" : stack.file,
        reason: `${reason}, then ${signal}`,
        teardown: "interrupted",
        violations: host.violations.length,
        leaked: left.length,
      });
      (env.exit ?? ((code: number) => process.exit(code)))(130);
    };
    const leaveOnInt = leave("SIGINT");
    const leaveOnTerm = leave("SIGTERM");
    signals.once("SIGINT", leaveOnInt);
    signals.once("SIGTERM", leaveOnTerm);
    cancels.push(
      () => signals.off("SIGINT", leaveOnInt),
      () => signals.off("SIGTERM", leaveOnTerm),
    );
    // The final table below replaces the live one.
    out.endLive();

    out.line("");
    out.line(
      reason === "duration"
        ? `ran ${(ranMs / 1000).toFixed(1)}s; tearing the stack down`
        : `${reason} after ${(ranMs / 1000).toFixed(1)}s; tearing the stack down`,
    );
    // What the drivers counted, read while they are still loaded.
    if (oids.length > 0) {
      await printOids(host, oids, "before teardown", out);
      out.line("");
    }
    const finalStats = await reader.read();
    const builtinReports = running.reports();
    const reports = [
      ...builtinReports,
      ...statisticsReports(finalStats, new Set(builtinReports.map((r) => r.driver))),
    ];
    const teardown = await stopStack(running);
    capture?.close();
    recording?.close();

    out.line("");
    out.counters(finalStats, ranMs, true);
    out.record("stopped", { reason, elapsedMs: Math.round(ranMs) });
    for (const report of reports) {
      out.line("");
      out.line(`${report.driver}:`);
      for (const line of report.lines) out.line(`  ${line}`);
      out.record("report", { driver: report.driver, ...report.data });
    }
    if (capture !== null) {
      out.line("");
      out.line(`capture: ${capture.frames} frames written to ${capturePath}`);
      out.record("capture", { file: capturePath, frames: capture.frames });
    }
    if (recording !== null) {
      out.line("");
      out.line(`trace: ${recording.events} events written to ${options.traceFile}`);
      out.record("traceFile", { file: options.traceFile, events: recording.events });
    }
    for (const problem of teardown.problems) out.problem(problem);
    out.line("");
    const leaked = teardown.liveObjects.length;
    out.line(`live objects after teardown: ${leaked}`);
    for (const object of teardown.liveObjects)
      out.problem(`left behind: ${object.kind} ${object.name} (${object.driver})`);
    out.record("teardown", { liveObjects: teardown.liveObjects });
    out.line("");
    out.violations(host.violations);
    const errors = host.violations.filter((v) => v.severity === "error").length;
    const problems = running.problems.length + teardown.problems.length;
    out.record("summary", {
      stack: stack.file === DEFAULT_STACK_NAME ? "default" : stack.file,
      reason,
      problems,
      violations: host.violations.length,
      errors,
      leaked,
    });
    return problems === 0 && errors === 0 && leaked === 0 ? 0 : 1;
  } finally {
    for (const cancel of cancels) cancel();
    capture?.close();
    recording?.close();
    feed?.close();
    await server?.close();
  }
}
