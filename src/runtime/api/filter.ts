/**
 * The filter DDI: NdisFRegisterFilterDriver and NdisFDeregisterFilterDriver, NdisFSetAttributes
 * (inside FilterAttach), the completions of a pended pause or restart (NdisFPauseComplete,
 * NdisFRestartComplete), a module's request to be restarted (NdisFRestartFilter), and the calls
 * by which a filter module passes traffic on: sends and their completions, receive indications
 * and their returns, send cancellation, OID requests and their completions, status indications
 * and PnP events.
 *
 * Each finds its module through the NdisFilterHandle NDIS gave FilterAttach and hands the item to
 * the stack's crossing (core/stack/crossing.ts): the same path the miniport's and the bindings'
 * calls take, so ownership of every NBL and OID request is tracked the same way at every edge.
 */
import type {
  NDIS_FILTER_ATTRIBUTES,
  NDIS_FILTER_DRIVER_CHARACTERISTICS,
} from "../../ndis/filter.js";
import { NDIS_FILTER_ATTRIBUTES_REVISION_1 } from "../../ndis/filter.js";
import { DISPATCH_LEVEL, PASSIVE_LEVEL } from "../../ndis/irql.js";
import type { NET_BUFFER_LIST } from "../../ndis/nbl.js";
import { NDIS_OBJECT_TYPE_FILTER_ATTRIBUTES } from "../../ndis/object-header.js";
import type { NDIS_OID_REQUEST } from "../../ndis/oid.js";
import {
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  ndisStatusToString,
} from "../../ndis/status.js";
import type {
  NDIS_STATUS_INDICATION,
  NET_DEVICE_PNP_EVENT,
  NET_PNP_EVENT_NOTIFICATION,
} from "../../ndis/structs.js";
import type { DRIVER_OBJECT, NDIS_HANDLE, Out } from "../../ndis/types.js";
import { checkFilterCharacteristics } from "../core/base/characteristics.js";
import { checkIrql, currentFrame } from "../core/objects/context.js";
import {
  describeHandleArgument,
  handleRuntime,
  resolveDriverObject,
  resolveHandle,
} from "../core/objects/handles.js";
import type { FilterDriverBlock, FilterModule } from "../core/objects/records.js";
import {
  cancelFromFilter,
  completeFromFilter,
  filterCompleteFast,
  filterCompletionProblem,
  filterIndicateFast,
  filterReturnFast,
  filterReturnProblem,
  filterSendFast,
  indicateFromFilter,
  returnFromEdge,
  sendFromFilter,
  walkChain,
} from "../core/stack/datapath.js";
import { cancelDirectOid, completeDirectOidAtFilter } from "../core/stack/direct-oid.js";
import { addFilterDriver, removeFilterDriver } from "../core/stack/driver.js";
import { devicePnPDown } from "../core/stack/filter.js";
import { netPnPUp } from "../core/stack/net-pnp.js";
import { cancelOidFromFilter, completeOidAtFilter, issueOid } from "../core/stack/oid.js";
import { filterChain } from "./datapath.js";
import {
  holdersBelowOf,
  reportAtCaller,
  reportBadHandle,
  reportContextCarriedBack,
  reportLiveChildren,
  reportPendingCompletion,
  sendersOf,
} from "./lookup.js";
import { issueDirect } from "./oid.js";
import { runSetOptions } from "./registration.js";
import { checkResources, isResources, markResources } from "./resources-check.js";
import { deliverStatus } from "./status.js";
import { enter } from "./trace.js";

function isOut(value: unknown): value is Out<NDIS_HANDLE> {
  return typeof value === "object" && value !== null && !Object.isFrozen(value);
}

/** The filter module behind an NdisFilterHandle, or null after reporting InvalidNdisHandle. */
function moduleOf(functionName: string, handle: unknown): FilterModule | null {
  const target = resolveHandle(handle);
  if (target?.kind === "filter-module") return target;
  reportBadHandle(functionName, handle, "filter module handle (NdisFilterHandle of FilterAttach)");
  return null;
}

/**
 * NdisFRegisterFilterDriver: registers the driver's FilterXxx entry points.
 *
 * Called by: DriverEntry, at PASSIVE_LEVEL. Returns SUCCESS (and the filter driver handle in
 * `NdisFilterDriverHandle.value`), BAD_CHARACTERISTICS, BAD_VERSION, INVALID_PARAMETER,
 * RESOURCES or FAILURE. A SetOptionsHandler runs inside the call.
 */
