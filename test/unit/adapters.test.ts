/**
 * Physical adapters: device arrival (MiniportInitializeEx with attributes, then MiniportRestart),
 * pause and restart with their PENDING paths, removal (orderly and surprise), shutdown, unload —
 * each call checked against the adapter machine (§3.1, §4.2–§4.14).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as passthrough from "../../src/drivers/passthrough/index.js";
import * as testMiniport from "../../src/drivers/test-miniport/index.js";
import {
  KeGetCurrentIrql,
  NDIS_MINIPORT_ATTRIBUTES_REGISTER_BUGCHECK_CALLBACK,
  NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES,
  NDIS_PAUSE_MINIPORT_DEVICE_REMOVE,
  NDIS_PAUSE_NDIS_INTERNAL,
  NDIS_STATUS_BAD_VERSION,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NdisDevicePnPEventPowerProfileChanged,
  NdisDevicePnPEventSurpriseRemoved,
  NdisError,
  NdisHaltDeviceDisabled,
  NdisHaltDeviceFailed,
  NdisHaltDeviceInitializationFailed,
  NdisHaltDeviceStopped,
  NdisHaltDeviceSurpriseRemoved,
  NdisHost,
  type NdisHostOptions,
  NdisMDeregisterMiniportDriver,
  NdisMPauseComplete,
  NdisMRestartComplete,
  NdisMSetMiniportAttributes,
  NdisPowerProfileAcOnLine,
  NdisPowerProfileBattery,
  NdisShutdownBugCheck,
  NdisShutdownPowerOff,
  type TraceEvent,
} from "../../src/index.js";
import {
  generalAttributes,
  registrationAttributes,
  type Script,
  type ScriptedMiniport,
  scriptedMiniport,
} from "../helpers/miniport.js";

async function hostWith(script: Script = {}, options: NdisHostOptions = { verifier: "record" }) {
  const host = new NdisHost(options);
  const mp = scriptedMiniport(script);
  await host.loadDriver({ name: "mp", module: mp.module });
  return { host, mp };
}

const rules = (host: NdisHost) => host.violations.map((v) => v.rule);

/** Lets every promise continuation that is ready run (no timer, no time passes). */
const drain = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("device arrival", () => {
  test("the test miniport's adapter initializes, sets its attributes, restarts and runs", async () => {
    const host = new NdisHost();
    const calls: string[] = [];
    host.onTrace((e: TraceEvent) => {
      if (e.phase === "call" && e.kind !== "state") calls.push(e.name);
    });
    await host.loadDriver({ name: "testmp", module: testMiniport });
    const info = await host.addAdapter({ driver: "testmp", name: "eth0" });
    assert.deepEqual(calls.slice(-5), [
      "MiniportInitializeEx",
      "NdisMSetMiniportAttributes",
      "NdisMSetMiniportAttributes",
      "MiniportDevicePnPEventNotify", // the power profile, once initialization is complete
      "MiniportRestart",
    ]);
    assert.deepEqual(info, {
      name: "eth0",
      driver: "testmp",
      intermediate: false,
      state: "Running",
      ifIndex: 1,
      mtu: 1500,
      macAddress: "02-00-00-00-00-01",
      mediaConnectState: "connected",
    });
    const second = await host.addAdapter({ driver: "testmp", name: "eth1" });
    assert.equal(second.ifIndex, 2);
    assert.equal(second.macAddress, "02-00-00-00-00-02");
    assert.deepEqual(host.violations, []);
  });

  test("MiniportInitializeEx gets NDIS_MINIPORT_INIT_PARAMETERS at PASSIVE_LEVEL", async () => {
    let seen: Record<string, unknown> | undefined;
    let irql = -1;
    const { host } = await hostWith({
      initialize: (handle, params) => {
        seen = params as Record<string, unknown>;
        irql = KeGetCurrentIrql();
        NdisMSetMiniportAttributes(handle, registrationAttributes({}));
        return NdisMSetMiniportAttributes(handle, generalAttributes());
      },
    });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.equal((seen?.Header as { Type: number } | undefined)?.Type, 0x81);
    assert.equal(seen?.IfIndex, 1);
    assert.equal(seen?.IMDeviceInstanceContext, null);
    assert.equal(seen?.AllocatedResources, null);
    assert.equal(typeof seen?.NetLuid, "bigint");
    assert.equal(irql, 0);
  });

  test("after initialization NDIS tells the adapter the power profile: a ULONG, AC unless the host runs on battery", async () => {
    for (const [profile, expected] of [
      [undefined, NdisPowerProfileAcOnLine],
      ["battery", NdisPowerProfileBattery],
    ] as const) {
      const seen: number[] = [];
      const { host } = await hostWith(
        {
          pnp: (_a, e) => {
            const event = e as unknown as {
              DevicePnPEvent: number;
              InformationBuffer: Uint8Array;
              InformationBufferLength: number;
            };
            assert.equal(event.DevicePnPEvent, NdisDevicePnPEventPowerProfileChanged);
            assert.equal(event.InformationBufferLength, 4);
            seen.push(new DataView(event.InformationBuffer.buffer).getUint32(0, true));
          },
        },
        { verifier: "record", ...(profile === undefined ? {} : { powerProfile: profile }) },
      );
      await host.addAdapter({ driver: "mp", name: "eth0" });
      assert.deepEqual(seen, [expected]);
    }
  });

  test("a failing MiniportInitializeEx leaves no adapter and gets no MiniportHaltEx", async () => {
    const { host, mp } = await hostWith({ initialize: () => NDIS_STATUS_RESOURCES });
    const info = await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.equal(info.state, "Halted");
    assert.deepEqual(host.adapters, []);
    assert.deepEqual(mp.calls, ["MiniportInitializeEx"]);
    assert.deepEqual(host.violations, []);
  });

  test("success without general attributes: violation, then MiniportHaltEx(NdisHaltDeviceInitializationFailed)", async () => {
    const { host, mp } = await hostWith({
      initialize: (handle) => NdisMSetMiniportAttributes(handle, registrationAttributes({})),
    });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.deepEqual(rules(host), ["MiniportInitialize_MissingAttributes"]);
    assert.deepEqual(mp.calls, [
      "MiniportInitializeEx",
      `MiniportHaltEx(${NdisHaltDeviceInitializationFailed})`,
    ]);
    assert.deepEqual(host.adapters, []);
  });

  test("addAdapter refuses an IM driver, an unknown driver and a taken name", async () => {
    const { host } = await hostWith();
    await host.loadDriver({ name: "passthrough", module: passthrough });
    const code = (c: string) => (err: unknown) => NdisError.is(err) && err.code === c;
    await assert.rejects(
      host.addAdapter({ driver: "passthrough", name: "x" }),
      code("NDIS_ERR_NOT_A_MINIPORT"),
    );
    await assert.rejects(
      host.addAdapter({ driver: "nobody", name: "x" }),
      code("NDIS_ERR_NOT_A_MINIPORT"),
    );
    await host.addAdapter({ driver: "mp", name: "eth0" });
    await assert.rejects(
      host.addAdapter({ driver: "mp", name: "eth0" }),
      code("NDIS_ERR_ADAPTER_EXISTS"),
    );
    await assert.rejects(host.pauseStack("nope"), code("NDIS_ERR_NO_SUCH_ADAPTER"));
    await assert.rejects(host.restartStack("eth0"), code("NDIS_ERR_INVALID_STATE"));
  });
});

