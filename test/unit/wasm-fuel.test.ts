/**
 * The step budget rewrite (src/wasm/fuel.ts) on hand-assembled modules: it decodes the code
 * section instruction by instruction (a 0x03 byte inside an immediate is not a `loop`), keeps the
 * prefixed opcodes of bulk memory, sign extension and saturating conversion intact, counts one
 * step per call and per loop iteration exactly, and refuses what it cannot decode by name.
 * C drivers' own loops are tested in c-drivers.test.ts (a looping handler is stopped).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { addStepBudget, FUEL_EXPORT } from "../../src/wasm/fuel.js";

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function section(id: number, payload: number[]): number[] {
  return [id, ...leb(payload.length), ...payload];
}

/** A module exporting `run(n)` (and, with `globals`, a global of its own before the new one). */
function moduleWith(body: number[], globals = false): Uint8Array {
  const name = [...new TextEncoder().encode("run")];
  const code = [...leb(body.length), ...body];
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0,
    ...section(1, [1, 0x60, 1, 0x7f, 1, 0x7f]), // (i32) -> i32
    ...section(3, [1, 0]),
    ...section(5, [1, 0x00, 1]), // one page
    ...(globals ? section(6, [1, 0x7f, 0x01, 0x41, 0x05, 0x0b]) : []),
    ...section(7, [1, ...leb(name.length), ...name, 0x00, 0]),
    ...section(10, [1, ...code]),
  ]);
}

/**
 * run(n): n iterations, each adding 3 (an i32.const whose immediate is 0x03), 2 (2.5 truncated
 * by i32.trunc_sat_f32_s, prefix 0xfc 0x00) and 0 (0x80 sign-extended by i32.extend8_s, plus 128),
 * filling 4 bytes with 7 (memory.fill) and copying them (memory.copy); returns 5n + 0x07070707.
 */
const RUN = [
  1,
  1,
  0x7f, // one i32 local: the sum
  0x02,
  0x40, // block
  0x03,
  0x40, // loop
  0x20,
  0x00,
  0x45,
  0x0d,
  0x01, // br_if out when n == 0
  0x20,
  0x01,
  0x41,
  0x03,
  0x6a, // sum + 3
  0x43,
  0x00,
  0x00,
  0x20,
  0x40, // f32.const 2.5
  0xfc,
  0x00,
  0x6a, // + trunc_sat(2.5)
  0x41,
  0x80,
  0x01,
  0xc0,
  0x6a, // + extend8_s(0x80) = -128
  0x41,
  0x80,
  0x01,
  0x6a, // + 128
  0x21,
  0x01,
  0x41,
  0x00,
  0x41,
  0x07,
  0x41,
  0x04,
  0xfc,
  0x0b,
  0x00, // memory.fill(0, 7, 4)
  0x41,
  0x08,
  0x41,
  0x00,
  0x41,
  0x04,
  0xfc,
  0x0a,
  0x00,
  0x00, // memory.copy(8, 0, 4)
  0x20,
  0x00,
  0x41,
  0x01,
  0x6b,
  0x21,
  0x00, // n - 1
  0x0c,
  0x00, // br to the loop
  0x0b,
  0x0b,
  0x20,
  0x01,
  0x41,
  0x00,
  0x28,
  0x02,
  0x08, // i32.load offset 8
  0x6a,
  0x0b,
];

function instantiate(bytes: Uint8Array) {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  const exports = instance.exports as Record<string, unknown>;
  return {
    run: exports.run as (n: number) => number,
    fuel: exports[FUEL_EXPORT] as WebAssembly.Global,
  };
}

describe("the step budget rewrite", () => {
  it("keeps what the code computes, prefixed opcodes and immediates that look like `loop` included", () => {
    const plain = moduleWith(RUN);
    assert.equal(WebAssembly.validate(plain), true);
    const counted = addStepBudget(plain, "t.wasm");
    assert.equal(WebAssembly.validate(counted), true);
    const { run, fuel } = instantiate(counted);
    fuel.value = 1_000;
    assert.equal(run(10), 50 + 0x07070707);
    assert.equal(instantiate(plain).run(10), 50 + 0x07070707);
  });

  it("counts one step per call and one per loop iteration, and traps leaving -1 when they run out", () => {
    const { run, fuel } = instantiate(addStepBudget(moduleWith(RUN), "t.wasm"));
    // run(n) takes n + 2 steps: the call, n iterations and the loop head that leaves.
    fuel.value = 10;
    assert.equal(run(8), 40 + 0x07070707);
    assert.equal(fuel.value, 0);
    fuel.value = 10;
    assert.throws(() => run(9), WebAssembly.RuntimeError);
    assert.equal(fuel.value, -1);
    // A trap of the code itself leaves the count where it was: the bridge tells the two apart.
    const trap = instantiate(addStepBudget(moduleWith([0, 0x00, 0x0b]), "t.wasm"));
    trap.fuel.value = 5;
    assert.throws(() => trap.run(0), /unreachable/);
    assert.equal(trap.fuel.value, 4);
  });

  it("appends its global after the module's own, which keep their indexes", () => {
    // run returns global 0 (5) when n == 0, instead of the sum.
    const body = [0, 0x20, 0x00, 0x45, 0x04, 0x7f, 0x23, 0x00, 0x05, 0x41, 0x09, 0x0b, 0x0b];
    const { run, fuel } = instantiate(addStepBudget(moduleWith(body, true), "t.wasm"));
    fuel.value = 100;
    assert.equal(run(0), 5);
    assert.equal(run(1), 9);
    assert.equal(fuel.value, 98);
  });

  it("refuses an instruction it cannot decode, naming the module, the function and the opcode", () => {
    const simd = [0, 0xfd, 0x0c, ...new Array(16).fill(0), 0x1a, 0x20, 0x00, 0x0b];
    assert.throws(
      () => addStepBudget(moduleWith(simd), "vec.wasm"),
      /vec\.wasm: cannot add the step budget to defined function 0: opcode 0xfd at byte \d+ \(SIMD\)/,
    );
  });
});
