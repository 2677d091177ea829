/**
 * A bad DDI call made outside any handler — from a socket or timer callback, where a wire
 * miniport such as VXLAN runs — is blamed on the driver that owns the handle or the NBL, and in
 * strict mode only that driver's stack stops; the host and every other stack run on. A bad call
 * at DISPATCH_LEVEL inside a handler is blamed on the caller, and a thrown value that cannot be
 * turned into a string is still reported against the driver that threw it.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type NDIS_HANDLE,
  NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT,
  NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1,
  type NDIS_SPIN_LOCK,
  NdisAcquireSpinLock,
  NdisAllocateSpinLock,
  NdisFreeNetBufferList,
  NdisHost,
  NdisMIndicateReceiveNetBufferLists,
  NdisMSendNetBufferListsComplete,
  NdisOpenConfigurationEx,
  NdisReleaseSpinLock,
  NdisSendNetBufferLists,
  type NET_BUFFER_LIST,
  type Out,
} from "../../src/index.js";
import { describeThrown } from "../../src/runtime/core/objects/context.js";
import { scriptedMiniport } from "../helpers/miniport.js";
import { allocateNbls, nblPool } from "../helpers/nbl.js";
import { scriptedProtocol } from "../helpers/protocol.js";

/** Two adapters of two miniport drivers, one protocol bound to both; strict verifier. */
async function twoStacks(bad: Parameters<typeof scriptedMiniport>[0] = {}) {
  const host = new NdisHost({ verifier: "strict" });
  const badMp = scriptedMiniport(bad);
  const goodMp = scriptedMiniport({ send: () => {} });
  await host.loadDriver({ name: "bad", module: badMp.module });
  await host.loadDriver({ name: "good", module: goodMp.module });
  const proto = scriptedProtocol({ name: "p" });
  await host.loadDriver({ name: "p", module: proto.module });
  await host.addAdapter({ driver: "bad", name: "eth0" });
  await host.addAdapter({ driver: "good", name: "eth1" });
  const handleOf = (adapter: string) =>
    proto.bindings.find((b) => b.adapter === adapter)?.handle as NDIS_HANDLE;
  const pool = nblPool(proto.protocolHandle() as NDIS_HANDLE);
  const send = (adapter: string, n = 1) => {
    const binding = handleOf(adapter);
    const nbls = allocateNbls(pool, n, binding);
    NdisSendNetBufferLists(binding, nbls[0] as NET_BUFFER_LIST, 0, 0);
    return nbls;
  };
  return { host, badMp, goodMp, proto, send };
}

/** The healthy stack still carries a send all the way to its miniport. */
function healthyStillRuns(s: Awaited<ReturnType<typeof twoStacks>>): void {
  assert.equal(s.host.bugCheck, null);
  const before = s.goodMp.sent.length;
  s.send("eth1");
  assert.equal(s.goodMp.sent.length, before + 1);
  assert.equal(s.host.adapter("eth1")?.state, "Running");
}

describe("a bad DDI call outside any handler blames the driver that owns the handle", () => {
  test("a send completed twice from a socket callback stops that miniport, not the host", async () => {
    const s = await twoStacks({ send: () => {} });
    const [nbl] = s.send("eth0");
    const adapterHandle = s.badMp.adapters[0]?.handle as NDIS_HANDLE;
    // As from a socket's 'message' event: no NDIS frame on the stack.
    NdisMSendNetBufferListsComplete(adapterHandle, nbl as NET_BUFFER_LIST, 0);
    NdisMSendNetBufferListsComplete(adapterHandle, nbl as NET_BUFFER_LIST, 0);
    await s.host.settle();
    assert.deepEqual(
      s.host.stoppedDrivers.map((v) => [v.rule, v.driver]),
      [["NdisMSendNetBufferListsComplete_NotOwned", "bad"]],
    );
    assert.equal(s.host.adapter("eth0"), undefined);
    healthyStillRuns(s);
  });

  test("a freed NBL indicated from a timer callback stops that miniport, not the host", async () => {
    const s = await twoStacks();
    const adapterHandle = s.badMp.adapters[0]?.handle as NDIS_HANDLE;
    const pool = nblPool(adapterHandle);
    const [nbl] = allocateNbls(pool, 1, adapterHandle);
    NdisFreeNetBufferList(nbl as NET_BUFFER_LIST);
    NdisMIndicateReceiveNetBufferLists(adapterHandle, nbl as NET_BUFFER_LIST, 0, 1, 0);
    await s.host.settle();
    assert.deepEqual(
      s.host.stoppedDrivers.map((v) => v.driver),
      ["bad"],
    );
    healthyStillRuns(s);
  });
});

describe("every DDI entry point names the driver at fault", () => {
  test("NdisOpenConfigurationEx with a bad handle at DISPATCH_LEVEL blames the caller", async () => {
    let status: number | undefined;
    const s = await twoStacks({
      send: () => {
        const lock = {} as NDIS_SPIN_LOCK;
        NdisAllocateSpinLock(lock);
        NdisAcquireSpinLock(lock);
        const out: Out<NDIS_HANDLE> = {};
        status = NdisOpenConfigurationEx(
          {
            Header: {
              Type: NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT,
              Revision: 1,
              Size: NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1,
            },
            NdisHandle: { bogus: true } as unknown as NDIS_HANDLE,
            Flags: 0,
          },
          out,
        );
        NdisReleaseSpinLock(lock);
      },
    });
    s.send("eth0");
    await s.host.settle();
    // Strict mode unwound the caller at the violation, before the call could return.
    assert.equal(status, undefined);
    assert.ok(s.host.violations.length > 0);
    for (const v of s.host.violations) assert.equal(v.driver, "bad", v.message);
    healthyStillRuns(s);
  });
});

describe("formatting a thrown value never throws", () => {
  const hostile: [string, unknown][] = [
    ["Object.create(null)", Object.create(null)],
    [
      "an object whose toString throws",
      {
        toString() {
          throw new Error("no");
        },
      },
    ],
    [
      "a Proxy that throws on every trap",
      new Proxy(
        {},
        {
          get: () => {
            throw new Error("trap");
          },
          getPrototypeOf: () => {
            throw new Error("trap");
          },
          has: () => {
            throw new Error("trap");
          },
        },
      ),
    ],
    [
      "a revoked Proxy",
      (() => {
        const p = Proxy.revocable({}, {});
        p.revoke();
        return p.proxy;
      })(),
    ],
    [
      "an Error whose message getter throws",
      Object.defineProperty(new Error("x"), "message", {
        get() {
          throw new Error("no");
        },
      }),
    ],
    ["a symbol", Symbol("s")],
  ];
  for (const [what, value] of hostile) {
    test(`${what}: described, and the driver that threw it is the one stopped`, async () => {
      assert.equal(typeof describeThrown(value), "string");
      const s = await twoStacks({
        send: () => {
          throw value;
        },
      });
      s.send("eth0");
      await s.host.settle();
      assert.deepEqual(
        s.host.stoppedDrivers.map((v) => [v.rule, v.driver]),
        [["DriverException", "bad"]],
      );
      healthyStillRuns(s);
    });
  }
});
