/**
 * The conformance suite's pieces that run a scenario wherever it runs — in this thread or on a
 * worker (worker.ts): the driver's import and kind check, which scenarios apply, one scenario's
 * plain run, a stretch of its sampled runs, its failure report, and a replayed run. index.ts
 * composes them into runConformance (with pool.ts for `--jobs`).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type DriverModule, importModuleFile, NDIS_STATUS_SUCCESS } from "../index.js";
import {
  explore,
  parseToken,
  reportFailure,
  runOnce,
  type SampleRange,
  sampleRange,
  sampleSpec,
  specToken,
} from "./explore.js";
import { type ConformanceOptions, resultOf, type ScenarioResult } from "./result.js";
import { BringUpFailed, type DriverKind, Rig, type VerifyConfig } from "./rig.js";
import { DEFAULT_KINDS, SCENARIOS, type Scenario } from "./scenarios.js";

/** The scenarios, in the order they run. */
export function conformanceScenarios(): readonly Scenario[] {
  return SCENARIOS;
}

/** A driver under test called process.exit: thrown in its call instead, so it cannot end a run as a pass. */
export class DriverExit extends Error {
  override name = "DriverExit";
}

/** Runs `work` with process.exit turned into a DriverExit thrown at the caller (the driver). */
async function guardExit<T>(work: () => Promise<T>): Promise<T> {
  const exit = process.exit;
  process.exit = ((code?: number | string | null) => {
    throw new DriverExit(
      `the driver called process.exit(${code ?? ""}); a driver never ends the process`,
    );
  }) as typeof process.exit;
  try {
    return await work();
  } finally {
    process.exit = exit;
  }
}

/** Runs `scenario`: the plain run, then (unless `plain`) the explorer's runs. */
export function runScenario(
  scenario: Scenario,
  module: DriverModule | string,
  options: ConformanceOptions = {},
): Promise<ScenarioResult> {
  const skipped = notFor(scenario, options.kind ?? "im");
  if (skipped !== null)
    return Promise.resolve({
      ...resultOf(scenario, performance.now(), 0, 0, null, null),
      skipped,
    });
  const kind = options.kind ?? "im";
  return guardExit(() => scenarioRuns(scenario, module, options)).then((r) => ({ ...r, kind }));
}

/**
 * `--jobs`: the sampled runs `from` … `to` − 1 of `scenario` (`sampleSpec`; -1 is the plain
 * run), stopping at the first failing one. pool.ts splits a scenario's runs into such stretches
 * and puts the result together as `explore` would have.
 */
export function runSamples(
  scenario: Scenario,
  module: DriverModule | string,
  options: ConformanceOptions,
  from: number,
  to: number,
  onRun?: (runs: number) => void,
): Promise<SampleRange> {
  return guardExit(() => sampleRange(scenario, module, from, to, options, onRun));
}

/**
 * `--jobs`: the result of a scenario whose first failing run is the sample at `found.index`
 * (the lowest failing index over all stretches — the run a single thread would have stopped
 * at), after `found.runs` runs and `found.steps` steps: that run made again, shrunk and traced.
 */
export function failedScenario(
  scenario: Scenario,
  module: DriverModule | string,
  options: ConformanceOptions,
  found: {
    readonly index: number;
    readonly runs: number;
    readonly steps: number;
    readonly ms: number;
  },
): Promise<ScenarioResult> {
  const kind = options.kind ?? "im";
  return guardExit(async () => {
    const started = performance.now();
    const spec = sampleSpec(found.index, options);
    const first = await runOnce(scenario, module, spec, options);
    const firstBug = { runs: found.runs, ms: found.ms };
    if (first.passed) {
      // Only a driver whose runs depend on more than their schedule (state kept from one run
      // to the next) gets here: say so rather than report a pass or a failure that won't replay.
      const result = resultOf(
        scenario,
        started,
        found.runs,
        found.steps,
        null,
        { spec },
        false,
        firstBug,
      );
      return {
        ...result,
        kind,
        status: "fail",
        failure: `${specToken(scenario.name, spec)} failed on one worker thread and passed when made again on another: the driver's runs depend on more than their schedule (state kept from one run to the next?)`,
      };
    }
    const reported = await reportFailure(scenario, module, first, options);
    return {
      ...resultOf(
        scenario,
        started,
        found.runs,
        found.steps,
        reported.failure,
        first,
        false,
        firstBug,
      ),
      kind,
    };
  });
}

const KIND_NAMES: Record<DriverKind, string> = {
  im: "an intermediate driver",
  filter: "a filter driver",
  miniport: "a miniport driver",
  protocol: "a protocol driver",
};

