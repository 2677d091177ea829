/**
 * Reading and validating NDIS_MINIPORT_DRIVER_CHARACTERISTICS,
 * NDIS_PROTOCOL_DRIVER_CHARACTERISTICS and NDIS_FILTER_DRIVER_CHARACTERISTICS the way
 * NdisMRegisterMiniportDriver, NdisRegisterProtocolDriver and NdisFRegisterFilterDriver do.
 *
 * The structure is read once, field by field, in declaration order, and only up to the revision
 * its header claims; what was read is copied into a frozen table NDIS keeps. A driver that edits
 * its object afterwards changes nothing, a getter or proxy that throws is "unreadable memory"
 * (BAD_CHARACTERISTICS), and fields past the claimed revision are never touched.
 *
 * Order of checks (contract §1.7, model): header Type → BAD_CHARACTERISTICS; Major/Minor NDIS
 * version → BAD_VERSION; Revision known to this NDIS and high enough for the declared version,
 * Size at least the revision's size, Flags a ULONG, every handler slot NULL or a function, the
 * mandatory handlers present, the direct-OID pair both-or-neither → BAD_CHARACTERISTICS.
 */

import {
  FILTER_CHARACTERISTICS_SIZES,
  FILTER_HANDLER_SLOTS,
  type FilterHandlerName,
} from "../../../ndis/filter.js";
import {
  type HandlerSlot,
  MINIPORT_CHARACTERISTICS_SIZES,
  MINIPORT_HANDLER_SLOTS,
  type MiniportHandlerName,
  NDIS_INTERMEDIATE_DRIVER,
} from "../../../ndis/miniport.js";
import {
  type NDIS_OBJECT_HEADER,
  NDIS_OBJECT_TYPE_DEFAULT,
  NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS,
  NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS,
  NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS,
  ndisObjectTypeToString,
} from "../../../ndis/object-header.js";
import {
  PROTOCOL_CHARACTERISTICS_SIZES,
  PROTOCOL_HANDLER_SLOTS,
  type ProtocolHandlerName,
} from "../../../ndis/protocol.js";
import {
  NDIS_STATUS_BAD_CHARACTERISTICS,
  NDIS_STATUS_BAD_VERSION,
  NDIS_STATUS_FAILURE,
} from "../../../ndis/status.js";
import { type NdisVersionInfo, ndisVersionByMinor } from "../../../ndis/version.js";
import { type Checked, Reject, readField, runCheck } from "./struct-reader.js";

export type { Checked };

/** Any driver entry point, as NDIS stores it. */
export type EntryPoint = (...args: never[]) => unknown;

/** What NDIS needs to know about itself to judge a registration. */
export interface RegistrationLimits {
  /** The NDIS version this host emulates. */
  readonly version: NdisVersionInfo;
  /** Accept Header.Type NDIS_OBJECT_TYPE_DEFAULT (0x80), as Windows does for the MUX sample. */
  readonly acceptDefaultHeaderType: boolean;
}

interface CharacteristicsCopyBase<Name extends string> {
  readonly Header: Readonly<NDIS_OBJECT_HEADER>;
  readonly MajorNdisVersion: number;
  readonly MinorNdisVersion: number;
  /** Free-form; NDIS never interprets it. Undefined when not a UCHAR. */
  readonly MajorDriverVersion: number | undefined;
  readonly MinorDriverVersion: number | undefined;
  readonly Flags: number;
  /** The entry points NDIS will call: the supplied ones minus any NDIS ignores. */
  readonly handlers: Readonly<Partial<Record<Name, EntryPoint>>>;
  /** The NDIS version the driver declared. */
  readonly version: NdisVersionInfo;
}

export interface MiniportCharacteristicsCopy extends CharacteristicsCopyBase<MiniportHandlerName> {
  readonly isIntermediate: boolean;
  /** Entry points an IM driver supplied that NDIS never calls (CheckForHang, Reset). */
  readonly ignoredHandlers: readonly MiniportHandlerName[];
}

export interface ProtocolCharacteristicsCopy extends CharacteristicsCopyBase<ProtocolHandlerName> {
  readonly Name: string;
}

