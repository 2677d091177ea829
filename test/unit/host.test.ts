/** NdisHost: options, loading and unloading drivers, DriverEntry failure unwinding (§1.1, §1.8). */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  type DRIVER_OBJECT,
  type NDIS_HANDLE,
  NDIS_RUNTIME_VERSION_630,
  NDIS_STATUS_BAD_CHARACTERISTICS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_NOT_ACCEPTED,
  NDIS_STATUS_SUCCESS,
  NdisDeregisterProtocolDriver,
  NdisError,
  NdisGetVersion,
  NdisHost,
  NdisMDeregisterMiniportDriver,
  NdisMRegisterMiniportDriver,
  NdisRegisterProtocolDriver,
  type Out,
} from "../../src/index.js";
import { driverModule, edgeCount, miniportChars, protocolChars } from "../helpers/drivers.js";

const isNdisError = (code: string) => (err: unknown) => NdisError.is(err) && err.code === code;

describe("host options", () => {
  test("defaults: NDIS 6.89, strict verifier", () => {
    const host = new NdisHost();
    assert.equal(host.ndisVersion, 0x00060059);
    assert.equal(host.verifierMode, "strict");
  });

  test("ndisVersion in NdisGetVersion form or as text", () => {
    assert.equal(
      new NdisHost({ ndisVersion: NDIS_RUNTIME_VERSION_630 }).ndisVersionInfo.label,
      "6.30",
    );
    assert.equal(new NdisHost({ ndisVersion: "6.1" }).ndisVersion, 0x00060001);
  });

  for (const bad of [0x00060002, 0x00050001, "6.3", "7.0", -1]) {
    test(`ndisVersion ${String(bad)} is refused with a clear error`, () => {
      assert.throws(
        () => new NdisHost({ ndisVersion: bad }),
        isNdisError("NDIS_ERR_INVALID_OPTION"),
      );
    });
  }

  test("an unknown verifier mode is refused", () => {
    assert.throws(
      () => new NdisHost({ verifier: "loud" as never }),
      isNdisError("NDIS_ERR_INVALID_OPTION"),
    );
  });

  test("NdisGetVersion inside a driver is the host's version", async () => {
    const seen: number[] = [];
    const host = new NdisHost({ ndisVersion: "6.30" });
    await host.loadDriver({
      name: "ver",
      module: driverModule(() => {
        seen.push(NdisGetVersion());
        return NDIS_STATUS_FAILURE;
      }),
    });
    assert.deepEqual(seen, [0x0006001e]);
  });
});

describe("loadDriver", () => {
  test("creates the DRIVER_OBJECT and registry path and calls DriverEntry with them", async () => {
    const host = new NdisHost();
    let args: [DRIVER_OBJECT, string] | undefined;
    const { status, driverObject } = await host.loadDriver({
      name: "probe",
      module: driverModule((DriverObject, RegistryPath) => {
        args = [DriverObject, RegistryPath];
        DriverObject.DriverUnload = () => {};
        return NDIS_STATUS_SUCCESS;
      }),
    });
    assert.equal(status, NDIS_STATUS_SUCCESS);
    assert.equal(args?.[0], driverObject);
    assert.equal(driverObject.DriverName, "\\Driver\\probe");
    assert.equal(args?.[1], "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\probe");
    assert.equal(host.driver("probe")?.state, "loaded");
  });

  test("imports a module from a path", async () => {
    const host = new NdisHost();
    const { status } = await host.loadDriver({
      name: "passthrough",
      module: fileURLToPath(new URL("../../src/drivers/passthrough/index.ts", import.meta.url)),
    });
    assert.equal(status, NDIS_STATUS_SUCCESS);
  });

  test("bad names, modules and registries are refused before anything runs", async () => {
    const host = new NdisHost();
    const ok = driverModule(() => NDIS_STATUS_SUCCESS);
    await assert.rejects(
      host.loadDriver({ name: "", module: ok }),
      isNdisError("NDIS_ERR_INVALID_ARGUMENT"),
    );
    await assert.rejects(
      host.loadDriver({ name: "a\\b", module: ok }),
      isNdisError("NDIS_ERR_INVALID_ARGUMENT"),
    );
    await assert.rejects(
      host.loadDriver({ name: "m", module: {} as never }),
      isNdisError("NDIS_ERR_BAD_DRIVER_MODULE"),
    );
    await assert.rejects(
      host.loadDriver({ name: "m", module: "./no/such/driver.js" }),
      isNdisError("NDIS_ERR_BAD_DRIVER_MODULE"),
    );
    await assert.rejects(
      host.loadDriver({ name: "m", module: ok, registry: { UpperBindings: [1, 2] as never } }),
      (err: unknown) => NdisError.is(err) && /m\\UpperBindings/.test(err.message),
    );
    assert.deepEqual(host.drivers, []);
  });

  test("the same name twice → NDIS_ERR_DRIVER_EXISTS", async () => {
    const host = new NdisHost();
    const ok = driverModule((d) => {
      d.DriverUnload = () => {};
      return NDIS_STATUS_SUCCESS;
    });
    await host.loadDriver({ name: "dup", module: ok });
    await assert.rejects(
      host.loadDriver({ name: "dup", module: ok }),
      isNdisError("NDIS_ERR_DRIVER_EXISTS"),
    );
  });

  test("an informational status loads the driver, as the I/O manager judges with NT_SUCCESS", async () => {
    const host = new NdisHost();
    const { status } = await host.loadDriver({
      name: "info",
      module: driverModule(() => NDIS_STATUS_NOT_ACCEPTED),
    });
    assert.equal(status, NDIS_STATUS_NOT_ACCEPTED);
    assert.equal(host.driver("info")?.state, "loaded");
  });
});

