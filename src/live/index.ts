/**
 * The live view (`ndis run --ui`, `ndis ui`): a page on 127.0.0.1 that shows a running stack —
 * its graph, counters, DDI call timeline and violations — or a recorded trace. See
 * docs/live-view.md.
 */
export { frameFromCapture, LIVE_ACTIONS, stackActions } from "./actions.js";
export {
  type CounterRow,
  counterRows,
  type FeedClient,
  type Hello,
  LiveFeed,
  type LiveFeedOptions,
  MAX_EVENTS_PER_MESSAGE,
  RING_SIZE,
  type Tick,
  type ViolationView,
  violationView,
} from "./feed.js";
export {
  adapterId,
  bindingId,
  describeHost,
  type FilterModuleInfo,
  filterId,
  graphOf,
  graphOfTrace,
  type KnownNodeKind,
  type LiveEdge,
  type LiveGraph,
  type LiveNode,
  parseStateEvent,
  protocolId,
  type StackDescription,
} from "./graph.js";
export { violationsOfTrace } from "./replay.js";
export {
  type ActionHandler,
  type ActionRequest,
  type LiveServer,
  type LiveServerOptions,
  PAGE_DIR,
  refusal,
  startLiveServer,
} from "./server.js";
