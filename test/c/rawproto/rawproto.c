/*
 * rawproto: a connection-less NDIS 6.20 protocol in the style of the open-source ndisprot-like
 * drivers, written for ndis-ts's tests from the documented meaning of each DDI: it binds to
 * Ethernet adapters (the IOCTLs act on the first binding), asks each adapter's MAC address with an OID request of its own and waits for
 * it on an event (so the module is built with waits), sets a packet filter, and answers IOCTLs on
 * a control device: SEND builds a frame in pool memory (NdisAllocateMdl,
 * NdisAllocateNetBufferAndNetBufferList) from the caller's payload with the adapter's address as
 * source; READ hands out the oldest frame of its EtherType received (a queue under an in-stack
 * queued spin lock, entries from ExAllocatePoolWithTag); WAIT_READ does too, or pends in a
 * cancel-safe queue (IoCsq…) until a frame comes, and cleanup completes what still waits with
 * STATUS_CANCELLED; STATS reads its counters.
 * Unbind closes the adapter (completing in CloseAdapterComplete); a pause waits for the sends
 * still out (completing with NdisCompleteNetPnPEvent).
 * Built with -DRAWPROTO_BUG_DPC_LOCK its receive handler takes its lock with the DPC-level
 * acquire even when the miniport indicates at PASSIVE_LEVEL (a planted bug the verifier names);
 * with -DRAWPROTO_BUG_LEAK_PACKET, READ keeps the packet it hands out (a leak named at unload).
 * Built with -DRAWPROTO_WDM it is written the way the WDK's ndisprot is: its device is its own
 * (IoCreateDevice and IoCreateSymbolicLink in DriverEntry before it registers, dispatch routines
 * in DriverObject->MajorFunction, IoDeleteSymbolicLink/IoDeleteDevice in DriverUnload), each send
 * NBL carries a context (ContextSize = sizeof a pointer and a ULONG, the pool's ContextSize too)
 * and a protocol-reserved NBL flag, frame buffers come from NdisAllocateMemoryWithTag, and INFO names the
 * adapter by NdisQueryAdapterInstanceName (checked against NdisQueryBindInstanceName), built with
 * <stdio.h>'s _snprintf; with
 * -DRAWPROTO_BUG_KEEP_DEVICE too, DriverUnload forgets IoDeleteDevice (named at unload).
 */
#include <ntddk.h>
#include <ndis.h>
#include <ntstrsafe.h>
#ifdef RAWPROTO_WDM
#include <stdio.h>
#endif

#define RAWPROTO_TAG 'pwaR'
#define RAWPROTO_ETHERTYPE 0x88b7
#define RAWPROTO_MAX_FRAME 1514
#define RAWPROTO_MAX_QUEUED 16

#define IOCTL_RAWPROTO_SEND CTL_CODE(FILE_DEVICE_NETWORK, 0x900, METHOD_BUFFERED, FILE_WRITE_ACCESS)
#define IOCTL_RAWPROTO_READ CTL_CODE(FILE_DEVICE_NETWORK, 0x901, METHOD_BUFFERED, FILE_READ_ACCESS)
#define IOCTL_RAWPROTO_STATS CTL_CODE(FILE_DEVICE_NETWORK, 0x902, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_RAWPROTO_INFO CTL_CODE(FILE_DEVICE_NETWORK, 0x903, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_RAWPROTO_WAIT_READ CTL_CODE(FILE_DEVICE_NETWORK, 0x904, METHOD_BUFFERED, FILE_READ_ACCESS)

#ifdef RAWPROTO_WDM
/* The context each send NBL carries (x86-sized: 8 bytes here, as sizeof gives it on x86). */
typedef struct _RAW_SEND_CONTEXT {
  struct _RAW_OPEN *Open;
  ULONG Cookie;
} RAW_SEND_CONTEXT, *PRAW_SEND_CONTEXT;
#define RAW_SEND_COOKIE 0x52415753
/* A bit of NBL_PROT_RSVD_FLAGS: the NBL is one of this protocol's sends. */
#define RAW_NBL_SEND 0x00100000
#define RAW_SEND_CONTEXT_OF(_Nbl) ((PRAW_SEND_CONTEXT)NET_BUFFER_LIST_CONTEXT_DATA_START(_Nbl))
#endif

#include <pshpack1.h>
typedef struct _RAW_ETH_HEADER {
  UCHAR DstAddr[ETH_LENGTH_OF_ADDRESS];
  UCHAR SrcAddr[ETH_LENGTH_OF_ADDRESS];
  USHORT EthType;
} RAW_ETH_HEADER, *PRAW_ETH_HEADER;
#include <poppack.h>

typedef struct _RAW_REQUEST {
  NDIS_OID_REQUEST Request;
  NDIS_EVENT Done;
  NDIS_STATUS Status;
} RAW_REQUEST, *PRAW_REQUEST;

typedef struct _RAW_PACKET {
  LIST_ENTRY Link;
  ULONG Length;
  UCHAR Data[RAWPROTO_MAX_FRAME];
} RAW_PACKET, *PRAW_PACKET;

typedef struct _RAW_OPEN {
  LIST_ENTRY Link;
  NDIS_HANDLE BindingHandle;
  NDIS_HANDLE BindContext;
  NDIS_HANDLE UnbindContext;
  NDIS_HANDLE SendPool;
  UCHAR CurrentAddress[ETH_LENGTH_OF_ADDRESS];
  BOOLEAN Running;
  BOOLEAN Connected;
  LONG PendingSends;
  PNET_PNP_EVENT_NOTIFICATION PendingPause;
  KSPIN_LOCK Lock;
  LIST_ENTRY RecvQueue;
  ULONG RecvQueued;
  ULONG Sent;
  ULONG SendCompleted;
  ULONG Received;
  ULONG ReceiveDropped;
  LARGE_INTEGER BoundAt;
  UNICODE_STRING AdapterName;
  WCHAR AdapterNameBuffer[64];
#ifdef RAWPROTO_WDM
  NDIS_STRING BindName;     /* NdisQueryBindInstanceName's, freed with NdisFreeMemory */
  NDIS_STRING FriendlyName; /* NdisQueryAdapterInstanceName's, freed with NdisFreeMemory */
  ULONG ForeignCompletions; /* completed NBLs without this protocol's flag or context */
#endif
} RAW_OPEN, *PRAW_OPEN;

