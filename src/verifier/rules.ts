/**
 * The verifier's closed catalogue of contract rules. Every violation the runtime reports names one
 * of these ids. An id that matches a Windows rule (Static Driver Verifier, Driver Verifier's NDIS
 * checks, bug check 0x7C sub-codes) keeps Windows' spelling; `ndis` says which one it stands for.
 *
 * Severity: an `error` stops the host in strict mode, as the bug check would stop Windows; a
 * `warning` is recorded and never stops anything.
 */

export type Severity = "error" | "warning";

export interface VerifierRule {
  readonly id: string;
  /** The Windows rule, bug check or documentation page this rule stands for. */
  readonly ndis: string;
  /** One line: what the rule requires. */
  readonly meaning: string;
  readonly severity: Severity;
}

function rule(
  id: string,
  ndis: string,
  meaning: string,
  severity: Severity = "error",
): VerifierRule {
  return Object.freeze({ id, ndis, meaning, severity });
}

export const VERIFIER_RULES = Object.freeze({
  Irql_Filter_Driver_Function: rule(
    "Irql_Filter_Driver_Function",
    "SDV rule Irql_Filter_Driver_Function (the IRQL of each NdisFXxx function's DDI page)",
    "NdisFRegisterFilterDriver, NdisFDeregisterFilterDriver, NdisFSetAttributes, NdisFNetPnPEvent and NdisFDevicePnPEventNotify are called at PASSIVE_LEVEL; the data-path, OID, status and restart calls at DISPATCH_LEVEL or lower",
  ),
  FilterAttach_MissingAttributes: rule(
    "FilterAttach_MissingAttributes",
    "FilterAttach (DDI): the filter calls NdisFSetAttributes before it returns NDIS_STATUS_SUCCESS",
    "a FilterAttach that succeeds has called NdisFSetAttributes for its module; NDIS fails the attach otherwise",
  ),
  NdisFSetAttributes_OutsideAttach: rule(
    "NdisFSetAttributes_OutsideAttach",
    "NdisFSetAttributes (DDI): called from FilterAttach",
    "NdisFSetAttributes is called only inside the module's FilterAttach",
  ),
  NdisFPauseComplete_NotPending: rule(
    "NdisFPauseComplete_NotPending",
    "bug check 0x7C/0x1F (illegal state transition: NdisFPauseComplete with no pause pending)",
    "NdisFPauseComplete is called once, for a FilterPause that returned NDIS_STATUS_PENDING",
  ),
  NdisFRestartComplete_NotPending: rule(
    "NdisFRestartComplete_NotPending",
    "bug check 0x7C/0x1F (illegal state transition: NdisFRestartComplete with no restart pending)",
    "NdisFRestartComplete is called once, for a FilterRestart that returned NDIS_STATUS_PENDING",
  ),
  FilterPause_NblsOutstanding: rule(
    "FilterPause_NblsOutstanding",
    "Pausing a Filter Module (docs): wait for the sends and receive indications the filter originated; complete and return what it queued",
    "a filter module completes its pause only when every NBL it originated (sent down or indicated up) has come back and it holds none it was given; what it only passed on is its originator's to wait for",
  ),
  FilterDetach_RequestsPending: rule(
    "FilterDetach_RequestsPending",
    "FilterDetach (DDI): a module has no outstanding OID requests when NDIS detaches it",
    "NDIS detaches a filter module only when every OID request it passed down has completed",
  ),
  FilterSend_Paused: rule(
    "FilterSend_Paused",
    "Pausing a Filter Module (docs): a paused module originates no sends",
    "a filter module calls NdisFSendNetBufferLists only while it is not Paused (NDIS completes such sends with NDIS_STATUS_PAUSED)",
  ),
  FilterIndicate_Paused: rule(
    "FilterIndicate_Paused",
    "Pausing a Filter Module (docs): a paused module originates no receive indications",
    "a filter module calls NdisFIndicateReceiveNetBufferLists only while it is not Paused",
  ),
  NdisFSendNetBufferLists_InvalidChain: rule(
    "NdisFSendNetBufferLists_InvalidChain",
    "NdisFSendNetBufferLists (DDI); bug check 0x7C (BUGCODE_NDIS_DRIVER) on a bad NBL",
    "a filter module sends a non-empty, acyclic chain of live NBLs that it holds",
  ),
  NdisFSendNetBufferListsComplete_NotOwned: rule(
    "NdisFSendNetBufferListsComplete_NotOwned",
    "bug check 0x7C (BUGCODE_NDIS_DRIVER): completing an NBL twice or one never sent to the driver",
    "a filter module completes only NBLs NDIS gave its FilterSendNetBufferLists, each exactly once",
  ),
  NdisFIndicateReceiveNetBufferLists_InvalidChain: rule(
    "NdisFIndicateReceiveNetBufferLists_InvalidChain",
    "NdisFIndicateReceiveNetBufferLists (DDI)",
    "a filter module indicates a non-empty, acyclic chain of live NBLs it holds, with NumberOfNetBufferLists equal to its length",
  ),
  NdisFReturnNetBufferLists_NotIndicated: rule(
    "NdisFReturnNetBufferLists_NotIndicated",
    "bug check 0x7C (BUGCODE_NDIS_DRIVER): returning an NBL twice or one never indicated",
    "a filter module returns only NBLs NDIS indicated to its FilterReceiveNetBufferLists (without NDIS_RECEIVE_FLAGS_RESOURCES), each exactly once",
  ),
  FilterRequest_Attaching: rule(
    "FilterRequest_Attaching",
    "Attaching a Filter Module: a filter module makes no OID request and no status indication while Attaching; both are supported in the Paused, Restarting, Running and Pausing states",
    "a filter module calls NdisFOidRequest, NdisFDirectOidRequest and NdisFIndicateStatus only once FilterAttach has returned (Paused, Restarting, Running or Pausing); NDIS refuses an OID request and drops an indication made from the Attaching state",
  ),
  NdisFOidRequestComplete_NotPending: rule(
    "NdisFOidRequestComplete_NotPending",
    "bug check 0x7C (BUGCODE_NDIS_DRIVER): completing an OID request that is not pending",
    "a filter module completes with NdisFOidRequestComplete only a request its FilterOidRequest pended, exactly once, with a status other than PENDING",
  ),
  NdisFDirectOidRequestComplete_NotPending: rule(
    "NdisFDirectOidRequestComplete_NotPending",
    "NdisFDirectOidRequestComplete (DDI): only for a request FilterDirectOidRequest returned NDIS_STATUS_PENDING for; bug check 0x7C for a completion with nothing pending",
    "a filter module completes with NdisFDirectOidRequestComplete only a direct request its FilterDirectOidRequest pended, exactly once, with a status other than PENDING",
  ),
  NdisMDirectOidRequestComplete_NotPending: rule(
    "NdisMDirectOidRequestComplete_NotPending",
    "NdisMDirectOidRequestComplete (DDI): only for a request MiniportDirectOidRequest returned NDIS_STATUS_PENDING for; bug check 0x7C for a completion with nothing pending",
    "a miniport completes with NdisMDirectOidRequestComplete only a direct request its MiniportDirectOidRequest pended, exactly once, with a status other than PENDING",
  ),
  DirectOidRequest_NotDirectOid: rule(
    "DirectOidRequest_NotDirectOid",
    "NdisDirectOidRequest / NdisFDirectOidRequest (DDI): only the OIDs NDIS supports on the direct OID interface (each OID's page says so); general requests go through NdisOidRequest / NdisFOidRequest",
    "a driver issues a direct OID request only for an OID NDIS supports on the direct path (the IPsec offload v2 SA OIDs, the tunnel interface OIDs); NDIS answers any other with NDIS_STATUS_INVALID_OID",
    "warning",
  ),
  DirectOidRequest_NoCompleteHandler: rule(
    "DirectOidRequest_NoCompleteHandler",
    "NdisDirectOidRequest / NdisFDirectOidRequest (DDI): a driver that issues direct OID requests registers ProtocolDirectOidRequestComplete / FilterDirectOidRequestComplete",
    "a protocol or filter driver issues a direct OID request only if it registered the direct completion handler (characteristics revision 2, NDIS 6.1 or later); NDIS refuses the request otherwise",
  ),
  IMMiniport_NoHaltOnSuspend: rule(
    "IMMiniport_NoHaltOnSuspend",
    "Handling PnP Events and Power Management Events in an Intermediate Driver: an intermediate driver sets NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND in its registration attributes",
    "an IM driver's virtual miniport sets NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND when it calls NdisMSetMiniportAttributes with its registration attributes",
    "warning",
  ),
  IM_PowerOidPropagated: rule(
    "IM_PowerOidPropagated",
    "Handling a Set Power Request (an IM driver must not propagate OID_PNP_SET_POWER to the underlying miniport) and OID_PNP_QUERY_POWER (an IM driver never propagates it)",
    "an IM driver answers OID_PNP_SET_POWER and OID_PNP_QUERY_POWER on its virtual miniport itself and never issues them on its protocol edge: NDIS sets the power of the adapter below on its own",
  ),
  NdisOidRequest_LowPower: rule(
    "NdisOidRequest_LowPower",
    "Handling PnP Events and Power Management Events in a Protocol Driver (NetEventSetPower): while the adapter is in a low-power state the protocol issues no OID request",
    "a protocol issues no OID request on a binding whose adapter is in a low-power state (after NetEventSetPower to a sleeping state, before the set to D0); NDIS holds it until the adapter is back in D0",
    "warning",
  ),
  DirectOidRequest_InFlight: rule(
    "DirectOidRequest_InFlight",
    "NdisDirectOidRequest (DDI): the request belongs to NDIS until it completes",
    "a driver issues an NDIS_OID_REQUEST on the direct path again only after its previous issue completed",
  ),
  NdisFDeregisterFilterDriver_ModulesAttached: rule(
    "NdisFDeregisterFilterDriver_ModulesAttached",
    "NdisFDeregisterFilterDriver (DDI): called after NDIS detached every module (from FilterDriverUnload)",
    "a filter driver deregisters only when none of its modules is attached",
  ),
  Irql_Miniport_Driver_Function: rule(
    "Irql_Miniport_Driver_Function",
    "SDV rule Irql_Miniport_Driver_Function",
    "NdisMRegisterMiniportDriver and NdisMDeregisterMiniportDriver are called at PASSIVE_LEVEL",
  ),
  Irql_Protocol_Driver_Function: rule(
    "Irql_Protocol_Driver_Function",
    "SDV rule Irql_Protocol_Driver_Function",
    "NdisRegisterProtocolDriver and NdisDeregisterProtocolDriver are called at PASSIVE_LEVEL",
  ),
  Irql_IM_Function: rule(
    "Irql_IM_Function",
    "SDV rule Irql_IM_Function",
    "NdisIMAssociateMiniport and the other NdisIMXxx calls are made at PASSIVE_LEVEL",
  ),
  Irql_Timer_Function: rule(
    "Irql_Timer_Function",
    "SDV rule Irql_Timer_Function",
    "NdisAllocateTimerObject, NdisSetTimerObject, NdisCancelTimerObject and NdisFreeTimerObject are called at DISPATCH_LEVEL or lower",
  ),
  Irql_WorkItem_Function: rule(
    "Irql_WorkItem_Function",
    "NdisAllocateIoWorkItem / NdisQueueIoWorkItem / NdisFreeIoWorkItem (DDI IRQL)",
    "I/O work item calls are made at DISPATCH_LEVEL or lower",
  ),
  Irql_Miscellaneous_Function: rule(
    "Irql_Miscellaneous_Function",
    "SDV rule Irql_Miscellaneous_Function",
    "NdisSetOptionalHandlers is called at PASSIVE_LEVEL",
  ),
  SpinLock: rule(
    "SpinLock",
    "SDV rule SpinLock",
    "a spin lock is acquired only when free and released before the handler that took it returns",
  ),
  SpinLockRelease: rule(
    "SpinLockRelease",
    "SDV rule SpinLockRelease",
    "a spin lock is released only by a caller that holds it",
  ),
  SpinLockDpr: rule(
    "SpinLockDpr",
    "SDV rule SpinLockDpr",
    "NdisDprAcquireSpinLock takes a spin lock only when it is free",
  ),
  SpinLockDprRelease: rule(
    "SpinLockDprRelease",
    "SDV rule SpinLockDprRelease",
    "NdisDprReleaseSpinLock releases only a spin lock that is held",
  ),
  Irql_Synch_Function: rule(
    "Irql_Synch_Function",
    "SDV rule Irql_Synch_Function (NdisDprAcquireSpinLock / NdisDprReleaseSpinLock: IRQL = DISPATCH_LEVEL; NDIS_WAIT_FOR_MUTEX / NDIS_RELEASE_MUTEX: PASSIVE_LEVEL)",
    "NdisDprAcquireSpinLock and NdisDprReleaseSpinLock are called at DISPATCH_LEVEL, never below it; NDIS_WAIT_FOR_MUTEX and NDIS_RELEASE_MUTEX at PASSIVE_LEVEL",
  ),
  IrqlKeRaiseLower: rule(
    "IrqlKeRaiseLower",
    "SDV rule IrqlKeRaiseLower; KeRaiseIrql / KeLowerIrql (DDI): bug check 0x9 IRQL_NOT_GREATER_OR_EQUAL",
    "KeRaiseIrql raises to a level not below the current one, and KeLowerIrql lowers to a level not above it",
  ),
  Irql_Interfaces_Function: rule(
    "Irql_Interfaces_Function",
    "SDV rule Irql_Interfaces_Function (NdisIfAddIfStackEntry / NdisIfDeleteIfStackEntry: PASSIVE_LEVEL)",
    "NdisIfAddIfStackEntry and NdisIfDeleteIfStackEntry are called at PASSIVE_LEVEL",
  ),
  NdisMutex: rule(
    "NdisMutex",
    "NDIS_INIT_MUTEX / NDIS_RELEASE_MUTEX (DDI): initialised first; only the holding thread releases it; releasing a signaled mutex bug-checks",
    "an NDIS_MUTEX is initialised before use and released only by the thread that holds it, once per acquisition",
  ),
  ReadWriteLock: rule(
    "ReadWriteLock",
    "NdisAcquireReadWriteLock (DDI): an NDIS_RW_LOCK initialised by NdisInitializeReadWriteLock, a LOCK_STATE per acquisition, a write lock taken by a spin lock",
    "an NDIS_RW_LOCK is initialised before use, every acquisition has its own LOCK_STATE, and write access is asked for only while nobody holds the lock (a reader upgrading or a second writer deadlocks)",
  ),
  ReadWriteLockRelease: rule(
    "ReadWriteLockRelease",
    "NdisReleaseReadWriteLock (DDI): one release per NdisAcquireReadWriteLock, with its LOCK_STATE",
    "NdisReleaseReadWriteLock gets the LOCK_STATE of an acquisition of that same lock not yet released",
  ),
  IMDriver_CheckForHangResetMustBeNull: rule(
    "IMDriver_CheckForHangResetMustBeNull",
    "Registering an Intermediate Driver as a Miniport Driver (CheckForHangHandlerEx, ResetHandlerEx)",
    "an intermediate driver leaves CheckForHangHandlerEx and ResetHandlerEx NULL; NDIS never calls them",
    "warning",
  ),
  NdisSetOptionalHandlers_OutsideSetOptions: rule(
    "NdisSetOptionalHandlers_OutsideSetOptions",
    "NdisSetOptionalHandlers (DDI): the driver handle is the one passed to MiniportSetOptions/ProtocolSetOptions",
    "NdisSetOptionalHandlers with a driver handle is called only from inside the driver's SetOptions handler",
  ),
  NdisIMAssociateMiniport_InvalidHandle: rule(
    "NdisIMAssociateMiniport_InvalidHandle",
    "NdisIMAssociateMiniport (DDI)",
    "NdisIMAssociateMiniport gets a live IM miniport driver handle and a live protocol driver handle",
  ),
  NdisIMAssociateMiniport_ForeignDriver: rule(
    "NdisIMAssociateMiniport_ForeignDriver",
    "NdisIMAssociateMiniport (DDI)",
    "the two edges NdisIMAssociateMiniport joins were registered by the same driver object",
  ),
  NdisIMAssociateMiniport_Twice: rule(
    "NdisIMAssociateMiniport_Twice",
    "NdisIMAssociateMiniport (DDI)",
    "each miniport edge and each protocol edge is associated at most once",
  ),
  Init_NdisAllocateIoWorkItem: rule(
    "Init_NdisAllocateIoWorkItem",
    "SDV rule Init_NdisAllocateIoWorkItem",
    "an I/O work item allocated for an adapter is freed by the end of HaltEx (one for a binding by the unbind, any other by unload)",
  ),
  NdisQueueIoWorkItem_Queued: rule(
    "NdisQueueIoWorkItem_Queued",
    "NdisQueueIoWorkItem / IoQueueWorkItem (a work item queued twice corrupts the queue: bug check)",
    "a work item is queued again only after its routine has started, and freed only when it is not queued",
  ),
  NdisOpenConfigurationEx: rule(
    "NdisOpenConfigurationEx",
    "SDV rule NdisOpenConfigurationEx",
    "every configuration handle NdisOpenConfigurationEx gave is closed with NdisCloseConfiguration by the end of HaltEx (the unbind, the unload)",
  ),
  NdisOpenConfigurationEx_BadArgument: rule(
    "NdisOpenConfigurationEx_BadArgument",
    "NdisOpenConfigurationEx / NdisReadConfiguration (DDI)",
    "an NDIS_CONFIGURATION_OBJECT has the configuration object header and a miniport adapter, binding or driver handle; a keyword is a non-empty string",
  ),
  CancelTimerObject: rule(
    "CancelTimerObject",
    "SDV rule CancelTimerObject",
    "no timer object is left set when HaltEx returns or the driver unloads; a timer is cancelled before NdisFreeTimerObject",
  ),
  NdisAllocateTimerObject_BadArgument: rule(
    "NdisAllocateTimerObject_BadArgument",
    "NdisAllocateTimerObject / NdisSetTimerObject (DDI)",
    "NDIS_TIMER_CHARACTERISTICS has the timer header and a TimerFunction; DueTime is a LARGE_INTEGER (bigint) and the period a ULONG",
  ),
  Timer_LeakedAtUnload: rule(
    "Timer_LeakedAtUnload",
    "SDV rule CancelTimerObject / Driver Verifier (resources freed at unload)",
    "every timer object a driver allocated is freed with NdisFreeTimerObject before the driver unloads",
  ),
  KeTimer_PendingAtUnload: rule(
    "KeTimer_PendingAtUnload",
    "KeSetTimerEx / KeInsertQueueDpc (DDI: a driver cancels its timers in Unload); bug check 0xCE DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS",
    "no kernel timer set with KeSetTimer(Ex) and no DPC queued with KeInsertQueueDpc is left pending when the driver unloads",
  ),
  OidClone_Leaked: rule(
    "OidClone_Leaked",
    "Driver Verifier (resources freed at halt/unbind/unload) [MODEL]; NdisAllocateCloneOidRequest / NdisFreeCloneOidRequest",
    "every OID request a driver cloned with NdisAllocateCloneOidRequest is freed with NdisFreeCloneOidRequest once it completes, before the binding or adapter it was cloned for goes and before unload",
  ),
  Completion_StatusPending: rule(
    "Completion_StatusPending",
    "the DDI pages of NdisCompleteNetPnPEvent, NdisCompleteBindAdapterEx, NdisMRestartComplete, NdisFRestartComplete and NdisMResetComplete: the status is the pended operation's final one",
    "a call that ends a pended operation passes its final status, never NDIS_STATUS_PENDING (NDIS treats it as a failure)",
  ),
  NdisFreeCloneOidRequest_NotAllocated: rule(
    "NdisFreeCloneOidRequest_NotAllocated",
    "NdisFreeCloneOidRequest (DDI): frees a request NdisAllocateCloneOidRequest allocated [MODEL: Windows corrupts its pool instead]",
    "NdisFreeCloneOidRequest is called once per clone, with a request NdisAllocateCloneOidRequest returned",
  ),
  NdisTimedPauseComplete: rule(
    "NdisTimedPauseComplete",
    "Driver Verifier NdisFilterTimedPauseComplete (0x00092010), applied to every pause [MODEL]; bug check 0x7C/0x25 watchdog",
    "a pause (MiniportPause, NetEventPause) completes within 10 s (the host's watchdog limit): every send completed, every indication returned; the driver holding them is the one at fault",
  ),
  NdisTimedRestartComplete: rule(
    "NdisTimedRestartComplete",
    "[MODEL] the host's watchdog, like NdisTimedPauseComplete, for MiniportRestart and NetEventRestart",
    "a restart a miniport or a protocol pended completes within 10 s",
  ),
  NdisTimedBindComplete: rule(
    "NdisTimedBindComplete",
    "[MODEL] the host's watchdog, as NdisTimedPauseComplete, for Protocol(Un)BindAdapterEx and for FilterAttach, FilterDetach, FilterSetModuleOptions, MiniportInitializeEx or MiniportHaltEx that blocks",
    "a bind or an unbind a protocol pended completes (NdisCompleteBindAdapterEx, NdisCompleteUnbindAdapterEx) within 10 s; a filter or miniport handler that blocks in a wait returns within 10 s",
  ),
  NdisTimedPnPEventComplete: rule(
    "NdisTimedPnPEventComplete",
    "[MODEL] the host's watchdog, like NdisTimedPauseComplete, for ProtocolNetPnPEvent, and for a FilterNetPnPEvent or FilterDevicePnPEventNotify that blocks",
    "a NetPnPEvent a protocol pended (power, query-remove, reconfigure…) completes with NdisCompleteNetPnPEvent within 10 s; a filter's PnP handler that blocks returns within 10 s",
  ),
  NdisTimedOidComplete: rule(
    "NdisTimedOidComplete",
    "Driver Verifier NdisTimedOidComplete (0x00092003)",
    "an OID request a miniport or filter module pended is completed within 12 s",
  ),
  NdisTimedDataSend: rule(
    "NdisTimedDataSend",
    "Driver Verifier NdisTimedDataSend (0x0009200D)",
    "each NBL handed to MiniportSendNetBufferLists is completed within 30 s",
  ),
  NdisTimedDataHang: rule(
    "NdisTimedDataHang",
    "Driver Verifier NdisTimedDataHang (0x0009200F)",
    "an adapter with sends outstanding completes at least one every 22 s",
  ),
  InvalidNdisHandle: rule(
    "InvalidNdisHandle",
    "NullCheck / use of a freed NDIS handle (a crash on Windows)",
    "a DDI call gets a handle NDIS gave out and has not yet taken back, of the kind the call expects",
  ),
  DriverEntry_FailureWithoutDeregister: rule(
    "DriverEntry_FailureWithoutDeregister",
    "NdisMRegisterMiniportDriver (DDI): a DriverEntry that fails after registering must deregister",
    "a DriverEntry that returns failure first deregisters every edge it registered",
  ),
  DriverUnload_LeftRegistered: rule(
    "DriverUnload_LeftRegistered",
    "MiniportDriverUnload (DDI) / Unloading an Intermediate Driver",
    "the unload handler deregisters every miniport and protocol edge the driver registered",
  ),
  DriverException: rule(
    "DriverException",
    "bug check 0x7E / 0x1E (unhandled exception in a driver)",
    "driver code called by NDIS returns normally; it never throws",
  ),
  Callback_InvalidReturn: rule(
    "Callback_InvalidReturn",
    "the handler's DDI page (allowed return values)",
    "a handler returns one of the values its DDI page allows (an NDIS_STATUS where one is due; never PENDING where it cannot pend)",
  ),
  NdisMPauseComplete_NotPending: rule(
    "NdisMPauseComplete_NotPending",
    "bug check 0x7C/0x1F (illegal state transition: NdisMPauseComplete with no pause pending)",
    "NdisMPauseComplete is called once, for a MiniportPause that returned NDIS_STATUS_PENDING",
  ),
  NdisMRestartComplete_NotPending: rule(
    "NdisMRestartComplete_NotPending",
    "bug check 0x7C/0x1F (illegal state transition: NdisMRestartComplete with no restart pending)",
    "NdisMRestartComplete is called once, for a MiniportRestart that returned NDIS_STATUS_PENDING",
  ),
  NetBufferList_ParentWithLiveChildren: rule(
    "NetBufferList_ParentWithLiveChildren",
    '"Relationships Between NET_BUFFER_LIST Generations": the parent is freed only after all its children',
    "a NET_BUFFER_LIST with clones, fragments or reassembled NBLs still allocated is not freed, completed or returned (the children describe its data)",
  ),
  NetBufferList_DerivedFreeMismatch: rule(
    "NetBufferList_DerivedFreeMismatch",
    "NdisFreeCloneNetBufferList, NdisFreeFragmentNetBufferList, NdisFreeReassembledNetBufferList (DDI)",
    "a derived NET_BUFFER_LIST is freed with the free that matches its allocation, and only a derived one with those",
  ),
  NdisRegisterDeviceEx_BadAttributes: rule(
    "NdisRegisterDeviceEx_BadAttributes",
    "NDIS_DEVICE_OBJECT_ATTRIBUTES (structure page): header, device name, symbolic name, dispatch table",
    "NdisRegisterDeviceEx gets a well-formed NDIS_DEVICE_OBJECT_ATTRIBUTES; NDIS refuses others with NDIS_STATUS_INVALID_PARAMETER",
  ),
  NdisRegisterDeviceEx_NotDeregistered: rule(
    "NdisRegisterDeviceEx_NotDeregistered",
    "NdisRegisterDeviceEx (DDI): NdisDeregisterDeviceEx once the device is no longer needed; IoDeleteDevice (DDI) for IoCreateDevice's",
    "every control device a driver registered is deregistered (IoCreateDevice's: deleted) before the driver unloads",
  ),
  NdisDeregisterDeviceEx_PendingIrps: rule(
    "NdisDeregisterDeviceEx_PendingIrps",
    "[MODEL] IoDeleteDevice: the driver completes the requests it holds first",
    "no request of the device is still pending when the driver deregisters it (NDIS completes them with STATUS_CANCELLED)",
  ),
  Irp_DispatchReturn: rule(
    "Irp_DispatchReturn",
    "Driver Verifier I/O verification (bug check 0xC9): complete the IRP, or mark it pending and return STATUS_PENDING",
    "a dispatch routine either completes the IRP (IoCompleteRequest) or calls IoMarkIrpPending and returns STATUS_PENDING",
  ),
  MULTIPLE_IRP_COMPLETE_REQUESTS: rule(
    "MULTIPLE_IRP_COMPLETE_REQUESTS",
    "bug check 0x44 MULTIPLE_IRP_COMPLETE_REQUESTS",
    "an IRP is completed (IoCompleteRequest) once",
  ),
  NdisMResetComplete_NotPending: rule(
    "NdisMResetComplete_NotPending",
    "NdisMResetComplete (DDI): it completes a MiniportResetEx that returned NDIS_STATUS_PENDING",
    "NdisMResetComplete is called once, while a reset NDIS started on the adapter is in progress",
  ),
  NdisTimedResetComplete: rule(
    "NdisTimedResetComplete",
    "[MODEL] the host's watchdog, like NdisTimedPauseComplete, for MiniportResetEx (NdisMResetComplete)",
    "a reset a miniport pended completes (NdisMResetComplete) within 10 s",
  ),
  NdisCompleteBindAdapterEx_NotPending: rule(
    "NdisCompleteBindAdapterEx_NotPending",
    "NdisCompleteBindAdapterEx (DDI)",
    "NdisCompleteBindAdapterEx is called once, for a ProtocolBindAdapterEx that returned NDIS_STATUS_PENDING",
  ),
  NdisCompleteUnbindAdapterEx_NotPending: rule(
    "NdisCompleteUnbindAdapterEx_NotPending",
    "NdisCompleteUnbindAdapterEx (DDI)",
    "NdisCompleteUnbindAdapterEx is called once, for a ProtocolUnbindAdapterEx that returned NDIS_STATUS_PENDING",
  ),
  NdisCompleteNetPnPEvent_NotPending: rule(
    "NdisCompleteNetPnPEvent_NotPending",
    "NdisCompleteNetPnPEvent (DDI)",
    "NdisCompleteNetPnPEvent is called once, for a ProtocolNetPnPEvent that returned NDIS_STATUS_PENDING",
  ),
  MiniportPause_Return: rule(
    "MiniportPause_Return",
    "SDV rule MiniportPause_Return",
    "MiniportPause returns NDIS_STATUS_SUCCESS or NDIS_STATUS_PENDING only: a pause cannot fail",
  ),
  MiniportInitialize_MissingAttributes: rule(
    "MiniportInitialize_MissingAttributes",
    "MiniportInitializeEx (DDI): registration and general attributes are set before returning success",
    "a MiniportInitializeEx that returns NDIS_STATUS_SUCCESS has set registration attributes, then general attributes",
  ),
  NdisMSetMiniportAttributes_Order: rule(
    "NdisMSetMiniportAttributes_Order",
    "NdisMSetMiniportAttributes (DDI): registration attributes first, general attributes next",
    "registration attributes are set once and first, general attributes once and second, other attributes after them",
  ),
  NdisMSetMiniportAttributes_OutsideInitialize: rule(
    "NdisMSetMiniportAttributes_OutsideInitialize",
    "NdisMSetMiniportAttributes (DDI): called from MiniportInitializeEx",
    "NdisMSetMiniportAttributes is called only while NDIS runs the adapter's MiniportInitializeEx",
  ),
  NdisMDeregisterMiniportDriver_AdaptersExist: rule(
    "NdisMDeregisterMiniportDriver_AdaptersExist",
    "NdisMDeregisterMiniportDriver (DDI): called once every adapter of the driver is halted",
    "a miniport edge is deregistered only when NDIS has halted all its adapters (in MiniportDriverUnload, or DriverEntry)",
  ),
  NdisOpenAdapterEx_OutsideBind: rule(
    "NdisOpenAdapterEx_OutsideBind",
    "bug check 0x7C/0x16 (a protocol opened an adapter outside ProtocolBindAdapterEx)",
    "NdisOpenAdapterEx is called once per bind, while NDIS's bind of that adapter is in progress, with its BindContext",
  ),
  NdisCloseAdapterEx_OutsideUnbind: rule(
    "NdisCloseAdapterEx_OutsideUnbind",
    "NdisCloseAdapterEx (DDI): from ProtocolUnbindAdapterEx, or to back out of a failing bind",
    "NdisCloseAdapterEx closes an open binding during its unbind, or during a bind that is failing",
  ),
  NdisCloseAdapterEx_RequestsOutstanding: rule(
    "NdisCloseAdapterEx_RequestsOutstanding",
    "NdisCloseAdapterEx (DDI): a protocol waits for the sends and OID requests it originated before closing",
    "no send or OID request the protocol made on a binding is still out when it calls NdisCloseAdapterEx",
  ),
  ProtocolBindAdapterEx_SuccessWithoutOpen: rule(
    "ProtocolBindAdapterEx_SuccessWithoutOpen",
    "ProtocolBindAdapterEx (DDI): a bind succeeds once NdisOpenAdapterEx has succeeded",
    "a bind that reports success has opened the adapter (and its open has completed)",
  ),
  ProtocolBindAdapterEx_FailedWithoutClose: rule(
    "ProtocolBindAdapterEx_FailedWithoutClose",
    "ProtocolBindAdapterEx (DDI): a failing bind closes what it opened",
    "a bind that fails after its open succeeded calls NdisCloseAdapterEx before failing",
  ),
  ProtocolUnbindAdapterEx_WithoutClose: rule(
    "ProtocolUnbindAdapterEx_WithoutClose",
    "ProtocolUnbindAdapterEx (DDI): the unbind closes the binding with NdisCloseAdapterEx",
    "an unbind that completes has closed the binding",
  ),
  NdisIMInitializeDeviceInstanceEx_NotAssociated: rule(
    "NdisIMInitializeDeviceInstanceEx_NotAssociated",
    "NdisIMAssociateMiniport (DDI): DriverEntry associates the two edges before any device instance",
    "an intermediate driver calls NdisIMAssociateMiniport before its first NdisIMInitializeDeviceInstanceEx",
  ),
  NdisMNetPnPEvent_NotPropagatable: rule(
    "NdisMNetPnPEvent_NotPropagatable",
    "NdisMNetPnPEvent (DDI): NetEventBindsComplete, NetEventPause and NetEventRestart are never propagated",
    "an IM driver propagates with NdisMNetPnPEvent only the events NDIS does not generate itself for the stack above",
  ),
  NetBufferList_Invalid: rule(
    "NetBufferList_Invalid",
    "bug check 0x7C (BUGCODE_NDIS_DRIVER): a NET_BUFFER_LIST, NET_BUFFER or MDL NDIS did not allocate, or already freed",
    "every NET_BUFFER_LIST, NET_BUFFER, MDL and pool handle given to NDIS is one NDIS allocated and that has not been freed",
  ),
  NetBufferList_FreedByNonOwner: rule(
    "NetBufferList_FreedByNonOwner",
    "Sending and receiving network data (docs): only the originator frees an NBL, once it has come back",
    "a driver frees an NBL only from its own pool and only while it holds it (not while a send or an indication has it)",
  ),
  NetBuffer_FreedWithList: rule(
    "NetBuffer_FreedWithList",
    "NdisFreeNetBuffer (DDI): NET_BUFFERs, MDLs and data allocated with an NBL are freed with it",
    "a NET_BUFFER or MDL the pool allocated together with an NBL or NB is never freed on its own",
  ),
  NdisFreeNetBufferListPool_Outstanding: rule(
    "NdisFreeNetBufferListPool_Outstanding",
    "NdisFreeNetBufferListPool / NdisFreeNetBufferPool (DDI): free every structure from the pool first",
    "a pool is freed only after every NET_BUFFER_LIST or NET_BUFFER allocated from it has been freed",
  ),
  NdisFreeNetBufferListContext_Mismatch: rule(
    "NdisFreeNetBufferListContext_Mismatch",
    "NdisFreeNetBufferListContext (DDI): frees context space allocated with NdisAllocateNetBufferListContext",
    "a driver frees exactly the context space it allocated, no more than the NBL's top allocation holds",
  ),
  NetBufferListContext_Leaked: rule(
    "NetBufferListContext_Leaked",
    "NdisFreeNetBufferList (DDI): context space allocated with NdisAllocateNetBufferListContext is freed before the NBL; Driver Verifier (resources freed) [MODEL]",
    "every NdisAllocateNetBufferListContext is matched by an NdisFreeNetBufferListContext by the same driver before the NBL leaves it; what is left when the NBL is freed is named against the driver that allocated it",
  ),
  NetBufferList_BadArgument: rule(
    "NetBufferList_BadArgument",
    "the NET_BUFFER_LIST DDI pages (parameter ranges)",
    "sizes and offsets given to the NET_BUFFER_LIST calls are in range: a context size is a multiple of MEMORY_ALLOCATION_ALIGNMENT, DataOffset + DataLength fit the MDL chain, an advance does not exceed DataLength",
  ),
  Pool_LeakedAtHalt: rule(
    "Pool_LeakedAtHalt",
    "SDV memory rules (everything allocated for an adapter is freed when HaltEx exits) / bug check 0x7C",
    "a NET_BUFFER_LIST or NET_BUFFER pool allocated with a MiniportAdapterHandle is freed by the end of that adapter's MiniportHaltEx",
  ),
  Pool_LeakedAtUnload: rule(
    "Pool_LeakedAtUnload",
    "bug check 0xC4/0x62 (a driver unloads without freeing its allocations)",
    "a driver frees every NET_BUFFER_LIST and NET_BUFFER pool it allocated before its unload handler returns",
  ),
  NdisSendNetBufferLists_InvalidChain: rule(
    "NdisSendNetBufferLists_InvalidChain",
    "bug check 0x7C (BUGCODE_NDIS_DRIVER): a send of NBLs the sender does not own",
    "NdisSendNetBufferLists gets a non-empty, acyclic chain of live NBLs, each with a NET_BUFFER, all held by the sender",
  ),
  NetBufferList_SourceHandle: rule(
    "NetBufferList_SourceHandle",
    "Sending / Receiving network data (docs): SourceHandle",
    "a protocol sets SourceHandle to its binding handle on every NBL it sends, a miniport to its adapter handle on every NBL it indicates, and an IM restores the value it replaced before handing an NBL back",
  ),
  NdisMSendNetBufferListsComplete_NotOwned: rule(
    "NdisMSendNetBufferListsComplete_NotOwned",
    "bug check 0x7C (BUGCODE_NDIS_DRIVER): completing an NBL twice or one never sent",
    "a miniport completes only NBLs NDIS handed to its MiniportSendNetBufferLists, each exactly once",
  ),
  NdisMIndicateReceiveNetBufferLists_InvalidChain: rule(
    "NdisMIndicateReceiveNetBufferLists_InvalidChain",
    "NdisMIndicateReceiveNetBufferLists (DDI)",
    "a miniport indicates a non-empty, acyclic chain of live NBLs it holds, with NumberOfNetBufferLists equal to its length",
  ),
  NdisMIndicateReceiveNetBufferLists_NotRunning: rule(
    "NdisMIndicateReceiveNetBufferLists_NotRunning",
    "MiniportPause (DDI): a paused miniport does not indicate receives",
    "a miniport indicates receives only while its adapter is Running",
  ),
  NdisReturnNetBufferLists_NotIndicated: rule(
    "NdisReturnNetBufferLists_NotIndicated",
    "bug check 0x7C (BUGCODE_NDIS_DRIVER): returning an NBL twice or one never indicated",
    "a protocol returns only NBLs indicated to it without NDIS_RECEIVE_FLAGS_RESOURCES, each exactly once",
  ),
  MiniportPause_NblsOutstanding: rule(
    "MiniportPause_NblsOutstanding",
    "MiniportPause (DDI): complete every send and wait for every indicated NBL before the pause completes",
    "a miniport's pause completes only when every send it was given is completed and every NBL it indicated has come back",
  ),
  ProtocolPause_SendsOutstanding: rule(
    "ProtocolPause_SendsOutstanding",
    "NetEventPause (docs): a protocol waits for its outstanding sends to complete before completing the pause",
    "a protocol completes NetEventPause only when every NBL it sent on the binding has been completed to it",
  ),
  NdisMIndicateStatusEx_Invalid: rule(
    "NdisMIndicateStatusEx_Invalid",
    "NdisMIndicateStatusEx / NDIS_STATUS_INDICATION (DDI)",
    "a status indication has a valid header, the indicating adapter's handle as SourceHandle, a DestinationHandle that is NULL or a binding of that adapter, and is made between a successful MiniportInitializeEx and MiniportHaltEx",
  ),
  NdisMOidRequestComplete_NotPending: rule(
    "NdisMOidRequestComplete_NotPending",
    "bug check 0x7C (BUGCODE_NDIS_DRIVER): completing an OID request that is not pending",
    "a miniport completes with NdisMOidRequestComplete only the request it returned NDIS_STATUS_PENDING for, exactly once, with a status other than PENDING",
  ),
  OidRequest_BytesWrittenTooLarge: rule(
    "OidRequest_BytesWrittenTooLarge",
    "bug check 0x7C/0x1D (an OID request's BytesWritten exceeds InformationBufferLength)",
    "a miniport never reports more bytes written than the request's InformationBufferLength",
  ),
  NdisOidRequest_InFlight: rule(
    "NdisOidRequest_InFlight",
    "NdisOidRequest (DDI): the request belongs to NDIS until it completes",
    "a driver issues an NDIS_OID_REQUEST again only after its previous issue completed",
  ),
  NdisMNetPnPEventInOIDRequest: rule(
    "NdisMNetPnPEventInOIDRequest",
    "SDV rule NdisMNetPnPEventInOIDRequest",
    "NdisMNetPnPEvent is never called from MiniportOidRequest nor while an OID request the driver pended is outstanding",
  ),
  Irql_Wait_Function: rule(
    "Irql_Wait_Function",
    "NdisWaitEvent / NdisMSleep / KeWaitForSingleObject (DDI IRQL PASSIVE_LEVEL); a wait at DISPATCH_LEVEL bug-checks (0xA IRQL_NOT_LESS_OR_EQUAL)",
    "a driver blocks (NdisWaitEvent, NdisMSleep, KeWaitForSingleObject with a timeout other than zero, KeFlushQueuedDpcs) only at PASSIVE_LEVEL, never at DISPATCH_LEVEL nor while holding a spin lock",
  ),
  NdisAllocateMemoryWithTagPriority: rule(
    "NdisAllocateMemoryWithTagPriority",
    "SDV rule NdisAllocateMemoryWithTagPriority",
    "every NdisAllocateMemoryWithTagPriority call gives a pool tag (not zero), so that debuggers and Driver Verifier can tell its blocks apart",
    "warning",
  ),
  NdisFreeMemory_NotAllocated: rule(
    "NdisFreeMemory_NotAllocated",
    "bug check 0xC2 (BAD_POOL_CALLER): freeing memory that is not an allocation, or freeing it twice",
    "NdisFreeMemory gets a block NdisAllocateMemoryWithTagPriority returned to the same driver and that is not freed yet",
  ),
  Memory_LeakedAtUnload: rule(
    "Memory_LeakedAtUnload",
    "Driver Verifier pool tracking: bug check 0xC4/0x62 (a driver unloads without freeing its pool allocations)",
    "a driver frees every block of NdisAllocateMemoryWithTagPriority (and every lookaside list) before its unload handler returns",
  ),
} satisfies Record<string, VerifierRule>);

export type VerifierRuleId = keyof typeof VERIFIER_RULES;
