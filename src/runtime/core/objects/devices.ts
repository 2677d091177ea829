/**
 * Control devices of NDIS drivers and the I/O manager's part of them: the names a device is
 * opened by, I/O request packets built as the I/O manager builds them (buffered, direct and
 * neither I/O; the METHOD_* of an I/O control code), their dispatch to the driver's routine at
 * PASSIVE_LEVEL, and their completion (IoCompleteRequest, now or after STATUS_PENDING).
 *
 * [MODEL] What Windows does for a handle — IRP_MJ_CREATE on open; on close IRP_MJ_CLEANUP, then
 * IRP_MJ_CLOSE once the handle's last request has completed — is done for Node callers through
 * the host (`host.openDevice`), the way CreateFile/DeviceIoControl/ReadFile/WriteFile/CloseHandle
 * reach a driver on Windows.
 */
import {
  type DEVICE_OBJECT,
  DO_BUFFERED_IO,
  DO_DIRECT_IO,
  type DRIVER_DISPATCH,
  type FILE_OBJECT,
  type IO_STACK_LOCATION,
  type IRP,
  IRP_MJ_CLEANUP,
  IRP_MJ_CLOSE,
  IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL,
  IRP_MJ_READ,
  IRP_MJ_WRITE,
  METHOD_BUFFERED,
  METHOD_NEITHER,
  type NTSTATUS,
  STATUS_CANCELLED,
  STATUS_DELETE_PENDING,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_NO_SUCH_DEVICE,
  STATUS_OBJECT_NAME_NOT_FOUND,
  STATUS_PENDING,
} from "../../../ndis/device.js";
import { PASSIVE_LEVEL } from "../../../ndis/irql.js";
import type { MDL } from "../../../ndis/nbl.js";
import { callDriver, isPromiseLike } from "./context.js";
import { revokeHandle } from "./handles.js";
import { type DeviceRecord, type DriverRecord, MdlObject, type NdisRuntime } from "./records.js";

const MAJOR_NAMES: Record<number, string> = {
  [IRP_MJ_CREATE]: "IRP_MJ_CREATE",
  [IRP_MJ_CLOSE]: "IRP_MJ_CLOSE",
  [IRP_MJ_READ]: "IRP_MJ_READ",
  [IRP_MJ_WRITE]: "IRP_MJ_WRITE",
  [IRP_MJ_DEVICE_CONTROL]: "IRP_MJ_DEVICE_CONTROL",
  [IRP_MJ_CLEANUP]: "IRP_MJ_CLEANUP",
};

const STATUS_UNSUCCESSFUL = 0xc0000001;

/** The devices of each NDIS, by lower-cased device name and by lower-cased link name. */
const registries = new WeakMap<
  NdisRuntime,
  { byName: Map<string, DeviceRecord>; byLink: Map<string, DeviceRecord> }
>();

function registryOf(runtime: NdisRuntime) {
  let r = registries.get(runtime);
  if (r === undefined) {
    r = { byName: new Map(), byLink: new Map() };
    registries.set(runtime, r);
  }
  return r;
}

/**
 * The link name of a symbolic name (`\DosDevices\X`, `\??\X`, `\Global??\X` → `X`), or null.
 * `\DosDevices\Global\X` (and `\??\Global\X`) names X in the global directory ("Local and
 * Global MS-DOS Device Names"); ndis-ts has one directory, so it is X too.
 */
export function linkNameOf(symbolic: string): string | null {
  const m = /^\\(?:(?:DosDevices|\?\?)(?:\\Global)?|Global\?\?)\\([^\\]+)$/i.exec(symbolic);
  return m === null ? null : (m[1] as string);
}

/** Whether a device (or a link) of that name exists (names compare without regard to case). */
export function nameTaken(runtime: NdisRuntime, deviceName: string, link: string | null): boolean {
  const r = registryOf(runtime);
  return (
    r.byName.has(deviceName.toLowerCase()) || (link !== null && r.byLink.has(link.toLowerCase()))
  );
}

export function addDevice(device: DeviceRecord): void {
  const r = registryOf(device.driver.runtime);
  r.byName.set(device.deviceName.toLowerCase(), device);
  if (device.linkName !== null) r.byLink.set(device.linkName.toLowerCase(), device);
}

/** The device named `deviceName` (`\Device\X`, any case), or null. */
export function deviceNamed(runtime: NdisRuntime, deviceName: string): DeviceRecord | null {
  return registryOf(runtime).byName.get(deviceName.toLowerCase()) ?? null;
}

/** Whether a symbolic link `link` (its name without prefix) exists. */
export function linkTaken(runtime: NdisRuntime, link: string): boolean {
  return registryOf(runtime).byLink.has(link.toLowerCase());
}