NDIS_DECLARE_PROTOCOL_BINDING_CONTEXT(RAW_OPEN);

/* How many received frames wait for READ at most: the service key's MaxQueued, else 16. */
static ULONG MaxQueued = RAWPROTO_MAX_QUEUED;

/* Every Ethernet binding, newest last; the IOCTLs act on the first one. */
static LIST_ENTRY OpenList;
static NDIS_SPIN_LOCK OpenListLock;

/* WAIT_READ requests waiting for a frame: a cancel-safe queue over a list and a spin lock. */
static IO_CSQ ReadCsq;
static LIST_ENTRY PendingReads;
static KSPIN_LOCK PendingReadsLock;

static IO_CSQ_INSERT_IRP ReadCsqInsert;
static IO_CSQ_REMOVE_IRP ReadCsqRemove;
static IO_CSQ_PEEK_NEXT_IRP ReadCsqPeek;
static IO_CSQ_ACQUIRE_LOCK ReadCsqAcquire;
static IO_CSQ_RELEASE_LOCK ReadCsqRelease;
static IO_CSQ_COMPLETE_CANCELED_IRP ReadCsqCompleteCanceled;

static VOID ReadCsqInsert(PIO_CSQ Csq, PIRP Irp) {
  UNREFERENCED_PARAMETER(Csq);
  InsertTailList(&PendingReads, &Irp->Tail.Overlay.ListEntry);
}
static VOID ReadCsqRemove(PIO_CSQ Csq, PIRP Irp) {
  UNREFERENCED_PARAMETER(Csq);
  RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
}
static PIRP ReadCsqPeek(PIO_CSQ Csq, PIRP Irp, PVOID PeekContext) {
  PLIST_ENTRY next = Irp == NULL ? PendingReads.Flink : Irp->Tail.Overlay.ListEntry.Flink;
  UNREFERENCED_PARAMETER(Csq);
  UNREFERENCED_PARAMETER(PeekContext);
  return next == &PendingReads ? NULL : CONTAINING_RECORD(next, IRP, Tail.Overlay.ListEntry);
}
static VOID ReadCsqAcquire(PIO_CSQ Csq, PKIRQL Irql) {
  UNREFERENCED_PARAMETER(Csq);
  KeAcquireSpinLock(&PendingReadsLock, Irql);
}
static VOID ReadCsqRelease(PIO_CSQ Csq, KIRQL Irql) {
  UNREFERENCED_PARAMETER(Csq);
  KeReleaseSpinLock(&PendingReadsLock, Irql);
}
static VOID ReadCsqCompleteCanceled(PIO_CSQ Csq, PIRP Irp) {
  UNREFERENCED_PARAMETER(Csq);
  Irp->IoStatus.Status = STATUS_CANCELLED;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
}
static NDIS_HANDLE ProtocolHandle;
static NDIS_HANDLE DeviceHandle;
static PDEVICE_OBJECT DeviceObject;

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD RawUnload;
PROTOCOL_BIND_ADAPTER_EX RawBindAdapter;
PROTOCOL_UNBIND_ADAPTER_EX RawUnbindAdapter;
PROTOCOL_OPEN_ADAPTER_COMPLETE_EX RawOpenAdapterComplete;
PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX RawCloseAdapterComplete;
PROTOCOL_NET_PNP_EVENT RawPnPEvent;
PROTOCOL_OID_REQUEST_COMPLETE RawRequestComplete;
PROTOCOL_STATUS_EX RawStatus;
PROTOCOL_RECEIVE_NET_BUFFER_LISTS RawReceive;
PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE RawSendComplete;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP)
DRIVER_DISPATCH RawOpenClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH RawIoControl;

/* An OID request of the driver's own, waited for (PASSIVE_LEVEL). */
static NDIS_STATUS RawDoRequest(PRAW_OPEN open, NDIS_REQUEST_TYPE type, NDIS_OID oid, PVOID buffer, ULONG length,
                                PULONG bytesProcessed) {
  PRAW_REQUEST req;
  NDIS_STATUS status;
  req = (PRAW_REQUEST)ExAllocatePoolZero(NonPagedPoolNx, sizeof(RAW_REQUEST), RAWPROTO_TAG);
  if (req == NULL) return NDIS_STATUS_RESOURCES;
  NdisInitializeEvent(&req->Done);
  req->Request.Header.Type = NDIS_OBJECT_TYPE_OID_REQUEST;
  req->Request.Header.Revision = NDIS_OID_REQUEST_REVISION_1;
  req->Request.Header.Size = NDIS_SIZEOF_OID_REQUEST_REVISION_1;
  req->Request.RequestType = type;
  req->Request.PortNumber = NDIS_DEFAULT_PORT_NUMBER;
  if (type == NdisRequestSetInformation) {
    req->Request.DATA.SET_INFORMATION.Oid = oid;
    req->Request.DATA.SET_INFORMATION.InformationBuffer = buffer;
    req->Request.DATA.SET_INFORMATION.InformationBufferLength = length;
  } else {
    req->Request.DATA.QUERY_INFORMATION.Oid = oid;
    req->Request.DATA.QUERY_INFORMATION.InformationBuffer = buffer;
    req->Request.DATA.QUERY_INFORMATION.InformationBufferLength = length;
  }
  status = NdisOidRequest(open->BindingHandle, &req->Request);
  if (status == NDIS_STATUS_PENDING) {
    NdisWaitEvent(&req->Done, 0);
    status = req->Status;
  }
  if (status == NDIS_STATUS_SUCCESS && bytesProcessed != NULL)
    *bytesProcessed = type == NdisRequestSetInformation ? req->Request.DATA.SET_INFORMATION.BytesRead
                                                       : req->Request.DATA.QUERY_INFORMATION.BytesWritten;
  ExFreePoolWithTag(req, RAWPROTO_TAG);
  return status;
}