export function NdisFRegisterFilterDriver(
  DriverObject: DRIVER_OBJECT,
  FilterDriverContext: unknown,
  FilterDriverCharacteristics: NDIS_FILTER_DRIVER_CHARACTERISTICS,
  NdisFilterDriverHandle: Out<NDIS_HANDLE>,
): NDIS_STATUS {
  const driver = resolveDriverObject(DriverObject);
  if (driver === null) {
    const runtime = currentFrame().runtime;
    if (runtime !== null) {
      enter(
        runtime,
        "NdisFRegisterFilterDriver",
        currentFrame().driver,
      )(
        NDIS_STATUS_INVALID_PARAMETER,
        `DriverObject is ${describeHandleArgument(DriverObject)}, not the DRIVER_OBJECT of a loaded driver`,
      );
    }
    return NDIS_STATUS_INVALID_PARAMETER;
  }
  const runtime = driver.runtime;
  runtime.assertAlive();
  const done = enter(runtime, "NdisFRegisterFilterDriver", driver);
  checkIrql(
    runtime,
    driver,
    "NdisFRegisterFilterDriver",
    PASSIVE_LEVEL,
    "Irql_Filter_Driver_Function",
  );
  if (!isOut(NdisFilterDriverHandle)) {
    return done(
      NDIS_STATUS_INVALID_PARAMETER,
      "NdisFilterDriverHandle is not a writable Out<NDIS_HANDLE> object",
    );
  }
  if (typeof FilterDriverCharacteristics !== "object" || FilterDriverCharacteristics === null) {
    return done(
      NDIS_STATUS_INVALID_PARAMETER,
      "FilterDriverCharacteristics is not an NDIS_FILTER_DRIVER_CHARACTERISTICS structure",
    );
  }
  const checked = checkFilterCharacteristics(FilterDriverCharacteristics, runtime);
  if (!checked.ok) return done(checked.status, checked.reason);
  const chars = checked.value;
  if (chars.ServiceName.toLowerCase() !== driver.name.toLowerCase()) {
    return done(
      NDIS_STATUS_FAILURE,
      `ServiceName "${chars.ServiceName}" is not this driver's service (${driver.name}): NDIS finds no filter installed under it`,
    );
  }
  const install = runtime.filterInstalls.get(driver.name) ?? null;
  if (
    install?.uniqueName !== undefined &&
    install.uniqueName.toLowerCase() !== chars.UniqueName.toLowerCase()
  ) {
    return done(
      NDIS_STATUS_FAILURE,
      `UniqueName ${chars.UniqueName} is not the installed filter's NetCfgInstanceId ${install.uniqueName}`,
    );
  }
  if (driver.filterDrivers.length > 0) {
    return done(NDIS_STATUS_FAILURE, "this driver already registered a filter");
  }
  if (runtime.takeAllocationFailure("NdisFRegisterFilterDriver")) {
    return done(NDIS_STATUS_RESOURCES, "NDIS could not allocate the filter block (injected fault)");
  }
  const block = addFilterDriver(driver, chars, chars.version, FilterDriverContext, install);
  // The handle is the caller's before SetOptions runs: a SetOptions handler may compare it.
  NdisFilterDriverHandle.value = block.handle;
  const status = runSetOptions(block, "FilterSetOptions", chars.handlers.SetOptionsHandler, () =>
    removeFilterDriver(block),
  );
  if (status !== NDIS_STATUS_SUCCESS) {
    NdisFilterDriverHandle.value = undefined;
    return done(
      status,
      `FilterSetOptions failed with ${ndisStatusToString(status)}; nothing is registered`,
    );
  }
  runtime.pnp?.filterRegistered(block);
  return done(
    NDIS_STATUS_SUCCESS,
    `"${chars.FriendlyName}", NDIS ${chars.version.label}, revision ${chars.Header.Revision}, ${block.install.type}, class ${block.install.filterClass}`,
  );
}