/** Makes `link` name `device` (IoCreateSymbolicLink). */
export function addLink(device: DeviceRecord, link: string): void {
  device.linkName = link;
  registryOf(device.driver.runtime).byLink.set(link.toLowerCase(), device);
}

/** Removes the symbolic link `link` (IoDeleteSymbolicLink); false when there is none. */
export function removeLink(runtime: NdisRuntime, link: string): boolean {
  const r = registryOf(runtime);
  const device = r.byLink.get(link.toLowerCase());
  if (device === undefined) return false;
  r.byLink.delete(link.toLowerCase());
  if (device.linkName?.toLowerCase() === link.toLowerCase()) device.linkName = null;
  return true;
}

/**
 * The device a path names (`\\.\X`, `\\.\Global\X`, `\DosDevices\X`, `\??\X`, `\Device\X`), with
 * the rest.
 */
function lookup(runtime: NdisRuntime, path: string): { device: DeviceRecord; rest: string } | null {
  const r = registryOf(runtime);
  const win32 = /^\\\\\.\\(?:Global\\)?([^\\]+)(.*)$/i.exec(path);
  const nt = /^\\(?:(?:DosDevices|\?\?)(?:\\Global)?|Global\?\?)\\([^\\]+)(.*)$/i.exec(path);
  const link = win32 ?? nt;
  if (link !== null) {
    const device = r.byLink.get((link[1] as string).toLowerCase());
    return device === undefined ? null : { device, rest: link[2] as string };
  }
  const m = /^(\\Device\\[^\\]+)(.*)$/i.exec(path);
  if (m === null) return null;
  const device = r.byName.get((m[1] as string).toLowerCase());
  return device === undefined ? null : { device, rest: m[2] as string };
}

/** The outcome of a request as its caller sees it. */
export interface IrpOutcome {
  readonly Status: NTSTATUS;
  readonly Information: number;
  /** The bytes returned (reads, I/O control output), `Information` long. */
  readonly output: Uint8Array;
}

interface FileEntry {
  readonly file: FILE_OBJECT;
  readonly pending: Set<IRP>;
}

class IrpObject implements IRP {
  MdlAddress: MDL | null = null;
  readonly AssociatedIrp: { SystemBuffer: Uint8Array | null } = { SystemBuffer: null };
  readonly IoStatus = { Status: 0, Information: 0 };
  UserBuffer: Uint8Array | null = null;
  Cancel = false;
  completed = false;
  markedPending = false;
  readonly stack: IO_STACK_LOCATION;
  readonly device: DeviceRecord;
  readonly entry: FileEntry;
  /** Where the caller's output is read from once the request completes. */
  output: () => Uint8Array = () => new Uint8Array(0);
  /** The most IoStatus.Information may say (a write's length); else the output's length. */
  limit: number | null = null;
  settle: (outcome: IrpOutcome) => void = () => {};

  constructor(device: DeviceRecord, entry: FileEntry, stack: IO_STACK_LOCATION) {
    this.device = device;
    this.entry = entry;
    this.stack = stack;
  }
}

/** IoGetCurrentIrpStackLocation's answer, or null for something that is not an IRP of NDIS's. */
export function stackOf(irp: unknown): IO_STACK_LOCATION | null {
  return irp instanceof IrpObject ? irp.stack : null;
}

/** The device an IRP of NDIS's was sent to, or null. */
export function irpDevice(irp: unknown): DeviceRecord | null {
  return irp instanceof IrpObject ? irp.device : null;
}

/** IoMarkIrpPending: false for something that is not an IRP of NDIS's. */
export function markPending(irp: unknown): boolean {
  if (!(irp instanceof IrpObject)) return false;
  irp.markedPending = true;
  return true;
}

/**
 * IoCompleteRequest: "not-irp" for something that is not an IRP NDIS built, "twice" for one
 * completed already; else the caller hears the outcome.
 */
export function completeIrp(irp: unknown): "ok" | "not-irp" | "twice" {
  if (!(irp instanceof IrpObject)) return "not-irp";
  if (irp.completed) return "twice";
  finish(irp, irp.IoStatus.Status >>> 0);
  return "ok";
}

/**
 * An IRP's `output`. Made here and then stored, never written as `request.output = () => …`: V8
 * allocates a function literal assigned straight to a property in the old generation, and an old
 * function keeps its scope (the request's buffers, the device) alive through every scavenge.
 */
function transferOutput(bytes: Uint8Array): () => Uint8Array {
  return () => bytes;
}

function finish(irp: IrpObject, status: NTSTATUS): void {
  irp.completed = true;
  irp.entry.pending.delete(irp);
  const failed = (status & 0xc0000000) === 0xc0000000;
  const all = irp.output();
  const most = irp.limit ?? all.length;
  const information = failed ? 0 : Math.min(Math.max(0, irp.IoStatus.Information | 0), most);
  irp.settle({ Status: status, Information: information, output: all.slice(0, information) });
  idle.get(irp.entry)?.();
}

