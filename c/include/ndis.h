/*
 * ndis-ts: ndis.h for NDIS 6 drivers compiled to WebAssembly (wasm32).
 *
 * Written for ndis-ts from the documented meaning of NDIS's types, structures, macros and
 * routines (names, field order and constant values as documented); it is not the WDK's header.
 * The constant values come from ndis-ts's own vocabulary (src/ndis/), written out as
 * <ndis/values.h> by `ndis build` (and `ndis headers`), so the C and TypeScript sides agree.
 *
 * What is supported, and what differs from Windows, is in docs/c-drivers.md.
 */
#ifndef NDIS_TS_NDIS_H
#define NDIS_TS_NDIS_H
#define _NDIS_

#include <ndis/nt.h>

/*
 * The NDIS version the driver is built for: the highest NDISxyz (or NDISxyz_MINIPORT) it defines,
 * NDIS 6.0 when it defines none. NDIS_SUPPORT_NDISxyz is 1 for that version and every one before
 * it, and NDIS_{FILTER,MINIPORT,PROTOCOL}_{MAJOR,MINOR}_VERSION name it for the characteristics.
 */
#if defined(NDIS689) || defined(NDIS689_MINIPORT)
#define NDIS_TS_MINOR 89
#elif defined(NDIS688) || defined(NDIS688_MINIPORT)
#define NDIS_TS_MINOR 88
#elif defined(NDIS687) || defined(NDIS687_MINIPORT)
#define NDIS_TS_MINOR 87
#elif defined(NDIS686) || defined(NDIS686_MINIPORT)
#define NDIS_TS_MINOR 86
#elif defined(NDIS685) || defined(NDIS685_MINIPORT)
#define NDIS_TS_MINOR 85
#elif defined(NDIS684) || defined(NDIS684_MINIPORT)
#define NDIS_TS_MINOR 84
#elif defined(NDIS683) || defined(NDIS683_MINIPORT)
#define NDIS_TS_MINOR 83
#elif defined(NDIS682) || defined(NDIS682_MINIPORT)
#define NDIS_TS_MINOR 82
#elif defined(NDIS681) || defined(NDIS681_MINIPORT)
#define NDIS_TS_MINOR 81
#elif defined(NDIS680) || defined(NDIS680_MINIPORT)
#define NDIS_TS_MINOR 80
#elif defined(NDIS670) || defined(NDIS670_MINIPORT)
#define NDIS_TS_MINOR 70
#elif defined(NDIS660) || defined(NDIS660_MINIPORT)
#define NDIS_TS_MINOR 60
#elif defined(NDIS651) || defined(NDIS651_MINIPORT)
#define NDIS_TS_MINOR 51
#elif defined(NDIS650) || defined(NDIS650_MINIPORT)
#define NDIS_TS_MINOR 50
#elif defined(NDIS640) || defined(NDIS640_MINIPORT)
#define NDIS_TS_MINOR 40
#elif defined(NDIS630) || defined(NDIS630_MINIPORT)
#define NDIS_TS_MINOR 30
#elif defined(NDIS620) || defined(NDIS620_MINIPORT)
#define NDIS_TS_MINOR 20
#elif defined(NDIS61) || defined(NDIS61_MINIPORT)
#define NDIS_TS_MINOR 1
#else
#define NDIS_TS_MINOR 0
#endif
#define NDIS_SUPPORT_NDIS6 1
#define NDIS_SUPPORT_NDIS61 (NDIS_TS_MINOR >= 1)
#define NDIS_SUPPORT_NDIS620 (NDIS_TS_MINOR >= 20)
#define NDIS_SUPPORT_NDIS630 (NDIS_TS_MINOR >= 30)
#define NDIS_SUPPORT_NDIS640 (NDIS_TS_MINOR >= 40)
#define NDIS_SUPPORT_NDIS650 (NDIS_TS_MINOR >= 50)
#define NDIS_SUPPORT_NDIS651 (NDIS_TS_MINOR >= 51)
#define NDIS_SUPPORT_NDIS660 (NDIS_TS_MINOR >= 60)
#define NDIS_SUPPORT_NDIS670 (NDIS_TS_MINOR >= 70)
#define NDIS_SUPPORT_NDIS680 (NDIS_TS_MINOR >= 80)
#define NDIS_SUPPORT_NDIS681 (NDIS_TS_MINOR >= 81)
#define NDIS_SUPPORT_NDIS682 (NDIS_TS_MINOR >= 82)
#define NDIS_SUPPORT_NDIS683 (NDIS_TS_MINOR >= 83)
#define NDIS_SUPPORT_NDIS684 (NDIS_TS_MINOR >= 84)
#define NDIS_SUPPORT_NDIS685 (NDIS_TS_MINOR >= 85)
#define NDIS_SUPPORT_NDIS686 (NDIS_TS_MINOR >= 86)
#define NDIS_SUPPORT_NDIS687 (NDIS_TS_MINOR >= 87)
#define NDIS_SUPPORT_NDIS688 (NDIS_TS_MINOR >= 88)
#define NDIS_SUPPORT_NDIS689 (NDIS_TS_MINOR >= 89)
#define NDIS_FILTER_MINIMUM_MAJOR_VERSION 6
#define NDIS_FILTER_MINIMUM_MINOR_VERSION 0
#define NDIS_FILTER_MAJOR_VERSION 6
#define NDIS_FILTER_MINOR_VERSION NDIS_TS_MINOR
#define NDIS_MINIPORT_MAJOR_VERSION 6
#define NDIS_MINIPORT_MINOR_VERSION NDIS_TS_MINOR
#define NDIS_PROTOCOL_MAJOR_VERSION 6
#define NDIS_PROTOCOL_MINOR_VERSION NDIS_TS_MINOR
#ifndef NDIS_WDM
#define NDIS_WDM 0
#endif
/* The sections of `#pragma NDIS_INIT_FUNCTION(f)` / `NDIS_PAGEABLE_FUNCTION(f)` do not exist here
   (the pragmas are ignored); the names stay defined for drivers that test them. */
#define NDIS_INIT_FUNCTION(f) alloc_text(INIT, f)
#define NDIS_PAGEABLE_FUNCTION(f) alloc_text(PAGE, f)

typedef int NDIS_STATUS, *PNDIS_STATUS;
typedef PVOID NDIS_HANDLE, *PNDIS_HANDLE;
typedef ULONG NDIS_OID, *PNDIS_OID;
typedef ULONG NDIS_PORT_NUMBER, *PNDIS_PORT_NUMBER;
typedef ULONG NET_IFINDEX, *PNET_IFINDEX;
typedef USHORT NET_IFTYPE, *PNET_IFTYPE;
typedef ULONG NDIS_MEDIUM, *PNDIS_MEDIUM;
typedef ULONG NDIS_PHYSICAL_MEDIUM, *PNDIS_PHYSICAL_MEDIUM;
typedef ULONG NDIS_MEDIA_CONNECT_STATE, *PNDIS_MEDIA_CONNECT_STATE;
typedef ULONG NDIS_MEDIA_DUPLEX_STATE, *PNDIS_MEDIA_DUPLEX_STATE;
typedef NDIS_MEDIA_DUPLEX_STATE NET_IF_MEDIA_DUPLEX_STATE, *PNET_IF_MEDIA_DUPLEX_STATE;
typedef ULONG NDIS_SUPPORTED_PAUSE_FUNCTIONS;
typedef ULONG NDIS_INTERFACE_TYPE;
typedef ULONG NET_IF_ACCESS_TYPE, NET_IF_DIRECTION_TYPE, NET_IF_CONNECTION_TYPE;
typedef ULONG NDIS_REQUEST_TYPE, *PNDIS_REQUEST_TYPE;
typedef ULONG NDIS_HALT_ACTION, NDIS_SHUTDOWN_ACTION, NDIS_DEVICE_PNP_EVENT;
typedef ULONG NET_PNP_EVENT_CODE, NDIS_NET_BUFFER_LIST_INFO;
typedef ULONG NDIS_PARAMETER_TYPE;
typedef ULONG NDIS_DEVICE_POWER_STATE, *PNDIS_DEVICE_POWER_STATE;
typedef ULONG NDIS_HARDWARE_STATUS, *PNDIS_HARDWARE_STATUS;
typedef ULONG NET_DEVICE_POWER_STATE, *PNET_DEVICE_POWER_STATE;
#define NetDeviceStateUnspecified 0
#define NetDeviceStateD0 1
#define NetDeviceStateD1 2
#define NetDeviceStateD2 3
#define NetDeviceStateD3 4
typedef LARGE_INTEGER NDIS_PHYSICAL_ADDRESS, *PNDIS_PHYSICAL_ADDRESS;
typedef UNICODE_STRING NDIS_STRING, *PNDIS_STRING;
typedef const UNICODE_STRING *PCNDIS_STRING;
typedef ULONG NDIS_NIC_SWITCH_ID, NDIS_NIC_SWITCH_VPORT_ID;
typedef ULONG NDIS_RECEIVE_QUEUE_ID;
typedef ULONG_PTR NDIS_MINIPORT_RESERVED;

typedef union _NET_LUID {
  ULONG64 Value;
  struct {
    ULONG64 Reserved : 24;
    ULONG64 NetLuidIndex : 24;
    ULONG64 IfType : 16;
  } Info;
} NET_LUID, *PNET_LUID;

/* The constants: statuses, OIDs, object types and revisions, flags, enumerations. */
#include <ndis/values.h>

#ifndef MaxNetBufferListInfo
#define MaxNetBufferListInfo NDIS_NBL_INFO_SLOTS
#endif
#define NDIS_MAX_PHYS_ADDRESS_LENGTH 32
#define NDIS_OID_REQUEST_NDIS_RESERVED_SIZE 16

/* ---- the media, physical media and device PnP events, as numbered in the docs ---- */
#ifndef NdisMedium802_3
#define NdisMedium802_3 0
#endif
#ifndef NdisMedium802_5
#define NdisMedium802_5 1
#endif
#ifndef NdisMediumFddi
#define NdisMediumFddi 2
#endif
#ifndef NdisMediumWan
#define NdisMediumWan 3
#endif
#ifndef NdisMediumLocalTalk
#define NdisMediumLocalTalk 4
#endif
#ifndef NdisMediumDix
#define NdisMediumDix 5
#endif
#ifndef NdisMediumArcnetRaw
#define NdisMediumArcnetRaw 6
#endif
#ifndef NdisMediumArcnet878_2
#define NdisMediumArcnet878_2 7
#endif
#ifndef NdisMediumAtm
#define NdisMediumAtm 8
#endif
#ifndef NdisMediumWirelessWan
#define NdisMediumWirelessWan 9
#endif
#ifndef NdisMediumIrda
#define NdisMediumIrda 10
#endif
#ifndef NdisMediumBpc
#define NdisMediumBpc 11
#endif
#ifndef NdisMediumCoWan
#define NdisMediumCoWan 12
#endif
#ifndef NdisMedium1394
#define NdisMedium1394 13
#endif
#ifndef NdisMediumInfiniBand
#define NdisMediumInfiniBand 14
#endif
#ifndef NdisMediumTunnel
#define NdisMediumTunnel 15
#endif
#ifndef NdisMediumNative802_11
#define NdisMediumNative802_11 16
#endif
#ifndef NdisMediumLoopback
#define NdisMediumLoopback 17
#endif
#ifndef NdisMediumWiMAX
#define NdisMediumWiMAX 18
#endif
#ifndef NdisMediumIP
#define NdisMediumIP 19
#endif
#ifndef NdisPhysicalMediumUnspecified
#define NdisPhysicalMediumUnspecified 0
#endif
#ifndef NdisPhysicalMediumWirelessLan
#define NdisPhysicalMediumWirelessLan 1
#endif
#ifndef NdisPhysicalMediumCableModem
#define NdisPhysicalMediumCableModem 2
#endif
#ifndef NdisPhysicalMediumPhoneLine
#define NdisPhysicalMediumPhoneLine 3
#endif
#ifndef NdisPhysicalMediumPowerLine
#define NdisPhysicalMediumPowerLine 4
#endif
#ifndef NdisPhysicalMediumDSL
#define NdisPhysicalMediumDSL 5
#endif
#ifndef NdisPhysicalMediumFibreChannel
#define NdisPhysicalMediumFibreChannel 6
#endif
#ifndef NdisPhysicalMedium1394
#define NdisPhysicalMedium1394 7
#endif
#ifndef NdisPhysicalMediumWirelessWan
#define NdisPhysicalMediumWirelessWan 8
#endif
#ifndef NdisPhysicalMediumNative802_11
#define NdisPhysicalMediumNative802_11 9
#endif
#ifndef NdisPhysicalMediumBluetooth
#define NdisPhysicalMediumBluetooth 10
#endif
#ifndef NdisPhysicalMediumInfiniband
#define NdisPhysicalMediumInfiniband 11
#endif
#ifndef NdisPhysicalMediumWiMax
#define NdisPhysicalMediumWiMax 12
#endif
#ifndef NdisPhysicalMediumUWB
#define NdisPhysicalMediumUWB 13
#endif
#ifndef NdisPhysicalMedium802_3
#define NdisPhysicalMedium802_3 14
#endif
#ifndef NdisPhysicalMedium802_5
#define NdisPhysicalMedium802_5 15
#endif
#ifndef NdisPhysicalMediumIrda
#define NdisPhysicalMediumIrda 16
#endif
#ifndef NdisPhysicalMediumWiredWAN
#define NdisPhysicalMediumWiredWAN 17
#endif
#ifndef NdisPhysicalMediumWiredCoWan
#define NdisPhysicalMediumWiredCoWan 18
#endif
#ifndef NdisPhysicalMediumOther
#define NdisPhysicalMediumOther 19
#endif
#ifndef NdisDevicePnPEventQueryRemoved
#define NdisDevicePnPEventQueryRemoved 0
#endif
#ifndef NdisDevicePnPEventRemoved
#define NdisDevicePnPEventRemoved 1
#endif
#ifndef NdisDevicePnPEventSurpriseRemoved
#define NdisDevicePnPEventSurpriseRemoved 2
#endif
#ifndef NdisDevicePnPEventQueryStopped
#define NdisDevicePnPEventQueryStopped 3
#endif
#ifndef NdisDevicePnPEventStopped
#define NdisDevicePnPEventStopped 4
#endif
#ifndef NdisDevicePnPEventPowerProfileChanged
#define NdisDevicePnPEventPowerProfileChanged 5
#endif
#ifndef NdisDevicePnPEventFilterListChanged
#define NdisDevicePnPEventFilterListChanged 6
#endif
typedef const void *LPCVOID;
typedef void *LPVOID;

/* ---- memory ---- */
#define NdisZeroMemory(d, n) RtlZeroMemory((d), (n))
#define NdisMoveMemory(d, s, n) RtlCopyMemory((d), (s), (n))
#define NdisFillMemory(d, n, f) RtlFillMemory((d), (n), (f))
#define NdisEqualMemory(a, b, n) RtlEqualMemory((a), (b), (n))
#define NdisInterlockedIncrement(p) InterlockedIncrement(p)
#define NdisInterlockedDecrement(p) InterlockedDecrement(p)
#define NdisInterlockedAddUlong(p, v, lock) ((void)InterlockedExchangeAdd((LONG volatile *)(p), (LONG)(v)))
#define NdisInitializeString(d, s) RtlInitUnicodeString((d), (s))
#define NdisInitUnicodeString(d, s) RtlInitUnicodeString((d), (s))
#define NDIS_STRING_CONST(x) {sizeof(L##x) - sizeof(WCHAR), sizeof(L##x), (PWSTR)L##x}

/* ---- object header ---- */
typedef struct _NDIS_OBJECT_HEADER {
  UCHAR Type;
  UCHAR Revision;
  USHORT Size;
} NDIS_OBJECT_HEADER, *PNDIS_OBJECT_HEADER;

#define NDIS_SIZEOF_OBJECT_HEADER sizeof(NDIS_OBJECT_HEADER)
#define NDIS_DECLARE_OBJECT_HEADER(h, t, r, s) ((h).Type = (t), (h).Revision = (r), (h).Size = (s))

/* ---- spin locks, events ---- */
typedef struct _NDIS_SPIN_LOCK {
  KSPIN_LOCK SpinLock;
  KIRQL OldIrql;
} NDIS_SPIN_LOCK, *PNDIS_SPIN_LOCK;

typedef struct _NDIS_EVENT {
  KEVENT Event;
} NDIS_EVENT, *PNDIS_EVENT;

typedef struct _NDIS_RW_LOCK_EX *PNDIS_RW_LOCK_EX;

/* NDIS_RW_LOCK and LOCK_STATE are opaque to a driver: NDIS keeps who holds the lock. */
typedef struct _NDIS_RW_LOCK {
  PVOID Context;
  ULONG_PTR Reserved[4];
} NDIS_RW_LOCK, *PNDIS_RW_LOCK;

typedef struct _LOCK_STATE {
  USHORT LockState;
  KIRQL OldIrql;
} LOCK_STATE, *PLOCK_STATE;

/* NDIS_MUTEX wraps a KMUTEX; opaque to a driver. */
typedef struct _NDIS_MUTEX {
  PVOID Mutex[8];
  ULONG ThreadId;
} NDIS_MUTEX, *PNDIS_MUTEX;

/* ---- MDL helpers ---- */
#define NDIS_MDL_LINKAGE(Mdl) ((Mdl)->Next)
#define NdisGetNextMdl(Mdl, NextMdl) ((*(NextMdl)) = (Mdl)->Next)
#define NdisQueryMdl(Mdl, VirtualAddress, Length, Priority) \
  ((*(PVOID *)(VirtualAddress)) = MmGetSystemAddressForMdlSafe((Mdl), (Priority)), \
   (*(Length)) = MmGetMdlByteCount(Mdl))
#define NdisQueryMdlOffset(Mdl, Offset, Length) \
  ((*(Offset)) = MmGetMdlByteOffset(Mdl), (*(Length)) = MmGetMdlByteCount(Mdl))
#define NdisAdjustMdlLength(Mdl, Length) ((Mdl)->ByteCount = (Length))

/* ---- NET_BUFFER, NET_BUFFER_LIST ---- */
struct _NET_BUFFER;
struct _NET_BUFFER_LIST;

typedef union _NET_BUFFER_DATA_LENGTH {
  ULONG DataLength;
  SIZE_T stDataLength;
} NET_BUFFER_DATA_LENGTH;

