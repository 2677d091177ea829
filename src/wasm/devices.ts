/**
 * Control devices of a C driver (NdisRegisterDeviceEx and the I/O requests sent to it). NDIS's
 * device and IRP objects stay the truth, as NBLs do (nbl-mirror.ts): the C driver gets a
 * DEVICE_OBJECT of its own in its memory for each device it registers, and each request NDIS
 * sends to one of its dispatch routines is laid out in C as an IRP with its one
 * IO_STACK_LOCATION (IoGetCurrentIrpStackLocation reads `Tail.Overlay.CurrentStackLocation`), a
 * FILE_OBJECT kept per open handle (FsContext, FsContext2 are the driver's), and the caller's
 * buffers copied in: `AssociatedIrp.SystemBuffer`, an MDL over the module's copy of a direct
 * buffer (`MdlAddress`), `UserBuffer`, `Type3InputBuffer`.
 *
 * IoCompleteRequest from C copies `IoStatus` and the buffers the caller reads back (in the
 * bounds NDIS gives the caller) into NDIS's IRP and completes it there, so the verifier sees the
 * C driver as it sees a TypeScript one: a second completion of the same IRP is
 * MULTIPLE_IRP_COMPLETE_REQUESTS, a dispatch routine returning without completing or pending is
 * Irp_DispatchReturn. The C copy of a finished IRP is kept for the next RETIRED finished ones, so
 * that a late second completion still names the IRP, then freed.
 *
 * `DEVICE_OBJECT.Flags` is C's field: NDIS's object reads and writes it there, so a driver that
 * sets DO_BUFFERED_IO or DO_DIRECT_IO after registration (as a WDK driver does) gets that I/O.
 * [MODEL] `Irp->Cancel` is set in C when NDIS cancels a request it sends the dispatch routine
 * again; a request that is already pending does not see a later cancel in C (NDIS completes it
 * with STATUS_CANCELLED at NdisDeregisterDeviceEx, as for a TypeScript driver).
 */
import type {
  DEVICE_OBJECT,
  DRIVER_OBJECT,
  FILE_OBJECT,
  IRP,
  MDL,
  NDIS_HANDLE,
  Out,
} from "../ddi.js";
import * as ddi from "../ddi.js";
import type { CMemory } from "./cmem.js";
import type { NblMirror } from "./nbl-mirror.js";

/** IRPs finished (completed or failed by NDIS) whose C copy is kept for a late completion. */
const RETIRED = 32;

const IO_TYPE_DEVICE = 3;
const IO_TYPE_FILE = 5;
const IO_TYPE_IRP = 6;

const MAJOR_NAMES: Record<number, string> = {
  [ddi.IRP_MJ_CREATE]: "IRP_MJ_CREATE",
  [ddi.IRP_MJ_CLOSE]: "IRP_MJ_CLOSE",
  [ddi.IRP_MJ_READ]: "IRP_MJ_READ",
  [ddi.IRP_MJ_WRITE]: "IRP_MJ_WRITE",
  [ddi.IRP_MJ_DEVICE_CONTROL]: "IRP_MJ_DEVICE_CONTROL",
  [ddi.IRP_MJ_INTERNAL_DEVICE_CONTROL]: "IRP_MJ_INTERNAL_DEVICE_CONTROL",
  [ddi.IRP_MJ_CLEANUP]: "IRP_MJ_CLEANUP",
};

/** Calls a C function of the module as an NDIS handler (the bridge's `CDriver.call`). */
export type CallC = (
  pointer: number,
  handler: string,
  ...args: number[]
) => number | Promise<number>;

interface CDevice {
  readonly object: DEVICE_OBJECT;
  /** The C DEVICE_OBJECT. */
  readonly p: number;
  /** NdisGetDeviceReservedExtension's bytes in C (0 for none). */
  readonly extension: number;
}

/** One buffer of the caller's copied into C: where, how long, and NDIS's to copy back into. */
interface Copied {
  readonly at: number;
  readonly length: number;
  readonly into: Uint8Array;
}

interface CIrp {
  readonly irp: IRP;
  readonly p: number;
  readonly stack: number;
  readonly buffers: Copied[];
  /** The C MDL standing for `irp.MdlAddress` (0 for none). */
  readonly mdl: number;
  readonly type3: number;
  finished: boolean;
}

