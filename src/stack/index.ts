/** Stack files: the format, the loader, and bringing a described stack up and down. */
export {
  type BuiltinDriver,
  builtinDriver,
  builtinDriverIds,
  type DriverReport,
  isModulePath,
  withFiles,
} from "./builtins.js";
export { DEFAULT_STACK_NAME, DEFAULT_STACK_YAML, defaultStack } from "./default.js";
export {
  formatProblem,
  loadStackFile,
  parseStack,
  type Stack,
  StackFileError,
  type StackProblem,
} from "./load.js";
export {
  type AdapterCounters,
  decodeOidAnswer,
  OidNameError,
  oidByName,
  queryEveryAdapter,
  type RunStatistics,
  StatisticsReader,
} from "./oids.js";
export { DURATION, durationMs, StackFile, stackFileJsonSchema } from "./schema.js";
export { type RunningStack, type StartStackOptions, startStack, stopStack } from "./start.js";
