/**
 * The tap miniport's receive chains against a real macvtap: the frames one wakeup drains go up in
 * chains of at most `ReceiveChain` NBLs (default 8), in the order they came — the first frame of a
 * wakeup alone, before the drain looks for more. Ten echo requests are queued in the device by
 * a `ping` the test waits for synchronously (the event loop reads none of them meanwhile).
 * Needs root and `ip netns`.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { frameNbl, nblsOf } from "../../src/drivers/shared/frames.js";
import * as tap from "../../src/drivers/tap/index.js";
import {
  type DRIVER_OBJECT,
  makeOidRequest,
  type NDIS_HANDLE,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_STATUS_SUCCESS,
  NdisFreeNetBufferList,
  NdisFreeNetBufferListPool,
  NdisHost,
  NdisOidRequest,
  NdisRequestSetInformation,
  NdisReturnNetBufferLists,
  NdisSendNetBufferLists,
  type NET_BUFFER_LIST,
  OID_GEN_CURRENT_PACKET_FILTER,
  type RegistryValue,
} from "../../src/index.js";
import { teardownHost } from "../helpers/drivers.js";
import { link, nblPool } from "../helpers/nbl.js";
import { createTapNamespace, netnsSkipReason, type TapNamespace } from "../helpers/netns.js";
import { scriptedProtocol } from "../helpers/protocol.js";
import { STACK_ADDRESS, tapRegistry } from "../helpers/tap-stack.js";
import { waitFor } from "../helpers/vxlan-stack.js";

const skip = netnsSkipReason();

describe("tap miniport: receive chains of one wakeup", { skip: skip ?? false }, () => {
  let net: TapNamespace;
  /** Whether the test protocol answers each chain (see `chains`), and what it saw then. */
  let answering = false;
  const events: string[] = [];

  before(() => {
    net = createTapNamespace();
  });
  after(() => net?.destroy());

  /**
   * Starts tap0 with `extra` registry values and a protocol recording each indication's ICMP
   * sequence numbers; then `bursts` times, ten echo requests wait in the device while the event
   * loop is blocked and go up in one wakeup. The indications, one list per burst.
   */
  async function chains(extra: Record<string, RegistryValue>, bursts = 1): Promise<number[][][]> {
    const indications: number[][] = [];
    events.length = 0;
    let pool: NDIS_HANDLE | null = null;
    const extras = new WeakSet<NET_BUFFER_LIST>();
    /** An NBL of the test's pool holding `frame`, to send on `b`. */
    const answer = (b: { handle: NDIS_HANDLE | undefined }, frame: Uint8Array): NET_BUFFER_LIST => {
      pool ??= nblPool(proto.protocolHandle() as NDIS_HANDLE, 0, 1514);
      const nbl = frameNbl(pool, frame);
      assert.ok(nbl !== null);
      nbl.SourceHandle = b.handle as NDIS_HANDLE;
      return nbl;
    };
    const proto = scriptedProtocol({
      name: "chainproto",
      // With `answering`, each chain is answered by a chain of copies of its frames, sent back to
      // Linux (which drops them: they are for 198.51.100.2): "up n" and "done n" in `events`.
      // The completion of a chain of eight sends one frame more ("up extra", "done extra").
      sendComplete: (b, nbls) => {
        const sent = nblsOf(nbls);
        // The pool hands a freed NBL out again: forgotten as an extra once back.
        const extra = sent.length === 1 && extras.delete(sent[0] as NET_BUFFER_LIST);
        const first = sent[0] === undefined ? null : frameOf(sent[0]);
        for (const n of sent) {
          assert.equal(n.Status, NDIS_STATUS_SUCCESS);
          NdisFreeNetBufferList(n);
        }
        events.push(extra ? "done extra" : `done ${sent.length}`);
        if (sent.length !== 8 || first === null) return;
        const more = answer(b, first);
        extras.add(more);
        events.push("up extra");
        NdisSendNetBufferLists(b.handle as NDIS_HANDLE, more, 0, 0);
      },
      receive: (b, nbls, _port, count) => {
        if (answering) {
          const answers = nblsOf(nbls).map((n) => {
            // Back to the sender (the addresses swapped), or the macvtap would bring it in again.
            const frame = frameOf(n);
            const to = frame.slice(6, 12);
            frame.copyWithin(6, 0, 6);
            frame.set(to, 0);
            return answer(b, frame);
          });
          events.push(`up ${answers.length}`);
          NdisSendNetBufferLists(b.handle as NDIS_HANDLE, link(answers), 0, 0);
        }
        const seqs: number[] = [];
        for (let n: NET_BUFFER_LIST | null = nbls; n !== null; n = n.Next) {
          const nb = n.FirstNetBuffer;
          assert.ok(nb?.CurrentMdl);
          const data = nb.CurrentMdl.MappedSystemVa;
          const at = nb.CurrentMdlOffset + 14 + 20 + 6; // ICMP sequence number
          seqs.push(((data[at] as number) << 8) | (data[at + 1] as number));
        }
        assert.equal(count, seqs.length, "NumberOfNetBufferLists is the chain's length");
        indications.push(seqs);
        NdisReturnNetBufferLists(b.handle as NDIS_HANDLE, nbls, 0);
      },
    });
    const host = new NdisHost();
    try {
      const driver: DRIVER_OBJECT = (await host.loadDriver({ name: "tap", module: tap }))
        .driverObject;
      await host.loadDriver({ name: "chainproto", module: proto.module });
      await host.addAdapter({ driver: "tap", name: "tap0", registry: tapRegistry(net, extra) });
      await waitFor(() => tap.tapAdapters(driver)[0]?.linkUp === true, 5000, "the link up");
      const handle = proto.bindings[0]?.handle;
      assert.ok(handle !== undefined);
      const filter = new Uint8Array(4);
      new DataView(filter.buffer).setUint32(0, NDIS_PACKET_TYPE_DIRECTED, true);
      const set = makeOidRequest({
        RequestType: NdisRequestSetInformation,
        Oid: OID_GEN_CURRENT_PACKET_FILTER,
        InformationBuffer: filter,
      });
      assert.equal(NdisOidRequest(handle, set), NDIS_STATUS_SUCCESS);
      const mac = (tap.tapAdapters(driver)[0]?.macAddress ?? "").replaceAll("-", ":");
      net.runSync(["ip", "neigh", "replace", STACK_ADDRESS, "lladdr", mac, "dev", net.nsLink]);
      const perBurst: number[][][] = [];
      for (let burst = 1; burst <= bursts; burst++) {
        // Ten echo requests at once; nobody answers, and the event loop is blocked until ping
        // gives up, so all ten wait in the device.
        try {
          net.runSync(["ping", "-c", "10", "-l", "10", "-i", "0.2", "-W", "0.2", STACK_ADDRESS]);
        } catch {
          // ping exits 1 when nothing answers.
        }
        await waitFor(() => indications.flat().length >= 10, 5000, "ten frames up");
        perBurst.push(indications.splice(0));
      }
      return perBurst;
    } finally {
      // The answers' pool goes before its driver unloads: every answer is back once tap0 is.
      for (const a of host.adapters) await host.removeAdapter(a.name);
      if (pool !== null) NdisFreeNetBufferListPool(pool);
      await teardownHost(host);
    }
  }

  /** A copy of an NBL's frame. */
  function frameOf(n: NET_BUFFER_LIST): Uint8Array {
    const nb = n.FirstNetBuffer;
    assert.ok(nb?.CurrentMdl);
    return nb.CurrentMdl.MappedSystemVa.slice(
      nb.CurrentMdlOffset,
      nb.CurrentMdlOffset + nb.DataLength,
    );
  }

  test("by default a wakeup's frames go up in chains of at most 8, in order, the first alone after a quiet wakeup", async () => {
    const [seen] = await chains({});
    assert.deepEqual(
      seen?.flat(),
      Array.from({ length: 10 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      seen?.map((c) => c.length),
      [1, 8, 1],
      "the first frame alone, then chains of at most 8",
    );
  });

  test("after a busy wakeup the first frame waits for the chain; after a quiet one it goes alone", async () => {
    // Burst 1 follows a quiet link; burst 2 follows burst 1's ten-frame wakeup.
    const seen = await chains({}, 2);
    assert.deepEqual(
      seen.map((burst) => burst.map((c) => c.length)),
      [
        [1, 8, 1],
        [8, 2],
      ],
    );
    assert.deepEqual(
      seen[1]?.flat(),
      Array.from({ length: 10 }, (_, i) => i + 1),
    );
  });

  test("ReceiveChain 32: the rest of the wakeup goes up as one chain", async () => {
    const [seen] = await chains({ ReceiveChain: 32 });
    assert.deepEqual(
      seen?.map((c) => c.length),
      [1, 9],
    );
  });

  test("InterleaveSends 1: a wakeup's answers are written one after each further read, in the order sent, each chain completed once, all before the wakeup ends", async () => {
    answering = true;
    try {
      await chains({ InterleaveSends: 1 });
      // The first frame's answer goes at once; the chain of eight's answers wait for the reads
      // after it (one written per read), so the last frame comes up before they complete; the
      // frame sent from their completion is written after the answer sent before it.
      assert.deepEqual(events, [
        "up 1",
        "done 1",
        "up 8",
        "up 1",
        "done 8",
        "up extra",
        "done 1",
        "done extra",
      ]);
      await chains({ InterleaveSends: 0 });
      assert.deepEqual(events, [
        "up 1",
        "done 1",
        "up 8",
        "done 8",
        "up extra",
        "done extra",
        "up 1",
        "done 1",
      ]);
    } finally {
      answering = false;
    }
  });
});
