/**
 * NDIS loops sends back, as learn.microsoft.com's "Looping Back NDIS Packets" page and the
 * NdisSendNetBufferLists page (NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK) say: on an Ethernet adapter a
 * frame one binding sends is indicated, marked NDIS_NBL_FLAGS_IS_LOOPBACK_PACKET, to the other
 * bindings whose filter is promiscuous (without NDIS_PACKET_TYPE_NO_LOCAL) or ALL_LOCAL; to the
 * sender itself only when it sets NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK and its own packet filter
 * accepts the frame.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type NDIS_HANDLE,
  NDIS_NBL_FLAGS_IS_LOOPBACK_PACKET,
  NDIS_PACKET_TYPE_ALL_LOCAL,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_NO_LOCAL,
  NDIS_PACKET_TYPE_PROMISCUOUS,
  NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK,
  NdisHost,
  NdisSendNetBufferLists,
  type NET_BUFFER_LIST,
} from "../../src/index.js";
import { scriptedMiniport } from "../helpers/miniport.js";
import { allocateNbls, nblPool } from "../helpers/nbl.js";
import { scriptedProtocol } from "../helpers/protocol.js";

const OWN = [2, 0, 0, 0, 0, 0x42];
const OTHER = [2, 0, 0, 0, 0, 0x99];
const BROADCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

/** A sender (directed + broadcast) and a listener with `listen` as its filter, on one adapter. */
async function rig(listen: number) {
  const host = new NdisHost({ verifier: "strict" });
  const mp = scriptedMiniport();
  await host.loadDriver({ name: "mp", module: mp.module });
  const seen: { bytes: number[]; loopback: boolean }[] = [];
  const mine: number[][] = [];
  const record =
    (into: { bytes: number[]; loopback: boolean }[] | number[][]) =>
    (_b: unknown, nbls: NET_BUFFER_LIST) => {
      for (let n: NET_BUFFER_LIST | null = nbls; n !== null; n = n.Next) {
        const nb = n.FirstNetBuffer;
        const mdl = nb?.CurrentMdl;
        const bytes = [...(mdl?.MappedSystemVa.subarray(0, nb?.DataLength) ?? [])];
        if (into === mine) mine.push(bytes);
        else seen.push({ bytes, loopback: (n.NblFlags & NDIS_NBL_FLAGS_IS_LOOPBACK_PACKET) !== 0 });
      }
    };
  const senderWithLog = scriptedProtocol({
    name: "sender",
    packetFilter: NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST,
    receive: record(mine),
  });
  const listenerWithLog = scriptedProtocol({
    name: "listener",
    packetFilter: listen,
    receive: record(seen),
  });
  await host.loadDriver({ name: "sender", module: senderWithLog.module });
  await host.loadDriver({ name: "listener", module: listenerWithLog.module });
  await host.addAdapter({ driver: "mp", name: "eth0" });
  const binding = senderWithLog.bindings[0]?.handle as NDIS_HANDLE;
  const pool = nblPool(senderWithLog.protocolHandle() as NDIS_HANDLE);
  const send = (destination: number[], flags = 0) => {
    const [nbl] = allocateNbls(pool, 1, binding) as [NET_BUFFER_LIST];
    const data = nbl.FirstNetBuffer?.MdlChain?.MappedSystemVa as Uint8Array;
    data.set(destination, 0);
    data.set(OWN, 6);
    NdisSendNetBufferLists(binding, nbl, 0, flags);
  };
  return { host, mp, seen, mine, send };
}

describe("send loopback", () => {
  test("a promiscuous binding gets a copy of another binding's send, marked loopback; the miniport still sends it", async () => {
    const { host, mp, seen, mine, send } = await rig(NDIS_PACKET_TYPE_PROMISCUOUS);
    send(OTHER);
    assert.equal(mp.sent.length, 1);
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0]?.bytes.slice(0, 12), [...OTHER, ...OWN]);
    assert.equal(seen[0]?.loopback, true);
    assert.deepEqual(mine, [], "never back to the sender without the flag");
    assert.deepEqual(host.violations, []);
  });

  test("ALL_LOCAL also gets every local send; PROMISCUOUS with NO_LOCAL and a plain filter do not", async () => {
    for (const [filter, expected] of [
      [NDIS_PACKET_TYPE_ALL_LOCAL, 1],
      [NDIS_PACKET_TYPE_PROMISCUOUS | NDIS_PACKET_TYPE_NO_LOCAL, 0],
      [NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST, 0],
    ] as const) {
      const { seen, send } = await rig(filter);
      send(BROADCAST);
      assert.equal(seen.length, expected, `filter ${filter.toString(16)}`);
    }
  });

  test("NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK: back to the sender when its own filter accepts the frame", async () => {
    const { mp, mine, send } = await rig(NDIS_PACKET_TYPE_DIRECTED);
    send(BROADCAST, NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK);
    send(OWN, NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK);
    send(OTHER, NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK); // not for this adapter: filtered out
    assert.deepEqual(
      mine.map((b) => b.slice(0, 6)),
      [BROADCAST, OWN],
    );
    assert.equal(mp.sent.length, 3);
  });
});
