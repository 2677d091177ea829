/**
 * ndis.h's flag macros. In C, `NDIS_SET_FLAG(x, f)` assigns to `x`; a TypeScript function cannot
 * assign to its caller's variable, so the SET/CLEAR forms return the new value:
 * `x = NDIS_SET_FLAG(x, f)` (the translation rules of docs/ddi.md for C lvalue macros).
 */
import {
  NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_RETURN_FLAGS_DISPATCH_LEVEL,
  NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL,
  NDIS_SEND_FLAGS_DISPATCH_LEVEL,
} from "./nbl.js";

/** NDIS_TEST_FLAG: any bit of `Flag` is set in `Value`. */
export function NDIS_TEST_FLAG(Value: number, Flag: number): boolean {
  return (Value & Flag) !== 0;
}

/** NDIS_SET_FLAG: `Value` with the bits of `Flag` set (assign it back). */
export function NDIS_SET_FLAG(Value: number, Flag: number): number {
  return (Value | Flag) >>> 0;
}

/** NDIS_CLEAR_FLAG: `Value` with the bits of `Flag` cleared (assign it back). */
export function NDIS_CLEAR_FLAG(Value: number, Flag: number): number {
  return (Value & ~Flag) >>> 0;
}

/** NDIS_TEST_SEND_AT_DISPATCH_LEVEL: the SendFlags say the caller runs at DISPATCH_LEVEL. */
export function NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags: number): boolean {
  return (SendFlags & NDIS_SEND_FLAGS_DISPATCH_LEVEL) !== 0;
}

/** NDIS_TEST_SEND_COMPLETE_AT_DISPATCH_LEVEL: the SendCompleteFlags say DISPATCH_LEVEL. */
export function NDIS_TEST_SEND_COMPLETE_AT_DISPATCH_LEVEL(SendCompleteFlags: number): boolean {
  return (SendCompleteFlags & NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL) !== 0;
}

/** NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL: the ReceiveFlags say DISPATCH_LEVEL. */
export function NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(ReceiveFlags: number): boolean {
  return (ReceiveFlags & NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL) !== 0;
}

/** NDIS_TEST_RECEIVE_CANNOT_PEND: NDIS_RECEIVE_FLAGS_RESOURCES is set — copy, do not keep. */
export function NDIS_TEST_RECEIVE_CANNOT_PEND(ReceiveFlags: number): boolean {
  return (ReceiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0;
}

/** NDIS_TEST_RECEIVE_CAN_PEND: NDIS_RECEIVE_FLAGS_RESOURCES is clear — the NBLs may be kept. */
export function NDIS_TEST_RECEIVE_CAN_PEND(ReceiveFlags: number): boolean {
  return (ReceiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) === 0;
}

/** NDIS_TEST_RETURN_AT_DISPATCH_LEVEL: the ReturnFlags say DISPATCH_LEVEL. */
export function NDIS_TEST_RETURN_AT_DISPATCH_LEVEL(ReturnFlags: number): boolean {
  return (ReturnFlags & NDIS_RETURN_FLAGS_DISPATCH_LEVEL) !== 0;
}

/** NDIS_SET_SEND_FLAG: SendFlags with `Flag` set (assign it back). */
export function NDIS_SET_SEND_FLAG(SendFlags: number, Flag: number): number {
  return (SendFlags | Flag) >>> 0;
}

/** NDIS_SET_SEND_COMPLETE_FLAG: SendCompleteFlags with `Flag` set (assign it back). */
export function NDIS_SET_SEND_COMPLETE_FLAG(SendCompleteFlags: number, Flag: number): number {
  return (SendCompleteFlags | Flag) >>> 0;
}

/** NDIS_SET_RECEIVE_FLAG: ReceiveFlags with `Flag` set (assign it back). */
export function NDIS_SET_RECEIVE_FLAG(ReceiveFlags: number, Flag: number): number {
  return (ReceiveFlags | Flag) >>> 0;
}

/** NDIS_SET_RETURN_FLAG: ReturnFlags with `Flag` set (assign it back). */
export function NDIS_SET_RETURN_FLAG(ReturnFlags: number, Flag: number): number {
  return (ReturnFlags | Flag) >>> 0;
}
