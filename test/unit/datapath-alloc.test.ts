/**
 * The data path allocates nothing per packet in steady state: sends with their completions and
 * indications with their returns, directly and through one and two passthrough IMs, and through a
 * running filter-passthrough module (alone, and below one IM), verifier strict, at batches of 1,
 * 16 and 64 NBLs.
 *
 * How it can fail: the bytes come from V8's used heap (outside its code spaces) around the loop plus
 * what every collection during it freed (test/helpers/alloc.ts). The smallest heap object V8
 * allocates is 12 to 16 bytes, so an object on one call in 32 would show as at least 10,000 bytes
 * over 20,000 calls, the bound (BOUND); a steady reading of the data path is ~2.7 KB, the
 * measurement's own. The claim is about steady state, that is optimized code (V8's interpreter
 * and baseline code allocate where the optimizing compiler does not): optimization runs on the
 * main thread here (--no-concurrent-recompilation, set below), so that a loaded machine starving
 * V8's compiler thread cannot leave the path unoptimized, and the best of up to six readings
 * counts (compilation happens once; an allocation on the data path happens in every reading). A
 * first test checks that the measurement sees one small object per call.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import v8 from "node:v8";
import { measureAllocation } from "../helpers/alloc.js";
import { buildSample, cSkipReason, PASSTHROUGH } from "../helpers/cdriver.js";
import { dataPathStack } from "../helpers/datapath-rig.js";

v8.setFlagsFromString("--no-concurrent-recompilation");

const BATCHES = 20_000;
/**
 * Half a byte per call: fewer than one small object in 32 calls. (Until the measurement left out
 * V8's code spaces, about one process in three read ~11 bytes per call in every reading: the
 * ~230 KB of machine code V8 made when it compiled the measured loop on stack replacement, once per
 * reading whatever its length — not an allocation of the data path. The bound was 16 bytes per
 * call then.)
 */
const BOUND = BATCHES / 2;

/** The fewest bytes of up to six readings of `batches` calls (stops at the first under `bound`). */
function best(step: () => void, batches = BATCHES, bound = BOUND): number {
  for (let i = 0; i < batches; i++) step(); // warm-up: let V8 compile the path
  let fewest = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < 6 && fewest >= bound; attempt++) {
    const { bytes } = measureAllocation(() => {
      for (let i = 0; i < batches; i++) step();
    });
    fewest = Math.min(fewest, bytes);
  }
  return fewest;
}

describe("data path allocation", () => {
  it("the measurement sees one small object per call", () => {
    const ring: unknown[] = [null, null, null, null];
    let i = 0;
    const bytes = best(() => {
      ring[i++ & 3] = { i };
    });
    assert.ok(bytes >= 16 * BATCHES, `measured ${bytes} bytes for ${BATCHES} objects`);
  });

  it("the bound catches one small object in 16 calls", () => {
    const ring: unknown[] = [null, null, null, null];
    let i = 0;
    const bytes = best(() => {
      if ((++i & 15) === 0) ring[i & 3] = { i };
    });
    assert.ok(bytes >= BOUND, `measured ${bytes} bytes for ${BATCHES / 16} objects`);
  });

  const cases: { layers: 0 | 1 | 2; filter?: "running"; path: string }[] = [
    { layers: 0, path: "direct" },
    { layers: 1, path: "through passthrough" },
    { layers: 2, path: "through two" },
    { layers: 0, filter: "running", path: "through a running filter module" },
    { layers: 1, filter: "running", path: "through a filter module and passthrough" },
  ];
  for (const { layers, filter, path } of cases) {
    for (const batch of [1, 16, 64]) {
      it(`${path}, batch ${batch}, strict: no bytes per packet either way`, async () => {
        const stack = await dataPathStack({
          layers,
          verifier: "strict",
          batch,
          ...(filter === undefined ? {} : { filter }),
        });
        const sent = best(stack.send);
        const indicated = best(stack.indicate);
        const counts = stack.counts();
        // Every batch came back (the warm-up and every reading are whole multiples of BATCHES calls).
        assert.equal(counts.completed % (BATCHES * batch), 0);
        assert.equal(counts.returned % (BATCHES * batch), 0);
        assert.ok(
          counts.completed >= 2 * BATCHES * batch && counts.returned >= 2 * BATCHES * batch,
        );
        assert.deepEqual(stack.host.violations, []);
        assert.ok(sent < BOUND, `send + completion allocated ${sent} bytes over ${BATCHES} calls`);
        assert.ok(
          indicated < BOUND,
          `indication + return allocated ${indicated} bytes over ${BATCHES} calls`,
        );
      });
    }
  }

  // The C passthrough (c/samples/passthrough, WebAssembly behind src/wasm's bridge): each NBL's
  // C mirror is made once and kept, and handlers are called without argument arrays. Fewer calls
  // (a C batch costs more); the bound is still below one 16-byte object per call. The mirror that
  // rewrote every NBL at every crossing allocated ~200–390 bytes per packet, ~12–25 KB per call.
  const skip = cSkipReason();
  for (const batch of [1, 64]) {
    it(`through the C passthrough, batch ${batch}, strict: no bytes per packet either way`, {
      skip: skip ?? false,
    }, async () => {
      const calls = 2_000;
      const bound = 16 * calls;
      const im = await buildSample("cpassthru", PASSTHROUGH);
      const stack = await dataPathStack({ layers: 1, verifier: "strict", batch, im });
      const sent = best(stack.send, calls, bound);
      const indicated = best(stack.indicate, calls, bound);
      const counts = stack.counts();
      assert.equal(counts.completed % (calls * batch), 0);
      assert.equal(counts.returned % (calls * batch), 0);
      assert.ok(counts.completed >= 2 * calls * batch && counts.returned >= 2 * calls * batch);
      assert.deepEqual(stack.host.violations, []);
      assert.ok(sent < bound, `send + completion allocated ${sent} bytes over ${calls} calls`);
      assert.ok(
        indicated < bound,
        `indication + return allocated ${indicated} bytes over ${calls} calls`,
      );
    });
  }
});
