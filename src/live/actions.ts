/**
 * The host actions the live view's buttons ask for, on a running stack: pause and restart an
 * adapter's stack, cut and restore a hub adapter's link, surprise-remove an adapter, hand an
 * adapter a frame read from a pcap/pcapng file, and include the data path in the trace. Each
 * checks its arguments and answers with one line for the page, or rejects with why not.
 */
import { NdisError } from "../index.js";
import { readCapture } from "../pcap/pcapng.js";
import type { RunningStack } from "../stack/index.js";
import type { LiveFeed } from "./feed.js";
import type { ActionHandler, ActionRequest } from "./server.js";

/** The actions a running stack offers, by the name the page sends. */
export const LIVE_ACTIONS = [
  "pause",
  "restart",
  "link-down",
  "link-up",
  "surprise-remove",
  "inject",
  "data-path",
] as const;

function adapterArgument(request: ActionRequest, running: RunningStack): string {
  const adapter = request.adapter;
  if (typeof adapter !== "string" || running.host.adapter(adapter) === undefined)
    throw new NdisError(
      "NDIS_ERR_NO_SUCH_ADAPTER",
      `${request.action}: no adapter named ${JSON.stringify(adapter ?? null)}`,
    );
  return adapter;
}

/** The frame `request.frame` (1-based, default 1) of the base64 capture in `request.pcap`. */
export function frameFromCapture(request: ActionRequest): Uint8Array {
  if (typeof request.pcap !== "string" || request.pcap === "")
    throw new Error("inject: no capture file (pcap, base64) in the request");
  const frames = readCapture(new Uint8Array(Buffer.from(request.pcap, "base64")));
  const index = request.frame === undefined ? 1 : request.frame;
  if (typeof index !== "number" || !Number.isInteger(index) || index < 1 || index > frames.length)
    throw new Error(
      `inject: frame ${JSON.stringify(index)} is not in the capture (it has ${frames.length} frame${frames.length === 1 ? "" : "s"})`,
    );
  return (frames[index - 1] as { data: Uint8Array }).data;
}

/** The action handler of a running stack, whose trace `feed` shows. */
export function stackActions(running: RunningStack, feed: LiveFeed): ActionHandler {
  const { host } = running;
  return async (request) => {
    switch (request.action) {
      case "pause": {
        const info = await host.pauseStack(adapterArgument(request, running));
        return `${info.name} is ${info.state}`;
      }
      case "restart": {
        const info = await host.restartStack(adapterArgument(request, running));
        return `${info.name} is ${info.state}`;
      }
      case "link-down":
      case "link-up": {
        const adapter = adapterArgument(request, running);
        running.setLink(adapter, request.action === "link-up");
        return `${adapter}: link ${request.action === "link-up" ? "up" : "down"}`;
      }
      case "surprise-remove": {
        const adapter = adapterArgument(request, running);
        await host.removeAdapter(adapter, { surprise: true });
        return `${adapter} was surprise-removed`;
      }
      case "inject": {
        const adapter = adapterArgument(request, running);
        const frame = frameFromCapture(request);
        return `${adapter}: ${frame.length}-byte frame ${running.inject(adapter, frame)}`;
      }
      case "data-path": {
        feed.setDataPath(request.on === true);
        return `data-path calls ${feed.dataPath ? "traced" : "not traced"}`;
      }
      default:
        throw new Error(
          `unknown action ${JSON.stringify(request.action)} (${LIVE_ACTIONS.join(", ")})`,
        );
    }
  };
}