describe("NdisMSetMiniportAttributes", () => {
  async function initWith(steps: (handle: never) => number[]) {
    let statuses: number[] = [];
    const { host } = await hostWith({
      initialize: (handle) => {
        statuses = steps(handle as never);
        return NDIS_STATUS_FAILURE;
      },
    });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    return { host, statuses };
  }

  test("general before registration, or either twice: FAILURE and NdisMSetMiniportAttributes_Order", async () => {
    const { host, statuses } = await initWith((h) => [
      NdisMSetMiniportAttributes(h, generalAttributes()),
      NdisMSetMiniportAttributes(h, registrationAttributes({})),
      NdisMSetMiniportAttributes(h, registrationAttributes({})),
      NdisMSetMiniportAttributes(h, generalAttributes()),
      NdisMSetMiniportAttributes(h, generalAttributes()),
    ]);
    assert.deepEqual(statuses, [
      NDIS_STATUS_FAILURE,
      NDIS_STATUS_SUCCESS,
      NDIS_STATUS_FAILURE,
      NDIS_STATUS_SUCCESS,
      NDIS_STATUS_FAILURE,
    ]);
    assert.deepEqual(rules(host), Array(3).fill("NdisMSetMiniportAttributes_Order"));
  });

  test("revisions and sizes: BAD_VERSION; malformed fields: INVALID_PARAMETER; later attribute types accepted", async () => {
    const { statuses } = await initWith((h) => [
      NdisMSetMiniportAttributes(
        h,
        registrationAttributes({}, { Header: { Type: 0x9e, Revision: 3, Size: 28 } }),
      ),
      NdisMSetMiniportAttributes(
        h,
        registrationAttributes({}, { Header: { Type: 0x9e, Revision: 1, Size: 27 } }),
      ),
      NdisMSetMiniportAttributes(h, registrationAttributes({})),
      // A 6.20 driver must pass general attributes Revision 2.
      NdisMSetMiniportAttributes(
        h,
        generalAttributes({ Header: { Type: 0x9f, Revision: 1, Size: 216 } }),
      ),
      NdisMSetMiniportAttributes(
        h,
        generalAttributes({ Header: { Type: 0x9f, Revision: 2, Size: 216 } }),
      ),
      NdisMSetMiniportAttributes(h, generalAttributes({ MacAddressLength: 40 })),
      NdisMSetMiniportAttributes(h, generalAttributes({ MtuSize: -1 })),
      NdisMSetMiniportAttributes(h, generalAttributes({ XmitLinkSpeed: 1000 })),
      NdisMSetMiniportAttributes(h, generalAttributes({ CurrentMacAddress: Uint8Array.of(1, 2) })),
      NdisMSetMiniportAttributes(h, generalAttributes()),
      NdisMSetMiniportAttributes(h, {
        Header: {
          Type: NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES,
          Revision: 1,
          Size: 8,
        },
      } as never),
    ]);
    assert.deepEqual(statuses, [
      NDIS_STATUS_BAD_VERSION,
      NDIS_STATUS_BAD_VERSION,
      NDIS_STATUS_SUCCESS,
      NDIS_STATUS_BAD_VERSION,
      NDIS_STATUS_BAD_VERSION,
      NDIS_STATUS_INVALID_PARAMETER,
      NDIS_STATUS_INVALID_PARAMETER,
      NDIS_STATUS_INVALID_PARAMETER,
      NDIS_STATUS_INVALID_PARAMETER,
      NDIS_STATUS_SUCCESS,
      NDIS_STATUS_SUCCESS,
    ]);
  });

  test("registration attributes Revision 2 need an NDIS 6.30 host", async () => {
    const statuses: number[] = [];
    const { host } = await hostWith(
      {
        initialize: (h) => {
          statuses.push(
            NdisMSetMiniportAttributes(
              h,
              registrationAttributes({}, { Header: { Type: 0x9e, Revision: 2, Size: 28 } }),
            ),
          );
          return NDIS_STATUS_FAILURE;
        },
      },
      { ndisVersion: "6.20", verifier: "record" },
    );
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.deepEqual(statuses, [NDIS_STATUS_BAD_VERSION]);
  });

  test("outside MiniportInitializeEx: FAILURE and a violation; a foreign handle: InvalidNdisHandle", async () => {
    let status = -1;
    const { host } = await hostWith({
      pause: (a) => {
        status = NdisMSetMiniportAttributes(a.handle, generalAttributes());
        NdisMSetMiniportAttributes({} as never, generalAttributes());
        return NDIS_STATUS_SUCCESS;
      },
    });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    await host.pauseStack("eth0");
    assert.equal(status, NDIS_STATUS_FAILURE);
    assert.deepEqual(rules(host), [
      "NdisMSetMiniportAttributes_OutsideInitialize",
      "InvalidNdisHandle",
    ]);
  });
});

