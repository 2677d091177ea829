/**
 * Driver registration DDI: NdisMRegisterMiniportDriver, NdisMDeregisterMiniportDriver,
 * NdisRegisterProtocolDriver, NdisDeregisterProtocolDriver, NdisIMAssociateMiniport and
 * NdisSetOptionalHandlers.
 *
 * Each entry point finds its NDIS through the DRIVER_OBJECT or handle it is given (or, for calls
 * that take neither, through the calling driver's context), checks its IRQL rule, validates its
 * arguments, and returns the status NDIS returns. Nothing here throws at a driver except the
 * strict verifier's bug check.
 */
import { PASSIVE_LEVEL } from "../../ndis/irql.js";
import type { NDIS_MINIPORT_DRIVER_CHARACTERISTICS } from "../../ndis/miniport.js";
import {
  NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_CHARACTERISTICS,
  NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS,
  NDIS_OBJECT_TYPE_CO_MINIPORT_CHARACTERISTICS,
  NDIS_OBJECT_TYPE_CO_PROTOCOL_CHARACTERISTICS,
  NDIS_OBJECT_TYPE_FILTER_PARTIAL_CHARACTERISTICS,
  NDIS_OBJECT_TYPE_MINIPORT_PNP_CHARACTERISTICS,
  NDIS_OBJECT_TYPE_MINIPORT_SS_CHARACTERISTICS,
  NDIS_OBJECT_TYPE_NDK_PROVIDER_CHARACTERISTICS,
  NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_CHARACTERISTICS,
  NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS,
  ndisObjectTypeToString,
} from "../../ndis/object-header.js";
import type { NDIS_DRIVER_OPTIONAL_HANDLERS } from "../../ndis/optional-handlers.js";
import type { NDIS_PROTOCOL_DRIVER_CHARACTERISTICS } from "../../ndis/protocol.js";
import {
  isNdisStatusValue,
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  ndisStatusToString,
} from "../../ndis/status.js";
import type { DRIVER_OBJECT, NDIS_HANDLE, NDIS_STRING, Out } from "../../ndis/types.js";
import type { VerifierRuleId } from "../../verifier/rules.js";
import {
  checkMiniportCharacteristics,
  checkProtocolCharacteristics,
  type EntryPoint,
  type MiniportCharacteristicsCopy,
  type ProtocolCharacteristicsCopy,
} from "../core/base/characteristics.js";
import { callDriver, checkIrql, currentFrame, describeThrown } from "../core/objects/context.js";
import {
  describeHandleArgument,
  handleRuntime,
  resolveDriverObject,
  resolveHandle,
} from "../core/objects/handles.js";
import type {
  FilterDriverBlock,
  FilterModule,
  MiniportDriverBlock,
  NdisRuntime,
  ProtocolDriverBlock,
} from "../core/objects/records.js";
import {
  addMiniportDriver,
  addProtocolDriver,
  removeMiniportDriver,
  removeProtocolDriver,
} from "../core/stack/driver.js";
import { enter } from "./trace.js";

function isOut(value: unknown): value is Out<NDIS_HANDLE> {
  return typeof value === "object" && value !== null && !Object.isFrozen(value);
}

function describeReturn(value: unknown): string {
  if (value === undefined) return "undefined";
  if (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  ) {
    return "a Promise (handlers are synchronous: return NDIS_STATUS_PENDING and complete later)";
  }
  return typeof value === "number" ? String(value) : `a ${typeof value}`;
}

/**
 * Runs a registration's SetOptions handler, if it has one, and turns what it returned into a
 * status. Unless that status is SUCCESS (or a bug check comes out), `release` undoes the
 * registration so that nothing is left half-registered.
 */