export interface FilterCharacteristicsCopy extends CharacteristicsCopyBase<FilterHandlerName> {
  readonly FriendlyName: string;
  /** The filter's NetCfgInstanceId: a GUID in braces. */
  readonly UniqueName: string;
  readonly ServiceName: string;
}

const isInteger = (value: unknown, max: number): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= max;
const isUchar = (value: unknown): value is number => isInteger(value, 0xff);
const isUshort = (value: unknown): value is number => isInteger(value, 0xffff);
const isUlong = (value: unknown): value is number => isInteger(value, 0xffffffff);

function show(value: unknown): string {
  if (typeof value === "string")
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "function") return "a function";
  if (typeof value === "object" && value !== null)
    return Array.isArray(value) ? "an array" : "an object";
  return String(value);
}

/** Reads one field, turning a throwing getter or proxy trap into BAD_CHARACTERISTICS. */
function read(structure: object, structName: string, field: string): unknown {
  return readField(structure, structName, field, NDIS_STATUS_BAD_CHARACTERISTICS);
}

function readHeader(
  structure: object,
  structName: string,
  expectedType: number,
  limits: RegistrationLimits,
): { Type: number; Revision: unknown; Size: unknown } {
  const header = read(structure, structName, "Header");
  if (typeof header !== "object" || header === null) {
    throw new Reject(
      NDIS_STATUS_BAD_CHARACTERISTICS,
      `${structName}.Header is ${show(header)}, not an NDIS_OBJECT_HEADER`,
    );
  }
  const where = `${structName}.Header`;
  const Type = read(header, where, "Type");
  const accepted =
    Type === expectedType || (limits.acceptDefaultHeaderType && Type === NDIS_OBJECT_TYPE_DEFAULT);
  if (!accepted) {
    const got = isUchar(Type) ? ndisObjectTypeToString(Type) : show(Type);
    const also = limits.acceptDefaultHeaderType ? " or NDIS_OBJECT_TYPE_DEFAULT (0x80)" : "";
    throw new Reject(
      NDIS_STATUS_BAD_CHARACTERISTICS,
      `${where}.Type is ${got}; NDIS expects ${ndisObjectTypeToString(expectedType)}${also}`,
    );
  }
  return {
    Type: Type as number,
    Revision: read(header, where, "Revision"),
    Size: read(header, where, "Size"),
  };
}

function readVersion(
  structure: object,
  structName: string,
  limits: RegistrationLimits,
): NdisVersionInfo {
  const major = read(structure, structName, "MajorNdisVersion");
  const minor = read(structure, structName, "MinorNdisVersion");
  if (major !== 6) {
    throw new Reject(
      NDIS_STATUS_BAD_VERSION,
      `${structName}.MajorNdisVersion is ${show(major)}; an NDIS 6 driver declares 6`,
    );
  }
  const version = isUchar(minor) ? ndisVersionByMinor(minor) : undefined;
  if (version === undefined) {
    throw new Reject(
      NDIS_STATUS_BAD_VERSION,
      `${structName}.MinorNdisVersion is ${show(minor)}; NDIS 6 minors are 0, 1, 20, 30, 40, 50, 51, 60, 70, 80–89 (6.20 is minor 20)`,
    );
  }
  if (version.minor > limits.version.minor) {
    throw new Reject(
      NDIS_STATUS_BAD_VERSION,
      `the driver declares NDIS ${version.label}; this host runs NDIS ${limits.version.label} (${limits.version.os})`,
    );
  }
  return version;
}

