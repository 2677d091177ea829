/**
 * The passthrough driver's state. A C driver keeps globals in file-scope variables; one module
 * here may be loaded by several hosts in one process, so each load (each DriverEntry) creates its
 * own and NDIS hands them back as the driver contexts (see `driver.ts`).
 *
 * ADAPT is a lower binding and VELAN its virtual miniport, as in Microsoft's MUX sample; the
 * passthrough driver has exactly one VELAN per ADAPT.
 */
import type {
  DRIVER_OBJECT,
  NDIS_BIND_PARAMETERS,
  NDIS_HANDLE,
  NDIS_LINK_STATE,
  NET_PNP_EVENT_NOTIFICATION,
} from "../../ddi.js";

export interface PassthroughGlobals {
  readonly DriverObject: DRIVER_OBJECT;
  /** From NdisMRegisterMiniportDriver: the IM miniport edge. */
  MiniportDriverHandle: NDIS_HANDLE | undefined;
  /** From NdisRegisterProtocolDriver: the protocol edge. */
  ProtocolHandle: NDIS_HANDLE | undefined;
  /** Every lower binding, open or opening. */
  readonly Adapters: ADAPT[];
}

/** One lower binding (the ProtocolBindingContext). */
export interface ADAPT {
  readonly Globals: PassthroughGlobals;
  readonly BindParameters: NDIS_BIND_PARAMETERS;
  /** The device instance name of this binding's virtual miniport. */
  readonly DeviceInstance: string;
  BindContext: NDIS_HANDLE | undefined;
  BindingHandle: NDIS_HANDLE | undefined;
  /** Set while an unbind waits for the virtual miniport's halt. */
  UnbindContext: NDIS_HANDLE | undefined;
  Velan: VELAN | null;
  /**
   * The SourceHandle of the NBLs the lower adapter indicates: NDIS has every one carry the
   * indicating adapter's handle, so one value per binding is saved for all of them, and put back
   * when they are returned down.
   */
  LowerSourceHandle: NDIS_HANDLE | null;
  /** NBLs sent down this binding and not yet completed. */
  SendsOutstanding: number;
  /** A NetEventPause of this binding waiting for its sends. */
  PendingPause: NET_PNP_EVENT_NOTIFICATION | null;
  /**
   * A PnP event to pass up that waits for the OID requests pended on the VELAN: NdisMNetPnPEvent
   * must not run while one is outstanding (SDV rule NdisMNetPnPEventInOIDRequest).
   */
  DeferredEvent: NET_PNP_EVENT_NOTIFICATION | null;
  /** The lower adapter's last NDIS_STATUS_LINK_STATE, if it indicated one. */
  LastLinkState: NDIS_LINK_STATE | null;
  /**
   * Between NDIS_STATUS_RESET_START and NDIS_STATUS_RESET_END on the binding: sends from above are
   * not passed down (the NDIS_STATUS_RESET_START page: hold data, make no calls to the miniport).
   */
  ResetInProgress: boolean;
}

/** The virtual miniport (the MiniportAdapterContext). */
export interface VELAN {
  readonly Adapt: ADAPT;
  readonly MiniportAdapterHandle: NDIS_HANDLE;
  /** True from initialization until restart, and from pause on. */
  Paused: boolean;
  /** MiniportPause returned PENDING; NdisMPauseComplete is due. */
  PausePending: boolean;
  /** Sends forwarded down and not yet completed. */
  SendsOutstanding: number;
  /** Receives indicated up and not yet returned. */
  ReceivesOutstanding: number;
  /** OID requests forwarded down that pended and have not been completed up. */
  OidsOutstanding: number;
}

/** A load's globals, before either edge is registered. */
export function createGlobals(DriverObject: DRIVER_OBJECT): PassthroughGlobals {
  return { DriverObject, MiniportDriverHandle: undefined, ProtocolHandle: undefined, Adapters: [] };
}

/** The name of the virtual miniport the passthrough driver puts over `adapterName`. */
export function deviceInstanceFor(adapterName: string): string {
  return `${adapterName}-pt`;
}