export function runSetOptions(
  block: MiniportDriverBlock | ProtocolDriverBlock | FilterDriverBlock,
  handlerName: "MiniportSetOptions" | "ProtocolSetOptions" | "FilterSetOptions",
  handler: EntryPoint | undefined,
  release: () => void,
): NDIS_STATUS {
  if (handler === undefined) return NDIS_STATUS_SUCCESS;
  const { driver } = block;
  const runtime = driver.runtime;
  let status: NDIS_STATUS = NDIS_STATUS_FAILURE;
  block.inSetOptions = true;
  try {
    const returned = callDriver(
      runtime,
      driver,
      handlerName,
      PASSIVE_LEVEL,
      () => (handler as (h: NDIS_HANDLE, c: unknown) => unknown)(block.handle, block.context),
      () => NDIS_STATUS_FAILURE,
    );
    if (!isNdisStatusValue(returned)) {
      runtime.violate(
        "Callback_InvalidReturn",
        `${handlerName} returned ${describeReturn(returned)}, not an NDIS_STATUS`,
        driver,
      );
    } else if (returned === NDIS_STATUS_PENDING) {
      runtime.violate(
        "Callback_InvalidReturn",
        `${handlerName} returned NDIS_STATUS_PENDING; SetOptions cannot pend`,
        driver,
      );
    } else {
      status = returned;
    }
  } finally {
    block.inSetOptions = false;
    if (status !== NDIS_STATUS_SUCCESS) release();
  }
  return status;
}

function describeMiniport(chars: MiniportCharacteristicsCopy): string {
  const kind = chars.isIntermediate ? "intermediate" : "miniport";
  return `${kind}, NDIS ${chars.version.label}, revision ${chars.Header.Revision}, ${Object.keys(chars.handlers).length} entry points`;
}

function describeProtocol(chars: ProtocolCharacteristicsCopy): string {
  return `"${chars.Name}", NDIS ${chars.version.label}, revision ${chars.Header.Revision}`;
}

/**
 * NdisMRegisterMiniportDriver: registers the driver's MiniportXxx entry points.
 *
 * Called by: DriverEntry, at PASSIVE_LEVEL. Returns SUCCESS (and the driver handle in
 * `NdisMiniportDriverHandle.value`), BAD_CHARACTERISTICS, BAD_VERSION, RESOURCES or FAILURE.
 * If the table has a SetOptionsHandler, NDIS calls it before returning; its failure is the
 * registration's. N.B. the handle is valid only on SUCCESS.
 */
export function NdisMRegisterMiniportDriver(
  DriverObject: DRIVER_OBJECT,
  RegistryPath: NDIS_STRING,
  MiniportDriverContext: unknown,
  MiniportDriverCharacteristics: NDIS_MINIPORT_DRIVER_CHARACTERISTICS,
  NdisMiniportDriverHandle: Out<NDIS_HANDLE>,
): NDIS_STATUS {
  const driver = resolveDriverObject(DriverObject);
  if (driver === null) {
    const runtime = currentFrame().runtime;
    if (runtime !== null) {
      enter(
        runtime,
        "NdisMRegisterMiniportDriver",
        currentFrame().driver,
      )(
        NDIS_STATUS_FAILURE,
        `DriverObject is ${describeHandleArgument(DriverObject)}, not the DRIVER_OBJECT of a loaded driver`,
      );
    }
    return NDIS_STATUS_FAILURE;
  }
  const runtime = driver.runtime;
  runtime.assertAlive();
  const done = enter(runtime, "NdisMRegisterMiniportDriver", driver);
  checkIrql(
    runtime,
    driver,
    "NdisMRegisterMiniportDriver",
    PASSIVE_LEVEL,
    "Irql_Miniport_Driver_Function",
  );
  if (typeof RegistryPath !== "string")
    return done(NDIS_STATUS_FAILURE, "RegistryPath is not a string");
  if (!isOut(NdisMiniportDriverHandle)) {
    return done(
      NDIS_STATUS_FAILURE,
      "NdisMiniportDriverHandle is not a writable Out<NDIS_HANDLE> object",
    );
  }
  const checked = checkMiniportCharacteristics(MiniportDriverCharacteristics, runtime);
  if (!checked.ok) return done(checked.status, checked.reason);
  const chars = checked.value;
  if (chars.ignoredHandlers.length > 0) {
    runtime.violate(
      "IMDriver_CheckForHangResetMustBeNull",
      `the intermediate driver supplied ${chars.ignoredHandlers.join(" and ")}; NDIS will never call ${chars.ignoredHandlers.length > 1 ? "them" : "it"}`,
      driver,
    );
  }
  if (driver.miniportDrivers.some((b) => b.chars.isIntermediate === chars.isIntermediate)) {
    const edge = chars.isIntermediate ? "an intermediate" : "a non-intermediate";
    return done(NDIS_STATUS_FAILURE, `this driver object already registered ${edge} miniport edge`);
  }
  if (runtime.takeAllocationFailure("NdisMRegisterMiniportDriver")) {
    return done(
      NDIS_STATUS_RESOURCES,
      "NDIS could not allocate the miniport driver block (injected fault)",
    );
  }
  const block = addMiniportDriver(driver, chars, chars.version, MiniportDriverContext);
  // The handle is the caller's before SetOptions runs: a SetOptions handler may compare it.
  NdisMiniportDriverHandle.value = block.handle;
  const status = runSetOptions(block, "MiniportSetOptions", chars.handlers.SetOptionsHandler, () =>
    removeMiniportDriver(block),
  );
  if (status !== NDIS_STATUS_SUCCESS) {
    NdisMiniportDriverHandle.value = undefined;
    return done(
      status,
      `MiniportSetOptions failed with ${ndisStatusToString(status)}; nothing is registered`,
    );
  }
  return done(NDIS_STATUS_SUCCESS, describeMiniport(chars));
}

