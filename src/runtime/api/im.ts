/**
 * Intermediate-driver DDI: NdisIMInitializeDeviceInstanceEx, NdisIMCancelInitializeDeviceInstance,
 * NdisIMDeInitializeDeviceInstance and NdisIMGetBindingContext.
 */
import { APC_LEVEL, PASSIVE_LEVEL } from "../../ndis/irql.js";
import {
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_NOT_ACCEPTED,
  NDIS_STATUS_SUCCESS,
} from "../../ndis/status.js";
import type { NDIS_HANDLE, NDIS_STRING } from "../../ndis/types.js";
import { checkIrql, currentFrame } from "../core/objects/context.js";
import { describeHandleArgument, handleRuntime, resolveHandle } from "../core/objects/handles.js";
import type { MiniportDriverBlock, NdisRuntime } from "../core/objects/records.js";
import { enter } from "./trace.js";

/** The IM miniport driver block behind DriverHandle, or null after reporting InvalidNdisHandle. */
function imBlockOf(
  functionName: string,
  handle: unknown,
): { runtime: NdisRuntime; block: MiniportDriverBlock | null } | null {
  const target = resolveHandle(handle);
  const frame = currentFrame();
  const runtime = target?.driver.runtime ?? handleRuntime(handle) ?? frame.runtime;
  if (runtime === null) return null;
  runtime.assertAlive();
  if (target?.kind === "miniport-driver" && target.chars.isIntermediate)
    return { runtime, block: target };
  runtime.violate(
    "InvalidNdisHandle",
    `${functionName} got ${describeHandleArgument(handle)}; it needs the driver handle of an intermediate miniport edge`,
    frame.driver,
  );
  return { runtime, block: null };
}

/**
 * NdisIMInitializeDeviceInstanceEx: asks for the virtual miniport `DriverInstance`. NDIS has the
 * PnP manager start it; MiniportInitializeEx (with `DeviceContext` as IMDeviceInstanceContext)
 * comes after this call returns. PASSIVE_LEVEL. Returns SUCCESS, NDIS_STATUS_NOT_ACCEPTED
 * (success-class!) when the instance is already wanted or running, or FAILURE.
 */
export function NdisIMInitializeDeviceInstanceEx(
  DriverHandle: NDIS_HANDLE,
  DriverInstance: NDIS_STRING,
  DeviceContext: unknown,
): NDIS_STATUS {
  const found = imBlockOf("NdisIMInitializeDeviceInstanceEx", DriverHandle);
  if (found === null) return NDIS_STATUS_FAILURE;
  const { runtime, block } = found;
  const driver = block?.driver ?? currentFrame().driver;
  const done = enter(
    runtime,
    "NdisIMInitializeDeviceInstanceEx",
    driver,
    typeof DriverInstance === "string" ? DriverInstance : undefined,
  );
  checkIrql(runtime, driver, "NdisIMInitializeDeviceInstanceEx", PASSIVE_LEVEL, "Irql_IM_Function");
  if (block === null) return done(NDIS_STATUS_FAILURE, "invalid handle");
  if (typeof DriverInstance !== "string" || DriverInstance.length === 0) {
    return done(NDIS_STATUS_FAILURE, "DriverInstance must name a device instance");
  }
  if (block.associatedProtocol === null) {
    runtime.violate(
      "NdisIMInitializeDeviceInstanceEx_NotAssociated",
      `NdisIMInitializeDeviceInstanceEx(${DriverInstance}) before NdisIMAssociateMiniport`,
      driver,
    );
    return done(NDIS_STATUS_FAILURE, "the miniport edge is not associated with a protocol edge");
  }
  const existing = runtime.deviceInstances.get(DriverInstance);
  if (existing !== undefined && existing.state !== "disabled") {
    return done(NDIS_STATUS_NOT_ACCEPTED, `${DriverInstance} is already ${existing.state}`);
  }
  if (existing === undefined && runtime.adapters.has(DriverInstance)) {
    return done(NDIS_STATUS_FAILURE, `${DriverInstance} names an adapter of another driver`);
  }
  if (existing !== undefined && existing.block !== block) {
    return done(NDIS_STATUS_FAILURE, `${DriverInstance} belongs to another driver`);
  }
  const instance = existing ?? {
    name: DriverInstance,
    block,
    context: DeviceContext,
    state: "wanted" as const,
    adapter: null,
  };
  instance.context = DeviceContext;
  instance.state = "wanted";
  runtime.deviceInstances.set(DriverInstance, instance);
  runtime.pnp?.startDevice(instance);
  return done(NDIS_STATUS_SUCCESS, `${DriverInstance}: the PnP manager will start it`);
}

