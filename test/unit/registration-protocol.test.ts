/** NdisRegisterProtocolDriver / NdisDeregisterProtocolDriver (contract §2.2). */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type NDIS_HANDLE,
  NDIS_STATUS_BAD_CHARACTERISTICS,
  NDIS_STATUS_BAD_VERSION,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NdisDeregisterProtocolDriver,
  NdisHost,
  NdisRegisterProtocolDriver,
  ndisStatusToString,
  type Out,
  PROTOCOL_HANDLER_SLOTS,
} from "../../src/index.js";
import {
  driverModule,
  edgeCount,
  noop,
  protocolChars,
  registerProtocol,
} from "../helpers/drivers.js";

const SUCCESS = NDIS_STATUS_SUCCESS;
const BAD_CHARS = NDIS_STATUS_BAD_CHARACTERISTICS;

const header = (Type: unknown, Revision: unknown, Size: unknown) => ({
  Header: { Type, Revision, Size },
});

const rows: { name: string; chars: () => unknown; host?: object; status: number }[] = [
  { name: "a valid NDIS 6.89 table (Rev 2)", chars: () => protocolChars(), status: SUCCESS },
  {
    name: "a valid NDIS 6.0 table (Rev 1, 120 bytes) on a 6.0 host",
    chars: () => protocolChars({ ...header(0x95, 1, 120), MinorNdisVersion: 0 }),
    host: { ndisVersion: "6.0" },
    status: SUCCESS,
  },
  {
    name: "ProtocolCharacteristics undefined",
    chars: () => undefined,
    status: NDIS_STATUS_FAILURE,
  },
  {
    name: "Header.Type of the miniport table (0x8A)",
    chars: () => protocolChars(header(0x8a, 2, 128)),
    status: BAD_CHARS,
  },
  {
    name: "Header.Type DEFAULT (0x80), strict",
    chars: () => protocolChars(header(0x80, 2, 128)),
    status: BAD_CHARS,
  },
  {
    name: "Header.Type DEFAULT (0x80), acceptDefaultHeaderType (as MUX registers MUXP)",
    chars: () => protocolChars(header(0x80, 2, 128)),
    host: { acceptDefaultHeaderType: true },
    status: SUCCESS,
  },
  {
    name: "MajorNdisVersion 5",
    chars: () => protocolChars({ MajorNdisVersion: 5 }),
    status: NDIS_STATUS_BAD_VERSION,
  },
  {
    name: "MinorNdisVersion 3",
    chars: () => protocolChars({ MinorNdisVersion: 3 }),
    status: NDIS_STATUS_BAD_VERSION,
  },
  {
    name: "Revision 3 (no such protocol revision)",
    chars: () => protocolChars(header(0x95, 3, 136)),
    status: BAD_CHARS,
  },
  {
    name: "Revision 1 for an NDIS 6.20 protocol",
    chars: () => protocolChars({ ...header(0x95, 1, 120), MinorNdisVersion: 20 }),
    status: BAD_CHARS,
  },
  {
    name: "Revision 2 on a 6.0 host",
    chars: () => protocolChars({ ...header(0x95, 2, 128), MinorNdisVersion: 0 }),
    host: { ndisVersion: "6.0" },
    status: BAD_CHARS,
  },
  {
    name: "Size 127 for Rev 2",
    chars: () => protocolChars(header(0x95, 2, 127)),
    status: BAD_CHARS,
  },
  {
    name: "Size 119 for Rev 1",
    chars: () => protocolChars({ ...header(0x95, 1, 119), MinorNdisVersion: 0 }),
    status: BAD_CHARS,
  },
  { name: "Name missing", chars: () => protocolChars({ Name: undefined }), status: BAD_CHARS },
  { name: "Name empty", chars: () => protocolChars({ Name: "" }), status: BAD_CHARS },
  { name: "Name a number", chars: () => protocolChars({ Name: 7 }), status: BAD_CHARS },
  { name: "Flags 2^32", chars: () => protocolChars({ Flags: 2 ** 32 }), status: BAD_CHARS },
  {
    name: "an entry point that is a string",
    chars: () => protocolChars({ StatusHandlerEx: "x" }),
    status: BAD_CHARS,
  },
  {
    name: "the optional DirectOidRequestCompleteHandler",
    chars: () => protocolChars({ DirectOidRequestCompleteHandler: noop, UninstallHandler: noop }),
    status: SUCCESS,
  },
];