/** Finds the block behind a driver handle, reporting InvalidNdisHandle when there is none. */
function driverBlockOf<K extends "miniport-driver" | "protocol-driver">(
  functionName: string,
  handle: unknown,
  kind: K,
): {
  runtime: NdisRuntime;
  block: Extract<MiniportDriverBlock | ProtocolDriverBlock, { kind: K }> | null;
} | null {
  const target = resolveHandle(handle);
  const frame = currentFrame();
  const runtime = target?.driver.runtime ?? handleRuntime(handle) ?? frame.runtime;
  if (runtime === null) return null;
  runtime.assertAlive();
  if (target?.kind === kind) {
    return {
      runtime,
      block: target as Extract<MiniportDriverBlock | ProtocolDriverBlock, { kind: K }>,
    };
  }
  const expected = kind === "miniport-driver" ? "miniport driver handle" : "protocol driver handle";
  runtime.violate(
    "InvalidNdisHandle",
    `${functionName} got ${describeHandleArgument(handle)}; it needs a live ${expected}`,
    frame.driver,
  );
  return { runtime, block: null };
}

/**
 * NdisMDeregisterMiniportDriver: releases what NdisMRegisterMiniportDriver set up.
 *
 * Called by: MiniportDriverUnload, or DriverEntry when a later step failed; PASSIVE_LEVEL.
 */
export function NdisMDeregisterMiniportDriver(NdisMiniportDriverHandle: NDIS_HANDLE): void {
  const found = driverBlockOf(
    "NdisMDeregisterMiniportDriver",
    NdisMiniportDriverHandle,
    "miniport-driver",
  );
  if (found === null) return;
  const { runtime, block } = found;
  const driver = block?.driver ?? currentFrame().driver;
  const done = enter(runtime, "NdisMDeregisterMiniportDriver", driver);
  checkIrql(
    runtime,
    driver,
    "NdisMDeregisterMiniportDriver",
    PASSIVE_LEVEL,
    "Irql_Miniport_Driver_Function",
  );
  if (block === null) {
    done(undefined, "invalid handle: nothing deregistered");
    return;
  }
  if (block.adapters.length > 0) {
    runtime.violate(
      "NdisMDeregisterMiniportDriver_AdaptersExist",
      `NdisMDeregisterMiniportDriver while adapter${block.adapters.length > 1 ? "s" : ""} ${block.adapters.map((a) => a.name).join(", ")} exist${block.adapters.length > 1 ? "" : "s"}; NDIS keeps the registration`,
      driver,
    );
    done(undefined, "adapters exist: nothing deregistered");
    return;
  }
  removeMiniportDriver(block);
  done(
    undefined,
    block.chars.isIntermediate ? "intermediate miniport edge released" : "miniport edge released",
  );
}

/**
 * NdisRegisterProtocolDriver: registers the driver's ProtocolXxx entry points.
 *
 * Called by: DriverEntry, at PASSIVE_LEVEL. Returns SUCCESS (and the protocol handle in
 * `NdisProtocolHandle.value`), BAD_CHARACTERISTICS, BAD_VERSION, RESOURCES or FAILURE. A
 * SetOptionsHandler runs inside the call. N.B. the protocol's Name must be unique on the host.
 */
