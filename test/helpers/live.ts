/** Stacks for the live view's tests, and catching the address a command serves the view on. */
import { createOutput, type Output } from "../../src/cli/output.js";
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

/**
 * Runs `start` (`run` with `ui`, or `ui`) with an Output that hands over the live view's URL as
 * soon as the command prints it; `url` rejects if the command ends first.
 */
export function served(start: (out: Output) => Promise<number>): {
  url: Promise<string>;
  done: Promise<number>;
} {
  let found: (url: string) => void = () => {};
  const url = new Promise<string>((resolve) => {
    found = resolve;
  });
  const out = createOutput((text) => {
    const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(text);
    if (m?.[1] !== undefined) found(m[1]);
  });
  const done = start(out);
  return {
    url: Promise.race([url, done.then(() => Promise.reject(new Error("ended first")))]),
    done,
  };
}
