/** MiniportSetOptions / ProtocolSetOptions inside registration, and NdisSetOptionalHandlers (§1.6). */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  KeGetCurrentIrql,
  type NDIS_HANDLE,
  NDIS_OBJECT_TYPE_CO_PROTOCOL_CHARACTERISTICS,
  NDIS_OBJECT_TYPE_MINIPORT_PNP_CHARACTERISTICS,
  NDIS_SIZEOF_MINIPORT_PNP_CHARACTERISTICS_REVISION_1,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NdisHost,
  NdisMRegisterMiniportDriver,
  NdisRegisterProtocolDriver,
  NdisSetOptionalHandlers,
  type Out,
  PASSIVE_LEVEL,
  type TraceEvent,
} from "../../src/index.js";
import {
  driverModule,
  edgeCount,
  miniportChars,
  noop,
  protocolChars,
  registerMiniport,
} from "../helpers/drivers.js";

const pnp = {
  Header: {
    Type: NDIS_OBJECT_TYPE_MINIPORT_PNP_CHARACTERISTICS,
    Revision: 1,
    Size: NDIS_SIZEOF_MINIPORT_PNP_CHARACTERISTICS_REVISION_1,
  },
  MiniportAddDeviceHandler: noop,
};

describe("MiniportSetOptions", () => {
  test("runs synchronously inside registration, at PASSIVE_LEVEL, with the new handle and the driver context", async () => {
    const context = { driver: "ctx" };
    const seen: { handle?: unknown; context?: unknown; irql?: number } = {};
    const chars = miniportChars({
      SetOptionsHandler: (handle: NDIS_HANDLE, ctx: unknown) => {
        seen.handle = handle;
        seen.context = ctx;
        seen.irql = KeGetCurrentIrql();
        return NDIS_STATUS_SUCCESS;
      },
    });
    const host = new NdisHost({ verifier: "record" });
    const order: string[] = [];
    host.onTrace((e) => order.push(`${e.phase} ${e.name}`));
    const out: Out<NDIS_HANDLE> = {};
    await host.loadDriver({
      name: "so",
      module: driverModule((DriverObject, RegistryPath) =>
        NdisMRegisterMiniportDriver(DriverObject, RegistryPath, context, chars, out),
      ),
    });
    assert.equal(seen.context, context);
    assert.equal(seen.handle, out.value, "SetOptions gets the handle registration returns");
    assert.equal(seen.irql, PASSIVE_LEVEL);
    assert.deepEqual(order, [
      "call DriverEntry",
      "call NdisMRegisterMiniportDriver",
      "call MiniportSetOptions",
      "return MiniportSetOptions",
      "return NdisMRegisterMiniportDriver",
      "return DriverEntry",
    ]);
  });

  test("NdisSetOptionalHandlers works inside SetOptions and the table is kept", async () => {
    const statuses: number[] = [];
    const { host, status } = await registerMiniport(
      miniportChars({
        SetOptionsHandler: (handle: NDIS_HANDLE) => {
          statuses.push(NdisSetOptionalHandlers(handle, pnp));
          return NDIS_STATUS_SUCCESS;
        },
      }),
    );
    assert.equal(status, NDIS_STATUS_SUCCESS);
    assert.deepEqual(statuses, [NDIS_STATUS_SUCCESS]);
    assert.deepEqual(host.drivers[0]?.miniportDrivers[0]?.optionalHandlers, [
      "NDIS_OBJECT_TYPE_MINIPORT_PNP_CHARACTERISTICS (0x92)",
    ]);
    assert.deepEqual(host.violations, []);
  });

  test("a table a miniport cannot register (a protocol's CoNDIS table) → FAILURE", async () => {
    let status = -1;
    await registerMiniport(
      miniportChars({
        SetOptionsHandler: (handle: NDIS_HANDLE) => {
          status = NdisSetOptionalHandlers(handle, {
            Header: { Type: NDIS_OBJECT_TYPE_CO_PROTOCOL_CHARACTERISTICS, Revision: 1, Size: 8 },
          });
          return NDIS_STATUS_SUCCESS;
        },
      }),
    );
    assert.equal(status, NDIS_STATUS_FAILURE);
  });

  test("NdisSetOptionalHandlers outside SetOptions → FAILURE and a violation", async () => {
    let status = -1;
    const host = new NdisHost({ verifier: "record" });
    await host.loadDriver({
      name: "late",
      module: driverModule((DriverObject, RegistryPath) => {
        const out: Out<NDIS_HANDLE> = {};
        NdisMRegisterMiniportDriver(
          DriverObject,
          RegistryPath,
          undefined,
          miniportChars({ SetOptionsHandler: () => 0 }),
          out,
        );
        status = NdisSetOptionalHandlers(out.value as NDIS_HANDLE, pnp);
        return NDIS_STATUS_SUCCESS;
      }),
    });
    assert.equal(status, NDIS_STATUS_FAILURE);
    assert.deepEqual(
      host.violations.map((v) => v.rule),
      ["NdisSetOptionalHandlers_OutsideSetOptions"],
    );
  });

  test("a failing SetOptions fails the registration with its status; its handle dies with it", async () => {
    let handle: NDIS_HANDLE | undefined;
    const { host, status } = await registerMiniport(
      miniportChars({
        SetOptionsHandler: (h: NDIS_HANDLE) => {
          handle = h;
          return NDIS_STATUS_RESOURCES;
        },
      }),
    );
    assert.equal(status, NDIS_STATUS_RESOURCES);
    assert.equal(edgeCount(host).miniports, 0);
    assert.match(String(handle), /revoked/);
  });

  for (const [what, returned, rule] of [
    ["PENDING (SetOptions cannot pend)", NDIS_STATUS_PENDING, "Callback_InvalidReturn"],
    ["undefined", undefined, "Callback_InvalidReturn"],
    ["a Promise", Promise.resolve(0), "Callback_InvalidReturn"],
  ] as const) {
    test(`SetOptions returning ${what} → FAILURE and ${rule}`, async () => {
      const { host, status } = await registerMiniport(
        miniportChars({ SetOptionsHandler: () => returned }),
      );
      assert.equal(status, NDIS_STATUS_FAILURE);
      assert.equal(edgeCount(host).miniports, 0);
      assert.deepEqual(
        host.violations.map((v) => v.rule),
        [rule],
      );
    });
  }

  test("SetOptions that throws: record mode fails the registration; strict mode stops the driver", async () => {
    const throwing = miniportChars({
      SetOptionsHandler: () => {
        throw new RangeError("driver bug");
      },
    });
    const recorded = await registerMiniport(throwing);
    assert.equal(recorded.status, NDIS_STATUS_FAILURE);
    assert.deepEqual(
      recorded.host.violations.map((v) => v.rule),
      ["DriverException"],
    );
    assert.match(recorded.host.violations[0]?.message ?? "", /RangeError: driver bug/);

    const strict = await registerMiniport(throwing, { verifier: "strict" });
    assert.equal(strict.status, -1, "DriverEntry was unwound before it could see the status");
    await strict.host.settle();
    assert.deepEqual(
      strict.host.stoppedDrivers.map((v) => v.rule),
      ["DriverException"],
    );
    assert.deepEqual(strict.host.liveObjects(), []);
  });
});