/** Why `scenario` does not apply to a driver of `kind`, or null when it does. */
export function notFor(scenario: Scenario, kind: DriverKind): string | null {
  const kinds = scenario.kinds ?? DEFAULT_KINDS;
  if (kinds.includes(kind)) return null;
  return `not for ${KIND_NAMES[kind]} (it checks ${kinds.map((k) => KIND_NAMES[k]).join(" or ")})`;
}

async function scenarioRuns(
  scenario: Scenario,
  module: DriverModule | string,
  options: ConformanceOptions,
): Promise<ScenarioResult> {
  const started = performance.now();
  if (options.plain === true) {
    const run = await runOnce(scenario, module, { kind: "fifo" }, { ...options, trace: true });
    return resultOf(
      scenario,
      started,
      1,
      run.steps,
      run.passed ? null : run,
      run.passed ? null : run,
      false,
      run.passed ? null : { runs: 1, ms: performance.now() - started },
    );
  }
  const exploration = await explore(scenario, module, options);
  return resultOf(
    scenario,
    started,
    exploration.runs,
    exploration.steps,
    exploration.failure,
    exploration.found,
    exploration.complete,
    exploration.runsToBug === null
      ? null
      : { runs: exploration.runsToBug, ms: exploration.msToBug ?? 0 },
  );
}

/** Replays one run from its token (`scenario:random:SEED`, `scenario:picks:LIST`, …), traced. */
export async function replayRun(
  token: string,
  module: DriverModule | string,
  options: ConformanceOptions = {},
): Promise<ScenarioResult> {
  const { scenario: name, spec } = parseToken(token);
  const suite = options.scenarios ?? SCENARIOS;
  const scenario = suite.find((s) => s.name === name);
  if (scenario === undefined)
    throw new Error(
      `replay token "${token}": no scenario named ${name}; the scenarios are ${suite.map((s) => s.name).join(", ")}`,
    );
  const started = performance.now();
  const driver = typeof module === "string" ? await importDriver(module) : module;
  const kind =
    options.kind ??
    (await checkDriverKind(
      driver,
      options.service ?? "imtest",
      typeof module === "string" ? module : "the module",
      options.config,
    ));
  assertCovered(kind, typeof module === "string" ? module : "the module");
  const skipped = notFor(scenario, kind);
  if (skipped !== null) throw new Error(`replay token "${token}": ${scenario.name} is ${skipped}`);
  const run = await runOnce(scenario, driver, spec, { ...options, kind, trace: true });
  const result = resultOf(scenario, started, 1, run.steps, run.passed ? null : run, null);
  return {
    ...result,
    replay: specToken(scenario.name, spec),
    choices: run.picks,
    decisions: run.decisions,
    events: run.events,
    states: run.states,
    refused: run.refused,
  };
}

/**
 * Imports a driver module from a file path (relative to the working directory) or a package
 * specifier, once, so every scenario loads the same module without waiting on the file system.
 */
export async function importDriver(specifier: string): Promise<DriverModule> {
  const target = existsSync(specifier) ? pathToFileURL(resolve(specifier)).href : specifier;
  const module = (await importModuleFile(target)) as Partial<DriverModule>;
  if (typeof module.DriverEntry !== "function")
    throw new Error(`${specifier} does not export a DriverEntry function`);
  return module as DriverModule;
}

/**
 * The scenarios `only` names (all when absent), in suite order, and of those the `shard`'s share:
 * the K-th of N takes every N-th from the K-th on, so the shards together are exactly the whole.
 */
export function selectScenarios(
  only: readonly string[] | undefined,
  shard?: { readonly index: number; readonly count: number },
  suite: readonly Scenario[] = SCENARIOS,
): Scenario[] {
  const chosen = suite.filter((s) => only === undefined || only.includes(s.name));
  if (shard === undefined) return chosen;
  if (
    !Number.isInteger(shard.count) ||
    !Number.isInteger(shard.index) ||
    shard.count < 1 ||
    shard.index < 1 ||
    shard.index > shard.count
  )
    throw new Error(`shard ${shard.index}/${shard.count}: expected K/N with 1 ≤ K ≤ N`);
  return chosen.filter((_, i) => i % shard.count === shard.index - 1);
}

/** The module is not a driver the suite can verify: one clear error instead of a failure per scenario. */
export class NotAnImDriver extends Error {
  override name = "NotAnImDriver";
}

/**
 * Loads the driver once on a plain host and tells what kind it is from what its DriverEntry
 * registered: a filter driver (NdisFRegisterFilterDriver), an intermediate driver (an
 * intermediate miniport edge and a protocol edge), a miniport driver alone, or a protocol driver
 * alone. A DriverEntry that fails or registers nothing is one clear error (NotAnImDriver).
 */