/**
 * NdisFDeregisterFilterDriver: releases the registration. NDIS first detaches every module of the
 * driver (pausing each stack around it), then forgets the registration.
 *
 * Called by: FilterDriverUnload (or DriverEntry when a later step failed); PASSIVE_LEVEL.
 */
export function NdisFDeregisterFilterDriver(NdisFilterDriverHandle: NDIS_HANDLE): void {
  const target = resolveHandle(NdisFilterDriverHandle);
  const frame = currentFrame();
  const runtime = target?.driver.runtime ?? handleRuntime(NdisFilterDriverHandle) ?? frame.runtime;
  if (runtime === null) return;
  runtime.assertAlive();
  const driver = target?.driver ?? frame.driver;
  const done = enter(runtime, "NdisFDeregisterFilterDriver", driver);
  checkIrql(
    runtime,
    driver,
    "NdisFDeregisterFilterDriver",
    PASSIVE_LEVEL,
    "Irql_Filter_Driver_Function",
  );
  if (target?.kind !== "filter-driver") {
    runtime.violate(
      "InvalidNdisHandle",
      `NdisFDeregisterFilterDriver got ${describeHandleArgument(NdisFilterDriverHandle)}; it needs a live filter driver handle`,
      driver,
    );
    done(undefined, "invalid handle: nothing deregistered");
    return;
  }
  const block: FilterDriverBlock = target;
  if (block.modules.length > 0) {
    runtime.violate(
      "NdisFDeregisterFilterDriver_ModulesAttached",
      `NdisFDeregisterFilterDriver while ${block.modules.map((m) => m.name).join(", ")} ${block.modules.length > 1 ? "are" : "is"} attached; NDIS detaches them first`,
      driver,
    );
  }
  removeFilterDriver(block);
  done(undefined, "filter registration released");
}

/**
 * NdisFSetAttributes: inside FilterAttach, the filter names its FilterModuleContext (what NDIS
 * passes to its FilterXxx functions for this module). Returns SUCCESS, or INVALID_PARAMETER for
 * a malformed NDIS_FILTER_ATTRIBUTES; outside FilterAttach it is a violation and FAILURE.
 */
export function NdisFSetAttributes(
  NdisFilterHandle: NDIS_HANDLE,
  FilterModuleContext: unknown,
  FilterAttributes: NDIS_FILTER_ATTRIBUTES,
): NDIS_STATUS {
  const module = moduleOf("NdisFSetAttributes", NdisFilterHandle);
  if (module === null) return NDIS_STATUS_FAILURE;
  const runtime = module.runtime;
  runtime.assertAlive();
  const done = enter(runtime, "NdisFSetAttributes", module.driver, module.name);
  checkIrql(
    runtime,
    module.driver,
    "NdisFSetAttributes",
    PASSIVE_LEVEL,
    "Irql_Filter_Driver_Function",
  );
  if (!module.inAttach) {
    runtime.violate(
      "NdisFSetAttributes_OutsideAttach",
      `NdisFSetAttributes on ${module.name} outside its FilterAttach`,
      module.driver,
    );
    return done(NDIS_STATUS_FAILURE, "not inside FilterAttach");
  }
  const a = FilterAttributes as Partial<NDIS_FILTER_ATTRIBUTES> | null | undefined;
  if (
    a === null ||
    typeof a !== "object" ||
    a.Header?.Type !== NDIS_OBJECT_TYPE_FILTER_ATTRIBUTES ||
    a.Header.Revision !== NDIS_FILTER_ATTRIBUTES_REVISION_1
  ) {
    return done(
      NDIS_STATUS_INVALID_PARAMETER,
      "FilterAttributes is not an NDIS_FILTER_ATTRIBUTES (Header.Type NDIS_OBJECT_TYPE_FILTER_ATTRIBUTES, revision 1)",
    );
  }
  if (FilterModuleContext === null || FilterModuleContext === undefined) {
    return done(NDIS_STATUS_INVALID_PARAMETER, "FilterModuleContext is NULL");
  }
  module.context = FilterModuleContext;
  module.attributesSet = true;
  return done(NDIS_STATUS_SUCCESS);
}

/** NdisFPauseComplete: ends a FilterPause that returned NDIS_STATUS_PENDING. */
export function NdisFPauseComplete(NdisFilterHandle: NDIS_HANDLE): void {
  const module = moduleOf("NdisFPauseComplete", NdisFilterHandle);
  if (module === null) return;
  module.runtime.assertAlive();
  const done = enter(module.runtime, "NdisFPauseComplete", module.driver, module.name);
  module.machine.fire("NdisFPauseComplete");
  done(undefined);
}

