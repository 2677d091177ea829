/**
 * Garbage into the adapter, binding and IM DDI: each call answers with a status (and, inside a
 * host, a named violation), never throws, and changes nothing it should not.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as testMiniport from "../../src/drivers/test-miniport/index.js";
import {
  type NDIS_HANDLE,
  NDIS_OBJECT_TYPE_OPEN_PARAMETERS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_SUCCESS,
  NdisCloseAdapterEx,
  NdisCompleteBindAdapterEx,
  NdisCompleteNetPnPEvent,
  NdisCompleteUnbindAdapterEx,
  NdisHost,
  NdisIMCancelInitializeDeviceInstance,
  NdisIMDeInitializeDeviceInstance,
  NdisIMGetBindingContext,
  NdisIMInitializeDeviceInstanceEx,
  NdisMPauseComplete,
  NdisMRestartComplete,
  NdisMSetMiniportAttributes,
  NdisOpenAdapterEx,
} from "../../src/index.js";
import { driverModule } from "../helpers/drivers.js";
import { scriptedProtocol } from "../helpers/protocol.js";

const junk: unknown[] = [undefined, null, 0, "handle", {}, [], () => {}, Symbol("x")];

describe("DDI calls with junk, outside any host", () => {
  test("every adapter, binding and IM call returns a failure or nothing, and throws nothing", () => {
    for (const value of junk) {
      const h = value as NDIS_HANDLE;
      assert.equal(NdisMSetMiniportAttributes(h, value as never), NDIS_STATUS_FAILURE);
      NdisMPauseComplete(h);
      NdisMRestartComplete(h, NDIS_STATUS_SUCCESS);
      assert.equal(NdisOpenAdapterEx(h, undefined, value as never, h, {}), NDIS_STATUS_FAILURE);
      assert.equal(NdisCloseAdapterEx(h), NDIS_STATUS_FAILURE);
      NdisCompleteBindAdapterEx(h, NDIS_STATUS_SUCCESS);
      NdisCompleteUnbindAdapterEx(h);
      NdisCompleteNetPnPEvent(h, value as never, NDIS_STATUS_SUCCESS);
      assert.equal(
        NdisIMInitializeDeviceInstanceEx(h, value as never, undefined),
        NDIS_STATUS_FAILURE,
      );
      assert.equal(NdisIMCancelInitializeDeviceInstance(h, value as never), NDIS_STATUS_FAILURE);
      assert.equal(NdisIMDeInitializeDeviceInstance(h), NDIS_STATUS_FAILURE);
      assert.equal(NdisIMGetBindingContext(h), null);
    }
  });
});

describe("DDI calls with junk, inside a driver", () => {
  test("each junk handle is reported as InvalidNdisHandle, and the host keeps working", async () => {
    const host = new NdisHost({ verifier: "record" });
    const statuses: unknown[] = [];
    await host.loadDriver({
      name: "junk",
      module: driverModule(() => {
        const h = {} as NDIS_HANDLE;
        statuses.push(NdisMSetMiniportAttributes(h, {} as never));
        NdisMPauseComplete(h);
        NdisMRestartComplete(h, NDIS_STATUS_SUCCESS);
        statuses.push(NdisCloseAdapterEx(h));
        NdisCompleteBindAdapterEx(h, NDIS_STATUS_SUCCESS);
        NdisCompleteUnbindAdapterEx(h);
        NdisCompleteNetPnPEvent(h, {} as never, NDIS_STATUS_SUCCESS);
        statuses.push(NdisIMInitializeDeviceInstanceEx(h, "x", undefined));
        statuses.push(NdisIMCancelInitializeDeviceInstance(h, "x"));
        statuses.push(NdisIMDeInitializeDeviceInstance(h));
        statuses.push(NdisIMGetBindingContext(h));
        return NDIS_STATUS_SUCCESS;
      }),
    });
    assert.deepEqual(statuses, [
      NDIS_STATUS_FAILURE,
      NDIS_STATUS_FAILURE,
      NDIS_STATUS_FAILURE,
      NDIS_STATUS_FAILURE,
      NDIS_STATUS_FAILURE,
      null,
    ]);
    assert.equal(host.violations.length, 11);
    assert.ok(host.violations.every((v) => v.rule === "InvalidNdisHandle"));
    await host.loadDriver({ name: "testmp", module: testMiniport });
    assert.equal((await host.addAdapter({ driver: "testmp", name: "eth0" })).state, "Running");
  });

  test("NdisOpenAdapterEx with hostile open parameters or a foreign protocol handle fails the bind cleanly", async () => {
    for (const [what, params, handle] of [
      ["no header", {}, "own"],
      ["a protocol's handle of another driver", undefined, "other"],
      ["a frozen out-parameter", undefined, "frozen"],
      [
        "a throwing MediumArray",
        {
          Header: { Type: NDIS_OBJECT_TYPE_OPEN_PARAMETERS, Revision: 1, Size: 0 },
          AdapterName: "eth0",
          get MediumArray() {
            throw new Error("no");
          },
        },
        "own",
      ],
    ] as const) {
      const host = new NdisHost({ verifier: "record" });
      await host.loadDriver({ name: "testmp", module: testMiniport });
      const other = scriptedProtocol({ name: "other" });
      await host.loadDriver({ name: "other", module: other.module });
      const statuses: number[] = [];
      const proto = scriptedProtocol({
        name: "proto",
        bind: (b, bindContext) => {
          const status = NdisOpenAdapterEx(
            (handle === "other" ? other.protocolHandle() : proto.protocolHandle()) as NDIS_HANDLE,
            b,
            (params ?? {
              Header: { Type: NDIS_OBJECT_TYPE_OPEN_PARAMETERS, Revision: 1, Size: 0 },
              AdapterName: "eth0",
              MediumArray: [0],
              MediumArraySize: 1,
              SelectedMediumIndex: {},
            }) as never,
            bindContext,
            handle === "frozen" ? Object.freeze({}) : {},
          );
          statuses.push(status);
          return status;
        },
      });
      await host.loadDriver({ name: "proto", module: proto.module });
      await host.addAdapter({ driver: "testmp", name: "eth0" });
      assert.deepEqual(statuses, [NDIS_STATUS_FAILURE], what);
      assert.deepEqual(
        host.bindings.filter((b) => b.protocol === "proto"),
        [],
        what,
      );
      assert.ok(
        host.violations.every((v) => v.rule === "InvalidNdisHandle"),
        what,
      );
    }
  });

  test("NdisMSetMiniportAttributes with an unreadable structure: INVALID_PARAMETER", async () => {
    const host = new NdisHost({ verifier: "record" });
    let status = -1;
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error("no");
        },
      },
    );
    const { scriptedMiniport } = await import("../helpers/miniport.js");
    const mp = scriptedMiniport({
      initialize: (h) => {
        status = NdisMSetMiniportAttributes(h, hostile as never);
        return NDIS_STATUS_FAILURE;
      },
    });
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.equal(status, NDIS_STATUS_INVALID_PARAMETER);
  });
});
