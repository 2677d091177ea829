/*
 * kmini: see kmini.h. One driver, any number of adapters; each adapter's context is on a
 * driver-wide list so that an OID on one adapter can open another's gate.
 */
#include "kmini.h"
#include "trace.h"
#include "kmini.tmh"

static NDIS_HANDLE KminiDriverHandle;
static NDIS_SPIN_LOCK KminiLock;
static LIST_ENTRY KminiAdapters;
static ULONG KminiNextIndex;
static LONG KminiWakeCount;
static KTIMER KminiWatchdog;
static KDPC KminiWatchdogDpcObject;
static LONG KminiWatchdogRuns;

/* The driver-wide watchdog: every second while the driver is loaded. */
VOID KminiWatchdogDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2) {
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(DeferredContext);
  UNREFERENCED_PARAMETER(SystemArgument1);
  UNREFERENCED_PARAMETER(SystemArgument2);
  InterlockedIncrement(&KminiWatchdogRuns);
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  NDIS_MINIPORT_DRIVER_CHARACTERISTICS chars;
  NDIS_STATUS status;

  WPP_INIT_TRACING(DriverObject, RegistryPath);
  TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_DRIVER, "DriverEntry: %wZ, NDIS %d.%d, built with %s", RegistryPath, 6,
              30, "ndis build");
  NdisAllocateSpinLock(&KminiLock);
  InitializeListHead(&KminiAdapters);
  NdisZeroMemory(&chars, sizeof(chars));
  chars.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
  chars.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
  chars.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
  chars.MajorNdisVersion = 6;
  chars.MinorNdisVersion = 30;
  chars.MajorDriverVersion = 1;
  chars.InitializeHandlerEx = KminiInitialize;
  chars.HaltHandlerEx = KminiHalt;
  chars.UnloadHandler = KminiUnload;
  chars.PauseHandler = KminiPause;
  chars.RestartHandler = KminiRestart;
  chars.OidRequestHandler = KminiOidRequest;
  chars.SendNetBufferListsHandler = KminiSendNetBufferLists;
  chars.ReturnNetBufferListsHandler = KminiReturnNetBufferLists;
  chars.CancelSendHandler = KminiCancelSend;
  chars.DevicePnPEventNotifyHandler = KminiDevicePnPEventNotify;
  chars.ShutdownHandlerEx = KminiShutdown;
  chars.CancelOidRequestHandler = KminiCancelOidRequest;
  status = NdisMRegisterMiniportDriver(DriverObject, RegistryPath, NULL, &chars, &KminiDriverHandle);
  if (status != NDIS_STATUS_SUCCESS) {
    TraceEvents(TRACE_LEVEL_ERROR, TRACE_DRIVER, "NdisMRegisterMiniportDriver failed: %!STATUS!", status);
    NdisFreeSpinLock(&KminiLock);
    WPP_CLEANUP(DriverObject);
    return status;
  }
  {
    LARGE_INTEGER due;
    due.QuadPart = -10000000LL; /* one second from now, relative, in 100 ns units */
    KeInitializeDpc(&KminiWatchdogDpcObject, KminiWatchdogDpc, NULL);
    KeInitializeTimer(&KminiWatchdog);
    KeSetTimerEx(&KminiWatchdog, due, 1000, &KminiWatchdogDpcObject);
  }
  return status;
}

VOID KminiUnload(PDRIVER_OBJECT DriverObject) {
  UNREFERENCED_PARAMETER(DriverObject);
#ifndef KMINI_LEAK_TIMER
  KeCancelTimer(&KminiWatchdog);
#endif
  NdisMDeregisterMiniportDriver(KminiDriverHandle);
  NdisFreeSpinLock(&KminiLock);
  TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_DRIVER, "%!FUNC!: watchdog ran %u times", (ULONG)KminiWatchdogRuns);
  WPP_CLEANUP(DriverObject);
}

