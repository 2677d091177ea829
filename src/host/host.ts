/**
 * NdisHost: the emulated operating system around one NDIS. It loads driver modules (creating the
 * DRIVER_OBJECT and calling DriverEntry, as the I/O manager does), unloads them, and shows what
 * NDIS holds: drivers and their registered edges, the DDI trace, and the verifier's findings.
 *
 * Several hosts can live in one process; each is a separate machine.
 */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { NdisError } from "../ndis/errors.js";
import { PASSIVE_LEVEL } from "../ndis/irql.js";
import { ndisObjectTypeToString } from "../ndis/object-header.js";
import {
  isNdisStatusValue,
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NT_SUCCESS,
} from "../ndis/status.js";
import type { DRIVER_OBJECT } from "../ndis/types.js";
import {
  NDIS_LATEST_RUNTIME_VERSION,
  type NdisVersionInfo,
  ndisVersionByRuntimeVersion,
  parseNdisVersion,
} from "../ndis/version.js";
import { callDriver, describeThrown } from "../runtime/core/context.js";
import {
  createDriverRecord,
  type DriverRecord,
  liveRegistrations,
  type RegistryValue,
  retireDriver,
} from "../runtime/core/driver.js";
import { type AllocationSite, NdisRuntime } from "../runtime/core/runtime.js";
import type { TraceListener } from "../runtime/core/trace.js";
import { VERIFIER_MODES, type VerifierMode, type Violation } from "../verifier/violation.js";

export type { AllocationSite, RegistryValue };

export interface NdisHostOptions {
  /**
   * The NDIS version this host emulates, as NdisGetVersion returns it: `(major << 16) | minor`
   * (NDIS_RUNTIME_VERSION_630), or a string such as "6.30". Default 6.89.
   */
  readonly ndisVersion?: number | string;
  /** Default `strict`. */
  readonly verifier?: VerifierMode;
  /**
   * Accept header Type NDIS_OBJECT_TYPE_DEFAULT (0x80) in characteristics tables, as Windows does
   * for Microsoft's MUX sample. Default false: only the documented types are accepted.
   */
  readonly acceptDefaultHeaderType?: boolean;
}

/** A driver module: what `import()` of a driver file gives. */
export interface DriverModule {
  readonly DriverEntry: (DriverObject: DRIVER_OBJECT, RegistryPath: string) => unknown;
}

export interface LoadDriverOptions {
  /** The service name (`passthrough`): the DRIVER_OBJECT is `\Driver\<name>`. */
  readonly name: string;
  /** The driver module, or a path / package specifier to import it from. */
  readonly module: DriverModule | string;
  /** The driver's Parameters registry values. */
  readonly registry?: Readonly<Record<string, RegistryValue>>;
}

export interface LoadDriverResult {
  /** What DriverEntry returned (NDIS_STATUS_FAILURE if it threw or returned a non-status). */
  readonly status: NDIS_STATUS;
  readonly driverObject: DRIVER_OBJECT;
}

/** One registered miniport edge. */
export interface MiniportEdgeInfo {
  readonly intermediate: boolean;
  readonly ndisVersion: string;
  readonly revision: number;
  readonly headerType: string;
  /** The entry points NDIS will call. */
  readonly handlers: readonly string[];
  /** Entry points the driver supplied that NDIS ignores (CheckForHang/Reset of an IM driver). */
  readonly ignoredHandlers: readonly string[];
  readonly optionalHandlers: readonly string[];
  /** Name of the protocol edge associated with NdisIMAssociateMiniport. */
  readonly associatedProtocol: string | null;
}

/** One registered protocol edge. */
export interface ProtocolEdgeInfo {
  readonly name: string;
  readonly ndisVersion: string;
  readonly revision: number;
  readonly headerType: string;
  readonly handlers: readonly string[];
  readonly optionalHandlers: readonly string[];
  readonly associatedWithMiniport: boolean;
}

export interface DriverInfo {
  readonly name: string;
  readonly driverName: string;
  readonly registryPath: string;
  readonly state: "loading" | "loaded" | "unloading";
  readonly miniportDrivers: readonly MiniportEdgeInfo[];
  readonly protocolDrivers: readonly ProtocolEdgeInfo[];
}

const SERVICE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

function resolveVersion(value: number | string | undefined): NdisVersionInfo {
  const version =
    value === undefined
      ? ndisVersionByRuntimeVersion(NDIS_LATEST_RUNTIME_VERSION)
      : typeof value === "number"
        ? ndisVersionByRuntimeVersion(value)
        : parseNdisVersion(value);
  if (version === undefined) {
    throw new NdisError(
      "NDIS_ERR_INVALID_OPTION",
      `ndisVersion ${typeof value === "number" ? `0x${value.toString(16)}` : JSON.stringify(value)} is not an NDIS 6 version (6.0, 6.1, 6.20 … 6.89)`,
    );
  }
  return version;
}

