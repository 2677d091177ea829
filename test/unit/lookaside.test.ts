/**
 * Lookaside lists from TypeScript: NdisInitializeNPagedLookasideList, NdisAllocateFromNPagedLookasideList,
 * NdisFreeToNPagedLookasideList, NdisDeleteNPagedLookasideList (learn.microsoft.com, windows-hardware/
 * drivers/ddi/ndis/nf-ndis-ndisinitializenpagedlookasidelist and its siblings): fixed-size
 * blocks of the driver's tracked pool memory, reused after a free, and at unload a block kept or a
 * list never deleted is named by its pool tag. The same from C: c-drivers.test.ts.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  NdisAllocateFromNPagedLookasideList,
  NdisDeleteNPagedLookasideList,
  NdisFreeToNPagedLookasideList,
  NdisHost,
  NdisInitializeNPagedLookasideList,
  type NPAGED_LOOKASIDE_LIST,
} from "../../src/index.js";
import { scriptedMiniport } from "../helpers/miniport.js";

const TAG = 0x6b6f6f4c; // 'Look'
const rules = (host: NdisHost) => host.violations.map((v) => v.rule);

/** A miniport driver whose DriverEntry also runs `entry` (driver code, as NDIS sees it). */
function driverWith(entry: () => void) {
  const miniport = scriptedMiniport();
  return {
    DriverEntry: (DriverObject: unknown, RegistryPath: unknown) => {
      const status = (miniport.module.DriverEntry as (a: unknown, b: unknown) => number)(
        DriverObject,
        RegistryPath,
      );
      entry();
      return status;
    },
  };
}

describe("lookaside lists", () => {
  test("blocks have the list's size, come zeroed, are reused after a free; a clean driver leaks nothing", async () => {
    const host = new NdisHost({ verifier: "strict" });
    const list: NPAGED_LOOKASIDE_LIST = {};
    const seen: { a: Uint8Array | null; b: Uint8Array | null; c: Uint8Array | null } = {
      a: null,
      b: null,
      c: null,
    };
    let reusedZeroed = false;
    const module = driverWith(() => {
      NdisInitializeNPagedLookasideList(list, null, null, 0, 24, TAG, 0);
      seen.a = NdisAllocateFromNPagedLookasideList(list);
      seen.b = NdisAllocateFromNPagedLookasideList(list);
      seen.a?.fill(7);
      NdisFreeToNPagedLookasideList(list, seen.a as Uint8Array);
      seen.c = NdisAllocateFromNPagedLookasideList(list);
      reusedZeroed = seen.c?.every((x) => x === 0) ?? false;
      NdisFreeToNPagedLookasideList(list, seen.b as Uint8Array);
      NdisFreeToNPagedLookasideList(list, seen.c as Uint8Array);
      NdisDeleteNPagedLookasideList(list);
    });
    await host.loadDriver({ name: "m", module });
    assert.equal(seen.a?.length, 24);
    assert.notEqual(seen.a, seen.b);
    assert.equal(seen.c, seen.a, "a freed block is handed out again");
    assert.ok(reusedZeroed);
    await host.unloadDriver("m");
    assert.deepEqual(rules(host), []);
  });

  test("a block kept and a list never deleted are named at unload by pool tag", async () => {
    const host = new NdisHost({ verifier: "record" });
    const list: NPAGED_LOOKASIDE_LIST = {};
    const module = driverWith(() => {
      NdisInitializeNPagedLookasideList(list, null, null, 0, 40, TAG, 0);
      NdisAllocateFromNPagedLookasideList(list);
      const given = NdisAllocateFromNPagedLookasideList(list);
      NdisFreeToNPagedLookasideList(list, given as Uint8Array);
    });
    await host.loadDriver({ name: "m", module });
    await host.unloadDriver("m");
    assert.deepEqual(rules(host), ["Memory_LeakedAtUnload"]);
    assert.match(
      host.violations[0]?.message ?? "",
      /pool tag 'Look' \(0x6b6f6f4c\): 1 block, 40 bytes; the lookaside list of pool tag 'Look' \(0x6b6f6f4c\), never deleted/,
    );
  });

  test("a block freed twice, and an allocation from a deleted list, are reported", async () => {
    const host = new NdisHost({ verifier: "record" });
    const list: NPAGED_LOOKASIDE_LIST = {};
    let after: Uint8Array | null | undefined;
    const module = driverWith(() => {
      NdisInitializeNPagedLookasideList(list, null, null, 0, 16, TAG, 0);
      const block = NdisAllocateFromNPagedLookasideList(list) as Uint8Array;
      NdisFreeToNPagedLookasideList(list, block);
      NdisFreeToNPagedLookasideList(list, block);
      NdisDeleteNPagedLookasideList(list);
      after = NdisAllocateFromNPagedLookasideList(list);
    });
    await host.loadDriver({ name: "m", module });
    assert.equal(after, null);
    assert.deepEqual(rules(host), ["NdisFreeMemory_NotAllocated", "InvalidNdisHandle"]);
    await host.unloadDriver("m");
    assert.deepEqual(rules(host), ["NdisFreeMemory_NotAllocated", "InvalidNdisHandle"]);
  });
});