export class CDevices {
  readonly #m: CMemory;
  readonly #nbls: NblMirror;
  readonly #call: CallC;
  readonly #label: string;
  readonly #byObject = new Map<DEVICE_OBJECT, CDevice>();
  readonly #byPointer = new Map<number, CDevice>();
  /** FILE_OBJECTs in C, by NDIS's (one per open handle, freed after its IRP_MJ_CLOSE). */
  readonly #files = new Map<FILE_OBJECT, number>();
  /** IRPs in C by their address: in progress, and the last RETIRED finished ones. */
  readonly #irps = new Map<number, CIrp>();
  readonly #retired: number[] = [];
  /** Dispatchers of DriverObject->MajorFunction routines, by `fp:major`. */
  readonly #tableDispatchers = new Map<string, ddi.DRIVER_DISPATCH>();

  constructor(m: CMemory, nbls: NblMirror, call: CallC, label: string) {
    this.#m = m;
    this.#nbls = nbls;
    this.#call = call;
    this.#label = label;
  }

  /** NdisRegisterDeviceEx from C. */
  register(
    handle: NDIS_HANDLE,
    attributes: number,
    driverObject: number,
    pDeviceObject: number,
    pHandle: number,
  ): number {
    const m = this.#m;
    const s = "NDIS_DEVICE_OBJECT_ATTRIBUTES";
    if (pDeviceObject !== 0) m.setU32(pDeviceObject, 0);
    if (pHandle !== 0) m.setU32(pHandle, 0);
    if (attributes === 0) {
      // NDIS names the NULL attributes.
      return ddi.NdisRegisterDeviceEx(handle, null as never, {}, {});
    }
    const hdr = m.header(attributes);
    const name = m.get(s, attributes, "DeviceName");
    const link = m.get(s, attributes, "SymbolicName");
    const table = m.get(s, attributes, "MajorFunctions");
    const majors: (ddi.DRIVER_DISPATCH | null)[] = [];
    for (let i = 0; i <= ddi.IRP_MJ_MAXIMUM_FUNCTION && table !== 0; i++) {
      const fp = m.u32(table + 4 * i);
      majors.push(fp === 0 ? null : this.#dispatcher(fp, i));
    }
    const extensionSize = m.get(s, attributes, "ExtensionSize");
    const object: Out<DEVICE_OBJECT | null> = {};
    const device: Out<NDIS_HANDLE | null> = {};
    const status = ddi.NdisRegisterDeviceEx(
      handle,
      {
        Header: {
          Type: hdr.Type,
          Revision: hdr.Revision,
          // C's wasm32 size through the revision's last field is that revision's size.
          Size:
            hdr.Size >= m.sizeThrough(s, "DeviceClassGuid")
              ? ddi.NDIS_SIZEOF_DEVICE_OBJECT_ATTRIBUTES_REVISION_1
              : hdr.Size,
        },
        DeviceName: name === 0 ? (null as never) : m.unicodeString(name),
        SymbolicName: link === 0 ? null : m.unicodeString(link),
        MajorFunctions: table === 0 ? (null as never) : majors,
        ExtensionSize: extensionSize,
      },
      object,
      device,
    );
    const o = object.value;
    const h = device.value;
    if (status !== ddi.NDIS_STATUS_SUCCESS || o === null || o === undefined || h == null)
      return status;
    const p = this.#cDeviceObject(o, driverObject, ddi.FILE_DEVICE_NETWORK, extensionSize);
    if (pDeviceObject !== 0) m.setU32(pDeviceObject, p);
    if (pHandle !== 0) m.setU32(pHandle, m.handleId(h));
    return status;
  }

  /**
   * NdisDeregisterDeviceEx from C. NDIS takes the device away; its C DEVICE_OBJECT and extension
   * stay, as a device object stays on Windows until its last handle is closed: handles still open
   * send IRP_MJ_CLEANUP and IRP_MJ_CLOSE to the dispatch routines afterwards. [MODEL] They are
   * kept for the module's life (a few dozen bytes per device ever registered).
   */
  deregister(handle: NDIS_HANDLE): void {
    ddi.NdisDeregisterDeviceEx(handle);
    // Requests NDIS cancelled at the deregistration are finished; their copies retire.
    for (const entry of this.#irps.values())
      if (!entry.finished && entry.irp.Cancel) this.#retire(entry);
  }

  /**
   * IoCreateDevice from C: a device of the driver's own whose requests go to the dispatch routines
   * in its C DRIVER_OBJECT's MajorFunction (read at each request through `majorFunction`). Its C
   * DEVICE_OBJECT heads the DRIVER_OBJECT's DeviceObject list, as the I/O manager links it.
   */
  create(
    driverObject: DRIVER_OBJECT,
    driverObjectPtr: number,
    extensionSize: number,
    pName: number,
    deviceType: number,
    characteristics: number,
    exclusive: boolean,
    pDeviceObject: number,
  ): number {
    const m = this.#m;
    if (pDeviceObject !== 0) m.setU32(pDeviceObject, 0);
    const out: Out<DEVICE_OBJECT | null> = {};
    const status = ddi.IoCreateDevice(
      driverObject,
      extensionSize >>> 0,
      pName === 0 ? null : m.unicodeString(pName),
      deviceType >>> 0,
      characteristics >>> 0,
      exclusive,
      out,
    );
    const o = out.value;
    if (status !== ddi.STATUS_SUCCESS || o === null || o === undefined) return status;
    const D = "DEVICE_OBJECT";
    const p = this.#cDeviceObject(o, driverObjectPtr, deviceType >>> 0, extensionSize >>> 0);
    m.set(D, p, "Characteristics", characteristics >>> 0);
    m.set(D, p, "NextDevice", m.get("DRIVER_OBJECT", driverObjectPtr, "DeviceObject"));
    m.set("DRIVER_OBJECT", driverObjectPtr, "DeviceObject", p);
    if (pDeviceObject !== 0) m.setU32(pDeviceObject, p);
    return status;
  }

  /** IoDeleteDevice from C: NDIS's device goes; the C DEVICE_OBJECT leaves the driver's list. */
  delete(p: number, driverObjectPtr: number): void {
    const record = this.#byPointer.get(p);
    ddi.IoDeleteDevice((record?.object ?? p) as unknown as DEVICE_OBJECT);
    if (record === undefined) return;
    const m = this.#m;
    const D = "DEVICE_OBJECT";
    const head = m.off("DRIVER_OBJECT", "DeviceObject");
    // Unlink p from DRIVER_OBJECT->DeviceObject → NextDevice → …
    let link = driverObjectPtr + head;
    for (let at = m.u32(link); at !== 0; at = m.u32(link)) {
      if (at === p) {
        m.setU32(link, m.get(D, p, "NextDevice"));
        break;
      }
      link = at + m.off(D, "NextDevice");
    }
    // Requests NDIS cancelled at the deletion are finished; their copies retire.
    for (const entry of this.#irps.values())
      if (!entry.finished && entry.irp.Cancel) this.#retire(entry);
  }

  /**
   * DriverObject->MajorFunction[major] as NDIS reads it for a device of IoCreateDevice: the C
   * table's routine, run through the bridge (one dispatcher per routine and major function).
   */
  majorFunction(driverObjectPtr: number, major: number): ddi.DRIVER_DISPATCH | null {
    const m = this.#m;
    const fp = m.u32(driverObjectPtr + m.off("DRIVER_OBJECT", "MajorFunction") + 4 * major);
    if (fp === 0) return null;
    const key = `${fp}:${major}`;
    let dispatch = this.#tableDispatchers.get(key);
    if (dispatch === undefined) {
      dispatch = this.#dispatcher(fp, major);
      this.#tableDispatchers.set(key, dispatch);
    }
    return dispatch;
  }

  /** The C DEVICE_OBJECT for NDIS's `o`, whose Flags become C's field. */
  #cDeviceObject(
    o: DEVICE_OBJECT,
    driverObject: number,
    type: number,
    extensionSize: number,
  ): number {
    const m = this.#m;
    const D = "DEVICE_OBJECT";
    const p = m.allocStruct(D);
    m.set(D, p, "Type", IO_TYPE_DEVICE);
    m.set(D, p, "Size", m.sizeOf(D));
    m.set(D, p, "DriverObject", driverObject);
    m.set(D, p, "DeviceType", type);
    m.set(D, p, "Flags", o.Flags);
    const extension = extensionSize > 0 ? m.alloc(extensionSize) : 0;
    m.set(D, p, "DeviceExtension", extension);
    // The flags are C's field: NDIS reads the I/O kind the driver set there.
    Object.defineProperty(o, "Flags", {
      get: () => m.get(D, p, "Flags"),
      set: (v: number) => m.set(D, p, "Flags", v >>> 0),
      enumerable: true,
      configurable: true,
    });
    const record: CDevice = { object: o, p, extension };
    this.#byObject.set(o, record);
    this.#byPointer.set(p, record);
    return p;
  }

  /** NdisGetDeviceReservedExtension from C. */
  extension(p: number): number {
    return this.#byPointer.get(p)?.extension ?? 0;
  }

  /** IoMarkIrpPending from C. */
  markPending(p: number): void {
    const entry = this.#irps.get(p);
    ddi.IoMarkIrpPending((entry?.irp ?? p) as IRP);
    if (entry !== undefined) this.#m.set("IRP", p, "PendingReturned", 1);
  }

  /** IoCompleteRequest from C: what the driver wrote goes to NDIS's IRP, which completes. */
  complete(p: number, boost: number): void {
    const entry = this.#irps.get(p);
    if (entry === undefined) {
      ddi.IoCompleteRequest(p as unknown as IRP, boost);
      return;
    }
    if (!entry.finished) {
      const m = this.#m;
      const irp = entry.irp;
      irp.IoStatus.Status = m.get("IRP", p, "IoStatus.Status") >>> 0;
      irp.IoStatus.Information = m.get("IRP", p, "IoStatus.Information");
      for (const b of entry.buffers) b.into.set(m.viewOf(b.at, b.length));
    }
    const wasFinished = entry.finished;
    ddi.IoCompleteRequest(entry.irp, boost);
    if (!wasFinished) this.#retire(entry);
  }

  /** A DRIVER_DISPATCH for NDIS that runs the C dispatch routine at `fp`. */
  #dispatcher(fp: number, major: number): ddi.DRIVER_DISPATCH {
    const name = `Dispatch(${MAJOR_NAMES[major] ?? `IRP_MJ 0x${major.toString(16)}`})`;
    return (object: DEVICE_OBJECT, irp: IRP) => {
      const device = this.#byObject.get(object);
      if (device === undefined)
        throw new Error(`${this.#label}: ${name} for a device the driver did not register`);
      const entry = this.#toC(device, irp);
      const file = ddi.IoGetCurrentIrpStackLocation(irp).FileObject;
      const done = (status: number): number => {
        const s = status >>> 0;
        // Finished unless pended (completed by the driver already, or NDIS completes it now).
        if (s !== ddi.STATUS_PENDING && !entry.finished) this.#retire(entry);
        if (major === ddi.IRP_MJ_CLOSE) {
          const f = this.#files.get(file);
          this.#files.delete(file);
          if (f !== undefined) {
            const m = this.#m;
            m.free(m.get("UNICODE_STRING", f + m.off("FILE_OBJECT", "FileName"), "Buffer"));
            m.free(f);
          }
        }
        return s;
      };
      let returned: number | Promise<number>;
      try {
        returned = this.#call(fp, name, device.p, entry.p);
      } catch (thrown) {
        this.#retire(entry);
        throw thrown;
      }
      return (returned instanceof Promise ? returned.then(done) : done(returned)) as ddi.NTSTATUS;
    };
  }

  /** The FILE_OBJECT of an open handle in C, made at its first request (IRP_MJ_CREATE). */
  #file(device: CDevice, file: FILE_OBJECT): number {
    let f = this.#files.get(file);
    if (f !== undefined) return f;
    const m = this.#m;
    const F = "FILE_OBJECT";
    f = m.allocStruct(F);
    m.set(F, f, "Type", IO_TYPE_FILE);
    m.set(F, f, "Size", m.sizeOf(F));
    m.set(F, f, "DeviceObject", device.p);
    const name = m.newUnicodeString(file.FileName);
    // The string's header is copied into the FILE_OBJECT; its characters stay where they are.
    m.bytes.copyWithin(f + m.off(F, "FileName"), name, name + m.sizeOf("UNICODE_STRING"));
    m.free(name);
    this.#files.set(file, f);
    return f;
  }