NDIS_STATUS KminiInitialize(NDIS_HANDLE MiniportAdapterHandle, NDIS_HANDLE MiniportDriverContext,
                            PNDIS_MINIPORT_INIT_PARAMETERS MiniportInitParameters) {
  NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES reg;
  NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES gen;
  PKMINI_ADAPTER adapter;
  NDIS_STATUS status;

  UNREFERENCED_PARAMETER(MiniportDriverContext);
  UNREFERENCED_PARAMETER(MiniportInitParameters);
  adapter = (PKMINI_ADAPTER)NdisAllocateMemoryWithTagPriority(MiniportAdapterHandle, sizeof(KMINI_ADAPTER),
                                                              KMINI_TAG, NormalPoolPriority);
  if (adapter == NULL) return NDIS_STATUS_RESOURCES;
  NdisZeroMemory(adapter, sizeof(*adapter));
  adapter->AdapterHandle = MiniportAdapterHandle;
  /* A synchronization event: a set releases the one waiter, and the gate closes behind it. */
  KeInitializeEvent(&adapter->Gate, SynchronizationEvent, FALSE);
  KeInitializeTimerEx(&adapter->TickTimer, NotificationTimer);
  KeInitializeDpc(&adapter->TickDpc, KminiTickDpc, adapter);
  KeInitializeDpc(&adapter->KickDpc, KminiKickDpc, adapter);

  NdisZeroMemory(&reg, sizeof(reg));
  reg.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
  reg.Header.Revision = NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2;
  reg.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2;
  reg.MiniportAdapterContext = adapter;
  reg.AttributeFlags = NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND;
  reg.InterfaceType = NdisInterfaceInternal;
  status = NdisMSetMiniportAttributes(MiniportAdapterHandle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&reg);
  if (status != NDIS_STATUS_SUCCESS) goto fail;

  NdisZeroMemory(&gen, sizeof(gen));
  gen.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
  gen.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
  gen.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
  gen.MediaType = NdisMedium802_3;
  gen.PhysicalMediumType = NdisPhysicalMedium802_3;
  gen.MtuSize = 1500;
  gen.MaxXmitLinkSpeed = gen.XmitLinkSpeed = 1000000000ULL;
  gen.MaxRcvLinkSpeed = gen.RcvLinkSpeed = 1000000000ULL;
  gen.MediaConnectState = MediaConnectStateConnected;
  gen.MediaDuplexState = MediaDuplexStateFull;
  gen.LookaheadSize = 1500;
  gen.MacAddressLength = ETH_LENGTH_OF_ADDRESS;
  gen.PermanentMacAddress[0] = gen.CurrentMacAddress[0] = 0x02;
  gen.AccessType = NET_IF_ACCESS_BROADCAST;
  gen.DirectionType = NET_IF_DIRECTION_SENDRECEIVE;
  gen.ConnectionType = NET_IF_CONNECTION_DEDICATED;
  gen.IfType = IF_TYPE_ETHERNET_CSMACD;
  gen.IfConnectorPresent = TRUE;
  status = NdisMSetMiniportAttributes(MiniportAdapterHandle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&gen);
  if (status != NDIS_STATUS_SUCCESS) goto fail;

  NdisAcquireSpinLock(&KminiLock);
  adapter->Index = KminiNextIndex++;
  InsertTailList(&KminiAdapters, &adapter->Link);
  NdisReleaseSpinLock(&KminiLock);
  TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_ADAPTER, "adapter %u up: %ws, MTU %5d, flags 0x%08X, connected %!bool!, %!IPADDR!",
              adapter->Index, L"kmini", gen.MtuSize, (ULONG)reg.AttributeFlags, TRUE, 0x0164A8C0u);
  TraceReturn(NDIS_STATUS_SUCCESS);
  return NDIS_STATUS_SUCCESS;

fail:
  NdisFreeMemory(adapter, 0, 0);
  return status;
}

VOID KminiHalt(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION HaltAction) {
  PKMINI_ADAPTER adapter = (PKMINI_ADAPTER)MiniportAdapterContext;
  UNREFERENCED_PARAMETER(HaltAction);
  /* Stop the timer and the queued DPC, and let any DPC already on its way finish. */
  KeCancelTimer(&adapter->TickTimer);
  KeRemoveQueueDpc(&adapter->KickDpc);
  KeFlushQueuedDpcs();
  /* Give the (virtual) hardware a millisecond to go quiet: the halt blocks. */
  NdisMSleep(1000);
  NdisAcquireSpinLock(&KminiLock);
  RemoveEntryList(&adapter->Link);
  NdisReleaseSpinLock(&KminiLock);
  NdisFreeMemory(adapter, 0, 0);
}