typedef struct _NET_BUFFER_DATA {
  struct _NET_BUFFER *Next;
  PMDL CurrentMdl;
  ULONG CurrentMdlOffset;
  union {
    ULONG DataLength;
    SIZE_T stDataLength;
  };
  PMDL MdlChain;
  ULONG DataOffset;
} NET_BUFFER_DATA, *PNET_BUFFER_DATA;

typedef union _NET_BUFFER_HEADER {
  NET_BUFFER_DATA NetBufferData;
  SLIST_HEADER Link;
} NET_BUFFER_HEADER, *PNET_BUFFER_HEADER;

typedef struct _NET_BUFFER {
  union {
    struct {
      struct _NET_BUFFER *Next;
      PMDL CurrentMdl;
      ULONG CurrentMdlOffset;
      union {
        ULONG DataLength;
        SIZE_T stDataLength;
      };
      PMDL MdlChain;
      ULONG DataOffset;
    };
    SLIST_HEADER Link;
    NET_BUFFER_HEADER NetBufferHeader;
  };
  USHORT ChecksumBias;
  USHORT Reserved;
  NDIS_HANDLE NdisPoolHandle;
  DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) PVOID NdisReserved[2];
  DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) PVOID ProtocolReserved[6];
  DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) PVOID MiniportReserved[4];
  NDIS_PHYSICAL_ADDRESS DataPhysicalAddress;
  union {
    PVOID SharedMemoryInfo;
    PVOID ScatterGatherList;
  };
} NET_BUFFER, *PNET_BUFFER;

typedef struct _NET_BUFFER_LIST_CONTEXT {
  struct _NET_BUFFER_LIST_CONTEXT *Next;
  USHORT Size;
  USHORT Offset;
  DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) UCHAR ContextData[];
} NET_BUFFER_LIST_CONTEXT, *PNET_BUFFER_LIST_CONTEXT;

typedef struct _NET_BUFFER_LIST_DATA {
  struct _NET_BUFFER_LIST *Next;
  PNET_BUFFER FirstNetBuffer;
} NET_BUFFER_LIST_DATA, *PNET_BUFFER_LIST_DATA;

typedef union _NET_BUFFER_LIST_HEADER {
  NET_BUFFER_LIST_DATA NetBufferListData;
  SLIST_HEADER Link;
} NET_BUFFER_LIST_HEADER, *PNET_BUFFER_LIST_HEADER;

typedef struct _NET_BUFFER_LIST {
  union {
    struct {
      struct _NET_BUFFER_LIST *Next;
      PNET_BUFFER FirstNetBuffer;
    };
    SLIST_HEADER Link;
    NET_BUFFER_LIST_HEADER NetBufferListHeader;
  };
  PNET_BUFFER_LIST_CONTEXT Context;
  struct _NET_BUFFER_LIST *ParentNetBufferList;
  NDIS_HANDLE NdisPoolHandle;
  DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) PVOID NdisReserved[2];
  DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) PVOID ProtocolReserved[4];
  DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) PVOID MiniportReserved[2];
  PVOID Scratch;
  NDIS_HANDLE SourceHandle;
  ULONG NblFlags;
  LONG ChildRefCount;
  ULONG Flags;
  union {
    NDIS_STATUS Status;
    ULONG NdisReserved2;
  };
  PVOID NetBufferListInfo[MaxNetBufferListInfo];
} NET_BUFFER_LIST, *PNET_BUFFER_LIST;

/* The access macros. */
#define NET_BUFFER_NEXT_NB(_NB) ((_NB)->Next)
#define NET_BUFFER_FIRST_MDL(_NB) ((_NB)->MdlChain)
#define NET_BUFFER_DATA_LENGTH(_NB) ((_NB)->DataLength)
#define NET_BUFFER_DATA_OFFSET(_NB) ((_NB)->DataOffset)
#define NET_BUFFER_CURRENT_MDL(_NB) ((_NB)->CurrentMdl)
#define NET_BUFFER_CURRENT_MDL_OFFSET(_NB) ((_NB)->CurrentMdlOffset)
#define NET_BUFFER_PROTOCOL_RESERVED(_NB) ((_NB)->ProtocolReserved)
#define NET_BUFFER_MINIPORT_RESERVED(_NB) ((_NB)->MiniportReserved)
#define NET_BUFFER_CHECKSUM_BIAS(_NB) ((_NB)->ChecksumBias)
#define NET_BUFFER_LIST_NEXT_NBL(_NBL) ((_NBL)->Next)
#define NET_BUFFER_LIST_FIRST_NB(_NBL) ((_NBL)->FirstNetBuffer)
#define NET_BUFFER_LIST_FLAGS(_NBL) ((_NBL)->Flags)
#define NET_BUFFER_LIST_NBL_FLAGS(_NBL) ((_NBL)->NblFlags)
#define NET_BUFFER_LIST_PROTOCOL_RESERVED(_NBL) ((_NBL)->ProtocolReserved)
#define NET_BUFFER_LIST_MINIPORT_RESERVED(_NBL) ((_NBL)->MiniportReserved)
#define NET_BUFFER_LIST_CONTEXT_DATA_START(_NBL) \
  ((PUCHAR)(((_NBL)->Context) + 1) + (_NBL)->Context->Offset)
#define NET_BUFFER_LIST_CONTEXT_DATA_SIZE(_NBL) (((_NBL)->Context->Size) - ((_NBL)->Context->Offset))
#define NET_BUFFER_LIST_INFO(_NBL, _Id) ((_NBL)->NetBufferListInfo[(_Id)])
#define NET_BUFFER_LIST_STATUS(_NBL) ((_NBL)->Status)
#define NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(_NBL, _CancelId) \
  (NET_BUFFER_LIST_INFO((_NBL), NetBufferListCancelId) = (_CancelId))
#define NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(_NBL) (NET_BUFFER_LIST_INFO((_NBL), NetBufferListCancelId))
#define NdisSetNblFlag(_NBL, _F) ((_NBL)->NblFlags |= (_F))
#define NdisClearNblFlag(_NBL, _F) ((_NBL)->NblFlags &= ~(_F))
#define NdisTestNblFlag(_NBL, _F) (((_NBL)->NblFlags & (_F)) != 0)
#define NdisTestNblFlags(_NBL, _F) (((_NBL)->NblFlags & (_F)) == (_F))
/* The bits of NET_BUFFER_LIST.Flags a protocol (NBL_FLAGS_PROTOCOL_RESERVED) or a miniport
   (NBL_FLAGS_MINIPORT_RESERVED) may use for its own NBLs; the macros touch only those bits. */
#define NBL_PROT_RSVD_FLAGS NBL_FLAGS_PROTOCOL_RESERVED
#define NBL_SET_PROT_RSVD_FLAG(_NBL, _F) ((_NBL)->Flags |= ((_F) & NBL_PROT_RSVD_FLAGS))
#define NBL_CLEAR_PROT_RSVD_FLAG(_NBL, _F) ((_NBL)->Flags &= ~((_F) & NBL_PROT_RSVD_FLAGS))
#define NBL_TEST_PROT_RSVD_FLAG(_NBL, _F) ((_NBL)->Flags & ((_F) & NBL_PROT_RSVD_FLAGS))
#define NBL_MINIPORT_RSVD_FLAGS NBL_FLAGS_MINIPORT_RESERVED
#define NBL_SET_MINIPORT_RSVD_FLAG(_NBL, _F) ((_NBL)->Flags |= ((_F) & NBL_MINIPORT_RSVD_FLAGS))
#define NBL_CLEAR_MINIPORT_RSVD_FLAG(_NBL, _F) ((_NBL)->Flags &= ~((_F) & NBL_MINIPORT_RSVD_FLAGS))
#define NBL_TEST_MINIPORT_RSVD_FLAG(_NBL, _F) ((_NBL)->Flags & ((_F) & NBL_MINIPORT_RSVD_FLAGS))
#define NDIS_TEST_SEND_AT_DISPATCH_LEVEL(_Flags) (((_Flags) & NDIS_SEND_FLAGS_DISPATCH_LEVEL) != 0)
#define NDIS_TEST_SEND_COMPLETE_AT_DISPATCH_LEVEL(_Flags) \
  (((_Flags) & NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL) != 0)
#define NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(_Flags) (((_Flags) & NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL) != 0)
#define NDIS_TEST_RECEIVE_CANNOT_PEND(_Flags) (((_Flags) & NDIS_RECEIVE_FLAGS_RESOURCES) != 0)
#define NDIS_TEST_RETURN_AT_DISPATCH_LEVEL(_Flags) (((_Flags) & NDIS_RETURN_FLAGS_DISPATCH_LEVEL) != 0)
#define NDIS_SET_SEND_FLAG(_Flags, _F) ((_Flags) |= (_F))
#define NDIS_SET_SEND_COMPLETE_FLAG(_Flags, _F) ((_Flags) |= (_F))
#define NDIS_SET_RETURN_FLAG(_Flags, _F) ((_Flags) |= (_F))
#define NDIS_SET_RECEIVE_FLAG(_Flags, _F) ((_Flags) |= (_F))
#define NDIS_TEST_RECEIVE_CAN_PEND(_Flags) (((_Flags) & NDIS_RECEIVE_FLAGS_RESOURCES) == 0)
#define NDIS_TEST_FLAG(_M, _F) (((_M) & (_F)) != 0)
#define NDIS_SET_FLAG(_M, _F) ((_M) |= (_F))
#define NDIS_CLEAR_FLAG(_M, _F) ((_M) &= ~(_F))

/* 802.1Q information of an NBL (ndis/nbl8021q.h): the PVOID in NetBufferListInfo[Ieee8021QNetBufferListInfo]. */
typedef struct _NDIS_NET_BUFFER_LIST_8021Q_INFO {
  union {
    struct {
      UINT32 UserPriority : 3;
      UINT32 CanonicalFormatId : 1;
      UINT32 VlanId : 12;
      UINT32 Reserved : 16;
    } TagHeader;
    struct {
      UINT32 UserPriority : 3;
      UINT32 CanonicalFormatId : 1;
      UINT32 VlanId : 12;
      UINT32 WMMInfo : 4;
      UINT32 Reserved : 12;
    } WLanTagHeader;
    PVOID Value;
  };
} NDIS_NET_BUFFER_LIST_8021Q_INFO, *PNDIS_NET_BUFFER_LIST_8021Q_INFO;

/* ---- Ethernet addresses ---- */
#define ETH_IS_MULTICAST(_Addr) ((((PUCHAR)(_Addr))[0] & 0x01) != 0)
#define ETH_IS_BROADCAST(_Addr)                                                                        \
  ((((PUCHAR)(_Addr))[0] & ((PUCHAR)(_Addr))[1] & ((PUCHAR)(_Addr))[2] & ((PUCHAR)(_Addr))[3] &       \
    ((PUCHAR)(_Addr))[4] & ((PUCHAR)(_Addr))[5]) == 0xFF)
#define ETH_IS_LOCALLY_ADMINISTERED(_Addr) ((((PUCHAR)(_Addr))[0] & 0x02) != 0)
#define ETH_COMPARE_NETWORK_ADDRESSES_EQ(_A, _B, _Result)                                              \
  do {                                                                                                 \
    *(_Result) = RtlEqualMemory((_A), (_B), ETH_LENGTH_OF_ADDRESS) ? 0 : 1;                           \
  } while (0)
#define ETH_COMPARE_NETWORK_ADDRESSES(_A, _B, _Result)                                                 \
  do {                                                                                                 \
    int _cmp = __builtin_memcmp((_A), (_B), ETH_LENGTH_OF_ADDRESS);                                            \
    *(_Result) = _cmp < 0 ? -1 : _cmp > 0 ? 1 : 0;                                                   \
  } while (0)
#define ETH_COPY_NETWORK_ADDRESS(_D, _S) RtlCopyMemory((_D), (_S), ETH_LENGTH_OF_ADDRESS)

typedef struct _NET_BUFFER_LIST_POOL_PARAMETERS {
  NDIS_OBJECT_HEADER Header;
  UCHAR ProtocolId;
  BOOLEAN fAllocateNetBuffer;
  USHORT ContextSize;
  ULONG PoolTag;
  ULONG DataSize;
  ULONG Flags;
} NET_BUFFER_LIST_POOL_PARAMETERS, *PNET_BUFFER_LIST_POOL_PARAMETERS;
#define NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1 \
  RTL_SIZEOF_THROUGH_FIELD(NET_BUFFER_LIST_POOL_PARAMETERS, DataSize)
#define NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_2 \
  RTL_SIZEOF_THROUGH_FIELD(NET_BUFFER_LIST_POOL_PARAMETERS, Flags)

typedef struct _NET_BUFFER_POOL_PARAMETERS {
  NDIS_OBJECT_HEADER Header;
  ULONG PoolTag;
  ULONG DataSize;
} NET_BUFFER_POOL_PARAMETERS, *PNET_BUFFER_POOL_PARAMETERS;
#define NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1 \
  RTL_SIZEOF_THROUGH_FIELD(NET_BUFFER_POOL_PARAMETERS, DataSize)

/* ---- OID requests ---- */
typedef struct _NDIS_OID_REQUEST {
  NDIS_OBJECT_HEADER Header;
  NDIS_REQUEST_TYPE RequestType;
  NDIS_PORT_NUMBER PortNumber;
  UINT Timeout;
  PVOID RequestId;
  NDIS_HANDLE RequestHandle;
  union _REQUEST_DATA {
    NDIS_OID Oid;
    struct _QUERY {
      NDIS_OID Oid;
      PVOID InformationBuffer;
      UINT InformationBufferLength;
      UINT BytesWritten;
      UINT BytesNeeded;
    } QUERY_INFORMATION;
    struct _SET {
      NDIS_OID Oid;
      PVOID InformationBuffer;
      UINT InformationBufferLength;
      UINT BytesRead;
      UINT BytesNeeded;
    } SET_INFORMATION;
    struct _METHOD {
      NDIS_OID Oid;
      PVOID InformationBuffer;
      ULONG InputBufferLength;
      ULONG OutputBufferLength;
      ULONG MethodId;
      UINT BytesWritten;
      UINT BytesRead;
      UINT BytesNeeded;
    } METHOD_INFORMATION;
  } DATA;
  UCHAR NdisReserved[NDIS_OID_REQUEST_NDIS_RESERVED_SIZE * sizeof(PVOID)];
  UCHAR MiniportReserved[2 * sizeof(PVOID)];
  UCHAR SourceReserved[2 * sizeof(PVOID)];
  UCHAR SupportedRevision;
  UCHAR Reserved1;
  USHORT Reserved2;
  NDIS_NIC_SWITCH_ID SwitchId;
  NDIS_NIC_SWITCH_VPORT_ID VPortId;
  ULONG Flags;
} NDIS_OID_REQUEST, *PNDIS_OID_REQUEST;
#define NDIS_SIZEOF_OID_REQUEST_REVISION_1 RTL_SIZEOF_THROUGH_FIELD(NDIS_OID_REQUEST, Reserved2)
#define NDIS_SIZEOF_OID_REQUEST_REVISION_2 RTL_SIZEOF_THROUGH_FIELD(NDIS_OID_REQUEST, Flags)

/* ---- status indications ---- */
typedef struct _NDIS_STATUS_INDICATION {
  NDIS_OBJECT_HEADER Header;
  NDIS_HANDLE SourceHandle;
  NDIS_PORT_NUMBER PortNumber;
  NDIS_STATUS StatusCode;
  ULONG Flags;
  NDIS_HANDLE DestinationHandle;
  PVOID RequestId;
  PVOID StatusBuffer;
  ULONG StatusBufferSize;
  GUID Guid;
  PVOID NdisReserved[4];
} NDIS_STATUS_INDICATION, *PNDIS_STATUS_INDICATION;
#define NDIS_SIZEOF_STATUS_INDICATION_REVISION_1 \
  RTL_SIZEOF_THROUGH_FIELD(NDIS_STATUS_INDICATION, NdisReserved)

typedef struct _NDIS_LINK_STATE {
  NDIS_OBJECT_HEADER Header;
  NDIS_MEDIA_CONNECT_STATE MediaConnectState;
  NDIS_MEDIA_DUPLEX_STATE MediaDuplexState;
  ULONG64 XmitLinkSpeed;
  ULONG64 RcvLinkSpeed;
  NDIS_SUPPORTED_PAUSE_FUNCTIONS PauseFunctions;
  ULONG AutoNegotiationFlags;
} NDIS_LINK_STATE, *PNDIS_LINK_STATE;
#define NDIS_SIZEOF_LINK_STATE_REVISION_1 RTL_SIZEOF_THROUGH_FIELD(NDIS_LINK_STATE, AutoNegotiationFlags)

/* ---- miniport driver ---- */
/* The hardware resources of an adapter (wdm.h): a virtual miniport here has none, so
   NDIS_MINIPORT_INIT_PARAMETERS.AllocatedResources is NULL; the types are for drivers that look. */
#define CmResourceTypeNull 0
#define CmResourceTypePort 1
#define CmResourceTypeInterrupt 2
#define CmResourceTypeMemory 3
#define CmResourceTypeDma 4
#define CmResourceTypeDeviceSpecific 5
#define CmResourceTypeBusNumber 6
#include <pshpack4.h>
typedef struct _CM_PARTIAL_RESOURCE_DESCRIPTOR {
  UCHAR Type;
  UCHAR ShareDisposition;
  USHORT Flags;
  union {
    struct {
      PHYSICAL_ADDRESS Start;
      ULONG Length;
    } Generic, Port, Memory;
    struct {
      USHORT Level;
      USHORT Group;
      ULONG Vector;
      KAFFINITY Affinity;
    } Interrupt;
    struct {
      ULONG Channel;
      ULONG Port;
      ULONG Reserved1;
    } Dma;
    struct {
      ULONG Data[3];
    } DevicePrivate;
    struct {
      ULONG Start;
      ULONG Length;
      ULONG Reserved;
    } BusNumber;
    struct {
      ULONG DataSize;
      ULONG Reserved1;
      ULONG Reserved2;
    } DeviceSpecificData;
  } u;
} CM_PARTIAL_RESOURCE_DESCRIPTOR, *PCM_PARTIAL_RESOURCE_DESCRIPTOR;
#include <poppack.h>
typedef struct _CM_PARTIAL_RESOURCE_LIST {
  USHORT Version;
  USHORT Revision;
  ULONG Count;
  CM_PARTIAL_RESOURCE_DESCRIPTOR PartialDescriptors[1];
} CM_PARTIAL_RESOURCE_LIST, *PCM_PARTIAL_RESOURCE_LIST;
typedef CM_PARTIAL_RESOURCE_LIST NDIS_RESOURCE_LIST, *PNDIS_RESOURCE_LIST;