describe("restart and pause", () => {
  test("a pending restart ends with NdisMRestartComplete; addAdapter waits for it", async () => {
    const { host, mp } = await hostWith({ restart: () => NDIS_STATUS_PENDING });
    let done = false;
    const adding = host.addAdapter({ driver: "mp", name: "eth0" }).then((info) => {
      done = true;
      return info;
    });
    await Promise.resolve();
    assert.equal(host.adapter("eth0")?.state, "Restarting");
    assert.equal(done, false);
    NdisMRestartComplete(mp.adapters[0]?.handle as never, NDIS_STATUS_SUCCESS);
    assert.equal((await adding).state, "Running");
    assert.deepEqual(host.violations, []);
  });

  test("a restart completed inside MiniportRestart, then PENDING returned, is legal", async () => {
    const { host } = await hostWith({
      restart: (a) => {
        NdisMRestartComplete(a.handle, NDIS_STATUS_SUCCESS);
        return NDIS_STATUS_PENDING;
      },
    });
    assert.equal((await host.addAdapter({ driver: "mp", name: "eth0" })).state, "Running");
    assert.deepEqual(host.violations, []);
  });

  test("completing a restart that returned SUCCESS: NdisMRestartComplete_NotPending", async () => {
    const { host } = await hostWith({
      restart: (a) => {
        NdisMRestartComplete(a.handle, NDIS_STATUS_SUCCESS);
        return NDIS_STATUS_SUCCESS;
      },
    });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.deepEqual(rules(host), ["NdisMRestartComplete_NotPending"]);
  });

  test("a failed restart leaves the adapter Paused; a later restart runs it", async () => {
    let fail = true;
    const { host } = await hostWith({
      restart: () => (fail ? NDIS_STATUS_RESOURCES : NDIS_STATUS_SUCCESS),
    });
    assert.equal((await host.addAdapter({ driver: "mp", name: "eth0" })).state, "Paused");
    fail = false;
    assert.equal((await host.restartStack("eth0")).state, "Running");
    assert.deepEqual(host.violations, []);
  });

  test("a pending pause ends with NdisMPauseComplete; a second completion is a violation", async () => {
    const { host, mp } = await hostWith({ pause: () => NDIS_STATUS_PENDING });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    const pausing = host.pauseStack("eth0");
    await drain();
    assert.equal(host.adapter("eth0")?.state, "Pausing");
    const handle = mp.adapters[0]?.handle as never;
    NdisMPauseComplete(handle);
    assert.equal((await pausing).state, "Paused");
    NdisMPauseComplete(handle);
    assert.deepEqual(rules(host), ["NdisMPauseComplete_NotPending"]);
  });

  test("strict mode: NdisMPauseComplete with no pause pending stops that driver's stack, not the host", async () => {
    const { host, mp } = await hostWith({}, { verifier: "strict" });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    const other = scriptedMiniport();
    await host.loadDriver({ name: "other", module: other.module });
    await host.addAdapter({ driver: "other", name: "eth1" });
    // Called from outside the driver's code: nothing to unwind, the call just returns.
    NdisMPauseComplete(mp.adapters[0]?.handle as never);
    await host.settle();
    assert.deepEqual(
      host.stoppedDrivers.map((v) => [v.rule, v.driver]),
      [["NdisMPauseComplete_NotPending", "mp"]],
    );
    assert.equal(host.driver("mp"), undefined);
    assert.deepEqual(
      host.adapters.map((a) => `${a.name}:${a.state}`),
      ["eth1:Running"],
    );
    assert.equal(host.bugCheck, null);
    assert.ok(
      !mp.calls.includes(`MiniportHaltEx(${NdisHaltDeviceDisabled})`),
      "a stopped driver is not called again",
    );
    await host.pauseStack("eth1");
  });

  test("MiniportPause returning FAILURE: MiniportPause_Return, and the adapter is Paused anyway", async () => {
    const { host } = await hostWith({ pause: () => NDIS_STATUS_FAILURE });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.equal((await host.pauseStack("eth0")).state, "Paused");
    assert.deepEqual(rules(host), ["MiniportPause_Return"]);
  });

  test("a MiniportPause that throws is a DriverException; NDIS goes on as if it succeeded", async () => {
    const { host } = await hostWith({
      pause: () => {
        throw new Error("pause bug");
      },
    });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.equal((await host.pauseStack("eth0")).state, "Paused");
    assert.deepEqual(rules(host), ["DriverException"]);
  });
});

