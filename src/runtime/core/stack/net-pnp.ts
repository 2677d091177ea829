/**
 * Network PnP and power events going up an adapter's stack: from the miniport side (NDIS itself,
 * or an IM driver's NdisMNetPnPEvent) through each filter module that has a FilterNetPnPEvent —
 * which passes the event on with NdisFNetPnPEvent, or answers it itself — to the protocols bound
 * on top (ProtocolNetPnPEvent). Pause and restart are not among them: filter modules get their own
 * FilterPause and FilterRestart. ("FILTER_NET_PNP_EVENT", "NdisFNetPnPEvent".)
 *
 * For a query (NetEventQueryPower, NetEventQueryRemoveDevice) the answer is the first refusal on
 * the way up, or SUCCESS; for any other event a filter's answer is not significant and NDIS takes
 * SUCCESS. A protocol that pends the event (NdisCompleteNetPnPEvent later) or a handler that
 * blocks makes the answer a promise.
 */
import { PASSIVE_LEVEL } from "../../../ndis/irql.js";
import {
  isNdisStatusValue,
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_SUCCESS,
} from "../../../ndis/status.js";
import {
  type NET_PNP_EVENT_NOTIFICATION,
  NetEventQueryPower,
  NetEventQueryRemoveDevice,
} from "../../../ndis/structs.js";
import { callDriver, isPromiseLike } from "../objects/context.js";
import type { Binding, FilterModule, MiniportAdapter } from "../objects/records.js";
import { bindingsOf, deliverPnPEvent } from "./binding.js";
import { edgeAbove } from "./crossing.js";
import { untilReturned } from "./filter.js";

type Answer = NDIS_STATUS | Promise<NDIS_STATUS>;

/** True when a filter module of `adapter`'s stack takes net PnP events. */
export function filtersTakeNetPnP(adapter: MiniportAdapter): boolean {
  return adapter.filters.length !== 0 && edgeAbove(adapter, null, "netPnp") !== null;
}

/** An event from below `from` (null: the miniport side) to the next edge above that takes it. */
export function netPnPUp(
  adapter: MiniportAdapter,
  from: FilterModule | null,
  notification: NET_PNP_EVENT_NOTIFICATION,
): Answer {
  const above = adapter.filters.length === 0 ? null : edgeAbove(adapter, from, "netPnp");
  if (above === null) return toBindings(adapter, notification);
  return toModule(above, notification);
}

function isQuery(notification: NET_PNP_EVENT_NOTIFICATION): boolean {
  const code = notification.NetPnPEvent.NetEvent;
  return code === NetEventQueryPower || code === NetEventQueryRemoveDevice;
}

/** FilterNetPnPEvent of `module` (PASSIVE_LEVEL). */
function toModule(module: FilterModule, notification: NET_PNP_EVENT_NOTIFICATION): Answer {
  const handler = module.block.chars.handlers.NetPnPEventHandler as (
    c: unknown,
    e: NET_PNP_EVENT_NOTIFICATION,
  ) => unknown;
  const returned = callDriver<unknown>(
    module.runtime,
    module.driver,
    "FilterNetPnPEvent",
    PASSIVE_LEVEL,
    () => handler(module.context, notification),
    () => NDIS_STATUS_FAILURE,
    `${module.name}: NetEvent ${notification.NetPnPEvent.NetEvent}`,
  );
  const query = isQuery(notification);
  const answer = (value: unknown): NDIS_STATUS => {
    if (!isNdisStatusValue(value)) {
      module.runtime.violate(
        "Callback_InvalidReturn",
        `FilterNetPnPEvent of ${module.name} returned ${String(value)}; it returns an NDIS_STATUS`,
        module.driver,
      );
      return query ? NDIS_STATUS_FAILURE : NDIS_STATUS_SUCCESS;
    }
    return query ? value : NDIS_STATUS_SUCCESS;
  };
  // A FilterNetPnPEvent that blocks has answered when it settles; one that never does is named by
  // the watchdog, and a module whose driver was stopped meanwhile answers as a failed call.
  if (isPromiseLike(returned))
    return untilReturned(
      module,
      "FilterNetPnPEvent",
      returned,
      answer,
      answer(NDIS_STATUS_FAILURE),
    );
  return answer(returned);
}

/** ProtocolNetPnPEvent of every bound protocol, in binding order; a query stops at a refusal. */
function toBindings(adapter: MiniportAdapter, notification: NET_PNP_EVENT_NOTIFICATION): Answer {
  const targets = bindingsOf(adapter).filter((b) => {
    const s = b.machine.state;
    return s !== "Unbound" && s !== "Opening" && s !== "Closing";
  });
  return fromBinding(targets, 0, notification, isQuery(notification));
}

function fromBinding(
  targets: Binding[],
  start: number,
  notification: NET_PNP_EVENT_NOTIFICATION,
  query: boolean,
): Answer {
  let pended: Promise<NDIS_STATUS>[] | null = null;
  for (let i = start; i < targets.length; i++) {
    const status = deliverPnPEvent(targets[i] as Binding, notification);
    if (isPromiseLike(status)) {
      // A query asks the next protocol only after this one answered; any other event goes to
      // every protocol at once.
      if (query)
        return status.then((settled) =>
          settled !== NDIS_STATUS_SUCCESS
            ? settled
            : fromBinding(targets, i + 1, notification, query),
        );
      pended ??= [];
      pended.push(status);
      continue;
    }
    if (query && status !== NDIS_STATUS_SUCCESS) return status;
  }
  if (pended !== null) return Promise.all(pended).then(() => NDIS_STATUS_SUCCESS);
  return NDIS_STATUS_SUCCESS;
}