export function NdisRegisterProtocolDriver(
  ProtocolDriverContext: unknown,
  ProtocolCharacteristics: NDIS_PROTOCOL_DRIVER_CHARACTERISTICS,
  NdisProtocolHandle: Out<NDIS_HANDLE>,
): NDIS_STATUS {
  const frame = currentFrame();
  const { runtime, driver } = frame;
  // No NDIS is running this code (it was called outside any driver the host loaded).
  if (runtime === null || driver === null) return NDIS_STATUS_FAILURE;
  runtime.assertAlive();
  const done = enter(runtime, "NdisRegisterProtocolDriver", driver);
  checkIrql(
    runtime,
    driver,
    "NdisRegisterProtocolDriver",
    PASSIVE_LEVEL,
    "Irql_Protocol_Driver_Function",
  );
  if (!isOut(NdisProtocolHandle)) {
    return done(
      NDIS_STATUS_FAILURE,
      "NdisProtocolHandle is not a writable Out<NDIS_HANDLE> object",
    );
  }
  const checked = checkProtocolCharacteristics(ProtocolCharacteristics, runtime);
  if (!checked.ok) return done(checked.status, checked.reason);
  const chars = checked.value;
  for (const other of runtime.drivers.values()) {
    if (
      other.protocolDrivers.some((b) => b.chars.Name.toLowerCase() === chars.Name.toLowerCase())
    ) {
      return done(
        NDIS_STATUS_FAILURE,
        `a protocol named "${chars.Name}" is already registered (by ${other.name})`,
      );
    }
  }
  if (runtime.takeAllocationFailure("NdisRegisterProtocolDriver")) {
    return done(
      NDIS_STATUS_RESOURCES,
      "NDIS could not allocate the protocol block (injected fault)",
    );
  }
  const block = addProtocolDriver(driver, chars, chars.version, ProtocolDriverContext);
  // The handle is the caller's before SetOptions runs: a SetOptions handler may compare it.
  NdisProtocolHandle.value = block.handle;
  const status = runSetOptions(block, "ProtocolSetOptions", chars.handlers.SetOptionsHandler, () =>
    removeProtocolDriver(block),
  );
  if (status !== NDIS_STATUS_SUCCESS) {
    NdisProtocolHandle.value = undefined;
    return done(
      status,
      `ProtocolSetOptions failed with ${ndisStatusToString(status)}; nothing is registered`,
    );
  }
  return done(NDIS_STATUS_SUCCESS, describeProtocol(chars));
}

/**
 * NdisDeregisterProtocolDriver: releases a protocol registration.
 *
 * Called by: the driver's unload routine, or DriverEntry when a later step failed; PASSIVE_LEVEL.
 */
export function NdisDeregisterProtocolDriver(NdisProtocolHandle: NDIS_HANDLE): void {
  const found = driverBlockOf(
    "NdisDeregisterProtocolDriver",
    NdisProtocolHandle,
    "protocol-driver",
  );
  if (found === null) return;
  const { runtime, block } = found;
  const driver = block?.driver ?? currentFrame().driver;
  const done = enter(runtime, "NdisDeregisterProtocolDriver", driver);
  checkIrql(
    runtime,
    driver,
    "NdisDeregisterProtocolDriver",
    PASSIVE_LEVEL,
    "Irql_Protocol_Driver_Function",
  );
  if (block === null) {
    done(undefined, "invalid handle: nothing deregistered");
    return;
  }
  removeProtocolDriver(block);
  done(undefined, `protocol "${block.chars.Name}" released`);
}

/**
 * NdisIMAssociateMiniport: tells NDIS that this protocol edge and this IM miniport edge are one
 * intermediate driver.
 *
 * Called by: DriverEntry, after both registrations succeeded; PASSIVE_LEVEL.
 */
