/**
 * Reading the attribute structures a miniport passes to NdisMSetMiniportAttributes: registration
 * attributes (who the adapter's context is, what kind of device it is) and general attributes
 * (what the adapter is: medium, MTU, speeds, MAC). Read once and copied, like characteristics.
 */
import {
  type NDIS_PNP_CAPABILITIES,
  type NDIS_RECEIVE_SCALE_CAPABILITIES,
  NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1,
  NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2,
  NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
  NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2,
  NdisDeviceStateD3,
} from "../../../ndis/adapter.js";
import { NDIS_OBJECT_TYPE_RSS_CAPABILITIES } from "../../../ndis/object-header.js";
import { NDIS_STATUS_BAD_VERSION, NDIS_STATUS_INVALID_PARAMETER } from "../../../ndis/status.js";
import type { NdisVersionInfo } from "../../../ndis/version.js";
import { type Checked, Reject, readField, runCheck } from "./struct-reader.js";

export interface RegistrationAttributesCopy {
  readonly Revision: number;
  readonly MiniportAdapterContext: unknown;
  readonly AttributeFlags: number;
  readonly CheckForHangTimeInSeconds: number;
  readonly InterfaceType: number;
}

export interface GeneralAttributesCopy {
  readonly Revision: number;
  readonly MediaType: number;
  readonly PhysicalMediumType: number;
  readonly MtuSize: number;
  readonly MaxXmitLinkSpeed: bigint;
  readonly XmitLinkSpeed: bigint;
  readonly MaxRcvLinkSpeed: bigint;
  readonly RcvLinkSpeed: bigint;
  readonly MediaConnectState: number;
  readonly MediaDuplexState: number;
  readonly LookaheadSize: number;
  readonly MacOptions: number;
  readonly SupportedPacketFilters: number;
  readonly MaxMulticastListSize: number;
  readonly MacAddressLength: number;
  readonly PermanentMacAddress: Uint8Array;
  readonly CurrentMacAddress: Uint8Array;
  readonly AccessType: number;
  readonly DirectionType: number;
  readonly ConnectionType: number;
  readonly IfType: number;
  readonly IfConnectorPresent: boolean;
  readonly DataBackFillSize: number;
  readonly ContextBackFillSize: number;
  readonly SupportedOidList: readonly number[];
  readonly SupportedStatistics: number;
  readonly PowerManagementCapabilities: NDIS_PNP_CAPABILITIES | null;
  readonly RecvScaleCapabilities: NDIS_RECEIVE_SCALE_CAPABILITIES | null;
}

function read(structure: object, name: string, field: string): unknown {
  return readField(structure, name, field, NDIS_STATUS_INVALID_PARAMETER);
}

const isUlong = (v: unknown): v is number =>
  typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
const isUlong64 = (v: unknown): v is bigint =>
  typeof v === "bigint" && v >= 0n && v <= 0xffffffffffffffffn;

function ulong(structure: object, name: string, field: string, optional = false): number {
  const value = read(structure, name, field);
  if (optional && (value === undefined || value === null)) return 0;
  if (!isUlong(value))
    throw new Reject(
      NDIS_STATUS_INVALID_PARAMETER,
      `${name}.${field} is ${String(value)}, not a ULONG`,
    );
  return value;
}

function ulong64(structure: object, name: string, field: string): bigint {
  const value = read(structure, name, field);
  if (!isUlong64(value)) {
    throw new Reject(
      NDIS_STATUS_INVALID_PARAMETER,
      `${name}.${field} is ${String(value)}, not a ULONG64 (a bigint)`,
    );
  }
  return value;
}

/** Header.Revision and Size against the revisions this NDIS knows and the driver's version requires. */
function revisionOf(
  header: { Revision: unknown; Size: unknown },
  name: string,
  sizes: Readonly<Record<number, number>>,
  newest: number,
  required: number,
): number {
  const { Revision, Size } = header;
  if (typeof Revision !== "number" || sizes[Revision] === undefined || Revision > newest) {
    throw new Reject(
      NDIS_STATUS_BAD_VERSION,
      `${name}.Header.Revision ${String(Revision)} is not supported by this NDIS`,
    );
  }
  if (Revision < required) {
    throw new Reject(
      NDIS_STATUS_BAD_VERSION,
      `${name}.Header.Revision ${Revision} is older than the driver's NDIS version requires (${required})`,
    );
  }
  const needed = sizes[Revision] as number;
  if (typeof Size !== "number" || !Number.isInteger(Size) || Size < needed || Size > 0xffff) {
    throw new Reject(
      NDIS_STATUS_BAD_VERSION,
      `${name}.Header.Size ${String(Size)} is below ${needed} for revision ${Revision}`,
    );
  }
  return Revision;
}

