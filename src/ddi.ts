/**
 * The DDI: everything an NDIS driver written against ndis-ts may use, under NDIS's own names.
 * Drivers import this module (`ndis-ts/ddi`) and nothing else of the package.
 */
export * from "./ndis/adapter.js";
export * from "./ndis/config.js";
export * from "./ndis/device.js";
export * from "./ndis/ethernet.js";
export * from "./ndis/filter.js";
export * from "./ndis/flags.js";
export * from "./ndis/interrupt-moderation.js";
export * from "./ndis/irql.js";
export * from "./ndis/list.js";
export * from "./ndis/miniport.js";
export * from "./ndis/nbl.js";
export * from "./ndis/nbl-queue.js";
export * from "./ndis/nbl8021q.js";
export * from "./ndis/object-header.js";
export * from "./ndis/oid.js";
export * from "./ndis/optional-handlers.js";
export * from "./ndis/packet-filter.js";
export * from "./ndis/protocol.js";
export * from "./ndis/rtl.js";
export * from "./ndis/statistics.js";
export * from "./ndis/status.js";
export * from "./ndis/structs.js";
export * from "./ndis/timer.js";
export type * from "./ndis/types.js";
export * from "./ndis/version.js";
export {
  NdisCloseConfiguration,
  NdisOpenConfigurationEx,
  NdisReadConfiguration,
  NdisReadNetworkAddress,
  NdisWriteConfiguration,
} from "./runtime/api/config.js";
export {
  NdisCancelSendNetBufferLists,
  NdisGeneratePartialCancelId,
  NdisMIndicateReceiveNetBufferLists,
  NdisMSendNetBufferListsComplete,
  NdisReturnNetBufferLists,
  NdisSendNetBufferLists,
} from "./runtime/api/datapath.js";
export {
  IoCompleteRequest,
  IoCreateDevice,
  IoCreateSymbolicLink,
  IoDeleteDevice,
  IoDeleteSymbolicLink,
  IoGetCurrentIrpStackLocation,
  IoMarkIrpPending,
  NdisDeregisterDeviceEx,
  NdisGetDeviceReservedExtension,
  NdisRegisterDeviceEx,
} from "./runtime/api/device.js";
export {
  Executive,
  KeClearEvent,
  KeInitializeEvent,
  KeReadStateEvent,
  KeResetEvent,
  KernelMode,
  KeSetEvent,
  KeWaitForSingleObject,
  NdisInitializeEvent,
  NdisMSleep,
  NdisResetEvent,
  NdisSetEvent,
  NdisWaitEvent,
  NotificationEvent,
  SynchronizationEvent,
} from "./runtime/api/event.js";
export {
  NdisFCancelDirectOidRequest,
  NdisFCancelOidRequest,
  NdisFCancelSendNetBufferLists,
  NdisFDeregisterFilterDriver,
  NdisFDevicePnPEventNotify,
  NdisFDirectOidRequest,
  NdisFDirectOidRequestComplete,
  NdisFIndicateReceiveNetBufferLists,
  NdisFIndicateStatus,
  NdisFNetPnPEvent,
  NdisFOidRequest,
  NdisFOidRequestComplete,
  NdisFPauseComplete,
  NdisFRegisterFilterDriver,
  NdisFRestartComplete,
  NdisFRestartFilter,
  NdisFReturnNetBufferLists,
  NdisFSendNetBufferLists,
  NdisFSendNetBufferListsComplete,
  NdisFSetAttributes,
} from "./runtime/api/filter.js";
export {
  type NDIS_IF_STACK_ENTRY,
  NdisIfAddIfStackEntry,
  NdisIfDeleteIfStackEntry,
} from "./runtime/api/ifstack.js";
export {
  NdisIMCancelInitializeDeviceInstance,
  NdisIMDeInitializeDeviceInstance,
  NdisIMGetBindingContext,
  NdisIMInitializeDeviceInstanceEx,
} from "./runtime/api/im.js";
export {
  KeCancelTimer,
  KeFlushQueuedDpcs,
  KeInitializeDpc,
  KeInitializeTimer,
  KeInitializeTimerEx,
  KeInsertQueueDpc,
  KeReadStateTimer,
  KeRemoveQueueDpc,
  KeSetTimer,
  KeSetTimerEx,
  NotificationTimer,
  SynchronizationTimer,
} from "./runtime/api/ke-timer.js";
export {
  type ALLOCATE_FUNCTION,
  type FREE_FUNCTION,
  HighPoolPriority,
  LowPoolPriority,
  NdisAllocateFromNPagedLookasideList,
  NdisAllocateMemoryWithTagPriority,
  NdisDeleteNPagedLookasideList,
  NdisFreeMemory,
  NdisFreeToNPagedLookasideList,
  NdisInitializeNPagedLookasideList,
  NormalPoolPriority,
  type NPAGED_LOOKASIDE_LIST,
} from "./runtime/api/memory.js";
export {
  NdisMNetPnPEvent,
  NdisMPauseComplete,
  NdisMRemoveMiniport,
  NdisMResetComplete,
  NdisMResetMiniport,
  NdisMRestartComplete,
  NdisMSetMiniportAttributes,
} from "./runtime/api/miniport.js";
export {
  NDIS_INIT_MUTEX,
  NDIS_RELEASE_MUTEX,
  NDIS_WAIT_FOR_MUTEX,
  ndisMutexWouldBlock,
} from "./runtime/api/mutex.js";
export {
  adoptModuleContextCalls,
  NdisAdvanceNetBufferDataStart,
  NdisAdvanceNetBufferListDataStart,
  NdisAllocateCloneNetBufferList,
  NdisAllocateFragmentNetBufferList,
  NdisAllocateMdl,
  NdisAllocateNetBuffer,
  NdisAllocateNetBufferAndNetBufferList,
  NdisAllocateNetBufferList,
  NdisAllocateNetBufferListContext,
  NdisAllocateNetBufferListPool,
  NdisAllocateNetBufferMdlAndData,
  NdisAllocateNetBufferPool,
  NdisAllocateReassembledNetBufferList,
  NdisFreeCloneNetBufferList,
  NdisFreeFragmentNetBufferList,
  NdisFreeMdl,
  NdisFreeNetBuffer,
  NdisFreeNetBufferList,
  NdisFreeNetBufferListContext,
  NdisFreeNetBufferListPool,
  NdisFreeNetBufferPool,
  NdisFreeReassembledNetBufferList,
  NdisGetDataBuffer,
  NdisGetPoolFromNetBuffer,
  NdisGetPoolFromNetBufferList,
  NdisRetreatNetBufferDataStart,
  NdisRetreatNetBufferListDataStart,
  type NET_BUFFER_ALLOCATE_MDL,
  type NET_BUFFER_FREE_MDL,
} from "./runtime/api/nbl.js";
export {
  NdisAllocateCloneOidRequest,
  NdisCancelDirectOidRequest,
  NdisCancelOidRequest,
  NdisDirectOidRequest,
  NdisFreeCloneOidRequest,
  NdisMDirectOidRequestComplete,
  NdisMOidRequestComplete,
  NdisOidRequest,
} from "./runtime/api/oid.js";
export {
  NdisCloseAdapterEx,
  NdisCompleteBindAdapterEx,
  NdisCompleteNetPnPEvent,
  NdisCompleteUnbindAdapterEx,
  NdisOpenAdapterEx,
  NdisQueryAdapterInstanceName,
  NdisQueryBindInstanceName,
  NdisUnbindAdapter,
} from "./runtime/api/protocol.js";
export {
  NdisDeregisterProtocolDriver,
  NdisIMAssociateMiniport,
  NdisMDeregisterMiniportDriver,
  NdisMRegisterMiniportDriver,
  NdisRegisterProtocolDriver,
  NdisSetOptionalHandlers,
} from "./runtime/api/registration.js";
export {
  RegistryKey,
  registryValueBytes,
  ZwClose,
  ZwOpenKey,
  ZwQueryValueKey,
} from "./runtime/api/registry.js";
export { NdisMIndicateStatusEx } from "./runtime/api/status.js";
export {
  KeGetCurrentIrql,
  KeLowerIrql,
  KeRaiseIrql,
  KeTryToAcquireSpinLockAtDpcLevel,
  NdisAcquireReadWriteLock,
  NdisAcquireSpinLock,
  NdisAllocateSpinLock,
  NdisDprAcquireSpinLock,
  NdisDprReleaseSpinLock,
  NdisFreeSpinLock,
  NdisInitializeReadWriteLock,
  NdisReleaseReadWriteLock,
  NdisReleaseSpinLock,
} from "./runtime/api/sync.js";
export {
  NdisAllocateTimerObject,
  NdisCancelTimerObject,
  NdisFreeTimerObject,
  NdisGetCurrentSystemTime,
  NdisSetTimerObject,
} from "./runtime/api/timer.js";
export { traceDriverMessage } from "./runtime/api/trace.js";
export { NdisGetVersion } from "./runtime/api/version.js";
export {
  type NDIS_IO_WORKITEM_ROUTINE,
  NdisAllocateIoWorkItem,
  NdisFreeIoWorkItem,
  NdisQueueIoWorkItem,
} from "./runtime/api/workitem.js";
