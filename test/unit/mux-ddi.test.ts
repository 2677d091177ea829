/**
 * The DDI a MUX-style intermediate driver needs beyond the basics (Microsoft's NDIS 6 MUX sample,
 * network/ndis/mux/driver/60), with the documented names, values and behaviour. Pages:
 * - OID_GEN_MAC_OPTIONS (the NDIS_MAC_OPTION_* bits);
 * - NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES (SupportedStatistics: NDIS_STATISTICS_*_SUPPORTED;
 *   PowerManagementCapabilities, RecvScaleCapabilities, SupportedOidList/SupportedOidListLength);
 * - NDIS_BIND_PARAMETERS (PowerManagementCapabilities, RcvScaleCapabilities, MacOptions);
 * - the 802.3 statistic OIDs, OID_GEN_RCV_CRC_ERROR, OID_GEN_TRANSMIT_QUEUE_LENGTH;
 * - NDIS_NET_BUFFER_LIST_8021Q_INFO (ndis/nbl8021q.h): TagHeader / WLanTagHeader bit fields;
 * - NdisQueryMdl, NdisQueryMdlOffset, NDIS_MDL_LINKAGE;
 * - NDIS_PNP_CAPABILITIES / NDIS_PM_WAKE_UP_CAPABILITIES (OID_PNP_CAPABILITIES);
 * - NDIS_RESTART_ATTRIBUTES, NDIS_RESTART_GENERAL_ATTRIBUTES, OID_GEN_MINIPORT_RESTART_ATTRIBUTES,
 *   NDIS_MINIPORT_RESTART_PARAMETERS, NDIS_FILTER_RESTART_PARAMETERS,
 *   NDIS_PROTOCOL_RESTART_PARAMETERS;
 * - MINIPORT_UNLOAD and PROTOCOL_SET_OPTIONS (their DDI pages' callback type names);
 * - ndis.h's ETH_* and NDIS_TEST_FLAG / NDIS_SET_FLAG / NDIS_CLEAR_FLAG macros.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as ddi from "../../src/ddi.js";
import {
  type Blocking,
  ETH_COMPARE_NETWORK_ADDRESSES,
  ETH_COMPARE_NETWORK_ADDRESSES_EQ,
  ETH_COPY_NETWORK_ADDRESS,
  ETH_IS_BROADCAST,
  ETH_IS_MULTICAST,
  ETH_LENGTH_OF_ADDRESS,
  type MDL,
  type MINIPORT_UNLOAD,
  NDIS_CLEAR_FLAG,
  type NDIS_HANDLE,
  NDIS_MAC_OPTION_8021P_PRIORITY,
  NDIS_MAC_OPTION_8021Q_VLAN,
  NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA,
  NDIS_MAC_OPTION_NO_LOOPBACK,
  NDIS_MAC_OPTION_TRANSFERS_NOT_PEND,
  NDIS_MDL_LINKAGE,
  NDIS_NET_BUFFER_LIST_8021Q_INFO,
  NDIS_OBJECT_TYPE_RESTART_GENERAL_ATTRIBUTES,
  NDIS_OBJECT_TYPE_RSS_CAPABILITIES,
  type NDIS_PNP_CAPABILITIES,
  NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  type NDIS_RESTART_ATTRIBUTES,
  type NDIS_RESTART_GENERAL_ATTRIBUTES,
  NDIS_SET_FLAG,
  NDIS_SET_RECEIVE_FLAG,
  NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_2,
  NDIS_STATISTICS_GEN_STATISTICS_SUPPORTED,
  NDIS_STATISTICS_RCV_CRC_ERROR_SUPPORTED,
  NDIS_STATISTICS_RCV_ERROR_SUPPORTED,
  NDIS_STATISTICS_RCV_NO_BUFFER_SUPPORTED,
  NDIS_STATISTICS_RCV_OK_SUPPORTED,
  NDIS_STATISTICS_TRANSMIT_QUEUE_LENGTH_SUPPORTED,
  NDIS_STATISTICS_XMIT_ERROR_SUPPORTED,
  NDIS_STATISTICS_XMIT_OK_SUPPORTED,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_SUCCESS,
  NDIS_TEST_FLAG,
  NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL,
  NDIS_TEST_RECEIVE_CAN_PEND,
  NDIS_TEST_RECEIVE_CANNOT_PEND,
  NdisDeregisterProtocolDriver,
  NdisDeviceStateD2,
  NdisDeviceStateD3,
  NdisDeviceStateUnspecified,
  NdisHardwareStatusReady,
  NdisHost,
  NdisMDeregisterMiniportDriver,
  NdisMRegisterMiniportDriver,
  NdisMSetMiniportAttributes,
  NdisQueryMdl,
  NdisQueryMdlOffset,
  NdisRegisterProtocolDriver,
  type NET_PNP_EVENT_NOTIFICATION,
  NetEventRestart,
  ndisOidToString,
  ndisPnpCapabilitiesBytes,
  ndisPnpCapabilitiesFromBytes,
  OID_802_3_RCV_ERROR_ALIGNMENT,
  OID_802_3_RCV_OVERRUN,
  OID_802_3_XMIT_DEFERRED,
  OID_802_3_XMIT_HEARTBEAT_FAILURE,
  OID_802_3_XMIT_LATE_COLLISIONS,
  OID_802_3_XMIT_MAX_COLLISIONS,
  OID_802_3_XMIT_MORE_COLLISIONS,
  OID_802_3_XMIT_ONE_COLLISION,
  OID_802_3_XMIT_TIMES_CRS_LOST,
  OID_802_3_XMIT_UNDERRUN,
  OID_GEN_MINIPORT_RESTART_ATTRIBUTES,
  OID_GEN_RCV_CRC_ERROR,
  OID_GEN_STATISTICS,
  OID_GEN_SUPPORTED_LIST,
  OID_GEN_TRANSMIT_QUEUE_LENGTH,
  OID_GEN_VLAN_ID,
  type Out,
  type PROTOCOL_SET_OPTIONS,
} from "../../src/index.js";
import { valuesHeader } from "../../src/wasm/build.js";
import { buildSample, buildSource, cSkipReason, LOOPBACK_MINIPORT } from "../helpers/cdriver.js";
import { driverModule, miniportChars, protocolChars } from "../helpers/drivers.js";
import { scriptedFilter } from "../helpers/filter.js";
import {
  generalAttributes,
  registrationAttributes,
  scriptedMiniport,
} from "../helpers/miniport.js";
import { scriptedProtocol } from "../helpers/protocol.js";

describe("constants, with the values their pages give", () => {
  test("NDIS_MAC_OPTION_* (OID_GEN_MAC_OPTIONS) and NDIS_STATISTICS_*_SUPPORTED (general attributes)", () => {
    assert.equal(NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA, 0x1);
    assert.equal(NDIS_MAC_OPTION_TRANSFERS_NOT_PEND, 0x4);
    assert.equal(NDIS_MAC_OPTION_NO_LOOPBACK, 0x8);
    assert.equal(NDIS_MAC_OPTION_8021P_PRIORITY, 0x40);
    assert.equal(NDIS_MAC_OPTION_8021Q_VLAN, 0x200);
    assert.equal(ddi.NDIS_MAC_OPTION_RESERVED, 0x80000000);
    assert.deepEqual(
      [
        NDIS_STATISTICS_XMIT_OK_SUPPORTED,
        NDIS_STATISTICS_RCV_OK_SUPPORTED,
        NDIS_STATISTICS_XMIT_ERROR_SUPPORTED,
        NDIS_STATISTICS_RCV_ERROR_SUPPORTED,
        NDIS_STATISTICS_RCV_NO_BUFFER_SUPPORTED,
        NDIS_STATISTICS_RCV_CRC_ERROR_SUPPORTED,
        NDIS_STATISTICS_TRANSMIT_QUEUE_LENGTH_SUPPORTED,
        NDIS_STATISTICS_GEN_STATISTICS_SUPPORTED,
      ],
      [0x1, 0x2, 0x4, 0x8, 0x10, 0x20000, 0x40000, 0x400000],
    );
    // Every *_SUPPORTED bit is a distinct single bit.
    const bits = Object.entries(ddi)
      .filter(([n]) => /^NDIS_STATISTICS_.*_SUPPORTED$/.test(n))
      .map(([, v]) => v as number);
    assert.equal(bits.length, 24);
    assert.ok(bits.every((b) => b > 0 && (b & (b - 1)) === 0));
    assert.equal(new Set(bits).size, bits.length);
    assert.equal(NdisHardwareStatusReady, 0);
    assert.equal(ETH_LENGTH_OF_ADDRESS, 6);
  });

  test("the OIDs the MUX uses that were missing, named by ndisOidToString", () => {
    const expected: [number, number][] = [
      [OID_802_3_RCV_ERROR_ALIGNMENT, 0x01020101],
      [OID_802_3_XMIT_ONE_COLLISION, 0x01020102],
      [OID_802_3_XMIT_MORE_COLLISIONS, 0x01020103],
      [OID_802_3_XMIT_DEFERRED, 0x01020201],
      [OID_802_3_XMIT_MAX_COLLISIONS, 0x01020202],
      [OID_802_3_RCV_OVERRUN, 0x01020203],
      [OID_802_3_XMIT_UNDERRUN, 0x01020204],
      [OID_802_3_XMIT_HEARTBEAT_FAILURE, 0x01020205],
      [OID_802_3_XMIT_TIMES_CRS_LOST, 0x01020206],
      [OID_802_3_XMIT_LATE_COLLISIONS, 0x01020207],
      [OID_GEN_RCV_CRC_ERROR, 0x0002020d],
      [OID_GEN_TRANSMIT_QUEUE_LENGTH, 0x0002020e],
    ];
    for (const [value, documented] of expected) assert.equal(value, documented);
    assert.equal(ndisOidToString(0x01020207), "OID_802_3_XMIT_LATE_COLLISIONS (0x01020207)");
    assert.equal(ndisOidToString(0x0002020e), "OID_GEN_TRANSMIT_QUEUE_LENGTH (0x0002020E)");
  });

  test("C drivers get the same values: <ndis/values.h> is generated from them", () => {
    const header = valuesHeader();
    assert.match(header, /#define NDIS_MAC_OPTION_8021Q_VLAN 0x200\n/);
    assert.match(header, /#define NDIS_STATISTICS_GEN_STATISTICS_SUPPORTED 0x400000\n/);
    assert.match(header, /#define OID_802_3_XMIT_LATE_COLLISIONS 0x1020207\n/);
    assert.match(header, /#define ETH_LENGTH_OF_ADDRESS 0x6\n/);
    assert.match(header, /#define NDIS_MAC_OPTION_RESERVED 0x80000000u\n/);
    // Functions (ETH_IS_MULTICAST…) are macros of ndis.h itself, not values.
    assert.doesNotMatch(header, /ETH_IS_MULTICAST/);
  });
});

describe("ndis.h macros", () => {
  const bcast = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
  const mcast = Uint8Array.of(0x01, 0x00, 0x5e, 0x00, 0x00, 0x01);
  const ucast = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x07);

  test("ETH_IS_BROADCAST / ETH_IS_MULTICAST read the first six bytes (a frame's destination)", () => {
    assert.equal(ETH_IS_BROADCAST(bcast), true);
    assert.equal(ETH_IS_BROADCAST(mcast), false);
    assert.equal(ETH_IS_BROADCAST(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xfe)), false);
    assert.equal(ETH_IS_MULTICAST(mcast), true);
    assert.equal(ETH_IS_MULTICAST(bcast), true, "broadcast is a group address");
    assert.equal(ETH_IS_MULTICAST(ucast), false);
    const frame = new Uint8Array(60);
    frame.set(mcast, 0);
    frame.set(ucast, 6);
    assert.equal(ETH_IS_MULTICAST(frame), true);
  });

  test("ETH_COMPARE_NETWORK_ADDRESSES_EQ writes 0 when equal, nonzero when not; ETH_COPY_NETWORK_ADDRESS copies six bytes", () => {
    const copy = new Uint8Array(8).fill(0xaa);
    ETH_COPY_NETWORK_ADDRESS(copy, ucast);
    assert.deepEqual([...copy], [2, 0, 0, 0, 0, 7, 0xaa, 0xaa]);
    const result: Out<number> = {};
    ETH_COMPARE_NETWORK_ADDRESSES_EQ(copy, ucast, result);
    assert.equal(result.value, 0);
    ETH_COMPARE_NETWORK_ADDRESSES_EQ(ucast, mcast, result);
    assert.notEqual(result.value, 0);
    ETH_COMPARE_NETWORK_ADDRESSES(mcast, ucast, result);
    assert.ok((result.value as number) < 0);
    ETH_COMPARE_NETWORK_ADDRESSES(bcast, ucast, result);
    assert.ok((result.value as number) > 0);
  });

  test("NDIS_TEST_FLAG / NDIS_SET_FLAG / NDIS_CLEAR_FLAG, and the receive-flag tests", () => {
    let flags = 0;
    flags = NDIS_SET_FLAG(flags, 0x4);
    flags = NDIS_SET_FLAG(flags, 0x80000000);
    assert.equal(flags, 0x80000004);
    assert.equal(NDIS_TEST_FLAG(flags, 0x4), true);
    assert.equal(NDIS_TEST_FLAG(flags, 0x2), false);
    flags = NDIS_CLEAR_FLAG(flags, 0x80000000);
    assert.equal(flags, 0x4);
    let receive = NDIS_SET_RECEIVE_FLAG(0, NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL);
    assert.equal(NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(receive), true);
    assert.equal(NDIS_TEST_RECEIVE_CAN_PEND(receive), true);
    receive = NDIS_SET_RECEIVE_FLAG(receive, NDIS_RECEIVE_FLAGS_RESOURCES);
    assert.equal(NDIS_TEST_RECEIVE_CAN_PEND(receive), false);
    assert.equal(NDIS_TEST_RECEIVE_CANNOT_PEND(receive), true);
  });
});

describe("ndis.h's memory, interlocked and string helpers (NdisZeroMemory… NdisEqualString pages)", () => {
  test("memory: zero, move, fill and compare the first Length bytes", () => {
    const a = Uint8Array.of(1, 2, 3, 4, 5);
    const b = new Uint8Array(5).fill(9);
    ddi.NdisMoveMemory(b, a, 3);
    assert.deepEqual([...b], [1, 2, 3, 9, 9]);
    assert.equal(ddi.NdisEqualMemory(a, b, 3), 1);
    assert.equal(ddi.NdisEqualMemory(a, b, 4), 0);
    assert.equal(ddi.NdisEqualMemory(a, b, 9), 0, "longer than the buffers: not equal");
    ddi.NdisZeroMemory(b, 2);
    assert.deepEqual([...b], [0, 0, 3, 9, 9]);
    ddi.NdisFillMemory(b, 5, 0x7f);
    assert.deepEqual([...b], [0x7f, 0x7f, 0x7f, 0x7f, 0x7f]);
  });

  test("interlocked: the new value is returned and kept; a LONG wraps at 32 bits", () => {
    const refs: ddi.LONG_CELL = { value: 1 };
    assert.equal(ddi.NdisInterlockedIncrement(refs), 2);
    assert.equal(ddi.NdisInterlockedDecrement(refs), 1);
    assert.equal(ddi.NdisInterlockedDecrement(refs), 0);
    const top: ddi.LONG_CELL = { value: 0x7fffffff };
    assert.equal(ddi.NdisInterlockedIncrement(top), -0x80000000);
  });

  test("strings: NDIS_STRING_CONST, NdisInitUnicodeString, NdisUpcaseUnicodeString, NdisEqualString", () => {
    const name: Out<string> = {};
    ddi.NdisInitUnicodeString(name, ddi.NDIS_STRING_CONST("\\Device\\Velan0"));
    assert.equal(name.value, "\\Device\\Velan0");
    ddi.NdisInitUnicodeString(name, null);
    assert.equal(name.value, "");
    const upper: Out<string> = {};
    assert.equal(ddi.NdisUpcaseUnicodeString(upper, "velan0"), NDIS_STATUS_SUCCESS);
    assert.equal(upper.value, "VELAN0");
    assert.equal(ddi.NdisEqualString("Velan0", "VELAN0", true), true);
    assert.equal(ddi.NdisEqualString("Velan0", "VELAN0", false), false);
  });
});

describe("NDIS_NET_BUFFER_LIST_8021Q_INFO over NetBufferListInfo[Ieee8021QNetBufferListInfo]", () => {
  test("TagHeader bit fields: UserPriority bits 0–2, CanonicalFormatId bit 3, VlanId bits 4–15", () => {
    const info = new NDIS_NET_BUFFER_LIST_8021Q_INFO();
    info.TagHeader.UserPriority = 5;
    info.TagHeader.VlanId = 100;
    assert.equal(info.Value, 5 | (100 << 4));
    info.TagHeader.CanonicalFormatId = 1;
    assert.equal(info.Value, 5 | 8 | (100 << 4));
    info.TagHeader.VlanId = 0x1fff; // 13 bits: only 12 fit
    assert.equal(info.TagHeader.VlanId, 0xfff);
    assert.equal(info.TagHeader.UserPriority, 5, "neighbouring fields untouched");
    info.TagHeader.UserPriority = 9;
    assert.equal(info.TagHeader.UserPriority, 1);
  });

  test("WLanTagHeader shares the low 16 bits and adds WMMInfo at bits 16–19", () => {
    const info = new NDIS_NET_BUFFER_LIST_8021Q_INFO(0x0645);
    assert.equal(info.WLanTagHeader.UserPriority, 5);
    assert.equal(info.WLanTagHeader.VlanId, 100);
    info.WLanTagHeader.WMMInfo = 6;
    assert.equal(info.Value, 0x60645);
    assert.equal(info.TagHeader.Reserved, 6, "the 802.3 view sees WMMInfo as reserved bits");
  });

  test("read from and written back to an NBL's slot, as a C driver does with Value", () => {
    const slots: unknown[] = [];
    const info = new NDIS_NET_BUFFER_LIST_8021Q_INFO();
    info.Value = slots[ddi.Ieee8021QNetBufferListInfo]; // nothing there yet: NULL
    assert.equal(info.Value, 0);
    assert.equal(info.TagHeader.VlanId, 0);
    info.TagHeader.VlanId = 42;
    info.TagHeader.UserPriority = 3;
    slots[ddi.Ieee8021QNetBufferListInfo] = info.Value;
    const reader = new NDIS_NET_BUFFER_LIST_8021Q_INFO(slots[ddi.Ieee8021QNetBufferListInfo]);
    assert.equal(reader.TagHeader.VlanId, 42);
    assert.equal(reader.TagHeader.UserPriority, 3);
    assert.equal(OID_GEN_VLAN_ID, 0x0001021c);
  });
});

describe("MDL queries", () => {
  test("NdisQueryMdl gives the mapping and ByteCount, NdisQueryMdlOffset the offset in its page, NDIS_MDL_LINKAGE the next MDL", () => {
    const backing = new Uint8Array(8192);
    const second: MDL = { Next: null, MappedSystemVa: backing.subarray(4100, 4160), ByteCount: 60 };
    const first: MDL = { Next: second, MappedSystemVa: backing.subarray(10, 24), ByteCount: 14 };
    const va: Out<Uint8Array> = {};
    const length: Out<number> = {};
    NdisQueryMdl(first, va, length, ddi.NormalPagePriority | ddi.MdlMappingNoExecute);
    assert.equal(va.value, first.MappedSystemVa);
    assert.equal(length.value, 14);
    const offset: Out<number> = {};
    NdisQueryMdlOffset(second, offset, length);
    assert.equal(offset.value, 4100 - 4096);
    assert.equal(length.value, 60);
    assert.equal(NDIS_MDL_LINKAGE(first), second);
    assert.equal(NDIS_MDL_LINKAGE(second), null);
  });
});

describe("NDIS_PNP_CAPABILITIES", () => {
  test("round-trips through the 16 bytes OID_PNP_CAPABILITIES carries", () => {
    const caps: NDIS_PNP_CAPABILITIES = {
      Flags: 0,
      WakeUpCapabilities: {
        MinMagicPacketWakeUp: NdisDeviceStateD3,
        MinPatternWakeUp: NdisDeviceStateD2,
        MinLinkChangeWakeUp: NdisDeviceStateUnspecified,
      },
    };
    const bytes = ndisPnpCapabilitiesBytes(caps);
    assert.equal(bytes.length, 16);
    assert.deepEqual([...bytes.subarray(4, 8)], [4, 0, 0, 0]);
    assert.deepEqual(ndisPnpCapabilitiesFromBytes(bytes), caps);
    assert.equal(ndisPnpCapabilitiesFromBytes(bytes.subarray(0, 15)), null);
  });
});

const PNP: NDIS_PNP_CAPABILITIES = {
  Flags: 0,
  WakeUpCapabilities: {
    MinMagicPacketWakeUp: NdisDeviceStateD3,
    MinPatternWakeUp: NdisDeviceStateD3,
    MinLinkChangeWakeUp: NdisDeviceStateUnspecified,
  },
};
const RSS = {
  Header: { Type: NDIS_OBJECT_TYPE_RSS_CAPABILITIES, Revision: 1, Size: 16 },
  CapabilitiesFlags: 0x0f,
  NumberOfInterruptMessages: 4,
  NumberOfReceiveQueues: 4,
};

describe("general attributes → bind parameters", () => {
  test("PowerManagementCapabilities, RecvScaleCapabilities and MacOptions reach the protocol's NDIS_BIND_PARAMETERS; SupportedOidListLength cuts the list", async () => {
    const host = new NdisHost({ verifier: "strict" });
    const mp = scriptedMiniport({
      general: {
        PowerManagementCapabilities: PNP,
        RecvScaleCapabilities: RSS,
        MacOptions: NDIS_MAC_OPTION_8021P_PRIORITY | NDIS_MAC_OPTION_NO_LOOPBACK,
        SupportedOidList: [OID_GEN_SUPPORTED_LIST, OID_GEN_STATISTICS, OID_GEN_VLAN_ID],
        SupportedOidListLength: 8,
      },
    });
    const proto = scriptedProtocol();
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.loadDriver({ name: "p", module: proto.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    const params = proto.bindings[0]?.params;
    assert.ok(params !== undefined);
    assert.deepEqual(params.PowerManagementCapabilities, PNP);
    assert.notEqual(
      params.PowerManagementCapabilities,
      PNP,
      "NDIS's copy, not the driver's object",
    );
    assert.deepEqual(params.RcvScaleCapabilities, RSS);
    assert.equal(params.MacOptions, NDIS_MAC_OPTION_8021P_PRIORITY | NDIS_MAC_OPTION_NO_LOOPBACK);
    assert.deepEqual(params.SupportedOidList, [OID_GEN_SUPPORTED_LIST, OID_GEN_STATISTICS]);
    assert.equal(params.SupportedOidListLength, 8);
    assert.deepEqual(host.violations, []);
  });

  test("an adapter without them binds with NULL capabilities", async () => {
    const host = new NdisHost({ verifier: "strict" });
    const mp = scriptedMiniport();
    const proto = scriptedProtocol();
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.loadDriver({ name: "p", module: proto.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.equal(proto.bindings[0]?.params.PowerManagementCapabilities, null);
    assert.equal(proto.bindings[0]?.params.RcvScaleCapabilities, null);
  });

  test("bad capabilities or a SupportedOidListLength past the list are NDIS_STATUS_INVALID_PARAMETER", async () => {
    const statuses: number[] = [];
    const cases: Record<string, unknown>[] = [
      { SupportedOidList: [OID_GEN_STATISTICS], SupportedOidListLength: 8 },
      { SupportedOidList: [OID_GEN_STATISTICS], SupportedOidListLength: 3 },
      {
        PowerManagementCapabilities: { Flags: 0, WakeUpCapabilities: { MinMagicPacketWakeUp: 9 } },
      },
      { RecvScaleCapabilities: { Header: { Type: 0x80, Revision: 1, Size: 16 } } },
    ];
    for (const general of cases) {
      const host = new NdisHost({ verifier: "record" });
      const mp = scriptedMiniport({
        initialize: (handle) => {
          NdisMSetMiniportAttributes(handle, registrationAttributes({}));
          const status = NdisMSetMiniportAttributes(handle, generalAttributes(general));
          statuses.push(status);
          return status;
        },
      });
      await host.loadDriver({ name: "mp", module: mp.module });
      await host.addAdapter({ driver: "mp", name: "eth0" }).catch(() => undefined);
    }
    assert.deepEqual(
      statuses,
      cases.map(() => NDIS_STATUS_INVALID_PARAMETER),
    );
  });
});

describe("restart attributes (NDIS_RESTART_ATTRIBUTES / NDIS_RESTART_GENERAL_ATTRIBUTES)", () => {
  test("MiniportRestart gets the general attributes under OID_GEN_MINIPORT_RESTART_ATTRIBUTES; what it changes reaches FilterRestart and the protocol's NetEventRestart", async () => {
    const host = new NdisHost({ verifier: "strict" });
    let atMiniport: NDIS_RESTART_ATTRIBUTES | null = null;
    let snapshot: NDIS_RESTART_GENERAL_ATTRIBUTES | null = null;
    let atFilter: unknown = "not called";
    let atProtocol: unknown = "not called";
    const mp = scriptedMiniport({
      general: {
        MacOptions: NDIS_MAC_OPTION_8021P_PRIORITY,
        SupportedStatistics: NDIS_STATISTICS_GEN_STATISTICS_SUPPORTED,
        SupportedOidList: [OID_GEN_SUPPORTED_LIST, OID_GEN_STATISTICS],
      },
      restart: (_a, params) => {
        atMiniport = params.RestartAttributes;
        const general = atMiniport?.Data as NDIS_RESTART_GENERAL_ATTRIBUTES;
        snapshot = { ...general, SupportedOidList: [...general.SupportedOidList] };
        general.MacOptions |= NDIS_MAC_OPTION_8021Q_VLAN; // the miniport changes an attribute
        return NDIS_STATUS_SUCCESS;
      },
    });
    const filter = scriptedFilter("flt", {
      restart: (_m, params) => {
        atFilter = params.RestartAttributes;
        return NDIS_STATUS_SUCCESS;
      },
    });
    const proto = scriptedProtocol({
      pnp: (_b, event: NET_PNP_EVENT_NOTIFICATION) => {
        if (event.NetPnPEvent.NetEvent === NetEventRestart) {
          atProtocol = (event.NetPnPEvent.Buffer as { RestartAttributes: unknown })
            .RestartAttributes;
        }
        return NDIS_STATUS_SUCCESS;
      },
    });
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.loadDriver({ name: "flt", module: filter.module });
    await host.loadDriver({ name: "p", module: proto.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    await host.settle();

    const list = atMiniport as NDIS_RESTART_ATTRIBUTES | null;
    assert.ok(list !== null);
    assert.equal(list.Oid, OID_GEN_MINIPORT_RESTART_ATTRIBUTES);
    assert.equal(list.Next, null);
    assert.equal(list.DataLength, NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_2);
    const before = snapshot as NDIS_RESTART_GENERAL_ATTRIBUTES | null;
    assert.ok(before !== null);
    assert.equal(before.Header.Type, NDIS_OBJECT_TYPE_RESTART_GENERAL_ATTRIBUTES);
    assert.equal(before.Header.Revision, 2, "NDIS 6.20+ hosts give revision 2");
    assert.equal(before.MtuSize, 1500);
    assert.equal(before.MaxXmitLinkSpeed, 10n ** 9n);
    assert.equal(before.MacOptions, NDIS_MAC_OPTION_8021P_PRIORITY);
    assert.equal(before.SupportedStatistics, NDIS_STATISTICS_GEN_STATISTICS_SUPPORTED);
    assert.deepEqual(before.SupportedOidList, [OID_GEN_SUPPORTED_LIST, OID_GEN_STATISTICS]);
    assert.equal(before.SupportedOidListLength, 8);
    assert.equal(before.MaxMulticastListSize, 32);
    assert.deepEqual(
      before.RecvScaleCapabilities,
      {
        Header: { Type: 0, Revision: 0, Size: 0 },
        CapabilitiesFlags: 0,
        NumberOfInterruptMessages: 0,
        NumberOfReceiveQueues: 0,
      },
      "no RSS: a structure filled with zeros, never NULL",
    );

    for (const above of [atFilter, atProtocol]) {
      const seen = above as NDIS_RESTART_ATTRIBUTES;
      assert.equal(seen.Oid, OID_GEN_MINIPORT_RESTART_ATTRIBUTES);
      assert.equal(
        (seen.Data as NDIS_RESTART_GENERAL_ATTRIBUTES).MacOptions,
        NDIS_MAC_OPTION_8021P_PRIORITY | NDIS_MAC_OPTION_8021Q_VLAN,
        "the miniport's change travelled up",
      );
    }
  });
});

describe("callback type names", () => {
  test("MINIPORT_UNLOAD and PROTOCOL_SET_OPTIONS type the characteristics' handlers NDIS calls", async () => {
    const calls: string[] = [];
    const m: Out<NDIS_HANDLE> = {};
    const p: Out<NDIS_HANDLE> = {};
    const unload: MINIPORT_UNLOAD = () => {
      calls.push("MiniportDriverUnload");
      NdisDeregisterProtocolDriver(p.value as NDIS_HANDLE);
      NdisMDeregisterMiniportDriver(m.value as NDIS_HANDLE);
    };
    const setOptions: PROTOCOL_SET_OPTIONS = () => {
      calls.push("ProtocolSetOptions");
      return NDIS_STATUS_SUCCESS;
    };
    const host = new NdisHost({ verifier: "strict" });
    await host.loadDriver({
      name: "typed",
      module: driverModule((DriverObject, RegistryPath): Blocking<number> => {
        const a = NdisMRegisterMiniportDriver(
          DriverObject,
          RegistryPath,
          undefined,
          miniportChars({ UnloadHandler: unload }),
          m,
        );
        const b = NdisRegisterProtocolDriver(
          undefined,
          protocolChars({ SetOptionsHandler: setOptions }),
          p,
        );
        return a === NDIS_STATUS_SUCCESS ? b : a;
      }),
    });
    await host.unloadDriver("typed");
    assert.deepEqual(calls, ["ProtocolSetOptions", "MiniportDriverUnload"]);
    assert.deepEqual(host.violations, []);
  });
});

const C_MUX_DDI = `#include <ndis.h>

/* Each check failing returns its number; 0 when every macro and value agrees. */
static ULONG Check(void) {
  UCHAR bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  UCHAR mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
  UCHAR ucast[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x07};
  UCHAR copy[6];
  ULONG result = 99, flags = 0;
  NDIS_NET_BUFFER_LIST_8021Q_INFO q;
  if (!ETH_IS_BROADCAST(bcast) || ETH_IS_BROADCAST(mcast)) return 1;
  if (!ETH_IS_MULTICAST(mcast) || !ETH_IS_MULTICAST(bcast) || ETH_IS_MULTICAST(ucast)) return 2;
  ETH_COPY_NETWORK_ADDRESS(copy, ucast);
  ETH_COMPARE_NETWORK_ADDRESSES_EQ(copy, ucast, &result);
  if (result != 0) return 3;
  ETH_COMPARE_NETWORK_ADDRESSES_EQ(copy, mcast, &result);
  if (result == 0) return 4;
  q.Value = NULL;
  q.TagHeader.UserPriority = 5;
  q.TagHeader.VlanId = 100;
  if ((ULONG_PTR)q.Value != (5 | (100 << 4))) return 5;
  q.WLanTagHeader.WMMInfo = 6;
  if ((ULONG_PTR)q.Value != (0x60000 | 5 | (100 << 4))) return 6;
  NDIS_SET_FLAG(flags, 0x4);
  if (!NDIS_TEST_FLAG(flags, 0x4)) return 7;
  NDIS_CLEAR_FLAG(flags, 0x4);
  if (flags != 0) return 8;
  if (NDIS_MAC_OPTION_8021Q_VLAN != 0x200 || NDIS_STATISTICS_GEN_STATISTICS_SUPPORTED != 0x400000) return 9;
  if (OID_802_3_XMIT_LATE_COLLISIONS != 0x01020207 || ETH_LENGTH_OF_ADDRESS != 6) return 10;
  if (sizeof(NDIS_PNP_CAPABILITIES) != 16 || !NDIS_TEST_RECEIVE_CAN_PEND(0)) return 11;
  /* No interface 0x7fff: NDIS says so. */
  if (NdisIfAddIfStackEntry(0x7fff, 0x7ffe) != NDIS_STATUS_INTERFACE_NOT_FOUND) return 12;
  return 0;
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  NDIS_RW_LOCK lock;
  LOCK_STATE read1, read2, write;
  NDIS_MUTEX mutex;
  ULONG failed = Check();
  UNREFERENCED_PARAMETER(DriverObject);
  UNREFERENCED_PARAMETER(RegistryPath);
  if (failed != 0) return (NTSTATUS)(0xC0010000u | failed);
  NdisInitializeReadWriteLock(&lock);
  NdisAcquireReadWriteLock(&lock, FALSE, &read1);
  NdisAcquireReadWriteLock(&lock, FALSE, &read2);
  NdisReleaseReadWriteLock(&lock, &read2);
  NdisReleaseReadWriteLock(&lock, &read1);
  NdisAcquireReadWriteLock(&lock, TRUE, &write);
  NdisReleaseReadWriteLock(&lock, &write);
  NDIS_INIT_MUTEX(&mutex);
  if (NDIS_WAIT_FOR_MUTEX(&mutex) != STATUS_SUCCESS || NDIS_WAIT_FOR_MUTEX(&mutex) != STATUS_SUCCESS)
    return (NTSTATUS)0xC0010020u;
  if (NDIS_RELEASE_MUTEX(&mutex) == 0 || NDIS_RELEASE_MUTEX(&mutex) != 0) return (NTSTATUS)0xC0010021u;
#ifdef RELEASE_TWICE
  NdisReleaseReadWriteLock(&lock, &write);
#endif
  return STATUS_SUCCESS;
}
`;

describe("the same DDI from C (c/include/ndis.h)", { skip: cSkipReason() ?? false }, () => {
  test("a C driver compiles against the macros, structures and values and gets the same answers, takes an NDIS_MUTEX twice and releases it twice; its RW-lock misuse is named", async () => {
    const good = await buildSource("muxddi", C_MUX_DDI);
    assert.equal(good.ok, true, good.diagnostics);
    const host = new NdisHost({ verifier: "record" });
    const { status } = await host.loadDriver({ name: "muxddi", module: good.path });
    assert.equal(status >>> 0, NDIS_STATUS_SUCCESS, `check ${(status >>> 0) & 0xffff} failed`);
    assert.deepEqual(host.violations, []);

    const bad = await buildSource("muxddi2", `#define RELEASE_TWICE 1\n${C_MUX_DDI}`);
    assert.equal(bad.ok, true, bad.diagnostics);
    const host2 = new NdisHost({ verifier: "record" });
    await host2.loadDriver({ name: "muxddi2", module: bad.path });
    assert.deepEqual(
      host2.violations.map((v) => v.rule),
      ["ReadWriteLockRelease"],
    );
  });
});

