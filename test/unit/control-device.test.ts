/**
 * Control devices, as learn.microsoft.com documents them: the NdisRegisterDeviceEx,
 * NdisDeregisterDeviceEx and NDIS_DEVICE_OBJECT_ATTRIBUTES pages (a \Device\ name, a \DosDevices\
 * link user mode opens, a dispatch table, an extension), and the I/O manager's part
 * ("Handling IRPs": IRP_MJ_CREATE on open, IRP_MJ_CLEANUP then IRP_MJ_CLOSE on close; buffered,
 * direct and neither I/O; "Buffer Descriptions for I/O Control Codes" for METHOD_*; a dispatch
 * routine completes the IRP with IoCompleteRequest or marks it pending and returns
 * STATUS_PENDING). A Node program reaches the device through `host.openDevice`.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  CTL_CODE,
  type DEVICE_OBJECT,
  DeviceIoError,
  DO_BUFFERED_IO,
  DO_DIRECT_IO,
  type DRIVER_DISPATCH,
  type DRIVER_OBJECT,
  FILE_ANY_ACCESS,
  FILE_DEVICE_NETWORK,
  IO_NO_INCREMENT,
  IoCompleteRequest,
  IoCreateDevice,
  IoCreateSymbolicLink,
  IoDeleteDevice,
  IoDeleteSymbolicLink,
  IoGetCurrentIrpStackLocation,
  IoMarkIrpPending,
  type IRP,
  IRP_MJ_CLEANUP,
  IRP_MJ_CLOSE,
  IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL,
  IRP_MJ_MAXIMUM_FUNCTION,
  IRP_MJ_READ,
  IRP_MJ_WRITE,
  type MDL,
  METHOD_BUFFERED,
  METHOD_OUT_DIRECT,
  NDIS_DEVICE_OBJECT_ATTRIBUTES_REVISION_1,
  type NDIS_HANDLE,
  NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES,
  NDIS_SIZEOF_DEVICE_OBJECT_ATTRIBUTES_REVISION_1,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_SUCCESS,
  NdisDeregisterDeviceEx,
  NdisGetDeviceReservedExtension,
  NdisHost,
  NdisMSetMiniportAttributes,
  NdisRegisterDeviceEx,
  type Out,
  STATUS_CANCELLED,
  STATUS_DELETE_PENDING,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_OBJECT_NAME_COLLISION,
  STATUS_OBJECT_NAME_NOT_FOUND,
  STATUS_PENDING,
  STATUS_SUCCESS,
} from "../../src/index.js";
import {
  generalAttributes,
  registrationAttributes,
  scriptedMiniport,
} from "../helpers/miniport.js";

const IOCTL_ECHO = CTL_CODE(FILE_DEVICE_NETWORK, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);
const IOCTL_FILL = CTL_CODE(FILE_DEVICE_NETWORK, 0x801, METHOD_OUT_DIRECT, FILE_ANY_ACCESS);

function complete(irp: IRP, status: number, information = 0): number {
  irp.IoStatus.Status = status;
  irp.IoStatus.Information = information;
  IoCompleteRequest(irp, IO_NO_INCREMENT);
  return status;
}

/** An ndisprot-style device: per-handle context, echo IOCTL, reads pended until data comes. */
async function rig(overrides: Partial<Record<number, DRIVER_DISPATCH | null>> = {}) {
  const host = new NdisHost({ verifier: "record" });
  const mp = scriptedMiniport();
  await host.loadDriver({ name: "mp", module: mp.module });
  const log: string[] = [];
  const pendingReads: IRP[] = [];
  let opened = 0;
  const routines: Record<number, DRIVER_DISPATCH> = {
    [IRP_MJ_CREATE]: (_d, irp) => {
      const stack = IoGetCurrentIrpStackLocation(irp);
      stack.FileObject.FsContext = { id: ++opened };
      log.push(`CREATE ${opened}`);
      return complete(irp, STATUS_SUCCESS);
    },
    [IRP_MJ_CLEANUP]: (_d, irp) => {
      const id = (IoGetCurrentIrpStackLocation(irp).FileObject.FsContext as { id: number }).id;
      log.push(`CLEANUP ${id}`);
      // Complete this handle's pended reads, as ndisprot's cleanup does.
      for (const r of pendingReads.splice(0)) complete(r, STATUS_CANCELLED);
      return complete(irp, STATUS_SUCCESS);
    },
    [IRP_MJ_CLOSE]: (_d, irp) => {
      const id = (IoGetCurrentIrpStackLocation(irp).FileObject.FsContext as { id: number }).id;
      log.push(`CLOSE ${id}`);
      return complete(irp, STATUS_SUCCESS);
    },
    [IRP_MJ_READ]: (_d, irp) => {
      IoMarkIrpPending(irp);
      pendingReads.push(irp);
      return STATUS_PENDING;
    },
    [IRP_MJ_WRITE]: (_d, irp) => {
      const data = irp.AssociatedIrp.SystemBuffer as Uint8Array;
      log.push(`WRITE ${[...data].join(",")}`);
      return complete(irp, STATUS_SUCCESS, data.length);
    },
    [IRP_MJ_DEVICE_CONTROL]: (_d, irp) => {
      const p = IoGetCurrentIrpStackLocation(irp).Parameters.DeviceIoControl;
      if (p.IoControlCode === IOCTL_ECHO) {
        const buffer = irp.AssociatedIrp.SystemBuffer as Uint8Array;
        buffer.reverse(); // the output goes back in the same system buffer
        return complete(irp, STATUS_SUCCESS, p.InputBufferLength);
      }
      if (p.IoControlCode === IOCTL_FILL) {
        const out = irp.MdlAddress?.MappedSystemVa as Uint8Array;
        out.fill(7);
        return complete(irp, STATUS_SUCCESS, p.OutputBufferLength);
      }
      return complete(irp, STATUS_INVALID_DEVICE_REQUEST);
    },
  };
  const table: (DRIVER_DISPATCH | null)[] = [];
  for (let mj = 0; mj <= IRP_MJ_MAXIMUM_FUNCTION; mj++)
    table.push(mj in overrides ? (overrides[mj] ?? null) : (routines[mj] ?? null));
  const deviceObject: Out<DEVICE_OBJECT | null> = {};
  const deviceHandle: Out<NDIS_HANDLE | null> = {};
  const register = (name = "TestDev") =>
    NdisRegisterDeviceEx(
      mp.driverHandle() as NDIS_HANDLE,
      {
        Header: {
          Type: NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES,
          Revision: NDIS_DEVICE_OBJECT_ATTRIBUTES_REVISION_1,
          Size: NDIS_SIZEOF_DEVICE_OBJECT_ATTRIBUTES_REVISION_1,
        },
        DeviceName: `\\Device\\${name}`,
        SymbolicName: `\\DosDevices\\${name}`,
        MajorFunctions: table,
        ExtensionSize: 16,
      },
      deviceObject,
      deviceHandle,
    );
  assert.equal(register(), NDIS_STATUS_SUCCESS);
  (deviceObject.value as DEVICE_OBJECT).Flags |= DO_DIRECT_IO;
  return { host, log, pendingReads, register, deviceObject, deviceHandle };
}

