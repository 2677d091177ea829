/**
 * ndis.h's memory, interlocked and string helpers, for code ported from C that reads like the C.
 * Memory is a Uint8Array (a C buffer), a LONG updated in place is a cell object (`{ value }`), an
 * NDIS_STRING is a JS string, so the string helpers that write a UNICODE_STRING take an `Out`.
 * Idiomatic TypeScript (`fill`, `set`, `++`, `===`) does the same; these keep a port line for line.
 */
import { type NDIS_STATUS, NDIS_STATUS_SUCCESS } from "./status.js";
import type { Out } from "./types.js";

/** NdisZeroMemory: zeroes the first `Length` bytes of `Destination`. */
export function NdisZeroMemory(Destination: Uint8Array, Length: number): void {
  Destination.fill(0, 0, Length);
}

/** NdisMoveMemory: copies `Length` bytes from `Source` to `Destination` (both from their start). */
export function NdisMoveMemory(Destination: Uint8Array, Source: Uint8Array, Length: number): void {
  Destination.set(Source.subarray(0, Length));
}

/** NdisFillMemory: sets the first `Length` bytes of `Destination` to `Fill`. */
export function NdisFillMemory(Destination: Uint8Array, Length: number, Fill: number): void {
  Destination.fill(Fill, 0, Length);
}

/** NdisEqualMemory: 1 when the first `Length` bytes of both buffers are equal, else 0. */
export function NdisEqualMemory(Source1: Uint8Array, Source2: Uint8Array, Length: number): number {
  if (Source1.length < Length || Source2.length < Length) return 0;
  for (let i = 0; i < Length; i++) if (Source1[i] !== Source2[i]) return 0;
  return 1;
}

/** A LONG the interlocked helpers update in place (C's `PLONG`). */
export interface LONG_CELL {
  value: number;
}

/** NdisInterlockedIncrement: adds one to the LONG and returns the new value (32-bit, wrapping). */
export function NdisInterlockedIncrement(Addend: LONG_CELL): number {
  Addend.value = (Addend.value + 1) | 0;
  return Addend.value;
}

/** NdisInterlockedDecrement: subtracts one from the LONG and returns the new value. */
export function NdisInterlockedDecrement(Addend: LONG_CELL): number {
  Addend.value = (Addend.value - 1) | 0;
  return Addend.value;
}

/** NDIS_STRING_CONST: the literal itself (an NDIS_STRING is a string). */
export function NDIS_STRING_CONST(Literal: string): string {
  return Literal;
}

/** NdisInitUnicodeString: `Destination` describes `Source` (NULL: the empty string). */
export function NdisInitUnicodeString(Destination: Out<string>, Source: string | null): void {
  Destination.value = Source ?? "";
}

/** NdisInitializeString has the same effect for a string the caller owns. */
export const NdisInitializeString = NdisInitUnicodeString;

/** NdisUpcaseUnicodeString: `DestinationString` gets `SourceString` in upper case. */
export function NdisUpcaseUnicodeString(
  DestinationString: Out<string>,
  SourceString: string,
): NDIS_STATUS {
  DestinationString.value = SourceString.toUpperCase();
  return NDIS_STATUS_SUCCESS;
}

/** NdisEqualString: the strings are equal, ignoring case when `CaseInsensitive`. */
export function NdisEqualString(
  String1: string,
  String2: string,
  CaseInsensitive: boolean,
): boolean {
  return CaseInsensitive ? String1.toUpperCase() === String2.toUpperCase() : String1 === String2;
}
