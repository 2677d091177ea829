/** Stacks for the live view's tests. */
import { DEFAULT_STACK_NAME, DEFAULT_STACK_YAML, type Stack } from "../../src/stack/index.js";
import { parseStack } from "../../src/stack/load.js";

/** The default stack (examples/hub-ping.yaml) with pings that go on, every 100 ms, instead of four. */
export const PINGING_STACK_YAML = DEFAULT_STACK_YAML.replaceAll(
  "PingCount: 4",
  "PingCount: 100000",
).replaceAll("PingIntervalMs: 500", "PingIntervalMs: 100");

export function pingingStack(): Stack {
  return parseStack(PINGING_STACK_YAML, DEFAULT_STACK_NAME, process.cwd());
}