NDIS_STATUS KminiPause(NDIS_HANDLE MiniportAdapterContext, PNDIS_MINIPORT_PAUSE_PARAMETERS PauseParameters) {
  UNREFERENCED_PARAMETER(MiniportAdapterContext);
  UNREFERENCED_PARAMETER(PauseParameters);
  return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS KminiRestart(NDIS_HANDLE MiniportAdapterContext, PNDIS_MINIPORT_RESTART_PARAMETERS RestartParameters) {
  UNREFERENCED_PARAMETER(MiniportAdapterContext);
  UNREFERENCED_PARAMETER(RestartParameters);
  return NDIS_STATUS_SUCCESS;
}

/*
 * Goes KMINI_WAIT_DEPTH helper levels down, each with a block of locals filled from `Seed`,
 * waits on the gate at the bottom, and sums each level's locals before and after the wait: a
 * handler whose stack another ran over while it was blocked answers two different sums.
 */
static __declspec(noinline) VOID WaitDeep(PKMINI_ADAPTER Adapter, ULONG Level, ULONG Seed, PULONG Before,
                                          PULONG After) {
  volatile ULONG words[KMINI_WAIT_WORDS];
  ULONG i;
  for (i = 0; i < KMINI_WAIT_WORDS; i++) {
    words[i] = Seed * 2654435761u + i * (Level + 1);
    *Before += words[i] ^ i;
  }
  if (Level + 1 < KMINI_WAIT_DEPTH)
    WaitDeep(Adapter, Level + 1, Seed ^ (Level + 7), Before, After);
  else
    KeWaitForSingleObject(&Adapter->Gate, Executive, KernelMode, FALSE, NULL);
  for (i = 0; i < KMINI_WAIT_WORDS; i++) *After += words[i] ^ i;
}

static __declspec(noinline) PKMINI_ADAPTER FindAdapter(ULONG Index) {
  PLIST_ENTRY link;
  PKMINI_ADAPTER found = NULL;
  /* A lookup with a large scratch frame of its own, poisoned (as a debug build would). */
  volatile ULONG scratch[KMINI_WAIT_DEPTH * KMINI_WAIT_WORDS * 4];
  ULONG i;
  for (i = 0; i < KMINI_WAIT_DEPTH * KMINI_WAIT_WORDS * 4; i++) scratch[i] = 0xDEADBEEFu;
  NdisAcquireSpinLock(&KminiLock);
  for (link = KminiAdapters.Flink; link != &KminiAdapters; link = link->Flink) {
    PKMINI_ADAPTER a = CONTAINING_RECORD(link, KMINI_ADAPTER, Link);
    if (a->Index == Index) found = a;
  }
  NdisReleaseSpinLock(&KminiLock);
  return found;
}

/* The periodic tick: counts, and cancels its own timer once it has ticked as often as asked. */
VOID KminiTickDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2) {
  PKMINI_ADAPTER adapter = (PKMINI_ADAPTER)DeferredContext;
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(SystemArgument1);
  UNREFERENCED_PARAMETER(SystemArgument2);
  adapter->Stats.TickIrql = KeGetCurrentIrql();
  adapter->Stats.TimerSignaled = KeReadStateTimer(&adapter->TickTimer);
  if (++adapter->Stats.Ticks >= adapter->TicksWanted) KeCancelTimer(&adapter->TickTimer);
  TraceEvents(TRACE_LEVEL_VERBOSE, TRACE_TIMER, "tick %u of %u at %!irql!, %!MYTICKS!, done", adapter->Stats.Ticks,
              adapter->TicksWanted, KeGetCurrentIrql(), adapter->Stats.Ticks);
}