function readRevision(
  Revision: unknown,
  Size: unknown,
  structName: string,
  declared: NdisVersionInfo,
  newestForHost: number,
  requiredForDeclared: number,
  sizes: Readonly<Record<number, number>>,
): number {
  const where = `${structName}.Header`;
  if (!isUchar(Revision) || sizes[Revision] === undefined) {
    throw new Reject(
      NDIS_STATUS_BAD_CHARACTERISTICS,
      `${where}.Revision is ${show(Revision)}; no such revision`,
    );
  }
  if (Revision > newestForHost) {
    throw new Reject(
      NDIS_STATUS_BAD_CHARACTERISTICS,
      `${where}.Revision is ${Revision}; this host's NDIS knows revisions up to ${newestForHost}`,
    );
  }
  if (Revision < requiredForDeclared) {
    throw new Reject(
      NDIS_STATUS_BAD_CHARACTERISTICS,
      `${where}.Revision is ${Revision}; a driver declaring NDIS ${declared.label} must pass revision ${requiredForDeclared}`,
    );
  }
  const needed = sizes[Revision] as number;
  if (!isUshort(Size) || Size < needed) {
    throw new Reject(
      NDIS_STATUS_BAD_CHARACTERISTICS,
      `${where}.Size is ${show(Size)}; revision ${Revision} needs at least ${needed} (NDIS_SIZEOF_…_REVISION_${Revision})`,
    );
  }
  return Revision;
}

function readHandlers<Name extends string>(
  structure: object,
  structName: string,
  slots: readonly HandlerSlot<Name>[],
  revision: number,
): Partial<Record<Name, EntryPoint>> {
  const handlers: Partial<Record<Name, EntryPoint>> = {};
  const missing: Name[] = [];
  for (const slot of slots) {
    if (slot.revision > revision) continue; // past the claimed revision: never read
    const value = read(structure, structName, slot.name);
    if (value === undefined || value === null) {
      if (slot.required) missing.push(slot.name);
      continue;
    }
    if (typeof value !== "function") {
      throw new Reject(
        NDIS_STATUS_BAD_CHARACTERISTICS,
        `${structName}.${slot.name} is ${show(value)}; an entry point is a function or NULL`,
      );
    }
    handlers[slot.name] = value as EntryPoint;
  }
  if (missing.length > 0) {
    throw new Reject(
      NDIS_STATUS_BAD_CHARACTERISTICS,
      `${structName} lacks required entry point${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`,
    );
  }
  return handlers;
}

const MINIPORT = "NDIS_MINIPORT_DRIVER_CHARACTERISTICS";
const PROTOCOL = "NDIS_PROTOCOL_DRIVER_CHARACTERISTICS";

/** What tells the two characteristics structures apart for the checks they share. */
interface StructureKind {
  /** The structure's name, for reasons. */
  readonly name: string;
  /** The DDI parameter that carries it, for the "not a structure" reason. */
  readonly parameter: string;
  readonly headerType: number;
  readonly sizes: Readonly<Record<number, number>>;
  readonly revisionFor: (version: NdisVersionInfo) => number;
  /** The newest revision an NDIS of that version knows, when it differs from revisionFor. */
  readonly newestFor?: (version: NdisVersionInfo) => number;
}

const MINIPORT_KIND: StructureKind = {
  name: MINIPORT,
  parameter: "MiniportDriverCharacteristics",
  headerType: NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS,
  sizes: MINIPORT_CHARACTERISTICS_SIZES,
  revisionFor: (version) => version.miniportCharacteristicsRevision,
};

const PROTOCOL_KIND: StructureKind = {
  name: PROTOCOL,
  parameter: "ProtocolCharacteristics",
  headerType: NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS,
  sizes: PROTOCOL_CHARACTERISTICS_SIZES,
  revisionFor: (version) => version.protocolCharacteristicsRevision,
};

