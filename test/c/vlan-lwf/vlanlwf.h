/*
 * vlanlwf: an NDIS 6.30 lightweight filter, written for ndis-ts's tests in the style of the
 * open-source filters it must build unchanged: a global list of modules under a spin lock,
 * FILTER_*-style lock and memory macros, the module context declared for static analysis,
 * per-module registry parameters, a private NBL pool, a periodic timer and a work item, and a
 * control device answering IOCTLs.
 *
 * What it does: sends whose EtherType is the configured TagEtherType get an 802.1Q tag (the
 * configured VlanId) inserted in-band (NdisRetreatNetBufferDataStart, header bytes moved), and the
 * tag is taken out again when the send completes (NdisAdvanceNetBufferDataStart), so the protocol
 * gets its frame back as it sent it. Receives whose EtherType is DropEtherType are dropped.
 * Receives of ReflectEtherType are sent back down as clones (NdisAllocateCloneNetBufferList), the
 * original held until the clone's send completes. Everything else passes through. OIDs are
 * passed down as clones; net PnP and device PnP events are passed on. The module list is guarded
 * by an NDIS 6.20 read-write lock. With the registry value BypassReceives set, FilterSetModuleOptions
 * takes the module off the receive path (NdisSetOptionalHandlers with NULL receive handlers).
 *
 * Built with -DVLANLWF_BUG_RETURN_TWICE it returns a dropped receive twice (a planted bug the
 * verifier names).
 */
#ifndef VLANLWF_H
#define VLANLWF_H

#define FILTER_FRIENDLY_NAME L"ndis-ts VLAN tagging filter (test)"
#define FILTER_UNIQUE_NAME L"{8d3c9f0e-2b71-4c55-9e4a-71c2d0a5b6e3}"
#define FILTER_SERVICE_NAME L"vlanlwf"
#define LINKNAME_STRING L"\\DosDevices\\VlanLwf"
#define NTDEVICE_STRING L"\\Device\\VlanLwf"

#define FILTER_ALLOC_TAG 'fLlV'
#define FILTER_POOL_TAG 'pLlV'
#define FILTER_CLONE_TAG 'cLlV'
#define FILTER_KPOOL_TAG 'kLlV'

#define ETH_TYPE_8021Q 0x8100
#define VLANLWF_TAG_BYTES 4

#define IOCTL_VLANLWF_STATS CTL_CODE(FILE_DEVICE_NETWORK, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)

#include <pshpack1.h>
typedef struct _ETH_HEADER {
  UCHAR DstAddr[ETH_LENGTH_OF_ADDRESS];
  UCHAR SrcAddr[ETH_LENGTH_OF_ADDRESS];
  USHORT EthType;
} ETH_HEADER, *PETH_HEADER;
#include <poppack.h>
C_ASSERT(sizeof(ETH_HEADER) == 14);

typedef NDIS_SPIN_LOCK FILTER_LOCK, *PFILTER_LOCK;
#define FILTER_LIST_READ(_pState) NdisAcquireRWLockRead(FilterListLock, (_pState), 0)
#define FILTER_LIST_WRITE(_pState) NdisAcquireRWLockWrite(FilterListLock, (_pState), 0)
#define FILTER_LIST_RELEASE(_pState) NdisReleaseRWLock(FilterListLock, (_pState))
#define FILTER_INIT_LOCK(_pLock) NdisAllocateSpinLock(_pLock)
#define FILTER_FREE_LOCK(_pLock) NdisFreeSpinLock(_pLock)
#define FILTER_ACQUIRE_LOCK(_pLock, DispatchLevel) \
  {                                                 \
    if (DispatchLevel) {                            \
      NdisDprAcquireSpinLock(_pLock);               \
    } else {                                        \
      NdisAcquireSpinLock(_pLock);                  \
    }                                               \
  }
#define FILTER_RELEASE_LOCK(_pLock, DispatchLevel) \
  {                                                 \
    if (DispatchLevel) {                            \
      NdisDprReleaseSpinLock(_pLock);               \
    } else {                                        \
      NdisReleaseSpinLock(_pLock);                  \
    }                                               \
  }
#define FILTER_ALLOC_MEM(_NdisHandle, _Size) \
  NdisAllocateMemoryWithTagPriority(_NdisHandle, _Size, FILTER_ALLOC_TAG, LowPoolPriority)
