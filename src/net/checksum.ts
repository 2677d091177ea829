/**
 * The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of 16-bit
 * big-endian words, an odd last byte padded with zero. Used by IPv4 headers, ICMP and UDP.
 */

/** Adds `bytes[start, end)` to a running 32-bit sum (not yet folded). */
export function sumWords(bytes: Uint8Array, start = 0, end = bytes.length, sum = 0): number {
  let i = start;
  for (; i + 1 < end; i += 2) sum += ((bytes[i] as number) << 8) | (bytes[i + 1] as number);
  if (i < end) sum += (bytes[i] as number) << 8;
  return sum;
}

/** Folds a running sum to 16 bits and complements it: the checksum to store. */
export function finishChecksum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

/** The checksum of `bytes[start, end)`. Over data that holds a correct checksum it is 0. */
export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return finishChecksum(sumWords(bytes, start, end));
}

/**
 * The checksum `checksum` after one 16-bit word it covers changed from `oldWord` to `newWord`,
 * updated incrementally (RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m')), as routers update a header
 * whose TTL they lower. The same as computing it again over the changed data, except that 0 comes
 * out as 0xFFFF, its other form in ones' complement: data that sums to anything but zero verifies
 * with either, and data that sums to zero (all zero but the checksum — an echo reply with
 * identifier, sequence and payload 0) only with 0xFFFF, which eqn. 3 alone cannot tell.
 */
export function adjustChecksum(checksum: number, oldWord: number, newWord: number): number {
  let sum = (~checksum & 0xffff) + (~oldWord & 0xffff) + newWord;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff || 0xffff;
}