export function NdisIMAssociateMiniport(
  DriverHandle: NDIS_HANDLE,
  ProtocolHandle: NDIS_HANDLE,
): void {
  const miniport = resolveHandle(DriverHandle);
  const protocol = resolveHandle(ProtocolHandle);
  const frame = currentFrame();
  const runtime =
    miniport?.driver.runtime ??
    protocol?.driver.runtime ??
    handleRuntime(DriverHandle) ??
    handleRuntime(ProtocolHandle) ??
    frame.runtime;
  if (runtime === null) return;
  runtime.assertAlive();
  const driver = frame.driver ?? miniport?.driver ?? protocol?.driver ?? null;
  const done = enter(runtime, "NdisIMAssociateMiniport", driver);
  checkIrql(runtime, driver, "NdisIMAssociateMiniport", PASSIVE_LEVEL, "Irql_IM_Function");
  const fail = (rule: VerifierRuleId, message: string): void => {
    runtime.violate(rule, `NdisIMAssociateMiniport: ${message}`, driver);
    done(undefined, "not associated");
  };
  if (miniport?.kind !== "miniport-driver" || !miniport.chars.isIntermediate) {
    const why =
      miniport?.kind === "miniport-driver"
        ? "was registered without NDIS_INTERMEDIATE_DRIVER"
        : `is ${describeHandleArgument(DriverHandle)}`;
    fail(
      "NdisIMAssociateMiniport_InvalidHandle",
      `DriverHandle ${why}; it must be a live IM miniport driver handle`,
    );
    return;
  }
  if (protocol?.kind !== "protocol-driver") {
    fail(
      "NdisIMAssociateMiniport_InvalidHandle",
      `ProtocolHandle is ${describeHandleArgument(ProtocolHandle)}; it must be a live protocol driver handle`,
    );
    return;
  }
  if (miniport.driver !== protocol.driver) {
    fail(
      "NdisIMAssociateMiniport_ForeignDriver",
      `the miniport edge belongs to ${miniport.driver.name} and the protocol edge to ${protocol.driver.name}`,
    );
    return;
  }
  if (miniport.associatedProtocol !== null || protocol.associatedMiniport !== null) {
    const which = miniport.associatedProtocol !== null ? "the miniport edge" : "the protocol edge";
    fail("NdisIMAssociateMiniport_Twice", `${which} is already associated`);
    return;
  }
  miniport.associatedProtocol = protocol;
  protocol.associatedMiniport = miniport;
  done(
    undefined,
    `IM miniport edge of ${miniport.driver.name} ↔ protocol "${protocol.chars.Name}"`,
  );
}

const MINIPORT_OPTIONAL_TYPES = new Set([
  NDIS_OBJECT_TYPE_CO_MINIPORT_CHARACTERISTICS,
  NDIS_OBJECT_TYPE_MINIPORT_PNP_CHARACTERISTICS,
  NDIS_OBJECT_TYPE_MINIPORT_SS_CHARACTERISTICS,
  NDIS_OBJECT_TYPE_NDK_PROVIDER_CHARACTERISTICS,
  NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS,
  NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_CHARACTERISTICS,
]);
const PROTOCOL_OPTIONAL_TYPES = new Set([
  NDIS_OBJECT_TYPE_CO_PROTOCOL_CHARACTERISTICS,
  NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS,
  NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_CHARACTERISTICS,
]);

/**
 * NdisSetOptionalHandlers: registers an optional entry-point table (PnP, selective suspend,
 * CoNDIS…) for a driver.
 *
 * Called by: MiniportSetOptions / ProtocolSetOptions with the driver handle NDIS passed them;
 * PASSIVE_LEVEL. Returns SUCCESS, RESOURCES, NOT_SUPPORTED or FAILURE (a table this kind of driver
 * cannot register, or a call outside SetOptions).
 */
export function NdisSetOptionalHandlers(
  NdisHandle: NDIS_HANDLE,
  OptionalHandlers: NDIS_DRIVER_OPTIONAL_HANDLERS,
): NDIS_STATUS {
  const target = resolveHandle(NdisHandle);
  const frame = currentFrame();
  const runtime = target?.driver.runtime ?? handleRuntime(NdisHandle) ?? frame.runtime;
  if (runtime === null) return NDIS_STATUS_FAILURE;
  runtime.assertAlive();
  const driver = target?.driver ?? frame.driver;
  const done = enter(runtime, "NdisSetOptionalHandlers", driver);
  checkIrql(
    runtime,
    driver,
    "NdisSetOptionalHandlers",
    PASSIVE_LEVEL,
    "Irql_Miscellaneous_Function",
  );
  if (target?.kind === "binding") {
    // The DDI lets a protocol pass a binding handle; per-binding optional tables are not modelled yet.
    return done(
      NDIS_STATUS_FAILURE,
      "optional handlers for a single binding are not supported by ndis-ts yet",
    );
  }
  if (target?.kind === "filter-module") return done(...setModuleHandlers(target, OptionalHandlers));
  if (target === null || (target.kind !== "miniport-driver" && target.kind !== "protocol-driver")) {
    runtime.violate(
      "InvalidNdisHandle",
      `NdisSetOptionalHandlers got ${describeHandleArgument(NdisHandle)}; it needs the driver handle given to SetOptions`,
      driver,
    );
    return done(NDIS_STATUS_FAILURE, "invalid handle");
  }
  if (!target.inSetOptions) {
    runtime.violate(
      "NdisSetOptionalHandlers_OutsideSetOptions",
      "NdisSetOptionalHandlers was called with a driver handle outside the driver's SetOptions handler",
      driver,
    );
    return done(NDIS_STATUS_FAILURE, "not inside SetOptions");
  }
  let copy: Record<string, unknown>;
  let type: unknown;
  try {
    copy = { ...OptionalHandlers };
    type = (copy.Header as { Type?: unknown } | undefined)?.Type;
  } catch (thrown) {
    return done(NDIS_STATUS_FAILURE, `OptionalHandlers cannot be read: ${describeThrown(thrown)}`);
  }
  const allowed =
    target.kind === "miniport-driver" ? MINIPORT_OPTIONAL_TYPES : PROTOCOL_OPTIONAL_TYPES;
  if (typeof type !== "number" || !allowed.has(type)) {
    const got = typeof type === "number" ? ndisObjectTypeToString(type) : "no Header.Type";
    const who = target.kind === "miniport-driver" ? "a miniport driver" : "a protocol driver";
    return done(
      NDIS_STATUS_FAILURE,
      `OptionalHandlers has ${got}: not a table ${who} can register`,
    );
  }
  target.optionalHandlers.set(type, Object.freeze(copy));
  return done(NDIS_STATUS_SUCCESS, ndisObjectTypeToString(type));
}