/** A copy of the driver's NDIS_PNP_CAPABILITIES, or null; anything else is refused. */
function pnpCapabilities(attrs: object): NDIS_PNP_CAPABILITIES | null {
  const value = read(attrs, GENERAL, "PowerManagementCapabilities");
  if (value === undefined || value === null) return null;
  const where = `${GENERAL}.PowerManagementCapabilities`;
  if (typeof value !== "object") {
    throw new Reject(
      NDIS_STATUS_INVALID_PARAMETER,
      `${where} must be an NDIS_PNP_CAPABILITIES or NULL`,
    );
  }
  const wake = readField(value, where, "WakeUpCapabilities", NDIS_STATUS_INVALID_PARAMETER);
  if (typeof wake !== "object" || wake === null) {
    throw new Reject(NDIS_STATUS_INVALID_PARAMETER, `${where}.WakeUpCapabilities is missing`);
  }
  const state = (field: string): number => {
    const v = readField(wake, `${where}.WakeUpCapabilities`, field, NDIS_STATUS_INVALID_PARAMETER);
    if (!isUlong(v) || v > NdisDeviceStateD3) {
      throw new Reject(
        NDIS_STATUS_INVALID_PARAMETER,
        `${where}.WakeUpCapabilities.${field} is ${String(v)}, not an NDIS_DEVICE_POWER_STATE (NdisDeviceStateUnspecified…NdisDeviceStateD3)`,
      );
    }
    return v;
  };
  return Object.freeze({
    Flags: ulong(value, where, "Flags", true),
    WakeUpCapabilities: Object.freeze({
      MinMagicPacketWakeUp: state("MinMagicPacketWakeUp"),
      MinPatternWakeUp: state("MinPatternWakeUp"),
      MinLinkChangeWakeUp: state("MinLinkChangeWakeUp"),
    }),
  });
}

/** A copy of the driver's NDIS_RECEIVE_SCALE_CAPABILITIES, or null; anything else is refused. */
function rssCapabilities(attrs: object): NDIS_RECEIVE_SCALE_CAPABILITIES | null {
  const value = read(attrs, GENERAL, "RecvScaleCapabilities");
  if (value === undefined || value === null) return null;
  const where = `${GENERAL}.RecvScaleCapabilities`;
  const header =
    typeof value === "object"
      ? (readField(value, where, "Header", NDIS_STATUS_INVALID_PARAMETER) as
          | { Type?: unknown; Revision?: unknown; Size?: unknown }
          | undefined)
      : undefined;
  if (header?.Type !== NDIS_OBJECT_TYPE_RSS_CAPABILITIES) {
    throw new Reject(
      NDIS_STATUS_INVALID_PARAMETER,
      `${where} must be an NDIS_RECEIVE_SCALE_CAPABILITIES (Header.Type NDIS_OBJECT_TYPE_RSS_CAPABILITIES) or NULL`,
    );
  }
  return Object.freeze({
    Header: Object.freeze({
      Type: NDIS_OBJECT_TYPE_RSS_CAPABILITIES,
      Revision: Number(header.Revision),
      Size: Number(header.Size),
    }),
    CapabilitiesFlags: ulong(value as object, where, "CapabilitiesFlags", true),
    NumberOfInterruptMessages: ulong(value as object, where, "NumberOfInterruptMessages", true),
    NumberOfReceiveQueues: ulong(value as object, where, "NumberOfReceiveQueues", true),
  });
}

/** SupportedOidList cut to SupportedOidListLength bytes when the driver gives a length. */
function oidList(attrs: object, oids: readonly number[]): readonly number[] {
  const length = read(attrs, GENERAL, "SupportedOidListLength");
  if (length === undefined || length === null) return Object.freeze([...oids]);
  if (!isUlong(length) || length % 4 !== 0 || length > oids.length * 4) {
    throw new Reject(
      NDIS_STATUS_INVALID_PARAMETER,
      `${GENERAL}.SupportedOidListLength ${String(length)} is not the byte length of (a prefix of) SupportedOidList (${oids.length} OIDs, 4 bytes each)`,
    );
  }
  return Object.freeze(oids.slice(0, length / 4));
}

const REGISTRATION = "NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES";
const GENERAL = "NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES";

