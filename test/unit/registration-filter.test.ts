/**
 * NdisFRegisterFilterDriver: every row of the validation, in NDIS's order — the structure, the
 * header type, the NDIS version, the revision and its size, Flags, the three names, the handler
 * slots (each mandatory one missing in turn), the handler pairs — then what NDIS checks against
 * the installation (UniqueName, ServiceName), resources, FilterSetOptions, and the out-parameter.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type DRIVER_OBJECT,
  FILTER_HANDLER_SLOTS,
  type NDIS_HANDLE,
  NDIS_STATUS_BAD_CHARACTERISTICS,
  NDIS_STATUS_BAD_VERSION,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NdisFDeregisterFilterDriver,
  NdisFRegisterFilterDriver,
  NdisHost,
  type NdisHostOptions,
  NdisSetOptionalHandlers,
  ndisStatusToString,
  type Out,
} from "../../src/index.js";
import { driverModule, noop, succeed } from "../helpers/drivers.js";

const SUCCESS = NDIS_STATUS_SUCCESS;
const BAD_CHARS = NDIS_STATUS_BAD_CHARACTERISTICS;
const BAD_VERSION = NDIS_STATUS_BAD_VERSION;
const GUID = "{0b0d3c3e-6b1f-4e58-9d4e-2a1c0f9e7d11}";

/** A valid NDIS 6.20 filter table (revision 2) for service `flt`, with `over` laid over it. */
function filterChars(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Header: { Type: 0x8b, Revision: 2, Size: 224 },
    MajorNdisVersion: 6,
    MinorNdisVersion: 20,
    MajorDriverVersion: 1,
    MinorDriverVersion: 0,
    Flags: 0,
    FriendlyName: "a test filter",
    UniqueName: GUID,
    ServiceName: "flt",
    AttachHandler: succeed,
    DetachHandler: noop,
    RestartHandler: succeed,
    PauseHandler: succeed,
    SendNetBufferListsHandler: noop,
    SendNetBufferListsCompleteHandler: noop,
    ReceiveNetBufferListsHandler: noop,
    ReturnNetBufferListsHandler: noop,
    OidRequestHandler: succeed,
    OidRequestCompleteHandler: noop,
    ...over,
  };
}

const header = (Type: unknown, Revision: unknown, Size: unknown) => ({
  Header: { Type, Revision, Size },
});

interface Outcome {
  readonly host: NdisHost;
  readonly status: number;
  readonly handle: NDIS_HANDLE | undefined;
}

/** Loads service `flt` whose DriverEntry calls NdisFRegisterFilterDriver with `chars`. */
async function register(
  chars: unknown,
  options: NdisHostOptions = {},
  load: { filter?: { uniqueName?: string }; name?: string } = {},
  call: (d: DRIVER_OBJECT, out: Out<NDIS_HANDLE>) => number = (d, out) =>
    NdisFRegisterFilterDriver(d, "ctx", chars as never, out),
): Promise<Outcome> {
  const host = new NdisHost({ verifier: "record", ...options });
  const out: Out<NDIS_HANDLE> = {};
  let status = -1;
  await host.loadDriver({
    name: load.name ?? "flt",
    ...(load.filter === undefined ? {} : { filter: load.filter }),
    module: driverModule((DriverObject) => {
      status = call(DriverObject, out);
      return NDIS_STATUS_SUCCESS;
    }),
  });
  return { host, status, handle: out.value };
}

interface Row {
  readonly name: string;
  readonly chars: () => unknown;
  readonly host?: NdisHostOptions;
  readonly load?: { filter?: { uniqueName?: string }; name?: string };
  readonly status: number;
}

const mandatory = FILTER_HANDLER_SLOTS.filter((s) => s.required).map((s) => s.name);

