/*
 * cpassthru: a 1:1 NDIS 6 intermediate driver in C, written for ndis-ts in the style of a WDK
 * driver, equal in behaviour to src/drivers/passthrough (the TypeScript one).
 *
 * ADAPT is a lower binding (the protocol edge's ProtocolBindingContext) and VELAN the virtual
 * miniport NDIS starts over it (the MiniportAdapterContext), as in Microsoft's MUX design; this
 * driver has exactly one VELAN per ADAPT. The driver forwards the very NBLs it is given.
 */
#ifndef CPASSTHRU_H
#define CPASSTHRU_H

#include <ndis.h>

#define PT_TAG_ADAPT 'tdAP'   /* 'PAdt' */
#define PT_TAG_CONTEXT 'sptP' /* 'Ptps': the per-send context allocation */
#define PT_TAG_CLONE 'iotP'   /* 'Ptoi': cloned OID requests */
#define PT_CONTEXT_SIZE MEMORY_ALLOCATION_ALIGNMENT
#define PT_INSTANCE_CHARS 128

typedef struct _VELAN VELAN, *PVELAN;

typedef struct _ADAPT {
  LIST_ENTRY Link;
  NDIS_HANDLE BindContext;
  NDIS_HANDLE BindingHandle;
  NDIS_HANDLE UnbindContext; /* set while an unbind waits for the VELAN's halt */
  PVELAN Velan;
  NDIS_HANDLE LowerSourceHandle; /* what every NBL indicated on this binding carries */
  LONG SendsOutstanding;
  PNET_PNP_EVENT_NOTIFICATION PendingPause;
  /* A PnP event for the VELAN's protocols, held while the VELAN has OID requests pended. */
  PNET_PNP_EVENT_NOTIFICATION DeferredEvent;
  /* The lower adapter, from the bind parameters. */
  NDIS_MEDIUM MediaType;
  NDIS_PHYSICAL_MEDIUM PhysicalMediumType;
  ULONG MtuSize;
  ULONG64 MaxXmitLinkSpeed, XmitLinkSpeed, MaxRcvLinkSpeed, RcvLinkSpeed;
  NDIS_MEDIA_CONNECT_STATE MediaConnectState;
  NDIS_MEDIA_DUPLEX_STATE MediaDuplexState;
  ULONG LookaheadSize;
  ULONG SupportedPacketFilters;
  ULONG MaxMulticastListSize;
  USHORT MacAddressLength;
  UCHAR CurrentMacAddress[NDIS_MAX_PHYS_ADDRESS_LENGTH];
  NET_IF_ACCESS_TYPE AccessType;
  NET_IF_DIRECTION_TYPE DirectionType;
  NET_IF_CONNECTION_TYPE ConnectionType;
  NET_IFTYPE IfType;
  ULONG DataBackFillSize;
  ULONG ContextBackFillSize;
  /* The virtual miniport's device instance name: the lower adapter's name and "-pt". */
  NDIS_STRING DeviceInstance;
  WCHAR DeviceInstanceBuffer[PT_INSTANCE_CHARS];
} ADAPT, *PADAPT;

struct _VELAN {
  PADAPT Adapt;
  NDIS_HANDLE MiniportAdapterHandle;
  BOOLEAN Paused;
  BOOLEAN PausePending;
  LONG SendsOutstanding;
  LONG ReceivesOutstanding;
  LONG OidsOutstanding; /* forwarded requests pended below, not yet completed above */
};

typedef struct _PT_GLOBALS {
  NDIS_HANDLE MiniportDriverHandle;
  NDIS_HANDLE ProtocolHandle;
  LIST_ENTRY Adapters;
  NDIS_SPIN_LOCK Lock;
} PT_GLOBALS;

extern PT_GLOBALS Globals;

/* protocol.c */
PROTOCOL_BIND_ADAPTER_EX PtBindAdapter;
PROTOCOL_UNBIND_ADAPTER_EX PtUnbindAdapter;
PROTOCOL_OPEN_ADAPTER_COMPLETE_EX PtOpenAdapterComplete;
PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX PtCloseAdapterComplete;
PROTOCOL_NET_PNP_EVENT PtNetPnPEvent;
PROTOCOL_STATUS_EX PtStatus;
NDIS_STATUS PtCloseLower(PADAPT Adapt, BOOLEAN Pended);
void PtPropagateDeferred(PVELAN Velan);

/* miniport.c */
MINIPORT_INITIALIZE MPInitialize;
MINIPORT_HALT MPHalt;
MINIPORT_UNLOAD MPDriverUnload;
MINIPORT_PAUSE MPPause;
MINIPORT_RESTART MPRestart;
MINIPORT_DEVICE_PNP_EVENT_NOTIFY MPDevicePnPEventNotify;
MINIPORT_SHUTDOWN MPShutdown;

/* datapath.c */
MINIPORT_SEND_NET_BUFFER_LISTS MPSendNetBufferLists;
MINIPORT_RETURN_NET_BUFFER_LISTS MPReturnNetBufferLists;
MINIPORT_CANCEL_SEND MPCancelSend;
PROTOCOL_RECEIVE_NET_BUFFER_LISTS PtReceiveNetBufferLists;
PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE PtSendNetBufferListsComplete;
void PtMaybeCompletePause(PVELAN Velan);
void PtMaybeCompleteBindingPause(PADAPT Adapt);

/* oid.c */
MINIPORT_OID_REQUEST MPOidRequest;
MINIPORT_CANCEL_OID_REQUEST MPCancelOidRequest;
PROTOCOL_OID_REQUEST_COMPLETE PtOidRequestComplete;

#endif
