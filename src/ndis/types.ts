/**
 * The C shapes the DDI is written in, translated mechanically:
 * - an out-parameter (`PNDIS_HANDLE`, a `PULONG` the callee writes) is an `Out<T>`, `{ value?: T }`;
 * - handles NDIS mints (`NDIS_HANDLE` returned by NDIS) are opaque objects of type `NDIS_HANDLE`;
 *   contexts a driver passes to NDIS (also `NDIS_HANDLE` in C) are any value of the driver's;
 * - `NDIS_STRING` / `UNICODE_STRING` are JS strings.
 */

declare const ndisHandleBrand: unique symbol;
declare const driverObjectBrand: unique symbol;

/** An opaque handle minted by NDIS (driver, adapter, binding, pool…). Compare with `===`. */
export interface NDIS_HANDLE {
  readonly [ndisHandleBrand]: true;
}

/** An out-parameter: the callee writes `value`. */
export interface Out<T> {
  value?: T | undefined;
}

/** `NDIS_STRING` (a counted UTF-16 string in C) is a JS string. */
export type NDIS_STRING = string;
/** `UNICODE_STRING` is a JS string. */
export type UNICODE_STRING = string;

/** `DRIVER_UNLOAD`: the routine the I/O manager calls to unload a (non-miniport) driver. */
export type DRIVER_UNLOAD = (DriverObject: DRIVER_OBJECT) => void;

/**
 * The DRIVER_OBJECT the host creates for every loaded driver and passes to `DriverEntry`.
 * NDIS finds its per-driver state through it, so several hosts can share one process.
 */
export interface DRIVER_OBJECT {
  readonly [driverObjectBrand]: true;
  /** `\Driver\<service name>` */
  readonly DriverName: string;
  /**
   * A protocol-only driver sets its unload routine here in DriverEntry. For a driver that
   * registered a miniport edge, NDIS owns unloading and calls `UnloadHandler` instead.
   */
  DriverUnload: DRIVER_UNLOAD | null;
  /**
   * The dispatch routines (IRP_MJ_MAXIMUM_FUNCTION + 1 entries, null where none) of the devices
   * the driver creates itself with IoCreateDevice; read at each request. The dispatch routines
   * of a device registered with NdisRegisterDeviceEx are its attributes' MajorFunctions instead.
   */
  readonly MajorFunction: (DRIVER_DISPATCH | null)[];
  /**
   * [ndis-ts] Set by the loader of a driver whose code is not JavaScript (the C-driver bridge):
   * where in the driver's own code it is running right now ("in C function X, inside its
   * MiniportSendNetBufferLists"), or null when none of it is on the stack. Violation reports
   * name it. Not part of Windows' DRIVER_OBJECT; a driver never sets it.
   */
  DriverCodeLocation: (() => string | null) | null;
}

/** `DRIVER_INITIALIZE`: a driver module's `DriverEntry`. Returns an NTSTATUS/NDIS_STATUS. */
export type DRIVER_INITIALIZE = (
  DriverObject: DRIVER_OBJECT,
  RegistryPath: UNICODE_STRING,
) => Blocking<number>;

/**
 * What a PASSIVE_LEVEL handler returns: its value, or a promise of it when it blocks (an `async`
 * handler that awaits NdisWaitEvent or NdisMSleep). NDIS treats the handler as running until the
 * promise settles; a rejection counts as a thrown handler.
 */
export type Blocking<T> = T | Promise<T>;

/** KEVENT: a kernel event; caller-allocated, its state is NDIS's (KeInitializeEvent). */
// biome-ignore lint/complexity/noBannedTypes: an opaque, caller-allocated object
export type KEVENT = {};

/** KTIMER: a kernel timer; caller-allocated, its state is the kernel's (KeInitializeTimerEx). */
// biome-ignore lint/complexity/noBannedTypes: an opaque, caller-allocated object
export type KTIMER = {};

/** KDPC: a deferred procedure call object; caller-allocated, set up by KeInitializeDpc. */
// biome-ignore lint/complexity/noBannedTypes: an opaque, caller-allocated object
export type KDPC = {};

/** KDEFERRED_ROUTINE: a DPC's routine (CustomDpc, CustomTimerDpc), run at DISPATCH_LEVEL. */
export type KDEFERRED_ROUTINE = (
  Dpc: KDPC,
  DeferredContext: unknown,
  SystemArgument1: unknown,
  SystemArgument2: unknown,
) => void;

/**
 * NDIS_EVENT: caller-allocated, initialised by NdisInitializeEvent (`{}` then the call). The
 * `Event` field is the KEVENT inside it, for KeWaitForSingleObject.
 */
