/**
 * Control devices: NdisRegisterDeviceEx / NdisDeregisterDeviceEx / NdisGetDeviceReservedExtension
 * (their DDI pages and NDIS_DEVICE_OBJECT_ATTRIBUTES'), and the I/O manager routines a dispatch
 * routine uses: IoGetCurrentIrpStackLocation, IoMarkIrpPending, IoCompleteRequest. A Node program
 * opens the device through the host (`host.openDevice`), as a Windows application does with
 * CreateFile and DeviceIoControl.
 */
import {
  type DEVICE_OBJECT,
  type IO_STACK_LOCATION,
  type IRP,
  IRP_MJ_MAXIMUM_FUNCTION,
  type NDIS_DEVICE_OBJECT_ATTRIBUTES,
  NDIS_DEVICE_OBJECT_ATTRIBUTES_REVISION_1,
  NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES,
  NDIS_SIZEOF_DEVICE_OBJECT_ATTRIBUTES_REVISION_1,
  type NTSTATUS,
  STATUS_INVALID_PARAMETER,
  STATUS_OBJECT_NAME_NOT_FOUND,
} from "../../ndis/device.js";
import { PASSIVE_LEVEL } from "../../ndis/irql.js";
import { NDIS_OBJECT_TYPE_DEFAULT } from "../../ndis/object-header.js";
import {
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_SUCCESS,
  STATUS_SUCCESS,
} from "../../ndis/status.js";
import type { DRIVER_OBJECT, NDIS_HANDLE, Out } from "../../ndis/types.js";
import { checkIrql, currentFrame } from "../core/objects/context.js";
import {
  addDevice,
  addLink,
  completeIrp,
  deviceNamed,
  irpDevice,
  linkNameOf,
  linkTaken,
  markPending,
  nameTaken,
  newDeviceObject,
  removeDevice,
  removeLink,
  stackOf,
} from "../core/objects/devices.js";
import {
  describeHandleArgument,
  handleRuntime,
  mintHandle,
  resolveDriverObject,
  resolveHandle,
} from "../core/objects/handles.js";
import type { DeviceRecord } from "../core/objects/records.js";
import { reportAtCaller } from "./lookup.js";
import { enter } from "./trace.js";

/** The NDIS_STATUS of an NTSTATUS name collision (NDIS passes the kernel's status on). */
const STATUS_OBJECT_NAME_COLLISION = 0xc0000035;

const extensions = new WeakMap<DEVICE_OBJECT, Uint8Array>();

/**
 * NdisRegisterDeviceEx: creates a control device named `DeviceName`, reachable from user mode
 * through `SymbolicName`, whose requests go to `MajorFunctions`. PASSIVE_LEVEL.
 *
 * `NdisHandle` is the miniport driver handle or the filter driver handle; [MODEL] a protocol
 * driver handle is accepted too (ndis-ts has no IoCreateDevice, which ndisprot-style protocols
 * use), and [MODEL] so is a MiniportAdapterHandle, as naming its miniport driver: OpenVPN's
 * tap-windows6 registers its per-adapter device from MiniportInitializeEx with the adapter handle
 * and has shipped on Windows for years doing so, so Windows NDIS takes it; the device is the
 * miniport driver's as with the driver handle. Returns SUCCESS; NOT_SUPPORTED for a handle that
 * is no NDIS driver's nor a miniport adapter's; INVALID_PARAMETER for bad attributes;
 * STATUS_OBJECT_NAME_COLLISION when the name or the link exists (names ignore case).
 */