const rows: Row[] = [
  {
    name: "a valid NDIS 6.20 table (Rev 2, 224 bytes)",
    chars: () => filterChars(),
    status: SUCCESS,
  },
  {
    name: "a valid NDIS 6.0 table (Rev 1, 200 bytes)",
    chars: () => filterChars({ ...header(0x8b, 1, 200), MinorNdisVersion: 0 }),
    status: SUCCESS,
  },
  {
    name: "Rev 3 (synchronous OIDs) on a 6.89 host",
    chars: () => filterChars({ ...header(0x8b, 3, 240), MinorNdisVersion: 81 }),
    status: SUCCESS,
  },
  {
    name: "a bypass filter: no send or receive handlers at all",
    chars: () =>
      filterChars({
        SendNetBufferListsHandler: null,
        SendNetBufferListsCompleteHandler: null,
        ReceiveNetBufferListsHandler: null,
        ReturnNetBufferListsHandler: null,
      }),
    status: SUCCESS,
  },
  {
    name: "a Rev 1 table never has its Rev 2 slots read",
    chars: () =>
      filterChars({ ...header(0x8b, 1, 200), MinorNdisVersion: 0, DirectOidRequestHandler: "x" }),
    status: SUCCESS,
  },
  { name: "characteristics NULL", chars: () => null, status: NDIS_STATUS_INVALID_PARAMETER },
  { name: "characteristics a number", chars: () => 7, status: NDIS_STATUS_INVALID_PARAMETER },
  { name: "Header missing", chars: () => filterChars({ Header: undefined }), status: BAD_CHARS },
  {
    name: "Header.Type of a miniport table (0x8A)",
    chars: () => filterChars(header(0x8a, 2, 224)),
    status: BAD_CHARS,
  },
  {
    name: "Header.Type DEFAULT (0x80)",
    chars: () => filterChars(header(0x80, 2, 224)),
    status: BAD_CHARS,
  },
  {
    name: "MajorNdisVersion 5",
    chars: () => filterChars({ MajorNdisVersion: 5 }),
    status: BAD_VERSION,
  },
  {
    name: "MinorNdisVersion 25",
    chars: () => filterChars({ MinorNdisVersion: 25 }),
    status: BAD_VERSION,
  },
  {
    name: "a 6.30 filter on a 6.20 host",
    chars: () => filterChars({ MinorNdisVersion: 30 }),
    host: { ndisVersion: "6.20" },
    status: BAD_VERSION,
  },
  {
    name: "Rev 1 for an NDIS 6.20 filter",
    chars: () => filterChars(header(0x8b, 1, 200)),
    status: BAD_CHARS,
  },
  {
    name: "Rev 3 on a 6.80 host (it knows revisions up to 2)",
    chars: () => filterChars(header(0x8b, 3, 240)),
    host: { ndisVersion: "6.80" },
    status: BAD_CHARS,
  },
  { name: "Revision 4", chars: () => filterChars(header(0x8b, 4, 300)), status: BAD_CHARS },
  { name: "Size 223 for Rev 2", chars: () => filterChars(header(0x8b, 2, 223)), status: BAD_CHARS },
  {
    name: "Size 199 for Rev 1",
    chars: () => filterChars({ ...header(0x8b, 1, 199), MinorNdisVersion: 0 }),
    status: BAD_CHARS,
  },
  { name: "Flags -1", chars: () => filterChars({ Flags: -1 }), status: BAD_CHARS },
  {
    name: "FriendlyName missing",
    chars: () => filterChars({ FriendlyName: undefined }),
    status: BAD_CHARS,
  },
  { name: "UniqueName empty", chars: () => filterChars({ UniqueName: "" }), status: BAD_CHARS },
  { name: "ServiceName a number", chars: () => filterChars({ ServiceName: 5 }), status: BAD_CHARS },
  ...mandatory.map((slot) => ({
    name: `${slot} missing`,
    chars: () => filterChars({ [slot]: null }),
    status: BAD_CHARS,
  })),
  {
    name: "AttachHandler a string",
    chars: () => filterChars({ AttachHandler: "FilterAttach" }),
    status: BAD_CHARS,
  },
  {
    name: "OidRequestHandler without OidRequestCompleteHandler",
    chars: () => filterChars({ OidRequestCompleteHandler: null }),
    status: BAD_CHARS,
  },
  {
    name: "OidRequestCompleteHandler without OidRequestHandler",
    chars: () => filterChars({ OidRequestHandler: null }),
    status: BAD_CHARS,
  },
  {
    name: "CancelOidRequestHandler without OidRequestHandler",
    chars: () =>
      filterChars({
        OidRequestHandler: null,
        OidRequestCompleteHandler: null,
        CancelOidRequestHandler: noop,
      }),
    status: BAD_CHARS,
  },
  {
    name: "DirectOidRequestHandler without its completion",
    chars: () => filterChars({ DirectOidRequestHandler: succeed }),
    status: BAD_CHARS,
  },
  {
    name: "CancelSendNetBufferListsHandler without SendNetBufferListsHandler",
    chars: () =>
      filterChars({ SendNetBufferListsHandler: null, CancelSendNetBufferListsHandler: noop }),
    status: BAD_CHARS,
  },
  {
    name: "a getter that throws (unreadable memory)",
    chars: () =>
      Object.defineProperty(filterChars(), "PauseHandler", {
        get() {
          throw new Error("page fault");
        },
      }),
    status: BAD_CHARS,
  },
  {
    name: "UniqueName not a GUID in braces (no installed filter has it)",
    chars: () => filterChars({ UniqueName: "0b0d3c3e-6b1f-4e58-9d4e-2a1c0f9e7d11" }),
    status: NDIS_STATUS_FAILURE,
  },
  {
    name: "UniqueName other than the installed NetCfgInstanceId",
    chars: () => filterChars(),
    load: { filter: { uniqueName: "{11111111-2222-3333-4444-555555555555}" } },
    status: NDIS_STATUS_FAILURE,
  },
  {
    name: "ServiceName other than the driver's service",
    chars: () => filterChars({ ServiceName: "someone-else" }),
    status: NDIS_STATUS_FAILURE,
  },
];