describe("restart attributes for a C miniport", { skip: cSkipReason() ?? false }, () => {
  test("MiniportRestart in C reads NDIS's general attributes and its change reaches the protocol's NetEventRestart", async () => {
    const path = await buildSample("cloop-restart", LOOPBACK_MINIPORT, [
      `-DCLOOP_RESTART_MAC_OPTIONS=${NDIS_MAC_OPTION_8021Q_VLAN}`,
    ]);
    const host = new NdisHost({ verifier: "strict" });
    let seen: NDIS_RESTART_GENERAL_ATTRIBUTES | null = null;
    const proto = scriptedProtocol({
      pnp: (_b, event: NET_PNP_EVENT_NOTIFICATION) => {
        if (event.NetPnPEvent.NetEvent === NetEventRestart) {
          const list = (event.NetPnPEvent.Buffer as { RestartAttributes: NDIS_RESTART_ATTRIBUTES })
            .RestartAttributes;
          seen = list.Data as NDIS_RESTART_GENERAL_ATTRIBUTES;
        }
        return NDIS_STATUS_SUCCESS;
      },
    });
    await host.loadDriver({ name: "cloop", module: path });
    await host.loadDriver({ name: "p", module: proto.module });
    await host.addAdapter({ driver: "cloop", name: "loop0" });
    await host.settle();
    const general = seen as NDIS_RESTART_GENERAL_ATTRIBUTES | null;
    assert.ok(general !== null);
    assert.equal(general.MtuSize, 1500);
    assert.equal(
      general.MacOptions & NDIS_MAC_OPTION_8021Q_VLAN,
      NDIS_MAC_OPTION_8021Q_VLAN,
      "the C miniport read MtuSize 1500 and set the bit",
    );
    assert.deepEqual(host.violations, []);
    await host.removeAdapter("loop0");
  });
});