describe("DriverEntry failure unwinding", () => {
  test("a DriverEntry that undoes its registration before failing: nothing left, nothing reported", async () => {
    const host = new NdisHost();
    const { status } = await host.loadDriver({
      name: "tidy",
      module: driverModule((DriverObject, RegistryPath) => {
        const m: Out<NDIS_HANDLE> = {};
        NdisMRegisterMiniportDriver(DriverObject, RegistryPath, undefined, miniportChars(), m);
        const p = NdisRegisterProtocolDriver(
          undefined,
          protocolChars({ Header: { Type: 0x95, Revision: 2, Size: 1 } }),
          {},
        );
        NdisMDeregisterMiniportDriver(m.value as NDIS_HANDLE);
        return p;
      }),
    });
    assert.equal(status, NDIS_STATUS_BAD_CHARACTERISTICS);
    assert.equal(host.driver("tidy"), undefined);
    assert.deepEqual(host.violations, []);
  });

  test("a DriverEntry that fails without deregistering: NDIS releases the edges and reports it", async () => {
    const host = new NdisHost({ verifier: "record" });
    const leaky = driverModule((DriverObject, RegistryPath) => {
      NdisMRegisterMiniportDriver(DriverObject, RegistryPath, undefined, miniportChars(), {});
      NdisRegisterProtocolDriver(undefined, protocolChars({ Name: "LEAKY" }), {});
      return NDIS_STATUS_FAILURE;
    });
    const { status } = await host.loadDriver({ name: "leaky", module: leaky });
    assert.equal(status, NDIS_STATUS_FAILURE);
    assert.equal(host.driver("leaky"), undefined);
    assert.deepEqual(edgeCount(host), { miniports: 0, protocols: 0 });
    assert.deepEqual(
      host.violations.map((v) => v.rule),
      ["DriverEntry_FailureWithoutDeregister"],
    );
    assert.match(host.violations[0]?.message ?? "", /IM miniport driver, protocol LEAKY/);
    // The protocol name was released: the driver can be loaded again.
    const again = await host.loadDriver({ name: "leaky", module: leaky });
    assert.equal(again.status, NDIS_STATUS_FAILURE);
    assert.equal(host.violations.length, 2);
  });

  test("strict mode: the same driver is stopped, and still leaves nothing registered", async () => {
    const host = new NdisHost({ verifier: "strict" });
    const { status } = await host.loadDriver({
      name: "leaky",
      module: driverModule((DriverObject, RegistryPath) => {
        NdisMRegisterMiniportDriver(DriverObject, RegistryPath, undefined, miniportChars(), {});
        return NDIS_STATUS_FAILURE;
      }),
    });
    assert.equal(status, NDIS_STATUS_FAILURE);
    await host.settle();
    assert.deepEqual(
      host.stoppedDrivers.map((v) => v.rule),
      ["DriverEntry_FailureWithoutDeregister"],
    );
    assert.deepEqual(edgeCount(host), { miniports: 0, protocols: 0 });
    assert.equal(host.bugCheck, null);
  });

  test("a DriverEntry that throws fails the load (record) or stops the host (strict)", async () => {
    const throwing = driverModule((DriverObject, RegistryPath) => {
      NdisMRegisterMiniportDriver(DriverObject, RegistryPath, undefined, miniportChars(), {});
      throw new Error("null dereference");
    });
    const recorded = new NdisHost({ verifier: "record" });
    const { status } = await recorded.loadDriver({ name: "crash", module: throwing });
    assert.equal(status, NDIS_STATUS_FAILURE);
    assert.deepEqual(
      recorded.violations.map((v) => v.rule),
      ["DriverException", "DriverEntry_FailureWithoutDeregister"],
    );
    assert.equal(recorded.driver("crash"), undefined);

    const strict = new NdisHost();
    assert.equal(
      (await strict.loadDriver({ name: "crash", module: throwing })).status,
      NDIS_STATUS_FAILURE,
    );
    await strict.settle();
    assert.deepEqual(
      strict.stoppedDrivers.map((v) => v.rule),
      ["DriverException"],
    );
    assert.deepEqual(
      strict.violations.map((v) => v.rule),
      ["DriverException"],
      "nothing else is blamed on a stopped driver",
    );
    assert.equal(strict.liveObjects().length, 0);
  });

  test("with the verifier off, a leaky DriverEntry is still cleaned up, silently", async () => {
    const host = new NdisHost({ verifier: "off" });
    await host.loadDriver({
      name: "quiet",
      module: driverModule((DriverObject, RegistryPath) => {
        NdisMRegisterMiniportDriver(DriverObject, RegistryPath, undefined, miniportChars(), {});
        return NDIS_STATUS_FAILURE;
      }),
    });
    assert.deepEqual(edgeCount(host), { miniports: 0, protocols: 0 });
    assert.deepEqual(host.violations, []);
  });

  for (const [what, value] of [
    ["undefined", undefined],
    ["a Promise of a string", Promise.resolve("STATUS_SUCCESS")],
    ["a string", "STATUS_SUCCESS"],
  ] as const) {
    test(`a DriverEntry returning ${what} fails the load with Callback_InvalidReturn`, async () => {
      const host = new NdisHost({ verifier: "record" });
      const { status } = await host.loadDriver({ name: "odd", module: driverModule(() => value) });
      assert.equal(status, NDIS_STATUS_FAILURE);
      assert.deepEqual(
        host.violations.map((v) => v.rule),
        ["Callback_InvalidReturn"],
      );
      assert.equal(host.driver("odd"), undefined);
    });
  }
});