/** NdisFRestartComplete: ends a FilterRestart that returned NDIS_STATUS_PENDING. */
export function NdisFRestartComplete(NdisFilterHandle: NDIS_HANDLE, Status: NDIS_STATUS): void {
  const module = moduleOf("NdisFRestartComplete", NdisFilterHandle);
  if (module === null) return;
  module.runtime.assertAlive();
  const done = enter(module.runtime, "NdisFRestartComplete", module.driver, module.name);
  // PENDING is reported and, as any status but SUCCESS, fails the restart.
  reportPendingCompletion(
    module.runtime,
    "NdisFRestartComplete",
    Status,
    `on ${module.name}`,
    module.driver,
  );
  module.machine.fire(
    Status === NDIS_STATUS_SUCCESS
      ? "NdisFRestartComplete:SUCCESS"
      : "NdisFRestartComplete:FAILURE",
  );
  done(undefined);
}

/**
 * NdisFRestartFilter: the module asks NDIS to pause and restart it (to change its data-path
 * handlers in FilterSetModuleOptions, say). NDIS does it after the call returns: it pauses the
 * stack above the miniport, calls FilterSetModuleOptions and FilterRestart, and restarts the rest.
 */
export function NdisFRestartFilter(NdisFilterHandle: NDIS_HANDLE): NDIS_STATUS {
  const module = moduleOf("NdisFRestartFilter", NdisFilterHandle);
  if (module === null) return NDIS_STATUS_FAILURE;
  const runtime = module.runtime;
  runtime.assertAlive();
  const done = enter(runtime, "NdisFRestartFilter", module.driver, module.name);
  checkIrql(
    runtime,
    module.driver,
    "NdisFRestartFilter",
    DISPATCH_LEVEL,
    "Irql_Filter_Driver_Function",
  );
  const state = module.machine.state;
  if (state === "Detached" || state === "Attaching")
    return done(NDIS_STATUS_FAILURE, "the module is not attached yet");
  if (!module.restartRequested) {
    module.restartRequested = true;
    runtime.pnp?.restartFilterStack(module.adapter);
  }
  return done(NDIS_STATUS_SUCCESS);
}

/**
 * NdisFSendNetBufferLists: the module passes a chain down (NBLs it was sent from above, or its
 * own with SourceHandle set to its NdisFilterHandle). Each comes back exactly once through its
 * FilterSendNetBufferListsComplete.
 */
export function NdisFSendNetBufferLists(
  NdisFilterHandle: NDIS_HANDLE,
  NetBufferLists: NET_BUFFER_LIST,
  PortNumber: number,
  SendFlags: number,
): void {
  const module = moduleOf("NdisFSendNetBufferLists", NdisFilterHandle);
  if (module === null) return;
  checkIrql(
    module.runtime,
    module.driver,
    "NdisFSendNetBufferLists",
    DISPATCH_LEVEL,
    "Irql_Filter_Driver_Function",
  );
  if (filterSendFast(module, NetBufferLists, PortNumber >>> 0, SendFlags >>> 0)) return;
  filterSendChecked(module, NetBufferLists, PortNumber >>> 0, SendFlags >>> 0);
}

/** The general way of a module's send (outside the entry point: its closure is built only here). */
function filterSendChecked(
  module: FilterModule,
  NetBufferLists: NET_BUFFER_LIST,
  PortNumber: number,
  SendFlags: number,
): void {
  const runtime = module.runtime;
  const checked = walkChain(runtime, NetBufferLists, (nbl) => {
    if (nbl.owner !== module.driver)
      return `is held by ${nbl.owner === null ? "NDIS" : nbl.owner.name}, not by ${module.driver.name}`;
    if (nbl.FirstNetBuffer === null) return "has no NET_BUFFER";
    return null;
  });
  if (typeof checked === "string") {
    reportAtCaller(
      runtime,
      "NdisFSendNetBufferLists_InvalidChain",
      `NdisFSendNetBufferLists on ${module.name}: ${checked}; NDIS sent none of the chain`,
    );
    return;
  }
  sendFromFilter(module, NetBufferLists, checked, PortNumber, SendFlags);
}

