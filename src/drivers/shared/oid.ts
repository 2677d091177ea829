/**
 * Answering OID requests, as every miniport's MiniportOidRequest does: copy a value into a query's
 * InformationBuffer (or say how many bytes it needs with NDIS_STATUS_BUFFER_TOO_SHORT), encode a
 * ULONG or a statistics counter, and read the ULONG of a set request. Little-endian, as the OID
 * structures are on x64.
 */
import {
  type NDIS_OID_REQUEST,
  type NDIS_STATUS,
  NDIS_STATUS_BUFFER_TOO_SHORT,
  NDIS_STATUS_SUCCESS,
} from "../../ddi.js";

/** The query/set/method view of an NDIS_OID_REQUEST's DATA (one object under three names). */
export type OidData = NDIS_OID_REQUEST["DATA"]["QUERY_INFORMATION"];

/** Copies `bytes` into a query's buffer, or says how many it needs (BUFFER_TOO_SHORT). */
export function answerBytes(d: OidData, bytes: Uint8Array): NDIS_STATUS {
  if (d.InformationBuffer === null || d.InformationBufferLength < bytes.length) {
    d.BytesWritten = 0;
    d.BytesNeeded = bytes.length;
    return NDIS_STATUS_BUFFER_TOO_SHORT;
  }
  d.InformationBuffer.set(bytes, 0);
  d.BytesWritten = bytes.length;
  d.BytesNeeded = 0;
  return NDIS_STATUS_SUCCESS;
}

/** A ULONG, little-endian. */
export function ulong(value: number): Uint8Array {
  const v = value >>> 0;
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
}

/**
 * A statistics counter: a ULONG64 when the buffer holds 8 bytes, else a ULONG (as the GEN
 * statistics OIDs allow); BUFFER_TOO_SHORT below 4.
 */
export function answerCounter(d: OidData, value: number): NDIS_STATUS {
  if (d.InformationBuffer !== null && d.InformationBufferLength >= 8) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(value), true);
    return answerBytes(d, b);
  }
  return answerBytes(d, ulong(value));
}

/** The ULONG of a set request, or null after setting BytesRead 0 and BytesNeeded 4. */
export function readUlong(d: OidData): number | null {
  const b = d.InformationBuffer;
  if (b === null || d.InformationBufferLength < 4) {
    d.BytesRead = 0;
    d.BytesNeeded = 4;
    return null;
  }
  d.BytesRead = 4;
  return (
    ((b[0] as number) |
      ((b[1] as number) << 8) |
      ((b[2] as number) << 16) |
      ((b[3] as number) << 24)) >>>
    0
  );
}