describe("unloadDriver", () => {
  test("calls the miniport edge's UnloadHandler with the DRIVER_OBJECT, then forgets the driver", async () => {
    const host = new NdisHost();
    const calls: unknown[] = [];
    const handles: { m?: NDIS_HANDLE | undefined; p?: NDIS_HANDLE | undefined } = {};
    const module = driverModule((DriverObject, RegistryPath) => {
      const m: Out<NDIS_HANDLE> = {};
      const p: Out<NDIS_HANDLE> = {};
      NdisMRegisterMiniportDriver(
        DriverObject,
        RegistryPath,
        undefined,
        miniportChars({
          UnloadHandler: (d: DRIVER_OBJECT) => {
            calls.push(d);
            NdisDeregisterProtocolDriver(handles.p as NDIS_HANDLE);
            NdisMDeregisterMiniportDriver(handles.m as NDIS_HANDLE);
          },
        }),
        m,
      );
      NdisRegisterProtocolDriver(undefined, protocolChars({ Name: "U" }), p);
      handles.m = m.value;
      handles.p = p.value;
      return NDIS_STATUS_SUCCESS;
    });
    const { driverObject } = await host.loadDriver({ name: "unl", module });
    await host.unloadDriver("unl");
    assert.deepEqual(calls, [driverObject]);
    assert.equal(host.driver("unl"), undefined);
    assert.deepEqual(host.violations, []);
    // The name and the protocol name are free again.
    assert.equal((await host.loadDriver({ name: "unl", module })).status, NDIS_STATUS_SUCCESS);
  });

  test("a protocol-only driver unloads through DriverObject.DriverUnload", async () => {
    const host = new NdisHost();
    let unloaded = false;
    await host.loadDriver({
      name: "proto",
      module: driverModule((DriverObject) => {
        const p: Out<NDIS_HANDLE> = {};
        NdisRegisterProtocolDriver(undefined, protocolChars(), p);
        DriverObject.DriverUnload = () => {
          unloaded = true;
          NdisDeregisterProtocolDriver(p.value as NDIS_HANDLE);
        };
        return NDIS_STATUS_SUCCESS;
      }),
    });
    await host.unloadDriver("proto");
    assert.equal(unloaded, true);
    assert.deepEqual(host.violations, []);
  });

  test("an unload handler that leaves edges registered: NDIS releases them and reports it", async () => {
    const host = new NdisHost({ verifier: "record" });
    await host.loadDriver({
      name: "sloppy",
      module: driverModule((DriverObject, RegistryPath) =>
        NdisMRegisterMiniportDriver(DriverObject, RegistryPath, undefined, miniportChars(), {}),
      ),
    });
    await host.unloadDriver("sloppy");
    assert.deepEqual(
      host.violations.map((v) => v.rule),
      ["DriverUnload_LeftRegistered"],
    );
    assert.equal(host.driver("sloppy"), undefined);
  });

  test("a driver with no unload routine cannot be unloaded; an unknown name is an error", async () => {
    const host = new NdisHost();
    await host.loadDriver({ name: "stuck", module: driverModule(() => NDIS_STATUS_SUCCESS) });
    await assert.rejects(host.unloadDriver("stuck"), isNdisError("NDIS_ERR_NOT_UNLOADABLE"));
    assert.equal(host.driver("stuck")?.state, "loaded");
    await assert.rejects(host.unloadDriver("nobody"), isNdisError("NDIS_ERR_NO_SUCH_DRIVER"));
  });
});
