/**
 * Passthrough driver, protocol (lower) edge: the ProtocolXxx entry points of its bindings.
 *
 * The runtime does not bind protocols to adapters yet, so NDIS cannot call these handlers today;
 * ProtocolBindAdapterEx refuses until bindings exist.
 */
import {
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_SUCCESS,
  type PROTOCOL_BIND_ADAPTER_EX,
  type PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX,
  type PROTOCOL_NET_PNP_EVENT,
  type PROTOCOL_OID_REQUEST_COMPLETE,
  type PROTOCOL_OPEN_ADAPTER_COMPLETE_EX,
  type PROTOCOL_RECEIVE_NET_BUFFER_LISTS,
  type PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE,
  type PROTOCOL_STATUS_EX,
  type PROTOCOL_UNBIND_ADAPTER_EX,
} from "../../ddi.js";

/** ProtocolBindAdapterEx: PASSIVE_LEVEL. */
export const PtBindAdapter: PROTOCOL_BIND_ADAPTER_EX = () => NDIS_STATUS_NOT_SUPPORTED;

/** ProtocolUnbindAdapterEx: called only on a Paused binding; cannot fail. */
export const PtUnbindAdapter: PROTOCOL_UNBIND_ADAPTER_EX = () => NDIS_STATUS_SUCCESS;

/** ProtocolOpenAdapterCompleteEx. */
export const PtOpenAdapterComplete: PROTOCOL_OPEN_ADAPTER_COMPLETE_EX = () => {};

/** ProtocolCloseAdapterCompleteEx. */
export const PtCloseAdapterComplete: PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX = () => {};

/** ProtocolNetPnPEvent. */
export const PtNetPnPEvent: PROTOCOL_NET_PNP_EVENT = () => NDIS_STATUS_SUCCESS;

/** ProtocolOidRequestComplete. */
export const PtOidRequestComplete: PROTOCOL_OID_REQUEST_COMPLETE = () => {};

/** ProtocolStatusEx. */
export const PtStatus: PROTOCOL_STATUS_EX = () => {};

/** ProtocolReceiveNetBufferLists. */
export const PtReceiveNetBufferLists: PROTOCOL_RECEIVE_NET_BUFFER_LISTS = () => {};

/** ProtocolSendNetBufferListsComplete. */
export const PtSendNetBufferListsComplete: PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE = () => {};