function checkRegistry(name: string, registry: unknown): Map<string, RegistryValue> {
  if (registry === undefined) return new Map();
  if (typeof registry !== "object" || registry === null || Array.isArray(registry)) {
    throw new NdisError(
      "NDIS_ERR_INVALID_ARGUMENT",
      `registry of driver ${name} must be an object of values`,
    );
  }
  const map = new Map<string, RegistryValue>();
  for (const [key, value] of Object.entries(registry)) {
    const ok =
      (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 0xffffffff) ||
      typeof value === "string" ||
      value instanceof Uint8Array ||
      (Array.isArray(value) && value.every((item) => typeof item === "string"));
    if (!ok) {
      throw new NdisError(
        "NDIS_ERR_INVALID_ARGUMENT",
        `registry value ${name}\\${key} must be a REG_DWORD (0…0xFFFFFFFF), a string, a string array or bytes`,
      );
    }
    map.set(key, value as RegistryValue);
  }
  return map;
}

async function importModule(name: string, specifier: string): Promise<unknown> {
  const looksLikePath = specifier.startsWith(".") || isAbsolute(specifier);
  const target = looksLikePath ? pathToFileURL(resolve(specifier)).href : specifier;
  try {
    return await import(target);
  } catch (cause) {
    throw new NdisError(
      "NDIS_ERR_BAD_DRIVER_MODULE",
      `driver ${name}: cannot import ${specifier}: ${describeThrown(cause)}`,
      {
        cause,
      },
    );
  }
}

export class NdisHost {
  readonly #runtime: NdisRuntime;

