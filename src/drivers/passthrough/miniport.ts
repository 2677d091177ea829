/**
 * Passthrough driver, miniport (upper) edge: the MiniportXxx entry points of the virtual miniport.
 *
 * The runtime does not create IM virtual miniports yet (NdisIMInitializeDeviceInstanceEx arrives
 * with the bindings work), so NDIS cannot call these handlers today; each states what it does now
 * and what the passthrough driver will do once adapters exist.
 */
import {
  type MINIPORT_CANCEL_OID_REQUEST,
  type MINIPORT_CANCEL_SEND,
  type MINIPORT_DEVICE_PNP_EVENT_NOTIFY,
  type MINIPORT_DRIVER_UNLOAD,
  type MINIPORT_HALT,
  type MINIPORT_INITIALIZE,
  type MINIPORT_OID_REQUEST,
  type MINIPORT_PAUSE,
  type MINIPORT_RESTART,
  type MINIPORT_RETURN_NET_BUFFER_LISTS,
  type MINIPORT_SEND_NET_BUFFER_LISTS,
  type MINIPORT_SHUTDOWN,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_SUCCESS,
  NdisDeregisterProtocolDriver,
  NdisMDeregisterMiniportDriver,
} from "../../ddi.js";
import { forgetGlobals, globalsOf } from "./globals.js";

/**
 * MiniportInitializeEx. Called by NDIS for a virtual miniport the driver asked for with
 * NdisIMInitializeDeviceInstanceEx; PASSIVE_LEVEL. Until adapters exist it refuses.
 */
export const MPInitialize: MINIPORT_INITIALIZE = () => NDIS_STATUS_FAILURE;

/** MiniportHaltEx. Called from Paused, with no sends or OIDs outstanding; PASSIVE_LEVEL. */
export const MPHalt: MINIPORT_HALT = () => {};

/**
 * MiniportDriverUnload. Called after every virtual miniport is halted and every binding unbound;
 * PASSIVE_LEVEL. Undoes DriverEntry: the protocol edge first, then the miniport edge.
 */
export const MPDriverUnload: MINIPORT_DRIVER_UNLOAD = (DriverObject) => {
  const globals = globalsOf(DriverObject);
  if (globals === undefined) return;
  if (globals.ProtocolHandle !== undefined) NdisDeregisterProtocolDriver(globals.ProtocolHandle);
  if (globals.MiniportDriverHandle !== undefined)
    NdisMDeregisterMiniportDriver(globals.MiniportDriverHandle);
  forgetGlobals(DriverObject);
};

/** MiniportPause. Returns SUCCESS or PENDING only (N.B. pause must eventually succeed). */
export const MPPause: MINIPORT_PAUSE = () => NDIS_STATUS_SUCCESS;

/** MiniportRestart. */
export const MPRestart: MINIPORT_RESTART = () => NDIS_STATUS_SUCCESS;

/** MiniportOidRequest. Nothing is answered or forwarded yet. */
export const MPOidRequest: MINIPORT_OID_REQUEST = () => NDIS_STATUS_NOT_SUPPORTED;

/** MiniportSendNetBufferLists. Data path: arrives with the NET_BUFFER_LIST work. */
export const MPSendNetBufferLists: MINIPORT_SEND_NET_BUFFER_LISTS = () => {};

/** MiniportReturnNetBufferLists. */
export const MPReturnNetBufferLists: MINIPORT_RETURN_NET_BUFFER_LISTS = () => {};

/** MiniportCancelSend. */
export const MPCancelSend: MINIPORT_CANCEL_SEND = () => {};

/** MiniportDevicePnPEventNotify. */
export const MPDevicePnPEventNotify: MINIPORT_DEVICE_PNP_EVENT_NOTIFY = () => {};

/** MiniportShutdownEx. A virtual miniport has no hardware to quiesce. */
export const MPShutdown: MINIPORT_SHUTDOWN = () => {};

/** MiniportCancelOidRequest. */
export const MPCancelOidRequest: MINIPORT_CANCEL_OID_REQUEST = () => {};