describe("removal, shutdown and unload", () => {
  test("orderly removal: MiniportPause(NDIS_INTERNAL for a 6.20 driver), MiniportHaltEx(NdisHaltDeviceDisabled)", async () => {
    const { host, mp } = await hostWith();
    await host.addAdapter({ driver: "mp", name: "eth0" });
    await host.removeAdapter("eth0");
    assert.deepEqual(mp.calls.slice(3), [
      `MiniportPause(${NDIS_PAUSE_NDIS_INTERNAL})`,
      `MiniportHaltEx(${NdisHaltDeviceDisabled})`,
    ]);
    assert.deepEqual(host.liveObjects(), [{ kind: "miniport driver", name: "mp", driver: "mp" }]);
  });

  test("the removal reason picks the halt action: removed, stopped, failed", async () => {
    for (const [reason, action] of [
      ["removed", NdisHaltDeviceDisabled],
      ["stopped", NdisHaltDeviceStopped],
      ["failed", NdisHaltDeviceFailed],
    ] as const) {
      const { host, mp } = await hostWith();
      await host.addAdapter({ driver: "mp", name: "eth0" });
      await host.removeAdapter("eth0", { reason });
      assert.equal(mp.calls.at(-1), `MiniportHaltEx(${action})`);
    }
    const { host } = await hostWith();
    await host.addAdapter({ driver: "mp", name: "eth0" });
    await assert.rejects(host.removeAdapter("eth0", { reason: "vanished" as never }), /reason is/);
  });

  test("surprise removal of a 6.40 driver's adapter: PnP notification, pause for removal, halt SurpriseRemoved", async () => {
    const { host, mp } = await hostWith({ minor: 40 });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    await host.removeAdapter("eth0", { surprise: true });
    assert.deepEqual(mp.calls.slice(3), [
      `MiniportDevicePnPEventNotify(${NdisDevicePnPEventSurpriseRemoved})`,
      `MiniportPause(${NDIS_PAUSE_MINIPORT_DEVICE_REMOVE})`,
      `MiniportHaltEx(${NdisHaltDeviceSurpriseRemoved})`,
    ]);
    assert.deepEqual(host.adapters, []);
  });

  test("removal during a pending restart waits for the restart, then pauses and halts", async () => {
    const { host, mp } = await hostWith({ restart: () => NDIS_STATUS_PENDING });
    const adding = host.addAdapter({ driver: "mp", name: "eth0" });
    const removing = host.removeAdapter("eth0");
    await Promise.resolve();
    assert.deepEqual(mp.calls, [
      "MiniportInitializeEx",
      `MiniportDevicePnPEventNotify(${NdisDevicePnPEventPowerProfileChanged})`,
      "MiniportRestart",
    ]);
    NdisMRestartComplete(mp.adapters[0]?.handle as never, NDIS_STATUS_SUCCESS);
    await adding;
    await removing;
    assert.deepEqual(mp.calls.slice(3), [
      `MiniportPause(${NDIS_PAUSE_NDIS_INTERNAL})`,
      `MiniportHaltEx(${NdisHaltDeviceDisabled})`,
    ]);
    assert.deepEqual(host.violations, []);
  });

  test("a halted adapter's handle is dead", async () => {
    const { host, mp } = await hostWith();
    await host.addAdapter({ driver: "mp", name: "eth0" });
    await host.removeAdapter("eth0");
    NdisMPauseComplete(mp.adapters[0]?.handle as never);
    assert.deepEqual(rules(host), ["InvalidNdisHandle"]);
  });

  test("unloading a driver with adapters pauses and halts them first, and leaves nothing", async () => {
    const { host, mp } = await hostWith();
    await host.addAdapter({ driver: "mp", name: "eth0" });
    await host.addAdapter({ driver: "mp", name: "eth1" });
    await host.unloadDriver("mp");
    assert.deepEqual(mp.calls.slice(-5), [
      `MiniportPause(${NDIS_PAUSE_NDIS_INTERNAL})`,
      `MiniportHaltEx(${NdisHaltDeviceDisabled})`,
      `MiniportPause(${NDIS_PAUSE_NDIS_INTERNAL})`,
      `MiniportHaltEx(${NdisHaltDeviceDisabled})`,
      "MiniportDriverUnload",
    ]);
    assert.deepEqual(host.liveObjects(), []);
    assert.deepEqual(host.violations, []);
  });

  test("deregistering the miniport edge while its adapters exist is refused and reported", async () => {
    let self: ScriptedMiniport | undefined;
    const { host, mp } = await hostWith({
      pause: () => {
        NdisMDeregisterMiniportDriver(self?.driverHandle() as never);
        return NDIS_STATUS_SUCCESS;
      },
    });
    self = mp;
    await host.addAdapter({ driver: "mp", name: "eth0" });
    await host.pauseStack("eth0");
    assert.deepEqual(rules(host), ["NdisMDeregisterMiniportDriver_AdaptersExist"]);
    assert.equal(host.liveObjects().length, 2, "the registration and the adapter stay");
  });

  test("shutdown: MiniportShutdownEx(PowerOff) at PASSIVE_LEVEL, nothing after it, nothing left", async () => {
    let irql = -1;
    const { host, mp } = await hostWith({
      shutdown: () => {
        irql = KeGetCurrentIrql();
      },
    });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    await host.shutdown(NdisShutdownPowerOff);
    assert.deepEqual(mp.calls.slice(3), [`MiniportShutdownEx(${NdisShutdownPowerOff})`]);
    assert.equal(irql, 0);
    assert.deepEqual(host.liveObjects(), []);
    await assert.rejects(
      host.addAdapter({ driver: "mp", name: "eth1" }),
      (e: unknown) => NdisError.is(e) && e.code === "NDIS_ERR_SHUT_DOWN",
    );
  });

  test("bug-check shutdown reaches a 6.30+ driver only if it asked, at HIGH_LEVEL", async () => {
    for (const [flags, expected] of [
      [0, []],
      [
        NDIS_MINIPORT_ATTRIBUTES_REGISTER_BUGCHECK_CALLBACK,
        [`MiniportShutdownEx(${NdisShutdownBugCheck})`],
      ],
    ] as const) {
      let irql = -1;
      const { host, mp } = await hostWith({
        minor: 30,
        attributeFlags: flags,
        shutdown: () => {
          irql = KeGetCurrentIrql();
        },
      });
      await host.addAdapter({ driver: "mp", name: "eth0" });
      await host.shutdown(NdisShutdownBugCheck);
      assert.deepEqual(mp.calls.slice(3), expected);
      if (expected.length > 0) assert.equal(irql, 15);
      assert.deepEqual(host.liveObjects(), []);
    }
  });
});