typedef struct _NDIS_MINIPORT_INIT_PARAMETERS {
  NDIS_OBJECT_HEADER Header;
  ULONG Flags;
  PNDIS_RESOURCE_LIST AllocatedResources;
  NDIS_HANDLE IMDeviceInstanceContext;
  NDIS_HANDLE MiniportAddDeviceContext;
  NET_IFINDEX IfIndex;
  NET_LUID NetLuid;
  PVOID DefaultPortAuthStates;
  PVOID PciDeviceCustomProperties;
} NDIS_MINIPORT_INIT_PARAMETERS, *PNDIS_MINIPORT_INIT_PARAMETERS;

typedef struct _NDIS_MINIPORT_PAUSE_PARAMETERS {
  NDIS_OBJECT_HEADER Header;
  ULONG Flags;
  ULONG PauseReason;
} NDIS_MINIPORT_PAUSE_PARAMETERS, *PNDIS_MINIPORT_PAUSE_PARAMETERS;

/* ---- power management and RSS capabilities, restart attributes ---- */
typedef struct _NDIS_PM_WAKE_UP_CAPABILITIES {
  NDIS_DEVICE_POWER_STATE MinMagicPacketWakeUp;
  NDIS_DEVICE_POWER_STATE MinPatternWakeUp;
  NDIS_DEVICE_POWER_STATE MinLinkChangeWakeUp;
} NDIS_PM_WAKE_UP_CAPABILITIES, *PNDIS_PM_WAKE_UP_CAPABILITIES;

typedef struct _NDIS_PNP_CAPABILITIES {
  ULONG Flags;
  NDIS_PM_WAKE_UP_CAPABILITIES WakeUpCapabilities;
} NDIS_PNP_CAPABILITIES, *PNDIS_PNP_CAPABILITIES;

typedef struct _NDIS_RECEIVE_SCALE_CAPABILITIES {
  NDIS_OBJECT_HEADER Header;
  ULONG CapabilitiesFlags;
  ULONG NumberOfInterruptMessages;
  ULONG NumberOfReceiveQueues;
} NDIS_RECEIVE_SCALE_CAPABILITIES, *PNDIS_RECEIVE_SCALE_CAPABILITIES;

typedef struct _NDIS_RESTART_ATTRIBUTES NDIS_RESTART_ATTRIBUTES, *PNDIS_RESTART_ATTRIBUTES;
struct _NDIS_RESTART_ATTRIBUTES {
  PNDIS_RESTART_ATTRIBUTES Next;
  NDIS_OID Oid;
  ULONG DataLength;
  DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) UCHAR Data[1];
};

typedef struct _NDIS_RESTART_GENERAL_ATTRIBUTES {
  NDIS_OBJECT_HEADER Header;
  ULONG MtuSize;
  ULONG64 MaxXmitLinkSpeed;
  ULONG64 MaxRcvLinkSpeed;
  ULONG LookaheadSize;
  ULONG MacOptions;
  ULONG SupportedPacketFilters;
  ULONG MaxMulticastListSize;
  PNDIS_RECEIVE_SCALE_CAPABILITIES RecvScaleCapabilities;
  NET_IF_ACCESS_TYPE AccessType;
  ULONG Flags;
  NET_IF_CONNECTION_TYPE ConnectionType;
  ULONG SupportedStatistics;
  ULONG DataBackFillSize;
  ULONG ContextBackFillSize;
  PNDIS_OID SupportedOidList;
  ULONG SupportedOidListLength;
  ULONG MaxLookaheadSizeAccessed;
} NDIS_RESTART_GENERAL_ATTRIBUTES, *PNDIS_RESTART_GENERAL_ATTRIBUTES;
typedef struct _NDIS_MINIPORT_RESTART_PARAMETERS {
  NDIS_OBJECT_HEADER Header;
  PNDIS_RESTART_ATTRIBUTES RestartAttributes;
  ULONG Flags;
} NDIS_MINIPORT_RESTART_PARAMETERS, *PNDIS_MINIPORT_RESTART_PARAMETERS;

typedef struct _NET_DEVICE_PNP_EVENT {
  NDIS_OBJECT_HEADER Header;
  NDIS_PORT_NUMBER PortNumber;
  NDIS_DEVICE_PNP_EVENT DevicePnPEvent;
  PVOID InformationBuffer;
  ULONG InformationBufferLength;
  UCHAR NdisReserved[2 * sizeof(PVOID)];
} NET_DEVICE_PNP_EVENT, *PNET_DEVICE_PNP_EVENT;

typedef NDIS_STATUS(MINIPORT_SET_OPTIONS)(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext);
typedef NDIS_STATUS(MINIPORT_INITIALIZE)(NDIS_HANDLE NdisMiniportHandle,
                                         NDIS_HANDLE MiniportDriverContext,
                                         PNDIS_MINIPORT_INIT_PARAMETERS MiniportInitParameters);
typedef void(MINIPORT_HALT)(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION HaltAction);
typedef void(MINIPORT_UNLOAD)(PDRIVER_OBJECT DriverObject);
typedef NDIS_STATUS(MINIPORT_PAUSE)(NDIS_HANDLE MiniportAdapterContext,
                                    PNDIS_MINIPORT_PAUSE_PARAMETERS PauseParameters);
typedef NDIS_STATUS(MINIPORT_RESTART)(NDIS_HANDLE MiniportAdapterContext,
                                      PNDIS_MINIPORT_RESTART_PARAMETERS RestartParameters);
typedef NDIS_STATUS(MINIPORT_OID_REQUEST)(NDIS_HANDLE MiniportAdapterContext, PNDIS_OID_REQUEST OidRequest);
typedef void(MINIPORT_SEND_NET_BUFFER_LISTS)(NDIS_HANDLE MiniportAdapterContext,
                                             PNET_BUFFER_LIST NetBufferList,
                                             NDIS_PORT_NUMBER PortNumber, ULONG SendFlags);
typedef void(MINIPORT_RETURN_NET_BUFFER_LISTS)(NDIS_HANDLE MiniportAdapterContext,
                                               PNET_BUFFER_LIST NetBufferLists, ULONG ReturnFlags);
typedef void(MINIPORT_CANCEL_SEND)(NDIS_HANDLE MiniportAdapterContext, PVOID CancelId);
typedef BOOLEAN(MINIPORT_CHECK_FOR_HANG)(NDIS_HANDLE MiniportAdapterContext);
typedef NDIS_STATUS(MINIPORT_RESET)(NDIS_HANDLE MiniportAdapterContext, PBOOLEAN AddressingReset);
typedef void(MINIPORT_DEVICE_PNP_EVENT_NOTIFY)(NDIS_HANDLE MiniportAdapterContext,
                                               PNET_DEVICE_PNP_EVENT NetDevicePnPEvent);
typedef void(MINIPORT_SHUTDOWN)(NDIS_HANDLE MiniportAdapterContext, NDIS_SHUTDOWN_ACTION ShutdownAction);
typedef void(MINIPORT_CANCEL_OID_REQUEST)(NDIS_HANDLE MiniportAdapterContext, PVOID RequestId);
typedef NDIS_STATUS(MINIPORT_DIRECT_OID_REQUEST)(NDIS_HANDLE MiniportAdapterContext,
                                                 PNDIS_OID_REQUEST OidRequest);
typedef void(MINIPORT_CANCEL_DIRECT_OID_REQUEST)(NDIS_HANDLE MiniportAdapterContext, PVOID RequestId);
typedef NDIS_STATUS(MINIPORT_SYNCHRONOUS_OID_REQUEST)(NDIS_HANDLE MiniportAdapterContext,
                                                      PNDIS_OID_REQUEST OidRequest);
typedef MINIPORT_SET_OPTIONS *SET_OPTIONS_HANDLER, *MINIPORT_SET_OPTIONS_HANDLER;
typedef MINIPORT_SET_OPTIONS SET_OPTIONS;
typedef NDIS_STATUS(PROTOCOL_SET_OPTIONS)(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext);
typedef MINIPORT_INITIALIZE *MINIPORT_INITIALIZE_HANDLER;
typedef MINIPORT_HALT *MINIPORT_HALT_HANDLER;
typedef MINIPORT_UNLOAD *MINIPORT_DRIVER_UNLOAD;
typedef MINIPORT_PAUSE *MINIPORT_PAUSE_HANDLER;
typedef MINIPORT_RESTART *MINIPORT_RESTART_HANDLER;
typedef MINIPORT_OID_REQUEST *MINIPORT_OID_REQUEST_HANDLER;
typedef MINIPORT_SEND_NET_BUFFER_LISTS *MINIPORT_SEND_NET_BUFFER_LISTS_HANDLER;
typedef MINIPORT_RETURN_NET_BUFFER_LISTS *MINIPORT_RETURN_NET_BUFFER_LISTS_HANDLER;
typedef MINIPORT_CANCEL_SEND *MINIPORT_CANCEL_SEND_HANDLER;
typedef MINIPORT_CHECK_FOR_HANG *MINIPORT_CHECK_FOR_HANG_HANDLER;
typedef MINIPORT_RESET *MINIPORT_RESET_HANDLER;
typedef MINIPORT_DEVICE_PNP_EVENT_NOTIFY *MINIPORT_DEVICE_PNP_EVENT_NOTIFY_HANDLER;
typedef MINIPORT_SHUTDOWN *MINIPORT_SHUTDOWN_HANDLER;
typedef MINIPORT_CANCEL_OID_REQUEST *MINIPORT_CANCEL_OID_REQUEST_HANDLER;
typedef MINIPORT_DIRECT_OID_REQUEST *MINIPORT_DIRECT_OID_REQUEST_HANDLER;
typedef MINIPORT_CANCEL_DIRECT_OID_REQUEST *MINIPORT_CANCEL_DIRECT_OID_REQUEST_HANDLER;
typedef MINIPORT_SYNCHRONOUS_OID_REQUEST *MINIPORT_SYNCHRONOUS_OID_REQUEST_HANDLER;

typedef struct _NDIS_MINIPORT_DRIVER_CHARACTERISTICS {
  NDIS_OBJECT_HEADER Header;
  UCHAR MajorNdisVersion;
  UCHAR MinorNdisVersion;
  UCHAR MajorDriverVersion;
  UCHAR MinorDriverVersion;
  ULONG Flags;
  SET_OPTIONS_HANDLER SetOptionsHandler;
  MINIPORT_INITIALIZE_HANDLER InitializeHandlerEx;
  MINIPORT_HALT_HANDLER HaltHandlerEx;
  MINIPORT_DRIVER_UNLOAD UnloadHandler;
  MINIPORT_PAUSE_HANDLER PauseHandler;
  MINIPORT_RESTART_HANDLER RestartHandler;
  MINIPORT_OID_REQUEST_HANDLER OidRequestHandler;
  MINIPORT_SEND_NET_BUFFER_LISTS_HANDLER SendNetBufferListsHandler;
  MINIPORT_RETURN_NET_BUFFER_LISTS_HANDLER ReturnNetBufferListsHandler;
  MINIPORT_CANCEL_SEND_HANDLER CancelSendHandler;
  MINIPORT_CHECK_FOR_HANG_HANDLER CheckForHangHandlerEx;
  MINIPORT_RESET_HANDLER ResetHandlerEx;
  MINIPORT_DEVICE_PNP_EVENT_NOTIFY_HANDLER DevicePnPEventNotifyHandler;
  MINIPORT_SHUTDOWN_HANDLER ShutdownHandlerEx;
  MINIPORT_CANCEL_OID_REQUEST_HANDLER CancelOidRequestHandler;
  MINIPORT_DIRECT_OID_REQUEST_HANDLER DirectOidRequestHandler;
  MINIPORT_CANCEL_DIRECT_OID_REQUEST_HANDLER CancelDirectOidRequestHandler;
  MINIPORT_SYNCHRONOUS_OID_REQUEST_HANDLER SynchronousOidRequestHandler;
} NDIS_MINIPORT_DRIVER_CHARACTERISTICS, *PNDIS_MINIPORT_DRIVER_CHARACTERISTICS;
#define NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1 \
  RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, CancelOidRequestHandler)
#define NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2 \
  RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, CancelDirectOidRequestHandler)
#define NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3 \
  RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, SynchronousOidRequestHandler)

typedef struct _NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES {
  NDIS_OBJECT_HEADER Header;
  NDIS_HANDLE MiniportAdapterContext;
  ULONG AttributeFlags;
  UINT CheckForHangTimeInSeconds;
  NDIS_INTERFACE_TYPE InterfaceType;
} NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES, *PNDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
#define NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1 \
  RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES, InterfaceType)
#define NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2 \
  RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES, InterfaceType)

typedef struct _NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES {
  NDIS_OBJECT_HEADER Header;
  ULONG Flags;
  NDIS_MEDIUM MediaType;
  NDIS_PHYSICAL_MEDIUM PhysicalMediumType;
  ULONG MtuSize;
  ULONG64 MaxXmitLinkSpeed;
  ULONG64 XmitLinkSpeed;
  ULONG64 MaxRcvLinkSpeed;
  ULONG64 RcvLinkSpeed;
  NDIS_MEDIA_CONNECT_STATE MediaConnectState;
  NDIS_MEDIA_DUPLEX_STATE MediaDuplexState;
  ULONG LookaheadSize;
  PNDIS_PNP_CAPABILITIES PowerManagementCapabilities;
  ULONG MacOptions;
  ULONG SupportedPacketFilters;
  ULONG MaxMulticastListSize;
  USHORT MacAddressLength;
  UCHAR PermanentMacAddress[NDIS_MAX_PHYS_ADDRESS_LENGTH];
  UCHAR CurrentMacAddress[NDIS_MAX_PHYS_ADDRESS_LENGTH];
  PNDIS_RECEIVE_SCALE_CAPABILITIES RecvScaleCapabilities;
  NET_IF_ACCESS_TYPE AccessType;
  NET_IF_DIRECTION_TYPE DirectionType;
  NET_IF_CONNECTION_TYPE ConnectionType;
  NET_IFTYPE IfType;
  BOOLEAN IfConnectorPresent;
  ULONG SupportedStatistics;
  ULONG SupportedPauseFunctions;
  ULONG DataBackFillSize;
  ULONG ContextBackFillSize;
  PNDIS_OID SupportedOidList;
  ULONG SupportedOidListLength;
  ULONG AutoNegotiationFlags;
  PVOID PowerManagementCapabilitiesEx;
} NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, *PNDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
#define NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1 \
  RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, AutoNegotiationFlags)
#define NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2 \
  RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, PowerManagementCapabilitiesEx)




/* ---- link state values (NDIS_LINK_STATE.PauseFunctions, AutoNegotiationFlags) ---- */
#ifndef NdisPauseFunctionsUnsupported
#define NdisPauseFunctionsUnsupported 0
#define NdisPauseFunctionsSendOnly 1
#define NdisPauseFunctionsReceiveOnly 2
#define NdisPauseFunctionsSendAndReceive 3
#define NdisPauseFunctionsUnknown 4
#endif
#ifndef NDIS_LINK_STATE_XMIT_LINK_SPEED_AUTO_NEGOTIATED
#define NDIS_LINK_STATE_XMIT_LINK_SPEED_AUTO_NEGOTIATED 0x00000001
#define NDIS_LINK_STATE_RCV_LINK_SPEED_AUTO_NEGOTIATED 0x00000002
#define NDIS_LINK_STATE_DUPLEX_AUTO_NEGOTIATED 0x00000004
#define NDIS_LINK_STATE_PAUSE_FUNCTIONS_AUTO_NEGOTIATED 0x00000008
#endif

/* ---- OID answers every NDIS 6 miniport gives (the same layout on wasm32 as on x64) ---- */
typedef struct _NDIS_STATISTICS_INFO {
  NDIS_OBJECT_HEADER Header;
  ULONG SupportedStatistics;
  ULONG64 ifInDiscards;
  ULONG64 ifInErrors;
  ULONG64 ifHCInOctets;
  ULONG64 ifHCInUcastPkts;
  ULONG64 ifHCInMulticastPkts;
  ULONG64 ifHCInBroadcastPkts;
  ULONG64 ifHCOutOctets;
  ULONG64 ifHCOutUcastPkts;
  ULONG64 ifHCOutMulticastPkts;
  ULONG64 ifHCOutBroadcastPkts;
  ULONG64 ifOutErrors;
  ULONG64 ifOutDiscards;
  ULONG64 ifHCInUcastOctets;
  ULONG64 ifHCInMulticastOctets;
  ULONG64 ifHCInBroadcastOctets;
  ULONG64 ifHCOutUcastOctets;
  ULONG64 ifHCOutMulticastOctets;
  ULONG64 ifHCOutBroadcastOctets;
} NDIS_STATISTICS_INFO, *PNDIS_STATISTICS_INFO;
#define NDIS_SIZEOF_STATISTICS_INFO_REVISION_1 RTL_SIZEOF_THROUGH_FIELD(NDIS_STATISTICS_INFO, ifHCOutBroadcastOctets)

typedef ULONG NDIS_INTERRUPT_MODERATION;
typedef struct _NDIS_INTERRUPT_MODERATION_PARAMETERS {
  NDIS_OBJECT_HEADER Header;
  ULONG Flags;
  NDIS_INTERRUPT_MODERATION InterruptModeration;
} NDIS_INTERRUPT_MODERATION_PARAMETERS, *PNDIS_INTERRUPT_MODERATION_PARAMETERS;
#define NDIS_SIZEOF_INTERRUPT_MODERATION_PARAMETERS_REVISION_1 \
  RTL_SIZEOF_THROUGH_FIELD(NDIS_INTERRUPT_MODERATION_PARAMETERS, InterruptModeration)