/** The fields every driver characteristics structure opens with, read and checked in order. */
function readCommon(chars: unknown, kind: StructureKind, limits: RegistrationLimits) {
  if (typeof chars !== "object" || chars === null) {
    throw new Reject(NDIS_STATUS_FAILURE, `${kind.parameter} is ${show(chars)}, not a structure`);
  }
  const header = readHeader(chars, kind.name, kind.headerType, limits);
  const version = readVersion(chars, kind.name, limits);
  const revision = readRevision(
    header.Revision,
    header.Size,
    kind.name,
    version,
    (kind.newestFor ?? kind.revisionFor)(limits.version),
    kind.revisionFor(version),
    kind.sizes,
  );
  const majorDriver = read(chars, kind.name, "MajorDriverVersion");
  const minorDriver = read(chars, kind.name, "MinorDriverVersion");
  const flags = read(chars, kind.name, "Flags") ?? 0;
  if (!isUlong(flags)) {
    throw new Reject(
      NDIS_STATUS_BAD_CHARACTERISTICS,
      `${kind.name}.Flags is ${show(flags)}, not a ULONG`,
    );
  }
  return {
    structure: chars,
    revision,
    version,
    flags,
    copy: {
      Header: Object.freeze({ Type: header.Type, Revision: revision, Size: header.Size as number }),
      MajorNdisVersion: 6,
      MinorNdisVersion: version.minor,
      MajorDriverVersion: isUchar(majorDriver) ? majorDriver : undefined,
      MinorDriverVersion: isUchar(minorDriver) ? minorDriver : undefined,
      Flags: flags,
      version,
    },
  };
}

/** Validates and copies a miniport characteristics table as NdisMRegisterMiniportDriver does. */
export function checkMiniportCharacteristics(
  chars: unknown,
  limits: RegistrationLimits,
): Checked<MiniportCharacteristicsCopy> {
  return runCheck(() => {
    const { structure, revision, flags, copy } = readCommon(chars, MINIPORT_KIND, limits);
    const handlers = readHandlers(structure, MINIPORT, MINIPORT_HANDLER_SLOTS, revision);
    if (
      (handlers.DirectOidRequestHandler === undefined) !==
      (handlers.CancelDirectOidRequestHandler === undefined)
    ) {
      throw new Reject(
        NDIS_STATUS_BAD_CHARACTERISTICS,
        `${MINIPORT}: DirectOidRequestHandler and CancelDirectOidRequestHandler are supplied together or not at all`,
      );
    }
    const isIntermediate = (flags & NDIS_INTERMEDIATE_DRIVER) !== 0;
    const ignoredHandlers: MiniportHandlerName[] = [];
    if (isIntermediate) {
      // NDIS never asks a virtual miniport to check for hangs or reset: drop them from the table.
      for (const name of ["CheckForHangHandlerEx", "ResetHandlerEx"] as const) {
        if (handlers[name] !== undefined) {
          ignoredHandlers.push(name);
          delete handlers[name];
        }
      }
    } else if (
      handlers.CheckForHangHandlerEx !== undefined &&
      handlers.ResetHandlerEx === undefined
    ) {
      throw new Reject(
        NDIS_STATUS_BAD_CHARACTERISTICS,
        `${MINIPORT}: a driver that supplies CheckForHangHandlerEx must supply ResetHandlerEx`,
      );
    }
    return Object.freeze({
      ...copy,
      handlers: Object.freeze(handlers),
      isIntermediate,
      ignoredHandlers: Object.freeze(ignoredHandlers),
    });
  });
}

/** Validates and copies a protocol characteristics table as NdisRegisterProtocolDriver does. */
export function checkProtocolCharacteristics(
  chars: unknown,
  limits: RegistrationLimits,
): Checked<ProtocolCharacteristicsCopy> {
  return runCheck(() => {
    const { structure, revision, copy } = readCommon(chars, PROTOCOL_KIND, limits);
    const name = read(structure, PROTOCOL, "Name");
    if (typeof name !== "string" || name.length === 0 || name.length > 0x7fff) {
      throw new Reject(
        NDIS_STATUS_BAD_CHARACTERISTICS,
        `${PROTOCOL}.Name is ${show(name)}; it must name the protocol`,
      );
    }
    const handlers = readHandlers(structure, PROTOCOL, PROTOCOL_HANDLER_SLOTS, revision);
    return Object.freeze({
      ...copy,
      Name: name,
      handlers: Object.freeze(handlers),
    });
  });
}

const FILTER = "NDIS_FILTER_DRIVER_CHARACTERISTICS";

