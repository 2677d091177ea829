/**
 * Tables a driver may hand to NdisSetOptionalHandlers from its SetOptions handler. Each starts
 * with an NDIS_OBJECT_HEADER whose Type says which table it is.
 */
import type { NDIS_OBJECT_HEADER } from "./object-header.js";

/** NDIS_DRIVER_OPTIONAL_HANDLERS: any optional-handler table, told apart by `Header.Type`. */
export interface NDIS_DRIVER_OPTIONAL_HANDLERS {
  Header: NDIS_OBJECT_HEADER;
  readonly [field: string]: unknown;
}

export const NDIS_MINIPORT_PNP_CHARACTERISTICS_REVISION_1 = 1;
/** x64: header (4) padded to 8, four pointers, Flags (4) padded to 8. */
export const NDIS_SIZEOF_MINIPORT_PNP_CHARACTERISTICS_REVISION_1 = 48;

/** NDIS_MINIPORT_PNP_CHARACTERISTICS (Type 0x92): AddDevice and friends. */
export interface NDIS_MINIPORT_PNP_CHARACTERISTICS extends NDIS_DRIVER_OPTIONAL_HANDLERS {
  MiniportAddDeviceHandler?: ((...args: never[]) => unknown) | null;
  MiniportRemoveDeviceHandler?: ((...args: never[]) => unknown) | null;
  MiniportFilterResourceRequirementsHandler?: ((...args: never[]) => unknown) | null;
  MiniportStartDeviceHandler?: ((...args: never[]) => unknown) | null;
  Flags?: number;
}
