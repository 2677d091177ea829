/**
 * NDIS timer objects (NdisAllocateTimerObject, NdisSetTimerObject, NdisCancelTimerObject,
 * NdisFreeTimerObject). The timer function runs at DISPATCH_LEVEL, like a DPC.
 */
import type { NDIS_OBJECT_HEADER } from "./object-header.js";

export const NDIS_TIMER_CHARACTERISTICS_REVISION_1 = 1;
/** [DERIVED] x64: Header 4, AllocationTag 4, TimerFunction 8, FunctionContext 8. */
export const NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1 = 24;

/**
 * NDIS_TIMER_FUNCTION: `SystemSpecific1`, `SystemSpecific2` and `SystemSpecific3` are NDIS's own
 * (here: null, and the interrupt time in 100 ns units as a bigint for the second); a driver uses
 * only `FunctionContext`.
 */
export type NDIS_TIMER_FUNCTION = (
  SystemSpecific1: unknown,
  FunctionContext: unknown,
  SystemSpecific2: unknown,
  SystemSpecific3: unknown,
) => void;

export interface NDIS_TIMER_CHARACTERISTICS {
  /** Type NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS, Revision 1, Size ≥ NDIS_SIZEOF_…_REVISION_1. */
  readonly Header: NDIS_OBJECT_HEADER;
  readonly AllocationTag: number;
  readonly TimerFunction: NDIS_TIMER_FUNCTION;
  /** Passed to TimerFunction unless NdisSetTimerObject gives another. */
  readonly FunctionContext: unknown;
}