export interface NDIS_EVENT {
  Event?: KEVENT;
}

/** LARGE_INTEGER: a signed 64-bit count, as a bigint. */
export type LARGE_INTEGER = bigint;

/**
 * NDIS_SPIN_LOCK: caller-allocated, initialised by NdisAllocateSpinLock. `{}` is a valid
 * zero-initialised lock; NDIS stores the IRQL to restore in `OldIrql` while the lock is held.
 */
export interface NDIS_SPIN_LOCK {
  OldIrql?: number;
}

/**
 * NDIS_RW_LOCK: caller-allocated and opaque (`{}`), initialised by NdisInitializeReadWriteLock;
 * NDIS keeps who holds it.
 */
// biome-ignore lint/complexity/noBannedTypes: an opaque, caller-allocated object
export type NDIS_RW_LOCK = {};

/**
 * LOCK_STATE: caller-allocated (`{}`), one per acquisition of an NDIS_RW_LOCK, from
 * NdisAcquireReadWriteLock to NdisReleaseReadWriteLock. NDIS stores the IRQL to restore in
 * `OldIrql`, as in the C structure.
 */
export interface LOCK_STATE {
  OldIrql?: number;
}

/** NDIS_MUTEX: caller-allocated and opaque (`{}`), initialised by NDIS_INIT_MUTEX (a KMUTEX). */
// biome-ignore lint/complexity/noBannedTypes: an opaque, caller-allocated object
export type NDIS_MUTEX = {};

/** MDL: one virtually contiguous buffer of a frame. */
export interface MDL {
  Next: MDL | null;
  /** The buffer, as the system-space mapping NdisQueryMdl returns. */
  readonly MappedSystemVa: Uint8Array;
  /** Bytes this MDL describes (`MappedSystemVa.length`). */
  readonly ByteCount: number;
}

/** NTSTATUS: a kernel status (an NDIS_STATUS is one). */
export type NTSTATUS = number;

/** DEVICE_OBJECT: the fields an NDIS driver's dispatch routines use. */
export interface DEVICE_OBJECT {
  /** DO_BUFFERED_IO / DO_DIRECT_IO, set by the driver after registration. */
  Flags: number;
  readonly DriverObject: DRIVER_OBJECT;
  /** NDIS's; a driver must not change it (use NdisGetDeviceReservedExtension). */
  readonly DeviceExtension: unknown;
}

/** FILE_OBJECT: one open handle of the device. */
export interface FILE_OBJECT {
  /** The name the caller opened after the device's (`\Device\Foo\rest` → `\rest`), or "". */
  readonly FileName: string;
  /** The driver's per-handle context (set in IRP_MJ_CREATE). */
  FsContext: unknown;
  FsContext2: unknown;
}

/** IO_STACK_LOCATION: what this request asks (IoGetCurrentIrpStackLocation). */
export interface IO_STACK_LOCATION {
  readonly MajorFunction: number;
  readonly MinorFunction: number;
  readonly Parameters: {
    readonly Read: { readonly Length: number; readonly ByteOffset: bigint };
    readonly Write: { readonly Length: number; readonly ByteOffset: bigint };
    readonly DeviceIoControl: {
      readonly OutputBufferLength: number;
      readonly InputBufferLength: number;
      readonly IoControlCode: number;
      /** METHOD_NEITHER: the caller's input buffer. */
      readonly Type3InputBuffer: Uint8Array | null;
    };
  };
  readonly DeviceObject: DEVICE_OBJECT;
  readonly FileObject: FILE_OBJECT;
}

/** IRP: an I/O request packet. */
export interface IRP {
  /** DO_DIRECT_IO reads and writes, METHOD_IN/OUT_DIRECT output: the caller's buffer. */
  MdlAddress: MDL | null;
  readonly AssociatedIrp: {
    /** DO_BUFFERED_IO and METHOD_BUFFERED (input copied in, output copied out), DIRECT input. */
    SystemBuffer: Uint8Array | null;
  };
  /** Set before IoCompleteRequest: the final status and (reads, IOCTL output) bytes returned. */
  readonly IoStatus: { Status: NTSTATUS; Information: number };
  /** Neither-I/O reads and writes, METHOD_NEITHER output: the caller's buffer. */
  UserBuffer: Uint8Array | null;
  /** Set when the caller cancels the request (its handle closed). */
  readonly Cancel: boolean;
}

/** DRIVER_DISPATCH: a dispatch routine (PASSIVE_LEVEL). */
export type DRIVER_DISPATCH = (DeviceObject: DEVICE_OBJECT, Irp: IRP) => NTSTATUS;