const rules = (host: NdisHost) => host.violations.map((v) => v.rule);

async function rejects(p: Promise<unknown>, status: number): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof DeviceIoError && e.status === status);
}

describe("control devices (NdisRegisterDeviceEx) reached from Node", () => {
  test("open by its link name in any case, IOCTLs buffered and direct, per-handle context", async () => {
    const { host, log, deviceObject } = await rig();
    const a = await host.openDevice("\\\\.\\TestDev");
    const b = await host.openDevice("\\\\.\\testdev");
    assert.deepEqual(log, ["CREATE 1", "CREATE 2"]);
    assert.deepEqual(
      [...(await a.deviceIoControl(IOCTL_ECHO, Uint8Array.of(1, 2, 3), 3))],
      [3, 2, 1],
    );
    assert.deepEqual([...(await b.deviceIoControl(IOCTL_FILL, null, 4))], [7, 7, 7, 7]);
    await rejects(a.deviceIoControl(0x12345678, null, 0), STATUS_INVALID_DEVICE_REQUEST);
    assert.equal(NdisGetDeviceReservedExtension(deviceObject.value as DEVICE_OBJECT)?.length, 16);
    assert.deepEqual(rules(host), []);
  });

  test("a pended read resolves when the driver completes it; buffered writes reach the driver", async () => {
    const { host, log, pendingReads, deviceObject } = await rig();
    const file = await host.openDevice("\\Device\\TestDev");
    let done = false;
    const reading = file.read(8).then((bytes) => {
      done = true;
      return bytes;
    });
    await new Promise<void>((r) => setImmediate(r));
    assert.equal(done, false, "pending until the driver completes it");
    const irp = pendingReads.shift() as IRP;
    (irp.MdlAddress as MDL).MappedSystemVa.set([9, 8, 7]); // DO_DIRECT_IO: an MDL
    complete(irp, STATUS_SUCCESS, 3);
    assert.deepEqual([...(await reading)], [9, 8, 7]);
    (deviceObject.value as DEVICE_OBJECT).Flags = DO_BUFFERED_IO;
    assert.equal(await file.write(Uint8Array.of(4, 5)), 2);
    assert.ok(log.includes("WRITE 4,5"));
    assert.deepEqual(rules(host), []);
  });

  test("close: IRP_MJ_CLEANUP (the driver completes what it holds), then IRP_MJ_CLOSE", async () => {
    const { host, log } = await rig();
    const file = await host.openDevice("\\\\.\\TestDev");
    const reading = file.read(4);
    await file.close();
    await rejects(reading, STATUS_CANCELLED);
    await new Promise<void>((r) => setImmediate(r));
    assert.deepEqual(log, ["CREATE 1", "CLEANUP 1", "CLOSE 1"]);
  });

  test("malformed attributes are refused with INVALID_PARAMETER and named", async () => {
    const { host } = await rig();
    const mp = scriptedMiniport();
    await host.loadDriver({ name: "mp2", module: mp.module });
    const status = NdisRegisterDeviceEx(
      mp.driverHandle() as NDIS_HANDLE,
      {
        Header: {
          Type: NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES,
          Revision: NDIS_DEVICE_OBJECT_ATTRIBUTES_REVISION_1,
          Size: NDIS_SIZEOF_DEVICE_OBJECT_ATTRIBUTES_REVISION_1,
        },
        DeviceName: "Other", // not \\Device\\Other
        SymbolicName: null,
        MajorFunctions: [],
        ExtensionSize: 0,
      },
      {},
      {},
    );
    assert.equal(status, NDIS_STATUS_INVALID_PARAMETER);
    assert.deepEqual(rules(host), ["NdisRegisterDeviceEx_BadAttributes"]);
  });

  test("names: unknown names fail, a taken name collides, a missing routine is an invalid request", async () => {
    const { host, register } = await rig({ [IRP_MJ_WRITE]: null });
    await rejects(host.openDevice("\\\\.\\Nobody"), STATUS_OBJECT_NAME_NOT_FOUND);
    assert.equal(register("TESTDEV"), STATUS_OBJECT_NAME_COLLISION);
    const file = await host.openDevice("\\\\.\\TestDev");
    await rejects(file.write(Uint8Array.of(1)), STATUS_INVALID_DEVICE_REQUEST);
  });

  test("deregistered with a handle open: no new opens, the handle's requests fail, its close still reaches the driver", async () => {
    const { host, log, deviceHandle } = await rig();
    const file = await host.openDevice("\\\\.\\TestDev");
    NdisDeregisterDeviceEx(deviceHandle.value as NDIS_HANDLE);
    await rejects(host.openDevice("\\\\.\\TestDev"), STATUS_OBJECT_NAME_NOT_FOUND);
    await rejects(file.read(1), STATUS_DELETE_PENDING);
    await file.close();
    await new Promise<void>((r) => setImmediate(r));
    assert.deepEqual(log, ["CREATE 1", "CLEANUP 1", "CLOSE 1"]);
    assert.deepEqual(rules(host), []);
  });

  test("pending requests at deregistration, a device never deregistered, bad dispatch returns: reported", async () => {
    const { host, deviceHandle } = await rig({
      [IRP_MJ_WRITE]: () => STATUS_SUCCESS, // returns without completing
    });
    const file = await host.openDevice("\\\\.\\TestDev");
    await file.write(Uint8Array.of(1));
    const reading = file.read(1);
    await new Promise<void>((r) => setImmediate(r));
    NdisDeregisterDeviceEx(deviceHandle.value as NDIS_HANDLE);
    await rejects(reading, STATUS_CANCELLED);
    assert.deepEqual(rules(host), ["Irp_DispatchReturn", "NdisDeregisterDeviceEx_PendingIrps"]);

    const second = await rig({
      [IRP_MJ_CREATE]: (_d, irp) => {
        complete(irp, STATUS_SUCCESS);
        return complete(irp, STATUS_SUCCESS); // twice
      },
    });
    await second.host.openDevice("\\\\.\\TestDev");
    await second.host.unloadDriver("mp");
    assert.deepEqual(rules(second.host), [
      "MULTIPLE_IRP_COMPLETE_REQUESTS",
      "NdisRegisterDeviceEx_NotDeregistered",
    ]);
  });

  test("[MODEL] a MiniportAdapterHandle names its miniport driver and \\DosDevices\\Global\\X is link X (tap-windows6 registers its device so); a handle that is no driver's nor an adapter's is NOT_SUPPORTED", async () => {
    const host = new NdisHost({ verifier: "record" });
    const attrs = (name: string) => ({
      Header: {
        Type: NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES,
        Revision: NDIS_DEVICE_OBJECT_ATTRIBUTES_REVISION_1,
        Size: NDIS_SIZEOF_DEVICE_OBJECT_ATTRIBUTES_REVISION_1,
      },
      DeviceName: `\\Device\\${name}`,
      // The global directory's name for it, as tap-windows6 writes it.
      SymbolicName: `\\DosDevices\\Global\\${name}`,
      MajorFunctions: [
        (_d: DEVICE_OBJECT, irp: IRP) => complete(irp, STATUS_SUCCESS),
        null,
        (_d: DEVICE_OBJECT, irp: IRP) => complete(irp, STATUS_SUCCESS),
      ],
      ExtensionSize: 0,
    });
    const device: Out<NDIS_HANDLE | null> = {};
    let status = -1;
    // From MiniportInitializeEx, with the handle NDIS passed it there.
    const mp = scriptedMiniport({
      initialize: (handle) => {
        status = NdisRegisterDeviceEx(handle, attrs("TapLike"), {}, device);
        const set = NdisMSetMiniportAttributes(handle, registrationAttributes({ handle }));
        if (set !== NDIS_STATUS_SUCCESS) return set;
        return NdisMSetMiniportAttributes(handle, generalAttributes());
      },
    });
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.equal(status, NDIS_STATUS_SUCCESS);
    await (await host.openDevice("\\\\.\\Global\\TapLike")).close();
    await (await host.openDevice("\\\\.\\taplike")).close();
    assert.deepEqual(rules(host), []);
    // A device handle names no driver.
    const other = NdisRegisterDeviceEx(device.value as NDIS_HANDLE, attrs("Other"), {}, {});
    assert.equal(other, NDIS_STATUS_NOT_SUPPORTED);
    assert.deepEqual(rules(host), ["InvalidNdisHandle"]);
    NdisDeregisterDeviceEx(device.value as NDIS_HANDLE);
  });

  test("[MODEL] device attributes with Header.Type NDIS_OBJECT_TYPE_DEFAULT (as Microsoft's MUX sample writes them): refused by default, taken under acceptDefaultHeaderType", async () => {
    for (const accept of [false, true]) {
      const host = new NdisHost({ verifier: "record", acceptDefaultHeaderType: accept });
      const mp = scriptedMiniport();
      await host.loadDriver({ name: "mp", module: mp.module });
      const device: Out<NDIS_HANDLE | null> = {};
      const status = NdisRegisterDeviceEx(
        mp.driverHandle() as NDIS_HANDLE,
        {
          Header: {
            Type: 0x80,
            Revision: NDIS_DEVICE_OBJECT_ATTRIBUTES_REVISION_1,
            Size: NDIS_SIZEOF_DEVICE_OBJECT_ATTRIBUTES_REVISION_1,
          },
          DeviceName: "\\Device\\MuxLike",
          SymbolicName: "\\DosDevices\\Global\\MuxLike",
          MajorFunctions: [],
          ExtensionSize: 0,
        },
        {},
        device,
      );
      assert.equal(status, accept ? NDIS_STATUS_SUCCESS : NDIS_STATUS_INVALID_PARAMETER);
      assert.deepEqual(rules(host), accept ? [] : ["NdisRegisterDeviceEx_BadAttributes"]);
      if (accept) NdisDeregisterDeviceEx(device.value as NDIS_HANDLE);
    }
  });
});

