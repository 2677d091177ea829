/**
 * NDIS I/O work items: a driver at DISPATCH_LEVEL (a DPC, a timer, a send completion) queues work
 * that must run at PASSIVE_LEVEL (NdisMPauseComplete after the last send came back, an OID that
 * needs PASSIVE). The routine runs after the current call has unwound, on the host clock, at
 * PASSIVE_LEVEL. ≤ DISPATCH_LEVEL for every call.
 */
import { DISPATCH_LEVEL, PASSIVE_LEVEL } from "../../ndis/irql.js";
import type { NDIS_HANDLE } from "../../ndis/types.js";
import { callDriver, checkIrql } from "../core/objects/context.js";
import {
  describeHandleArgument,
  handleDriver,
  handleRuntime,
  mintHandle,
  resolveHandle,
} from "../core/objects/handles.js";
import type { WorkItemRecord, WorkItemRoutine } from "../core/objects/records.js";
import { freeWorkItem, resourceLabel, resourceOwnerOf } from "../core/objects/resources.js";
import { reportAtCaller } from "./lookup.js";
import { enter } from "./trace.js";

export type NDIS_IO_WORKITEM_ROUTINE = WorkItemRoutine;

function itemOf(functionName: string, handle: unknown): WorkItemRecord | null {
  const target = resolveHandle(handle);
  if (target?.kind === "work-item") return target;
  reportAtCaller(
    handleRuntime(handle),
    "InvalidNdisHandle",
    `${functionName} got ${describeHandleArgument(handle)}; it needs a work item from NdisAllocateIoWorkItem`,
    handleDriver(handle),
  );
  return null;
}

/**
 * NdisAllocateIoWorkItem: a work item for the adapter, binding or driver behind
 * `NdisObjectHandle`; NULL for a handle NDIS did not give or when memory runs out.
 */
export function NdisAllocateIoWorkItem(NdisObjectHandle: NDIS_HANDLE): NDIS_HANDLE | null {
  const resolved = resourceOwnerOf(NdisObjectHandle);
  if (resolved === null) {
    reportAtCaller(
      handleRuntime(NdisObjectHandle),
      "InvalidNdisHandle",
      `NdisAllocateIoWorkItem got ${describeHandleArgument(NdisObjectHandle)}; it needs a miniport adapter, binding or driver handle`,
      handleDriver(NdisObjectHandle),
    );
    return null;
  }
  const { driver, owner } = resolved;
  const runtime = driver.runtime;
  runtime.assertAlive();
  const done = enter(runtime, "NdisAllocateIoWorkItem", driver);
  checkIrql(runtime, driver, "NdisAllocateIoWorkItem", DISPATCH_LEVEL, "Irql_WorkItem_Function");
  if (runtime.takeAllocationFailure("NdisAllocateIoWorkItem")) {
    done(undefined, "out of memory");
    return null;
  }
  const item: WorkItemRecord = {
    kind: "work-item",
    driver,
    owner,
    label: resourceLabel("work item", driver, owner),
    handle: null as unknown as NDIS_HANDLE,
    cancel: null,
  };
  item.handle = mintHandle(item.label, item);
  driver.workItems.add(item);
  done(undefined);
  return item.handle;
}

/**
 * NdisQueueIoWorkItem: runs `Routine(WorkItemContext, NdisIoWorkItemHandle)` at PASSIVE_LEVEL
 * once the current call has unwound. Queueing an item that is already queued is a violation
 * (Windows corrupts its queue); the second request is dropped.
 */
export function NdisQueueIoWorkItem(
  NdisIoWorkItemHandle: NDIS_HANDLE,
  Routine: NDIS_IO_WORKITEM_ROUTINE,
  WorkItemContext: unknown,
): void {
  const item = itemOf("NdisQueueIoWorkItem", NdisIoWorkItemHandle);
  if (item === null) return;
  const runtime = item.driver.runtime;
  runtime.assertAlive();
  const done = enter(runtime, "NdisQueueIoWorkItem", item.driver, item.label);
  checkIrql(runtime, item.driver, "NdisQueueIoWorkItem", DISPATCH_LEVEL, "Irql_WorkItem_Function");
  if (typeof Routine !== "function") {
    reportAtCaller(runtime, "InvalidNdisHandle", "NdisQueueIoWorkItem: Routine is NULL");
    done(undefined, "no routine");
    return;
  }
  if (item.cancel !== null) {
    reportAtCaller(
      runtime,
      "NdisQueueIoWorkItem_Queued",
      `NdisQueueIoWorkItem on ${item.label}, which is already queued; NDIS dropped this request`,
    );
    done(undefined, "already queued");
    return;
  }
  item.cancel = runtime.clock.schedule(
    0,
    () => {
      item.cancel = null;
      callDriver(
        runtime,
        item.driver,
        "NDIS_IO_WORKITEM_ROUTINE",
        PASSIVE_LEVEL,
        () => Routine(WorkItemContext, item.handle),
        () => undefined,
        item.label,
      );
    },
    false,
    `${item.driver.name}: work item ${item.label}`,
  );
  done(undefined);
}

/** NdisFreeIoWorkItem: frees the item. Freeing a queued item is a violation; its run is dropped. */
export function NdisFreeIoWorkItem(NdisIoWorkItemHandle: NDIS_HANDLE): void {
  const item = itemOf("NdisFreeIoWorkItem", NdisIoWorkItemHandle);
  if (item === null) return;
  const runtime = item.driver.runtime;
  const done = enter(runtime, "NdisFreeIoWorkItem", item.driver, item.label);
  checkIrql(runtime, item.driver, "NdisFreeIoWorkItem", DISPATCH_LEVEL, "Irql_WorkItem_Function");
  if (item.cancel !== null) {
    reportAtCaller(
      runtime,
      "NdisQueueIoWorkItem_Queued",
      `NdisFreeIoWorkItem on ${item.label} while it is queued; its routine will not run`,
    );
  }
  freeWorkItem(item);
  done(undefined);
}
