/**
 * NDIS_INTERRUPT_MODERATION_PARAMETERS (ntddndis.h): the InformationBuffer of
 * OID_GEN_INTERRUPT_MODERATION, which every NDIS 6 miniport answers (query and set; one without
 * moderation answers NdisInterruptModerationNotSupported and fails a set with
 * NDIS_STATUS_INVALID_DATA).
 *
 * [MODEL] An OID's InformationBuffer is bytes: Header (4), Flags (ULONG), InterruptModeration
 * (an enum, 4 bytes), little-endian.
 */
import { NDIS_OBJECT_TYPE_DEFAULT } from "./object-header.js";

/** NDIS_INTERRUPT_MODERATION: the values of InterruptModeration. */
export const NdisInterruptModerationUnknown = 0;
export const NdisInterruptModerationNotSupported = 1;
export const NdisInterruptModerationEnabled = 2;
export const NdisInterruptModerationDisabled = 3;

/** Flags: enabling or disabling takes a hardware reset / a halt and reinitialize. */
export const NDIS_INTERRUPT_MODERATION_CHANGE_NEEDS_RESET = 0x00000001;
export const NDIS_INTERRUPT_MODERATION_CHANGE_NEEDS_REINITIALIZE = 0x00000002;

export const NDIS_INTERRUPT_MODERATION_PARAMETERS_REVISION_1 = 1;
/** [DERIVED] Header 4, Flags 4, InterruptModeration 4. */
export const NDIS_SIZEOF_INTERRUPT_MODERATION_PARAMETERS_REVISION_1 = 12;

/** NDIS_INTERRUPT_MODERATION_PARAMETERS (Header Type NDIS_OBJECT_TYPE_DEFAULT, Revision 1). */
export interface NDIS_INTERRUPT_MODERATION_PARAMETERS {
  readonly Flags: number;
  readonly InterruptModeration: number;
}

/** The structure's 12 bytes, header filled in. */
export function ndisInterruptModerationParametersBytes(
  p: NDIS_INTERRUPT_MODERATION_PARAMETERS,
): Uint8Array {
  const bytes = new Uint8Array(NDIS_SIZEOF_INTERRUPT_MODERATION_PARAMETERS_REVISION_1);
  const view = new DataView(bytes.buffer);
  bytes[0] = NDIS_OBJECT_TYPE_DEFAULT;
  bytes[1] = NDIS_INTERRUPT_MODERATION_PARAMETERS_REVISION_1;
  view.setUint16(2, NDIS_SIZEOF_INTERRUPT_MODERATION_PARAMETERS_REVISION_1, true);
  view.setUint32(4, p.Flags >>> 0, true);
  view.setUint32(8, p.InterruptModeration >>> 0, true);
  return bytes;
}

/**
 * Reads the structure of a set request; null when the buffer is shorter than 12 bytes or its
 * header is not Type DEFAULT, Revision ≥ 1 with a Size of at least 12.
 */
export function ndisInterruptModerationParametersFromBytes(
  bytes: Uint8Array,
): NDIS_INTERRUPT_MODERATION_PARAMETERS | null {
  if (bytes.length < NDIS_SIZEOF_INTERRUPT_MODERATION_PARAMETERS_REVISION_1) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (
    bytes[0] !== NDIS_OBJECT_TYPE_DEFAULT ||
    (bytes[1] as number) < NDIS_INTERRUPT_MODERATION_PARAMETERS_REVISION_1 ||
    view.getUint16(2, true) < NDIS_SIZEOF_INTERRUPT_MODERATION_PARAMETERS_REVISION_1
  )
    return null;
  return { Flags: view.getUint32(4, true), InterruptModeration: view.getUint32(8, true) };
}