typedef struct _NDIS_LINK_PARAMETERS {
  NDIS_OBJECT_HEADER Header;
  NDIS_MEDIA_DUPLEX_STATE MediaDuplexState;
  ULONG64 XmitLinkSpeed;
  ULONG64 RcvLinkSpeed;
  NDIS_SUPPORTED_PAUSE_FUNCTIONS PauseFunctions;
  ULONG AutoNegotiationFlags;
} NDIS_LINK_PARAMETERS, *PNDIS_LINK_PARAMETERS;
#define NDIS_SIZEOF_LINK_PARAMETERS_REVISION_1 RTL_SIZEOF_THROUGH_FIELD(NDIS_LINK_PARAMETERS, AutoNegotiationFlags)

/*
 * ---- task offload: the structures a miniport declares its offloads with ----
 * NdisMSetMiniportAttributes accepts NDIS_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES after the general
 * attributes; ndis-ts does no offload, so what it says is not used (docs/c-drivers.md).
 */
#define NDIS_OBJECT_TYPE_OFFLOAD 0xA7
#define NDIS_OFFLOAD_REVISION_1 1
#define NDIS_OFFLOAD_REVISION_2 2
#define NDIS_OFFLOAD_REVISION_3 3
#define NDIS_OFFLOAD_REVISION_4 4
#define NDIS_OFFLOAD_REVISION_5 5
#define NDIS_OFFLOAD_REVISION_6 6
#define NDIS_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES_REVISION_1 1
#define NDIS_OFFLOAD_NOT_SUPPORTED 0
#define NDIS_OFFLOAD_SUPPORTED 1
#define NDIS_OFFLOAD_SET_NO_CHANGE 0
#define NDIS_OFFLOAD_SET_ON 1
#define NDIS_OFFLOAD_SET_OFF 2
#define NDIS_ENCAPSULATION_NOT_SUPPORTED 0x00000000
#define NDIS_ENCAPSULATION_NULL 0x00000001
#define NDIS_ENCAPSULATION_IEEE_802_3 0x00000002
#define NDIS_ENCAPSULATION_IEEE_802_3_P_AND_Q 0x00000004
#define NDIS_ENCAPSULATION_IEEE_802_3_P_AND_Q_IN_OOB 0x00000008
#define NDIS_ENCAPSULATION_IEEE_LLC_SNAP_ROUTED 0x00000010
typedef struct _NDIS_TCP_IP_CHECKSUM_OFFLOAD {
  struct {
    ULONG Encapsulation;
    ULONG IpOptionsSupported : 2;
    ULONG TcpOptionsSupported : 2;
    ULONG TcpChecksum : 2;
    ULONG UdpChecksum : 2;
    ULONG IpChecksum : 2;
  } IPv4Transmit;
  struct {
    ULONG Encapsulation;
    ULONG IpOptionsSupported : 2;
    ULONG TcpOptionsSupported : 2;
    ULONG TcpChecksum : 2;
    ULONG UdpChecksum : 2;
    ULONG IpChecksum : 2;
  } IPv4Receive;
  struct {
    ULONG Encapsulation;
    ULONG IpExtensionHeadersSupported : 2;
    ULONG TcpOptionsSupported : 2;
    ULONG TcpChecksum : 2;
    ULONG UdpChecksum : 2;
  } IPv6Transmit;
  struct {
    ULONG Encapsulation;
    ULONG IpExtensionHeadersSupported : 2;
    ULONG TcpOptionsSupported : 2;
    ULONG TcpChecksum : 2;
    ULONG UdpChecksum : 2;
  } IPv6Receive;
} NDIS_TCP_IP_CHECKSUM_OFFLOAD, *PNDIS_TCP_IP_CHECKSUM_OFFLOAD;
typedef struct _NDIS_TCP_LARGE_SEND_OFFLOAD_V1 {
  struct {
    ULONG Encapsulation;
    ULONG MaxOffLoadSize;
    ULONG MinSegmentCount;
    ULONG TcpOptions : 2;
    ULONG IpOptions : 2;
  } IPv4;
} NDIS_TCP_LARGE_SEND_OFFLOAD_V1, *PNDIS_TCP_LARGE_SEND_OFFLOAD_V1;
typedef struct _NDIS_IPSEC_OFFLOAD_V1 {
  struct {
    ULONG Encapsulation;
    ULONG AhEspCombined;
    ULONG TransportTunnelCombined;
    ULONG IPv4Options;
    ULONG Flags;
  } Supported;
  struct {
    ULONG Md5 : 2;
    ULONG Sha_1 : 2;
    ULONG Transport : 2;
    ULONG Tunnel : 2;
    ULONG Send : 2;
    ULONG Receive : 2;
  } IPv4AH;
  struct {
    ULONG Des : 2;
    ULONG Reserved : 2;
    ULONG TripleDes : 2;
    ULONG NullEsp : 2;
    ULONG Transport : 2;
    ULONG Tunnel : 2;
    ULONG Send : 2;
    ULONG Receive : 2;
  } IPv4ESP;
} NDIS_IPSEC_OFFLOAD_V1, *PNDIS_IPSEC_OFFLOAD_V1;
typedef struct _NDIS_TCP_LARGE_SEND_OFFLOAD_V2 {
  struct {
    ULONG Encapsulation;
    ULONG MaxOffLoadSize;
    ULONG MinSegmentCount;
  } IPv4;
  struct {
    ULONG Encapsulation;
    ULONG MaxOffLoadSize;
    ULONG MinSegmentCount;
    ULONG IpExtensionHeadersSupported : 2;
    ULONG TcpOptionsSupported : 2;
  } IPv6;
} NDIS_TCP_LARGE_SEND_OFFLOAD_V2, *PNDIS_TCP_LARGE_SEND_OFFLOAD_V2;
typedef struct _NDIS_IPSEC_OFFLOAD_V2 {
  ULONG Encapsulation;
  BOOLEAN IPv6Supported;
  BOOLEAN IPv4Options;
  BOOLEAN IPv6NonIPsecExtensionHeaders;
  BOOLEAN Ah;
  BOOLEAN Esp;
  BOOLEAN AhEspCombined;
  BOOLEAN Transport;
  BOOLEAN Tunnel;
  BOOLEAN TransportTunnelCombined;
  BOOLEAN LsoSupported;
  BOOLEAN ExtendedSequenceNumbers;
  ULONG UdpEsp;
  ULONG AuthenticationAlgorithms;
  ULONG EncryptionAlgorithms;
  ULONG SaOffloadCapacity;
} NDIS_IPSEC_OFFLOAD_V2, *PNDIS_IPSEC_OFFLOAD_V2;
typedef struct _NDIS_TCP_RECV_SEG_COALESCE_OFFLOAD {
  struct {
    BOOLEAN Enabled;
  } IPv4;
  struct {
    BOOLEAN Enabled;
  } IPv6;
} NDIS_TCP_RECV_SEG_COALESCE_OFFLOAD, *PNDIS_TCP_RECV_SEG_COALESCE_OFFLOAD;
/* Through the NDIS 6.30 members (the later encapsulation and UDP offloads are not declared). */
typedef struct _NDIS_OFFLOAD {
  NDIS_OBJECT_HEADER Header;
  NDIS_TCP_IP_CHECKSUM_OFFLOAD Checksum;
  NDIS_TCP_LARGE_SEND_OFFLOAD_V1 LsoV1;
  NDIS_IPSEC_OFFLOAD_V1 IPsecV1;
  NDIS_TCP_LARGE_SEND_OFFLOAD_V2 LsoV2;
  ULONG Flags;
  NDIS_IPSEC_OFFLOAD_V2 IPsecV2;
  NDIS_TCP_RECV_SEG_COALESCE_OFFLOAD Rsc;
} NDIS_OFFLOAD, *PNDIS_OFFLOAD;
#define NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_1 RTL_SIZEOF_THROUGH_FIELD(NDIS_OFFLOAD, Flags)
#define NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_2 RTL_SIZEOF_THROUGH_FIELD(NDIS_OFFLOAD, IPsecV2)
#define NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_3 RTL_SIZEOF_THROUGH_FIELD(NDIS_OFFLOAD, Rsc)
typedef struct _NDIS_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES {
  NDIS_OBJECT_HEADER Header;
  PNDIS_OFFLOAD DefaultOffloadConfiguration;
  PNDIS_OFFLOAD HardwareOffloadCapabilities;
  PVOID DefaultTcpConnectionOffloadConfiguration;
  PVOID TcpConnectionOffloadHardwareCapabilities;
} NDIS_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES, *PNDIS_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES;
#define NDIS_SIZEOF_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES_REVISION_1 \
  RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES, TcpConnectionOffloadHardwareCapabilities)

typedef union _NDIS_MINIPORT_ADAPTER_ATTRIBUTES {
  NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES RegistrationAttributes;
  NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES GeneralAttributes;
  NDIS_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES OffloadAttributes;
} NDIS_MINIPORT_ADAPTER_ATTRIBUTES, *PNDIS_MINIPORT_ADAPTER_ATTRIBUTES;

/* ---- protocol driver ---- */
#ifndef NDIS_OPEN_PARAMETERS_REVISION_1
#define NDIS_OPEN_PARAMETERS_REVISION_1 1
#endif
typedef struct _NDIS_OPEN_PARAMETERS {
  NDIS_OBJECT_HEADER Header;
  PNDIS_STRING AdapterName;
  PNDIS_MEDIUM MediumArray;
  UINT MediumArraySize;
  PUINT SelectedMediumIndex;
  PUSHORT FrameTypeArray; /* PNET_FRAME_TYPE */
  UINT FrameTypeArraySize;
} NDIS_OPEN_PARAMETERS, *PNDIS_OPEN_PARAMETERS;
#define NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1 \
  RTL_SIZEOF_THROUGH_FIELD(NDIS_OPEN_PARAMETERS, FrameTypeArraySize)

typedef struct _NDIS_BIND_PARAMETERS {
  NDIS_OBJECT_HEADER Header;
  PNDIS_STRING ProtocolSection;
  PNDIS_STRING AdapterName;
  PVOID PhysicalDeviceObject;
  NDIS_MEDIUM MediaType;
  ULONG MtuSize;
  ULONG64 MaxXmitLinkSpeed;
  ULONG64 XmitLinkSpeed;
  ULONG64 MaxRcvLinkSpeed;
  ULONG64 RcvLinkSpeed;
  NDIS_MEDIA_CONNECT_STATE MediaConnectState;
  NDIS_MEDIA_DUPLEX_STATE MediaDuplexState;
  ULONG LookaheadSize;
  PNDIS_PNP_CAPABILITIES PowerManagementCapabilities;
  ULONG SupportedPacketFilters;
  ULONG MaxMulticastListSize;
  USHORT MacAddressLength;
  UCHAR CurrentMacAddress[NDIS_MAX_PHYS_ADDRESS_LENGTH];
  NDIS_PHYSICAL_MEDIUM PhysicalMediumType;
  PNDIS_RECEIVE_SCALE_CAPABILITIES RcvScaleCapabilities;
  NET_LUID BoundIfNetluid;
  NET_IFINDEX BoundIfIndex;
  NET_LUID LowestIfNetluid;
  NET_IFINDEX LowestIfIndex;
  NET_IF_ACCESS_TYPE AccessType;
  NET_IF_DIRECTION_TYPE DirectionType;
  NET_IF_CONNECTION_TYPE ConnectionType;
  NET_IFTYPE IfType;
  BOOLEAN IfConnectorPresent;
  PVOID ActivePorts;
  ULONG DataBackFillSize;
  ULONG ContextBackFillSize;
  ULONG MacOptions;
  PVOID DefaultOffloadConfiguration;
  PVOID TcpConnectionOffloadCapabilities;
  PNDIS_STRING BoundAdapterName;
  /* Revision 2 (NDIS 6.1) */
  PVOID HDSplitCurrentConfig;
  /* Revision 3 (NDIS 6.20) */
  PVOID ReceiveFilterCapabilities;
  PVOID PowerManagementCapabilitiesEx;
  PVOID NicSwitchCapabilities;
} NDIS_BIND_PARAMETERS, *PNDIS_BIND_PARAMETERS;
#define NDIS_SIZEOF_BIND_PARAMETERS_REVISION_1 RTL_SIZEOF_THROUGH_FIELD(NDIS_BIND_PARAMETERS, BoundAdapterName)
#define NDIS_SIZEOF_BIND_PARAMETERS_REVISION_2 \
  RTL_SIZEOF_THROUGH_FIELD(NDIS_BIND_PARAMETERS, HDSplitCurrentConfig)
#define NDIS_SIZEOF_BIND_PARAMETERS_REVISION_3 \
  RTL_SIZEOF_THROUGH_FIELD(NDIS_BIND_PARAMETERS, NicSwitchCapabilities)

typedef struct _NET_PNP_EVENT {
  NET_PNP_EVENT_CODE NetEvent;
  PVOID Buffer;
  ULONG BufferLength;
  ULONG_PTR NdisReserved[4];
  ULONG_PTR TransportReserved[4];
  ULONG_PTR TdiReserved[4];
  ULONG_PTR TdiClientReserved[4];
} NET_PNP_EVENT, *PNET_PNP_EVENT;

typedef struct _NET_PNP_EVENT_NOTIFICATION {
  NDIS_OBJECT_HEADER Header;
  NDIS_PORT_NUMBER PortNumber;
  NET_PNP_EVENT NetPnPEvent;
} NET_PNP_EVENT_NOTIFICATION, *PNET_PNP_EVENT_NOTIFICATION;

typedef struct _NDIS_PROTOCOL_PAUSE_PARAMETERS {
  NDIS_OBJECT_HEADER Header;
  ULONG Flags;
  ULONG PauseReason;
} NDIS_PROTOCOL_PAUSE_PARAMETERS, *PNDIS_PROTOCOL_PAUSE_PARAMETERS;

typedef struct _NDIS_PROTOCOL_RESTART_PARAMETERS {
  NDIS_OBJECT_HEADER Header;
  PUCHAR FilterModuleNameBuffer;
  ULONG FilterModuleNameBufferLength;
  PNDIS_RESTART_ATTRIBUTES RestartAttributes;
  NET_IFINDEX BoundIfIndex;
  NET_LUID BoundIfNetluid;
  ULONG Flags;
} NDIS_PROTOCOL_RESTART_PARAMETERS, *PNDIS_PROTOCOL_RESTART_PARAMETERS;

typedef NDIS_STATUS(PROTOCOL_BIND_ADAPTER_EX)(NDIS_HANDLE ProtocolDriverContext, NDIS_HANDLE BindContext,
                                              PNDIS_BIND_PARAMETERS BindParameters);
typedef NDIS_STATUS(PROTOCOL_UNBIND_ADAPTER_EX)(NDIS_HANDLE UnbindContext,
                                                NDIS_HANDLE ProtocolBindingContext);
typedef void(PROTOCOL_OPEN_ADAPTER_COMPLETE_EX)(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status);
typedef void(PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX)(NDIS_HANDLE ProtocolBindingContext);
typedef NDIS_STATUS(PROTOCOL_NET_PNP_EVENT)(NDIS_HANDLE ProtocolBindingContext,
                                            PNET_PNP_EVENT_NOTIFICATION NetPnPEventNotification);
typedef void(PROTOCOL_UNINSTALL)(void);
typedef void(PROTOCOL_OID_REQUEST_COMPLETE)(NDIS_HANDLE ProtocolBindingContext,
                                            PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status);
typedef void(PROTOCOL_STATUS_EX)(NDIS_HANDLE ProtocolBindingContext,
                                 PNDIS_STATUS_INDICATION StatusIndication);
typedef void(PROTOCOL_RECEIVE_NET_BUFFER_LISTS)(NDIS_HANDLE ProtocolBindingContext,
                                                PNET_BUFFER_LIST NetBufferLists,
                                                NDIS_PORT_NUMBER PortNumber,
                                                ULONG NumberOfNetBufferLists, ULONG ReceiveFlags);
typedef void(PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE)(NDIS_HANDLE ProtocolBindingContext,
                                                      PNET_BUFFER_LIST NetBufferList, ULONG SendCompleteFlags);
typedef void(PROTOCOL_DIRECT_OID_REQUEST_COMPLETE)(NDIS_HANDLE ProtocolBindingContext,
                                                   PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status);
typedef PROTOCOL_BIND_ADAPTER_EX *BIND_HANDLER_EX;
typedef PROTOCOL_UNBIND_ADAPTER_EX *UNBIND_HANDLER_EX;
typedef PROTOCOL_OPEN_ADAPTER_COMPLETE_EX *OPEN_ADAPTER_COMPLETE_HANDLER_EX;
typedef PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX *CLOSE_ADAPTER_COMPLETE_HANDLER_EX;
typedef PROTOCOL_NET_PNP_EVENT *NET_PNP_EVENT_HANDLER;
typedef PROTOCOL_UNINSTALL *UNINSTALL_PROTOCOL_HANDLER;
typedef PROTOCOL_OID_REQUEST_COMPLETE *OID_REQUEST_COMPLETE_HANDLER;
typedef PROTOCOL_STATUS_EX *STATUS_HANDLER_EX;
typedef PROTOCOL_RECEIVE_NET_BUFFER_LISTS *RECEIVE_NET_BUFFER_LISTS_HANDLER;
typedef PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE *SEND_NET_BUFFER_LISTS_COMPLETE_HANDLER;
typedef PROTOCOL_DIRECT_OID_REQUEST_COMPLETE *DIRECT_OID_REQUEST_COMPLETE_HANDLER;

typedef struct _NDIS_PROTOCOL_DRIVER_CHARACTERISTICS {
  NDIS_OBJECT_HEADER Header;
  UCHAR MajorNdisVersion;
  UCHAR MinorNdisVersion;
  UCHAR MajorDriverVersion;
  UCHAR MinorDriverVersion;
  ULONG Flags;
  NDIS_STRING Name;
  SET_OPTIONS_HANDLER SetOptionsHandler;
  BIND_HANDLER_EX BindAdapterHandlerEx;
  UNBIND_HANDLER_EX UnbindAdapterHandlerEx;
  OPEN_ADAPTER_COMPLETE_HANDLER_EX OpenAdapterCompleteHandlerEx;
  CLOSE_ADAPTER_COMPLETE_HANDLER_EX CloseAdapterCompleteHandlerEx;
  NET_PNP_EVENT_HANDLER NetPnPEventHandler;
  UNINSTALL_PROTOCOL_HANDLER UninstallHandler;
  OID_REQUEST_COMPLETE_HANDLER OidRequestCompleteHandler;
  STATUS_HANDLER_EX StatusHandlerEx;
  RECEIVE_NET_BUFFER_LISTS_HANDLER ReceiveNetBufferListsHandler;
  SEND_NET_BUFFER_LISTS_COMPLETE_HANDLER SendNetBufferListsCompleteHandler;
  DIRECT_OID_REQUEST_COMPLETE_HANDLER DirectOidRequestCompleteHandler;
} NDIS_PROTOCOL_DRIVER_CHARACTERISTICS, *PNDIS_PROTOCOL_DRIVER_CHARACTERISTICS;
#define NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1 \
  RTL_SIZEOF_THROUGH_FIELD(NDIS_PROTOCOL_DRIVER_CHARACTERISTICS, SendNetBufferListsCompleteHandler)