/**
 * NdisIMCancelInitializeDeviceInstance: withdraws a NdisIMInitializeDeviceInstanceEx whose
 * MiniportInitializeEx has not started. SUCCESS: it never will; FAILURE: too late — wait for the
 * initialization and use NdisIMDeInitializeDeviceInstance. PASSIVE_LEVEL.
 */
export function NdisIMCancelInitializeDeviceInstance(
  DriverHandle: NDIS_HANDLE,
  DeviceInstance: NDIS_STRING,
): NDIS_STATUS {
  const found = imBlockOf("NdisIMCancelInitializeDeviceInstance", DriverHandle);
  if (found === null) return NDIS_STATUS_FAILURE;
  const { runtime, block } = found;
  const driver = block?.driver ?? currentFrame().driver;
  const done = enter(
    runtime,
    "NdisIMCancelInitializeDeviceInstance",
    driver,
    String(DeviceInstance),
  );
  checkIrql(
    runtime,
    driver,
    "NdisIMCancelInitializeDeviceInstance",
    PASSIVE_LEVEL,
    "Irql_IM_Function",
  );
  if (block === null) return done(NDIS_STATUS_FAILURE, "invalid handle");
  const instance = runtime.deviceInstances.get(DeviceInstance);
  if (instance === undefined || instance.block !== block || instance.state !== "wanted") {
    return done(
      NDIS_STATUS_FAILURE,
      instance === undefined ? "no such instance is wanted" : `too late: ${instance.state}`,
    );
  }
  runtime.deviceInstances.delete(DeviceInstance);
  return done(NDIS_STATUS_SUCCESS, `${DeviceInstance} will not be started`);
}

/**
 * NdisIMDeInitializeDeviceInstance: removes a virtual miniport of the driver. NDIS unbinds and
 * detaches everything above it, pauses it, and calls MiniportHaltEx with
 * NdisHaltDeviceInstanceDeInitialized — after this call returns. PASSIVE_LEVEL. Returns SUCCESS
 * once the teardown is under way, FAILURE for a handle that is not a live virtual miniport.
 */
export function NdisIMDeInitializeDeviceInstance(NdisMiniportHandle: NDIS_HANDLE): NDIS_STATUS {
  const target = resolveHandle(NdisMiniportHandle);
  const frame = currentFrame();
  const runtime = target?.driver.runtime ?? handleRuntime(NdisMiniportHandle) ?? frame.runtime;
  if (runtime === null) return NDIS_STATUS_FAILURE;
  runtime.assertAlive();
  const driver = target?.driver ?? frame.driver;
  const done = enter(runtime, "NdisIMDeInitializeDeviceInstance", driver);
  checkIrql(runtime, driver, "NdisIMDeInitializeDeviceInstance", PASSIVE_LEVEL, "Irql_IM_Function");
  if (target?.kind !== "miniport-adapter" || !target.block.chars.isIntermediate) {
    runtime.violate(
      "InvalidNdisHandle",
      `NdisIMDeInitializeDeviceInstance got ${describeHandleArgument(NdisMiniportHandle)}; it needs a live virtual miniport handle`,
      driver,
    );
    return done(NDIS_STATUS_FAILURE, "invalid handle");
  }
  runtime.pnp?.deinitializeDevice(target);
  return done(NDIS_STATUS_SUCCESS, `${target.name}: teardown under way`);
}

/**
 * NdisIMGetBindingContext: for a protocol bound to an IM virtual miniport, the DeviceContext the
 * IM driver gave NdisIMInitializeDeviceInstanceEx (NULL if none, or not an IM miniport).
 * At most APC_LEVEL.
 */
export function NdisIMGetBindingContext(NdisBindingHandle: NDIS_HANDLE): unknown {
  const target = resolveHandle(NdisBindingHandle);
  const frame = currentFrame();
  const runtime = target?.driver.runtime ?? handleRuntime(NdisBindingHandle) ?? frame.runtime;
  if (runtime === null) return null;
  if (target?.kind !== "binding" || target.handle !== NdisBindingHandle) {
    runtime.violate(
      "InvalidNdisHandle",
      `NdisIMGetBindingContext got ${describeHandleArgument(NdisBindingHandle)}; it needs a live binding handle`,
      frame.driver,
    );
    return null;
  }
  checkIrql(runtime, frame.driver, "NdisIMGetBindingContext", APC_LEVEL, "Irql_IM_Function");
  const instance = runtime.deviceInstances.get(target.adapter.name);
  return instance?.adapter === target.adapter ? (instance.context ?? null) : null;
}
