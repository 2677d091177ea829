/**
 * The C mirror of NET_BUFFER_LISTs (src/wasm/nbl-mirror.ts) on a real driver module's memory:
 * an NBL's C struct is made once and kept; a crossing into C brings what NDIS's side changed, a
 * crossing out brings what C changed (fields, info slots, frame bytes) and leaves the rest —
 * including values C cannot see — as they were; the reserved areas stay each side's own.
 * Skipped without clang and lld (the module is the C passthrough sample).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, describe, test } from "node:test";
import { initNetBufferList } from "../../src/runtime/core/objects/nbl.js";
import {
  MdlObject,
  NetBufferListObject,
  NetBufferObject,
} from "../../src/runtime/core/objects/records.js";
import { CMemory } from "../../src/wasm/cmem.js";
import { readLayout } from "../../src/wasm/layout.js";
import { type InfoChanged, NblMirror } from "../../src/wasm/nbl-mirror.js";
import { buildSample, cSkipReason, PASSTHROUGH } from "../helpers/cdriver.js";

const skip = cSkipReason() ?? false;

describe("the NBL mirror", { skip }, () => {
  let m: CMemory;
  let mirror: NblMirror;
  let helper: InfoChanged | null = null;
  // What an NBL's constructor reads of its pool: the handle, the reserved context size, and the
  // verifier mode of the pool's runtime.
  const pool = {
    handle: { pool: "p" },
    params: { ContextSize: 0 },
    driver: { runtime: { verifierMode: "strict" } },
  } as never;

  /** A second instance of the module: another C driver that sees the same NBLs. */
  let other: { m: CMemory; mirror: NblMirror };
  /** A third, whose mirror maps MDLs only when C asks (as the bridge does for new modules). */
  let lazy: { m: CMemory; mirror: NblMirror };

  before(async () => {
    const path = await buildSample("cpassthru", PASSTHROUGH);
    const module = new WebAssembly.Module(readFileSync(path));
    const imports: Record<string, unknown> = {};
    for (const i of WebAssembly.Module.imports(module)) imports[i.name] = () => 0;
    const instantiate = (mapOnDemand = false) => {
      const instance = new WebAssembly.Instance(module, { ndis: imports as never });
      const exports = instance.exports as Record<string, unknown>;
      const memory = exports.memory as WebAssembly.Memory;
      const layout = readLayout(
        new DataView(memory.buffer),
        (exports.__ndis_layout as () => number)() >>> 0,
      );
      const cm = new CMemory(
        memory,
        layout,
        exports.__ndis_alloc as (n: number) => number,
        exports.__ndis_free as (p: number) => void,
      );
      const check = exports.__ndis_info_changed as InfoChanged;
      return { m: cm, mirror: new NblMirror(cm, check, mapOnDemand), check };
    };
    const first = instantiate();
    m = first.m;
    mirror = first.mirror;
    helper = first.check;
    other = instantiate();
    lazy = instantiate(true);
  });

  /** A chain of `n` NBLs of one NB and one 60-byte MDL each. */
  function chain(n: number): NetBufferListObject[] {
    const list: NetBufferListObject[] = [];
    for (let i = 0; i < n; i++) {
      const mdl = new MdlObject(null as never, new Uint8Array(60).fill(i + 1), "pool");
      const nb = new NetBufferObject(pool, mdl, true);
      nb.MdlChain = mdl;
      nb.CurrentMdl = mdl;
      nb.DataLength = 60;
      const nbl = new NetBufferListObject(pool, nb);
      nbl.FirstNetBuffer = nb;
      if (i > 0) (list[i - 1] as NetBufferListObject).Next = nbl;
      list.push(nbl);
    }
    return list;
  }

  const field = (p: number, f: string) => m.get("NET_BUFFER_LIST", p, f);
  const info = (p: number, slot: number) =>
    m.u32(p + m.off("NET_BUFFER_LIST", "NetBufferListInfo") + 4 * slot);
  const setInfo = (p: number, slot: number, v: number) =>
    m.setU32(p + m.off("NET_BUFFER_LIST", "NetBufferListInfo") + 4 * slot, v);
  const nbOf = (p: number) => field(p, "FirstNetBuffer");
  const dataOf = (p: number) =>
    m.get("MDL", m.get("NET_BUFFER", nbOf(p), "MdlChain"), "MappedSystemVa");

  test("into C: the chain's links, fields, info numbers and frame bytes; the struct is kept", () => {
    const [a, b] = chain(2) as [NetBufferListObject, NetBufferListObject];
    const source = { binding: 1 };
    a.SourceHandle = source as never;
    a.NetBufferListInfo[4] = 0x1234;
    a.NetBufferListInfo[5] = { cancelId: "an object C cannot see" };
    const p = mirror.toC(a);
    assert.equal(mirror.nblAt(p), a);
    assert.equal(mirror.nblAt(field(p, "Next")), b);
    assert.equal(field(field(p, "Next"), "Next"), 0);
    assert.equal(field(p, "SourceHandle"), m.handleId(source));
    assert.equal(info(p, 4), 0x1234);
    assert.equal(info(p, 5), 0);
    assert.equal(m.get("NET_BUFFER", nbOf(p), "DataLength"), 60);
    assert.equal(m.u8(dataOf(p) + 59), 1);
    // The same struct the next time, with what NDIS's side changed since.
    a.Status = 0xc0000001;
    a.NetBufferListInfo[4] = 7;
    assert.equal(mirror.toC(a), p);
    assert.equal(field(p, "Status"), 0xc0000001);
    assert.equal(info(p, 4), 7);
  });

  test("out of C: what C changed comes back, the rest stays (objects C never saw included)", () => {
    const [a, b] = chain(2) as [NetBufferListObject, NetBufferListObject];
    const hidden = { cancelId: "kept" };
    a.NetBufferListInfo[5] = hidden;
    b.NetBufferListInfo[9] = 99;
    const p = mirror.toC(a);
    const q = field(p, "Next");
    // The driver writes a status, an info slot, a NET_BUFFER field and a frame byte of the second.
    m.set("NET_BUFFER_LIST", p, "Status", 0xc0010017);
    setInfo(q, 2, 0xabcd);
    m.set("NET_BUFFER", nbOf(q), "DataOffset", 4);
    m.set("NET_BUFFER", nbOf(q), "DataLength", 56);
    m.setU8(dataOf(q), 0xee);
    assert.equal(mirror.fromC(p), a);
    assert.equal(a.Status, 0xc0010017);
    assert.equal(a.NetBufferListInfo[5], hidden);
    assert.equal(b.NetBufferListInfo[2], 0xabcd);
    assert.equal(b.NetBufferListInfo[9], 99);
    assert.equal(b.FirstNetBuffer?.DataOffset, 4);
    assert.equal(b.FirstNetBuffer?.DataLength, 56);
    assert.equal(b.FirstNetBuffer?.MdlChain?.MappedSystemVa[0], 0xee);
    // Unchanged since: the module's own check finds no info slot to read.
    assert.equal(
      helper?.(
        p,
        m.off("NET_BUFFER_LIST", "Next"),
        m.off("NET_BUFFER_LIST", "NetBufferListInfo"),
        32,
        (m.sizeOf("NET_BUFFER_LIST") + 3) & ~3,
        1,
      ),
      0,
    );
    // A chain the driver relinked: NDIS sees its order.
    m.set("NET_BUFFER_LIST", q, "Next", 0);
    m.set("NET_BUFFER_LIST", p, "Next", 0);
    assert.equal(mirror.fromC(q), b);
    assert.equal(b.Next, null);
  });

  test("info slots written after the first crossing cross, whoever wrote them", () => {
    const [a] = chain(1) as [NetBufferListObject];
    const p = mirror.toC(a);
    const q = other.mirror.toC(a);
    const otherInfo = (slot: number) =>
      other.m.u32(q + other.m.off("NET_BUFFER_LIST", "NetBufferListInfo") + 4 * slot);
    // A TypeScript driver writes a slot of an NBL both modules have seen.
    a.NetBufferListInfo[3] = 0x55;
    assert.equal(mirror.toC(a), p);
    assert.equal(info(p, 3), 0x55);
    other.mirror.toC(a);
    assert.equal(otherInfo(3), 0x55);
    // The first module writes one: NDIS's array has it, and so does the other module next time.
    setInfo(p, 6, 0x77);
    mirror.fromC(p);
    assert.equal(a.NetBufferListInfo[6], 0x77);
    other.mirror.toC(a);
    assert.equal(otherInfo(6), 0x77);
    setInfo(p, 6, 0x78);
    mirror.fromC(p);
    other.mirror.toC(a);
    assert.equal(otherInfo(6), 0x78);
    // …and the first does not take its own write back for NDIS's (its slot stays as C left it).
    assert.equal(mirror.toC(a), p);
    assert.equal(info(p, 6), 0x78);
    // NDIS's clear at a new allocation crosses too.
    initNetBufferList(a, null);
    mirror.toC(a);
    assert.equal(info(p, 3), 0);
    assert.equal(info(p, 6), 0);
    // The array is still an array to TypeScript code.
    assert.ok(Array.isArray(a.NetBufferListInfo));
    assert.equal(a.NetBufferListInfo.length, 32);
    a.NetBufferListInfo.fill(9, 10, 12);
    mirror.toC(a);
    assert.equal(info(p, 11), 9);
  });

  test("C's info writes come over at NDIS's first look, and not after NDIS cleared the slots", () => {
    const [a] = chain(1) as [NetBufferListObject];
    const p = mirror.toC(a);
    // C writes a slot and hands the NBL back; a TypeScript write to another slot keeps both.
    setInfo(p, 7, 0x70);
    assert.equal(mirror.fromC(p), a);
    a.NetBufferListInfo[8] = 0x80;
    assert.equal(a.NetBufferListInfo[7], 0x70);
    assert.equal(a.NetBufferListInfo[8], 0x80);
    assert.equal(mirror.toC(a), p);
    assert.equal(info(p, 8), 0x80);
    // Another module sees C's write without NDIS's side having looked.
    setInfo(p, 9, 0x90);
    mirror.fromC(p);
    const q = other.mirror.toC(a);
    assert.equal(
      other.m.u32(q + other.m.off("NET_BUFFER_LIST", "NetBufferListInfo") + 4 * 9),
      0x90,
    );
    // C writes again, then NDIS clears the slots (a new allocation) before anyone looked: C's
    // word is stale, so it neither shows on NDIS's side nor stays in C.
    mirror.toC(a);
    setInfo(p, 10, 0xa0);
    mirror.fromC(p);
    initNetBufferList(a, null);
    assert.equal(a.NetBufferListInfo[10], null);
    assert.equal(mirror.toC(a), p);
    assert.equal(info(p, 10), 0);
    mirror.fromC(p);
    assert.equal(a.NetBufferListInfo[10], null);
  });

  test("the reserved areas are each side's own", () => {
    const [a] = chain(1) as [NetBufferListObject];
    a.ProtocolReserved[0] = 5;
    const p = mirror.toC(a);
    assert.equal(m.u32(p + m.off("NET_BUFFER_LIST", "ProtocolReserved")), 0);
    m.setU32(p + m.off("NET_BUFFER_LIST", "MiniportReserved"), 0x4242);
    mirror.fromC(p);
    assert.equal(a.ProtocolReserved[0], 5);
    assert.equal(a.MiniportReserved[0], null);
    assert.equal(mirror.toC(a), p);
    assert.equal(m.u32(p + m.off("NET_BUFFER_LIST", "MiniportReserved")), 0x4242);
  });

  test("mapping on demand: an outside MDL reaches C unmapped; its bytes cross once C maps it", () => {
    const lm = lazy.m;
    const [a, b] = chain(2) as [NetBufferListObject, NetBufferListObject];
    const p = lazy.mirror.toC(a);
    const mdlOf = (nbl: number) =>
      lm.get("NET_BUFFER", lm.get("NET_BUFFER_LIST", nbl, "FirstNetBuffer"), "MdlChain");
    const mdl = mdlOf(p);
    const bytes = a.FirstNetBuffer?.MdlChain?.MappedSystemVa as Uint8Array;
    // Not mapped: MmGetSystemAddressForMdlSafe will ask.
    assert.equal(lm.get("MDL", mdl, "MdlFlags") & 0x0005, 0);
    assert.equal(lm.get("MDL", mdl, "MappedSystemVa"), 0);
    // The first map copies the bytes in and marks the MDL mapped.
    const va = lazy.mirror.mapMdl(mdl);
    assert.notEqual(va, 0);
    assert.equal(lm.get("MDL", mdl, "MdlFlags") & 0x0001, 0x0001);
    assert.equal(lm.get("MDL", mdl, "MappedSystemVa"), va);
    assert.equal(lazy.mirror.mapMdl(mdl), va);
    assert.equal(lm.u8(va + 59), 1);
    // Mapped: C's write comes back, NDIS's next write goes in.
    lm.setU8(va, 0xee);
    assert.equal(lazy.mirror.fromC(p), a);
    assert.equal(bytes[0], 0xee);
    bytes[1] = 0x77;
    assert.equal(lazy.mirror.toC(a), p);
    assert.equal(lm.u8(va + 1), 0x77);
    // Never mapped: nothing crosses back, so NDIS's bytes are not overwritten with C's stale copy.
    const q = lazy.mirror.toC(b);
    const other = b.FirstNetBuffer?.MdlChain?.MappedSystemVa as Uint8Array;
    other[0] = 0x42;
    assert.equal(lazy.mirror.fromC(q), b);
    assert.equal(other[0], 0x42);
    // Not an MDL NDIS gave: NULL, the DDI's failure.
    assert.equal(lazy.mirror.mapMdl(p), 0);
    assert.equal(lazy.mirror.mapMdl(0), 0);
  });

  test("a pointer NDIS never gave ends the chain; none at all is null", () => {
    const [a] = chain(1) as [NetBufferListObject];
    const p = mirror.toC(a);
    const stray = m.alloc(64);
    m.set("NET_BUFFER_LIST", p, "Next", stray);
    assert.equal(mirror.fromC(p), a);
    assert.equal(a.Next, null);
    assert.equal(mirror.fromC(stray), null);
  });
});