#define NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2 \
  RTL_SIZEOF_THROUGH_FIELD(NDIS_PROTOCOL_DRIVER_CHARACTERISTICS, DirectOidRequestCompleteHandler)

/* ---- configuration ---- */
typedef struct _NDIS_CONFIGURATION_OBJECT {
  NDIS_OBJECT_HEADER Header;
  NDIS_HANDLE NdisHandle;
  ULONG Flags;
} NDIS_CONFIGURATION_OBJECT, *PNDIS_CONFIGURATION_OBJECT;
#define NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1 \
  RTL_SIZEOF_THROUGH_FIELD(NDIS_CONFIGURATION_OBJECT, Flags)

typedef struct _BINARY_DATA {
  USHORT Length;
  PVOID Buffer;
} BINARY_DATA;

typedef struct _NDIS_CONFIGURATION_PARAMETER {
  NDIS_PARAMETER_TYPE ParameterType;
  union {
    ULONG IntegerData;
    NDIS_STRING StringData;
    BINARY_DATA BinaryData;
  } ParameterData;
} NDIS_CONFIGURATION_PARAMETER, *PNDIS_CONFIGURATION_PARAMETER;

/* ---- timers and work items ---- */
typedef void(NDIS_TIMER_FUNCTION)(PVOID SystemSpecific1, PVOID FunctionContext, PVOID SystemSpecific2,
                                  PVOID SystemSpecific3);
typedef NDIS_TIMER_FUNCTION *PNDIS_TIMER_FUNCTION;
typedef struct _NDIS_TIMER_CHARACTERISTICS {
  NDIS_OBJECT_HEADER Header;
  ULONG AllocationTag;
  PNDIS_TIMER_FUNCTION TimerFunction;
  PVOID FunctionContext;
} NDIS_TIMER_CHARACTERISTICS, *PNDIS_TIMER_CHARACTERISTICS;
#define NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1 \
  RTL_SIZEOF_THROUGH_FIELD(NDIS_TIMER_CHARACTERISTICS, FunctionContext)
typedef void(NDIS_IO_WORKITEM_FUNCTION)(PVOID WorkItemContext, NDIS_HANDLE NdisIoWorkItemHandle);
typedef NDIS_IO_WORKITEM_FUNCTION *NDIS_IO_WORKITEM_ROUTINE;

/* ---- filter driver ---- */
/* SR-IOV capabilities a filter may look at (NDIS gives none here: the pointer is NULL). */
typedef struct _NDIS_SRIOV_CAPABILITIES {
  NDIS_OBJECT_HEADER Header;
  ULONG Flags;
  ULONG SriovCapabilities;
  ULONG MaxNumVFs;
} NDIS_SRIOV_CAPABILITIES, *PNDIS_SRIOV_CAPABILITIES;
#define NDIS_SRIOV_CAPS_SRIOV_SUPPORTED 0x00000001
#define NDIS_SRIOV_CAPS_PF_MINIPORT 0x00000002
#define NDIS_SRIOV_CAPS_VF_MINIPORT 0x00000004
#ifndef NDIS_FILTER_ATTACH_PARAMETERS_REVISION_1
#define NDIS_FILTER_ATTACH_PARAMETERS_REVISION_1 1
#endif
#ifndef NDIS_FILTER_ATTACH_PARAMETERS_REVISION_2
#define NDIS_FILTER_ATTACH_PARAMETERS_REVISION_2 2
#endif
#ifndef NDIS_FILTER_ATTACH_PARAMETERS_REVISION_3
#define NDIS_FILTER_ATTACH_PARAMETERS_REVISION_3 3
#endif
#ifndef NDIS_FILTER_ATTACH_PARAMETERS_REVISION_4
#define NDIS_FILTER_ATTACH_PARAMETERS_REVISION_4 4
#endif
typedef struct _NDIS_FILTER_ATTACH_PARAMETERS {
  NDIS_OBJECT_HEADER Header;
  NET_IFINDEX IfIndex;
  NET_LUID NetLuid;
  PNDIS_STRING FilterModuleGuidName;
  NET_IFINDEX BaseMiniportIfIndex;
  PNDIS_STRING BaseMiniportInstanceName;
  PNDIS_STRING BaseMiniportName;
  NDIS_MEDIA_CONNECT_STATE MediaConnectState;
  NET_IF_MEDIA_DUPLEX_STATE MediaDuplexState;
  ULONG64 XmitLinkSpeed;
  ULONG64 RcvLinkSpeed;
  NDIS_MEDIUM MiniportMediaType;
  NDIS_PHYSICAL_MEDIUM MiniportPhysicalMediaType;
  NDIS_HANDLE MiniportMediaSpecificAttributes;
  PVOID DefaultOffloadConfiguration; /* PNDIS_OFFLOAD: NULL here */
  USHORT MacAddressLength;
  UCHAR CurrentMacAddress[NDIS_MAX_PHYS_ADDRESS_LENGTH];
  NET_LUID BaseMiniportNetLuid;
  NET_IFINDEX LowerIfIndex;
  NET_LUID LowerIfNetLuid;
  ULONG Flags;
  PVOID HDSplitCurrentConfig;        /* NDIS 6.1; NULL here */
  PVOID ReceiveFilterCapabilities;   /* NDIS 6.20; NULL here */
  PVOID MiniportPhysicalDeviceObject;
  PVOID NicSwitchCapabilities;
  BOOLEAN BaseMiniportIfConnectorPresent;
  PNDIS_SRIOV_CAPABILITIES SriovCapabilities;
  PVOID NicSwitchArray;
} NDIS_FILTER_ATTACH_PARAMETERS, *PNDIS_FILTER_ATTACH_PARAMETERS;

typedef struct _NDIS_FILTER_PAUSE_PARAMETERS {
  NDIS_OBJECT_HEADER Header;
  ULONG Flags;
  ULONG PauseReason;
} NDIS_FILTER_PAUSE_PARAMETERS, *PNDIS_FILTER_PAUSE_PARAMETERS;

typedef struct _NDIS_FILTER_RESTART_PARAMETERS {
  NDIS_OBJECT_HEADER Header;
  NDIS_MEDIUM MiniportMediaType;
  NDIS_PHYSICAL_MEDIUM MiniportPhysicalMediaType;
  PNDIS_RESTART_ATTRIBUTES RestartAttributes;
  NET_IFINDEX LowerIfIndex;
  NET_LUID LowerIfNetLuid;
  ULONG Flags;
} NDIS_FILTER_RESTART_PARAMETERS, *PNDIS_FILTER_RESTART_PARAMETERS;

typedef struct _NDIS_FILTER_ATTRIBUTES {
  NDIS_OBJECT_HEADER Header;
  ULONG Flags;
} NDIS_FILTER_ATTRIBUTES, *PNDIS_FILTER_ATTRIBUTES;
#define NDIS_SIZEOF_FILTER_ATTRIBUTES_REVISION_1 RTL_SIZEOF_THROUGH_FIELD(NDIS_FILTER_ATTRIBUTES, Flags)

typedef NDIS_STATUS(FILTER_SET_OPTIONS)(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext);
typedef NDIS_STATUS(FILTER_SET_MODULE_OPTIONS)(NDIS_HANDLE FilterModuleContext);
typedef NDIS_STATUS(FILTER_ATTACH)(NDIS_HANDLE NdisFilterHandle, NDIS_HANDLE FilterDriverContext,
                                   PNDIS_FILTER_ATTACH_PARAMETERS AttachParameters);
typedef void(FILTER_DETACH)(NDIS_HANDLE FilterModuleContext);
typedef NDIS_STATUS(FILTER_RESTART)(NDIS_HANDLE FilterModuleContext,
                                    PNDIS_FILTER_RESTART_PARAMETERS RestartParameters);
typedef NDIS_STATUS(FILTER_PAUSE)(NDIS_HANDLE FilterModuleContext, PNDIS_FILTER_PAUSE_PARAMETERS PauseParameters);
typedef void(FILTER_SEND_NET_BUFFER_LISTS)(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferList,
                                           NDIS_PORT_NUMBER PortNumber, ULONG SendFlags);
typedef void(FILTER_SEND_NET_BUFFER_LISTS_COMPLETE)(NDIS_HANDLE FilterModuleContext,
                                                    PNET_BUFFER_LIST NetBufferList, ULONG SendCompleteFlags);
typedef void(FILTER_CANCEL_SEND_NET_BUFFER_LISTS)(NDIS_HANDLE FilterModuleContext, PVOID CancelId);
typedef void(FILTER_RECEIVE_NET_BUFFER_LISTS)(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferLists,
                                              NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists,
                                              ULONG ReceiveFlags);
typedef void(FILTER_RETURN_NET_BUFFER_LISTS)(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferLists,
                                             ULONG ReturnFlags);
typedef NDIS_STATUS(FILTER_OID_REQUEST)(NDIS_HANDLE FilterModuleContext, PNDIS_OID_REQUEST OidRequest);
typedef void(FILTER_OID_REQUEST_COMPLETE)(NDIS_HANDLE FilterModuleContext, PNDIS_OID_REQUEST OidRequest,
                                          NDIS_STATUS Status);
typedef void(FILTER_CANCEL_OID_REQUEST)(NDIS_HANDLE FilterModuleContext, PVOID RequestId);
typedef void(FILTER_DEVICE_PNP_EVENT_NOTIFY)(NDIS_HANDLE FilterModuleContext,
                                             PNET_DEVICE_PNP_EVENT NetDevicePnPEvent);
typedef NDIS_STATUS(FILTER_NET_PNP_EVENT)(NDIS_HANDLE FilterModuleContext,
                                          PNET_PNP_EVENT_NOTIFICATION NetPnPEventNotification);
typedef void(FILTER_STATUS)(NDIS_HANDLE FilterModuleContext, PNDIS_STATUS_INDICATION StatusIndication);
typedef NDIS_STATUS(FILTER_DIRECT_OID_REQUEST)(NDIS_HANDLE FilterModuleContext, PNDIS_OID_REQUEST OidRequest);
typedef void(FILTER_DIRECT_OID_REQUEST_COMPLETE)(NDIS_HANDLE FilterModuleContext, PNDIS_OID_REQUEST OidRequest,
                                                 NDIS_STATUS Status);
typedef void(FILTER_CANCEL_DIRECT_OID_REQUEST)(NDIS_HANDLE FilterModuleContext, PVOID RequestId);
typedef NDIS_STATUS(FILTER_SYNCHRONOUS_OID_REQUEST)(NDIS_HANDLE FilterModuleContext, PNDIS_OID_REQUEST OidRequest,
                                                    PVOID *CallContext);
typedef void(FILTER_SYNCHRONOUS_OID_REQUEST_COMPLETE)(NDIS_HANDLE FilterModuleContext,
                                                      PNDIS_OID_REQUEST OidRequest, PNDIS_STATUS Status,
                                                      PVOID CallContext);
typedef FILTER_SET_OPTIONS *FILTER_SET_OPTIONS_HANDLER;
typedef FILTER_SET_MODULE_OPTIONS *FILTER_SET_FILTER_MODULE_OPTIONS_HANDLER;
typedef FILTER_ATTACH *FILTER_ATTACH_HANDLER;
typedef FILTER_DETACH *FILTER_DETACH_HANDLER;
typedef FILTER_RESTART *FILTER_RESTART_HANDLER;
typedef FILTER_PAUSE *FILTER_PAUSE_HANDLER;
typedef FILTER_SEND_NET_BUFFER_LISTS *FILTER_SEND_NET_BUFFER_LISTS_HANDLER;
typedef FILTER_SEND_NET_BUFFER_LISTS_COMPLETE *FILTER_SEND_NET_BUFFER_LISTS_COMPLETE_HANDLER;
typedef FILTER_CANCEL_SEND_NET_BUFFER_LISTS *FILTER_CANCEL_SEND_HANDLER;
typedef FILTER_RECEIVE_NET_BUFFER_LISTS *FILTER_RECEIVE_NET_BUFFER_LISTS_HANDLER;
typedef FILTER_RETURN_NET_BUFFER_LISTS *FILTER_RETURN_NET_BUFFER_LISTS_HANDLER;
typedef FILTER_OID_REQUEST *FILTER_OID_REQUEST_HANDLER;
typedef FILTER_OID_REQUEST_COMPLETE *FILTER_OID_REQUEST_COMPLETE_HANDLER;
typedef FILTER_CANCEL_OID_REQUEST *FILTER_CANCEL_OID_REQUEST_HANDLER;
typedef FILTER_DEVICE_PNP_EVENT_NOTIFY *FILTER_DEVICE_PNP_EVENT_NOTIFY_HANDLER;
typedef FILTER_NET_PNP_EVENT *FILTER_NET_PNP_EVENT_HANDLER;
typedef FILTER_STATUS *FILTER_STATUS_HANDLER;
typedef FILTER_DIRECT_OID_REQUEST *FILTER_DIRECT_OID_REQUEST_HANDLER;
typedef FILTER_DIRECT_OID_REQUEST_COMPLETE *FILTER_DIRECT_OID_REQUEST_COMPLETE_HANDLER;
typedef FILTER_CANCEL_DIRECT_OID_REQUEST *FILTER_CANCEL_DIRECT_OID_REQUEST_HANDLER;
typedef FILTER_SYNCHRONOUS_OID_REQUEST *FILTER_SYNCHRONOUS_OID_REQUEST_HANDLER;
typedef FILTER_SYNCHRONOUS_OID_REQUEST_COMPLETE *FILTER_SYNCHRONOUS_OID_REQUEST_COMPLETE_HANDLER;

typedef struct _NDIS_FILTER_DRIVER_CHARACTERISTICS {
  NDIS_OBJECT_HEADER Header;
  UCHAR MajorNdisVersion;
  UCHAR MinorNdisVersion;
  UCHAR MajorDriverVersion;
  UCHAR MinorDriverVersion;
  ULONG Flags;
  NDIS_STRING FriendlyName;
  NDIS_STRING UniqueName;
  NDIS_STRING ServiceName;
  FILTER_SET_OPTIONS_HANDLER SetOptionsHandler;
  FILTER_SET_FILTER_MODULE_OPTIONS_HANDLER SetFilterModuleOptionsHandler;
  FILTER_ATTACH_HANDLER AttachHandler;
  FILTER_DETACH_HANDLER DetachHandler;
  FILTER_RESTART_HANDLER RestartHandler;
  FILTER_PAUSE_HANDLER PauseHandler;
  FILTER_SEND_NET_BUFFER_LISTS_HANDLER SendNetBufferListsHandler;
  FILTER_SEND_NET_BUFFER_LISTS_COMPLETE_HANDLER SendNetBufferListsCompleteHandler;
  FILTER_CANCEL_SEND_HANDLER CancelSendNetBufferListsHandler;
  FILTER_RECEIVE_NET_BUFFER_LISTS_HANDLER ReceiveNetBufferListsHandler;
  FILTER_RETURN_NET_BUFFER_LISTS_HANDLER ReturnNetBufferListsHandler;
  FILTER_OID_REQUEST_HANDLER OidRequestHandler;
  FILTER_OID_REQUEST_COMPLETE_HANDLER OidRequestCompleteHandler;
  FILTER_CANCEL_OID_REQUEST_HANDLER CancelOidRequestHandler;
  FILTER_DEVICE_PNP_EVENT_NOTIFY_HANDLER DevicePnPEventNotifyHandler;
  FILTER_NET_PNP_EVENT_HANDLER NetPnPEventHandler;
  FILTER_STATUS_HANDLER StatusHandler;
  FILTER_DIRECT_OID_REQUEST_HANDLER DirectOidRequestHandler;
  FILTER_DIRECT_OID_REQUEST_COMPLETE_HANDLER DirectOidRequestCompleteHandler;
  FILTER_CANCEL_DIRECT_OID_REQUEST_HANDLER CancelDirectOidRequestHandler;
  FILTER_SYNCHRONOUS_OID_REQUEST_HANDLER SynchronousOidRequestHandler;
  FILTER_SYNCHRONOUS_OID_REQUEST_COMPLETE_HANDLER SynchronousOidRequestCompleteHandler;
} NDIS_FILTER_DRIVER_CHARACTERISTICS, *PNDIS_FILTER_DRIVER_CHARACTERISTICS;
#define NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_1 \
  RTL_SIZEOF_THROUGH_FIELD(NDIS_FILTER_DRIVER_CHARACTERISTICS, StatusHandler)
#define NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_2 \
  RTL_SIZEOF_THROUGH_FIELD(NDIS_FILTER_DRIVER_CHARACTERISTICS, CancelDirectOidRequestHandler)
#define NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_3 \
  RTL_SIZEOF_THROUGH_FIELD(NDIS_FILTER_DRIVER_CHARACTERISTICS, SynchronousOidRequestCompleteHandler)

/* ---- the DDI: NDIS routines a C driver calls (each is an import of module "ndis") ---- */
NDIS_TS_IMPORT(NdisGetVersion) UINT NdisGetVersion(void);

NDIS_TS_IMPORT(NdisMRegisterMiniportDriver)
NDIS_STATUS NdisMRegisterMiniportDriver(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath,
                                        NDIS_HANDLE MiniportDriverContext,
                                        PNDIS_MINIPORT_DRIVER_CHARACTERISTICS MiniportDriverCharacteristics,
                                        PNDIS_HANDLE NdisMiniportDriverHandle);
NDIS_TS_IMPORT(NdisMDeregisterMiniportDriver)
void NdisMDeregisterMiniportDriver(NDIS_HANDLE NdisMiniportDriverHandle);
NDIS_TS_IMPORT(NdisRegisterProtocolDriver)
NDIS_STATUS NdisRegisterProtocolDriver(NDIS_HANDLE ProtocolDriverContext,
                                       PNDIS_PROTOCOL_DRIVER_CHARACTERISTICS ProtocolCharacteristics,
                                       PNDIS_HANDLE NdisProtocolHandle);
