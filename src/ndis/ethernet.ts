/**
 * The Ethernet address macros of ndis.h, as Microsoft's MUX sample and other IM drivers use them
 * on frames and MAC addresses. A C macro that reads `_Addr[0..5]` takes a Uint8Array here and
 * reads its first six bytes, so a frame (destination first) can be passed as it is; one that
 * writes a result through a pointer takes an `Out<number>`.
 */
import type { Out } from "./types.js";

/** ETH_LENGTH_OF_ADDRESS: bytes in an Ethernet (802.3) MAC address. */
export const ETH_LENGTH_OF_ADDRESS = 6;

/** ETH_IS_MULTICAST: the group bit (bit 0 of the first byte) is set; true for broadcast too. */
export function ETH_IS_MULTICAST(Address: Uint8Array): boolean {
  return ((Address[0] as number) & 0x01) !== 0;
}

/** ETH_IS_BROADCAST: FF-FF-FF-FF-FF-FF. */
export function ETH_IS_BROADCAST(Address: Uint8Array): boolean {
  return (
    ((Address[0] as number) &
      (Address[1] as number) &
      (Address[2] as number) &
      (Address[3] as number) &
      (Address[4] as number) &
      (Address[5] as number)) ===
    0xff
  );
}

/** ETH_IS_LOCALLY_ADMINISTERED: the locally-administered bit (bit 1 of the first byte) is set. */
export function ETH_IS_LOCALLY_ADMINISTERED(Address: Uint8Array): boolean {
  return ((Address[0] as number) & 0x02) !== 0;
}

/**
 * ETH_COMPARE_NETWORK_ADDRESSES_EQ: writes 0 to `Result` when the two addresses are equal and a
 * nonzero value when they are not (the C macro's `*(_Result)`).
 */
export function ETH_COMPARE_NETWORK_ADDRESSES_EQ(
  A: Uint8Array,
  B: Uint8Array,
  Result: Out<number>,
): void {
  Result.value =
    A[0] === B[0] &&
    A[1] === B[1] &&
    A[2] === B[2] &&
    A[3] === B[3] &&
    A[4] === B[4] &&
    A[5] === B[5]
      ? 0
      : 1;
}

/**
 * ETH_COMPARE_NETWORK_ADDRESSES: writes a negative value to `Result` when A sorts before B (byte
 * by byte, from the first), 0 when equal, a positive value when A sorts after.
 */
export function ETH_COMPARE_NETWORK_ADDRESSES(
  A: Uint8Array,
  B: Uint8Array,
  Result: Out<number>,
): void {
  for (let i = 0; i < ETH_LENGTH_OF_ADDRESS; i++) {
    const d = (A[i] as number) - (B[i] as number);
    if (d !== 0) {
      Result.value = d < 0 ? -1 : 1;
      return;
    }
  }
  Result.value = 0;
}

/** ETH_COPY_NETWORK_ADDRESS: copies the six bytes of `Source` to the start of `Destination`. */
export function ETH_COPY_NETWORK_ADDRESS(Destination: Uint8Array, Source: Uint8Array): void {
  for (let i = 0; i < ETH_LENGTH_OF_ADDRESS; i++) Destination[i] = Source[i] as number;
}
