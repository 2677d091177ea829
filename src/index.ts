/**
 * ndis-ts: NDIS 6 in TypeScript. The package root exports the DDI (NDIS's own names, for
 * drivers) and the host (the emulated OS, for programs that run drivers).
 */
export * from "./ddi.js";
export { DeviceFile, DeviceIoError } from "./host/device-file.js";
export {
  type AdapterInfo,
  type AddAdapterOptions,
  type AllocationSite,
  type BindingInfo,
  type BindingPath,
  type BindingPaths,
  type DriverInfo,
  type DriverModule,
  type HostOidAnswer,
  type HostOidRequest,
  type HostStatistics,
  type LiveObject,
  type LoadDriverOptions,
  type LoadDriverResult,
  type MiniportEdgeInfo,
  NdisHost,
  type NdisHostOptions,
  type PendingSite,
  type ProtocolEdgeInfo,
  type RegistryValue,
  type RemoveAdapterOptions,
  type UnreadRegistryValue,
} from "./host/host.js";
export { importModuleFile, registerDriverFileLoader } from "./host/module-import.js";

import { registerDriverFileLoader } from "./host/module-import.js";
import { loadWasmDriverFile } from "./wasm/load.js";

export { NdisError, type NdisErrorCode } from "./ndis/errors.js";
export { type HostClock, ManualClock, realClock } from "./runtime/core/base/clock.js";
export {
  type ChoicePoint,
  type ChoiceRecord,
  fifoStrategy,
  pctStrategy,
  randomStrategy,
  replayStrategy,
  SimScheduler,
  type SimSchedulerOptions,
  type Strategy,
  seededRandom,
  type UncaughtError,
} from "./runtime/core/base/scheduler.js";
export type { TraceEvent, TraceListener } from "./runtime/core/base/trace.js";
export type {
  DataPathCounters,
  FrameEvent,
  FrameListener,
} from "./runtime/core/objects/records.js";
export {
  type Severity,
  VERIFIER_RULES,
  type VerifierRule,
  type VerifierRuleId,
} from "./verifier/rules.js";
export {
  formatViolation,
  formatViolationReport,
  NdisBugCheckError,
  VERIFIER_MODES,
  type VerifierMode,
  type Violation,
} from "./verifier/violation.js";

export {
  type BuildOptions,
  type BuildResult,
  buildDriver,
  ToolchainMissing,
  toolchain,
  writeHeaders,
} from "./wasm/build.js";
export { loadWasmDriverFile } from "./wasm/load.js";

// C drivers compiled to WebAssembly load like any driver module.
registerDriverFileLoader(".wasm", loadWasmDriverFile);