  /** `into`'s bytes copied into a new buffer of the module, to be copied back at completion. */
  #copyIn(buffers: Copied[], into: Uint8Array | null, back: boolean): number {
    if (into === null) return 0;
    const m = this.#m;
    const at = m.alloc(Math.max(1, into.length));
    m.bytes.set(into, at);
    if (back) buffers.push({ at, length: into.length, into });
    else buffers.push({ at, length: 0, into });
    return at;
  }

  #toC(device: CDevice, irp: IRP): CIrp {
    const m = this.#m;
    const stack = ddi.IoGetCurrentIrpStackLocation(irp);
    const I = "IRP";
    const S = "IO_STACK_LOCATION";
    const p = m.allocStruct(I);
    const sp = m.allocStruct(S);
    const buffers: Copied[] = [];
    const major = stack.MajorFunction;
    m.set(I, p, "Type", IO_TYPE_IRP);
    m.set(I, p, "Size", m.sizeOf(I));
    m.set(I, p, "StackCount", 1);
    m.set(I, p, "CurrentLocation", 1);
    m.set(I, p, "Cancel", irp.Cancel ? 1 : 0);
    // The caller reads back what the request returns: read data and I/O control output.
    const out = major === ddi.IRP_MJ_READ || major === ddi.IRP_MJ_DEVICE_CONTROL;
    m.set(
      I,
      p,
      "AssociatedIrp.SystemBuffer",
      this.#copyIn(buffers, irp.AssociatedIrp.SystemBuffer, out),
    );
    m.set(I, p, "UserBuffer", this.#copyIn(buffers, irp.UserBuffer, out));
    let mdl = 0;
    const direct: MDL | null = irp.MdlAddress;
    if (direct !== null) {
      const va = this.#copyIn(buffers, direct.MappedSystemVa, out);
      mdl = this.#nbls.adoptMdl(direct, va);
      m.set(I, p, "MdlAddress", mdl);
    }
    const dic = stack.Parameters.DeviceIoControl;
    const type3 = this.#copyIn(buffers, dic.Type3InputBuffer, false);
    const file = this.#file(device, stack.FileObject);
    m.set(I, p, "Tail.Overlay.CurrentStackLocation", sp);
    m.set(I, p, "Tail.Overlay.OriginalFileObject", file);
    m.set(S, sp, "MajorFunction", major);
    m.set(S, sp, "MinorFunction", stack.MinorFunction);
    if (major === ddi.IRP_MJ_READ) {
      m.set(S, sp, "Parameters.Read.Length", stack.Parameters.Read.Length);
      m.set64(S, sp, "Parameters.Read.ByteOffset", stack.Parameters.Read.ByteOffset);
    } else if (major === ddi.IRP_MJ_WRITE) {
      m.set(S, sp, "Parameters.Write.Length", stack.Parameters.Write.Length);
      m.set64(S, sp, "Parameters.Write.ByteOffset", stack.Parameters.Write.ByteOffset);
    } else if (
      major === ddi.IRP_MJ_DEVICE_CONTROL ||
      major === ddi.IRP_MJ_INTERNAL_DEVICE_CONTROL
    ) {
      const D = "Parameters.DeviceIoControl.";
      m.set(S, sp, `${D}OutputBufferLength`, dic.OutputBufferLength);
      m.set(S, sp, `${D}InputBufferLength`, dic.InputBufferLength);
      m.set(S, sp, `${D}IoControlCode`, dic.IoControlCode);
      m.set(S, sp, `${D}Type3InputBuffer`, type3);
    }
    m.set(S, sp, "DeviceObject", device.p);
    m.set(S, sp, "FileObject", file);
    const entry: CIrp = { irp, p, stack: sp, buffers, mdl, type3, finished: false };
    this.#irps.set(p, entry);
    return entry;
  }

  /** A finished IRP: its buffers go now, its IRP and stack location after RETIRED more. */
  #retire(entry: CIrp): void {
    if (entry.finished) return;
    entry.finished = true;
    const m = this.#m;
    for (const b of entry.buffers) m.free(b.at);
    if (entry.mdl !== 0) this.#nbls.dropMdl(entry.mdl);
    this.#retired.push(entry.p);
    while (this.#retired.length > RETIRED) {
      const p = this.#retired.shift() as number;
      const old = this.#irps.get(p);
      this.#irps.delete(p);
      if (old !== undefined) {
        m.free(old.stack);
        m.free(old.p);
      }
    }
  }
}
