/**
 * Bringing a described stack up on an NdisHost and taking it down again, in NDIS order: drivers
 * load in file order (DriverEntry registers their edges), then devices arrive in file order (each
 * one initialized, bound and restarted, IM virtual miniports started on the way); teardown removes
 * the physical devices last-added first (what is above each is paused and unbound first, virtual
 * miniports halted by their IM driver) and unloads the drivers in reverse.
 */
import { resolve } from "node:path";
import {
  type BindingPath,
  type DRIVER_OBJECT,
  type HostClock,
  type LiveObject,
  NdisError,
  NdisHost,
  NT_SUCCESS,
  ndisStatusToString,
  realClock,
  type TraceEvent,
  type VerifierMode,
} from "../index.js";
import {
  type BuiltinDriver,
  builtinDriver,
  type DriverReport,
  isModulePath,
  withFiles,
} from "./builtins.js";
import { formatProblem, type Stack } from "./load.js";
import { durationMs, type LinkEventEntry } from "./schema.js";
import { didYouMean } from "./suggest.js";

export interface StartStackOptions {
  /** Overrides the file's `ndis.version`. */
  readonly ndisVersion?: string;
  /** Overrides the file's `ndis.verifier`; default "record". */
  readonly verifier?: VerifierMode;
  readonly acceptDefaultHeaderType?: boolean;
  /** The host clock; default the real one. Tests pass a ManualClock. */
  readonly clock?: HostClock;
  /** Called with the new host before any driver loads (subscribe to the trace, frames…). */
  readonly setup?: (host: NdisHost) => void;
}

/** One driver of the stack, as loaded. */
export interface LoadedDriver {
  readonly name: string;
  readonly module: string;
  readonly status: number;
  readonly driverObject: DRIVER_OBJECT;
  readonly builtin: BuiltinDriver | undefined;
}

export interface RunningStack {
  readonly host: NdisHost;
  readonly stack: Stack;
  readonly drivers: readonly LoadedDriver[];
  /** Physical adapters that came up (not Halted after their arrival). */
  readonly adapters: readonly string[];
  /** What went wrong on the way up: a DriverEntry or an adapter that failed. */
  readonly problems: readonly string[];
  /** Sets an adapter's link up or down through its driver (hub). */
  setLink(adapter: string, up: boolean): void;
  /**
   * Hands an adapter a frame as if it arrived from the wire (hub adapters); says what became of
   * it ("queued", "filtered", …).
   */
  inject(adapter: string, frame: Uint8Array): string;
  /** The built-in drivers' own counters. */
  reports(): readonly DriverReport[];
  /**
   * Schedules the file's `run.events` on the host clock, from now; `onEvent` hears each one as it
   * happens (with why it failed, or null). Returns a function that cancels those not yet due.
   */
  scheduleEvents(onEvent?: (event: LinkEventEntry, error: string | null) => void): () => void;
}

const list = (names: readonly string[]) =>
  names.length === 0 ? "(none)" : names.map((n) => JSON.stringify(n)).join(", ");

/**
 * What the file names that the running stack does not have — a binding path whose protocol or
 * adapter matches nothing, a registry value no driver read — each as `file:line:col: …` with a
 * "did you mean". Each is a problem (`ndis run` exits 1): a misspelt name silently binds nothing
 * or leaves a driver on its default, which is exactly what a newcomer cannot see.
 */
