/**
 * Windows' own NDIS checkers, rule by rule, against this verifier's catalogue: the 51 NDIS rules
 * of Static Driver Verifier (7 rule sets, as the WDK's devtest pages list them) and Driver
 * Verifier's NDIS/WIFI rules. Each names the rules here that cover it, or says why it is not
 * covered. docs/verifier.md renders it (`npm run docs:verifier`); the test checks every id named
 * here is in the catalogue and the sets have the sizes Windows documents.
 */
import type { VerifierRuleId } from "./rules.js";

export interface WindowsRule {
  /** Where Windows has it: an SDV rule set, or Driver Verifier. */
  readonly set:
    | "IRQL"
    | "Memory usage"
    | "DDI usage"
    | "Miscellaneous"
    | "Locking"
    | "OID processing"
    | "Warning"
    | "Driver Verifier";
  /** Windows' name. */
  readonly name: string;
  /** The rules here that check it (empty: not covered). */
  readonly covered: readonly VerifierRuleId[];
  /** How, or why not. */
  readonly note: string;
}

const NO_DIRQL =
  "not applicable: these calls are legal at IRQL ≤ DISPATCH_LEVEL and nothing here runs above DISPATCH_LEVEL (no interrupts, no DIRQL), so no driver can break it";
const CONDIS = "not covered: connection-oriented NDIS (CoNDIS) is not modelled";
const HARDWARE = "not covered: no hardware — interrupts, DMA, I/O space are not modelled";

