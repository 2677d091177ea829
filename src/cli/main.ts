#!/usr/bin/env node
/**
 * The `ndis` command line. Each verb lives in commands/; all printing goes through output.ts.
 * Exit codes: 0 success, 1 the stack failed or the verifier found errors, 2 bad usage or input.
 *
 * Start-up is kept short: only commander and the option checks load here; a verb's module (and
 * with it the runtime, the drivers, the suite) is imported when that verb runs.
 */
import { readFileSync } from "node:fs";
import { Command, InvalidArgumentError, Option } from "commander";
import type { VerifierMode } from "../index.js";
import { DURATION, durationMs } from "../stack/duration.js";
import type { StrategyName } from "../verify/index.js";
import type { TraceFormat } from "./commands/trace.js";
import { MIN_INTERVAL_MS, TRACE_FORMAT_CHOICES, VERIFIER_MODE_CHOICES } from "./options.js";

/** The package's version, from its package.json (two levels up from src/cli or dist/cli). */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}

const write = (text: string) => process.stdout.write(text);
// A reader that goes away (`ndis run --json | head`) ends the run quietly, as with other tools.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

function duration(value: string): string {
  if (!DURATION.test(value))
    throw new InvalidArgumentError('expected a duration such as "500ms", "3s" or "2m"');
  return value;
}

function interval(value: string): string {
  duration(value);
  if (durationMs(value) < MIN_INTERVAL_MS)
    throw new InvalidArgumentError(`expected at least ${MIN_INTERVAL_MS}ms`);
  return value;
}

const program = new Command()
  .name("ndis")
  .description("NDIS 6 intermediate drivers in user space: run, trace and verify them")
  .version(packageVersion(), "-V, --version", "print the version of ndis-ts")
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

program
  .command("run")
  .description(
    "bring a stack up, show its counters, tear it down in NDIS order; with no file, two IPv4 hosts ping each other over a hub through the passthrough IM driver",
  )
  .argument("[stack]", "a stack file (YAML or JSON); see docs/stack-file.md")
  .addOption(
    new Option(
      "--ndis-version <version>",
      "NDIS version the host emulates (6.0 … 6.89); default the file's, else 6.89",
    ),
  )
  .addOption(
    new Option("--verifier <mode>", "verifier mode; default the file's, else record").choices(
      VERIFIER_MODE_CHOICES,
    ),
  )
  .option(
    "--duration <time>",
    "run this long (500ms, 3s, 2m); default the file's run.duration, else until Ctrl-C",
    duration,
  )
  .option(
    "--interval <time>",
    `how often to show the counters (at least ${MIN_INTERVAL_MS}ms)`,
    interval,
    "1s",
  )
  .option("--capture <file>", "write every frame crossing an adapter edge to this pcapng file")
  .option("--trace", "print the DDI call trace", false)
  .option(
    "--trace-file <file>",
    "record the trace to this file, one JSON event per line (for `ndis trace`)",
  )
  .option(
    "--accept-default-header-type",
    "accept header Type 0x80 in characteristics, as Windows does for MUX",
    false,
  )
  .option("--json", "print JSON lines (host, counters, reports, violations, summary)", false)
  .option(
    "--ui",
    "serve the live view on 127.0.0.1 (graph, counters, DDI timeline, violations, actions); runs until Ctrl-C unless --duration",
    false,
  )
  .option("--port <n>", "the live view's port (default: a free one)", port)
  .option(
    "--oid <name>",
    "query this OID (OID_GEN_STATISTICS, 0x00010202…) on every adapter after bring-up and before teardown; repeatable",
    (value: string, previous: string[] = []) => [...previous, value],
  )
  .action(
    async (
      stack: string | undefined,
      opts: {
        oid?: string[];
        ui: boolean;
        port?: number;
        ndisVersion?: string;
        verifier?: VerifierMode;
        duration?: string;
        interval: string;
        capture?: string;
        trace: boolean;
        traceFile?: string;
        acceptDefaultHeaderType: boolean;
        json: boolean;
      },
    ) => {
      const { createOutput } = await import("./output.js");
      const { run } = await import("./commands/run.js");
      const out = createOutput(write, {
        json: opts.json,
        live: process.stdout.isTTY === true && !opts.trace,
      });
      process.exitCode = await run(
        {
          ...opts,
          ...(stack === undefined ? {} : { stack }),
        },
        out,
      );
    },
  );

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new InvalidArgumentError("expected a TCP port (1 … 65535)");
  return n;
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number ≥ 1");
  return n;
}

