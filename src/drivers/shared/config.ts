/**
 * Reading registry parameters through an open configuration handle (NdisReadConfiguration), with
 * the answers the drivers need: absent, present, or present but malformed.
 */
import {
  NDIS_CONFIGURATION_OBJECT_REVISION_1,
  type NDIS_CONFIGURATION_PARAMETER,
  type NDIS_HANDLE,
  NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT,
  NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1,
  type NDIS_STATUS,
  NDIS_STATUS_SUCCESS,
  NdisOpenConfigurationEx,
  NdisParameterInteger,
  NdisParameterString,
  NdisReadConfiguration,
  type Out,
} from "../../ddi.js";

/** NdisOpenConfigurationEx on `NdisHandle`; the handle, or the failing status. */
export function openConfiguration(
  NdisHandle: NDIS_HANDLE,
): { handle: NDIS_HANDLE } | { status: NDIS_STATUS } {
  const out: Out<NDIS_HANDLE> = {};
  const status = NdisOpenConfigurationEx(
    {
      Header: {
        Type: NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT,
        Revision: NDIS_CONFIGURATION_OBJECT_REVISION_1,
        Size: NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1,
      },
      NdisHandle,
      Flags: 0,
    },
    out,
  );
  if (status !== NDIS_STATUS_SUCCESS || out.value === undefined) return { status };
  return { handle: out.value };
}

function read(
  config: NDIS_HANDLE,
  keyword: string,
  type: number,
): NDIS_CONFIGURATION_PARAMETER | null {
  const status: Out<NDIS_STATUS> = {};
  const value: Out<NDIS_CONFIGURATION_PARAMETER | null> = {};
  NdisReadConfiguration(status, value, config, keyword, type);
  return status.value === NDIS_STATUS_SUCCESS ? (value.value ?? null) : null;
}

/** A REG_SZ value, or null when absent (or not readable as a string). */
export function readString(config: NDIS_HANDLE, keyword: string): string | null {
  return read(config, keyword, NdisParameterString)?.ParameterData.StringData ?? null;
}

/**
 * An integer value: `fallback` when absent, the value when it is an integer in [min, max], else
 * `{ bad }` naming what was wrong.
 */
export function readInteger(
  config: NDIS_HANDLE,
  keyword: string,
  fallback: number,
  min: number,
  max: number,
): number | { bad: string } {
  const present = read(config, keyword, NdisParameterString) !== null;
  const value = read(config, keyword, NdisParameterInteger);
  if (value === null) return present ? { bad: `${keyword} is not an integer` } : fallback;
  const n = value.ParameterData.IntegerData;
  if (!Number.isInteger(n) || n < min || n > max)
    return { bad: `${keyword} ${n} is not in ${min}..${max}` };
  return n;
}