describe("NdisRegisterProtocolDriver validation table", () => {
  for (const row of rows) {
    test(`${row.name} → ${ndisStatusToString(row.status)}`, async () => {
      const { host, status, handle } = await registerProtocol(row.chars(), row.host);
      assert.equal(ndisStatusToString(status), ndisStatusToString(row.status));
      assert.equal(edgeCount(host).protocols, row.status === SUCCESS ? 1 : 0);
      assert.equal(handle !== undefined, row.status === SUCCESS);
    });
  }

  for (const slot of PROTOCOL_HANDLER_SLOTS.filter((s) => s.required)) {
    test(`${slot.name} missing → NDIS_STATUS_BAD_CHARACTERISTICS`, async () => {
      const { status } = await registerProtocol(protocolChars({ [slot.name]: null }));
      assert.equal(status, BAD_CHARS);
    });
  }

  test("DirectOidRequestCompleteHandler of a Rev 1 table is never read", async () => {
    const chars = Object.defineProperty(
      protocolChars({ ...header(0x95, 1, 120), MinorNdisVersion: 0 }),
      "DirectOidRequestCompleteHandler",
      {
        get: () => assert.fail("read a Rev 2 field"),
      },
    );
    const { status } = await registerProtocol(chars);
    assert.equal(status, SUCCESS);
  });
});

describe("protocol names, resources and deregistration", () => {
  test("a second protocol with the same name (any case) → FAILURE", async () => {
    const host = new NdisHost({ verifier: "record" });
    const statuses: number[] = [];
    const register = (name: string) =>
      driverModule(() => {
        statuses.push(NdisRegisterProtocolDriver(undefined, protocolChars({ Name: name }), {}));
        return SUCCESS;
      });
    await host.loadDriver({ name: "first", module: register("MUXP") });
    await host.loadDriver({ name: "second", module: register("muxp") });
    assert.deepEqual(statuses, [SUCCESS, NDIS_STATUS_FAILURE]);
  });

  test("NDIS cannot allocate the protocol block → RESOURCES", async () => {
    const host = new NdisHost({ verifier: "record" });
    host.failAllocations("NdisRegisterProtocolDriver");
    let status = -1;
    await host.loadDriver({
      name: "nomem",
      module: driverModule(() => {
        status = NdisRegisterProtocolDriver(undefined, protocolChars(), {});
        return SUCCESS;
      }),
    });
    assert.equal(status, NDIS_STATUS_RESOURCES);
    assert.equal(edgeCount(host).protocols, 0);
  });

  test("called outside any host → FAILURE", () => {
    assert.equal(NdisRegisterProtocolDriver(undefined, protocolChars(), {}), NDIS_STATUS_FAILURE);
  });

  test("deregistering frees the name; deregistering twice is an invalid handle", async () => {
    const host = new NdisHost({ verifier: "record" });
    const statuses: number[] = [];
    await host.loadDriver({
      name: "dereg",
      module: driverModule(() => {
        const out: Out<NDIS_HANDLE> = {};
        statuses.push(NdisRegisterProtocolDriver(undefined, protocolChars({ Name: "P" }), out));
        NdisDeregisterProtocolDriver(out.value as NDIS_HANDLE);
        statuses.push(NdisRegisterProtocolDriver(undefined, protocolChars({ Name: "P" }), {}));
        NdisDeregisterProtocolDriver(out.value as NDIS_HANDLE);
        return SUCCESS;
      }),
    });
    assert.deepEqual(statuses, [SUCCESS, SUCCESS]);
    assert.deepEqual(
      host.violations.map((v) => v.rule),
      ["InvalidNdisHandle"],
    );
    assert.match(host.violations[0]?.message ?? "", /revoked/);
  });
});

describe("deregistration outside a host", () => {
  test("deregistering garbage outside any host does nothing and does not throw", () => {
    NdisDeregisterProtocolDriver({} as NDIS_HANDLE);
    NdisDeregisterProtocolDriver(undefined as never);
  });
});