/**
 * NdisFSendNetBufferListsComplete: the module gives back NBLs it was sent from above (having
 * passed them down and had them back, or dropped them); each goes on up the way it came.
 */
export function NdisFSendNetBufferListsComplete(
  NdisFilterHandle: NDIS_HANDLE,
  NetBufferLists: NET_BUFFER_LIST,
  SendCompleteFlags: number,
): void {
  const module = moduleOf("NdisFSendNetBufferListsComplete", NdisFilterHandle);
  if (module === null) return;
  checkIrql(
    module.runtime,
    module.driver,
    "NdisFSendNetBufferListsComplete",
    DISPATCH_LEVEL,
    "Irql_Filter_Driver_Function",
  );
  if (filterCompleteFast(module, NetBufferLists, SendCompleteFlags >>> 0)) return;
  filterCompleteChecked(module, NetBufferLists, SendCompleteFlags >>> 0);
}

/** The general way of a module's completion: NBLs NDIS's record does not match are left alone. */
function filterCompleteChecked(
  module: FilterModule,
  NetBufferLists: NET_BUFFER_LIST,
  SendCompleteFlags: number,
): void {
  const runtime = module.runtime;
  const accepted = filterChain(
    runtime,
    NetBufferLists,
    (nbl) => filterCompletionProblem(module, nbl),
    (problem) =>
      reportAtCaller(
        runtime,
        "NdisFSendNetBufferListsComplete_NotOwned",
        `NdisFSendNetBufferListsComplete on ${module.name}: ${problem}`,
      ),
  );
  if (accepted === null) return;
  reportLiveChildren(
    runtime,
    accepted,
    `NdisFSendNetBufferListsComplete on ${module.name}`,
    module.driver,
  );
  reportContextCarriedBack(
    runtime,
    accepted,
    `NdisFSendNetBufferListsComplete on ${module.name}`,
    module.driver,
    sendersOf,
  );
  completeFromFilter(module, accepted, SendCompleteFlags);
}

/**
 * NdisFIndicateReceiveNetBufferLists: the module passes a chain up (NBLs indicated to it, or its
 * own). Unless NDIS_RECEIVE_FLAGS_RESOURCES is set, each comes back exactly once through its
 * FilterReturnNetBufferLists.
 */
export function NdisFIndicateReceiveNetBufferLists(
  NdisFilterHandle: NDIS_HANDLE,
  NetBufferLists: NET_BUFFER_LIST,
  PortNumber: number,
  NumberOfNetBufferLists: number,
  ReceiveFlags: number,
): void {
  const module = moduleOf("NdisFIndicateReceiveNetBufferLists", NdisFilterHandle);
  if (module === null) return;
  checkIrql(
    module.runtime,
    module.driver,
    "NdisFIndicateReceiveNetBufferLists",
    DISPATCH_LEVEL,
    "Irql_Filter_Driver_Function",
  );
  const port = PortNumber >>> 0;
  const flags = ReceiveFlags >>> 0;
  if (isResources(flags)) {
    const base = markResources(NetBufferLists);
    try {
      if (!filterIndicateFast(module, NetBufferLists, NumberOfNetBufferLists, port, flags))
        filterIndicateChecked(module, NetBufferLists, port, NumberOfNetBufferLists, flags);
    } finally {
      checkResources(
        module.runtime,
        base,
        module.adapter,
        module,
        `NdisFIndicateReceiveNetBufferLists on ${module.name}`,
      );
    }
    return;
  }
  if (filterIndicateFast(module, NetBufferLists, NumberOfNetBufferLists, port, flags)) return;
  filterIndicateChecked(module, NetBufferLists, port, NumberOfNetBufferLists, flags);
}