_Use_decl_annotations_
VOID RawRequestComplete(NDIS_HANDLE ProtocolBindingContext, PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status) {
  PRAW_REQUEST req = CONTAINING_RECORD(OidRequest, RAW_REQUEST, Request);
  UNREFERENCED_PARAMETER(ProtocolBindingContext);
  req->Status = Status;
  NdisSetEvent(&req->Done);
}

static VOID RawUnlinkOpen(PRAW_OPEN open) {
  NdisAcquireSpinLock(&OpenListLock);
  RemoveEntryList(&open->Link);
  NdisReleaseSpinLock(&OpenListLock);
}

static VOID RawFreeOpen(PRAW_OPEN open) {
  while (!IsListEmpty(&open->RecvQueue)) {
    PRAW_PACKET packet = CONTAINING_RECORD(RemoveHeadList(&open->RecvQueue), RAW_PACKET, Link);
    ExFreePoolWithTag(packet, RAWPROTO_TAG);
  }
  if (open->SendPool != NULL) NdisFreeNetBufferListPool(open->SendPool);
#ifdef RAWPROTO_WDM
  if (open->BindName.Buffer != NULL) NdisFreeMemory(open->BindName.Buffer, 0, 0);
  if (open->FriendlyName.Buffer != NULL) NdisFreeMemory(open->FriendlyName.Buffer, 0, 0);
#endif
  ExFreePoolWithTag(open, RAWPROTO_TAG);
}

_Use_decl_annotations_
NDIS_STATUS RawBindAdapter(NDIS_HANDLE ProtocolDriverContext, NDIS_HANDLE BindContext,
                           PNDIS_BIND_PARAMETERS BindParameters) {
  PRAW_OPEN open;
  NDIS_OPEN_PARAMETERS openParameters;
  NDIS_MEDIUM mediumArray[1] = {NdisMedium802_3};
  NET_FRAME_TYPE frameTypes[1] = {RAWPROTO_ETHERTYPE};
  UINT selected = 0;
  NET_BUFFER_LIST_POOL_PARAMETERS poolParameters;
  NDIS_STATUS status;
  UNREFERENCED_PARAMETER(ProtocolDriverContext);
  PAGED_CODE();

  if (BindParameters->MediaType != NdisMedium802_3) return NDIS_STATUS_NOT_SUPPORTED;
  open = (PRAW_OPEN)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(RAW_OPEN), RAWPROTO_TAG);
  if (open == NULL) return NDIS_STATUS_RESOURCES;
  RtlZeroMemory(open, sizeof(RAW_OPEN));
  KeInitializeSpinLock(&open->Lock);
  InitializeListHead(&open->RecvQueue);
  open->BindContext = BindContext;
  RtlInitEmptyUnicodeString(&open->AdapterName, open->AdapterNameBuffer, sizeof(open->AdapterNameBuffer));
  RtlCopyUnicodeString(&open->AdapterName, BindParameters->AdapterName);
  open->Connected = BindParameters->MediaConnectState == MediaConnectStateConnected;
  KeQuerySystemTime(&open->BoundAt);
#ifdef RAWPROTO_WDM
  (VOID)NdisQueryBindInstanceName(&open->BindName, BindContext);
#endif

  NdisZeroMemory(&poolParameters, sizeof(poolParameters));
  poolParameters.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
  poolParameters.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
  poolParameters.Header.Size = sizeof(poolParameters);
  poolParameters.ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;
#ifdef RAWPROTO_WDM
  poolParameters.ContextSize = sizeof(RAW_SEND_CONTEXT);
#else
  poolParameters.ContextSize = 0;
#endif
  poolParameters.fAllocateNetBuffer = TRUE;
  poolParameters.PoolTag = RAWPROTO_TAG;
  open->SendPool = NdisAllocateNetBufferListPool(ProtocolHandle, &poolParameters);
  if (open->SendPool == NULL) {
    RawFreeOpen(open);
    return NDIS_STATUS_RESOURCES;
  }

  NdisZeroMemory(&openParameters, sizeof(openParameters));
  openParameters.Header.Type = NDIS_OBJECT_TYPE_OPEN_PARAMETERS;
  openParameters.Header.Revision = NDIS_OPEN_PARAMETERS_REVISION_1;
  openParameters.Header.Size = NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1;
  openParameters.AdapterName = BindParameters->AdapterName;
  openParameters.MediumArray = mediumArray;
  openParameters.MediumArraySize = sizeof(mediumArray) / sizeof(NDIS_MEDIUM);
  openParameters.SelectedMediumIndex = &selected;
  openParameters.FrameTypeArray = frameTypes;
  openParameters.FrameTypeArraySize = sizeof(frameTypes) / sizeof(NET_FRAME_TYPE);
  NdisInterlockedInsertTailList(&OpenList, &open->Link, &OpenListLock);
  status = NdisOpenAdapterEx(ProtocolHandle, open, &openParameters, BindContext, &open->BindingHandle);
  if (status == NDIS_STATUS_PENDING) return NDIS_STATUS_PENDING;
  if (status != NDIS_STATUS_SUCCESS) {
    RawUnlinkOpen(open);
    RawFreeOpen(open);
  }
#ifdef RAWPROTO_WDM
  else
    (VOID)NdisQueryAdapterInstanceName(&open->FriendlyName, open->BindingHandle);
#endif
  return status;
}