/** Runs when a closing handle's last request completes (then IRP_MJ_CLOSE goes). */
const idle = new WeakMap<FileEntry, () => void>();

function stackLocation(
  device: DeviceRecord,
  file: FILE_OBJECT,
  major: number,
  fields: {
    length?: number;
    code?: number;
    inLength?: number;
    outLength?: number;
    type3?: Uint8Array | null;
  },
): IO_STACK_LOCATION {
  const rw = Object.freeze({ Length: fields.length ?? 0, ByteOffset: 0n });
  return Object.freeze({
    MajorFunction: major,
    MinorFunction: 0,
    Parameters: Object.freeze({
      Read: rw,
      Write: rw,
      DeviceIoControl: Object.freeze({
        OutputBufferLength: fields.outLength ?? 0,
        InputBufferLength: fields.inLength ?? 0,
        IoControlCode: fields.code ?? 0,
        Type3InputBuffer: fields.type3 ?? null,
      }),
    }),
    DeviceObject: device.deviceObject,
    FileObject: file,
  });
}

/** Sends `irp` to the device's dispatch routine; resolves when it is completed. */
function dispatch(irp: IrpObject): Promise<IrpOutcome> {
  const { device, entry } = irp;
  const { driver } = device;
  const runtime = driver.runtime;
  const major = irp.stack.MajorFunction;
  const name = MAJOR_NAMES[major] ?? `IRP_MJ 0x${major.toString(16)}`;
  return new Promise<IrpOutcome>((resolve) => {
    irp.settle = resolve;
    const routine = device.majorFunctions[major] as DRIVER_DISPATCH | null | undefined;
    if (driver.crashed !== null || driver.state === "unloading") {
      finish(irp, STATUS_NO_SUCH_DEVICE);
      return;
    }
    if (typeof routine !== "function") {
      finish(irp, STATUS_INVALID_DEVICE_REQUEST);
      return;
    }
    entry.pending.add(irp);
    const THREW = Symbol("threw");
    const returned: unknown = callDriver(
      runtime,
      driver,
      `Dispatch(${name})`,
      PASSIVE_LEVEL,
      () => routine(device.deviceObject, irp) as unknown,
      () => THREW,
      device.deviceName,
    );
    const settle = (value: unknown) => {
      if (value === THREW) {
        if (!irp.completed) finish(irp, STATUS_UNSUCCESSFUL);
        return;
      }
      if (value === STATUS_PENDING) {
        if (!irp.markedPending && !irp.completed)
          runtime.violate(
            "Irp_DispatchReturn",
            `the ${name} dispatch routine of ${device.deviceName} returned STATUS_PENDING without IoMarkIrpPending`,
            driver,
          );
        return;
      }
      if (!irp.completed) {
        runtime.violate(
          "Irp_DispatchReturn",
          `the ${name} dispatch routine of ${device.deviceName} returned ${typeof value === "number" ? `0x${(value >>> 0).toString(16)}` : typeof value} without completing the IRP (IoCompleteRequest) or returning STATUS_PENDING; NDIS completed it with that status`,
          driver,
        );
        finish(irp, typeof value === "number" ? value >>> 0 : STATUS_UNSUCCESSFUL);
      }
    };
    if (isPromiseLike(returned)) void Promise.resolve(returned).then(settle);
    else settle(returned);
  });
}

/** An open handle of a device, as the host hands it to a Node caller. */
export interface OpenFile {
  read(length: number): Promise<IrpOutcome>;
  write(data: Uint8Array): Promise<IrpOutcome>;
  deviceIoControl(
    code: number,
    input: Uint8Array | null,
    outputLength: number,
  ): Promise<IrpOutcome>;
  close(): Promise<void>;
}

const refused = (Status: NTSTATUS): Promise<IrpOutcome> =>
  Promise.resolve({ Status, Information: 0, output: new Uint8Array(0) });

/**
 * Opens `path` (IRP_MJ_CREATE): the handle, or the failing status (no such name, the driver
 * refused the open).
 */
