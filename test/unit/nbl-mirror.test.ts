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

  before(async () => {
    const path = await buildSample("cpassthru", PASSTHROUGH);
    const module = new WebAssembly.Module(readFileSync(path));
    const imports: Record<string, unknown> = {};
    for (const i of WebAssembly.Module.imports(module)) imports[i.name] = () => 0;
    const instantiate = () => {
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
      return { m: cm, mirror: new NblMirror(cm, check), check };
    };
    const first = instantiate();
    m = first.m;
    mirror = first.mirror;
    helper = first.check;
    other = instantiate();
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
