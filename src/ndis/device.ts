/**
 * Control devices (ndis.h, wdm.h): NdisRegisterDeviceEx's attributes, the I/O request packet a
 * dispatch routine gets, its stack location, and the constants of the I/O manager an NDIS
 * driver's device uses (IRP_MJ_*, CTL_CODE and METHOD_*, DO_*_IO, the NTSTATUS values of I/O).
 */
import type { NDIS_OBJECT_HEADER } from "./object-header.js";
import type { DRIVER_DISPATCH, NTSTATUS } from "./types.js";

export const NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES = 0x85;
export const NDIS_DEVICE_OBJECT_ATTRIBUTES_REVISION_1 = 1;
/** [DERIVED] x64: header, 3 pointers, ExtensionSize (padded), 2 pointers. */
export const NDIS_SIZEOF_DEVICE_OBJECT_ATTRIBUTES_REVISION_1 = 56;

export const IRP_MJ_CREATE = 0x00;
export const IRP_MJ_CLOSE = 0x02;
export const IRP_MJ_READ = 0x03;
export const IRP_MJ_WRITE = 0x04;
export const IRP_MJ_DEVICE_CONTROL = 0x0e;
export const IRP_MJ_INTERNAL_DEVICE_CONTROL = 0x0f;
export const IRP_MJ_CLEANUP = 0x12;
export const IRP_MJ_MAXIMUM_FUNCTION = 0x1b;

export const METHOD_BUFFERED = 0;
export const METHOD_IN_DIRECT = 1;
export const METHOD_OUT_DIRECT = 2;
export const METHOD_NEITHER = 3;
export const FILE_ANY_ACCESS = 0;
export const FILE_READ_ACCESS = 1;
export const FILE_WRITE_ACCESS = 2;
export const FILE_DEVICE_NETWORK = 0x12;
export const FILE_DEVICE_UNKNOWN = 0x22;

/** CTL_CODE: an I/O control code from its device type, function, method and access. */
export function CTL_CODE(DeviceType: number, FunctionCode: number, Method: number, Access: number) {
  return ((DeviceType << 16) | (Access << 14) | (FunctionCode << 2) | Method) >>> 0;
}

/** DEVICE_OBJECT.Flags: how READ and WRITE buffers reach the driver. */
export const DO_BUFFERED_IO = 0x00000004;
export const DO_DIRECT_IO = 0x00000010;

/** IoCompleteRequest's PriorityBoost for a request that took no time. */
export const IO_NO_INCREMENT = 0;

export const STATUS_PENDING: NTSTATUS = 0x00000103;
export const STATUS_INVALID_HANDLE: NTSTATUS = 0xc0000008;
export const STATUS_INVALID_PARAMETER: NTSTATUS = 0xc000000d;
export const STATUS_NO_SUCH_DEVICE: NTSTATUS = 0xc000000e;
export const STATUS_INVALID_DEVICE_REQUEST: NTSTATUS = 0xc0000010;
export const STATUS_BUFFER_TOO_SMALL: NTSTATUS = 0xc0000023;
export const STATUS_OBJECT_NAME_NOT_FOUND: NTSTATUS = 0xc0000034;
export const STATUS_OBJECT_NAME_COLLISION: NTSTATUS = 0xc0000035;
export const STATUS_DELETE_PENDING: NTSTATUS = 0xc0000056;
export const STATUS_INSUFFICIENT_RESOURCES: NTSTATUS = 0xc000009a;
export const STATUS_CANCELLED: NTSTATUS = 0xc0000120;

// The WDM object shapes live in ./types.js with DRIVER_OBJECT (they name each other, as in wdm.h).
export type {
  DEVICE_OBJECT,
  DRIVER_DISPATCH,
  FILE_OBJECT,
  IO_STACK_LOCATION,
  IRP,
  NTSTATUS,
} from "./types.js";

/** NDIS_DEVICE_OBJECT_ATTRIBUTES (Header Type NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES). */
export interface NDIS_DEVICE_OBJECT_ATTRIBUTES {
  Header: NDIS_OBJECT_HEADER;
  /** `\Device\Name`. */
  DeviceName: string;
  /** `\DosDevices\Name` (or `\Global??\Name`): the name user mode opens as `\\.\Name`. */
  SymbolicName: string | null;
  /** Dispatch routines by IRP_MJ_* (IRP_MJ_MAXIMUM_FUNCTION + 1 entries; null for none). */
  MajorFunctions: readonly (DRIVER_DISPATCH | null | undefined)[];
  /** Bytes of extension NDIS allocates (NdisGetDeviceReservedExtension). */
  ExtensionSize: number;
  DefaultSDDLString?: string | null;
  DeviceClassGuid?: string | null;
}