export async function openDevice(runtime: NdisRuntime, path: string): Promise<OpenFile | NTSTATUS> {
  const found = lookup(runtime, path);
  if (found === null) return STATUS_OBJECT_NAME_NOT_FOUND;
  const { device, rest } = found;
  if (device.deregistered) return STATUS_DELETE_PENDING;
  const file: FILE_OBJECT = { FileName: rest, FsContext: null, FsContext2: null };
  const entry: FileEntry = { file, pending: new Set() };
  const irp = (major: number, fields: Parameters<typeof stackLocation>[3] = {}) =>
    new IrpObject(device, entry, stackLocation(device, file, major, fields));
  const created = await dispatch(irp(IRP_MJ_CREATE));
  if ((created.Status & 0xc0000000) === 0xc0000000) return created.Status;
  device.files.add(entry);
  let closing: Promise<void> | null = null;
  /** A request on a handle still usable, else the status it fails with. */
  const usable = (): NTSTATUS | null => {
    if (closing !== null) return 0xc0000008; // STATUS_INVALID_HANDLE
    if (device.deregistered) return STATUS_DELETE_PENDING;
    return null;
  };
  return {
    read(length) {
      const bad = usable();
      if (bad !== null) return refused(bad);
      const request = irp(IRP_MJ_READ, { length });
      const buffer = new Uint8Array(length);
      placeTransfer(device, request, buffer);
      // (Each `output` is made first, then stored: see transferOutput.)
      request.output = transferOutput(buffer);
      return dispatch(request);
    },
    write(data) {
      const bad = usable();
      if (bad !== null) return refused(bad);
      const request = irp(IRP_MJ_WRITE, { length: data.length });
      request.limit = data.length;
      placeTransfer(device, request, data.slice());
      return dispatch(request);
    },
    deviceIoControl(code, input, outputLength) {
      const bad = usable();
      if (bad !== null) return refused(bad);
      const method = code & 3;
      const inLength = input?.length ?? 0;
      const request = irp(IRP_MJ_DEVICE_CONTROL, {
        code,
        inLength,
        outLength: outputLength,
        type3: method === METHOD_NEITHER ? (input?.slice() ?? null) : null,
      });
      if (method === METHOD_BUFFERED) {
        const system = new Uint8Array(Math.max(inLength, outputLength));
        if (input !== null) system.set(input);
        request.AssociatedIrp.SystemBuffer = system;
        request.output = transferOutput(system.subarray(0, outputLength));
      } else if (method === METHOD_NEITHER) {
        const user = new Uint8Array(outputLength);
        request.UserBuffer = user;
        request.output = transferOutput(user);
      } else {
        request.AssociatedIrp.SystemBuffer = input?.slice() ?? null;
        const out = new Uint8Array(outputLength);
        request.MdlAddress = outputLength > 0 ? new MdlObject(runtime, out, "driver") : null;
        request.output = transferOutput(out);
      }
      return dispatch(request);
    },
    close() {
      closing ??= (async () => {
        for (const pending of entry.pending) (pending as IrpObject).Cancel = true;
        await dispatch(irp(IRP_MJ_CLEANUP));
        const sendClose = () => {
          idle.delete(entry);
          device.files.delete(entry);
          void dispatch(irp(IRP_MJ_CLOSE));
        };
        // IRP_MJ_CLOSE once the handle's last request has completed.
        if (entry.pending.size === 0) sendClose();
        else idle.set(entry, () => entry.pending.size === 0 && sendClose());
      })();
      return closing;
    },
  };
}

/** Where a read's or write's buffer goes: by the device's DO_BUFFERED_IO / DO_DIRECT_IO. */
function placeTransfer(device: DeviceRecord, irp: IrpObject, buffer: Uint8Array): void {
  const flags = device.deviceObject.Flags;
  if ((flags & DO_BUFFERED_IO) !== 0) irp.AssociatedIrp.SystemBuffer = buffer;
  else if ((flags & DO_DIRECT_IO) !== 0)
    irp.MdlAddress =
      buffer.length > 0 ? new MdlObject(device.driver.runtime, buffer, "driver") : null;
  else irp.UserBuffer = buffer;
}

/**
 * Takes a device away (NdisDeregisterDeviceEx, or NDIS at unload): no new opens; requests still
 * pending are completed with STATUS_CANCELLED (returns how many there were).
 */
export function removeDevice(device: DeviceRecord): number {
  const r = registryOf(device.driver.runtime);
  device.deregistered = true;
  if (r.byName.get(device.deviceName.toLowerCase()) === device)
    r.byName.delete(device.deviceName.toLowerCase());
  if (device.linkName !== null && r.byLink.get(device.linkName.toLowerCase()) === device)
    r.byLink.delete(device.linkName.toLowerCase());
  revokeHandle(device.handle);
  let cancelled = 0;
  for (const entry of device.files) {
    for (const irp of [...entry.pending]) {
      cancelled++;
      (irp as IrpObject).Cancel = true;
      finish(irp as IrpObject, STATUS_CANCELLED);
    }
  }
  return cancelled;
}

/** The devices `driver` registered and has not deregistered. */
export function devicesOf(driver: DriverRecord): DeviceRecord[] {
  const r = registries.get(driver.runtime);
  if (r === undefined) return [];
  return [...r.byName.values()].filter((d) => d.driver === driver);
}

/** A DEVICE_OBJECT for a new device. */
export function newDeviceObject(driver: DriverRecord): DEVICE_OBJECT {
  return { Flags: 0, DriverObject: driver.driverObject, DeviceExtension: null };
}