export function NdisRegisterDeviceEx(
  NdisHandle: NDIS_HANDLE,
  DeviceObjectAttributes: NDIS_DEVICE_OBJECT_ATTRIBUTES,
  pDeviceObject: Out<DEVICE_OBJECT | null>,
  NdisDeviceHandle: Out<NDIS_HANDLE | null>,
): NDIS_STATUS {
  if (pDeviceObject !== null && typeof pDeviceObject === "object") pDeviceObject.value = null;
  if (NdisDeviceHandle !== null && typeof NdisDeviceHandle === "object")
    NdisDeviceHandle.value = null;
  const target = resolveHandle(NdisHandle);
  const runtime = target?.driver.runtime ?? handleRuntime(NdisHandle) ?? currentFrame().runtime;
  if (runtime === null) return NDIS_STATUS_NOT_SUPPORTED;
  runtime.assertAlive();
  const driver = target?.driver ?? currentFrame().driver;
  const done = enter(runtime, "NdisRegisterDeviceEx", driver);
  checkIrql(
    runtime,
    driver,
    "NdisRegisterDeviceEx",
    PASSIVE_LEVEL,
    "Irql_Miniport_Driver_Function",
  );
  if (
    target === null ||
    (target.kind !== "miniport-driver" &&
      target.kind !== "filter-driver" &&
      target.kind !== "protocol-driver" &&
      target.kind !== "miniport-adapter")
  ) {
    reportAtCaller(
      runtime,
      "InvalidNdisHandle",
      `NdisRegisterDeviceEx got ${describeHandleArgument(NdisHandle)}; it needs the handle of NdisMRegisterMiniportDriver or NdisFRegisterFilterDriver (or a MiniportAdapterHandle, taken as its miniport driver's)`,
    );
    return done(NDIS_STATUS_NOT_SUPPORTED, "not an NDIS driver handle");
  }
  const a = DeviceObjectAttributes as Partial<NDIS_DEVICE_OBJECT_ATTRIBUTES> | null | undefined;
  let why: string | null = null;
  if (a === null || typeof a !== "object") why = "DeviceObjectAttributes is NULL";
  else if (
    a.Header?.Type !== NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES &&
    // [MODEL] as for characteristics: Windows takes NDIS_OBJECT_TYPE_DEFAULT here from
    // Microsoft's MUX sample ("type implicit from the context"), accepted with the host option.
    !(runtime.acceptDefaultHeaderType && a.Header?.Type === NDIS_OBJECT_TYPE_DEFAULT)
  )
    why = "Header.Type is not NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES";
  else if (a.Header.Revision !== NDIS_DEVICE_OBJECT_ATTRIBUTES_REVISION_1)
    why = "Header.Revision is not NDIS_DEVICE_OBJECT_ATTRIBUTES_REVISION_1";
  else if (
    typeof a.Header.Size !== "number" ||
    a.Header.Size < NDIS_SIZEOF_DEVICE_OBJECT_ATTRIBUTES_REVISION_1
  )
    why = "Header.Size is below NDIS_SIZEOF_DEVICE_OBJECT_ATTRIBUTES_REVISION_1";
  else if (typeof a.DeviceName !== "string" || !/^\\Device\\[^\\]+$/i.test(a.DeviceName))
    why = `DeviceName ${JSON.stringify(a.DeviceName)} is not a full name \\Device\\Name`;
  else if (
    a.SymbolicName !== null &&
    a.SymbolicName !== undefined &&
    (typeof a.SymbolicName !== "string" || linkNameOf(a.SymbolicName) === null)
  )
    why = `SymbolicName ${JSON.stringify(a.SymbolicName)} is not \\DosDevices\\Name (nor \\DosDevices\\Global\\Name)`;
  else if (
    !Array.isArray(a.MajorFunctions) ||
    a.MajorFunctions.length > IRP_MJ_MAXIMUM_FUNCTION + 1
  )
    why = "MajorFunctions is not an array of at most IRP_MJ_MAXIMUM_FUNCTION + 1 dispatch routines";
  else if (a.MajorFunctions.some((f) => f !== null && f !== undefined && typeof f !== "function"))
    why = "MajorFunctions holds something that is not a dispatch routine";
  else if (
    typeof a.ExtensionSize !== "number" ||
    !Number.isInteger(a.ExtensionSize) ||
    a.ExtensionSize < 0
  )
    why = "ExtensionSize is not a ULONG";
  if (why !== null || a === null || a === undefined) {
    reportAtCaller(runtime, "NdisRegisterDeviceEx_BadAttributes", `NdisRegisterDeviceEx: ${why}`);
    return done(NDIS_STATUS_INVALID_PARAMETER, why ?? undefined);
  }
  const attrs = a as NDIS_DEVICE_OBJECT_ATTRIBUTES;
  const link = attrs.SymbolicName ? linkNameOf(attrs.SymbolicName) : null;
  if (nameTaken(runtime, attrs.DeviceName, link))
    return done(STATUS_OBJECT_NAME_COLLISION, `${attrs.DeviceName} exists`);
  if (runtime.takeAllocationFailure("NdisRegisterDeviceEx"))
    return done(NDIS_STATUS_FAILURE, "out of resources");
  const deviceObject = newDeviceObject(target.driver);
  const extension = new Uint8Array(attrs.ExtensionSize);
  extensions.set(deviceObject, extension);
  const device: DeviceRecord = {
    kind: "device",
    driver: target.driver,
    deviceName: attrs.DeviceName,
    linkName: link,
    majorFunctions: Object.freeze([...attrs.MajorFunctions]),
    deviceObject,
    extension,
    handle: null as unknown as NDIS_HANDLE,
    deregistered: false,
    files: new Set(),
    wdm: false,
  };
  device.handle = mintHandle(`device ${attrs.DeviceName}`, device);
  addDevice(device);
  pDeviceObject.value = deviceObject;
  NdisDeviceHandle.value = device.handle;
  return done(NDIS_STATUS_SUCCESS, attrs.DeviceName);
}