_Use_decl_annotations_
VOID RawOpenAdapterComplete(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status) {
  PRAW_OPEN open = (PRAW_OPEN)ProtocolBindingContext;
  NDIS_HANDLE bindContext = open->BindContext;
  if (Status != NDIS_STATUS_SUCCESS) {
    RawUnlinkOpen(open);
    RawFreeOpen(open);
  }
#ifdef RAWPROTO_WDM
  else
    (VOID)NdisQueryAdapterInstanceName(&open->FriendlyName, open->BindingHandle);
#endif
  NdisCompleteBindAdapterEx(bindContext, Status);
}

_Use_decl_annotations_
NDIS_STATUS RawUnbindAdapter(NDIS_HANDLE UnbindContext, NDIS_HANDLE ProtocolBindingContext) {
  PRAW_OPEN open = (PRAW_OPEN)ProtocolBindingContext;
  NDIS_STATUS status;
  open->UnbindContext = UnbindContext;
  status = NdisCloseAdapterEx(open->BindingHandle);
  if (status == NDIS_STATUS_PENDING) return NDIS_STATUS_PENDING;
  RawUnlinkOpen(open);
  RawFreeOpen(open);
  return status;
}

_Use_decl_annotations_
VOID RawCloseAdapterComplete(NDIS_HANDLE ProtocolBindingContext) {
  PRAW_OPEN open = (PRAW_OPEN)ProtocolBindingContext;
  NDIS_HANDLE unbindContext = open->UnbindContext;
  RawUnlinkOpen(open);
  RawFreeOpen(open);
  NdisCompleteUnbindAdapterEx(unbindContext);
}

_Use_decl_annotations_
NDIS_STATUS RawPnPEvent(NDIS_HANDLE ProtocolBindingContext, PNET_PNP_EVENT_NOTIFICATION NetPnPEventNotification) {
  PRAW_OPEN open = (PRAW_OPEN)ProtocolBindingContext;
  NDIS_STATUS status = NDIS_STATUS_SUCCESS;
  KLOCK_QUEUE_HANDLE lockHandle;
  ULONG filter = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST;
  ULONG done = 0;

  if (open == NULL) return NDIS_STATUS_SUCCESS;
  switch (NetPnPEventNotification->NetPnPEvent.NetEvent) {
    case NetEventPause:
      KeAcquireInStackQueuedSpinLock(&open->Lock, &lockHandle);
      open->Running = FALSE;
      if (open->PendingSends != 0) {
        open->PendingPause = NetPnPEventNotification;
        status = NDIS_STATUS_PENDING;
      }
      KeReleaseInStackQueuedSpinLock(&lockHandle);
      break;
    case NetEventRestart:
      open->Running = TRUE;
      break;
    case NetEventBindsComplete:
      break;
    default:
      break;
  }
  /* The first restart: learn the adapter's address and say what to receive. */
  if (NetPnPEventNotification->NetPnPEvent.NetEvent == NetEventRestart && open->CurrentAddress[0] == 0 &&
      open->CurrentAddress[5] == 0) {
    status = RawDoRequest(open, NdisRequestQueryInformation, OID_802_3_CURRENT_ADDRESS, open->CurrentAddress,
                          ETH_LENGTH_OF_ADDRESS, &done);
    if (status == NDIS_STATUS_SUCCESS)
      status = RawDoRequest(open, NdisRequestSetInformation, OID_GEN_CURRENT_PACKET_FILTER, &filter, sizeof(filter),
                            NULL);
  }
  return status;
}

_Use_decl_annotations_
VOID RawStatus(NDIS_HANDLE ProtocolBindingContext, PNDIS_STATUS_INDICATION StatusIndication) {
  PRAW_OPEN open = (PRAW_OPEN)ProtocolBindingContext;
  if (StatusIndication->StatusCode == NDIS_STATUS_LINK_STATE &&
      StatusIndication->StatusBufferSize >= sizeof(NDIS_LINK_STATE)) {
    PNDIS_LINK_STATE linkState = (PNDIS_LINK_STATE)StatusIndication->StatusBuffer;
    open->Connected = linkState->MediaConnectState == MediaConnectStateConnected;
  }
}

/* Hands queued frames to WAIT_READ requests that wait, oldest first, while there are both. */
static VOID RawServePendingReads(PRAW_OPEN open) {
  for (;;) {
    PRAW_PACKET packet = NULL;
    KLOCK_QUEUE_HANDLE lockHandle;
    PIRP irp;
    ULONG length;
    KeAcquireInStackQueuedSpinLock(&open->Lock, &lockHandle);
    if (!IsListEmpty(&open->RecvQueue)) {
      packet = CONTAINING_RECORD(RemoveHeadList(&open->RecvQueue), RAW_PACKET, Link);
      open->RecvQueued--;
    }
    KeReleaseInStackQueuedSpinLock(&lockHandle);
    if (packet == NULL) return;
    irp = IoCsqRemoveNextIrp(&ReadCsq, NULL);
    if (irp == NULL) {
      /* nobody waits: put it back in front */
      KeAcquireInStackQueuedSpinLock(&open->Lock, &lockHandle);
      InsertHeadList(&open->RecvQueue, &packet->Link);
      open->RecvQueued++;
      KeReleaseInStackQueuedSpinLock(&lockHandle);
      return;
    }
    length = min(packet->Length, IoGetCurrentIrpStackLocation(irp)->Parameters.DeviceIoControl.OutputBufferLength);
    RtlCopyMemory(irp->AssociatedIrp.SystemBuffer, packet->Data, length);
    ExFreePoolWithTag(packet, RAWPROTO_TAG);
    irp->IoStatus.Status = STATUS_SUCCESS;
    irp->IoStatus.Information = length;
    IoCompleteRequest(irp, IO_NETWORK_INCREMENT);
  }
}