program
  .command("trace")
  .description(
    "export a trace as Chrome trace-event JSON (Perfetto, chrome://tracing) or a Mermaid sequence diagram; a stack file is run on a virtual clock for its run.duration (default 3s) first",
  )
  .argument("<input>", "a recorded trace (.ndjson, .jsonl from run --trace-file) or a stack file")
  .addOption(
    new Option("--format <format>", "what to export")
      .choices(TRACE_FORMAT_CHOICES)
      .default("chrome"),
  )
  .option("-o, --output <file>", "write to this file instead of stdout")
  .option("--max-events <n>", "mermaid: draw at most this many trace events (default 400)", count)
  .action(
    async (input: string, opts: { format: TraceFormat; output?: string; maxEvents?: number }) => {
      const { trace } = await import("./commands/trace.js");
      process.exitCode = await trace({ input, ...opts }, write);
    },
  );

program
  .command("ui")
  .description(
    "show a recorded trace (run --trace-file) in the live view's page, or with --replay the one `ndis verify` run a failure's token names",
  )
  .argument("<input>", "a recorded trace (.ndjson), or with --replay the IM driver module")
  .option("--replay <token>", "replay this `ndis verify` run of <input> and show it")
  .option("--service <name>", "the service name the driver loads under (default imtest)")
  .option("--port <n>", "the port (default: a free one)", port)
  .action(async (input: string, opts: { replay?: string; service?: string; port?: number }) => {
    const { createOutput } = await import("./output.js");
    const { ui } = await import("./commands/ui.js");
    process.exitCode = await ui({ input, ...opts }, createOutput(write, { json: false }));
  });

program
  .command("build")
  .description(
    "compile a C driver written against ndis.h to a WebAssembly module that run, trace, verify and loadDriver accept (clang --target=wasm32 and wasm-ld; docs/c-drivers.md)",
  )
  .argument("[sources...]", "the driver's C files")
  .option("-o, --output <file>", "the module to write (default driver.wasm)")
  .option("-D, --define <macro...>", "define a macro (NAME or NAME=value)")
  .option("-I, --include <dir...>", "add an include directory")
  .option("--headers <dir>", "write ndis.h and the headers it includes to this folder")
  .option(
    "--wpp",
    "WPP tracing: generate the .tmh files from the driver's WPP configuration (default: when a source includes a .tmh)",
  )
  .option("--no-wpp", "do not generate .tmh files, even when a source includes one")
  .option(
    "--wpp-func <signature...>",
    "a WPP trace function the project declares outside its sources (its WppTraceFunction), e.g. 'DEBUGP(LEVEL,MSG,...)'",
  )
  .action(
    async (
      sources: string[],
      opts: {
        output?: string;
        define?: string[];
        include?: string[];
        headers?: string;
        wpp?: boolean;
        wppFunc?: string[];
      },
    ) => {
      const { build } = await import("./commands/build.js");
      const { wppFunc, ...rest } = opts;
      const wpp = wppFunc === undefined ? {} : { wppFunctions: wppFunc };
      process.exitCode = await build({ sources, ...rest, ...wpp }, write, (text) =>
        process.stderr.write(text),
      );
    },
  );

// `ndis verify`: the conformance suite for an IM driver (docs/verify.md).
interface VerifyCliOptions {
  junit?: string;
  only?: string[];
  json: boolean;
  html?: string;
  runs?: number;
  strategy?: StrategyName[];
  seed?: number;
  depth?: number;
  bound?: number;
  plain: boolean;
  shrink: boolean;
  faults: boolean;
  replay?: string;
  service?: string;
  jobs?: number;
  shard?: { index: number; count: number };
  strict: boolean;
  runTimeout?: number;
  save?: string;
  merge?: string[];
  stack?: string;
  registry?: string[];
}

function shard(value: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || index < 1 || count < 1 || index > count)
    throw new InvalidArgumentError("expected K/N with 1 ≤ K ≤ N (this machine's share of N)");
  return { index, count };
}

function strategies(value: string): StrategyName[] {
  const names = value
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  for (const name of names)
    if (name !== "random" && name !== "pct" && name !== "exhaustive")
      throw new InvalidArgumentError(`"${name}" is not a strategy (random, pct, exhaustive)`);
  return names as StrategyName[];
}

