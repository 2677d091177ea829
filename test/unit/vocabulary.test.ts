/**
 * Pins every NDIS value the package exports against the WDK header values, written out here by
 * hand (contract §0.1, §0.2, §1.3–§1.5).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as ddi from "../../src/ddi.js";
import {
  NDIS_OBJECT_TYPES,
  NDIS_STATUS_CODES,
  NDIS_VERSIONS,
  NdisGetVersion,
  NT_SUCCESS,
  ndisObjectTypeToString,
  ndisStatusToString,
  parseNdisVersion,
} from "../../src/index.js";

const STATUS_VALUES: Record<string, number> = {
  NDIS_STATUS_SUCCESS: 0x00000000,
  NDIS_STATUS_PENDING: 0x00000103,
  NDIS_STATUS_NOT_RECOGNIZED: 0x00010001,
  NDIS_STATUS_NOT_COPIED: 0x00010002,
  NDIS_STATUS_NOT_ACCEPTED: 0x00010003,
  NDIS_STATUS_CALL_ACTIVE: 0x00010007,
  NDIS_STATUS_INDICATION_REQUIRED: 0x40230001,
  NDIS_STATUS_BUFFER_OVERFLOW: 0x80000005,
  NDIS_STATUS_BUSY: 0x80000011,
  NDIS_STATUS_NOT_RESETTABLE: 0x80010001,
  NDIS_STATUS_SOFT_ERRORS: 0x80010003,
  NDIS_STATUS_HARD_ERRORS: 0x80010004,
  NDIS_STATUS_FAILURE: 0xc0000001,
  NDIS_STATUS_INVALID_PARAMETER: 0xc000000d,
  NDIS_STATUS_INVALID_DEVICE_REQUEST: 0xc0000010,
  NDIS_STATUS_RESOURCES: 0xc000009a,
  NDIS_STATUS_NOT_SUPPORTED: 0xc00000bb,
  NDIS_STATUS_INVALID_STATE: 0xc0000184,
  NDIS_STATUS_NETWORK_UNREACHABLE: 0xc000023c,
  NDIS_STATUS_CLOSING: 0xc0010002,
  NDIS_STATUS_BAD_VERSION: 0xc0010004,
  NDIS_STATUS_BAD_CHARACTERISTICS: 0xc0010005,
  NDIS_STATUS_ADAPTER_NOT_FOUND: 0xc0010006,
  NDIS_STATUS_OPEN_FAILED: 0xc0010007,
  NDIS_STATUS_DEVICE_FAILED: 0xc0010008,
  NDIS_STATUS_MULTICAST_FULL: 0xc0010009,
  NDIS_STATUS_MULTICAST_EXISTS: 0xc001000a,
  NDIS_STATUS_MULTICAST_NOT_FOUND: 0xc001000b,
  NDIS_STATUS_REQUEST_ABORTED: 0xc001000c,
  NDIS_STATUS_RESET_IN_PROGRESS: 0xc001000d,
  NDIS_STATUS_CLOSING_INDICATING: 0xc001000e,
  NDIS_STATUS_INVALID_PACKET: 0xc001000f,
  NDIS_STATUS_OPEN_LIST_FULL: 0xc0010010,
  NDIS_STATUS_ADAPTER_NOT_READY: 0xc0010011,
  NDIS_STATUS_ADAPTER_NOT_OPEN: 0xc0010012,
  NDIS_STATUS_NOT_INDICATING: 0xc0010013,
  NDIS_STATUS_INVALID_LENGTH: 0xc0010014,
  NDIS_STATUS_INVALID_DATA: 0xc0010015,
  NDIS_STATUS_BUFFER_TOO_SHORT: 0xc0010016,
  NDIS_STATUS_INVALID_OID: 0xc0010017,
  NDIS_STATUS_ADAPTER_REMOVED: 0xc0010018,
  NDIS_STATUS_UNSUPPORTED_MEDIA: 0xc0010019,
  NDIS_STATUS_NO_CABLE: 0xc001001f,
  // netvmini refuses a unicast address in a multicast list with it (one of the 0xC001xxxx legacy codes).
  NDIS_STATUS_INVALID_ADDRESS: 0xc0010022,
  NDIS_STATUS_MEDIA_DISCONNECTED: 0xc023001f,
  NDIS_STATUS_SEND_ABORTED: 0xc023000c,
  NDIS_STATUS_PAUSED: 0xc023002a,
  NDIS_STATUS_INTERFACE_NOT_FOUND: 0xc023002b,
  NDIS_STATUS_UNSUPPORTED_REVISION: 0xc023002c,
  NDIS_STATUS_INVALID_PORT: 0xc023002d,
  NDIS_STATUS_INVALID_PORT_STATE: 0xc023002e,
  NDIS_STATUS_LOW_POWER_STATE: 0xc023002f,
  // Status indication codes, contract §6.4.
  NDIS_STATUS_ONLINE: 0x40010003,
  NDIS_STATUS_RESET_START: 0x40010004,
  NDIS_STATUS_RESET_END: 0x40010005,
  NDIS_STATUS_MEDIA_CONNECT: 0x4001000b,
  NDIS_STATUS_MEDIA_DISCONNECT: 0x4001000c,
  NDIS_STATUS_LINK_SPEED_CHANGE: 0x40010013,
  NDIS_STATUS_LINK_STATE: 0x40010017,
  NDIS_STATUS_NETWORK_CHANGE: 0x40010018,
  NDIS_STATUS_MEDIA_SPECIFIC_INDICATION_EX: 0x40010019,
  NDIS_STATUS_PORT_STATE: 0x40010022,
  NDIS_STATUS_OPER_STATUS: 0x40010023,
  NDIS_STATUS_PACKET_FILTER: 0x40010024,
};

const OBJECT_TYPE_VALUES: Record<string, number> = {
  NDIS_OBJECT_TYPE_DEFAULT: 0x80,
  NDIS_OBJECT_TYPE_MINIPORT_INIT_PARAMETERS: 0x81,
  NDIS_OBJECT_TYPE_MINIPORT_INTERRUPT: 0x84,
  NDIS_OBJECT_TYPE_BIND_PARAMETERS: 0x86,
  NDIS_OBJECT_TYPE_OPEN_PARAMETERS: 0x87,
  NDIS_OBJECT_TYPE_RSS_CAPABILITIES: 0x88,
  NDIS_OBJECT_TYPE_RSS_PARAMETERS: 0x89,
  NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS: 0x8a,
  NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS: 0x8b,
  NDIS_OBJECT_TYPE_FILTER_PARTIAL_CHARACTERISTICS: 0x8c,
  NDIS_OBJECT_TYPE_FILTER_ATTRIBUTES: 0x8d,
  NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS: 0x8e,
  NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS: 0x8f,
  NDIS_OBJECT_TYPE_CO_PROTOCOL_CHARACTERISTICS: 0x90,
  NDIS_OBJECT_TYPE_CO_MINIPORT_CHARACTERISTICS: 0x91,
  NDIS_OBJECT_TYPE_MINIPORT_PNP_CHARACTERISTICS: 0x92,
  NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_CHARACTERISTICS: 0x93,
  NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_CHARACTERISTICS: 0x94,
  NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS: 0x95,
  NDIS_OBJECT_TYPE_OID_REQUEST: 0x96,
  NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS: 0x97,
  NDIS_OBJECT_TYPE_STATUS_INDICATION: 0x98,
  NDIS_OBJECT_TYPE_FILTER_ATTACH_PARAMETERS: 0x99,
  NDIS_OBJECT_TYPE_FILTER_PAUSE_PARAMETERS: 0x9a,
  NDIS_OBJECT_TYPE_FILTER_RESTART_PARAMETERS: 0x9b,
  NDIS_OBJECT_TYPE_PORT_CHARACTERISTICS: 0x9c,
  NDIS_OBJECT_TYPE_PORT_STATE: 0x9d,
  NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES: 0x9e,
  NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES: 0x9f,
  NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES: 0xa0,
  NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_NATIVE_802_11_ATTRIBUTES: 0xa1,
  NDIS_OBJECT_TYPE_RESTART_GENERAL_ATTRIBUTES: 0xa2,
  NDIS_OBJECT_TYPE_PROTOCOL_RESTART_PARAMETERS: 0xa3,
  NDIS_OBJECT_TYPE_MINIPORT_ADD_DEVICE_REGISTRATION_ATTRIBUTES: 0xa4,
  NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT: 0xa9,
  NDIS_OBJECT_TYPE_NDK_PROVIDER_CHARACTERISTICS: 0xb2,
  NDIS_OBJECT_TYPE_MINIPORT_SS_CHARACTERISTICS: 0xb4,
};

const exported = ddi as unknown as Record<string, unknown>;

describe("NDIS_STATUS values", () => {
  for (const [name, value] of Object.entries(STATUS_VALUES)) {
    test(`${name} = 0x${value.toString(16).toUpperCase()}`, () => {
      assert.equal(exported[name], value);
      assert.equal(NDIS_STATUS_CODES[name], value);
    });
  }

  test("the status table has exactly the codes of the contract", () => {
    assert.deepEqual(Object.keys(NDIS_STATUS_CODES).sort(), Object.keys(STATUS_VALUES).sort());
  });

  test("SEND_ABORTED and REQUEST_ABORTED are different values", () => {
    assert.notEqual(ddi.NDIS_STATUS_SEND_ABORTED, ddi.NDIS_STATUS_REQUEST_ABORTED);
  });

  test("NT_SUCCESS follows the severity bits: NOT_ACCEPTED is success-class, BUFFER_OVERFLOW is not", () => {
    assert.equal(NT_SUCCESS(ddi.NDIS_STATUS_SUCCESS), true);
    assert.equal(NT_SUCCESS(ddi.NDIS_STATUS_PENDING), true);
    assert.equal(NT_SUCCESS(ddi.NDIS_STATUS_NOT_ACCEPTED), true);
    assert.equal(NT_SUCCESS(ddi.NDIS_STATUS_INDICATION_REQUIRED), true);
    assert.equal(NT_SUCCESS(ddi.NDIS_STATUS_BUFFER_OVERFLOW), false);
    assert.equal(NT_SUCCESS(ddi.NDIS_STATUS_BAD_CHARACTERISTICS), false);
  });

  test("statuses print with their name and header hex", () => {
    assert.equal(ndisStatusToString(0xc0010005), "NDIS_STATUS_BAD_CHARACTERISTICS (0xC0010005)");
    assert.equal(ndisStatusToString(0x12345678), "0x12345678");
  });
});

describe("NDIS_OBJECT_TYPE values", () => {
  for (const [name, value] of Object.entries(OBJECT_TYPE_VALUES)) {
    test(`${name} = 0x${value.toString(16).toUpperCase()}`, () => {
      assert.equal(exported[name], value);
      assert.equal(NDIS_OBJECT_TYPES[name], value);
    });
  }

  test("object types print with their name", () => {
    assert.equal(
      ndisObjectTypeToString(0x95),
      "NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS (0x95)",
    );
    assert.equal(ndisObjectTypeToString(0x7f), "0x7F");
  });
});

describe("characteristics revisions, sizes and driver flags", () => {
  const values: Record<string, number> = {
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1: 1,
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2: 2,
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3: 3,
    NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1: 136,
    NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2: 152,
    NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3: 160,
    NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1: 1,
    NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2: 2,
    NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1: 120,
    NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2: 128,
    NDIS_INTERMEDIATE_DRIVER: 0x00000001,
    NDIS_WDM_DRIVER: 0x00000002,
    NDIS_DRIVER_FLAGS_RESERVED: 0x00000008,
    PASSIVE_LEVEL: 0,
    APC_LEVEL: 1,
    DISPATCH_LEVEL: 2,
    NdisHaltDeviceDisabled: 0,
    NdisHaltDeviceInstanceDeInitialized: 1,
    NdisHaltDeviceStopped: 6,
    NdisShutdownPowerOff: 0,
    NdisShutdownBugCheck: 1,
  };
  for (const [name, value] of Object.entries(values)) {
    test(`${name} = ${value}`, () => assert.equal(exported[name], value));
  }

  test("each revision's size is a 16-byte head plus 8 bytes per entry point (x64)", () => {
    assert.equal(ddi.NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1, 16 + 15 * 8);
    assert.equal(ddi.NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2, 16 + 17 * 8);
    assert.equal(ddi.NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3, 16 + 18 * 8);
    assert.equal(
      ddi.MINIPORT_HANDLER_SLOTS.filter((s) => s.revision === 1).length,
      15,
      "Rev 1 has 15 entry points",
    );
  });

  test("the seed page's mandatory handlers are exactly the required slots", () => {
    const required = ddi.MINIPORT_HANDLER_SLOTS.filter((s) => s.required).map((s) => s.name);
    assert.deepEqual(required.sort(), [
      "CancelOidRequestHandler",
      "CancelSendHandler",
      "DevicePnPEventNotifyHandler",
      "HaltHandlerEx",
      "InitializeHandlerEx",
      "OidRequestHandler",
      "PauseHandler",
      "RestartHandler",
      "ReturnNetBufferListsHandler",
      "SendNetBufferListsHandler",
      "ShutdownHandlerEx",
      "UnloadHandler",
    ]);
  });
});

describe("NDIS versions", () => {
  const RUNTIME: Record<string, number> = {
    NDIS_RUNTIME_VERSION_60: 0x00060000,
    NDIS_RUNTIME_VERSION_61: 0x00060001,
    NDIS_RUNTIME_VERSION_620: 0x00060014,
    NDIS_RUNTIME_VERSION_630: 0x0006001e,
    NDIS_RUNTIME_VERSION_640: 0x00060028,
    NDIS_RUNTIME_VERSION_650: 0x00060032,
    NDIS_RUNTIME_VERSION_651: 0x00060033,
    NDIS_RUNTIME_VERSION_660: 0x0006003c,
    NDIS_RUNTIME_VERSION_670: 0x00060046,
    NDIS_RUNTIME_VERSION_680: 0x00060050,
    NDIS_RUNTIME_VERSION_681: 0x00060051,
    NDIS_RUNTIME_VERSION_682: 0x00060052,
    NDIS_RUNTIME_VERSION_683: 0x00060053,
    NDIS_RUNTIME_VERSION_684: 0x00060054,
    NDIS_RUNTIME_VERSION_685: 0x00060055,
    NDIS_RUNTIME_VERSION_686: 0x00060056,
    NDIS_RUNTIME_VERSION_687: 0x00060057,
    NDIS_RUNTIME_VERSION_688: 0x00060058,
    NDIS_RUNTIME_VERSION_689: 0x00060059,
  };
  for (const [name, value] of Object.entries(RUNTIME)) {
    test(`${name} = 0x${value.toString(16).toUpperCase().padStart(8, "0")}`, () =>
      assert.equal(exported[name], value));
  }

  test("the version table lists 6.0, 6.1, 6.20 … 6.89 with minors as NDIS spells them", () => {
    assert.deepEqual(
      NDIS_VERSIONS.map((v) => v.minor),
      [0, 1, 20, 30, 40, 50, 51, 60, 70, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89],
    );
  });

  test("each version requires the characteristics revision of its 'Implementing' page", () => {
    for (const v of NDIS_VERSIONS) {
      const miniport = v.minor === 0 ? 1 : v.minor < 80 ? 2 : 3;
      const protocol = v.minor === 0 ? 1 : 2;
      assert.equal(v.miniportCharacteristicsRevision, miniport, v.label);
      assert.equal(v.protocolCharacteristicsRevision, protocol, v.label);
    }
  });

  test("parseNdisVersion reads NDIS spellings and rejects look-alikes", () => {
    assert.equal(parseNdisVersion("6.20")?.minor, 20);
    assert.equal(parseNdisVersion("6.1")?.minor, 1);
    assert.equal(parseNdisVersion("6.0")?.minor, 0);
    assert.equal(parseNdisVersion("0x6001E")?.minor, 30);
    assert.equal(parseNdisVersion(0x00060059)?.label, "6.89");
    assert.equal(parseNdisVersion("6.2"), undefined, "6.2 is not 6.20");
    assert.equal(parseNdisVersion("6.3"), undefined);
    assert.equal(parseNdisVersion("6.90"), undefined);
    assert.equal(parseNdisVersion("5.1"), undefined);
    assert.equal(parseNdisVersion("six"), undefined);
  });

  test("NdisGetVersion outside any host is the newest emulated version", () => {
    assert.equal(NdisGetVersion(), 0x00060059);
  });
});
