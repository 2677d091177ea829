/** Exporting a run's trace: Chrome trace-event JSON, Mermaid sequence diagrams, JSON-lines recordings. */
export {
  type ChromeTrace,
  type ChromeTraceEvent,
  type ChromeTraceOptions,
  NDIS_TID,
  PID,
  timestampsUs,
  toChromeTrace,
} from "./chrome.js";
export {
  DEFAULT_MAX_EVENTS,
  escapeMermaid,
  type MermaidOptions,
  toMermaidSequence,
} from "./mermaid.js";
export { formatTraceLine, readTraceFile, TraceFileError, writeTraceFile } from "./record.js";