function unmatchedNames(stack: Stack, host: NdisHost, loaded: readonly LoadedDriver[]): string[] {
  const spec = stack.spec;
  const out: string[] = [];
  const didNotLoad = new Set(
    spec.drivers.filter((d) => !loaded.some((l) => l.name === d.name)).map((d) => d.name),
  );
  if (spec.bindings !== "all") {
    const protocols = host.drivers.flatMap((d) => d.protocolDrivers.map((p) => p.name));
    const adapters = host.adapters.map((a) => a.name);
    spec.bindings.forEach((b, i) => {
      if (!protocols.includes(b.protocol)) {
        if (didNotLoad.has(b.protocol)) return; // reported with its DriverEntry
        out.push(
          formatProblem(
            stack,
            ["bindings", i, "protocol"],
            `no protocol named ${JSON.stringify(b.protocol)} is registered: expected one of ${list(protocols)}${didYouMean(b.protocol, protocols)}`,
          ),
        );
      } else if (!adapters.includes(b.adapter)) {
        const listed = spec.adapters.some((a) => a.name === b.adapter);
        if (listed) return; // it failed to come up: reported already
        out.push(
          formatProblem(
            stack,
            ["bindings", i, "adapter"],
            `no adapter named ${JSON.stringify(b.adapter)} exists: expected one of ${list(adapters)}${didYouMean(b.adapter, adapters)}`,
          ),
        );
      }
    });
  }
  for (const u of host.unreadRegistryValues()) {
    let path: (string | number)[] | null = null;
    if (u.scope === "driver") {
      const i = spec.drivers.findIndex((d) => d.name === u.owner);
      if (i >= 0) path = ["drivers", i, "registry", u.name];
    } else if (u.scope === "adapter") {
      const i = spec.adapters.findIndex((a) => a.name === u.owner);
      if (i >= 0) path = ["adapters", i, "registry", u.name];
      else if (spec.devices?.[u.owner] !== undefined) path = ["devices", u.owner, u.name];
    } else if (spec.bindings !== "all") {
      const i = spec.bindings.findIndex((b) => `${b.protocol} → ${b.adapter}` === u.owner);
      if (i >= 0) path = ["bindings", i, "registry", u.name];
    }
    if (path === null) continue;
    out.push(
      formatProblem(
        stack,
        path,
        `registry value ${JSON.stringify(u.name)} was never read by ${u.driver}${u.read.length === 0 ? " (it read no value under this key)" : ` (it read ${u.read.join(", ")})`}${didYouMean(u.name, u.read)}`,
        true,
      ),
    );
  }
  return out;
}

