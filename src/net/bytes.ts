/**
 * Big-endian (network order) reads and writes on a Uint8Array, without a DataView: asking a small
 * on-heap typed array for its `.buffer` makes V8 move it off the heap, which costs more than the
 * parsing it serves (about 1 µs a frame). Offsets are relative to the array's own start.
 */

export function get16(bytes: Uint8Array, offset: number): number {
  return (((bytes[offset] as number) << 8) | (bytes[offset + 1] as number)) >>> 0;
}

export function get32(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset] as number) * 0x1000000 +
      (((bytes[offset + 1] as number) << 16) |
        ((bytes[offset + 2] as number) << 8) |
        (bytes[offset + 3] as number))) >>>
    0
  );
}

export function set16(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = (value >>> 8) & 0xff;
  bytes[offset + 1] = value & 0xff;
}

export function set32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = (value >>> 24) & 0xff;
  bytes[offset + 1] = (value >>> 16) & 0xff;
  bytes[offset + 2] = (value >>> 8) & 0xff;
  bytes[offset + 3] = value & 0xff;
}
