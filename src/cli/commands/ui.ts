/**
 * `ndis ui <recording.ndjson>`: the live view's page for a recorded trace (`ndis run
 * --trace-file`), stepped through with a slider; `ndis ui <driver> --replay <token>`: the same for
 * the one `ndis verify` run a failure's token names (replayed here, traced), with the failure's
 * report. Serves until SIGINT/SIGTERM.
 */
import { readFile } from "node:fs/promises";
import type { TraceEvent } from "../../index.js";
import { graphOfTrace, LiveFeed, startLiveServer, violationsOfTrace } from "../../live/index.js";
import { readTraceFile } from "../../trace/index.js";
import { replayRun } from "../../verify/index.js";
import type { Output } from "../output.js";
import type { RunEnvironment } from "./run.js";

export interface UiOptions {
  /** A recorded trace, or with `replay` the driver module `ndis verify` ran. */
  readonly input: string;
  /** A replay token of `ndis verify`. */
  readonly replay?: string;
  /** The service name the driver loads under in the replay (default imtest). */
  readonly service?: string;
  readonly port?: number;
}

/** Bad input: a file that is not a recording, a token that replays nothing. */
export class UiInputError extends Error {
  override readonly name = "UiInputError";
}

async function recorded(
  options: UiOptions,
): Promise<{ title: string; events: readonly TraceEvent[]; failure?: string }> {
  if (options.replay !== undefined) {
    let result: Awaited<ReturnType<typeof replayRun>>;
    try {
      result = await replayRun(options.replay, options.input, {
        ...(options.service === undefined ? {} : { service: options.service }),
      });
    } catch (err) {
      throw new UiInputError(err instanceof Error ? err.message : String(err));
    }
    const failure = result.failure ?? undefined;
    return {
      title: `ndis verify ${options.input} --replay ${options.replay} (${result.status})`,
      events: result.events ?? [],
      ...(failure === undefined ? {} : { failure }),
    };
  }
  let text: string;
  try {
    text = await readFile(options.input, "utf8");
  } catch (err) {
    throw new UiInputError(`cannot read ${options.input}: ${(err as Error).message}`);
  }
  try {
    return { title: options.input, events: readTraceFile(text) };
  } catch (err) {
    throw new UiInputError(`${options.input}: ${(err as Error).message}`);
  }
}

/** Serves the page until a signal; resolves with the exit code. */
export async function ui(
  options: UiOptions,
  out: Output,
  env: Pick<RunEnvironment, "signals"> = {},
): Promise<number> {
  const { title, events, failure } = await recorded(options);
  const feed = LiveFeed.replay({
    title,
    events,
    graph: graphOfTrace(events),
    violations: violationsOfTrace(events),
    ...(failure === undefined ? {} : { failure }),
  });
  const server = await startLiveServer({
    feed,
    ...(options.port === undefined ? {} : { port: options.port }),
  });
  const signals = env.signals ?? process;
  out.line(`live view of ${title}: ${server.url}  (${events.length} events; Ctrl-C stops)`);
  out.record("ui", { url: server.url, events: events.length });
  let onInt = () => {};
  let onTerm = () => {};
  const reason = await new Promise<string>((resolve) => {
    onInt = () => resolve("SIGINT");
    onTerm = () => resolve("SIGTERM");
    signals.once("SIGINT", onInt);
    signals.once("SIGTERM", onTerm);
  });
  signals.off("SIGINT", onInt);
  signals.off("SIGTERM", onTerm);
  await server.close();
  out.record("stopped", { reason });
  return 0;
}
