/**
 * Status indications (contract §6.3, §6.4): NdisMIndicateStatusEx → ProtocolStatusEx, directed
 * indications, the IM re-indicating the link state on its virtual miniport, and bad indications.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as passthrough from "../../src/drivers/passthrough/index.js";
import {
  MediaConnectStateDisconnected,
  MediaDuplexStateFull,
  type NDIS_HANDLE,
  type NDIS_LINK_STATE,
  NDIS_LINK_STATE_REVISION_1,
  NDIS_OBJECT_TYPE_DEFAULT,
  NDIS_OBJECT_TYPE_STATUS_INDICATION,
  NDIS_SIZEOF_LINK_STATE_REVISION_1,
  NDIS_SIZEOF_STATUS_INDICATION_REVISION_1,
  type NDIS_STATUS_INDICATION,
  NDIS_STATUS_INDICATION_REVISION_1,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_RESET_START,
  NdisHost,
  NdisMIndicateStatusEx,
} from "../../src/index.js";
import { scriptedMiniport } from "../helpers/miniport.js";
import { scriptedProtocol } from "../helpers/protocol.js";

const rules = (host: NdisHost) => host.violations.map((v) => v.rule);

const linkDown: NDIS_LINK_STATE = {
  Header: {
    Type: NDIS_OBJECT_TYPE_DEFAULT,
    Revision: NDIS_LINK_STATE_REVISION_1,
    Size: NDIS_SIZEOF_LINK_STATE_REVISION_1,
  },
  MediaConnectState: MediaConnectStateDisconnected,
  MediaDuplexState: MediaDuplexStateFull,
  XmitLinkSpeed: 0n,
  RcvLinkSpeed: 0n,
  PauseFunctions: 0,
  AutoNegotiationFlags: 0,
};

function indication(
  source: NDIS_HANDLE,
  StatusCode: number,
  overrides: Partial<NDIS_STATUS_INDICATION> = {},
): NDIS_STATUS_INDICATION {
  return {
    Header: {
      Type: NDIS_OBJECT_TYPE_STATUS_INDICATION,
      Revision: NDIS_STATUS_INDICATION_REVISION_1,
      Size: NDIS_SIZEOF_STATUS_INDICATION_REVISION_1,
    },
    SourceHandle: source,
    PortNumber: 0,
    StatusCode,
    Flags: 0,
    DestinationHandle: null,
    RequestId: null,
    StatusBuffer: StatusCode === NDIS_STATUS_LINK_STATE ? linkDown : null,
    StatusBufferSize: StatusCode === NDIS_STATUS_LINK_STATE ? NDIS_SIZEOF_LINK_STATE_REVISION_1 : 0,
    ...overrides,
  };
}

async function plain(protocols = 1) {
  const host = new NdisHost({ verifier: "record" });
  const mp = scriptedMiniport();
  await host.loadDriver({ name: "mp", module: mp.module });
  const protos = [];
  for (let i = 0; i < protocols; i++) {
    const p = scriptedProtocol({ name: `p${i}` });
    await host.loadDriver({ name: `p${i}`, module: p.module });
    protos.push(p);
  }
  await host.addAdapter({ driver: "mp", name: "eth0" });
  return { host, mp, protos, adapter: mp.adapters[0]?.handle as NDIS_HANDLE };
}

describe("NdisMIndicateStatusEx", () => {
  test("every open binding gets the indication; a directed one reaches only its binding", async () => {
    const s = await plain(2);
    NdisMIndicateStatusEx(s.adapter, indication(s.adapter, NDIS_STATUS_LINK_STATE));
    assert.deepEqual(
      s.protos.map((p) => p.statuses.map((i) => i.StatusCode)),
      [[NDIS_STATUS_LINK_STATE], [NDIS_STATUS_LINK_STATE]],
    );
    assert.equal(s.protos[0]?.statuses[0]?.StatusBuffer, linkDown, "the payload is passed as is");
    const second = s.protos[1]?.bindings[0]?.handle;
    NdisMIndicateStatusEx(
      s.adapter,
      indication(s.adapter, NDIS_STATUS_RESET_START, { DestinationHandle: second }),
    );
    assert.deepEqual(
      s.protos.map((p) => p.statuses.length),
      [1, 2],
    );
    // Status is allowed while paused too.
    await s.host.pauseStack("eth0");
    NdisMIndicateStatusEx(s.adapter, indication(s.adapter, NDIS_STATUS_LINK_STATE));
    assert.deepEqual(
      s.protos.map((p) => p.statuses.length),
      [2, 3],
    );
    assert.deepEqual(rules(s.host), []);
  });

  test("bad indications are named and delivered to nobody", async () => {
    const s = await plain();
    const other = s.protos[0]?.bindings[0]?.handle as NDIS_HANDLE;
    const bad: NDIS_STATUS_INDICATION[] = [
      indication(s.adapter, NDIS_STATUS_LINK_STATE, {
        Header: { Type: 0x80, Revision: 1, Size: NDIS_SIZEOF_STATUS_INDICATION_REVISION_1 },
      }),
      indication(other, NDIS_STATUS_LINK_STATE),
      indication(s.adapter, NDIS_STATUS_LINK_STATE, { DestinationHandle: s.adapter }),
      null as unknown as NDIS_STATUS_INDICATION,
    ];
    for (const b of bad) NdisMIndicateStatusEx(s.adapter, b);
    assert.deepEqual(rules(s.host), Array(4).fill("NdisMIndicateStatusEx_Invalid"));
    assert.match(
      s.host.violations[1]?.message ?? "",
      /SourceHandle is not the indicating adapter's handle/,
    );
    assert.equal(s.protos[0]?.statuses.length, 0);
  });
});

describe("a status indication after halt (a classic bug)", () => {
  test("is named as a use of a dead handle, reaches nobody, and the report shows the halt before it", async () => {
    const s = await plain();
    await s.host.removeAdapter("eth0");
    NdisMIndicateStatusEx(s.adapter, indication(s.adapter, NDIS_STATUS_LINK_STATE));
    assert.deepEqual(rules(s.host), ["InvalidNdisHandle"]);
    const v = s.host.violations[0];
    assert.match(
      v?.message ?? "",
      /NdisMIndicateStatusEx got NDIS_HANDLE\(miniport adapter eth0, revoked\)/,
    );
    assert.equal(v?.driver, "mp");
    assert.ok(
      v?.recent.some((line) => /MiniportHaltEx \[mp\]/.test(line)),
      v?.recent.join("\n"),
    );
    assert.equal(s.protos[0]?.statuses.length, 0);
  });
});

describe("the passthrough driver and status", () => {
  test("the link state goes up the VELAN with the VELAN's handle; a reset start stays below", async () => {
    const host = new NdisHost({
      verifier: "record",
      bindings: [
        { protocol: "passthrough", adapter: "eth0" },
        { protocol: "tcpip", adapter: "eth0-pt" },
      ],
    });
    const mp = scriptedMiniport();
    const tcpip = scriptedProtocol({ name: "tcpip" });
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.loadDriver({ name: "passthrough", module: passthrough });
    await host.loadDriver({ name: "tcpip", module: tcpip.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    const adapter = mp.adapters[0]?.handle as NDIS_HANDLE;
    NdisMIndicateStatusEx(adapter, indication(adapter, NDIS_STATUS_RESET_START));
    NdisMIndicateStatusEx(adapter, indication(adapter, NDIS_STATUS_LINK_STATE));
    assert.equal(tcpip.statuses.length, 1);
    const up = tcpip.statuses[0] as NDIS_STATUS_INDICATION;
    assert.equal(up.StatusCode, NDIS_STATUS_LINK_STATE);
    assert.equal(up.StatusBuffer, linkDown);
    assert.notEqual(up.SourceHandle, adapter, "re-indicated with the VELAN's own handle");
    assert.deepEqual(rules(host), []);
  });
});
