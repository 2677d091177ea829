/** NdisGetVersion. */
import { NDIS_LATEST_RUNTIME_VERSION } from "../../ndis/version.js";
import { currentFrame } from "../core/objects/context.js";

/**
 * NdisGetVersion: the running NDIS version as `(major << 16) | minor` — the version of the host
 * that is running the calling driver. Code running outside any host gets the newest version this
 * package emulates (6.89). Any IRQL.
 */
export function NdisGetVersion(): number {
  return currentFrame().runtime?.version.runtimeVersion ?? NDIS_LATEST_RUNTIME_VERSION;
}