#define FILTER_FREE_MEM(_pMem) NdisFreeMemory(_pMem, 0, 0)

#if DBG
#define DEBUGP(lvl, ...) DbgPrintEx(DPFLTR_IHVNETWORK_ID, (lvl), __VA_ARGS__)
#else
#define DEBUGP(lvl, ...)
#endif

typedef enum _FILTER_STATE {
  FilterStateUnspecified,
  FilterInitialized,
  FilterPausing,
  FilterPaused,
  FilterRunning,
  FilterRestarting,
  FilterDetaching
} FILTER_STATE;

typedef struct _VLANLWF_STATS {
  ULONG SentTagged;
  ULONG SentPassed;
  ULONG ReceivesDropped;
  ULONG ReceivesPassed;
  ULONG TimerTicks;
  ULONG WorkItemRuns;
  ULONG VlanId;
  ULONG TagEtherType;
  ULONG DropEtherType;
  ULONG OidsForwarded;
  ULONG LastTickTime;
  ULONG Reflected;
  ULONG PnpEvents;
  ULONG ReflectEtherType;
} VLANLWF_STATS, *PVLANLWF_STATS;

typedef struct _LWF_FILTER {
  LIST_ENTRY FilterModuleLink;
  ULONG RefCount;
  NDIS_HANDLE FilterHandle;
  NDIS_STRING FilterModuleName;
  NET_IFINDEX MiniportIfIndex;
  FILTER_STATE State;
  FILTER_LOCK Lock;
  NDIS_HANDLE NblPool;
  NDIS_HANDLE Timer;
  NDIS_HANDLE WorkItem;
  BOOLEAN WorkItemQueued;
  LONG OutstandingSends;
  LONG OutstandingReceives;
  NDIS_EVENT PauseDone;
  USHORT VlanId;
  USHORT TagEtherType;
  USHORT DropEtherType;
  USHORT ReflectEtherType;
  BOOLEAN BypassReceives;
  VLANLWF_STATS Stats;
} LWF_FILTER, *PLWF_FILTER;

NDIS_DECLARE_FILTER_MODULE_CONTEXT(LWF_FILTER);

/* A reflected clone is the filter's own NBL: its ProtocolReserved holds the original. */
#define REFLECT_ORIGINAL(_Clone) (NET_BUFFER_LIST_PROTOCOL_RESERVED(_Clone)[0])

extern NDIS_HANDLE FilterDriverHandle;
extern NDIS_HANDLE FilterDriverObject;
extern PNDIS_RW_LOCK_EX FilterListLock;
extern LIST_ENTRY FilterModuleList;

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD FilterUnload;
FILTER_SET_OPTIONS FilterRegisterOptions;
FILTER_SET_MODULE_OPTIONS FilterSetModuleOptions;
FILTER_ATTACH FilterAttach;
FILTER_DETACH FilterDetach;
FILTER_RESTART FilterRestart;
FILTER_PAUSE FilterPause;
FILTER_OID_REQUEST FilterOidRequest;
FILTER_OID_REQUEST_COMPLETE FilterOidRequestComplete;
FILTER_CANCEL_OID_REQUEST FilterCancelOidRequest;
FILTER_STATUS FilterStatus;
FILTER_NET_PNP_EVENT FilterNetPnPEvent;
FILTER_DEVICE_PNP_EVENT_NOTIFY FilterDevicePnPEventNotify;
FILTER_SEND_NET_BUFFER_LISTS FilterSendNetBufferLists;
FILTER_SEND_NET_BUFFER_LISTS_COMPLETE FilterSendNetBufferListsComplete;
FILTER_CANCEL_SEND_NET_BUFFER_LISTS FilterCancelSendNetBufferLists;
FILTER_RECEIVE_NET_BUFFER_LISTS FilterReceiveNetBufferLists;
FILTER_RETURN_NET_BUFFER_LISTS FilterReturnNetBufferLists;
NDIS_TIMER_FUNCTION FilterStatsTimer;
NDIS_IO_WORKITEM_FUNCTION FilterStatsWorkItem;

_IRQL_requires_max_(PASSIVE_LEVEL) NDIS_STATUS FilterRegisterDevice(VOID);
_IRQL_requires_max_(PASSIVE_LEVEL) VOID FilterDeregisterDevice(VOID);

#endif