program
  .command("verify")
  .description(
    "run the conformance suite against an IM driver module: bring-up and teardown orders, the send/receive matrix, pause under traffic, OIDs, surprise removal, shutdown, power, link status, and races explored under seeded schedules with faults; a failure is shrunk and printed with its replay token",
  )
  .argument(
    "[driver]",
    "the driver module: a file path, a built-in driver id (vlan-mux, team, capture, …) or a package specifier",
  )
  .option("--junit <file>", "write JUnit XML (one testcase per scenario) to this file")
  .option("--only <names>", "run only these scenarios (comma-separated)", (value: string) =>
    value
      .split(",")
      .map((name) => name.trim())
      .filter((name) => name !== ""),
  )
  .option("--json", "print JSON lines (one per scenario, then a summary)", false)
  .option("--html <file>", "write a self-contained HTML report (a sequence diagram per failure)")
  .option("--runs <n>", "explored runs per scenario after the plain one (default 100)", count)
  .option(
    "--strategy <names>",
    "random, pct and/or exhaustive, comma-separated, taken in turn (default random)",
    strategies,
  )
  .option("--seed <n>", "the first seed; run i uses seed + i (default 1)", count)
  .option("--depth <d>", "PCT's bug depth: d - 1 priority change points (default 3)", count)
  .option("--bound <b>", "exhaustive: at most b non-plain choices per run (default 2)", count)
  .option("--plain", "only the plain run of each scenario (FIFO order, no faults)", false)
  .option("--no-shrink", "report a failing run as found, without shrinking its choice list")
  .option(
    "--no-faults",
    "inject no faults (allocation failures, pended opens and closes, link flaps, send and OID cancels)",
  )
  .option("--replay <token>", "replay one run from the token a failure printed, traced")
  .option("--service <name>", "the service name the driver loads under (default imtest)")
  .option(
    "--jobs <n>",
    "run scenarios on n worker threads (default: the number of cores); the driver runs where it can be stopped",
    count,
  )
  .option(
    "--shard <K/N>",
    "run only this machine's share K of N of the scenarios (CI matrix)",
    shard,
  )
  .option("--strict", "fail a scenario whose exploration was incomplete (not exhaustive)", false)
  .option(
    "--run-timeout <s>",
    "stop the driver when a run takes longer than s seconds of real time (default 30)",
    count,
  )
  .option("--save <file>", "write the whole report as JSON (for --merge)")
  .option(
    "--stack <file>",
    "configure the driver from a stack file: the driver marked verify: true (or the one with this module), its registry, its bindings' values and lower adapters, the devices' parameters",
  )
  .option(
    "--registry <values...>",
    "registry values the driver reads: key=value (its Parameters), binding.key=value (every lower binding), DEVICE.key=value (a device's parameters), or a YAML/JSON file of them",
  )
  .option(
    "--merge <files...>",
    "combine the reports of shards (--save or --json output) into one: totals, --junit, --html",
  )
  .action(async (driver: string | undefined, opts: VerifyCliOptions) => {
    const { createOutput } = await import("./output.js");
    const { verify, VerifyUsageError } = await import("./commands/verify.js");
    const out = createOutput(write, { json: opts.json, live: false });
    const progress =
      process.stderr.isTTY === true && !opts.json
        ? (text: string) => process.stderr.write(`\r\x1b[2K${text}`)
        : undefined;
    if (driver === undefined && opts.merge === undefined)
      throw new VerifyUsageError("name the driver module to verify (or --merge shard reports)");
    const { runTimeout, ...rest } = opts;
    process.exitCode = await verify(
      {
        driver: driver ?? "",
        ...rest,
        ...(runTimeout === undefined ? {} : { runTimeoutMs: runTimeout * 1000 }),
        ...(progress === undefined ? {} : { progress }),
      },
      out,
    );
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // The error classes are looked up by name: their modules load only with their verbs.
  const name = err instanceof Error ? err.name : "";
  const { NdisError } = await import("../index.js");
  if (name === "StackFileError") {
    process.stderr.write(`ndis: the stack file is not valid:\n${(err as Error).message}\n`);
    process.exitCode = 2;
  } else if (
    name === "TraceInputError" ||
    name === "VerifyUsageError" ||
    name === "UiInputError" ||
    name === "OidNameError"
  ) {
    process.stderr.write(`ndis: ${(err as Error).message}\n`);
    process.exitCode = 2;
  } else if (NdisError.is(err)) {
    process.stderr.write(`ndis: ${err.message}\n`);
    process.exitCode = err.code === "NDIS_ERR_BUGCHECK" || err.code === "NDIS_ERR_TIMEOUT" ? 1 : 2;
  } else {
    throw err;
  }
}