/**
 * NdisDeregisterDeviceEx: takes the device away (PASSIVE_LEVEL). New opens fail; handles still
 * open fail their new requests with STATUS_DELETE_PENDING and still send IRP_MJ_CLEANUP and
 * IRP_MJ_CLOSE when closed. Requests still pending are reported and completed with
 * STATUS_CANCELLED.
 */
export function NdisDeregisterDeviceEx(NdisDeviceHandle: NDIS_HANDLE): void {
  const target = resolveHandle(NdisDeviceHandle);
  const runtime =
    target?.driver.runtime ?? handleRuntime(NdisDeviceHandle) ?? currentFrame().runtime;
  if (runtime === null) return;
  runtime.assertAlive();
  if (target?.kind !== "device") {
    reportAtCaller(
      runtime,
      "InvalidNdisHandle",
      `NdisDeregisterDeviceEx got ${describeHandleArgument(NdisDeviceHandle)}; it needs a device handle from NdisRegisterDeviceEx`,
    );
    return;
  }
  const done = enter(runtime, "NdisDeregisterDeviceEx", target.driver);
  checkIrql(
    runtime,
    target.driver,
    "NdisDeregisterDeviceEx",
    PASSIVE_LEVEL,
    "Irql_Miniport_Driver_Function",
  );
  const cancelled = removeDevice(target);
  if (cancelled > 0)
    reportAtCaller(
      runtime,
      "NdisDeregisterDeviceEx_PendingIrps",
      `NdisDeregisterDeviceEx of ${target.deviceName} with ${cancelled} request${cancelled === 1 ? "" : "s"} still pending; NDIS completed ${cancelled === 1 ? "it" : "them"} with STATUS_CANCELLED`,
      target.driver,
    );
  done(undefined, target.deviceName);
}

/** NdisGetDeviceReservedExtension: the ExtensionSize bytes NDIS allocated with the device. */
export function NdisGetDeviceReservedExtension(DeviceObject: DEVICE_OBJECT): Uint8Array | null {
  return extensions.get(DeviceObject) ?? null;
}

/** IoGetCurrentIrpStackLocation: what the request asks. */
export function IoGetCurrentIrpStackLocation(Irp: IRP): IO_STACK_LOCATION {
  const stack = stackOf(Irp);
  if (stack === null) {
    reportAtCaller(
      null,
      "InvalidNdisHandle",
      "IoGetCurrentIrpStackLocation got something that is not an IRP",
    );
    throw new TypeError("IoGetCurrentIrpStackLocation: not an IRP");
  }
  return stack;
}

/** IoMarkIrpPending: the dispatch routine will return STATUS_PENDING and complete it later. */
export function IoMarkIrpPending(Irp: IRP): void {
  if (!markPending(Irp))
    reportAtCaller(null, "InvalidNdisHandle", "IoMarkIrpPending got something that is not an IRP");
}

/**
 * IoCompleteRequest: the request is done, with `Irp.IoStatus` (Status, Information). ≤
 * DISPATCH_LEVEL. Completing one twice is MULTIPLE_IRP_COMPLETE_REQUESTS.
 */
export function IoCompleteRequest(Irp: IRP, _PriorityBoost: number): void {
  const result = completeIrp(Irp);
  const device = irpDevice(Irp);
  if (result === "twice" && device !== null)
    reportAtCaller(
      device.driver.runtime,
      "MULTIPLE_IRP_COMPLETE_REQUESTS",
      `IoCompleteRequest of an IRP of ${device.deviceName} that was already completed`,
      device.driver,
    );
  else if (result === "not-irp")
    reportAtCaller(null, "InvalidNdisHandle", "IoCompleteRequest got something that is not an IRP");
}

