/**
 * Blame goes to the driver at fault. An NBL handed on with a wrong SourceHandle (an IM that did
 * not set its own handle when it forwarded a receive or a send; the NET_BUFFER_LIST page: the
 * SourceHandle is the handle of the driver that indicates or sends it) is that driver's
 * violation, reported when it hands it on; the driver that gives it back unchanged is not blamed
 * too. And a driver strict mode already stopped is not blamed again for what NDIS does on its
 * behalf afterwards (the unbind of its bindings, the resources NDIS reclaims).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  NDIS_CONFIGURATION_OBJECT_REVISION_1,
  type NDIS_HANDLE,
  NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT,
  NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1,
  NdisHost,
  NdisMIndicateReceiveNetBufferLists,
  NdisOpenConfigurationEx,
  NdisReturnNetBufferLists,
  type NET_BUFFER_LIST,
  type Out,
} from "../../src/index.js";
import { type ScriptedAdapter, scriptedMiniport } from "../helpers/miniport.js";
import { allocateNbls, nblPool } from "../helpers/nbl.js";
import { scriptedProtocol } from "../helpers/protocol.js";

const blames = (host: NdisHost) => host.violations.map((v) => [v.rule, v.driver]);

describe("blame", () => {
  test("an NBL indicated with a wrong SourceHandle: the indicator is blamed, not the protocol that returns it", async () => {
    const host = new NdisHost({ verifier: "record" });
    const mp = scriptedMiniport();
    await host.loadDriver({ name: "mp", module: mp.module });
    const tcpip = scriptedProtocol({ name: "tcpip" }); // returns what it receives
    await host.loadDriver({ name: "tcpip", module: tcpip.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    const adapter = (mp.adapters[0] as ScriptedAdapter).handle;
    const [nbl] = allocateNbls(nblPool(adapter), 1, null as unknown as NDIS_HANDLE);
    NdisMIndicateReceiveNetBufferLists(adapter, nbl as NET_BUFFER_LIST, 0, 1, 0);
    assert.equal(tcpip.received.length, 1);
    assert.deepEqual(mp.returned, [nbl], "returned once, to the miniport");
    assert.deepEqual(blames(host), [["NetBufferList_SourceHandle", "mp"]]);
  });

  test("a protocol strict mode stopped is not blamed for the unbind NDIS does for it", async () => {
    const host = new NdisHost({ verifier: "strict" });
    const mp = scriptedMiniport();
    await host.loadDriver({ name: "mp", module: mp.module });
    const tcpip = scriptedProtocol({
      name: "tcpip",
      bind: (b, _ctx, open) => {
        const status = open();
        // A configuration handle on the binding, never closed: NDIS reclaims it at the unbind.
        const out: Out<NDIS_HANDLE> = {};
        NdisOpenConfigurationEx(
          {
            Header: {
              Type: NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT,
              Revision: NDIS_CONFIGURATION_OBJECT_REVISION_1,
              Size: NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1,
            },
            NdisHandle: b.handle as NDIS_HANDLE,
            Flags: 0,
          },
          out,
        );
        return status;
      },
    });
    await host.loadDriver({ name: "tcpip", module: tcpip.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    const binding = tcpip.bindings[0]?.handle as NDIS_HANDLE;
    const [nbl] = allocateNbls(nblPool(tcpip.protocolHandle() as NDIS_HANDLE), 1, binding);
    // Returning an NBL nobody indicated to it stops tcpip; NDIS then unbinds it.
    NdisReturnNetBufferLists(binding, nbl as NET_BUFFER_LIST, 0);
    await host.settle();
    assert.equal(host.bindings.length, 0, "NDIS unbound it");
    assert.deepEqual(blames(host), [["NdisReturnNetBufferLists_NotIndicated", "tcpip"]]);
  });
});