_Use_decl_annotations_
VOID RawReceive(NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferLists, NDIS_PORT_NUMBER PortNumber,
                ULONG NumberOfNetBufferLists, ULONG ReceiveFlags) {
  PRAW_OPEN open = (PRAW_OPEN)ProtocolBindingContext;
  PNET_BUFFER_LIST nbl;
  KLOCK_QUEUE_HANDLE lockHandle;
  UNREFERENCED_PARAMETER(PortNumber);
  UNREFERENCED_PARAMETER(NumberOfNetBufferLists);

  for (nbl = NetBufferLists; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl)) {
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    RAW_ETH_HEADER headerStorage;
    PRAW_ETH_HEADER header;
    PRAW_PACKET packet;
    ULONG length;
    if (nb == NULL) continue;
    header = (PRAW_ETH_HEADER)NdisGetDataBuffer(nb, sizeof(RAW_ETH_HEADER), &headerStorage, 1, 0);
    if (header == NULL || RtlUshortByteSwap(header->EthType) != RAWPROTO_ETHERTYPE) continue;
    length = min(NET_BUFFER_DATA_LENGTH(nb), RAWPROTO_MAX_FRAME);
    packet = (PRAW_PACKET)ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(RAW_PACKET), RAWPROTO_TAG);
    if (packet == NULL) continue;
    packet->Length = length;
    if (NdisGetDataBuffer(nb, length, packet->Data, 1, 0) != packet->Data) {
      PVOID direct = NdisGetDataBuffer(nb, length, NULL, 1, 0);
      if (direct == NULL) {
        ExFreePoolWithTag(packet, RAWPROTO_TAG);
        continue;
      }
      NdisMoveMemory(packet->Data, direct, length);
    }
    /* A miniport may indicate below DISPATCH_LEVEL: the flags say which acquire is right.
       (-DRAWPROTO_BUG_DPC_LOCK: the planted bug of assuming DISPATCH_LEVEL.) */
#ifdef RAWPROTO_BUG_DPC_LOCK
    if (TRUE)
#else
    if (NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(ReceiveFlags))
#endif
      KeAcquireInStackQueuedSpinLockAtDpcLevel(&open->Lock, &lockHandle);
    else
      KeAcquireInStackQueuedSpinLock(&open->Lock, &lockHandle);
    if (open->RecvQueued < MaxQueued) {
      InsertTailList(&open->RecvQueue, &packet->Link);
      open->RecvQueued++;
      open->Received++;
      packet = NULL;
    } else {
      open->ReceiveDropped++;
    }
    if (NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(ReceiveFlags))
      KeReleaseInStackQueuedSpinLockFromDpcLevel(&lockHandle);
    else
      KeReleaseInStackQueuedSpinLock(&lockHandle);
    if (packet != NULL) ExFreePoolWithTag(packet, RAWPROTO_TAG);
  }
  RawServePendingReads(open);
  if (NDIS_TEST_RECEIVE_CAN_PEND(ReceiveFlags))
    NdisReturnNetBufferLists(open->BindingHandle, NetBufferLists,
                             NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(ReceiveFlags) ? NDIS_RETURN_FLAGS_DISPATCH_LEVEL : 0);
}

/* A send's buffer and MDL ride in the NBL's ProtocolReserved: the NBL is the protocol's own. */
#define SEND_BUFFER(_Nbl) (NET_BUFFER_LIST_PROTOCOL_RESERVED(_Nbl)[0])
#define SEND_MDL(_Nbl) (NET_BUFFER_LIST_PROTOCOL_RESERVED(_Nbl)[1])