describe("NdisFRegisterFilterDriver: the table", () => {
  for (const row of rows) {
    test(`${row.name} → ${ndisStatusToString(row.status)}`, async () => {
      const { host, status, handle } = await register(row.chars(), row.host, row.load);
      assert.equal(ndisStatusToString(status), ndisStatusToString(row.status));
      const registered = host.drivers.flatMap((d) => d.filterDrivers);
      assert.equal(registered.length, status === SUCCESS ? 1 : 0, "registered only on SUCCESS");
      assert.equal(
        handle !== undefined,
        status === SUCCESS,
        "the handle is written only on SUCCESS",
      );
    });
  }
});

describe("NdisFRegisterFilterDriver: arguments, resources, SetOptions", () => {
  test("a DriverObject that is not one → INVALID_PARAMETER", async () => {
    const { status } = await register(filterChars(), {}, {}, (_d, out) =>
      NdisFRegisterFilterDriver({} as DRIVER_OBJECT, null, filterChars() as never, out),
    );
    assert.equal(status, NDIS_STATUS_INVALID_PARAMETER);
  });

  test("a frozen out-parameter → INVALID_PARAMETER", async () => {
    const { status } = await register(filterChars(), {}, {}, (d) =>
      NdisFRegisterFilterDriver(d, null, filterChars() as never, Object.freeze({})),
    );
    assert.equal(status, NDIS_STATUS_INVALID_PARAMETER);
  });

  test("an injected allocation failure → RESOURCES, nothing registered", async () => {
    const host = new NdisHost({ verifier: "record" });
    host.failAllocations("NdisFRegisterFilterDriver");
    let status = -1;
    await host.loadDriver({
      name: "flt",
      module: driverModule((d) => {
        status = NdisFRegisterFilterDriver(d, null, filterChars() as never, {});
        return SUCCESS;
      }),
    });
    assert.equal(status, NDIS_STATUS_RESOURCES);
    assert.equal(host.drivers[0]?.filterDrivers.length, 0);
  });

  test("a second registration by the same driver → FAILURE", async () => {
    const statuses: number[] = [];
    await register(filterChars(), {}, {}, (d, out) => {
      statuses.push(NdisFRegisterFilterDriver(d, null, filterChars() as never, out));
      statuses.push(NdisFRegisterFilterDriver(d, null, filterChars() as never, {}));
      return statuses[0] as number;
    });
    assert.deepEqual(statuses, [SUCCESS, NDIS_STATUS_FAILURE]);
  });

  test("FilterSetOptions runs inside the call; NdisSetOptionalHandlers works there only", async () => {
    let inside = -1;
    const { status } = await register(
      filterChars({
        SetOptionsHandler: (h: NDIS_HANDLE) => {
          inside = NdisSetOptionalHandlers(h, {
            Header: { Type: 0x95, Revision: 1, Size: 0 },
          } as never);
          return SUCCESS;
        },
      }),
    );
    assert.equal(status, SUCCESS);
    assert.notEqual(inside, -1, "SetOptions ran");
  });

  test("FilterSetOptions failing fails the registration and leaves nothing registered", async () => {
    const { host, status, handle } = await register(
      filterChars({ SetOptionsHandler: () => NDIS_STATUS_RESOURCES }),
    );
    assert.equal(status, NDIS_STATUS_RESOURCES);
    assert.equal(handle, undefined);
    assert.equal(host.drivers[0]?.filterDrivers.length, 0);
  });

  test("NdisFDeregisterFilterDriver releases the registration; a second call is a bad handle", async () => {
    const { host, handle } = await register(filterChars());
    assert.ok(handle !== undefined);
    NdisFDeregisterFilterDriver(handle);
    assert.equal(host.drivers[0]?.filterDrivers.length, 0);
    NdisFDeregisterFilterDriver(handle);
    assert.deepEqual(
      host.violations.map((v) => v.rule),
      ["InvalidNdisHandle"],
    );
  });
});
