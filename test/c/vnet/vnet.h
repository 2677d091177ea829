/*
 * vnet: a virtual Ethernet miniport in the style of the open-source netvmini-like drivers,
 * written for ndis-ts's tests from the documented meaning of each DDI. Every adapter of the
 * driver hangs on one virtual hub: a frame sent on one adapter is copied to the receive queue of
 * every other adapter whose packet filter takes it, and a per-adapter NDIS timer (the "receive
 * DPC") indicates the queue with receive NBLs allocated at initialize over the adapter's own
 * buffers. Each adapter reads its registry (NetworkAddress through NdisReadNetworkAddress,
 * *ReceiveBuffers), declares registration, general and offload attributes, answers the OIDs an
 * NDIS 6 miniport answers (OID_GEN_STATISTICS with NDIS_STATISTICS_INFO, interrupt moderation,
 * the packet filter and multicast list), indicates its link state at restart, pends a pause
 * until its receives come back, and frees everything at halt.
 */
#ifndef VNET_H
#define VNET_H

#include <ntddk.h>
#include <ndis.h>

#define VNET_TAG 'teNV'
#define VNET_MAX_FRAME 1514
#define VNET_MTU 1500
#define VNET_DEFAULT_RECEIVE_BUFFERS 8
#define VNET_HUB_QUEUE 32
#define VNET_LINK_SPEED 1000000000ULL
#define VNET_MAX_MULTICAST 32
#define VNET_VENDOR_DRIVER_VERSION 0x00010002

typedef struct _VNET_RCB {
  LIST_ENTRY Link;
  PNET_BUFFER_LIST Nbl;
  PMDL Mdl;
  PUCHAR Data;
} VNET_RCB, *PVNET_RCB;

typedef struct _VNET_FRAME {
  ULONG Length;
  UCHAR Data[VNET_MAX_FRAME];
} VNET_FRAME, *PVNET_FRAME;

typedef enum _VNET_STATE { VnetPaused, VnetRunning, VnetPausing } VNET_STATE;

typedef struct _VNET_ADAPTER {
  LIST_ENTRY HubLink;
  NDIS_HANDLE AdapterHandle;
  NDIS_SPIN_LOCK Lock;
  VNET_STATE State;
  UCHAR PermanentAddress[ETH_LENGTH_OF_ADDRESS];
  UCHAR CurrentAddress[ETH_LENGTH_OF_ADDRESS];
  ULONG PacketFilter;
  ULONG MulticastCount;
  UCHAR MulticastList[VNET_MAX_MULTICAST][ETH_LENGTH_OF_ADDRESS];
  ULONG Lookahead;
  NDIS_HANDLE RecvPool;
  PVNET_RCB Rcbs;
  ULONG RcbCount;
  LIST_ENTRY FreeRcbs;
  LONG RcbsOutstanding;
  NDIS_HANDLE RecvTimer;
  PVNET_FRAME Queue;
  ULONG QueueHead;
  ULONG QueueCount;
  NDIS_STATISTICS_INFO Stats;
  /* As netvmini does: the send path's own lock, tried at DISPATCH_LEVEL (raised by hand). */
  KSPIN_LOCK SendPathLock;
  ULONG SendPathBusy;
  /* The block the adapter sits in, aligned to NdisGetSharedDataAlignment inside it. */
  PVOID AllocatedBlock;
  PDEVICE_OBJECT Pdo, Fdo, NextDeviceObject;
} VNET_ADAPTER, *PVNET_ADAPTER;

NDIS_DECLARE_MINIPORT_ADAPTER_CONTEXT(VNET_ADAPTER);

DRIVER_INITIALIZE DriverEntry;
MINIPORT_SET_OPTIONS VnetSetOptions;
MINIPORT_INITIALIZE VnetInitialize;
MINIPORT_HALT VnetHalt;
MINIPORT_UNLOAD VnetUnload;
MINIPORT_PAUSE VnetPause;
MINIPORT_RESTART VnetRestart;
MINIPORT_OID_REQUEST VnetOidRequest;
MINIPORT_SEND_NET_BUFFER_LISTS VnetSendNetBufferLists;
MINIPORT_RETURN_NET_BUFFER_LISTS VnetReturnNetBufferLists;
MINIPORT_CANCEL_SEND VnetCancelSend;
MINIPORT_DEVICE_PNP_EVENT_NOTIFY VnetDevicePnPEventNotify;
MINIPORT_SHUTDOWN VnetShutdown;
MINIPORT_CANCEL_OID_REQUEST VnetCancelOidRequest;
NDIS_TIMER_FUNCTION VnetReceiveDpc;

/* hub.c */
VOID HubInitialize(VOID);
VOID HubAttach(PVNET_ADAPTER Adapter);
VOID HubDetach(PVNET_ADAPTER Adapter);
VOID HubTransmit(PVNET_ADAPTER From, PNET_BUFFER Nb, BOOLEAN DispatchLevel);
VOID HubFree(VOID);

#endif