export function checkRegistrationAttributes(
  attrs: object,
  header: { Revision: unknown; Size: unknown },
  host: NdisVersionInfo,
): Checked<RegistrationAttributesCopy> {
  return runCheck(() => {
    const Revision = revisionOf(
      header,
      REGISTRATION,
      {
        1: NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
        2: NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2,
      },
      host.minor >= 30 ? 2 : 1,
      1,
    );
    return Object.freeze({
      Revision,
      MiniportAdapterContext: read(attrs, REGISTRATION, "MiniportAdapterContext"),
      AttributeFlags: ulong(attrs, REGISTRATION, "AttributeFlags", true),
      CheckForHangTimeInSeconds: ulong(attrs, REGISTRATION, "CheckForHangTimeInSeconds", true),
      InterfaceType: ulong(attrs, REGISTRATION, "InterfaceType", true),
    });
  });
}

function macAddress(attrs: object, field: string, length: number): Uint8Array {
  const value = read(attrs, GENERAL, field);
  if (!(value instanceof Uint8Array) || value.length < length || value.length > 32) {
    throw new Reject(
      NDIS_STATUS_INVALID_PARAMETER,
      `${GENERAL}.${field} must be a Uint8Array of at least MacAddressLength (${length}) and at most 32 bytes`,
    );
  }
  return Uint8Array.from(value.subarray(0, length));
}

export function checkGeneralAttributes(
  attrs: object,
  header: { Revision: unknown; Size: unknown },
  host: NdisVersionInfo,
  driver: NdisVersionInfo,
): Checked<GeneralAttributesCopy> {
  return runCheck(() => {
    const Revision = revisionOf(
      header,
      GENERAL,
      {
        1: NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1,
        2: NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2,
      },
      host.minor >= 20 ? 2 : 1,
      driver.minor >= 20 ? 2 : 1,
    );
    const MacAddressLength = ulong(attrs, GENERAL, "MacAddressLength");
    if (MacAddressLength > 32) {
      throw new Reject(
        NDIS_STATUS_INVALID_PARAMETER,
        `${GENERAL}.MacAddressLength ${MacAddressLength} exceeds 32`,
      );
    }
    const oids = read(attrs, GENERAL, "SupportedOidList");
    if (oids !== undefined && oids !== null && (!Array.isArray(oids) || !oids.every(isUlong))) {
      throw new Reject(
        NDIS_STATUS_INVALID_PARAMETER,
        `${GENERAL}.SupportedOidList must be an array of OIDs`,
      );
    }
    const connector = read(attrs, GENERAL, "IfConnectorPresent");
    return Object.freeze({
      Revision,
      MediaType: ulong(attrs, GENERAL, "MediaType"),
      PhysicalMediumType: ulong(attrs, GENERAL, "PhysicalMediumType", true),
      MtuSize: ulong(attrs, GENERAL, "MtuSize"),
      MaxXmitLinkSpeed: ulong64(attrs, GENERAL, "MaxXmitLinkSpeed"),
      XmitLinkSpeed: ulong64(attrs, GENERAL, "XmitLinkSpeed"),
      MaxRcvLinkSpeed: ulong64(attrs, GENERAL, "MaxRcvLinkSpeed"),
      RcvLinkSpeed: ulong64(attrs, GENERAL, "RcvLinkSpeed"),
      MediaConnectState: ulong(attrs, GENERAL, "MediaConnectState"),
      MediaDuplexState: ulong(attrs, GENERAL, "MediaDuplexState"),
      LookaheadSize: ulong(attrs, GENERAL, "LookaheadSize"),
      MacOptions: ulong(attrs, GENERAL, "MacOptions", true),
      SupportedPacketFilters: ulong(attrs, GENERAL, "SupportedPacketFilters"),
      MaxMulticastListSize: ulong(attrs, GENERAL, "MaxMulticastListSize"),
      MacAddressLength,
      PermanentMacAddress: macAddress(attrs, "PermanentMacAddress", MacAddressLength),
      CurrentMacAddress: macAddress(attrs, "CurrentMacAddress", MacAddressLength),
      AccessType: ulong(attrs, GENERAL, "AccessType"),
      DirectionType: ulong(attrs, GENERAL, "DirectionType"),
      ConnectionType: ulong(attrs, GENERAL, "ConnectionType"),
      IfType: ulong(attrs, GENERAL, "IfType"),
      IfConnectorPresent: connector === true,
      DataBackFillSize: ulong(attrs, GENERAL, "DataBackFillSize", true),
      ContextBackFillSize: ulong(attrs, GENERAL, "ContextBackFillSize", true),
      SupportedOidList: oidList(attrs, (oids as number[] | undefined) ?? []),
      SupportedStatistics: ulong(attrs, GENERAL, "SupportedStatistics", true),
      PowerManagementCapabilities: pnpCapabilities(attrs),
      RecvScaleCapabilities: rssCapabilities(attrs),
    });
  });
}