NDIS_TS_IMPORT(NdisDeregisterProtocolDriver)
void NdisDeregisterProtocolDriver(NDIS_HANDLE NdisProtocolHandle);
NDIS_TS_IMPORT(NdisIMAssociateMiniport)
void NdisIMAssociateMiniport(NDIS_HANDLE DriverHandle, NDIS_HANDLE ProtocolHandle);

NDIS_TS_IMPORT(NdisMSetMiniportAttributes)
NDIS_STATUS NdisMSetMiniportAttributes(NDIS_HANDLE NdisMiniportHandle,
                                       PNDIS_MINIPORT_ADAPTER_ATTRIBUTES MiniportAttributes);
NDIS_TS_IMPORT(NdisMPauseComplete) void NdisMPauseComplete(NDIS_HANDLE MiniportAdapterHandle);
NDIS_TS_IMPORT(NdisMResetComplete)
void NdisMResetComplete(NDIS_HANDLE MiniportAdapterHandle, NDIS_STATUS Status, BOOLEAN AddressingReset);
NDIS_TS_IMPORT(NdisMResetMiniport) void NdisMResetMiniport(NDIS_HANDLE MiniportAdapterHandle);
NDIS_TS_IMPORT(NdisMRestartComplete)
void NdisMRestartComplete(NDIS_HANDLE MiniportAdapterHandle, NDIS_STATUS Status);
NDIS_TS_IMPORT(NdisMOidRequestComplete)
void NdisMOidRequestComplete(NDIS_HANDLE MiniportAdapterHandle, PNDIS_OID_REQUEST OidRequest,
                             NDIS_STATUS Status);
NDIS_TS_IMPORT(NdisMDirectOidRequestComplete)
void NdisMDirectOidRequestComplete(NDIS_HANDLE MiniportAdapterHandle, PNDIS_OID_REQUEST OidRequest,
                                   NDIS_STATUS Status);
NDIS_TS_IMPORT(NdisMIndicateStatusEx)
void NdisMIndicateStatusEx(NDIS_HANDLE MiniportAdapterHandle, PNDIS_STATUS_INDICATION StatusIndication);
NDIS_TS_IMPORT(NdisMSendNetBufferListsComplete)
void NdisMSendNetBufferListsComplete(NDIS_HANDLE MiniportAdapterHandle, PNET_BUFFER_LIST NetBufferLists,
                                     ULONG SendCompleteFlags);
NDIS_TS_IMPORT(NdisMIndicateReceiveNetBufferLists)
void NdisMIndicateReceiveNetBufferLists(NDIS_HANDLE MiniportAdapterHandle, PNET_BUFFER_LIST NetBufferList,
                                        NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists,
                                        ULONG ReceiveFlags);

NDIS_TS_IMPORT(NdisOpenAdapterEx)
NDIS_STATUS NdisOpenAdapterEx(NDIS_HANDLE NdisProtocolHandle, NDIS_HANDLE ProtocolBindingContext,
                              PNDIS_OPEN_PARAMETERS OpenParameters, NDIS_HANDLE BindContext,
                              PNDIS_HANDLE NdisBindingHandle);
NDIS_TS_IMPORT(NdisCloseAdapterEx) NDIS_STATUS NdisCloseAdapterEx(NDIS_HANDLE NdisBindingHandle);
NDIS_TS_IMPORT(NdisCompleteBindAdapterEx)
void NdisCompleteBindAdapterEx(NDIS_HANDLE BindAdapterContext, NDIS_STATUS Status);
NDIS_TS_IMPORT(NdisCompleteUnbindAdapterEx) void NdisCompleteUnbindAdapterEx(NDIS_HANDLE UnbindContext);
NDIS_TS_IMPORT(NdisCompleteNetPnPEvent)
void NdisCompleteNetPnPEvent(NDIS_HANDLE NdisBindingHandle, PNET_PNP_EVENT_NOTIFICATION NetPnPEventNotification,
                             NDIS_STATUS Status);
NDIS_TS_IMPORT(NdisSendNetBufferLists)
void NdisSendNetBufferLists(NDIS_HANDLE NdisBindingHandle, PNET_BUFFER_LIST NetBufferLists,
                            NDIS_PORT_NUMBER PortNumber, ULONG SendFlags);
NDIS_TS_IMPORT(NdisReturnNetBufferLists)
void NdisReturnNetBufferLists(NDIS_HANDLE NdisBindingHandle, PNET_BUFFER_LIST NetBufferLists,
                              ULONG ReturnFlags);
NDIS_TS_IMPORT(NdisOidRequest)
NDIS_STATUS NdisOidRequest(NDIS_HANDLE NdisBindingHandle, PNDIS_OID_REQUEST OidRequest);

NDIS_TS_IMPORT(NdisAllocateCloneOidRequest)
NDIS_STATUS NdisAllocateCloneOidRequest(NDIS_HANDLE SourceHandle, PNDIS_OID_REQUEST OidRequest, ULONG PoolTag,
                                        PNDIS_OID_REQUEST *CloneOidRequest);
NDIS_TS_IMPORT(NdisFreeCloneOidRequest)
void NdisFreeCloneOidRequest(NDIS_HANDLE SourceHandle, PNDIS_OID_REQUEST CloneOidRequest);
NDIS_TS_IMPORT(NdisCancelOidRequest) void NdisCancelOidRequest(NDIS_HANDLE NdisBindingHandle, PVOID RequestId);
/* NDIS 6.1 direct OID requests: unserialized, <= DISPATCH_LEVEL, only the OIDs NDIS carries on
 * the direct path (the IPsec offload v2 SA OIDs, the tunnel interface OIDs). */
NDIS_TS_IMPORT(NdisDirectOidRequest)
NDIS_STATUS NdisDirectOidRequest(NDIS_HANDLE NdisBindingHandle, PNDIS_OID_REQUEST OidRequest);
NDIS_TS_IMPORT(NdisCancelDirectOidRequest)
void NdisCancelDirectOidRequest(NDIS_HANDLE NdisBindingHandle, PVOID RequestId);
NDIS_TS_IMPORT(NdisCancelSendNetBufferLists)
void NdisCancelSendNetBufferLists(NDIS_HANDLE NdisBindingHandle, PVOID CancelId);
NDIS_TS_IMPORT(NdisMNetPnPEvent)
NDIS_STATUS NdisMNetPnPEvent(NDIS_HANDLE MiniportAdapterHandle, PNET_PNP_EVENT_NOTIFICATION NetPnPEventNotification);

NDIS_TS_IMPORT(NdisIMInitializeDeviceInstanceEx)
NDIS_STATUS NdisIMInitializeDeviceInstanceEx(NDIS_HANDLE DriverHandle, PNDIS_STRING DriverInstance,
                                             NDIS_HANDLE DeviceContext);
NDIS_TS_IMPORT(NdisIMCancelInitializeDeviceInstance)
NDIS_STATUS NdisIMCancelInitializeDeviceInstance(NDIS_HANDLE DriverHandle, PNDIS_STRING DeviceInstance);
NDIS_TS_IMPORT(NdisIMDeInitializeDeviceInstance)
NDIS_STATUS NdisIMDeInitializeDeviceInstance(NDIS_HANDLE NdisMiniportHandle);

NDIS_TS_IMPORT(NdisAllocateNetBufferListPool)
NDIS_HANDLE NdisAllocateNetBufferListPool(NDIS_HANDLE NdisHandle, PNET_BUFFER_LIST_POOL_PARAMETERS Parameters);
NDIS_TS_IMPORT(NdisFreeNetBufferListPool) void NdisFreeNetBufferListPool(NDIS_HANDLE PoolHandle);
NDIS_TS_IMPORT(NdisAllocateNetBufferList)
PNET_BUFFER_LIST NdisAllocateNetBufferList(NDIS_HANDLE PoolHandle, USHORT ContextSize, USHORT ContextBackFill);
NDIS_TS_IMPORT(NdisAllocateNetBufferAndNetBufferList)
PNET_BUFFER_LIST NdisAllocateNetBufferAndNetBufferList(NDIS_HANDLE PoolHandle, USHORT ContextSize,
                                                       USHORT ContextBackFill, PMDL MdlChain,
                                                       ULONG DataOffset, SIZE_T DataLength);
NDIS_TS_IMPORT(NdisFreeNetBufferList) void NdisFreeNetBufferList(PNET_BUFFER_LIST NetBufferList);
NDIS_TS_IMPORT(NdisAllocateMdl) PMDL NdisAllocateMdl(NDIS_HANDLE NdisHandle, PVOID VirtualAddress, UINT Length);
NDIS_TS_IMPORT(NdisFreeMdl) void NdisFreeMdl(PMDL Mdl);
/* In the module (c/runtime/ndis_rt_context.c): the data path's case stays there, the rest calls NDIS. */
NDIS_STATUS NdisAllocateNetBufferListContext(PNET_BUFFER_LIST NetBufferList, USHORT ContextSize,
                                             USHORT ContextBackFill, ULONG PoolTag);
void NdisFreeNetBufferListContext(PNET_BUFFER_LIST NetBufferList, USHORT ContextSize);
/*
 * Moving the start of a NET_BUFFER's data. A retreat past the unused space prepends an MDL of
 * NDIS's own; the driver's NetAllocateMdl / NetFreeMdl handlers are not called (pass NULL; a
 * non-NULL one is ignored, as docs/c-drivers.md says).
 */
typedef PMDL (*NET_BUFFER_ALLOCATE_MDL_HANDLER)(PULONG BufferSize);
typedef VOID (*NET_BUFFER_FREE_MDL_HANDLER)(PMDL Mdl);
NDIS_TS_IMPORT(NdisAdvanceNetBufferDataStart)
void NdisAdvanceNetBufferDataStart(PNET_BUFFER NetBuffer, ULONG DataOffsetDelta, BOOLEAN FreeMdl,
                                   NET_BUFFER_FREE_MDL_HANDLER FreeMdlHandler);
NDIS_TS_IMPORT(NdisRetreatNetBufferDataStart)
NDIS_STATUS NdisRetreatNetBufferDataStart(PNET_BUFFER NetBuffer, ULONG DataOffsetDelta, ULONG DataBackFill,
                                          NET_BUFFER_ALLOCATE_MDL_HANDLER AllocateMdlHandler);
NDIS_TS_IMPORT(NdisAdvanceNetBufferListDataStart)
void NdisAdvanceNetBufferListDataStart(PNET_BUFFER_LIST NetBufferList, ULONG DataOffsetDelta, BOOLEAN FreeMdl,
                                       NET_BUFFER_FREE_MDL_HANDLER FreeMdlHandler);
NDIS_TS_IMPORT(NdisRetreatNetBufferListDataStart)
NDIS_STATUS NdisRetreatNetBufferListDataStart(PNET_BUFFER_LIST NetBufferList, ULONG DataOffsetDelta,
                                              ULONG DataBackFill, NET_BUFFER_ALLOCATE_MDL_HANDLER AllocateMdlHandler,
                                              NET_BUFFER_FREE_MDL_HANDLER FreeMdlHandler);
/*
 * The first BytesNeeded bytes of the NET_BUFFER's data, contiguous: a pointer into the current
 * MDL when they lie in it (and its address meets the alignment), else copied into Storage (NULL
 * without Storage, or when the data is shorter). Runs in the module (c/runtime/ndis_rt.c).
 */
PVOID NdisGetDataBuffer(PNET_BUFFER NetBuffer, ULONG BytesNeeded, PVOID Storage, UINT AlignMultiple,
                        UINT AlignOffset);

NDIS_TS_IMPORT(NdisAllocateSpinLock) void NdisAllocateSpinLock(PNDIS_SPIN_LOCK SpinLock);
NDIS_TS_IMPORT(NdisFreeSpinLock) void NdisFreeSpinLock(PNDIS_SPIN_LOCK SpinLock);
NDIS_TS_IMPORT(NdisAcquireSpinLock) void NdisAcquireSpinLock(PNDIS_SPIN_LOCK SpinLock);
NDIS_TS_IMPORT(NdisReleaseSpinLock) void NdisReleaseSpinLock(PNDIS_SPIN_LOCK SpinLock);
NDIS_TS_IMPORT(NdisDprAcquireSpinLock) void NdisDprAcquireSpinLock(PNDIS_SPIN_LOCK SpinLock);
NDIS_TS_IMPORT(NdisDprReleaseSpinLock) void NdisDprReleaseSpinLock(PNDIS_SPIN_LOCK SpinLock);
NDIS_TS_IMPORT(NdisInitializeReadWriteLock) void NdisInitializeReadWriteLock(PNDIS_RW_LOCK Lock);
NDIS_TS_IMPORT(NdisAcquireReadWriteLock)
void NdisAcquireReadWriteLock(PNDIS_RW_LOCK Lock, BOOLEAN fWrite, PLOCK_STATE LockState);
NDIS_TS_IMPORT(NdisReleaseReadWriteLock) void NdisReleaseReadWriteLock(PNDIS_RW_LOCK Lock, PLOCK_STATE LockState);
/* ndis.h's mutex macros, as routines of the same names; the wait blocks (PASSIVE_LEVEL). */
NDIS_TS_IMPORT(NDIS_INIT_MUTEX) void NDIS_INIT_MUTEX(PNDIS_MUTEX Mutex);
NDIS_TS_IMPORT(NDIS_WAIT_FOR_MUTEX) NTSTATUS NDIS_WAIT_FOR_MUTEX(PNDIS_MUTEX Mutex);
NDIS_TS_IMPORT(NDIS_RELEASE_MUTEX) LONG NDIS_RELEASE_MUTEX(PNDIS_MUTEX Mutex);

NDIS_TS_IMPORT(NdisIfAddIfStackEntry)
NDIS_STATUS NdisIfAddIfStackEntry(NET_IFINDEX HigherLayerIfIndex, NET_IFINDEX LowerLayerIfIndex);
NDIS_TS_IMPORT(NdisIfDeleteIfStackEntry)
void NdisIfDeleteIfStackEntry(NET_IFINDEX HigherLayerIfIndex, NET_IFINDEX LowerLayerIfIndex);

NDIS_TS_IMPORT(NdisInitializeEvent) void NdisInitializeEvent(PNDIS_EVENT Event);
NDIS_TS_IMPORT(NdisSetEvent) void NdisSetEvent(PNDIS_EVENT Event);
NDIS_TS_IMPORT(NdisResetEvent) void NdisResetEvent(PNDIS_EVENT Event);
/* Blocks the calling handler (PASSIVE_LEVEL); needs a module built with waits (Asyncify). */
NDIS_TS_IMPORT(NdisWaitEvent) BOOLEAN NdisWaitEvent(PNDIS_EVENT Event, UINT MsToWait);
NDIS_TS_IMPORT(NdisMSleep) void NdisMSleep(ULONG MicrosecondsToSleep);

NDIS_TS_IMPORT(NdisAllocateMemoryWithTagPriority)
PVOID NdisAllocateMemoryWithTagPriority(NDIS_HANDLE NdisHandle, UINT Length, ULONG Tag,
                                        EX_POOL_PRIORITY Priority);
NDIS_TS_IMPORT(NdisFreeMemory) void NdisFreeMemory(PVOID VirtualAddress, UINT Length, UINT MemoryFlags);

/*
 * Lookaside lists: fixed-size blocks of tracked pool memory. The list is the caller's storage;
 * its contents are NDIS's (ndis-ts keeps the list's state on its side and never reads them).
 * Allocate and Free should be NULL: custom routines are not called (NDIS's tracked pool is always
 * used). Flags 0; Depth is ignored.
 */
typedef PVOID (*PALLOCATE_FUNCTION)(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
typedef VOID (*PFREE_FUNCTION)(PVOID Buffer);
typedef struct DECLSPEC_ALIGN(16) _NPAGED_LOOKASIDE_LIST {
  ULONG_PTR Reserved[32];
} NPAGED_LOOKASIDE_LIST, *PNPAGED_LOOKASIDE_LIST;
NDIS_TS_IMPORT(NdisInitializeNPagedLookasideList)
void NdisInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
                                       PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag,
                                       USHORT Depth);
NDIS_TS_IMPORT(NdisAllocateFromNPagedLookasideList)
PVOID NdisAllocateFromNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside);
NDIS_TS_IMPORT(NdisFreeToNPagedLookasideList)
void NdisFreeToNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry);
NDIS_TS_IMPORT(NdisDeleteNPagedLookasideList)
void NdisDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside);


/* Filter drivers. */
NDIS_TS_IMPORT(NdisFRegisterFilterDriver)
NDIS_STATUS NdisFRegisterFilterDriver(PDRIVER_OBJECT DriverObject, NDIS_HANDLE FilterDriverContext,
                                      PNDIS_FILTER_DRIVER_CHARACTERISTICS FilterDriverCharacteristics,
                                      PNDIS_HANDLE NdisFilterDriverHandle);
NDIS_TS_IMPORT(NdisFDeregisterFilterDriver) void NdisFDeregisterFilterDriver(NDIS_HANDLE NdisFilterDriverHandle);

/* ---- control devices ---- */
typedef struct _NDIS_DEVICE_OBJECT_ATTRIBUTES {
  NDIS_OBJECT_HEADER Header;
  PNDIS_STRING DeviceName;
  PNDIS_STRING SymbolicName;
  PDRIVER_DISPATCH *MajorFunctions;
  ULONG ExtensionSize;
  PCUNICODE_STRING DefaultSDDLString;
  const GUID *DeviceClassGuid;
} NDIS_DEVICE_OBJECT_ATTRIBUTES, *PNDIS_DEVICE_OBJECT_ATTRIBUTES;
#define NDIS_SIZEOF_DEVICE_OBJECT_ATTRIBUTES_REVISION_1 \
  RTL_SIZEOF_THROUGH_FIELD(NDIS_DEVICE_OBJECT_ATTRIBUTES, DeviceClassGuid)

NDIS_TS_IMPORT(NdisRegisterDeviceEx)
NDIS_STATUS NdisRegisterDeviceEx(NDIS_HANDLE NdisHandle, PNDIS_DEVICE_OBJECT_ATTRIBUTES DeviceObjectAttributes,
                                 PDEVICE_OBJECT *pDeviceObject, NDIS_HANDLE *NdisDeviceHandle);
