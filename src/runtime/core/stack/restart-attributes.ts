/**
 * The restart attributes NDIS passes up a driver stack when it restarts it (NDIS_RESTART_ATTRIBUTES
 * and NDIS_RESTART_GENERAL_ATTRIBUTES pages): MiniportRestart gets a list whose first entry,
 * OID_GEN_MINIPORT_RESTART_ATTRIBUTES, is an NDIS_RESTART_GENERAL_ATTRIBUTES filled from the
 * adapter's general attributes; the miniport may change it; the filter modules above
 * (FilterRestart) and the protocols bound to the adapter (NetEventRestart) then get the same list,
 * with whatever the drivers below them changed. [MODEL] One list per MiniportRestart; filters and
 * protocols restarted later get the adapter's last one (a fresh one if the miniport never restarted).
 */
import { NDIS_SIZEOF_RECEIVE_SCALE_CAPABILITIES_REVISION_1 } from "../../../ndis/adapter.js";
import {
  NDIS_OBJECT_TYPE_RESTART_GENERAL_ATTRIBUTES,
  NDIS_OBJECT_TYPE_RSS_CAPABILITIES,
} from "../../../ndis/object-header.js";
import { OID_GEN_MINIPORT_RESTART_ATTRIBUTES } from "../../../ndis/oid.js";
import {
  type NDIS_RESTART_ATTRIBUTES,
  type NDIS_RESTART_GENERAL_ATTRIBUTES,
  NDIS_RESTART_GENERAL_ATTRIBUTES_REVISION_1,
  NDIS_RESTART_GENERAL_ATTRIBUTES_REVISION_2,
  NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_1,
  NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_2,
} from "../../../ndis/structs.js";
import type { MiniportAdapter } from "../objects/records.js";

const lastList = new WeakMap<MiniportAdapter, NDIS_RESTART_ATTRIBUTES>();

/** A new list for a restart of `adapter`; null when it has no general attributes yet. */
function build(adapter: MiniportAdapter): NDIS_RESTART_ATTRIBUTES | null {
  const g = adapter.general;
  if (g === null) return null;
  const rev2 = adapter.runtime.version.minor >= 20;
  const size = rev2
    ? NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_2
    : NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_1;
  const rss = g.RecvScaleCapabilities;
  const data: NDIS_RESTART_GENERAL_ATTRIBUTES = {
    Header: {
      Type: NDIS_OBJECT_TYPE_RESTART_GENERAL_ATTRIBUTES,
      Revision: rev2
        ? NDIS_RESTART_GENERAL_ATTRIBUTES_REVISION_2
        : NDIS_RESTART_GENERAL_ATTRIBUTES_REVISION_1,
      Size: size,
    },
    MtuSize: g.MtuSize,
    MaxXmitLinkSpeed: g.MaxXmitLinkSpeed,
    MaxRcvLinkSpeed: g.MaxRcvLinkSpeed,
    LookaheadSize: g.LookaheadSize,
    MacOptions: g.MacOptions,
    SupportedPacketFilters: g.SupportedPacketFilters,
    MaxMulticastListSize: g.MaxMulticastListSize,
    // The page: an adapter without RSS gets a structure filled with zeros, never NULL.
    RecvScaleCapabilities:
      rss === null
        ? {
            Header: { Type: 0, Revision: 0, Size: 0 },
            CapabilitiesFlags: 0,
            NumberOfInterruptMessages: 0,
            NumberOfReceiveQueues: 0,
          }
        : {
            Header: {
              Type: NDIS_OBJECT_TYPE_RSS_CAPABILITIES,
              Revision: rss.Header.Revision,
              Size: rss.Header.Size || NDIS_SIZEOF_RECEIVE_SCALE_CAPABILITIES_REVISION_1,
            },
            CapabilitiesFlags: rss.CapabilitiesFlags,
            NumberOfInterruptMessages: rss.NumberOfInterruptMessages,
            NumberOfReceiveQueues: rss.NumberOfReceiveQueues,
          },
    AccessType: g.AccessType,
    Flags: 0,
    ConnectionType: g.ConnectionType,
    SupportedStatistics: g.SupportedStatistics,
    DataBackFillSize: g.DataBackFillSize,
    ContextBackFillSize: g.ContextBackFillSize,
    SupportedOidList: [...g.SupportedOidList],
    SupportedOidListLength: g.SupportedOidList.length * 4,
  };
  if (rev2) data.MaxLookaheadSizeAccessed = 0;
  return { Next: null, Oid: OID_GEN_MINIPORT_RESTART_ATTRIBUTES, DataLength: size, Data: data };
}

/** The list MiniportRestart gets: new for this restart, and kept for the drivers above. */
export function restartAttributesForMiniport(
  adapter: MiniportAdapter,
): NDIS_RESTART_ATTRIBUTES | null {
  const list = build(adapter);
  if (list === null) lastList.delete(adapter);
  else lastList.set(adapter, list);
  return list;
}

/** The list a filter module or protocol above `adapter` gets at its restart. */
export function restartAttributesAbove(adapter: MiniportAdapter): NDIS_RESTART_ATTRIBUTES | null {
  return lastList.get(adapter) ?? restartAttributesForMiniport(adapter);
}