/** The general way of a module's indication: the chain checked with a report naming what is wrong. */
function filterIndicateChecked(
  module: FilterModule,
  NetBufferLists: NET_BUFFER_LIST,
  PortNumber: number,
  NumberOfNetBufferLists: number,
  ReceiveFlags: number,
): void {
  const runtime = module.runtime;
  const where = `NdisFIndicateReceiveNetBufferLists on ${module.name}`;
  const checked = walkChain(runtime, NetBufferLists, (nbl) => {
    if (nbl.owner !== module.driver)
      return `is held by ${nbl.owner === null ? "NDIS" : nbl.owner.name}, not by ${module.driver.name}`;
    if (nbl.FirstNetBuffer === null) return "has no NET_BUFFER";
    return null;
  });
  if (typeof checked === "string" || checked !== NumberOfNetBufferLists) {
    const why =
      typeof checked === "string"
        ? checked
        : `NumberOfNetBufferLists is ${String(NumberOfNetBufferLists)} but the chain holds ${checked}`;
    reportAtCaller(
      runtime,
      "NdisFIndicateReceiveNetBufferLists_InvalidChain",
      `${where}: ${why}; NDIS indicated nothing`,
    );
    return;
  }
  indicateFromFilter(module, NetBufferLists, checked, PortNumber, ReceiveFlags);
}

/**
 * NdisFReturnNetBufferLists: the module gives back NBLs indicated to it; each goes back down to
 * the edge that indicated it.
 */
export function NdisFReturnNetBufferLists(
  NdisFilterHandle: NDIS_HANDLE,
  NetBufferLists: NET_BUFFER_LIST,
  ReturnFlags: number,
): void {
  const module = moduleOf("NdisFReturnNetBufferLists", NdisFilterHandle);
  if (module === null) return;
  checkIrql(
    module.runtime,
    module.driver,
    "NdisFReturnNetBufferLists",
    DISPATCH_LEVEL,
    "Irql_Filter_Driver_Function",
  );
  if (filterReturnFast(module, NetBufferLists, ReturnFlags >>> 0)) return;
  filterReturnChecked(module, NetBufferLists, ReturnFlags >>> 0);
}

/** The general way of a module's return: NBLs NDIS's record does not match are left alone. */
function filterReturnChecked(
  module: FilterModule,
  NetBufferLists: NET_BUFFER_LIST,
  ReturnFlags: number,
): void {
  const runtime = module.runtime;
  const accepted = filterChain(
    runtime,
    NetBufferLists,
    (nbl) => filterReturnProblem(module, nbl),
    (problem) =>
      reportAtCaller(
        runtime,
        "NdisFReturnNetBufferLists_NotIndicated",
        `NdisFReturnNetBufferLists on ${module.name}: ${problem}`,
      ),
  );
  if (accepted === null) return;
  reportLiveChildren(
    runtime,
    accepted,
    `NdisFReturnNetBufferLists on ${module.name}`,
    module.driver,
  );
  reportContextCarriedBack(
    runtime,
    accepted,
    `NdisFReturnNetBufferLists on ${module.name}`,
    module.driver,
    holdersBelowOf,
  );
  returnFromEdge(module, accepted, ReturnFlags);
}

/** NdisFCancelSendNetBufferLists: passes a send cancellation on down. */
export function NdisFCancelSendNetBufferLists(
  NdisFilterHandle: NDIS_HANDLE,
  CancelId: unknown,
): void {
  const module = moduleOf("NdisFCancelSendNetBufferLists", NdisFilterHandle);
  if (module === null) return;
  module.runtime.assertAlive();
  cancelFromFilter(module, CancelId);
}

/**
 * NdisFOidRequest: the module passes an OID request down (usually a clone of the one it was
 * given, from NdisAllocateCloneOidRequest). Returns the status of a request completed at once, or
 * PENDING: the result then comes to its FilterOidRequestComplete.
 */
export function NdisFOidRequest(
  NdisFilterHandle: NDIS_HANDLE,
  OidRequest: NDIS_OID_REQUEST,
): NDIS_STATUS {
  const module = moduleOf("NdisFOidRequest", NdisFilterHandle);
  if (module === null) return NDIS_STATUS_FAILURE;
  const runtime = module.runtime;
  runtime.assertAlive();
  const done = enter(runtime, "NdisFOidRequest", module.driver, module.name);
  checkIrql(
    runtime,
    module.driver,
    "NdisFOidRequest",
    DISPATCH_LEVEL,
    "Irql_Filter_Driver_Function",
  );
  if (typeof OidRequest !== "object" || OidRequest === null)
    return done(NDIS_STATUS_INVALID_PARAMETER, "OidRequest is NULL");
  if (!requestsAllowed(module, "NdisFOidRequest"))
    return done(NDIS_STATUS_FAILURE, `${module.name} is ${module.machine.state}`);
  return done(issueOid(module, OidRequest));
}