describe("the interface stack table (NdisIfAddIfStackEntry / NdisIfDeleteIfStackEntry pages)", () => {
  test("a driver orders two registered interfaces; an unknown index is NDIS_STATUS_INTERFACE_NOT_FOUND; NDIS drops the entry when an interface goes; above PASSIVE_LEVEL is Irql_Interfaces_Function", async () => {
    const host = new NdisHost({ verifier: "record" });
    const statuses: number[] = [];
    const mp = scriptedMiniport();
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    await host.addAdapter({ driver: "mp", name: "eth1" });
    const eth0 = host.adapter("eth0")?.ifIndex as number;
    const eth1 = host.adapter("eth1")?.ifIndex as number;
    const proto = scriptedProtocol({
      bind: (b, _context, open) => {
        if (b.adapter === "eth1") {
          statuses.push(ddi.NdisIfAddIfStackEntry(eth1, eth0));
          statuses.push(ddi.NdisIfAddIfStackEntry(eth1, 0x7fff));
          statuses.push(ddi.NdisIfAddIfStackEntry(eth0, eth1));
          ddi.NdisIfDeleteIfStackEntry(eth0, eth1);
          const lock: ddi.NDIS_SPIN_LOCK = {};
          ddi.NdisAcquireSpinLock(lock);
          ddi.NdisIfDeleteIfStackEntry(0x7fff, eth0);
          ddi.NdisReleaseSpinLock(lock);
        }
        return open();
      },
    });
    await host.loadDriver({ name: "p", module: proto.module });
    assert.deepEqual(statuses, [
      NDIS_STATUS_SUCCESS,
      ddi.NDIS_STATUS_INTERFACE_NOT_FOUND,
      NDIS_STATUS_SUCCESS,
    ]);
    assert.deepEqual(host.ifStackTable(), [{ HigherLayerIfIndex: eth1, LowerLayerIfIndex: eth0 }]);
    assert.deepEqual(
      host.violations.map((v) => v.rule),
      ["Irql_Interfaces_Function"],
    );
    await host.removeAdapter("eth0");
    assert.deepEqual(host.ifStackTable(), [], "eth0 went: so did its entry");
  });
});

