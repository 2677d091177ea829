/**
 * NdisMRegisterMiniportDriver: every row of the validation (contract §1.2–§1.7), each mandatory
 * handler missing in turn, the revision × version matrix, compat mode, reads, copies and the
 * out-parameter.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  MINIPORT_HANDLER_SLOTS,
  type NDIS_HANDLE,
  NDIS_INTERMEDIATE_DRIVER,
  type NDIS_MINIPORT_DRIVER_CHARACTERISTICS,
  NDIS_OBJECT_TYPE_DEFAULT,
  NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS,
  NDIS_STATUS_BAD_CHARACTERISTICS,
  NDIS_STATUS_BAD_VERSION,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NDIS_VERSIONS,
  NdisHost,
  NdisMRegisterMiniportDriver,
  ndisStatusToString,
  type Out,
  type TraceEvent,
} from "../../src/index.js";
import {
  driverModule,
  edgeCount,
  miniportChars,
  noop,
  registerMiniport,
  succeed,
} from "../helpers/drivers.js";

const SUCCESS = NDIS_STATUS_SUCCESS;
const BAD_CHARS = NDIS_STATUS_BAD_CHARACTERISTICS;
const BAD_VERSION = NDIS_STATUS_BAD_VERSION;

function header(Type: unknown, Revision: unknown, Size: unknown) {
  return { Header: { Type, Revision, Size } };
}

interface Row {
  readonly name: string;
  readonly chars: () => unknown;
  readonly host?: { ndisVersion?: string; acceptDefaultHeaderType?: boolean };
  readonly status: number;
}

const rows: Row[] = [
  { name: "a valid NDIS 6.89 IM table (Rev 3)", chars: () => miniportChars(), status: SUCCESS },
  {
    name: "a valid NDIS 6.0 table (Rev 1, 136 bytes)",
    chars: () => miniportChars({ ...header(0x8a, 1, 136), MinorNdisVersion: 0 }),
    status: SUCCESS,
  },
  {
    name: "a valid NDIS 6.30 table (Rev 2) on a 6.30 host",
    chars: () => miniportChars({ ...header(0x8a, 2, 152), MinorNdisVersion: 30 }),
    host: { ndisVersion: "6.30" },
    status: SUCCESS,
  },
  { name: "characteristics NULL", chars: () => null, status: NDIS_STATUS_FAILURE },
  {
    name: "characteristics a string",
    chars: () => "InitializeHandlerEx",
    status: NDIS_STATUS_FAILURE,
  },
  { name: "Header missing", chars: () => miniportChars({ Header: undefined }), status: BAD_CHARS },
  { name: "Header a number", chars: () => miniportChars({ Header: 0x8a }), status: BAD_CHARS },
  {
    name: "Header.Type DEFAULT (0x80), strict",
    chars: () => miniportChars(header(0x80, 3, 160)),
    status: BAD_CHARS,
  },
  {
    name: "Header.Type DEFAULT (0x80), acceptDefaultHeaderType",
    chars: () => miniportChars(header(NDIS_OBJECT_TYPE_DEFAULT, 3, 160)),
    host: { acceptDefaultHeaderType: true },
    status: SUCCESS,
  },
  {
    name: "Header.Type of the protocol table (0x95), even in compat mode",
    chars: () => miniportChars(header(NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS, 3, 160)),
    host: { acceptDefaultHeaderType: true },
    status: BAD_CHARS,
  },
  {
    name: "Header.Type a string",
    chars: () => miniportChars(header("0x8A", 3, 160)),
    status: BAD_CHARS,
  },
  {
    name: "MajorNdisVersion 5",
    chars: () => miniportChars({ MajorNdisVersion: 5 }),
    status: BAD_VERSION,
  },
  {
    name: "MajorNdisVersion 7",
    chars: () => miniportChars({ MajorNdisVersion: 7 }),
    status: BAD_VERSION,
  },
  {
    name: "MajorNdisVersion -6",
    chars: () => miniportChars({ MajorNdisVersion: -6 }),
    status: BAD_VERSION,
  },
  {
    name: "MajorNdisVersion 6.5",
    chars: () => miniportChars({ MajorNdisVersion: 6.5 }),
    status: BAD_VERSION,
  },
  {
    name: "MajorNdisVersion '6'",
    chars: () => miniportChars({ MajorNdisVersion: "6" }),
    status: BAD_VERSION,
  },
  {
    name: "MinorNdisVersion 2 (6.20 is minor 20)",
    chars: () => miniportChars({ MinorNdisVersion: 2 }),
    status: BAD_VERSION,
  },
  {
    name: "MinorNdisVersion 90",
    chars: () => miniportChars({ MinorNdisVersion: 90 }),
    status: BAD_VERSION,
  },
  {
    name: "MinorNdisVersion -1",
    chars: () => miniportChars({ MinorNdisVersion: -1 }),
    status: BAD_VERSION,
  },
  {
    name: "MinorNdisVersion 88.5",
    chars: () => miniportChars({ MinorNdisVersion: 88.5 }),
    status: BAD_VERSION,
  },
  {
    name: "MinorNdisVersion NaN",
    chars: () => miniportChars({ MinorNdisVersion: Number.NaN }),
    status: BAD_VERSION,
  },
  {
    name: "a 6.40 driver on a 6.30 host",
    chars: () => miniportChars({ ...header(0x8a, 2, 152), MinorNdisVersion: 40 }),
    host: { ndisVersion: "6.30" },
    status: BAD_VERSION,
  },
  { name: "Revision 0", chars: () => miniportChars(header(0x8a, 0, 160)), status: BAD_CHARS },
  { name: "Revision 4", chars: () => miniportChars(header(0x8a, 4, 200)), status: BAD_CHARS },
  { name: "Revision 2.5", chars: () => miniportChars(header(0x8a, 2.5, 160)), status: BAD_CHARS },
  {
    name: "Revision 1 for an NDIS 6.30 driver",
    chars: () => miniportChars({ ...header(0x8a, 1, 136), MinorNdisVersion: 30 }),
    status: BAD_CHARS,
  },
  {
    name: "Revision 2 for an NDIS 6.80 driver",
    chars: () => miniportChars({ ...header(0x8a, 2, 152), MinorNdisVersion: 80 }),
    status: BAD_CHARS,
  },
  {
    name: "Revision 3 on a 6.70 host (it knows revisions up to 2)",
    chars: () => miniportChars({ ...header(0x8a, 3, 160), MinorNdisVersion: 70 }),
    host: { ndisVersion: "6.70" },
    status: BAD_CHARS,
  },
  {
    name: "Revision 3 for an NDIS 6.20 driver on a 6.89 host (newer than required)",
    chars: () => miniportChars({ ...header(0x8a, 3, 160), MinorNdisVersion: 20 }),
    status: SUCCESS,
  },
  {
    name: "Size 135 for Rev 1",
    chars: () => miniportChars({ ...header(0x8a, 1, 135), MinorNdisVersion: 0 }),
    status: BAD_CHARS,
  },
  {
    name: "Size 151 for Rev 2",
    chars: () => miniportChars({ ...header(0x8a, 2, 151), MinorNdisVersion: 60 }),
    status: BAD_CHARS,
  },
  {
    name: "Size 159 for Rev 3",
    chars: () => miniportChars(header(0x8a, 3, 159)),
    status: BAD_CHARS,
  },
  {
    name: "Size 0xFFFF (largest USHORT)",
    chars: () => miniportChars(header(0x8a, 3, 0xffff)),
    status: SUCCESS,
  },
  {
    name: "Size 0x10000 (not a USHORT)",
    chars: () => miniportChars(header(0x8a, 3, 0x10000)),
    status: BAD_CHARS,
  },
  { name: "Size 2^53", chars: () => miniportChars(header(0x8a, 3, 2 ** 53)), status: BAD_CHARS },
  { name: "Size -160", chars: () => miniportChars(header(0x8a, 3, -160)), status: BAD_CHARS },
  {
    name: "Size Infinity",
    chars: () => miniportChars(header(0x8a, 3, Number.POSITIVE_INFINITY)),
    status: BAD_CHARS,
  },
  { name: "Flags -1", chars: () => miniportChars({ Flags: -1 }), status: BAD_CHARS },
  { name: "Flags '1'", chars: () => miniportChars({ Flags: "1" }), status: BAD_CHARS },
  {
    name: "Flags absent (a plain miniport)",
    chars: () => miniportChars({ Flags: undefined }),
    status: SUCCESS,
  },
  {
    name: "an entry point that is a string",
    chars: () => miniportChars({ PauseHandler: "MPPause" }),
    status: BAD_CHARS,
  },
  {
    name: "an optional entry point that is a number",
    chars: () => miniportChars({ SetOptionsHandler: 42 }),
    status: BAD_CHARS,
  },
  {
    name: "an entry point that is an object",
    chars: () => miniportChars({ HaltHandlerEx: {} }),
    status: BAD_CHARS,
  },
  {
    name: "DirectOidRequestHandler without CancelDirectOidRequestHandler",
    chars: () => miniportChars({ DirectOidRequestHandler: succeed }),
    status: BAD_CHARS,
  },
  {
    name: "CancelDirectOidRequestHandler without DirectOidRequestHandler",
    chars: () => miniportChars({ CancelDirectOidRequestHandler: noop }),
    status: BAD_CHARS,
  },
  {
    name: "both direct OID handlers",
    chars: () =>
      miniportChars({ DirectOidRequestHandler: succeed, CancelDirectOidRequestHandler: noop }),
    status: SUCCESS,
  },
  {
    name: "a plain miniport with CheckForHang but no Reset",
    chars: () => miniportChars({ Flags: 0, CheckForHangHandlerEx: () => false }),
    status: BAD_CHARS,
  },
  {
    name: "a plain miniport with CheckForHang and Reset",
    chars: () =>
      miniportChars({ Flags: 0, CheckForHangHandlerEx: () => false, ResetHandlerEx: succeed }),
    status: SUCCESS,
  },
  {
    name: "MajorDriverVersion is free-form",
    chars: () => miniportChars({ MajorDriverVersion: "x" }),
    status: SUCCESS,
  },
];

describe("NdisMRegisterMiniportDriver validation table", () => {
  for (const row of rows) {
    test(`${row.name} → ${ndisStatusToString(row.status)}`, async () => {
      const { host, status, handle } = await registerMiniport(row.chars(), row.host);
      assert.equal(ndisStatusToString(status), ndisStatusToString(row.status));
      const edges = edgeCount(host).miniports;
      if (row.status === SUCCESS) {
        assert.notEqual(handle, undefined, "the handle is written on success");
        assert.equal(edges, 1);
      } else {
        assert.equal(handle, undefined, "no handle on failure");
        assert.equal(edges, 0, "nothing half-registered");
      }
    });
  }

  for (const slot of MINIPORT_HANDLER_SLOTS.filter((s) => s.required)) {
    test(`${slot.name} missing → NDIS_STATUS_BAD_CHARACTERISTICS, naming it`, async () => {
      const host = new NdisHost({ verifier: "record" });
      const details: string[] = [];
      host.onTrace((e) => {
        if (e.name === "NdisMRegisterMiniportDriver" && e.phase === "return" && e.detail)
          details.push(e.detail);
      });
      let status = -1;
      await host.loadDriver({
        name: "missing",
        module: driverModule((DriverObject, RegistryPath) => {
          status = NdisMRegisterMiniportDriver(
            DriverObject,
            RegistryPath,
            undefined,
            miniportChars({ [slot.name]: null }),
            {},
          );
          return SUCCESS;
        }),
      });
      assert.equal(status, BAD_CHARS);
      assert.match(details[0] ?? "", new RegExp(slot.name));
    });
  }
});

describe("revision × declared version × host version", () => {
  const size: Record<number, number> = { 1: 136, 2: 152, 3: 160 };
  // The "Implementing an NDIS 6.x driver" pages: Rev 1 for 6.0, Rev 2 up to 6.70, Rev 3 from 6.80.
  const required = (minor: number) => (minor === 0 ? 1 : minor < 80 ? 2 : 3);

  test("every combination gets NDIS's answer", async () => {
    let checked = 0;
    for (const hostVersion of NDIS_VERSIONS) {
      for (const declared of NDIS_VERSIONS) {
        for (const revision of [1, 2, 3]) {
          const expected =
            declared.minor > hostVersion.minor
              ? BAD_VERSION
              : revision > required(hostVersion.minor) || revision < required(declared.minor)
                ? BAD_CHARS
                : SUCCESS;
          const chars = miniportChars({
            ...header(0x8a, revision, size[revision]),
            MinorNdisVersion: declared.minor,
          });
          const { status } = await registerMiniport(chars, { ndisVersion: hostVersion.label });
          assert.equal(
            ndisStatusToString(status),
            ndisStatusToString(expected),
            `host ${hostVersion.label}, driver ${declared.label}, Rev ${revision}`,
          );
          checked += 1;
        }
      }
    }
    assert.equal(checked, 19 * 19 * 3);
  });
});

describe("how NDIS reads the table", () => {
  function recordingProxy(chars: NDIS_MINIPORT_DRIVER_CHARACTERISTICS, reads: string[]) {
    return new Proxy(chars, {
      get(target, key, receiver) {
        reads.push(String(key));
        return Reflect.get(target, key, receiver);
      },
    });
  }

  test("fields past the claimed revision are never read", async () => {
    const reads: string[] = [];
    const chars = miniportChars({ ...header(0x8a, 1, 136), MinorNdisVersion: 0 });
    const poisoned = Object.defineProperties(chars, {
      DirectOidRequestHandler: { get: () => assert.fail("read a Rev 2 field") },
      CancelDirectOidRequestHandler: { get: () => assert.fail("read a Rev 2 field") },
      SynchronousOidRequestHandler: { get: () => assert.fail("read a Rev 3 field") },
    });
    const { status } = await registerMiniport(recordingProxy(poisoned, reads));
    assert.equal(status, SUCCESS);
    assert.ok(reads.includes("CancelOidRequestHandler"), "Rev 1 fields are read");
    assert.ok(!reads.includes("DirectOidRequestHandler"));
    assert.ok(!reads.includes("SynchronousOidRequestHandler"));
  });

  test("a Rev 2 table's SynchronousOidRequestHandler is never read", async () => {
    const reads: string[] = [];
    const chars = miniportChars({ ...header(0x8a, 2, 152), MinorNdisVersion: 70 });
    const { status } = await registerMiniport(recordingProxy(chars, reads));
    assert.equal(status, SUCCESS);
    assert.ok(reads.includes("CancelDirectOidRequestHandler"));
    assert.ok(!reads.includes("SynchronousOidRequestHandler"));
  });

  test("every field is read at most once (no time-of-check/time-of-use window)", async () => {
    const reads: string[] = [];
    const { status } = await registerMiniport(recordingProxy(miniportChars(), reads));
    assert.equal(status, SUCCESS);
    const counts = new Map<string, number>();
    for (const key of reads) counts.set(key, (counts.get(key) ?? 0) + 1);
    for (const [key, count] of counts) assert.equal(count, 1, `${key} read ${count} times`);
  });

  test("a frozen table registers (NDIS only reads it)", async () => {
    const chars = miniportChars();
    Object.freeze(chars.Header);
    const { status } = await registerMiniport(Object.freeze(chars));
    assert.equal(status, SUCCESS);
  });

  test("a proxy whose traps throw is unreadable: BAD_CHARACTERISTICS, nothing registered", async () => {
    const hostile = new Proxy(miniportChars(), {
      get(target, key) {
        if (key === "PauseHandler") throw new Error("no access");
        return Reflect.get(target, key);
      },
    });
    const { host, status } = await registerMiniport(hostile);
    assert.equal(status, BAD_CHARS);
    assert.equal(edgeCount(host).miniports, 0);
  });

  test("a Header getter that throws is BAD_CHARACTERISTICS", async () => {
    const chars = Object.defineProperty(miniportChars(), "Header", {
      get: () => {
        throw new TypeError("boom");
      },
    });
    const { status } = await registerMiniport(chars);
    assert.equal(status, BAD_CHARS);
  });

  test("the table is copied: changing the driver's object afterwards changes nothing", async () => {
    const host = new NdisHost({ verifier: "record" });
    const calls: string[] = [];
    const chars = miniportChars({
      UnloadHandler: () => calls.push("original unload"),
      Flags: NDIS_INTERMEDIATE_DRIVER,
    });
    await host.loadDriver({
      name: "copied",
      module: driverModule((DriverObject, RegistryPath) =>
        NdisMRegisterMiniportDriver(DriverObject, RegistryPath, undefined, chars, {}),
      ),
    });
    chars.UnloadHandler = () => calls.push("replacement unload");
    chars.PauseHandler = null;
    chars.Header.Revision = 99;
    const info = host.driver("copied");
    assert.equal(info?.miniportDrivers[0]?.revision, 3);
    assert.ok(info?.miniportDrivers[0]?.handlers.includes("PauseHandler"));
    await host.unloadDriver("copied");
    assert.deepEqual(calls, ["original unload"]);
  });
});

describe("the IM rules of the seed page", () => {
  test("CheckForHang and Reset on an IM driver: registered, never part of the table, reported by name", async () => {
    const { host, status } = await registerMiniport(
      miniportChars({ CheckForHangHandlerEx: () => false, ResetHandlerEx: succeed }),
    );
    assert.equal(status, SUCCESS);
    const edge = host.drivers[0]?.miniportDrivers[0];
    assert.deepEqual(edge?.ignoredHandlers, ["CheckForHangHandlerEx", "ResetHandlerEx"]);
    assert.ok(!edge?.handlers.includes("CheckForHangHandlerEx"));
    assert.ok(!edge?.handlers.includes("ResetHandlerEx"));
    assert.deepEqual(
      host.violations.map((v) => [v.rule, v.severity]),
      [["IMDriver_CheckForHangResetMustBeNull", "warning"]],
    );
  });

  test("the warning does not stop a strict host", async () => {
    const { host, status } = await registerMiniport(
      miniportChars({ CheckForHangHandlerEx: () => false }),
      {
        verifier: "strict",
      },
    );
    assert.equal(status, SUCCESS);
    assert.equal(host.bugCheck, null);
    assert.equal(host.violations.length, 1);
  });

  test("a plain miniport keeps its CheckForHang and Reset", async () => {
    const { host } = await registerMiniport(
      miniportChars({ Flags: 0, CheckForHangHandlerEx: () => false, ResetHandlerEx: succeed }),
    );
    const edge = host.drivers[0]?.miniportDrivers[0];
    assert.ok(edge?.handlers.includes("CheckForHangHandlerEx"));
    assert.deepEqual(host.violations, []);
  });

  test("a miniport-intermediate driver registers twice (IM and not), but not the same kind twice", async () => {
    const host = new NdisHost({ verifier: "record" });
    const statuses: number[] = [];
    await host.loadDriver({
      name: "mpim",
      module: driverModule((DriverObject, RegistryPath) => {
        statuses.push(
          NdisMRegisterMiniportDriver(DriverObject, RegistryPath, undefined, miniportChars(), {}),
        );
        statuses.push(
          NdisMRegisterMiniportDriver(
            DriverObject,
            RegistryPath,
            undefined,
            miniportChars({ Flags: 0 }),
            {},
          ),
        );
        statuses.push(
          NdisMRegisterMiniportDriver(DriverObject, RegistryPath, undefined, miniportChars(), {}),
        );
        return SUCCESS;
      }),
    });
    assert.deepEqual(statuses, [SUCCESS, SUCCESS, NDIS_STATUS_FAILURE]);
    assert.deepEqual(
      host.driver("mpim")?.miniportDrivers.map((m) => m.intermediate),
      [true, false],
    );
  });
});

describe("arguments other than the table", () => {
  test("NDIS cannot allocate its driver block → RESOURCES, nothing registered", async () => {
    const host = new NdisHost({ verifier: "record" });
    host.failAllocations("NdisMRegisterMiniportDriver");
    const out: Out<NDIS_HANDLE> = {};
    const statuses: number[] = [];
    await host.loadDriver({
      name: "nomem",
      module: driverModule((DriverObject, RegistryPath) => {
        statuses.push(
          NdisMRegisterMiniportDriver(DriverObject, RegistryPath, undefined, miniportChars(), out),
        );
        statuses.push(
          NdisMRegisterMiniportDriver(DriverObject, RegistryPath, undefined, miniportChars(), out),
        );
        return SUCCESS;
      }),
    });
    assert.deepEqual(
      statuses,
      [NDIS_STATUS_RESOURCES, SUCCESS],
      "the fault hits one allocation only",
    );
    assert.equal(edgeCount(host).miniports, 1);
  });

  test("a DriverObject that is not the host's → FAILURE, traced", async () => {
    const host = new NdisHost({ verifier: "record" });
    const events: TraceEvent[] = [];
    host.onTrace((e) => events.push(e));
    let status = -1;
    await host.loadDriver({
      name: "forged",
      module: driverModule((_DriverObject, RegistryPath) => {
        const fake = { DriverName: "\\Driver\\forged", DriverUnload: null } as never;
        status = NdisMRegisterMiniportDriver(fake, RegistryPath, undefined, miniportChars(), {});
        return SUCCESS;
      }),
    });
    assert.equal(status, NDIS_STATUS_FAILURE);
    assert.ok(
      events.some(
        (e) => e.name === "NdisMRegisterMiniportDriver" && /DRIVER_OBJECT/.test(e.detail ?? ""),
      ),
    );
  });

  test("called outside any host → FAILURE", () => {
    assert.equal(
      NdisMRegisterMiniportDriver({} as never, "\\Registry\\x", undefined, miniportChars(), {}),
      NDIS_STATUS_FAILURE,
    );
  });

  for (const [what, out] of [
    ["undefined", undefined],
    ["a number", 7],
    ["a frozen object", Object.freeze({})],
  ] as const) {
    test(`NdisMiniportDriverHandle ${what} → FAILURE, nothing registered`, async () => {
      const host = new NdisHost({ verifier: "record" });
      let status = -1;
      await host.loadDriver({
        name: "badout",
        module: driverModule((DriverObject, RegistryPath) => {
          status = NdisMRegisterMiniportDriver(
            DriverObject,
            RegistryPath,
            undefined,
            miniportChars(),
            out as never,
          );
          return SUCCESS;
        }),
      });
      assert.equal(status, NDIS_STATUS_FAILURE);
      assert.equal(edgeCount(host).miniports, 0);
    });
  }

  test("RegistryPath that is not a string → FAILURE", async () => {
    const host = new NdisHost({ verifier: "record" });
    let status = -1;
    await host.loadDriver({
      name: "badpath",
      module: driverModule((DriverObject) => {
        status = NdisMRegisterMiniportDriver(
          DriverObject,
          42 as never,
          undefined,
          miniportChars(),
          {},
        );
        return SUCCESS;
      }),
    });
    assert.equal(status, NDIS_STATUS_FAILURE);
  });

  test("a stale Out keeps its old value only because NDIS writes it on success alone", async () => {
    const out: Out<NDIS_HANDLE> = {};
    const host = new NdisHost({ verifier: "record" });
    await host.loadDriver({
      name: "stale",
      module: driverModule((DriverObject, RegistryPath) => {
        NdisMRegisterMiniportDriver(
          DriverObject,
          RegistryPath,
          undefined,
          miniportChars({ Flags: 0 }),
          out,
        );
        const first = out.value;
        const status = NdisMRegisterMiniportDriver(
          DriverObject,
          RegistryPath,
          undefined,
          miniportChars({ Flags: 0 }),
          out,
        );
        assert.equal(status, NDIS_STATUS_FAILURE);
        assert.equal(out.value, first);
        return SUCCESS;
      }),
    });
  });
});