/** Brings `stack` up on a new NdisHost. Rejects only on host misuse (NdisError). */
export async function startStack(
  stack: Stack,
  options: StartStackOptions = {},
): Promise<RunningStack> {
  const spec = stack.spec;
  const bindings =
    spec.bindings === "all"
      ? "all"
      : spec.bindings.map(
          (b): BindingPath =>
            b.registry === undefined
              ? { protocol: b.protocol, adapter: b.adapter }
              : { protocol: b.protocol, adapter: b.adapter, registry: b.registry },
        );
  const clock = options.clock ?? realClock();
  const host = new NdisHost({
    ndisVersion: options.ndisVersion ?? spec.ndis?.version ?? "6.89",
    verifier: options.verifier ?? spec.ndis?.verifier ?? "record",
    acceptDefaultHeaderType: options.acceptDefaultHeaderType === true,
    bindings,
    clock,
  });
  host.observe();
  options.setup?.(host);
  for (const [device, registry] of Object.entries(spec.devices ?? {}))
    host.setDeviceParameters(device, registry);

  const drivers: LoadedDriver[] = [];
  const problems: string[] = [];
  for (const entry of spec.drivers) {
    const builtin = isModulePath(entry.module) ? undefined : builtinDriver(entry.module);
    const module = builtin?.module ?? resolve(stack.baseDir, entry.module);
    const driverRegistry = withFiles(entry.registry, builtin?.driverFileKeys, stack.baseDir);
    // Why a DriverEntry failed, without --trace: the DDI calls that failed during it and what the
    // verifier said.
    const failed: TraceEvent[] = [];
    let ddiCalls = 0;
    const stopListening = host.onTrace((event) => {
      if (event.kind === "ddi") ddiCalls++;
      if (
        event.kind === "ddi" &&
        event.phase === "return" &&
        event.status !== undefined &&
        !NT_SUCCESS(event.status)
      )
        failed.push(event);
    });
    const violationsBefore = host.violations.length;
    let loaded: { status: number; driverObject: DRIVER_OBJECT };
    try {
      loaded = await host.loadDriver({
        name: entry.name,
        module,
        ...(driverRegistry === undefined ? {} : { registry: driverRegistry }),
        ...(entry.filter === undefined ? {} : { filter: entry.filter }),
      });
    } finally {
      stopListening();
    }
    const { status, driverObject } = loaded;
    if (NT_SUCCESS(status)) {
      drivers.push({ name: entry.name, module: entry.module, status, driverObject, builtin });
    } else {
      const reasons = [
        ...failed.map(
          (e) =>
            `${e.name} returned ${ndisStatusToString(e.status ?? 0)}${e.detail === undefined ? "" : ` (${e.detail})`}`,
        ),
        ...host.violations.slice(violationsBefore).map((v) => `${v.rule}: ${v.message}`),
      ];
      problems.push(
        `driver ${entry.name}: DriverEntry returned ${ndisStatusToString(status)}${
          reasons.length > 0
            ? `: ${reasons.slice(0, 4).join("; ")}`
            : ddiCalls === 0
              ? ': none of its NDIS calls reached this host — a driver module that imports another copy of ndis-ts (a second installation, or the package loaded once as CommonJS and once as an ES module: give the driver\'s package "type": "module") calls that copy\'s NDIS; import ndis-ts/ddi from the installation that runs it'
              : " (no NDIS call failed in it: the driver chose that status itself)"
        }`,
      );
    }
  }

  const adapters: string[] = [];
  const ifIndexes = new Map<number, string>();
  for (const entry of spec.adapters) {
    const driver = drivers.find((d) => d.name === entry.driver);
    if (driver === undefined) {
      problems.push(`adapter ${entry.name}: its driver ${entry.driver} did not load`);
      continue;
    }
    const registry = withFiles(entry.registry, driver.builtin?.fileKeys, stack.baseDir);
    const info = await host.addAdapter({
      driver: entry.driver,
      name: entry.name,
      ...(registry === undefined ? {} : { registry }),
    });
    if (info.state === "Halted") {
      const why = driver.builtin?.explainFailure?.(driver.driverObject, {
        name: entry.name,
        ifIndex: info.ifIndex,
      });
      problems.push(
        `adapter ${entry.name}: MiniportInitializeEx failed${why === undefined ? "" : `: ${why}`}`,
      );
    } else {
      adapters.push(entry.name);
      ifIndexes.set(info.ifIndex, entry.name);
    }
  }

  await host.settle();
  problems.push(...unmatchedNames(stack, host, drivers));

  /** An adapter of the file whose built-in driver has `control`, and the adapter as it knows it. */
  const controlOf = <K extends "setLink" | "inject">(adapter: string, control: K, can: string) => {
    const name = spec.adapters.find((a) => a.name === adapter)?.driver;
    const driver = drivers.find((d) => d.name === name);
    const fn = driver?.builtin?.[control];
    if (driver === undefined || fn === undefined) {
      throw new NdisError(
        "NDIS_ERR_INVALID_ARGUMENT",
        `adapter ${adapter}: its driver cannot ${can}`,
      );
    }
    const ifIndex = [...ifIndexes].find(([, n]) => n === adapter)?.[0] ?? 0;
    return { fn: fn as NonNullable<BuiltinDriver[K]>, driver, ref: { name: adapter, ifIndex } };
  };
  const setLink = (adapter: string, up: boolean): void => {
    const { fn, driver, ref } = controlOf(
      adapter,
      "setLink",
      "set the link (only hub and tap adapters can)",
    );
    fn(driver.driverObject, ref, up);
  };
  const inject = (adapter: string, frame: Uint8Array): string => {
    const { fn, driver, ref } = controlOf(
      adapter,
      "inject",
      "take a frame from outside (only hub adapters can)",
    );
    return fn(driver.driverObject, ref, frame);
  };

  return {
    host,
    stack,
    drivers,
    adapters,
    problems,
    setLink,
    inject,
    scheduleEvents(onEvent) {
      const cancels = (spec.run?.events ?? []).map((event) =>
        clock.schedule(durationMs(event.at), () => {
          let error: string | null = null;
          try {
            setLink(event.link.adapter, event.link.up);
          } catch (err) {
            error = err instanceof Error ? err.message : String(err);
          }
          onEvent?.(event, error);
        }),
      );
      return () => {
        for (const cancel of cancels) cancel();
      };
    },
    reports() {
      const out: DriverReport[] = [];
      for (const d of drivers) {
        const report = d.builtin?.report?.(
          d.driverObject,
          d.name,
          (ifIndex) => ifIndexes.get(ifIndex) ?? `IfIndex ${ifIndex}`,
        );
        if (report !== undefined) out.push(report);
      }
      return out;
    },
  };
}

/**
 * Tears the stack down in NDIS order: physical adapters removed last-added first, then drivers
 * unloaded in reverse load order. Resolves with what NDIS still holds afterwards (empty when
 * nothing leaked) and anything that got in the way.
 */
export async function stopStack(
  running: RunningStack,
): Promise<{ readonly liveObjects: readonly LiveObject[]; readonly problems: readonly string[] }> {
  const { host } = running;
  const problems: string[] = [];
  const attempt = async (what: string, action: () => Promise<void>) => {
    try {
      await action();
    } catch (err) {
      if (!NdisError.is(err)) throw err;
      problems.push(`${what}: ${err.message}`);
    }
  };
  for (const name of [...running.adapters].reverse()) {
    if (host.adapter(name) !== undefined)
      await attempt(`removing ${name}`, () => host.removeAdapter(name));
  }
  for (const driver of [...running.drivers].reverse()) {
    if (host.driver(driver.name) !== undefined)
      await attempt(`unloading ${driver.name}`, () => host.unloadDriver(driver.name));
  }
  return { liveObjects: host.liveObjects(), problems };
}