NDIS_TS_IMPORT(NdisDeregisterDeviceEx) void NdisDeregisterDeviceEx(NDIS_HANDLE NdisDeviceHandle);
NDIS_TS_IMPORT(NdisGetDeviceReservedExtension) PVOID NdisGetDeviceReservedExtension(PDEVICE_OBJECT DeviceObject);
NDIS_TS_IMPORT(NdisFSetAttributes)
NDIS_STATUS NdisFSetAttributes(NDIS_HANDLE NdisFilterHandle, NDIS_HANDLE FilterModuleContext,
                               PNDIS_FILTER_ATTRIBUTES FilterAttributes);
NDIS_TS_IMPORT(NdisFPauseComplete) void NdisFPauseComplete(NDIS_HANDLE NdisFilterHandle);
NDIS_TS_IMPORT(NdisFRestartComplete) void NdisFRestartComplete(NDIS_HANDLE NdisFilterHandle, NDIS_STATUS Status);
NDIS_TS_IMPORT(NdisFRestartFilter) NDIS_STATUS NdisFRestartFilter(NDIS_HANDLE NdisFilterHandle);
NDIS_TS_IMPORT(NdisFSendNetBufferLists)
void NdisFSendNetBufferLists(NDIS_HANDLE NdisFilterHandle, PNET_BUFFER_LIST NetBufferList,
                             NDIS_PORT_NUMBER PortNumber, ULONG SendFlags);
NDIS_TS_IMPORT(NdisFSendNetBufferListsComplete)
void NdisFSendNetBufferListsComplete(NDIS_HANDLE NdisFilterHandle, PNET_BUFFER_LIST NetBufferList,
                                     ULONG SendCompleteFlags);
NDIS_TS_IMPORT(NdisFIndicateReceiveNetBufferLists)
void NdisFIndicateReceiveNetBufferLists(NDIS_HANDLE NdisFilterHandle, PNET_BUFFER_LIST NetBufferLists,
                                        NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists,
                                        ULONG ReceiveFlags);
NDIS_TS_IMPORT(NdisFReturnNetBufferLists)
void NdisFReturnNetBufferLists(NDIS_HANDLE NdisFilterHandle, PNET_BUFFER_LIST NetBufferLists, ULONG ReturnFlags);
NDIS_TS_IMPORT(NdisFCancelSendNetBufferLists)
void NdisFCancelSendNetBufferLists(NDIS_HANDLE NdisFilterHandle, PVOID CancelId);
NDIS_TS_IMPORT(NdisFOidRequest) NDIS_STATUS NdisFOidRequest(NDIS_HANDLE NdisFilterHandle, PNDIS_OID_REQUEST OidRequest);
NDIS_TS_IMPORT(NdisFOidRequestComplete)
void NdisFOidRequestComplete(NDIS_HANDLE NdisFilterHandle, PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status);
NDIS_TS_IMPORT(NdisFCancelOidRequest) void NdisFCancelOidRequest(NDIS_HANDLE NdisFilterHandle, PVOID RequestId);
NDIS_TS_IMPORT(NdisFDirectOidRequest)
NDIS_STATUS NdisFDirectOidRequest(NDIS_HANDLE NdisFilterHandle, PNDIS_OID_REQUEST OidRequest);
NDIS_TS_IMPORT(NdisFDirectOidRequestComplete)
void NdisFDirectOidRequestComplete(NDIS_HANDLE NdisFilterHandle, PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status);
NDIS_TS_IMPORT(NdisFCancelDirectOidRequest)
void NdisFCancelDirectOidRequest(NDIS_HANDLE NdisFilterHandle, PVOID RequestId);
NDIS_TS_IMPORT(NdisFIndicateStatus)
void NdisFIndicateStatus(NDIS_HANDLE NdisFilterHandle, PNDIS_STATUS_INDICATION StatusIndication);


/* ---- frame types a protocol opens for (NDIS_OPEN_PARAMETERS.FrameTypeArray), host order ---- */
typedef USHORT NET_FRAME_TYPE, *PNET_FRAME_TYPE;
#define NDIS_ETH_TYPE_IPV4 0x0800
#define NDIS_ETH_TYPE_ARP 0x0806
#define NDIS_ETH_TYPE_IPV6 0x86DD
#define NDIS_ETH_TYPE_802_1X 0x888E
#define NDIS_ETH_TYPE_802_1Q 0x8100
#define NDIS_ETH_TYPE_SLOW_PROTOCOL 0x8809

/* ---- context declarations (for the static analysis of a WDK build: nothing here) ---- */
#define NDIS_DECLARE_FILTER_MODULE_CONTEXT(t) _Static_assert(1, "filter module context " #t)
#define NDIS_DECLARE_FILTER_DRIVER_CONTEXT(t) _Static_assert(1, "filter driver context " #t)
#define NDIS_DECLARE_MINIPORT_ADAPTER_CONTEXT(t) _Static_assert(1, "miniport adapter context " #t)
#define NDIS_DECLARE_MINIPORT_DRIVER_CONTEXT(t) _Static_assert(1, "miniport driver context " #t)
#define NDIS_DECLARE_PROTOCOL_BINDING_CONTEXT(t) _Static_assert(1, "protocol binding context " #t)
#define NDIS_DECLARE_PROTOCOL_DRIVER_CONTEXT(t) _Static_assert(1, "protocol driver context " #t)
#define NDIS_DECLARE_PROTOCOL_OPEN_CONTEXT(t) _Static_assert(1, "protocol open context " #t)
#define NDIS_DECLARE_MINIPORT_INTERRUPT_CONTEXT(t) _Static_assert(1, "interrupt context " #t)

/* ---- timers (NDIS_TIMER_CHARACTERISTICS above); the function runs at DISPATCH_LEVEL ---- */
typedef NDIS_TIMER_FUNCTION *NDIS_TIMER_FUNCTION_HANDLER;
NDIS_TS_IMPORT(NdisAllocateTimerObject)
NDIS_STATUS NdisAllocateTimerObject(NDIS_HANDLE NdisHandle, PNDIS_TIMER_CHARACTERISTICS TimerCharacteristics,
                                    PNDIS_HANDLE pTimerObject);
NDIS_TS_IMPORT(NdisSetTimerObject)
BOOLEAN __ndis_SetTimerObject(NDIS_HANDLE TimerObject, LONGLONG DueTime, LONG MillisecondsPeriod,
                              PVOID FunctionContext);
/* DueTime is a LARGE_INTEGER by value; the import takes its 64 bits. */
FORCEINLINE BOOLEAN NdisSetTimerObject(NDIS_HANDLE TimerObject, LARGE_INTEGER DueTime, LONG MillisecondsPeriod,
                                       PVOID FunctionContext) {
  return __ndis_SetTimerObject(TimerObject, DueTime.QuadPart, MillisecondsPeriod, FunctionContext);
}
NDIS_TS_IMPORT(NdisCancelTimerObject) BOOLEAN NdisCancelTimerObject(NDIS_HANDLE TimerObject);
NDIS_TS_IMPORT(NdisFreeTimerObject) void NdisFreeTimerObject(NDIS_HANDLE TimerObject);

/* ---- work items: the routine runs at PASSIVE_LEVEL once the current call has unwound ---- */
NDIS_TS_IMPORT(NdisAllocateIoWorkItem) NDIS_HANDLE NdisAllocateIoWorkItem(NDIS_HANDLE NdisObjectHandle);
NDIS_TS_IMPORT(NdisQueueIoWorkItem)
void NdisQueueIoWorkItem(NDIS_HANDLE NdisIoWorkItemHandle, NDIS_IO_WORKITEM_ROUTINE Routine, PVOID WorkItemContext);
NDIS_TS_IMPORT(NdisFreeIoWorkItem) void NdisFreeIoWorkItem(NDIS_HANDLE NdisIoWorkItemHandle);

/* ---- configuration: the host's registry values for the adapter, binding or driver ---- */
#define NDIS_CONFIG_FLAG_FILTER_INSTANCE_CONFIGURATION 0x00000001
NDIS_TS_IMPORT(NdisOpenConfigurationEx)
NDIS_STATUS NdisOpenConfigurationEx(PNDIS_CONFIGURATION_OBJECT ConfigObject, PNDIS_HANDLE ConfigurationHandle);
/* The parameter NDIS hands back stays valid until NdisCloseConfiguration. */
NDIS_TS_IMPORT(NdisReadConfiguration)
void NdisReadConfiguration(PNDIS_STATUS Status, PNDIS_CONFIGURATION_PARAMETER *ParameterValue,
                           NDIS_HANDLE ConfigurationHandle, PNDIS_STRING Keyword, NDIS_PARAMETER_TYPE ParameterType);
/* Later reads of the key see what is written; it is not written back to the host's configuration. */
NDIS_TS_IMPORT(NdisWriteConfiguration)
void NdisWriteConfiguration(PNDIS_STATUS Status, NDIS_HANDLE ConfigurationHandle, PNDIS_STRING Keyword,
                            PNDIS_CONFIGURATION_PARAMETER ParameterValue);
/* The device objects and resources under an adapter: [MODEL] a virtual miniport here has no
   device stack and no hardware, so every one is NULL (a driver keeps them for IRPs it cannot send
   here anyway: IoCallDriver is not supported). */
static inline void NdisMGetDeviceProperty(NDIS_HANDLE MiniportAdapterHandle, PDEVICE_OBJECT *PhysicalDeviceObject,
                                          PDEVICE_OBJECT *FunctionalDeviceObject, PDEVICE_OBJECT *NextDeviceObject,
                                          PVOID *AllocatedResources, PVOID *AllocatedResourcesTranslated) {
  (void)MiniportAdapterHandle;
  if (PhysicalDeviceObject != NULL) *PhysicalDeviceObject = NULL;
  if (FunctionalDeviceObject != NULL) *FunctionalDeviceObject = NULL;
  if (NextDeviceObject != NULL) *NextDeviceObject = NULL;
  if (AllocatedResources != NULL) *AllocatedResources = NULL;
  if (AllocatedResourcesTranslated != NULL) *AllocatedResourcesTranslated = NULL;
}
/* The alignment for data several processors share ([MODEL] a 64-byte cache line). IRQL <= DISPATCH_LEVEL. */
#define NdisGetSharedDataAlignment() KeGetRecommendedSharedDataAlignment()
#define NdisGetPhysicalAddressLow(_PhysicalAddress) ((_PhysicalAddress).LowPart)
#define NdisGetPhysicalAddressHigh(_PhysicalAddress) ((_PhysicalAddress).HighPart)
#define NdisSetPhysicalAddressLow(_PhysicalAddress, _Value) ((_PhysicalAddress).LowPart = (_Value))
#define NdisSetPhysicalAddressHigh(_PhysicalAddress, _Value) ((_PhysicalAddress).HighPart = (_Value))
#define NDIS_RAISE_IRQL_TO_DISPATCH(_pIrql) KeRaiseIrql(DISPATCH_LEVEL, (_pIrql))
#define NDIS_LOWER_IRQL(_OldIrql, _CurIrql) KeLowerIrql(_OldIrql)
NDIS_TS_IMPORT(NdisReadNetworkAddress)
void NdisReadNetworkAddress(PNDIS_STATUS Status, PVOID *NetworkAddress, PUINT NetworkAddressLength,
                            NDIS_HANDLE ConfigurationHandle);
NDIS_TS_IMPORT(NdisCloseConfiguration) void NdisCloseConfiguration(NDIS_HANDLE ConfigurationHandle);

/* ---- time ---- */
#define NdisGetCurrentSystemTime(t) __ndis_QuerySystemTime(t)
FORCEINLINE void NdisGetSystemUpTimeEx(PLARGE_INTEGER ms) {
  __ndis_QuerySystemTime(ms);
  ms->QuadPart /= 10000;
}
FORCEINLINE void NdisGetSystemUpTime(PULONG ms) {
  LARGE_INTEGER t;
  NdisGetSystemUpTimeEx(&t);
  *ms = (ULONG)t.QuadPart;
}
/* Busy waits do not pass time here (only the clock does): a stall returns at once. */
#define NdisStallExecution(us) ((void)(us))
#define KeStallExecutionProcessor(us) ((void)(us))

/* ---- processors: one runs driver code ---- */
#define NdisSystemProcessorCount() 1
#define NdisGroupMaxProcessorCount(group) 1UL
#define NdisGroupActiveProcessorCount(group) 1UL
#define NdisCurrentProcessorNumber() 0UL
#define NdisGroupMaxProcessorCountEx NdisGroupMaxProcessorCount
#define ALL_PROCESSOR_GROUPS 0xffff

/* ---- lists guarded by an NDIS_SPIN_LOCK ---- */
FORCEINLINE PLIST_ENTRY NdisInterlockedInsertHeadList(PLIST_ENTRY head, PLIST_ENTRY entry, PNDIS_SPIN_LOCK l) {
  PLIST_ENTRY first;
  NdisAcquireSpinLock(l);
  first = IsListEmpty(head) ? NULL : head->Flink;
  InsertHeadList(head, entry);
  NdisReleaseSpinLock(l);
  return first;
}
FORCEINLINE PLIST_ENTRY NdisInterlockedInsertTailList(PLIST_ENTRY head, PLIST_ENTRY entry, PNDIS_SPIN_LOCK l) {
  PLIST_ENTRY first;
  NdisAcquireSpinLock(l);
  first = IsListEmpty(head) ? NULL : head->Flink;
  InsertTailList(head, entry);
  NdisReleaseSpinLock(l);
  return first;
}
FORCEINLINE PLIST_ENTRY NdisInterlockedRemoveHeadList(PLIST_ENTRY head, PNDIS_SPIN_LOCK l) {
  PLIST_ENTRY first = NULL;
  NdisAcquireSpinLock(l);
  if (!IsListEmpty(head)) first = RemoveHeadList(head);
  NdisReleaseSpinLock(l);
  return first;
}
#define NdisInitializeListHead(h) InitializeListHead(h)

/* ---- strings ---- */
#define NdisEqualString(a, b, caseInsensitive) RtlEqualUnicodeString((a), (b), (caseInsensitive))
#define NdisEqualUnicodeString(a, b, caseInsensitive) RtlEqualUnicodeString((a), (b), (caseInsensitive))
#define NdisFreeString(s) ((void)(s))
/* ASCII letters upcased; the destination's MaximumLength bounds the copy. */
FORCEINLINE NDIS_STATUS NdisUpcaseUnicodeString(PUNICODE_STRING d, PUNICODE_STRING s) {
  USHORT n = s->Length < d->MaximumLength ? s->Length : d->MaximumLength, i;
  for (i = 0; i < n / sizeof(WCHAR); i++) d->Buffer[i] = __ndis_upcase(s->Buffer[i]);
  d->Length = n;
  return n == s->Length ? NDIS_STATUS_SUCCESS : NDIS_STATUS_BUFFER_TOO_SHORT;
}

/* ---- the error log: accepted and discarded, as DbgPrint ---- */
typedef ULONG NDIS_ERROR_CODE;
#define NDIS_ERROR_CODE_RESOURCE_CONFLICT 0xC0001388L
#define NDIS_ERROR_CODE_OUT_OF_RESOURCES 0xC0001389L
#define NDIS_ERROR_CODE_HARDWARE_FAILURE 0xC000138AL
#define NDIS_ERROR_CODE_ADAPTER_NOT_FOUND 0xC000138BL
#define NDIS_ERROR_CODE_DRIVER_FAILURE 0xC0001391L
#define NDIS_ERROR_CODE_MISSING_CONFIGURATION_PARAMETER 0xC0001395L
#define NDIS_ERROR_CODE_BAD_VERSION 0xC0001396L
#define NDIS_ERROR_CODE_UNSUPPORTED_CONFIGURATION 0xC0001398L
#define NdisWriteErrorLogEntry(handle, code, count, ...) ((void)(handle), (void)(code), (void)(count))






/* ---- NDIS 6.20 read-write locks ---- */
typedef struct _LOCK_STATE_EX {
  KIRQL OldIrql;
  UCHAR LockState;
  UCHAR Flags;
} LOCK_STATE_EX, *PLOCK_STATE_EX;
#define NDIS_RWL_AT_DISPATCH_LEVEL 1
NDIS_TS_IMPORT(NdisAllocateRWLock) PNDIS_RW_LOCK_EX NdisAllocateRWLock(NDIS_HANDLE NdisHandle);
NDIS_TS_IMPORT(NdisFreeRWLock) void NdisFreeRWLock(PNDIS_RW_LOCK_EX Lock);
NDIS_TS_IMPORT(NdisAcquireRWLockRead)
void NdisAcquireRWLockRead(PNDIS_RW_LOCK_EX Lock, PLOCK_STATE_EX LockState, UCHAR Flags);
NDIS_TS_IMPORT(NdisAcquireRWLockWrite)
void NdisAcquireRWLockWrite(PNDIS_RW_LOCK_EX Lock, PLOCK_STATE_EX LockState, UCHAR Flags);
NDIS_TS_IMPORT(NdisReleaseRWLock) void NdisReleaseRWLock(PNDIS_RW_LOCK_EX Lock, PLOCK_STATE_EX LockState);

/* ---- a filter passing PnP events on (NdisFNetPnPEvent waits for the drivers above) ---- */
NDIS_TS_IMPORT(NdisFNetPnPEvent)
NDIS_STATUS NdisFNetPnPEvent(NDIS_HANDLE NdisFilterHandle, PNET_PNP_EVENT_NOTIFICATION NetPnPEventNotification);
NDIS_TS_IMPORT(NdisFDevicePnPEventNotify)
void NdisFDevicePnPEventNotify(NDIS_HANDLE NdisFilterHandle, PNET_DEVICE_PNP_EVENT NetDevicePnPEvent);

/* ---- clones and NET_BUFFER pools ---- */
NDIS_TS_IMPORT(NdisAllocateCloneNetBufferList)
PNET_BUFFER_LIST NdisAllocateCloneNetBufferList(PNET_BUFFER_LIST OriginalNetBufferList,
                                                NDIS_HANDLE NetBufferListPoolHandle, NDIS_HANDLE NetBufferPoolHandle,
                                                ULONG AllocateCloneFlags);
