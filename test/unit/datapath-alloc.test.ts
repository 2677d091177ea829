/**
 * The data path allocates nothing per packet in steady state: sends with their completions and
 * indications with their returns, directly and through one and two passthrough IMs, verifier
 * strict, at batches of 1, 16 and 64 NBLs.
 *
 * How it can fail: the bytes come from V8's used heap around the loop plus what every collection
 * during it freed (test/helpers/alloc.ts). The smallest heap object V8 allocates is 16 bytes, so
 * one object per call would show as at least 16 × 20,000 = 320,000 bytes; the bound, 32 KiB per
 * reading whatever the number of calls, is the few kilobytes V8 allocates once per reading (the
 * loop's on-stack-replacement code and feedback), with room to spare. The best of three readings
 * counts (compilation happens once; an allocation on the data path happens every time). A first
 * test checks that the measurement sees one small object per call.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { measureAllocation } from "../helpers/alloc.js";
import { dataPathStack } from "../helpers/datapath-rig.js";

const BATCHES = 20_000;
const BOUND = 32 * 1024;

function bestOfThree(step: () => void): number {
  for (let i = 0; i < BATCHES; i++) step(); // warm-up: let V8 compile the path
  let best = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < 3; attempt++) {
    const { bytes } = measureAllocation(() => {
      for (let i = 0; i < BATCHES; i++) step();
    });
    best = Math.min(best, bytes);
  }
  return best;
}

describe("data path allocation", () => {
  it("the measurement sees one small object per call", () => {
    const ring: unknown[] = [null, null, null, null];
    let i = 0;
    const bytes = bestOfThree(() => {
      ring[i++ & 3] = { i };
    });
    assert.ok(bytes >= 16 * BATCHES, `measured ${bytes} bytes for ${BATCHES} objects`);
  });

  for (const layers of [0, 1, 2] as const) {
    for (const batch of [1, 16, 64]) {
      const path = layers === 0 ? "direct" : layers === 1 ? "through passthrough" : "through two";
      it(`${path}, batch ${batch}, strict: no bytes per packet either way`, async () => {
        const stack = await dataPathStack({ layers, verifier: "strict", batch });
        const sent = bestOfThree(stack.send);
        const indicated = bestOfThree(stack.indicate);
        const counts = stack.counts();
        // Every batch came back: warm-up and three readings, each BATCHES calls of `batch` NBLs.
        assert.equal(counts.completed, 4 * BATCHES * batch);
        assert.equal(counts.returned, 4 * BATCHES * batch);
        assert.deepEqual(stack.host.violations, []);
        assert.ok(sent < BOUND, `send + completion allocated ${sent} bytes over ${BATCHES} calls`);
        assert.ok(
          indicated < BOUND,
          `indication + return allocated ${indicated} bytes over ${BATCHES} calls`,
        );
      });
    }
  }
});