/** IoCreateDevice's devices, by their DEVICE_OBJECT. */
const wdmDevices = new WeakMap<DEVICE_OBJECT, DeviceRecord>();

/**
 * IoCreateDevice: a named device object of the driver's own, outside NDIS — how ndisprot-style
 * protocols (and older filters) make their control device in DriverEntry. PASSIVE_LEVEL. Its
 * requests go to the dispatch routines in `DriverObject.MajorFunction`, read at each request (a
 * driver fills the table after this call, as on Windows); user mode reaches it through a link
 * made with IoCreateSymbolicLink. The extension is `DeviceExtensionSize` zeroed bytes (C:
 * `DeviceObject->DeviceExtension`). Returns STATUS_SUCCESS; STATUS_OBJECT_NAME_COLLISION when the
 * name exists; STATUS_INVALID_PARAMETER for a DRIVER_OBJECT that is no loaded driver's or a name
 * that is not `\Device\Name` ([MODEL] an unnamed device cannot be opened from user mode, and
 * ndis-ts has no device stacks to attach it to, so it is refused);
 * `DeviceType`,
 * `DeviceCharacteristics` and `Exclusive` are accepted and not modelled (no security, any number
 * of handles). The driver deletes the device with IoDeleteDevice (in its DriverUnload): one left at
 * unload is `NdisRegisterDeviceEx_NotDeregistered`.
 */
export function IoCreateDevice(
  DriverObject: DRIVER_OBJECT,
  DeviceExtensionSize: number,
  DeviceName: string | null,
  _DeviceType: number,
  _DeviceCharacteristics: number,
  _Exclusive: boolean,
  DeviceObject: Out<DEVICE_OBJECT | null>,
): NTSTATUS {
  if (DeviceObject !== null && typeof DeviceObject === "object") DeviceObject.value = null;
  const driver = resolveDriverObject(DriverObject);
  const runtime = driver?.runtime ?? currentFrame().runtime;
  if (runtime === null) return STATUS_INVALID_PARAMETER;
  runtime.assertAlive();
  const done = enter(runtime, "IoCreateDevice", driver ?? currentFrame().driver);
  if (driver === null) {
    reportAtCaller(
      runtime,
      "InvalidNdisHandle",
      "IoCreateDevice got a DriverObject that is not a loaded driver's (pass the one DriverEntry got)",
    );
    return done(STATUS_INVALID_PARAMETER, "not a DRIVER_OBJECT");
  }
  checkIrql(runtime, driver, "IoCreateDevice", PASSIVE_LEVEL, "Irql_Miscellaneous_Function");
  if (typeof DeviceName !== "string" || !/^\\Device\\[^\\]+$/i.test(DeviceName))
    return done(
      STATUS_INVALID_PARAMETER,
      `DeviceName ${JSON.stringify(DeviceName)} is not a full name \\Device\\Name`,
    );
  if (!Number.isInteger(DeviceExtensionSize) || DeviceExtensionSize < 0)
    return done(STATUS_INVALID_PARAMETER, "DeviceExtensionSize is not a ULONG");
  if (nameTaken(runtime, DeviceName, null))
    return done(STATUS_OBJECT_NAME_COLLISION, `${DeviceName} exists`);
  const extension = new Uint8Array(DeviceExtensionSize);
  const deviceObject: DEVICE_OBJECT = { ...newDeviceObject(driver), DeviceExtension: extension };
  extensions.set(deviceObject, extension);
  const device: DeviceRecord = {
    kind: "device",
    driver,
    deviceName: DeviceName,
    linkName: null,
    // Read at each request: the driver fills DriverObject->MajorFunction after this call.
    majorFunctions: DriverObject.MajorFunction,
    deviceObject,
    extension,
    handle: null as unknown as NDIS_HANDLE,
    deregistered: false,
    files: new Set(),
    wdm: true,
  };
  device.handle = mintHandle(`device ${DeviceName}`, device);
  addDevice(device);
  wdmDevices.set(deviceObject, device);
  DeviceObject.value = deviceObject;
  return done(STATUS_SUCCESS, DeviceName);
}

