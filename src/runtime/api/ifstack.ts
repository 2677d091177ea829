/**
 * NdisIfAddIfStackEntry / NdisIfDeleteIfStackEntry (their DDI pages, and "Maintaining a Network
 * Interface Stack"): NDIS cannot see how a MUX's virtual miniports sit on the adapters its
 * protocol edge binds to, so the driver says so — virtual miniport (higher) over adapter (lower).
 * PASSIVE_LEVEL (SDV's Irql_Interfaces_Function); NDIS_STATUS_INTERFACE_NOT_FOUND when either
 * index is not a registered interface. The table is src/runtime/core/stack/ifstack.ts.
 */
import { irqlToString, PASSIVE_LEVEL } from "../../ndis/irql.js";
import {
  type NDIS_STATUS,
  NDIS_STATUS_INTERFACE_NOT_FOUND,
  NDIS_STATUS_SUCCESS,
} from "../../ndis/status.js";
import { currentFrame } from "../core/objects/context.js";
import {
  addIfStackEntry,
  deleteIfStackEntry,
  isRegisteredInterface,
} from "../core/stack/ifstack.js";
import { enter } from "./trace.js";

export type { NDIS_IF_STACK_ENTRY } from "../core/stack/ifstack.js";

function atPassive(name: string): void {
  const frame = currentFrame();
  if (frame.irql <= PASSIVE_LEVEL) return;
  frame.runtime?.violate(
    "Irql_Interfaces_Function",
    `${name} called at ${irqlToString(frame.irql)}: it requires PASSIVE_LEVEL`,
    frame.driver,
    frame.depth,
  );
}

/** NdisIfAddIfStackEntry: records that `HigherLayerIfIndex` sits on `LowerLayerIfIndex`. */
export function NdisIfAddIfStackEntry(
  HigherLayerIfIndex: number,
  LowerLayerIfIndex: number,
): NDIS_STATUS {
  const frame = currentFrame();
  const runtime = frame.runtime;
  const done =
    runtime === null
      ? null
      : enter(
          runtime,
          "NdisIfAddIfStackEntry",
          frame.driver,
          `${HigherLayerIfIndex} over ${LowerLayerIfIndex}`,
        );
  atPassive("NdisIfAddIfStackEntry");
  if (
    runtime === null ||
    !isRegisteredInterface(runtime, HigherLayerIfIndex) ||
    !isRegisteredInterface(runtime, LowerLayerIfIndex)
  ) {
    return done?.(NDIS_STATUS_INTERFACE_NOT_FOUND) ?? NDIS_STATUS_INTERFACE_NOT_FOUND;
  }
  addIfStackEntry(runtime, { HigherLayerIfIndex, LowerLayerIfIndex });
  return done?.(NDIS_STATUS_SUCCESS) ?? NDIS_STATUS_SUCCESS;
}

/** NdisIfDeleteIfStackEntry: removes the entry when there is one. */
export function NdisIfDeleteIfStackEntry(
  HigherLayerIfIndex: number,
  LowerLayerIfIndex: number,
): void {
  const frame = currentFrame();
  if (frame.runtime !== null) {
    enter(frame.runtime, "NdisIfDeleteIfStackEntry", frame.driver)(undefined);
    deleteIfStackEntry(frame.runtime, HigherLayerIfIndex, LowerLayerIfIndex);
  }
  atPassive("NdisIfDeleteIfStackEntry");
}