VOID KminiKickDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2) {
  PKMINI_ADAPTER adapter = (PKMINI_ADAPTER)DeferredContext;
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(SystemArgument2);
  adapter->Stats.Kicks++;
  adapter->Stats.KickArgument = (ULONG)(ULONG_PTR)SystemArgument1;
}

NDIS_STATUS KminiOidRequest(NDIS_HANDLE MiniportAdapterContext, PNDIS_OID_REQUEST NdisRequest) {
  PKMINI_ADAPTER adapter = (PKMINI_ADAPTER)MiniportAdapterContext;

  if (NdisRequest->RequestType == NdisRequestSetInformation &&
      NdisRequest->DATA.SET_INFORMATION.Oid == OID_KMINI_TICK) {
    PULONG buffer = (PULONG)NdisRequest->DATA.SET_INFORMATION.InformationBuffer;
    LARGE_INTEGER due;
    if (NdisRequest->DATA.SET_INFORMATION.InformationBufferLength < 2 * sizeof(ULONG)) {
      NdisRequest->DATA.SET_INFORMATION.BytesNeeded = 2 * sizeof(ULONG);
      return NDIS_STATUS_INVALID_LENGTH;
    }
    adapter->TicksWanted = buffer[1];
    TraceOid("OID_KMINI_TICK: every %u ms, %u ticks, timer object %p, due %I64d", buffer[0], buffer[1],
             &adapter->TickTimer, -(LONGLONG)buffer[0] * 10000);
    due.QuadPart = -(LONGLONG)buffer[0] * 10000;
    KeSetTimerEx(&adapter->TickTimer, due, (LONG)buffer[0], &adapter->TickDpc);
    NdisRequest->DATA.SET_INFORMATION.BytesRead = 2 * sizeof(ULONG);
    return NDIS_STATUS_SUCCESS;
  }
  if (NdisRequest->RequestType == NdisRequestSetInformation &&
      NdisRequest->DATA.SET_INFORMATION.Oid == OID_KMINI_KICK) {
    PULONG buffer = (PULONG)NdisRequest->DATA.SET_INFORMATION.InformationBuffer;
    if (NdisRequest->DATA.SET_INFORMATION.InformationBufferLength < sizeof(ULONG)) {
      NdisRequest->DATA.SET_INFORMATION.BytesNeeded = sizeof(ULONG);
      return NDIS_STATUS_INVALID_LENGTH;
    }
    adapter->Stats.Inserts = KeInsertQueueDpc(&adapter->KickDpc, (PVOID)(ULONG_PTR)7, NULL) ? 1 : 0;
    adapter->Stats.Inserts |= KeInsertQueueDpc(&adapter->KickDpc, (PVOID)(ULONG_PTR)8, NULL) ? 2 : 0;
    adapter->Stats.Removed = buffer[0] != 0 ? KeRemoveQueueDpc(&adapter->KickDpc) : 0;
    NdisRequest->DATA.SET_INFORMATION.BytesRead = sizeof(ULONG);
    return NDIS_STATUS_SUCCESS;
  }
  if (NdisRequest->RequestType == NdisRequestQueryInformation &&
      NdisRequest->DATA.QUERY_INFORMATION.Oid == OID_KMINI_STATS) {
    if (NdisRequest->DATA.QUERY_INFORMATION.InformationBufferLength < sizeof(KMINI_STATS)) {
      NdisRequest->DATA.QUERY_INFORMATION.BytesNeeded = sizeof(KMINI_STATS);
      return NDIS_STATUS_BUFFER_TOO_SHORT;
    }
    adapter->Stats.WatchdogRuns = (ULONG)KminiWatchdogRuns;
    NdisMoveMemory(NdisRequest->DATA.QUERY_INFORMATION.InformationBuffer, &adapter->Stats, sizeof(KMINI_STATS));
    NdisRequest->DATA.QUERY_INFORMATION.BytesWritten = sizeof(KMINI_STATS);
    return NDIS_STATUS_SUCCESS;
  }

  if (NdisRequest->RequestType == NdisRequestQueryInformation &&
      NdisRequest->DATA.QUERY_INFORMATION.Oid == OID_KMINI_WAIT) {
    /* In: a seed. Out: the adapter's index, its place among the wakes, the two sums. */
    PULONG buffer = (PULONG)NdisRequest->DATA.QUERY_INFORMATION.InformationBuffer;
    ULONG before = 0, after = 0;
    if (NdisRequest->DATA.QUERY_INFORMATION.InformationBufferLength < 4 * sizeof(ULONG)) {
      NdisRequest->DATA.QUERY_INFORMATION.BytesNeeded = 4 * sizeof(ULONG);
      return NDIS_STATUS_BUFFER_TOO_SHORT;
    }
    WaitDeep(adapter, 0, buffer[0] + adapter->Index * 977, &before, &after);
    buffer[0] = adapter->Index;
    buffer[1] = (ULONG)InterlockedIncrement(&KminiWakeCount);
    buffer[2] = before;
    buffer[3] = after;
    NdisRequest->DATA.QUERY_INFORMATION.BytesWritten = 4 * sizeof(ULONG);
    return NDIS_STATUS_SUCCESS;
  }
  if (NdisRequest->RequestType == NdisRequestSetInformation &&
      NdisRequest->DATA.SET_INFORMATION.Oid == OID_KMINI_OPEN) {
    PKMINI_ADAPTER target;
    if (NdisRequest->DATA.SET_INFORMATION.InformationBufferLength < sizeof(ULONG)) {
      NdisRequest->DATA.SET_INFORMATION.BytesNeeded = sizeof(ULONG);
      return NDIS_STATUS_INVALID_LENGTH;
    }
    target = FindAdapter(*(PULONG)NdisRequest->DATA.SET_INFORMATION.InformationBuffer);
    if (target == NULL) return NDIS_STATUS_INVALID_DATA;
    KeSetEvent(&target->Gate, IO_NO_INCREMENT, FALSE);
    NdisRequest->DATA.SET_INFORMATION.BytesRead = sizeof(ULONG);
    return NDIS_STATUS_SUCCESS;
  }
  return NDIS_STATUS_NOT_SUPPORTED;
}