export async function checkDriverKind(
  driver: DriverModule,
  service: string,
  what: string,
  config?: VerifyConfig,
): Promise<DriverKind> {
  const rig = new Rig({ module: driver, service });
  let problem: string | null = null;
  let kind: DriverKind | null = null;
  try {
    const result = await guardExit(() =>
      rig.drive(
        `loading ${service}`,
        rig.host.loadDriver({
          name: service,
          module: driver,
          ...(config?.driver === undefined ? {} : { registry: config.driver }),
        }),
      ),
    );
    const info = rig.host.driver(service);
    const miniports = info?.miniportDrivers ?? [];
    const protocols = info?.protocolDrivers ?? [];
    const filters = info?.filterDrivers ?? [];
    if (result.status !== NDIS_STATUS_SUCCESS) {
      const violation = rig.host.violations[0];
      problem = `its DriverEntry returned 0x${(result.status >>> 0).toString(16)}${violation === undefined ? "" : ` (${violation.rule}: ${violation.message})`}`;
    } else if (filters.length > 0) kind = "filter";
    else if (miniports.some((m) => m.intermediate) && protocols.length > 0) kind = "im";
    else if (miniports.some((m) => m.intermediate))
      problem = "its DriverEntry registered an intermediate miniport edge but no protocol edge";
    else if (miniports.length > 0 && protocols.length === 0) kind = "miniport";
    else if (protocols.length > 0 && miniports.length === 0) kind = "protocol";
    else if (miniports.length > 0)
      problem =
        "its DriverEntry registered a miniport that is not intermediate and a protocol (an IM driver's miniport edge needs NDIS_INTERMEDIATE_DRIVER)";
    else problem = "its DriverEntry registered nothing";
    if (rig.host.driver(service) !== undefined)
      await rig.drive(`unloading ${service}`, rig.host.unloadDriver(service)).catch(() => {});
  } catch (err) {
    problem = `loading it failed: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (problem !== null || kind === null)
    throw new NotAnImDriver(
      `${what} is not an NDIS driver ndis verify can check: ${problem ?? "unknown"}. The suite needs a DriverEntry that registers a filter driver (NdisFRegisterFilterDriver), an intermediate driver (NdisMRegisterMiniportDriver with NDIS_INTERMEDIATE_DRIVER and NdisRegisterProtocolDriver), a miniport driver or a protocol driver; see docs/verify.md`,
    );
  return kind;
}

/**
 * Throws NotAnImDriver when no scenario of the suite applies to `kind`: a driver the suite
 * cannot check is one clear error, never an empty pass.
 */
export function assertCovered(kind: DriverKind, what: string): void {
  if (SCENARIOS.some((s) => notFor(s, kind) === null)) return;
  throw new NotAnImDriver(
    `${what} is ${KIND_NAMES[kind]}: ndis verify has no scenarios for ${KIND_NAMES[kind]} alone yet (it checks filter drivers and intermediate drivers); see docs/verify.md`,
  );
}

/**
 * The driver under test did not come up on the suite's rig in the plain order: every scenario
 * would fail the same way, so the suite runs none and says once what did not happen.
 */
export class DriverNotUp extends Error {
  override name = "DriverNotUp";
}

/**
 * Brings the stack up once as the scenarios do (FIFO order, no faults, the configuration given)
 * and throws DriverNotUp when a bring-up check fails — no virtual miniport started, no bind, an
 * adapter whose MiniportInitializeEx failed — usually a driver that needs configuration it was not
 * given. A bring-up that breaks a rule of NDIS instead is left to the scenarios to report.
 */
export async function checkBringUp(
  driver: DriverModule,
  service: string,
  kind: DriverKind,
  what: string,
  config?: VerifyConfig,
): Promise<void> {
  const rig = new Rig({
    module: driver,
    service,
    kind,
    ...(config === undefined ? {} : { config }),
  });
  let failed: BringUpFailed | null = null;
  try {
    await guardExit(() => rig.up());
  } catch (err) {
    if (err instanceof BringUpFailed && rig.violations().length === 0) failed = err;
  }
  // What came up goes down again: a miniport's edge in the real world (vxlan's socket, the
  // macvtap tap makes) must not outlive the check. A teardown that fails is the scenarios' to show.
  try {
    await guardExit(() => rig.down());
  } catch {
    // The scenarios run the same teardown and report what goes wrong in it.
  }
  if (failed === null) return;
  const configured = config !== undefined && Object.keys(config).length > 0;
  throw new DriverNotUp(
    `${what} did not come up on the suite's rig (${KIND_NAMES[kind]}, bring-up in the plain order, no faults): ${failed.message}; no scenario was run. ${
      configured
        ? "Check the configuration given (--stack, --registry)"
        : "A driver that needs configuration gets it with --stack <file> (its entry in a stack file) or --registry key=value (its registry values)"
    }; see docs/verify.md#configured-drivers---stack-and---registry`,
  );
}
