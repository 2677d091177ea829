/**
 * Status indications crossing a stack upwards: from the miniport (NdisMIndicateStatusEx, or NDIS
 * itself for NDIS_STATUS_RESET_START/END) or from a filter module (NdisFIndicateStatus) to the
 * next FilterStatus above, else to every open binding's ProtocolStatusEx.
 */
import type { NDIS_STATUS_INDICATION } from "../../../ndis/structs.js";
import { callHandler, currentFrame } from "../objects/context.js";
import type { Binding, FilterModule, MiniportAdapter } from "../objects/records.js";
import { edgeAbove } from "./crossing.js";

/**
 * The crossing of a status indication from `from` (null: the miniport) up the stack: to the next
 * filter module with a FilterStatus handler (it passes it on with NdisFIndicateStatus), else to
 * ProtocolStatusEx of every open binding (or only the one named by DestinationHandle).
 */
export function deliverStatus(
  adapter: MiniportAdapter,
  from: FilterModule | null,
  StatusIndication: NDIS_STATUS_INDICATION,
  only: Binding | null = null,
): void {
  const runtime = adapter.runtime;
  const irql = currentFrame().irql;
  const above = adapter.filters.length === 0 ? null : edgeAbove(adapter, from, "status");
  if (above !== null) {
    callHandler(
      runtime,
      above.driver,
      "FilterStatus",
      irql,
      above.block.chars.handlers.StatusHandler as (c: unknown, s: unknown) => void,
      above.context,
      StatusIndication,
    );
    return;
  }
  for (const binding of only === null ? [...adapter.bindings] : [only]) {
    if (binding.open !== "open") continue;
    const handler = binding.protocol.chars.handlers.StatusHandlerEx as
      | ((context: unknown, indication: NDIS_STATUS_INDICATION) => void)
      | undefined;
    if (handler === undefined) continue;
    callHandler(
      runtime,
      binding.driver,
      "ProtocolStatusEx",
      irql,
      handler,
      binding.context,
      StatusIndication,
    );
  }
}