const FILTER_KIND: StructureKind = {
  name: FILTER,
  parameter: "FilterDriverCharacteristics",
  headerType: NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS,
  sizes: FILTER_CHARACTERISTICS_SIZES,
  // A 6.0 driver passes revision 1, any later one revision 2 (the NDIS team's "NdisFRegisterFilterDriver
  // fails… now what?"); revision 3 (the synchronous OID handlers) exists from NDIS 6.81 on.
  revisionFor: (version) => (version.minor === 0 ? 1 : 2),
  newestFor: (version) => (version.minor === 0 ? 1 : version.minor < 81 ? 2 : 3),
};

/** `{5cbf81bd-5055-47cd-9055-a76b2b4e3697}`: a GUID in braces, as NetCfgInstanceId is. */
const BRACED_GUID =
  /^\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}$/;

function readName(structure: object, field: string): string {
  const value = read(structure, FILTER, field);
  if (typeof value !== "string" || value.length === 0 || value.length > 0x7fff) {
    throw new Reject(
      NDIS_STATUS_BAD_CHARACTERISTICS,
      `${FILTER}.${field} is ${show(value)}; it must be a non-empty NDIS_STRING`,
    );
  }
  return value;
}

/** The pairs NDIS checks among the optional handlers: `needs` only together with `with`. */
const FILTER_HANDLER_PAIRS: readonly (readonly [FilterHandlerName, FilterHandlerName, string])[] = [
  ["OidRequestHandler", "OidRequestCompleteHandler", "are supplied together or not at all"],
  ["OidRequestCompleteHandler", "OidRequestHandler", "are supplied together or not at all"],
  ["CancelOidRequestHandler", "OidRequestHandler", "needs OidRequestHandler"],
  [
    "DirectOidRequestHandler",
    "DirectOidRequestCompleteHandler",
    "are supplied together or not at all",
  ],
  [
    "DirectOidRequestCompleteHandler",
    "DirectOidRequestHandler",
    "are supplied together or not at all",
  ],
  ["CancelDirectOidRequestHandler", "DirectOidRequestHandler", "needs DirectOidRequestHandler"],
  [
    "CancelSendNetBufferListsHandler",
    "SendNetBufferListsHandler",
    "needs SendNetBufferListsHandler",
  ],
];

/**
 * Validates and copies a filter characteristics table as NdisFRegisterFilterDriver does: the
 * common opening (header type, NDIS version, revision and size, Flags), the three names, every
 * handler slot a function or NULL with FilterAttach/FilterDetach/FilterRestart/FilterPause
 * present, then the handler pairs (an OID handler with its completion, a cancel handler only with
 * what it cancels). The UniqueName must be a braced GUID (the INF's NetCfgInstanceId): otherwise
 * NDIS cannot find the filter's installation and fails with NDIS_STATUS_FAILURE.
 */
export function checkFilterCharacteristics(
  chars: unknown,
  limits: RegistrationLimits,
): Checked<FilterCharacteristicsCopy> {
  return runCheck(() => {
    const { structure, revision, copy } = readCommon(chars, FILTER_KIND, limits);
    const FriendlyName = readName(structure, "FriendlyName");
    const UniqueName = readName(structure, "UniqueName");
    const ServiceName = readName(structure, "ServiceName");
    const handlers = readHandlers(structure, FILTER, FILTER_HANDLER_SLOTS, revision);
    for (const [needs, other, why] of FILTER_HANDLER_PAIRS) {
      if (handlers[needs] !== undefined && handlers[other] === undefined) {
        const pair = why.startsWith("are") ? `${needs} and ${other} ${why}` : `${needs} ${why}`;
        throw new Reject(NDIS_STATUS_BAD_CHARACTERISTICS, `${FILTER}: ${pair}`);
      }
    }
    if (!BRACED_GUID.test(UniqueName)) {
      throw new Reject(
        NDIS_STATUS_FAILURE,
        `${FILTER}.UniqueName is ${show(UniqueName)}; it must be the filter's NetCfgInstanceId, a GUID in braces`,
      );
    }
    return Object.freeze({
      ...copy,
      FriendlyName,
      UniqueName,
      ServiceName,
      handlers: Object.freeze(handlers),
    });
  });
}
