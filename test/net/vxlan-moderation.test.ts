/**
 * The VXLAN miniport's interrupt moderation against real sockets: the datagrams one socket wakeup
 * delivers go up as one chain of NBLs, in the order they came; with moderation turned off
 * (OID_GEN_INTERRUPT_MODERATION) each goes up alone; a pause that finds frames waiting in the
 * batch drops them as notRunning and completes at once. The datagrams come from inside a network
 * namespace, from the remote VTEP's address, sent by a child process that the test waits for
 * synchronously — so every one of them is in the socket's queue before the event loop reads any.
 * Needs root and `ip netns`.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as vxlan from "../../src/drivers/vxlan/index.js";
import {
  type DRIVER_OBJECT,
  MediaConnectStateConnected,
  makeOidRequest,
  type NDIS_HANDLE,
  type NDIS_LINK_STATE,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_SIZEOF_INTERRUPT_MODERATION_PARAMETERS_REVISION_1,
  NDIS_STATUS_INVALID_DATA,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_SUCCESS,
  NdisHost,
  NdisInterruptModerationDisabled,
  NdisInterruptModerationEnabled,
  NdisInterruptModerationNotSupported,
  NdisOidRequest,
  NdisRequestQueryInformation,
  NdisRequestSetInformation,
  NdisReturnNetBufferLists,
  type NET_BUFFER_LIST,
  ndisInterruptModerationParametersBytes,
  ndisInterruptModerationParametersFromBytes,
  OID_GEN_CURRENT_PACKET_FILTER,
  OID_GEN_INTERRUPT_MODERATION,
} from "../../src/index.js";
import { teardownHost } from "../helpers/drivers.js";
import {
  createVxlanNamespace,
  netnsSkipReason,
  type VxlanNamespace,
  vxlanRegistry,
} from "../helpers/netns.js";
import { scriptedProtocol } from "../helpers/protocol.js";
import { waitFor } from "../helpers/vxlan-stack.js";

const skip = netnsSkipReason();
const VNI = 4646;
const MAC = [0x02, 0x56, 0x58, 0x00, 0x46, 0x46];

describe("VXLAN miniport: interrupt moderation", { skip: skip ?? false }, () => {
  let net: VxlanNamespace;
  let host: NdisHost;
  let driverObject: DRIVER_OBJECT;
  let linkUp = false;
  /** Each receive indication: the sequence numbers its frames carry, in chain order. */
  const indications: number[][] = [];
  const proto = scriptedProtocol({
    name: "modproto",
    receive: (b, nbls, _port, count) => {
      const seqs: number[] = [];
      for (let n: NET_BUFFER_LIST | null = nbls; n !== null; n = n.Next) {
        const nb = n.FirstNetBuffer;
        assert.ok(nb?.CurrentMdl);
        const data = nb.CurrentMdl.MappedSystemVa;
        seqs.push(
          ((data[nb.CurrentMdlOffset + 14] as number) << 8) |
            (data[nb.CurrentMdlOffset + 15] as number),
        );
      }
      assert.equal(count, seqs.length, "NumberOfNetBufferLists is the chain's length");
      indications.push(seqs);
      NdisReturnNetBufferLists(b.handle as NDIS_HANDLE, nbls, 0);
    },
    status: (_b, indication) => {
      if (
        indication.StatusCode === NDIS_STATUS_LINK_STATE &&
        (indication.StatusBuffer as NDIS_LINK_STATE).MediaConnectState ===
          MediaConnectStateConnected
      )
        linkUp = true;
    },
  });

  const adapter = () => {
    const [info] = vxlan.vxlanAdapters(driverObject);
    assert.ok(info);
    return info;
  };
  const binding = (): NDIS_HANDLE => {
    const handle = proto.bindings[0]?.handle;
    assert.ok(handle !== undefined);
    return handle;
  };

  /**
   * Sends `count` VXLAN datagrams (inner frames to our MAC, sequence numbers 0, 1, … after the
   * Ethernet header) from the remote VTEP's address, and returns once all have been sent: the
   * event loop is blocked meanwhile, so they all wait in the socket's queue.
   */
  const burst = (count: number) => {
    const script = `
const s = require("node:dgram").createSocket("udp4");
let left = ${count};
s.bind(0, "${net.nsAddress}", () => {
  for (let i = 0; i < ${count}; i++) {
    const b = Buffer.alloc(8 + 60);
    b[0] = 0x08;
    b[4] = ${(VNI >> 16) & 0xff}; b[5] = ${(VNI >> 8) & 0xff}; b[6] = ${VNI & 0xff};
    b.set(${JSON.stringify(MAC)}, 8);
    b[20] = 0x88; b[21] = 0xb5; // local experimental EtherType
    b[22] = i >> 8; b[23] = i & 0xff;
    s.send(b, ${net.port}, "${net.nodeAddress}", (e) => { if (e) throw e; if (--left === 0) s.close(); });
  }
});`;
    net.runSync([process.execPath, "-e", script]);
  };

  const moderation = (): number => {
    const request = makeOidRequest({
      RequestType: NdisRequestQueryInformation,
      Oid: OID_GEN_INTERRUPT_MODERATION,
      InformationBuffer: new Uint8Array(64),
    });
    assert.equal(NdisOidRequest(binding(), request), NDIS_STATUS_SUCCESS);
    const d = request.DATA.QUERY_INFORMATION;
    assert.equal(d.BytesWritten, NDIS_SIZEOF_INTERRUPT_MODERATION_PARAMETERS_REVISION_1);
    const p = ndisInterruptModerationParametersFromBytes(d.InformationBuffer as Uint8Array);
    assert.ok(p);
    assert.equal(p.Flags, 0, "a change needs neither reset nor reinitialize");
    return p.InterruptModeration;
  };

  before(async () => {
    net = createVxlanNamespace({ vni: VNI });
    host = new NdisHost();
    driverObject = (await host.loadDriver({ name: "vxlan", module: vxlan })).driverObject;
    await host.loadDriver({ name: "modproto", module: proto.module });
    await host.addAdapter({
      driver: "vxlan",
      name: "vxlan0",
      registry: vxlanRegistry(net, {
        NetworkAddress: MAC.map((b) => b.toString(16).padStart(2, "0")).join("-"),
      }),
    });
    await waitFor(() => linkUp, 5000, "the link to come up");
    const filter = new Uint8Array(4);
    new DataView(filter.buffer).setUint32(0, NDIS_PACKET_TYPE_DIRECTED, true);
    const status = NdisOidRequest(
      binding(),
      makeOidRequest({
        RequestType: NdisRequestSetInformation,
        Oid: OID_GEN_CURRENT_PACKET_FILTER,
        InformationBuffer: filter,
      }),
    );
    assert.equal(status, NDIS_STATUS_SUCCESS);
  });

  after(async () => {
    try {
      if (host !== undefined) await teardownHost(host);
    } finally {
      net?.destroy();
    }
  });

  test("on by default: the frames of one wakeup go up as one chain, in order", async () => {
    assert.equal(moderation(), NdisInterruptModerationEnabled);
    assert.equal(adapter().interruptModeration, true);
    indications.length = 0;
    burst(20);
    await waitFor(() => indications.flat().length >= 20, 5000, "twenty frames up");
    assert.deepEqual(
      indications.flat(),
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.ok(
      indications.length < 20,
      `batched: ${indications.map((c) => c.length).join(", ")} NBLs per indication`,
    );
    assert.ok(indications.every((c) => c.length <= vxlan.MAX_RECEIVE_BATCH));
    const info = adapter();
    assert.equal(info.receivesOutstanding, 0);
    assert.equal(info.receivesWaiting, 0);
    assert.equal(info.dropped, 0, JSON.stringify(info.drops));
  });

  test("OID_GEN_INTERRUPT_MODERATION Disabled: each frame goes up alone; bad sets are refused", async () => {
    const set = (buffer: Uint8Array) => {
      const request = makeOidRequest({
        RequestType: NdisRequestSetInformation,
        Oid: OID_GEN_INTERRUPT_MODERATION,
        InformationBuffer: buffer,
      });
      return { status: NdisOidRequest(binding(), request), data: request.DATA.SET_INFORMATION };
    };
    const params = (InterruptModeration: number) =>
      ndisInterruptModerationParametersBytes({ Flags: 0, InterruptModeration });
    // NotSupported and Unknown are answers, not requests; a short buffer says what it needs.
    const refused = set(params(NdisInterruptModerationNotSupported));
    assert.equal(refused.status, NDIS_STATUS_INVALID_DATA);
    const short = set(params(NdisInterruptModerationDisabled).subarray(0, 8));
    assert.equal(short.status, NDIS_STATUS_INVALID_LENGTH);
    assert.equal(short.data.BytesNeeded, NDIS_SIZEOF_INTERRUPT_MODERATION_PARAMETERS_REVISION_1);
    const badHeader = params(NdisInterruptModerationDisabled);
    badHeader[0] = 0x81;
    assert.equal(set(badHeader).status, NDIS_STATUS_INVALID_DATA);
    assert.equal(moderation(), NdisInterruptModerationEnabled, "refused sets change nothing");

    assert.equal(set(params(NdisInterruptModerationDisabled)).status, NDIS_STATUS_SUCCESS);
    assert.equal(moderation(), NdisInterruptModerationDisabled);
    indications.length = 0;
    burst(12);
    await waitFor(() => indications.flat().length >= 12, 5000, "twelve frames up");
    assert.deepEqual(
      indications,
      Array.from({ length: 12 }, (_, i) => [i]),
    );
    assert.equal(set(params(NdisInterruptModerationEnabled)).status, NDIS_STATUS_SUCCESS);
    assert.equal(moderation(), NdisInterruptModerationEnabled);
  });

  test("a pause that finds frames waiting drops them as notRunning and does not pend", async () => {
    const before = adapter();
    indications.length = 0;
    burst(10);
    // The socket's wakeup fills the batch; its indication is due after that wakeup. This check
    // runs first (it was queued before the wakeup), so the pause starts with the frames waiting.
    await waitFor(() => adapter().receivesWaiting > 0, 5000, "frames waiting in the batch");
    const waiting = adapter().receivesWaiting;
    const returned: string[] = [];
    const stop = host.onTrace((e) => {
      if (e.name === "MiniportPause" && e.phase === "return")
        returned.push(e.status === undefined ? "?" : e.status.toString(16));
    });
    await host.pauseStack("vxlan0");
    stop();
    assert.deepEqual(returned, ["0"], "MiniportPause returned NDIS_STATUS_SUCCESS");
    const paused = adapter();
    assert.equal(paused.running, false);
    assert.equal(paused.receivesWaiting, 0);
    assert.equal(paused.receivesOutstanding, 0);
    // The waiting frames, and any datagram of the burst the kernel delivered after the pause.
    assert.ok(paused.drops.notRunning - before.drops.notRunning >= waiting);
    assert.equal(
      paused.counters.framesReceived - before.counters.framesReceived,
      indications.flat().length,
      "a dropped frame is not counted as received",
    );
    assert.equal(
      paused.counters.datagramsReceived - before.counters.datagramsReceived,
      paused.dropped - before.dropped + indications.flat().length,
      "every datagram is either indicated or dropped by one reason",
    );
    await host.restartStack("vxlan0");
    assert.deepEqual(host.violations, []);
  });
});