describe("ProtocolSetOptions", () => {
  test("runs inside NdisRegisterProtocolDriver; a CoNDIS table registers; a failure unregisters", async () => {
    const host = new NdisHost({ verifier: "record" });
    const statuses: number[] = [];
    const events: TraceEvent[] = [];
    host.onTrace((e) => events.push(e));
    await host.loadDriver({
      name: "pso",
      module: driverModule(() => {
        statuses.push(
          NdisRegisterProtocolDriver(
            undefined,
            protocolChars({
              Name: "good",
              SetOptionsHandler: (h: NDIS_HANDLE) =>
                NdisSetOptionalHandlers(h, {
                  Header: {
                    Type: NDIS_OBJECT_TYPE_CO_PROTOCOL_CHARACTERISTICS,
                    Revision: 1,
                    Size: 8,
                  },
                }),
            }),
            {},
          ),
        );
        statuses.push(
          NdisRegisterProtocolDriver(
            undefined,
            protocolChars({ Name: "bad", SetOptionsHandler: () => NDIS_STATUS_FAILURE }),
            {},
          ),
        );
        return NDIS_STATUS_SUCCESS;
      }),
    });
    assert.deepEqual(statuses, [NDIS_STATUS_SUCCESS, NDIS_STATUS_FAILURE]);
    assert.deepEqual(
      host.driver("pso")?.protocolDrivers.map((p) => [p.name, p.optionalHandlers.length]),
      [["good", 1]],
    );
    assert.ok(events.some((e) => e.name === "ProtocolSetOptions" && e.phase === "call"));
  });
});

describe("NdisSetOptionalHandlers arguments", () => {
  test("a handle that is not NDIS's → FAILURE and InvalidNdisHandle", async () => {
    const host = new NdisHost({ verifier: "record" });
    let status = -1;
    await host.loadDriver({
      name: "bogus",
      module: driverModule(() => {
        status = NdisSetOptionalHandlers({} as NDIS_HANDLE, pnp);
        return NDIS_STATUS_SUCCESS;
      }),
    });
    assert.equal(status, NDIS_STATUS_FAILURE);
    assert.deepEqual(
      host.violations.map((v) => v.rule),
      ["InvalidNdisHandle"],
    );
  });

  test("an unreadable table → FAILURE; a table with no header → FAILURE", async () => {
    const statuses: number[] = [];
    const hostile = new Proxy(pnp, {
      ownKeys: () => {
        throw new Error("no access");
      },
    });
    await registerMiniport(
      miniportChars({
        SetOptionsHandler: (handle: NDIS_HANDLE) => {
          statuses.push(NdisSetOptionalHandlers(handle, hostile));
          statuses.push(NdisSetOptionalHandlers(handle, {} as never));
          return NDIS_STATUS_SUCCESS;
        },
      }),
    );
    assert.deepEqual(statuses, [NDIS_STATUS_FAILURE, NDIS_STATUS_FAILURE]);
  });

  test("called outside any host → FAILURE", () => {
    assert.equal(NdisSetOptionalHandlers({} as NDIS_HANDLE, pnp), NDIS_STATUS_FAILURE);
  });
});