  constructor(options: NdisHostOptions = {}) {
    const verifier = options.verifier ?? "strict";
    if (!VERIFIER_MODES.includes(verifier)) {
      throw new NdisError(
        "NDIS_ERR_INVALID_OPTION",
        `verifier must be one of ${VERIFIER_MODES.join(", ")}`,
      );
    }
    this.#runtime = new NdisRuntime({
      version: resolveVersion(options.ndisVersion),
      verifier,
      acceptDefaultHeaderType: options.acceptDefaultHeaderType === true,
    });
  }

  /** The emulated NDIS version, as NdisGetVersion returns it inside this host. */
  get ndisVersion(): number {
    return this.#runtime.version.runtimeVersion;
  }

  /** The emulated NDIS version's details ("6.89", the OS that shipped it…). */
  get ndisVersionInfo(): NdisVersionInfo {
    return this.#runtime.version;
  }

  get verifierMode(): VerifierMode {
    return this.#runtime.verifierMode;
  }

  /** Every violation reported so far (in strict mode, the last one stopped the host). */
  get violations(): readonly Violation[] {
    return this.#runtime.violations;
  }

  /** The violation that stopped this host in strict mode, if any. */
  get bugCheck(): Violation | null {
    return this.#runtime.bugCheck;
  }

  /** Subscribes to the DDI call trace; returns the unsubscribe function. */
  onTrace(listener: TraceListener): () => void {
    return this.#runtime.onTrace(listener);
  }

  /** Makes NDIS's next `count` allocations at `site` fail with NDIS_STATUS_RESOURCES. */
  failAllocations(site: AllocationSite, count = 1): void {
    if (!Number.isInteger(count) || count < 1) {
      throw new NdisError(
        "NDIS_ERR_INVALID_ARGUMENT",
        "failAllocations count must be a positive integer",
      );
    }
    this.#runtime.failAllocations(site, count);
  }

  /**
   * Loads a driver: creates its DRIVER_OBJECT and calls DriverEntry at PASSIVE_LEVEL. Resolves
   * with DriverEntry's status. A failing DriverEntry (NT_SUCCESS false) leaves nothing registered:
   * any edge it left behind is released and reported (DriverEntry_FailureWithoutDeregister).
   * Rejects with NdisError for a bad name or module, and with the bug check if strict verification
   * stopped the host.
   */
  async loadDriver(options: LoadDriverOptions): Promise<LoadDriverResult> {
    const runtime = this.#runtime;
    runtime.assertAlive();
    const { name } = options;
    if (typeof name !== "string" || !SERVICE_NAME.test(name)) {
      throw new NdisError(
        "NDIS_ERR_INVALID_ARGUMENT",
        `driver name ${JSON.stringify(name)} is not a service name`,
      );
    }
    if (runtime.drivers.has(name))
      throw new NdisError("NDIS_ERR_DRIVER_EXISTS", `driver ${name} is already loaded`);
    const registry = checkRegistry(name, options.registry);
    const module =
      typeof options.module === "string"
        ? await importModule(name, options.module)
        : options.module;
    const entry = (module as { DriverEntry?: unknown } | null | undefined)?.DriverEntry;
    if (typeof entry !== "function") {
      throw new NdisError(
        "NDIS_ERR_BAD_DRIVER_MODULE",
        `driver ${name}: the module does not export a DriverEntry function`,
      );
    }
    runtime.assertAlive();
    if (runtime.drivers.has(name))
      throw new NdisError("NDIS_ERR_DRIVER_EXISTS", `driver ${name} is already loaded`);

    const driver = createDriverRecord(runtime, name, registry);
    runtime.drivers.set(name, driver);
    const returned = callDriver(
      runtime,
      driver,
      "DriverEntry",
      PASSIVE_LEVEL,
      () => (entry as DriverModule["DriverEntry"])(driver.driverObject, driver.registryPath),
      () => NDIS_STATUS_FAILURE,
    );
    const status = isNdisStatusValue(returned) ? returned : NDIS_STATUS_FAILURE;
    // The I/O manager judges DriverEntry with NT_SUCCESS, so informational statuses load the driver.
    if (NT_SUCCESS(status)) {
      driver.state = "loaded";
      return { status, driverObject: driver.driverObject };
    }
    try {
      if (!isNdisStatusValue(returned)) {
        runtime.violate(
          "Callback_InvalidReturn",
          `DriverEntry returned ${typeof returned}, not an NTSTATUS`,
          driver,
        );
      }
      const left = liveRegistrations(driver);
      if (left.length > 0) {
        runtime.violate(
          "DriverEntry_FailureWithoutDeregister",
          `DriverEntry failed but left registered: ${left.join(", ")}; NDIS released them`,
          driver,
        );
      }
    } finally {
      retireDriver(driver);
    }
    return { status, driverObject: driver.driverObject };
  }

  /**
   * Unloads a driver as NDIS does: (once adapters exist, they are halted and bindings unbound
   * first), then the unload routine runs at PASSIVE_LEVEL — the miniport edge's UnloadHandler if
   * the driver registered one, else DRIVER_OBJECT.DriverUnload. Whatever the routine failed to
   * deregister is released and reported (DriverUnload_LeftRegistered). The driver is then
   * forgotten and its name can be loaded again.
   */
  async unloadDriver(name: string): Promise<void> {
    const runtime = this.#runtime;
    runtime.assertAlive();
    const driver = runtime.drivers.get(name);
    if (driver === undefined || driver.state !== "loaded") {
      throw new NdisError(
        "NDIS_ERR_NO_SUCH_DRIVER",
        `no loaded driver named ${JSON.stringify(name)}`,
      );
    }
    const miniport = driver.miniportDrivers[0];
    const unload = miniport?.chars.handlers.UnloadHandler ?? driver.driverObject.DriverUnload;
    if (typeof unload !== "function") {
      throw new NdisError(
        "NDIS_ERR_NOT_UNLOADABLE",
        `driver ${name} registered no miniport edge and set no DriverObject.DriverUnload: it cannot be unloaded`,
      );
    }
    driver.state = "unloading";
    const handlerName = miniport === undefined ? "DriverUnload" : "MiniportDriverUnload";
    try {
      callDriver(
        runtime,
        driver,
        handlerName,
        PASSIVE_LEVEL,
        () => (unload as (d: DRIVER_OBJECT) => unknown)(driver.driverObject),
        () => undefined,
      );
      const left = liveRegistrations(driver);
      if (left.length > 0) {
        runtime.violate(
          "DriverUnload_LeftRegistered",
          `${handlerName} returned with ${left.join(", ")} still registered; NDIS released them`,
          driver,
        );
      }
    } finally {
      retireDriver(driver);
    }
  }

  /** What NDIS holds for the driver with this service name. */
  driver(name: string): DriverInfo | undefined {
    const driver = this.#runtime.drivers.get(name);
    return driver === undefined ? undefined : describeDriver(driver);
  }

  /** Every loaded driver. */
  get drivers(): readonly DriverInfo[] {
    return [...this.#runtime.drivers.values()].map(describeDriver);
  }
}

function describeDriver(driver: DriverRecord): DriverInfo {
  return {
    name: driver.name,
    driverName: driver.driverObject.DriverName,
    registryPath: driver.registryPath,
    state: driver.state,
    miniportDrivers: driver.miniportDrivers.map((b) => ({
      intermediate: b.chars.isIntermediate,
      ndisVersion: b.version.label,
      revision: b.chars.Header.Revision,
      headerType: ndisObjectTypeToString(b.chars.Header.Type),
      handlers: Object.keys(b.chars.handlers),
      ignoredHandlers: [...b.chars.ignoredHandlers],
      optionalHandlers: [...b.optionalHandlers.keys()].map(ndisObjectTypeToString),
      associatedProtocol: b.associatedProtocol?.chars.Name ?? null,
    })),
    protocolDrivers: driver.protocolDrivers.map((b) => ({
      name: b.chars.Name,
      ndisVersion: b.version.label,
      revision: b.chars.Header.Revision,
      headerType: ndisObjectTypeToString(b.chars.Header.Type),
      handlers: Object.keys(b.chars.handlers),
      optionalHandlers: [...b.optionalHandlers.keys()].map(ndisObjectTypeToString),
      associatedWithMiniport: b.associatedMiniport !== null,
    })),
  };
}
