/**
 * NdisAllocate/FreeNetBufferListContext run in the C module itself on the data path
 * (c/runtime/ndis_rt_context.c), and NDIS takes over what they did when the NBL next crosses
 * out (src/wasm/nbl-mirror.ts). The verifier must not see a difference: each broken copy of the
 * C passthrough below is run twice, built as usual and built with every context call going to
 * NDIS (-DNDIS_TS_CONTEXT_VIA_NDIS), and both must get the same violations, the named one among
 * them. Skipped without clang and lld.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as passthrough from "../../src/drivers/passthrough/index.js";
import type { Violation } from "../../src/index.js";
import { buildSample, cSkipReason, PASSTHROUGH } from "../helpers/cdriver.js";
import { dataPathStack } from "../helpers/datapath-rig.js";

const skip = cSkipReason() ?? false;

type Layout = "one C layer" | "C under the TypeScript passthrough";

/** What the verifier reported for one send batch and one receive batch through a broken copy. */
async function run(bug: string | null, viaNdis: boolean, layout: Layout) {
  const flags = [
    ...(bug === null ? [] : [`-D${bug}`]),
    ...(viaNdis ? ["-DNDIS_TS_CONTEXT_VIA_NDIS"] : []),
  ];
  // One file name for both builds: reports name the module.
  const path = await buildSample(
    `cpassthru-${bug ?? "ok"}-${viaNdis ? "ndis" : "module"}`,
    PASSTHROUGH,
    flags,
  );
  const s = await dataPathStack({
    layers: layout === "one C layer" ? 1 : 2,
    verifier: "record",
    batch: 4,
    im: layout === "one C layer" ? path : [path, passthrough],
  });
  let thrown: unknown = null;
  for (const step of [s.send, s.send, s.indicate]) {
    try {
      step();
    } catch (error) {
      thrown ??= error;
    }
  }
  const seen = s.host.violations.map((v: Violation) => ({
    rule: v.rule,
    driver: v.driver,
    // The module's file name differs between the two builds.
    message: v.message.replaceAll(/cpassthru-[A-Za-z_-]+\.wasm/g, "cpassthru.wasm"),
  }));
  return { seen, thrown: thrown === null ? null : String(thrown), counts: s.counts() };
}

describe("NBL context calls made inside a C module", { skip }, () => {
  test("a correct driver: no violation, every NBL back, the same as through NDIS", async () => {
    for (const layout of ["one C layer", "C under the TypeScript passthrough"] as const) {
      const module = await run(null, false, layout);
      assert.deepEqual(module.seen, [], layout);
      assert.equal(module.thrown, null);
      assert.deepEqual(module.counts, { completed: 8, returned: 4, received: 4 });
      assert.deepEqual(module, await run(null, true, layout), layout);
    }
  });

  test("a context allocated in the module and never freed is NetBufferListContext_Leaked, naming the C driver", async () => {
    const module = await run("PT_BUG_CONTEXT_LEAK", false, "one C layer");
    assert.ok(
      module.seen.some(
        (v) => v.rule === "NetBufferListContext_Leaked" && v.driver === "passthrough",
      ),
      JSON.stringify(module.seen),
    );
    assert.deepEqual(module, await run("PT_BUG_CONTEXT_LEAK", true, "one C layer"));
  });

  test("a context freed twice (the first free in the module) is NdisFreeNetBufferListContext_Mismatch", async () => {
    const module = await run("PT_BUG_CONTEXT_DOUBLE_FREE", false, "one C layer");
    assert.ok(
      module.seen.some((v) => v.rule === "NdisFreeNetBufferListContext_Mismatch"),
      JSON.stringify(module.seen),
    );
    assert.deepEqual(module, await run("PT_BUG_CONTEXT_DOUBLE_FREE", true, "one C layer"));
  });

  test("a C driver freeing in the module a context the driver above allocated: the same reports as through NDIS", async () => {
    const layout = "C under the TypeScript passthrough";
    const module = await run("PT_BUG_CONTEXT_FREE_FOREIGN", false, layout);
    assert.ok(module.seen.length > 0, "the driver above finds its context gone");
    assert.deepEqual(module, await run("PT_BUG_CONTEXT_FREE_FOREIGN", true, layout));
  });
});