/**
 * NdisSetOptionalHandlers with an NdisFilterHandle: inside FilterSetModuleOptions (or the
 * module's FilterRestart) a filter module replaces its data-path handlers with an
 * NDIS_FILTER_PARTIAL_CHARACTERISTICS table — a NULL entry bypasses that function for this module
 * alone ("Data Bypass Mode"). The table stays in force until the module sets another.
 */
function setModuleHandlers(module: FilterModule, OptionalHandlers: unknown): [NDIS_STATUS, string] {
  const runtime = module.runtime;
  if (!module.inSetModuleOptions && module.machine.state !== "Restarting") {
    runtime.violate(
      "NdisSetOptionalHandlers_OutsideSetOptions",
      `NdisSetOptionalHandlers with the filter handle of ${module.name} outside its FilterSetModuleOptions and FilterRestart`,
      module.driver,
    );
    return [NDIS_STATUS_FAILURE, "not inside FilterSetModuleOptions"];
  }
  let table: Record<string, unknown>;
  try {
    table = { ...(OptionalHandlers as object) };
  } catch (thrown) {
    return [NDIS_STATUS_FAILURE, `OptionalHandlers cannot be read: ${describeThrown(thrown)}`];
  }
  const type = (table.Header as { Type?: unknown } | undefined)?.Type;
  if (type !== NDIS_OBJECT_TYPE_FILTER_PARTIAL_CHARACTERISTICS) {
    const got = typeof type === "number" ? ndisObjectTypeToString(type) : "no Header.Type";
    return [
      NDIS_STATUS_INVALID_PARAMETER,
      `OptionalHandlers has ${got}: a filter module sets an NDIS_FILTER_PARTIAL_CHARACTERISTICS`,
    ];
  }
  const entry = (name: string): EntryPoint | null => {
    const h = table[name];
    return typeof h === "function" ? (h as EntryPoint) : null;
  };
  const send = entry("SendNetBufferListsHandler");
  const sendComplete = entry("SendNetBufferListsCompleteHandler");
  const receive = entry("ReceiveNetBufferListsHandler");
  const returnHandler = entry("ReturnNetBufferListsHandler");
  // A path is taken whole or bypassed whole: a send handler needs its completion handler.
  if (
    (send === null) !== (sendComplete === null) ||
    (receive === null) !== (returnHandler === null)
  )
    return [
      NDIS_STATUS_INVALID_PARAMETER,
      "Send and SendComplete (and Receive and Return) handlers must be given together or both NULL",
    ];
  module.send = send;
  module.sendComplete = sendComplete;
  module.cancelSend = send === null ? null : entry("CancelSendNetBufferListsHandler");
  module.receive = receive;
  module.returnHandler = returnHandler;
  // The module now takes part in, or is bypassed on, each path: the stack's route changes.
  module.runtime.routeEpoch++;
  const paths = [
    send === null ? "sends bypassed" : "sends",
    receive === null ? "receives bypassed" : "receives",
  ];
  return [NDIS_STATUS_SUCCESS, `${module.name}: ${paths.join(", ")}`];
}
