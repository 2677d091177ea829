/** Reading a raw handle in tests: what has arrived so far, without losing a frame to a race. */
import type { RawHandle } from "../../src/drivers/raw/index.js";

export interface RawReader {
  /** Every frame received and not yet read; [] when none is waiting. */
  drain(): Promise<Uint8Array[]>;
  /** The next frame, or null when none is waiting (or the handle ended). */
  next(): Promise<Uint8Array | null>;
  /** True once frames() has ended (close or unbind). */
  ended(): Promise<boolean>;
}

/**
 * Frames reach a raw handle synchronously inside the hub's DPC; the async iterator hands them on
 * in microtasks. A read that finds nothing waiting gives up at the next macrotask turn — no clock
 * is involved, nothing arrives later by itself — and keeps its pending `next()` for the next call.
 */
export function rawReader(handle: RawHandle): RawReader {
  const iterator = handle.frames()[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<Uint8Array>> | null = null;
  let done = false;
  const step = async (): Promise<Uint8Array | null> => {
    if (done) return null;
    pending ??= iterator.next();
    const none = Symbol("none");
    const result = await Promise.race([
      pending,
      new Promise<typeof none>((resolve) => setImmediate(() => resolve(none))),
    ]);
    if (result === none) return null;
    pending = null;
    if (result.done === true) {
      done = true;
      return null;
    }
    return result.value;
  };
  return {
    async drain() {
      const out: Uint8Array[] = [];
      for (let f = await step(); f !== null; f = await step()) out.push(f);
      return out;
    },
    next: step,
    async ended() {
      await step();
      return done;
    },
  };
}