/**
 * "Attaching a Filter Module": OID requests and status indications are the module's to make in
 * the Paused, Restarting, Running and Pausing states — not while Attaching (nor once Detached).
 * Reports FilterRequest_Attaching and answers false for a module still attaching.
 */
function requestsAllowed(module: FilterModule, functionName: string): boolean {
  const state = module.machine.state;
  if (state === "Attaching") {
    module.runtime.violate(
      "FilterRequest_Attaching",
      `${functionName} on ${module.name} from inside FilterAttach (the module is Attaching); OID requests and status indications wait until it is Paused`,
      module.driver,
    );
    return false;
  }
  return state !== "Detached";
}

/**
 * NdisFOidRequestComplete: the module completes a request NDIS gave its FilterOidRequest and it
 * pended; the result goes on up to whoever issued it.
 */
export function NdisFOidRequestComplete(
  NdisFilterHandle: NDIS_HANDLE,
  OidRequest: NDIS_OID_REQUEST,
  Status: NDIS_STATUS,
): void {
  const module = moduleOf("NdisFOidRequestComplete", NdisFilterHandle);
  if (module === null) return;
  module.runtime.assertAlive();
  const done = enter(module.runtime, "NdisFOidRequestComplete", module.driver, module.name);
  completeOidAtFilter(module, OidRequest, Status);
  done(undefined);
}

/** NdisFCancelOidRequest: passes a request cancellation on down. */
export function NdisFCancelOidRequest(NdisFilterHandle: NDIS_HANDLE, RequestId: unknown): void {
  const module = moduleOf("NdisFCancelOidRequest", NdisFilterHandle);
  if (module === null) return;
  module.runtime.assertAlive();
  cancelOidFromFilter(module, RequestId);
}

/** The module states in which NdisFDirectOidRequest may be called (its DDI page). */
const DIRECT_OID_STATES = new Set(["Restarting", "Running", "Pausing", "Paused"]);

/**
 * NdisFDirectOidRequest (NDIS 6.1, ≤ DISPATCH_LEVEL): the module forwards a direct request it got
 * in FilterDirectOidRequest (a clone, NdisAllocateCloneOidRequest) or originates one; it goes to
 * the next module below with a FilterDirectOidRequest, or to MiniportDirectOidRequest, with no
 * serialization. Callable in the Restarting, Running, Pausing and Paused states. Returns the
 * result, or PENDING (then FilterDirectOidRequestComplete gets it).
 */
export function NdisFDirectOidRequest(
  NdisFilterHandle: NDIS_HANDLE,
  OidRequest: NDIS_OID_REQUEST,
): NDIS_STATUS {
  const module = moduleOf("NdisFDirectOidRequest", NdisFilterHandle);
  if (module === null) return NDIS_STATUS_FAILURE;
  const runtime = module.runtime;
  runtime.assertAlive();
  const done = enter(runtime, "NdisFDirectOidRequest", module.driver, module.name);
  if (
    !requestsAllowed(module, "NdisFDirectOidRequest") ||
    !DIRECT_OID_STATES.has(module.machine.state)
  )
    return done(
      NDIS_STATUS_FAILURE,
      `${module.name} is ${module.machine.state}; a module issues direct requests when Restarting, Running, Pausing or Paused`,
    );
  const [status, why] = issueDirect(module, "NdisFDirectOidRequest", OidRequest);
  return done(status, why);
}

/**
 * NdisFDirectOidRequestComplete (≤ DISPATCH_LEVEL): the module completes a direct request its
 * FilterDirectOidRequest pended; the result goes on up to whoever issued it.
 */
export function NdisFDirectOidRequestComplete(
  NdisFilterHandle: NDIS_HANDLE,
  OidRequest: NDIS_OID_REQUEST,
  Status: NDIS_STATUS,
): void {
  const module = moduleOf("NdisFDirectOidRequestComplete", NdisFilterHandle);
  if (module === null) return;
  module.runtime.assertAlive();
  const done = enter(module.runtime, "NdisFDirectOidRequestComplete", module.driver, module.name);
  checkIrql(
    module.runtime,
    module.driver,
    "NdisFDirectOidRequestComplete",
    DISPATCH_LEVEL,
    "Irql_Filter_Driver_Function",
  );
  completeDirectOidAtFilter(module, OidRequest, Status);
  done(undefined);
}