describe("a driver's own device (IoCreateDevice), as ndisprot-style drivers make it in DriverEntry", () => {
  /** A driver that only makes a device: IoCreateDevice, a link, DriverObject->MajorFunction. */
  async function own(options: { deleteAtUnload: boolean }) {
    const host = new NdisHost({ verifier: "record" });
    const log: string[] = [];
    let device: DEVICE_OBJECT | null = null;
    const statuses: number[] = [];
    await host.loadDriver({
      name: "own",
      module: {
        DriverEntry: (DriverObject: DRIVER_OBJECT) => {
          const out: Out<DEVICE_OBJECT | null> = {};
          statuses.push(
            IoCreateDevice(DriverObject, 8, "\\Device\\Own", FILE_DEVICE_NETWORK, 0, false, out),
          );
          // Before the link exists, and again: a name is one device's.
          statuses.push(
            IoCreateDevice(DriverObject, 0, "\\Device\\OWN", FILE_DEVICE_NETWORK, 0, false, {}),
          );
          statuses.push(IoCreateSymbolicLink("\\DosDevices\\Own", "\\Device\\Own"));
          statuses.push(IoCreateSymbolicLink("\\DosDevices\\Own", "\\Device\\Own"));
          statuses.push(IoCreateSymbolicLink("\\DosDevices\\Other", "\\Device\\Nobody"));
          device = out.value ?? null;
          // The table is filled after the device exists, as WDK drivers do.
          DriverObject.MajorFunction[IRP_MJ_CREATE] = (_d, irp) => {
            log.push("CREATE");
            return complete(irp, STATUS_SUCCESS);
          };
          DriverObject.MajorFunction[IRP_MJ_CLOSE] = (_d, irp) => {
            log.push("CLOSE");
            return complete(irp, STATUS_SUCCESS);
          };
          DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = (d, irp) => {
            const ext = d.DeviceExtension as Uint8Array;
            ext[0] = (ext[0] ?? 0) + 1;
            (irp.AssociatedIrp.SystemBuffer as Uint8Array).set([ext[0] ?? 0]);
            return complete(irp, STATUS_SUCCESS, 1);
          };
          DriverObject.DriverUnload = () => {
            IoDeleteSymbolicLink("\\DosDevices\\Own");
            if (options.deleteAtUnload && device !== null) IoDeleteDevice(device);
          };
          return STATUS_SUCCESS;
        },
      },
    });
    return { host, log, statuses, device: () => device };
  }

  test("opened through its link, requests go to DriverObject->MajorFunction, its extension is the driver's; deleted in DriverUnload it is gone", async () => {
    const { host, log, statuses } = await own({ deleteAtUnload: true });
    assert.deepEqual(statuses, [
      STATUS_SUCCESS,
      STATUS_OBJECT_NAME_COLLISION,
      STATUS_SUCCESS,
      STATUS_OBJECT_NAME_COLLISION,
      STATUS_OBJECT_NAME_NOT_FOUND,
    ]);
    const file = await host.openDevice("\\\\.\\own");
    await (await host.openDevice("\\Device\\Own")).close();
    const io = CTL_CODE(FILE_DEVICE_NETWORK, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);
    assert.deepEqual([...(await file.deviceIoControl(io, Uint8Array.of(0), 1))], [1]);
    assert.deepEqual([...(await file.deviceIoControl(io, Uint8Array.of(0), 1))], [2]);
    await rejects(file.read(1), STATUS_INVALID_DEVICE_REQUEST);
    await file.close();
    await new Promise<void>((r) => setImmediate(r));
    await host.unloadDriver("own");
    await rejects(host.openDevice("\\\\.\\Own"), STATUS_OBJECT_NAME_NOT_FOUND);
    await rejects(host.openDevice("\\Device\\Own"), STATUS_OBJECT_NAME_NOT_FOUND);
    assert.deepEqual(log, ["CREATE", "CREATE", "CLOSE", "CLOSE"]);
    assert.deepEqual(rules(host), []);
  });

  test("a device DriverUnload does not delete is reported at unload, naming IoDeleteDevice", async () => {
    const { host } = await own({ deleteAtUnload: false });
    await host.unloadDriver("own");
    const kept = host.violations.filter((v) => v.rule === "NdisRegisterDeviceEx_NotDeregistered");
    assert.equal(kept.length, 1);
    assert.match(kept[0]?.message ?? "", /\\Device\\Own of IoCreateDevice not deleted/);
  });
});
