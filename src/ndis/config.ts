/**
 * Configuration (registry) access: NDIS_CONFIGURATION_OBJECT for NdisOpenConfigurationEx, and the
 * NDIS_CONFIGURATION_PARAMETER NdisReadConfiguration hands back.
 *
 * Which key a handle opens depends on the NdisHandle in the configuration object: a miniport
 * adapter handle opens that device instance's parameters (the values an INF's AddReg wrote for
 * the adapter, here the stack file's adapter `registry`); a binding handle opens the protocol's
 * per-adapter parameters (Tcpip\Parameters\Interfaces\… on Windows, here the binding's
 * `registry`); a miniport or protocol driver handle opens the driver's service Parameters key.
 */
import type { NDIS_OBJECT_HEADER } from "./object-header.js";
import type { NDIS_HANDLE } from "./types.js";

export const NDIS_CONFIGURATION_OBJECT_REVISION_1 = 1;
/** [DERIVED] x64: Header 4, pad 4, NdisHandle 8, Flags 4, pad 4. */
export const NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1 = 24;

export interface NDIS_CONFIGURATION_OBJECT {
  /** Type NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT, Revision 1, Size ≥ NDIS_SIZEOF_…_REVISION_1. */
  readonly Header: NDIS_OBJECT_HEADER;
  /** A miniport adapter, binding, miniport driver or protocol driver handle. */
  readonly NdisHandle: NDIS_HANDLE;
  /** Reserved: 0. */
  readonly Flags: number;
}

/** NDIS_PARAMETER_TYPE */
export type NDIS_PARAMETER_TYPE = number;
export const NdisParameterInteger = 0;
export const NdisParameterHexInteger = 1;
export const NdisParameterString = 2;
export const NdisParameterMultiString = 3;
export const NdisParameterBinary = 4;

/**
 * NDIS_CONFIGURATION_PARAMETER. `ParameterData` is a union in C; here it is one object carrying the
 * member that `ParameterType` names (IntegerData for Integer/HexInteger, StringData for String and
 * MultiString — the strings separated by NUL characters as REG_MULTI_SZ is — BinaryData for
 * Binary). [MODEL] The other members hold 0, "" and an empty array.
 */
export interface NDIS_CONFIGURATION_PARAMETER {
  readonly ParameterType: NDIS_PARAMETER_TYPE;
  readonly ParameterData: {
    readonly IntegerData: number;
    readonly StringData: string;
    readonly BinaryData: Uint8Array;
  };
}