VOID KminiSendNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferLists,
                             NDIS_PORT_NUMBER PortNumber, ULONG SendFlags) {
  PKMINI_ADAPTER adapter = (PKMINI_ADAPTER)MiniportAdapterContext;
  PNET_BUFFER_LIST nbl;
  UNREFERENCED_PARAMETER(PortNumber);
  for (nbl = NetBufferLists; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl))
    NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_SUCCESS;
  NdisMSendNetBufferListsComplete(adapter->AdapterHandle, NetBufferLists,
                                  NDIS_TEST_SEND_AT_DISPATCH_LEVEL(SendFlags)
                                      ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL
                                      : 0);
}

VOID KminiReturnNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferLists,
                               ULONG ReturnFlags) {
  UNREFERENCED_PARAMETER(MiniportAdapterContext);
  UNREFERENCED_PARAMETER(NetBufferLists);
  UNREFERENCED_PARAMETER(ReturnFlags);
}

VOID KminiCancelSend(NDIS_HANDLE MiniportAdapterContext, PVOID CancelId) {
  UNREFERENCED_PARAMETER(MiniportAdapterContext);
  UNREFERENCED_PARAMETER(CancelId);
}

VOID KminiDevicePnPEventNotify(NDIS_HANDLE MiniportAdapterContext, PNET_DEVICE_PNP_EVENT NetDevicePnPEvent) {
  UNREFERENCED_PARAMETER(MiniportAdapterContext);
  UNREFERENCED_PARAMETER(NetDevicePnPEvent);
}

VOID KminiShutdown(NDIS_HANDLE MiniportAdapterContext, NDIS_SHUTDOWN_ACTION ShutdownAction) {
  UNREFERENCED_PARAMETER(MiniportAdapterContext);
  UNREFERENCED_PARAMETER(ShutdownAction);
}

VOID KminiCancelOidRequest(NDIS_HANDLE MiniportAdapterContext, PVOID RequestId) {
  UNREFERENCED_PARAMETER(MiniportAdapterContext);
  UNREFERENCED_PARAMETER(RequestId);
}
