/**
 * Bytes allocated on the JavaScript heap by a piece of synchronous code, measured so that the
 * figure could show the opposite: V8's used-heap size read right before and right after the code,
 * plus what every garbage collection in between freed. The collections come from v8.GCProfiler,
 * which records each one synchronously in V8's GC callbacks with the heap's used size before and
 * after it, so a scavenge in the middle of the loop is accounted for instead of hiding the bytes
 * it freed (a PerformanceObserver delivers GC entries asynchronously, after the code has run).
 *
 * allocated = (used after − used before) + Σ over collections (used before GC − used after GC)
 *
 * "Used" leaves out V8's code spaces: machine code is what the compiler makes, not what the code
 * under measurement allocates. It matters: when V8 compiles the measured loop on stack
 * replacement (OSR) at the start of a reading, with the whole data path inlined, the new code
 * takes ~230 KB of code space — once per reading, whatever the number of calls in it — and in
 * about one process in three that happened in every reading, which the data-path test read as
 * "~11 bytes per call".
 *
 * A forced full collection (global gc, from --expose-gc, or enabled here at run time) before the
 * measurement leaves no older garbage for a collection during it to free and be miscounted.
 */
import v8 from "node:v8";
import vm from "node:vm";

type Gc = () => void;

let gcFunction: Gc | null = null;

/** The `gc` of --expose-gc, turning the flag on at run time when the process started without it. */
export function exposedGc(): Gc {
  if (gcFunction !== null) return gcFunction;
  const global = (globalThis as { gc?: Gc }).gc;
  if (typeof global === "function") gcFunction = global;
  else {
    v8.setFlagsFromString("--expose-gc");
    gcFunction = vm.runInNewContext("gc") as Gc;
  }
  return gcFunction;
}

export interface Allocation {
  /** Bytes allocated while `run` ran (see the module comment). */
  readonly bytes: number;
  /** Garbage collections during the run. */
  readonly collections: number;
}

/** What `run` allocates, run once after two full collections. */
export function measureAllocation(run: () => void): Allocation {
  const gc = exposedGc();
  gc();
  gc();
  const profiler = new v8.GCProfiler();
  profiler.start();
  const before = usedOutsideCode();
  run();
  const after = usedOutsideCode();
  const { statistics } = profiler.stop();
  let freed = 0;
  for (const s of statistics)
    freed +=
      spacesOutsideCode(s.beforeGC.heapSpaceStatistics) -
      spacesOutsideCode(s.afterGC.heapSpaceStatistics);
  return { bytes: after - before + freed, collections: statistics.length };
}

const isCode = (space: string) => space.startsWith("code");

/** V8's used heap outside its code spaces. */
function usedOutsideCode(): number {
  let used = 0;
  for (const s of v8.getHeapSpaceStatistics()) if (!isCode(s.space_name)) used += s.space_used_size;
  return used;
}

/** The same, from a GCProfiler record. */
function spacesOutsideCode(
  spaces: readonly { spaceName: string; spaceUsedSize: number }[],
): number {
  let used = 0;
  for (const s of spaces) if (!isCode(s.spaceName)) used += s.spaceUsedSize;
  return used;
}

/** Bytes per packet of `batches` calls of `step`, each moving `packetsPerCall` packets. */
export function bytesPerPacket(step: () => void, batches: number, packetsPerCall: number): number {
  const { bytes } = measureAllocation(() => {
    for (let i = 0; i < batches; i++) step();
  });
  return bytes / (batches * packetsPerCall);
}