/**
 * IoDeleteDevice: removes a device of IoCreateDevice (PASSIVE_LEVEL), with its symbolic link if
 * the driver left one. As NdisDeregisterDeviceEx: handles still open get STATUS_DELETE_PENDING for
 * new requests and still send IRP_MJ_CLEANUP/IRP_MJ_CLOSE; requests still pending are reported
 * (NdisDeregisterDeviceEx_PendingIrps) and completed with STATUS_CANCELLED.
 */
export function IoDeleteDevice(DeviceObject: DEVICE_OBJECT): void {
  const device = wdmDevices.get(DeviceObject) ?? null;
  const runtime = device?.driver.runtime ?? currentFrame().runtime;
  if (runtime === null) return;
  if (device === null || device.deregistered) {
    reportAtCaller(
      runtime,
      "InvalidNdisHandle",
      device === null
        ? "IoDeleteDevice got something that is not a device of IoCreateDevice"
        : `IoDeleteDevice of ${device.deviceName}, deleted already`,
    );
    return;
  }
  const done = enter(runtime, "IoDeleteDevice", device.driver);
  checkIrql(runtime, device.driver, "IoDeleteDevice", PASSIVE_LEVEL, "Irql_Miscellaneous_Function");
  const cancelled = removeDevice(device);
  if (cancelled > 0)
    reportAtCaller(
      runtime,
      "NdisDeregisterDeviceEx_PendingIrps",
      `IoDeleteDevice of ${device.deviceName} with ${cancelled} request${cancelled === 1 ? "" : "s"} still pending; the I/O manager completed ${cancelled === 1 ? "it" : "them"} with STATUS_CANCELLED`,
      device.driver,
    );
  done(undefined, device.deviceName);
}

/**
 * IoCreateSymbolicLink: `SymbolicLinkName` (`\DosDevices\X`, `\??\X`, `\DosDevices\Global\X`)
 * names the device `DeviceName`, so user mode opens `\\.\X`. PASSIVE_LEVEL. Returns
 * STATUS_SUCCESS; STATUS_OBJECT_NAME_COLLISION when the link exists; STATUS_OBJECT_NAME_NOT_FOUND
 * when no device has that name; STATUS_INVALID_PARAMETER for a link name ndis-ts does not know.
 * [MODEL] A link names a device here, not any object path: to a device of NdisRegisterDeviceEx
 * it adds a second link only if that device has none.
 */
export function IoCreateSymbolicLink(SymbolicLinkName: string, DeviceName: string): NTSTATUS {
  const runtime = currentFrame().runtime;
  if (runtime === null) return STATUS_INVALID_PARAMETER;
  runtime.assertAlive();
  const done = enter(runtime, "IoCreateSymbolicLink", currentFrame().driver);
  const link = typeof SymbolicLinkName === "string" ? linkNameOf(SymbolicLinkName) : null;
  if (link === null)
    return done(
      STATUS_INVALID_PARAMETER,
      `SymbolicLinkName ${JSON.stringify(SymbolicLinkName)} is not \\DosDevices\\Name`,
    );
  if (linkTaken(runtime, link)) return done(STATUS_OBJECT_NAME_COLLISION, `${link} exists`);
  const device = typeof DeviceName === "string" ? deviceNamed(runtime, DeviceName) : null;
  if (device === null || device.linkName !== null)
    return done(
      device === null ? STATUS_OBJECT_NAME_NOT_FOUND : STATUS_INVALID_PARAMETER,
      device === null ? `no device ${DeviceName}` : `${DeviceName} has a link already`,
    );
  addLink(device, link);
  return done(STATUS_SUCCESS, `${link} → ${device.deviceName}`);
}

/** IoDeleteSymbolicLink: removes a link (PASSIVE_LEVEL); STATUS_OBJECT_NAME_NOT_FOUND if none. */
export function IoDeleteSymbolicLink(SymbolicLinkName: string): NTSTATUS {
  const runtime = currentFrame().runtime;
  if (runtime === null) return STATUS_INVALID_PARAMETER;
  const done = enter(runtime, "IoDeleteSymbolicLink", currentFrame().driver);
  const link = typeof SymbolicLinkName === "string" ? linkNameOf(SymbolicLinkName) : null;
  if (link === null || !removeLink(runtime, link))
    return done(STATUS_OBJECT_NAME_NOT_FOUND, `no link ${SymbolicLinkName}`);
  return done(STATUS_SUCCESS, link);
}