/** NdisFCancelDirectOidRequest (≤ DISPATCH_LEVEL): passes a direct request's cancellation down. */
export function NdisFCancelDirectOidRequest(
  NdisFilterHandle: NDIS_HANDLE,
  RequestId: unknown,
): void {
  const module = moduleOf("NdisFCancelDirectOidRequest", NdisFilterHandle);
  if (module === null) return;
  module.runtime.assertAlive();
  const done = enter(module.runtime, "NdisFCancelDirectOidRequest", module.driver, module.name);
  cancelDirectOid(module, RequestId);
  done(undefined);
}

/** NdisFIndicateStatus: the module passes a status indication (its own, or one it got) up. */
export function NdisFIndicateStatus(
  NdisFilterHandle: NDIS_HANDLE,
  StatusIndication: NDIS_STATUS_INDICATION,
): void {
  const module = moduleOf("NdisFIndicateStatus", NdisFilterHandle);
  if (module === null) return;
  module.runtime.assertAlive();
  checkIrql(
    module.runtime,
    module.driver,
    "NdisFIndicateStatus",
    DISPATCH_LEVEL,
    "Irql_Filter_Driver_Function",
  );
  if (!requestsAllowed(module, "NdisFIndicateStatus")) return;
  deliverStatus(module.adapter, module, StatusIndication);
}

/**
 * NdisFDevicePnPEventNotify: the module passes a device PnP event on down — to the next module
 * with a FilterDevicePnPEventNotify handler, else to the miniport's MiniportDevicePnPEventNotify.
 */
export function NdisFDevicePnPEventNotify(
  NdisFilterHandle: NDIS_HANDLE,
  NetDevicePnPEvent: NET_DEVICE_PNP_EVENT,
): void {
  const module = moduleOf("NdisFDevicePnPEventNotify", NdisFilterHandle);
  if (module === null) return;
  module.runtime.assertAlive();
  checkIrql(
    module.runtime,
    module.driver,
    "NdisFDevicePnPEventNotify",
    PASSIVE_LEVEL,
    "Irql_Filter_Driver_Function",
  );
  devicePnPDown(module.adapter, module, NetDevicePnPEvent);
}

/**
 * NdisFNetPnPEvent: from its FilterNetPnPEvent, the module passes a network PnP or power event on
 * up — to the next module that takes such events, or to the protocols bound above. PASSIVE_LEVEL.
 * Returns SUCCESS, or for a query (NetEventQueryPower, NetEventQueryRemoveDevice) the first
 * refusal above. [MODEL] When a protocol above pends the event (or a handler above blocks), the
 * answer is a promise of the status: a FilterNetPnPEvent written as an `async` function awaits it,
 * as a blocking call at PASSIVE_LEVEL would wait.
 */
export function NdisFNetPnPEvent(
  NdisFilterHandle: NDIS_HANDLE,
  NetPnPEventNotification: NET_PNP_EVENT_NOTIFICATION,
): NDIS_STATUS | Promise<NDIS_STATUS> {
  const module = moduleOf("NdisFNetPnPEvent", NdisFilterHandle);
  if (module === null) return NDIS_STATUS_FAILURE;
  const runtime = module.runtime;
  runtime.assertAlive();
  const done = enter(runtime, "NdisFNetPnPEvent", module.driver, module.name);
  checkIrql(
    runtime,
    module.driver,
    "NdisFNetPnPEvent",
    PASSIVE_LEVEL,
    "Irql_Filter_Driver_Function",
  );
  const code = (NetPnPEventNotification as { NetPnPEvent?: { NetEvent?: unknown } } | null)
    ?.NetPnPEvent?.NetEvent;
  if (typeof code !== "number")
    return done(NDIS_STATUS_INVALID_PARAMETER, "NetPnPEventNotification has no NetEvent");
  const answer = netPnPUp(module.adapter, module, NetPnPEventNotification);
  if (typeof answer === "number") return done(answer);
  done(NDIS_STATUS_PENDING, "a protocol above pended the event");
  return answer;
}