NDIS_TS_IMPORT(NdisFreeCloneNetBufferList)
void NdisFreeCloneNetBufferList(PNET_BUFFER_LIST CloneNetBufferList, ULONG FreeCloneFlags);
NDIS_TS_IMPORT(NdisAllocateNetBufferPool)
NDIS_HANDLE NdisAllocateNetBufferPool(NDIS_HANDLE NdisHandle, PNET_BUFFER_POOL_PARAMETERS Parameters);
NDIS_TS_IMPORT(NdisFreeNetBufferPool) void NdisFreeNetBufferPool(NDIS_HANDLE PoolHandle);
NDIS_TS_IMPORT(NdisAllocateNetBuffer)
PNET_BUFFER NdisAllocateNetBuffer(NDIS_HANDLE PoolHandle, PMDL MdlChain, ULONG DataOffset, SIZE_T DataLength);
NDIS_TS_IMPORT(NdisFreeNetBuffer) void NdisFreeNetBuffer(PNET_BUFFER NetBuffer);
#define NdisGetPoolFromNetBufferList(_Nbl) ((_Nbl)->NdisPoolHandle)
#define NdisGetPoolFromNetBuffer(_Nb) ((_Nb)->NdisPoolHandle)
#define NET_BUFFER_LIST_NEXT_NBL_EX(_Nbl) NET_BUFFER_LIST_NEXT_NBL(_Nbl)
#define NET_BUFFER_LIST_RECEIVE_QUEUE_ID(_Nbl) (PtrToUlong(NET_BUFFER_LIST_INFO((_Nbl), NetBufferListHashValue)))
/*
 * Copies BytesToCopy bytes of the source NET_BUFFER's data (from SourceOffset) into the
 * destination's (from DestinationOffset); BytesCopied says how many. Runs in the module.
 */
NDIS_STATUS NdisCopyFromNetBufferToNetBuffer(PNET_BUFFER Destination, ULONG DestinationOffset, ULONG BytesToCopy,
                                             PNET_BUFFER Source, ULONG SourceOffset, PULONG BytesCopied);

/* ---- per-NBL information slots as their documented unions ---- */
typedef struct _NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO {
  union {
    struct {
      ULONG IsIPv4 : 1;
      ULONG IsIPv6 : 1;
      ULONG TcpChecksum : 1;
      ULONG UdpChecksum : 1;
      ULONG IpHeaderChecksum : 1;
      ULONG Reserved : 11;
      ULONG TcpHeaderOffset : 10;
    } Transmit;
    struct {
      ULONG TcpChecksumFailed : 1;
      ULONG UdpChecksumFailed : 1;
      ULONG IpChecksumFailed : 1;
      ULONG TcpChecksumSucceeded : 1;
      ULONG UdpChecksumSucceeded : 1;
      ULONG IpChecksumSucceeded : 1;
      ULONG Loopback : 1;
      ULONG TcpChecksumValueInvalid : 1;
      ULONG IpChecksumValueInvalid : 1;
    } Receive;
    PVOID Value;
  };
} NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO, *PNDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO;
typedef struct _NDIS_TCP_LARGE_SEND_OFFLOAD_NET_BUFFER_LIST_INFO {
  union {
    struct {
      ULONG Unused : 30;
      ULONG Type : 1;
      ULONG Reserved2 : 1;
    } Transmit;
    struct {
      ULONG MSS : 20;
      ULONG TcpHeaderOffset : 10;
      ULONG Type : 1;
      ULONG Reserved2 : 1;
    } LsoV1Transmit;
    struct {
      ULONG TcpPayload : 30;
      ULONG Type : 1;
      ULONG Reserved2 : 1;
    } LsoV1TransmitComplete;
    struct {
      ULONG MSS : 20;
      ULONG TcpHeaderOffset : 10;
      ULONG Type : 1;
      ULONG Reserved2 : 1;
      USHORT IPVersion : 2;
      USHORT Reserved3 : 14;
    } LsoV2Transmit;
    PVOID Value;
  };
} NDIS_TCP_LARGE_SEND_OFFLOAD_NET_BUFFER_LIST_INFO, *PNDIS_TCP_LARGE_SEND_OFFLOAD_NET_BUFFER_LIST_INFO;
#define PtrToUlong(p) ((ULONG)(ULONG_PTR)(p))
#define PtrToLong(p) ((LONG)(LONG_PTR)(p))
#define PtrToUshort(p) ((USHORT)(ULONG_PTR)(p))
#define UlongToPtr(u) ((PVOID)(ULONG_PTR)(u))
#define ULongToPtr(u) UlongToPtr(u)
#define LongToPtr(l) ((PVOID)(LONG_PTR)(l))
#define IntToPtr(i) ((PVOID)(INT_PTR)(i))
#define UIntToPtr(u) ((PVOID)(UINT_PTR)(u))
#define PtrToUint(p) ((UINT)(UINT_PTR)(p))

/* ---- the kernel's lookaside names over NDIS's (the same NPAGED_LOOKASIDE_LIST) ---- */
#define ExInitializeNPagedLookasideList NdisInitializeNPagedLookasideList
#define ExAllocateFromNPagedLookasideList NdisAllocateFromNPagedLookasideList
#define ExFreeToNPagedLookasideList NdisFreeToNPagedLookasideList
#define ExDeleteNPagedLookasideList NdisDeleteNPagedLookasideList

/* ---- NDIS's SList names ---- */
#define NdisInitializeSListHead(h) InitializeSListHead(h)
#define NdisInterlockedPushEntrySList(h, e, lock) InterlockedPushEntrySList((h), (e))
#define NdisInterlockedPopEntrySList(h, lock) InterlockedPopEntrySList(h)
#define NdisInterlockedFlushSList(h) InterlockedFlushSList(h)
#define NdisQueryDepthSList(h) QueryDepthSList(h)

/* Optional NDIS routines are looked up by name: none is found (a driver takes its fallback). */
#define NdisGetRoutineAddress(name) ((PVOID)0)

/* NDIS 5 leftovers some NDIS 6 drivers still call. */
FORCEINLINE NDIS_STATUS NdisAllocateMemoryWithTag(PVOID *VirtualAddress, UINT Length, ULONG Tag) {
  *VirtualAddress = ExAllocatePoolWithTag(NonPagedPoolNx, Length, Tag);
  return *VirtualAddress == NULL ? NDIS_STATUS_RESOURCES : NDIS_STATUS_SUCCESS;
}

/* ---- what ndis-ts does not have (docs/c-drivers.md, "Not supported") ---- */
#define NDIS_TS_NO_HARDWARE "ndis-ts has no hardware: a miniport here is virtual (no interrupts, DMA, I/O ports or bus)"
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_HARDWARE) NDIS_STATUS NdisMRegisterInterruptEx();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_HARDWARE) void NdisMDeregisterInterruptEx();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_HARDWARE) BOOLEAN NdisMSynchronizeWithInterruptEx();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_HARDWARE) NDIS_STATUS NdisMMapIoSpace();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_HARDWARE) void NdisMUnmapIoSpace();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_HARDWARE) NDIS_STATUS NdisMRegisterIoPortRange();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_HARDWARE) void NdisMDeregisterIoPortRange();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_HARDWARE) NDIS_STATUS NdisMRegisterScatterGatherDma();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_HARDWARE) void NdisMDeregisterScatterGatherDma();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_HARDWARE) NDIS_STATUS NdisMAllocateNetBufferSGList();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_HARDWARE) void NdisMFreeNetBufferSGList();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_HARDWARE) NDIS_STATUS NdisMAllocateSharedMemory();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_HARDWARE) void NdisMFreeSharedMemory();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_HARDWARE) NDIS_STATUS NdisMAllocateSharedMemoryAsyncEx();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_HARDWARE) NDIS_STATUS NdisMQueryAdapterResources();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_HARDWARE) NDIS_STATUS NdisMInitializeScatterGatherDma();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_HARDWARE) ULONG NdisMGetBusData();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_HARDWARE) ULONG NdisMSetBusData();
NDIS_TS_UNAVAILABLE("the Hyper-V extensible switch is not modelled") NDIS_STATUS NdisFGetOptionalSwitchHandlers();
NDIS_TS_UNAVAILABLE("configuration subkeys are not modelled: read values of the key itself") void NdisOpenConfigurationKeyByName();
NDIS_TS_UNAVAILABLE("configuration subkeys are not modelled: read values of the key itself") void NdisOpenConfigurationKeyByIndex();
NDIS_TS_UNAVAILABLE("NDIS 5 protocol and miniport routines are not NDIS 6: use the NDIS 6 routines (docs/c-drivers.md)") void NdisMSetAttributesEx();
NDIS_TS_UNAVAILABLE("NDIS 5 protocol and miniport routines are not NDIS 6: use the NDIS 6 routines (docs/c-drivers.md)") void NdisRequest();
NDIS_TS_UNAVAILABLE("NDIS 5 protocol and miniport routines are not NDIS 6: use the NDIS 6 routines (docs/c-drivers.md)") void NdisSend();
NDIS_TS_UNAVAILABLE("NDIS 5 protocol and miniport routines are not NDIS 6: use the NDIS 6 routines (docs/c-drivers.md)") void NdisOpenAdapter();
NDIS_TS_UNAVAILABLE("NDIS 5 protocol and miniport routines are not NDIS 6: use the NDIS 6 routines (docs/c-drivers.md)") void NdisCloseAdapter();
NDIS_TS_UNAVAILABLE("NDIS 5 protocol and miniport routines are not NDIS 6: use the NDIS 6 routines (docs/c-drivers.md)") void NdisMRegisterAdapterShutdownHandler();
NDIS_TS_UNAVAILABLE("NDIS 5 protocol and miniport routines are not NDIS 6: use the NDIS 6 routines (docs/c-drivers.md)") void NdisMSendComplete();


/* ---- asking NDIS to take an adapter or a binding down; IM binding contexts; cancel IDs ---- */
NDIS_TS_IMPORT(NdisMRemoveMiniport) NDIS_STATUS NdisMRemoveMiniport(NDIS_HANDLE MiniportAdapterHandle);
NDIS_TS_IMPORT(NdisUnbindAdapter) NDIS_STATUS NdisUnbindAdapter(NDIS_HANDLE NdisBindingHandle);
/* The adapter's friendly name, allocated by NDIS: free its Buffer with NdisFreeMemory. */
NDIS_TS_IMPORT(NdisQueryAdapterInstanceName)
NDIS_STATUS NdisQueryAdapterInstanceName(PNDIS_STRING pAdapterInstanceName, NDIS_HANDLE NdisBindingHandle);
NDIS_TS_IMPORT(NdisQueryBindInstanceName)
NDIS_STATUS NdisQueryBindInstanceName(PNDIS_STRING pAdapterInstanceName, NDIS_HANDLE BindingContext);
NDIS_TS_IMPORT(NdisIMGetBindingContext) NDIS_HANDLE NdisIMGetBindingContext(NDIS_HANDLE NdisBindingHandle);
NDIS_TS_IMPORT(NdisGeneratePartialCancelId) UCHAR NdisGeneratePartialCancelId(void);

/*
 * Optional handlers: a filter module's data-path handlers, changed in FilterSetModuleOptions or
 * FilterRestart (NULL pairs bypass the module on that path). The driver-level tables (miniport
 * PnP characteristics…) are NDIS's to refuse here.
 */
typedef struct _NDIS_DRIVER_OPTIONAL_HANDLERS {
  NDIS_OBJECT_HEADER Header;
} NDIS_DRIVER_OPTIONAL_HANDLERS, *PNDIS_DRIVER_OPTIONAL_HANDLERS;
typedef struct _NDIS_FILTER_PARTIAL_CHARACTERISTICS {
  NDIS_OBJECT_HEADER Header;
  ULONG Flags;
  FILTER_SEND_NET_BUFFER_LISTS_HANDLER SendNetBufferListsHandler;
  FILTER_SEND_NET_BUFFER_LISTS_COMPLETE_HANDLER SendNetBufferListsCompleteHandler;
  FILTER_CANCEL_SEND_HANDLER CancelSendNetBufferListsHandler;
  FILTER_RECEIVE_NET_BUFFER_LISTS_HANDLER ReceiveNetBufferListsHandler;
  FILTER_RETURN_NET_BUFFER_LISTS_HANDLER ReturnNetBufferListsHandler;
} NDIS_FILTER_PARTIAL_CHARACTERISTICS, *PNDIS_FILTER_PARTIAL_CHARACTERISTICS;
#define NDIS_SIZEOF_FILTER_PARTIAL_CHARACTERISTICS_REVISION_1 \
  RTL_SIZEOF_THROUGH_FIELD(NDIS_FILTER_PARTIAL_CHARACTERISTICS, ReturnNetBufferListsHandler)
NDIS_TS_IMPORT(NdisSetOptionalHandlers)
NDIS_STATUS NdisSetOptionalHandlers(NDIS_HANDLE NdisHandle, PNDIS_DRIVER_OPTIONAL_HANDLERS OptionalHandlers);


/* ---- NDIS 6.20 power management capabilities (general attributes' PowerManagementCapabilitiesEx) ---- */
typedef struct _NDIS_PM_CAPABILITIES {
  NDIS_OBJECT_HEADER Header;
  ULONG Flags;
  ULONG SupportedWoLPacketPatterns;
  ULONG NumTotalWoLPatterns;
  ULONG MaxWoLPatternSize;
  ULONG MaxWoLPatternOffset;
  ULONG MaxWoLPacketSaveBuffer;
  ULONG SupportedProtocolOffloads;
  ULONG NumArpOffloadIPv4Addresses;
  ULONG NumNSOffloadIPv6Addresses;
  NDIS_DEVICE_POWER_STATE MinMagicPacketWakeUp;
  NDIS_DEVICE_POWER_STATE MinPatternWakeUp;
  NDIS_DEVICE_POWER_STATE MinLinkChangeWakeUp;
  ULONG SupportedWakeUpEvents;
  ULONG MediaSpecificWakeUpEvents;
} NDIS_PM_CAPABILITIES, *PNDIS_PM_CAPABILITIES;
#define NDIS_PM_CAPABILITIES_REVISION_1 1
#define NDIS_PM_CAPABILITIES_REVISION_2 2
#define NDIS_SIZEOF_NDIS_PM_CAPABILITIES_REVISION_1 RTL_SIZEOF_THROUGH_FIELD(NDIS_PM_CAPABILITIES, MinLinkChangeWakeUp)
#define NDIS_SIZEOF_NDIS_PM_CAPABILITIES_REVISION_2 \
  RTL_SIZEOF_THROUGH_FIELD(NDIS_PM_CAPABILITIES, MediaSpecificWakeUpEvents)
#ifndef OID_PM_CURRENT_CAPABILITIES
#define OID_PM_CURRENT_CAPABILITIES 0xFD010107
#define OID_PM_HARDWARE_CAPABILITIES 0xFD010108
#define OID_PM_PARAMETERS 0xFD010109
#define OID_PM_ADD_WOL_PATTERN 0xFD01010A
#define OID_PM_REMOVE_WOL_PATTERN 0xFD01010B
#define OID_PM_WOL_PATTERN_LIST 0xFD01010C
#define OID_PM_ADD_PROTOCOL_OFFLOAD 0xFD01010D
#define OID_PM_GET_PROTOCOL_OFFLOAD 0xFD01010E
#define OID_PM_REMOVE_PROTOCOL_OFFLOAD 0xFD01010F
#define OID_PM_PROTOCOL_OFFLOAD_LIST 0xFD010110
#endif
#ifndef OID_IP4_OFFLOAD_STATS
#define OID_IP4_OFFLOAD_STATS 0xFC010209
#define OID_IP6_OFFLOAD_STATS 0xFC01020A
#endif
#ifndef OID_TCP_OFFLOAD_PARAMETERS
#define OID_TCP_OFFLOAD_PARAMETERS 0xFC01020C
#define OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES 0xFC01020D
#endif
/* The NDIS 5.1 wireless LAN OIDs (ntddndis.h), values only: a protocol may list or forward
   them; no miniport here answers them (802.11 is not modelled: docs/c-drivers.md). */
#ifndef OID_802_11_BSSID
#define OID_802_11_BSSID 0x0D010101
#define OID_802_11_SSID 0x0D010102
#define OID_802_11_INFRASTRUCTURE_MODE 0x0D010108
#define OID_802_11_ADD_WEP 0x0D010113
#define OID_802_11_REMOVE_WEP 0x0D010114
#define OID_802_11_DISASSOCIATE 0x0D010115
#define OID_802_11_AUTHENTICATION_MODE 0x0D010118
#define OID_802_11_PRIVACY_FILTER 0x0D010119
#define OID_802_11_BSSID_LIST_SCAN 0x0D01011A
#define OID_802_11_WEP_STATUS 0x0D01011B
#define OID_802_11_ENCRYPTION_STATUS OID_802_11_WEP_STATUS
#define OID_802_11_RELOAD_DEFAULTS 0x0D01011C
#define OID_802_11_ADD_KEY 0x0D01011D
#define OID_802_11_REMOVE_KEY 0x0D01011E
#define OID_802_11_ASSOCIATION_INFORMATION 0x0D01011F
#define OID_802_11_TEST 0x0D010120
#define OID_802_11_NETWORK_TYPES_SUPPORTED 0x0D010203
#define OID_802_11_NETWORK_TYPE_IN_USE 0x0D010204
#define OID_802_11_TX_POWER_LEVEL 0x0D010205
#define OID_802_11_RSSI 0x0D010206
#define OID_802_11_RSSI_TRIGGER 0x0D010207
#define OID_802_11_FRAGMENTATION_THRESHOLD 0x0D010209
#define OID_802_11_RTS_THRESHOLD 0x0D01020A
#define OID_802_11_SUPPORTED_RATES 0x0D01020E
#define OID_802_11_DESIRED_RATES 0x0D010210
#define OID_802_11_CONFIGURATION 0x0D010211
#define OID_802_11_STATISTICS 0x0D020212
#define OID_802_11_POWER_MODE 0x0D010216
#define OID_802_11_BSSID_LIST 0x0D010217
#endif
#ifndef IF_TYPE_OTHER
#define IF_TYPE_OTHER 1
#endif
#ifndef IF_TYPE_PROP_VIRTUAL
#define IF_TYPE_PROP_VIRTUAL 53
#endif
#ifndef IF_TYPE_SOFTWARE_LOOPBACK
#define IF_TYPE_SOFTWARE_LOOPBACK 24
#endif
#ifndef IF_TYPE_TUNNEL
#define IF_TYPE_TUNNEL 131
#endif

#endif /* NDIS_TS_NDIS_H */