describe("LIST_ENTRY lists (NdisInitializeListHead, InsertTailList… as the kernel's list routines)", () => {
  interface VELAN_LIKE extends ddi.LIST_ENTRY {
    readonly name: string;
  }
  test("a record that is its own LIST_ENTRY: insert at both ends, walk Flink, remove, the head points at itself when empty", () => {
    const head: ddi.LIST_ENTRY = {};
    ddi.NdisInitializeListHead(head);
    assert.equal(head.Flink, head);
    assert.equal(ddi.IsListEmpty(head), true);
    const a: VELAN_LIKE = { name: "a" };
    const b: VELAN_LIKE = { name: "b" };
    const c: VELAN_LIKE = { name: "c" };
    ddi.InsertTailList(head, b);
    ddi.InsertTailList(head, c);
    ddi.InsertHeadList(head, a);
    const walk = (): string[] => {
      const names: string[] = [];
      for (let e = head.Flink as ddi.LIST_ENTRY; e !== head; e = e.Flink as ddi.LIST_ENTRY)
        names.push((e as VELAN_LIKE).name);
      return names;
    };
    assert.deepEqual(walk(), ["a", "b", "c"]);
    assert.equal(ddi.RemoveEntryList(b), false);
    assert.deepEqual(walk(), ["a", "c"]);
    assert.equal(ddi.RemoveHeadList(head), a);
    assert.equal(ddi.RemoveTailList(head), c);
    assert.equal(ddi.IsListEmpty(head), true);
    assert.equal(ddi.RemoveHeadList(head), head, "an empty list hands back its head");
  });
});