static NTSTATUS RawSend(PRAW_OPEN open, PUCHAR payload, ULONG length) {
  PUCHAR buffer;
  PMDL mdl;
  PNET_BUFFER_LIST nbl;
  PRAW_ETH_HEADER header;
  ULONG frameLength = sizeof(RAW_ETH_HEADER) + length;
  KLOCK_QUEUE_HANDLE lockHandle;

  if (frameLength > RAWPROTO_MAX_FRAME) return STATUS_INVALID_BUFFER_SIZE;
  if (!open->Running) return STATUS_DEVICE_NOT_READY;
#ifdef RAWPROTO_WDM
  if (NdisAllocateMemoryWithTag((PVOID *)&buffer, frameLength, RAWPROTO_TAG) != NDIS_STATUS_SUCCESS)
    return STATUS_INSUFFICIENT_RESOURCES;
#else
  buffer = (PUCHAR)NdisAllocateMemoryWithTagPriority(ProtocolHandle, frameLength, RAWPROTO_TAG, NormalPoolPriority);
  if (buffer == NULL) return STATUS_INSUFFICIENT_RESOURCES;
#endif
  header = (PRAW_ETH_HEADER)buffer;
  NdisFillMemory(header->DstAddr, ETH_LENGTH_OF_ADDRESS, 0xff);
  ETH_COPY_NETWORK_ADDRESS(header->SrcAddr, open->CurrentAddress);
  header->EthType = RtlUshortByteSwap(RAWPROTO_ETHERTYPE);
  NdisMoveMemory(buffer + sizeof(RAW_ETH_HEADER), payload, length);
  mdl = NdisAllocateMdl(open->BindingHandle, buffer, frameLength);
  if (mdl == NULL) {
    NdisFreeMemory(buffer, frameLength, 0);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
#ifdef RAWPROTO_WDM
  /* The context is used data of this NBL; the pool's ContextSize only made room for it. */
  nbl = NdisAllocateNetBufferAndNetBufferList(open->SendPool, sizeof(RAW_SEND_CONTEXT), 0, mdl, 0, frameLength);
#else
  nbl = NdisAllocateNetBufferAndNetBufferList(open->SendPool, 0, 0, mdl, 0, frameLength);
#endif
  if (nbl == NULL) {
    NdisFreeMdl(mdl);
    NdisFreeMemory(buffer, frameLength, 0);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  SEND_BUFFER(nbl) = buffer;
  SEND_MDL(nbl) = mdl;
#ifdef RAWPROTO_WDM
  RAW_SEND_CONTEXT_OF(nbl)->Open = open;
  RAW_SEND_CONTEXT_OF(nbl)->Cookie = RAW_SEND_COOKIE;
  NBL_SET_PROT_RSVD_FLAG(nbl, RAW_NBL_SEND);
#endif
  nbl->SourceHandle = open->BindingHandle;
  KeAcquireInStackQueuedSpinLock(&open->Lock, &lockHandle);
  open->PendingSends++;
  open->Sent++;
  KeReleaseInStackQueuedSpinLock(&lockHandle);
  NdisSendNetBufferLists(open->BindingHandle, nbl, NDIS_DEFAULT_PORT_NUMBER, 0);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_
VOID RawSendComplete(NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferList, ULONG SendCompleteFlags) {
  PRAW_OPEN open = (PRAW_OPEN)ProtocolBindingContext;
  PNET_BUFFER_LIST nbl, next;
  PNET_PNP_EVENT_NOTIFICATION pause = NULL;
  KLOCK_QUEUE_HANDLE lockHandle;
  ULONG count = 0;
  UNREFERENCED_PARAMETER(SendCompleteFlags);
  for (nbl = NetBufferList; nbl != NULL; nbl = next) {
    PMDL mdl = (PMDL)SEND_MDL(nbl);
    PVOID buffer = SEND_BUFFER(nbl);
    next = NET_BUFFER_LIST_NEXT_NBL(nbl);
#ifdef RAWPROTO_WDM
    if (!NBL_TEST_PROT_RSVD_FLAG(nbl, RAW_NBL_SEND) || NET_BUFFER_LIST_CONTEXT_DATA_SIZE(nbl) < sizeof(RAW_SEND_CONTEXT) ||
        RAW_SEND_CONTEXT_OF(nbl)->Open != open || RAW_SEND_CONTEXT_OF(nbl)->Cookie != RAW_SEND_COOKIE) {
      open->ForeignCompletions++;
      count--;
    }
    NBL_CLEAR_PROT_RSVD_FLAG(nbl, NBL_PROT_RSVD_FLAGS);
#endif
    NdisFreeNetBufferList(nbl);
    NdisFreeMdl(mdl);
    NdisFreeMemory(buffer, 0, 0);
    count++;
  }
  KeAcquireInStackQueuedSpinLock(&open->Lock, &lockHandle);
  open->PendingSends -= count;
  open->SendCompleted += count;
  if (open->PendingSends == 0 && open->PendingPause != NULL) {
    pause = open->PendingPause;
    open->PendingPause = NULL;
  }
  KeReleaseInStackQueuedSpinLock(&lockHandle);
  if (pause != NULL) NdisCompleteNetPnPEvent(open->BindingHandle, pause, NDIS_STATUS_SUCCESS);
}

_Use_decl_annotations_
NTSTATUS RawOpenClose(PDEVICE_OBJECT Device, PIRP Irp) {
  UNREFERENCED_PARAMETER(Device);
  if (IoGetCurrentIrpStackLocation(Irp)->MajorFunction == IRP_MJ_CLEANUP) {
    /* The handle is going: what still waits on it ends now. */
    PIRP pending;
    while ((pending = IoCsqRemoveNextIrp(&ReadCsq, NULL)) != NULL) ReadCsqCompleteCanceled(&ReadCsq, pending);
  }
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

#ifdef RAWPROTO_WDM
/* The adapter's friendly name, if the two queries agree on it. */
static UNICODE_STRING NamesDiffer = RTL_CONSTANT_STRING(L"(names differ)");
#define RAW_INFO_NAME(_Open) \
  (RtlEqualUnicodeString(&(_Open)->FriendlyName, &(_Open)->BindName, FALSE) ? &(_Open)->FriendlyName : &NamesDiffer)
#else
#define RAW_INFO_NAME(_Open) (&(_Open)->AdapterName)
#endif

_Use_decl_annotations_
NTSTATUS RawIoControl(PDEVICE_OBJECT Device, PIRP Irp) {
  PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);
  PUCHAR buffer = (PUCHAR)Irp->AssociatedIrp.SystemBuffer;
  ULONG inLength = irpSp->Parameters.DeviceIoControl.InputBufferLength;
  ULONG outLength = irpSp->Parameters.DeviceIoControl.OutputBufferLength;
  NTSTATUS status = STATUS_SUCCESS;
  ULONG_PTR information = 0;
  KLOCK_QUEUE_HANDLE lockHandle;
  PRAW_OPEN Open = NULL;
  UNREFERENCED_PARAMETER(Device);

  NdisAcquireSpinLock(&OpenListLock);
  if (!IsListEmpty(&OpenList)) Open = CONTAINING_RECORD(OpenList.Flink, RAW_OPEN, Link);
  NdisReleaseSpinLock(&OpenListLock);
  if (Open == NULL) {
    status = STATUS_DEVICE_NOT_READY;
  } else {
    switch (irpSp->Parameters.DeviceIoControl.IoControlCode) {
      case IOCTL_RAWPROTO_SEND:
        status = RawSend(Open, buffer, inLength);
        break;
      case IOCTL_RAWPROTO_READ: {
        PRAW_PACKET packet = NULL;
        KeAcquireInStackQueuedSpinLock(&Open->Lock, &lockHandle);
        if (!IsListEmpty(&Open->RecvQueue)) {
          packet = CONTAINING_RECORD(RemoveHeadList(&Open->RecvQueue), RAW_PACKET, Link);
          Open->RecvQueued--;
        }
        KeReleaseInStackQueuedSpinLock(&lockHandle);
        if (packet == NULL) {
          status = STATUS_NO_MORE_ENTRIES;
          break;
        }
        information = min(packet->Length, outLength);
        RtlCopyMemory(buffer, packet->Data, information);
#ifndef RAWPROTO_BUG_LEAK_PACKET
        ExFreePoolWithTag(packet, RAWPROTO_TAG);
#endif
        break;
      }
      case IOCTL_RAWPROTO_WAIT_READ:
        /* Pend in the queue; a frame there already is handed out at once. */
        IoCsqInsertIrp(&ReadCsq, Irp, NULL);
        RawServePendingReads(Open);
        return STATUS_PENDING;
      case IOCTL_RAWPROTO_STATS: {
        ULONG stats[6];
        LARGE_INTEGER now;
        KeQuerySystemTime(&now);
        stats[0] = Open->Sent;
        stats[1] = Open->SendCompleted;
        stats[2] = Open->Received;
        stats[3] = Open->ReceiveDropped;
        stats[4] = Open->Connected;
        stats[5] = (ULONG)((now.QuadPart - Open->BoundAt.QuadPart) / 10000);
        if (outLength < sizeof(stats) + ETH_LENGTH_OF_ADDRESS) {
          status = STATUS_BUFFER_TOO_SMALL;
          break;
        }
        RtlCopyMemory(buffer, stats, sizeof(stats));
        RtlCopyMemory(buffer + sizeof(stats), Open->CurrentAddress, ETH_LENGTH_OF_ADDRESS);
        information = sizeof(stats) + ETH_LENGTH_OF_ADDRESS;
        break;
      }
      case IOCTL_RAWPROTO_INFO: {
        /* A line about the binding, built with <ntstrsafe.h> (cut, still terminated, if short). */
        SIZE_T length = 0;
        PUCHAR mac = Open->CurrentAddress;
#ifdef RAWPROTO_WDM
        /* As older drivers do: the kernel CRT's _snprintf (-1 when the line was cut). */
        status = _snprintf((char *)buffer, outLength,
                           "%s on %wZ: %02X-%02X-%02X-%02X-%02X-%02X sent=%lu received=%u [%-5s|%5d|%05x|%+d]",
                           "rawproto", RAW_INFO_NAME(Open), mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], Open->Sent,
                           Open->Received, "ab", -42, 0xbeef, 7) < 0
                     ? STATUS_BUFFER_OVERFLOW
                     : STATUS_SUCCESS;
#else
        status = RtlStringCbPrintfA((NTSTRSAFE_PSTR)buffer, outLength,
                                    "%s on %wZ: %02X-%02X-%02X-%02X-%02X-%02X sent=%lu received=%u [%-5s|%5d|%05x|%+d]",
                                    "rawproto", RAW_INFO_NAME(Open), mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
                                    Open->Sent, Open->Received, "ab", -42, 0xbeef, 7);
#endif
        if (NT_SUCCESS(status) || status == STATUS_BUFFER_OVERFLOW) {
          RtlStringCbLengthA((NTSTRSAFE_PCSTR)buffer, outLength, &length);
          information = length;
        }
        break;
      }
      default:
        status = STATUS_INVALID_DEVICE_REQUEST;
        break;
    }
  }
  Irp->IoStatus.Status = status;
  Irp->IoStatus.Information = information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

_Use_decl_annotations_
VOID RawUnload(PDRIVER_OBJECT DriverObject) {
  UNREFERENCED_PARAMETER(DriverObject);
#ifdef RAWPROTO_WDM
  {
    UNICODE_STRING link = RTL_CONSTANT_STRING(L"\\DosDevices\\RawProto");
    IoDeleteSymbolicLink(&link);
#ifndef RAWPROTO_BUG_KEEP_DEVICE
    if (DeviceObject != NULL) IoDeleteDevice(DeviceObject);
#endif
  }
#endif
  if (DeviceHandle != NULL) NdisDeregisterDeviceEx(DeviceHandle);
  if (ProtocolHandle != NULL) NdisDeregisterProtocolDriver(ProtocolHandle);
  NdisFreeSpinLock(&OpenListLock);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  NDIS_PROTOCOL_DRIVER_CHARACTERISTICS pChars;
  NDIS_STRING name = NDIS_STRING_CONST("RAWPROTO");
  NDIS_STATUS status;
  static WCHAR deviceNameBuffer[32];
  UNICODE_STRING deviceName;
  UNICODE_STRING linkName = RTL_CONSTANT_STRING(L"\\Global??\\RawProto");
  PDRIVER_DISPATCH dispatch[IRP_MJ_MAXIMUM_FUNCTION + 1];
  NDIS_DEVICE_OBJECT_ATTRIBUTES deviceAttributes;

  /* DriverEntry reads its service key as WDK drivers do, before it has any NDIS handle. */
  {
    HANDLE key = NULL;
    OBJECT_ATTRIBUTES attributes;
    UNICODE_STRING valueName = RTL_CONSTANT_STRING(L"MaxQueued");
    UCHAR partialBuffer[sizeof(KEY_VALUE_PARTIAL_INFORMATION) + sizeof(ULONG)];
    PKEY_VALUE_PARTIAL_INFORMATION partial = (PKEY_VALUE_PARTIAL_INFORMATION)partialBuffer;
    ULONG resultLength = 0;
    InitializeObjectAttributes(&attributes, RegistryPath, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
    if (NT_SUCCESS(ZwOpenKey(&key, KEY_QUERY_VALUE, &attributes))) {
      if (NT_SUCCESS(ZwQueryValueKey(key, &valueName, KeyValuePartialInformation, partial, sizeof(partialBuffer),
                                     &resultLength)) &&
          partial->Type == REG_DWORD && partial->DataLength == sizeof(ULONG)) {
        ULONG value = *(PULONG)partial->Data;
        if (value >= 1 && value <= RAWPROTO_MAX_QUEUED) MaxQueued = value;
      }
      ZwClose(key);
    }
  }
#ifdef RAWPROTO_WDM
  /* An event's state read without waiting (KeReadStateEvent), reset with its old state back. */
  {
    KEVENT probe;
    KeInitializeEvent(&probe, NotificationEvent, FALSE);
    if (KeReadStateEvent(&probe) != 0) return STATUS_UNSUCCESSFUL;
    KeSetEvent(&probe, IO_NO_INCREMENT, FALSE);
    if (KeReadStateEvent(&probe) != 1 || KeResetEvent(&probe) != 1 || KeReadStateEvent(&probe) != 0)
      return STATUS_UNSUCCESSFUL;
  }
  /* The device first, as the WDK's ndisprot makes it: its own, before any NDIS handle. */
  {
    UNICODE_STRING ntName = RTL_CONSTANT_STRING(L"\\Device\\RawProto");
    UNICODE_STRING dosName = RTL_CONSTANT_STRING(L"\\DosDevices\\RawProto");
    NTSTATUS ntStatus = IoCreateDevice(DriverObject, 0, &ntName, FILE_DEVICE_NETWORK, FILE_DEVICE_SECURE_OPEN, FALSE,
                                       &DeviceObject);
    if (!NT_SUCCESS(ntStatus)) return ntStatus;
    ntStatus = IoCreateSymbolicLink(&dosName, &ntName);
    if (!NT_SUCCESS(ntStatus)) {
      IoDeleteDevice(DeviceObject);
      return ntStatus;
    }
    DeviceObject->Flags |= DO_BUFFERED_IO;
    DeviceObject->Flags &= ~DO_DEVICE_INITIALIZING;
    DriverObject->MajorFunction[IRP_MJ_CREATE] = RawOpenClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = RawOpenClose;
    DriverObject->MajorFunction[IRP_MJ_CLEANUP] = RawOpenClose;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = RawIoControl;
  }
#endif
  InitializeListHead(&OpenList);
  NdisAllocateSpinLock(&OpenListLock);
  InitializeListHead(&PendingReads);
  KeInitializeSpinLock(&PendingReadsLock);
  IoCsqInitialize(&ReadCsq, ReadCsqInsert, ReadCsqRemove, ReadCsqPeek, ReadCsqAcquire, ReadCsqRelease,
                  ReadCsqCompleteCanceled);
  NdisZeroMemory(&pChars, sizeof(pChars));
  pChars.Header.Type = NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS;
#if NDIS_SUPPORT_NDIS61
  pChars.Header.Size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
  pChars.Header.Revision = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
#else
  pChars.Header.Size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1;
  pChars.Header.Revision = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1;
#endif
  pChars.MajorNdisVersion = NDIS_PROTOCOL_MAJOR_VERSION;
  pChars.MinorNdisVersion = NDIS_PROTOCOL_MINOR_VERSION;
  pChars.Name = name;
  pChars.BindAdapterHandlerEx = RawBindAdapter;
  pChars.UnbindAdapterHandlerEx = RawUnbindAdapter;
  pChars.OpenAdapterCompleteHandlerEx = RawOpenAdapterComplete;
  pChars.CloseAdapterCompleteHandlerEx = RawCloseAdapterComplete;
  pChars.NetPnPEventHandler = RawPnPEvent;
  pChars.OidRequestCompleteHandler = RawRequestComplete;
  pChars.StatusHandlerEx = RawStatus;
  pChars.ReceiveNetBufferListsHandler = RawReceive;
  pChars.SendNetBufferListsCompleteHandler = RawSendComplete;
  status = NdisRegisterProtocolDriver(NULL, &pChars, &ProtocolHandle);
  if (status != NDIS_STATUS_SUCCESS) {
    NdisFreeSpinLock(&OpenListLock);
#ifdef RAWPROTO_WDM
    {
      UNICODE_STRING dosName = RTL_CONSTANT_STRING(L"\\DosDevices\\RawProto");
      IoDeleteSymbolicLink(&dosName);
      IoDeleteDevice(DeviceObject);
    }
#endif
    return status;
  }
#ifdef RAWPROTO_WDM
  DriverObject->DriverUnload = RawUnload;
  return STATUS_SUCCESS;
#endif

  status = RtlStringCbPrintfW(deviceNameBuffer, sizeof(deviceNameBuffer), L"\\Device\\%ws", L"RawProto");
  if (!NT_SUCCESS(status)) {
    NdisDeregisterProtocolDriver(ProtocolHandle);
    NdisFreeSpinLock(&OpenListLock);
    return status;
  }
  RtlInitUnicodeString(&deviceName, deviceNameBuffer);
  RtlZeroMemory(dispatch, sizeof(dispatch));
  dispatch[IRP_MJ_CREATE] = RawOpenClose;
  dispatch[IRP_MJ_CLOSE] = RawOpenClose;
  dispatch[IRP_MJ_CLEANUP] = RawOpenClose;
  dispatch[IRP_MJ_DEVICE_CONTROL] = RawIoControl;
  RtlZeroMemory(&deviceAttributes, sizeof(deviceAttributes));
  deviceAttributes.Header.Type = NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES;
  deviceAttributes.Header.Revision = NDIS_DEVICE_OBJECT_ATTRIBUTES_REVISION_1;
  deviceAttributes.Header.Size = NDIS_SIZEOF_DEVICE_OBJECT_ATTRIBUTES_REVISION_1;
  deviceAttributes.DeviceName = &deviceName;
  deviceAttributes.SymbolicName = &linkName;
  deviceAttributes.MajorFunctions = dispatch;
  status = NdisRegisterDeviceEx(ProtocolHandle, &deviceAttributes, &DeviceObject, &DeviceHandle);
  if (status != NDIS_STATUS_SUCCESS) {
    NdisDeregisterProtocolDriver(ProtocolHandle);
    NdisFreeSpinLock(&OpenListLock);
    return status;
  }
  DeviceObject->Flags |= DO_BUFFERED_IO;
  DriverObject->DriverUnload = RawUnload;
  return STATUS_SUCCESS;
}