export const WINDOWS_RULES: readonly WindowsRule[] = [
  // IRQL rule set (20)
  {
    set: "IRQL",
    name: "Flags_Irql",
    covered: [],
    note: "not covered: the DDI has no KeGetCurrentIrql for a handler to call; NDIS passes the *_DISPATCH_LEVEL flags and checks the ones drivers pass back",
  },
  { set: "IRQL", name: "Irql_CallManager_Function", covered: [], note: CONDIS },
  { set: "IRQL", name: "Irql_Connection_Function", covered: [], note: CONDIS },
  {
    set: "IRQL",
    name: "Irql_Filter_Driver_Function",
    covered: [],
    note: "not covered yet: filter drivers (NdisF*) arrive separately; their IRQL checks are not in this catalogue",
  },
  { set: "IRQL", name: "Irql_Gather_DMA_Function", covered: [], note: HARDWARE },
  {
    set: "IRQL",
    name: "Irql_IM_Function",
    covered: ["Irql_IM_Function"],
    note: "NdisIMAssociateMiniport, NdisIMInitializeDeviceInstanceEx, NdisIMDeInitializeDeviceInstance, NdisIMGetBindingContext",
  },
  {
    set: "IRQL",
    name: "Irql_Interfaces_Function",
    covered: ["Irql_Interfaces_Function"],
    note: "partly: the interface stack calls (NdisIfAddIfStackEntry, NdisIfDeleteIfStackEntry); the NDIS_IF_* provider functions are not modelled",
  },
  { set: "IRQL", name: "Irql_Interrupt_Function", covered: [], note: HARDWARE },
  {
    set: "IRQL",
    name: "Irql_IrqlSetting_Function",
    covered: [],
    note: "not covered: the DDI has no NDIS_RAISE_IRQL_TO_DISPATCH/NDIS_LOWER_IRQL",
  },
  { set: "IRQL", name: "Irql_MCM_Function", covered: [], note: CONDIS },
  { set: "IRQL", name: "Irql_MCO_Function", covered: [], note: CONDIS },
  {
    set: "IRQL",
    name: "Irql_Miniport_Driver_Function",
    covered: ["Irql_Miniport_Driver_Function"],
    note: "registration, attributes, pause/restart completion and PnP DDIs of miniport drivers",
  },
  {
    set: "IRQL",
    name: "Irql_Miscellaneous_Function",
    covered: ["Irql_Miscellaneous_Function", "Irql_WorkItem_Function"],
    note: "configuration, optional handlers, work items; the rest of its list (strings, lookaside lists, files) is not in the DDI",
  },
  { set: "IRQL", name: "Irql_NetBuffer_Function", covered: [], note: NO_DIRQL },
  { set: "IRQL", name: "Irql_OID_Function", covered: [], note: NO_DIRQL },
  {
    set: "IRQL",
    name: "Irql_Protocol_Driver_Function",
    covered: ["Irql_Protocol_Driver_Function"],
    note: "partly: SDV's rule is about CoNDIS clients; here it checks the PASSIVE_LEVEL protocol DDIs (NdisOpenAdapterEx, NdisCloseAdapterEx, NdisMNetPnPEvent, …)",
  },
  { set: "IRQL", name: "Irql_SendRcv_Function", covered: [], note: NO_DIRQL },
  { set: "IRQL", name: "Irql_StatusIndication_Function", covered: [], note: NO_DIRQL },
  {
    set: "IRQL",
    name: "Irql_Synch_Function",
    covered: ["Irql_Synch_Function"],
    note: "partly: NdisDprAcquireSpinLock / NdisDprReleaseSpinLock below DISPATCH_LEVEL, NDIS_WAIT_FOR_MUTEX / NDIS_RELEASE_MUTEX above PASSIVE_LEVEL; the rest (≤ DISPATCH_LEVEL for spin, read-write locks and events) cannot be broken without a DIRQL",
  },
  {
    set: "IRQL",
    name: "Irql_Timer_Function",
    covered: ["Irql_Timer_Function"],
    note: "NdisAllocateTimerObject, NdisSetTimerObject, NdisCancelTimerObject, NdisFreeTimerObject",
  },
  // Memory usage rule set (8)
  {
    set: "Memory usage",
    name: "NdisAllocateGenericObject",
    covered: [],
    note: "not covered: generic objects are not in the DDI",
  },
  {
    set: "Memory usage",
    name: "NdisAllocateMdl",
    covered: [],
    note: "not covered: MDLs are JavaScript values here, not allocations NDIS tracks",
  },
  {
    set: "Memory usage",
    name: "NdisAllocateMemoryWithTagPriority",
    covered: [],
    note: "not covered in this catalogue: the tagged-memory DDI arrives separately (leaks by tag)",
  },
  {
    set: "Memory usage",
    name: "NdisAllocateNetBuffer",
    covered: ["Pool_LeakedAtHalt", "Pool_LeakedAtUnload", "NdisFreeNetBufferListPool_Outstanding"],
    note: "by pool: NET_BUFFERs still allocated when their pool is freed, at halt or at unload",
  },
  { set: "Memory usage", name: "NdisMFreeSharedMemory", covered: [], note: HARDWARE },
  {
    set: "Memory usage",
    name: "NdisMIndicateStatusEx",
    covered: ["InvalidNdisHandle", "NdisMIndicateStatusEx_Invalid"],
    note: "an indication after MiniportHaltEx uses a handle NDIS revoked",
  },
  { set: "Memory usage", name: "NdisMMapIoSpace", covered: [], note: HARDWARE },
  { set: "Memory usage", name: "NdisMRegisterIoPortRange", covered: [], note: HARDWARE },
  // DDI usage rule set (7)
  { set: "DDI usage", name: "Init_DeRegisterInterrupt", covered: [], note: HARDWARE },
  {
    set: "DDI usage",
    name: "Init_NdisAllocateIoWorkItem",
    covered: ["Init_NdisAllocateIoWorkItem"],
    note: "work items not freed by the end of MiniportHaltEx, of a failed MiniportInitializeEx, of an unbind, or at unload",
  },
  { set: "DDI usage", name: "Init_RegisterInterrupt", covered: [], note: HARDWARE },
  { set: "DDI usage", name: "Init_RegisterSG", covered: [], note: HARDWARE },
  {
    set: "DDI usage",
    name: "NdisFDeregisterFilterDriver",
    covered: [],
    note: "not covered yet: filter drivers arrive separately",
  },
  { set: "DDI usage", name: "NdisMDeregisterInterruptEx", covered: [], note: HARDWARE },
  {
    set: "DDI usage",
    name: "NullCheck",
    covered: ["DriverException"],
    note: "dynamically: a driver that dereferences NULL (null/undefined in TypeScript) throws, and the throw is reported and contained",
  },
  // Miscellaneous rule set (7)
  {
    set: "Miscellaneous",
    name: "CancelTimerObject",
    covered: ["CancelTimerObject", "Timer_LeakedAtUnload"],
    note: "timers still set when MiniportHaltEx ends, at an unbind, or freed while set",
  },
  {
    set: "Miscellaneous",
    name: "MiniportPause_Return",
    covered: ["MiniportPause_Return"],
    note: "MiniportPause returns only SUCCESS or PENDING",
  },
  {
    set: "Miscellaneous",
    name: "NdisOpenConfigurationEx",
    covered: ["NdisOpenConfigurationEx"],
    note: "configuration handles still open when MiniportHaltEx ends, at an unbind, or at unload",
  },
  {
    set: "Miscellaneous",
    name: "NdisQueryBindInstanceName",
    covered: [],
    note: "not covered: NdisQueryBindInstanceName is not in the DDI",
  },
  {
    set: "Miscellaneous",
    name: "NdisReEnumerateProtocolBindings",
    covered: [],
    note: "not covered: NdisReEnumerateProtocolBindings is not in the DDI",
  },
  {
    set: "Miscellaneous",
    name: "PeriodicTimer",
    covered: [],
    note: "not covered: cancelling a periodic timer at DISPATCH_LEVEL is not checked",
  },
  { set: "Miscellaneous", name: "WriteErrorLog", covered: [], note: HARDWARE },
  // Locking rule set (5)
  { set: "Locking", name: "SpinLock", covered: ["SpinLock"], note: "NdisAcquireSpinLock" },
  {
    set: "Locking",
    name: "SpinLockBalanced",
    covered: ["SpinLock"],
    note: "a lock still held when the handler that took it returns",
  },
  {
    set: "Locking",
    name: "SpinLockDpr",
    covered: ["SpinLockDpr"],
    note: "NdisDprAcquireSpinLock on a held lock (a lock still held at the handler's return is SpinLock)",
  },
  {
    set: "Locking",
    name: "SpinLockDprRelease",
    covered: ["SpinLockDprRelease"],
    note: "NdisDprReleaseSpinLock",
  },
  {
    set: "Locking",
    name: "SpinLockRelease",
    covered: ["SpinLockRelease"],
    note: "NdisReleaseSpinLock",
  },
  // OidProcessing rule set (3)
  {
    set: "OID processing",
    name: "DoubleComplete",
    covered: ["NdisMOidRequestComplete_NotPending"],
    note: "a request completed twice, or completed although a final status was returned",
  },
  {
    set: "OID processing",
    name: "DoubleCompleteWorkItem",
    covered: ["NdisMOidRequestComplete_NotPending"],
    note: "the same check, whatever context completes (a work item, a timer, a DPC)",
  },
  {
    set: "OID processing",
    name: "NdisMNetPnPEventInOIDRequest",
    covered: ["NdisMNetPnPEventInOIDRequest"],
    note: "NdisMNetPnPEvent inside MiniportOidRequest",
  },
  // Warning rule set (1)
  {
    set: "Warning",
    name: "NdisStallExecution_Delay",
    covered: [],
    note: "not covered: NdisStallExecution is not in the DDI",
  },
  // Driver Verifier's NDIS rules
  {
    set: "Driver Verifier",
    name: "NdisTimedOidComplete",
    covered: ["NdisTimedOidComplete"],
    note: "an OID request a miniport or filter module pended is completed within 12 s (watchdog, blames the holder)",
  },
  {
    set: "Driver Verifier",
    name: "NdisTimedDataSend",
    covered: ["NdisTimedDataSend"],
    note: "a send is completed within its limit",
  },
  {
    set: "Driver Verifier",
    name: "NdisTimedDataHang",
    covered: ["NdisTimedDataHang"],
    note: "an indicated receive is returned within its limit",
  },
  {
    set: "Driver Verifier",
    name: "NdisFilterTimedPauseComplete",
    covered: ["NdisTimedPauseComplete"],
    note: "applied to every pause, not only filters'",
  },
  {
    set: "Driver Verifier",
    name: "NdisFilterTimedDataSend",
    covered: ["NdisTimedDataSend"],
    note: "the same send watchdog, whatever driver holds the NBL",
  },
  {
    set: "Driver Verifier",
    name: "NdisFilterTimedDataHang",
    covered: ["NdisTimedDataHang"],
    note: "the same receive watchdog, whatever driver holds the NBL",
  },
  {
    set: "Driver Verifier",
    name: "Wlan* (WlanAssert, WlanAssociation, WlanTimed*, …)",
    covered: [],
    note: "not covered: native Wi-Fi (WDI/WLAN) is not modelled",
  },
];
