/**
 * Filter modules: one instance of a filter driver attached to one adapter's stack, and NDIS's
 * side of its life — FilterAttach (the module calls NdisFSetAttributes there), FilterRestart
 * after FilterSetModuleOptions, FilterPause, FilterDetach — each through the filter module
 * machine (runtime/state/filter-machine.ts), and the module's place in the adapter's chain of
 * edges (`adapter.filters`, bottom to top) that the crossings of the data path, OIDs and status
 * indications walk.
 */

import {
  type NDIS_FILTER_ATTACH_PARAMETERS,
  NDIS_FILTER_ATTACH_PARAMETERS_REVISION_1,
  type NDIS_FILTER_PAUSE_PARAMETERS,
  NDIS_FILTER_PAUSE_PARAMETERS_REVISION_1,
  type NDIS_FILTER_RESTART_PARAMETERS,
  NDIS_FILTER_RESTART_PARAMETERS_REVISION_1,
} from "../../../ndis/filter.js";
import { PASSIVE_LEVEL } from "../../../ndis/irql.js";
import {
  NDIS_OBJECT_TYPE_FILTER_ATTACH_PARAMETERS,
  NDIS_OBJECT_TYPE_FILTER_PAUSE_PARAMETERS,
  NDIS_OBJECT_TYPE_FILTER_RESTART_PARAMETERS,
} from "../../../ndis/object-header.js";
import {
  isNdisStatusValue,
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NT_SUCCESS,
} from "../../../ndis/status.js";
import type { NET_DEVICE_PNP_EVENT } from "../../../ndis/structs.js";
import type { NDIS_HANDLE } from "../../../ndis/types.js";
import { FILTER_MACHINE, type FilterState } from "../../state/filter-machine.js";
import { isPromiseLike, StateMachine } from "../../state/machine.js";
import type { EntryPoint } from "../base/characteristics.js";
import { callDriver } from "../objects/context.js";
import { mintHandle, revokeHandle } from "../objects/handles.js";
import { reportSteps } from "../objects/machine-reporter.js";
import type { FilterDriverBlock, FilterModule, MiniportAdapter } from "../objects/records.js";
import { recvAdapterAt, sendEdgeAt } from "../objects/records.js";
import { reclaimOwnedBy } from "../objects/resources.js";
import { notifyDevicePnPEvent } from "./adapter.js";
import { untilHandlerReturned } from "./blocked.js";
import { edgeBelow } from "./crossing.js";
import { newCounters } from "./observe.js";
import { abortHeldOids } from "./oid.js";
import { restartAttributesAbove } from "./restart-attributes.js";

function describeValue(value: unknown): string {
  if (typeof value === "number") return `0x${(value >>> 0).toString(16).padStart(8, "0")}`;
  if (value === undefined) return "undefined";
  return `a ${typeof value}`;
}

function wake(module: FilterModule): void {
  for (const w of [...module.waiters]) w();
}

/** The modules of an adapter's stack that are attached (Attaching to Pausing), bottom to top. */
export function modulesOf(adapter: MiniportAdapter): FilterModule[] {
  return [...adapter.filters];
}

/**
 * Where a new module of `block` goes in `adapter`'s chain: filters sort by class (the install's
 * order number, lower nearer the miniport) and, within a class, by when their driver loaded.
 */
function insertionIndex(adapter: MiniportAdapter, block: FilterDriverBlock): number {
  const list = adapter.filters;
  let i = 0;
  while (i < list.length && (list[i] as FilterModule).block.install.order <= block.install.order)
    i++;
  return i;
}

/** Creates the module (Detached) and its handle, in its place in the adapter's chain. */
export function createModule(block: FilterDriverBlock, adapter: MiniportAdapter): FilterModule {
  const runtime = block.driver.runtime;
  const name = `${block.driver.name} on ${adapter.name}`;
  const h = block.chars.handlers;
  const module = {
    kind: "filter-module",
    runtime,
    block,
    driver: block.driver,
    adapter,
    name,
    context: undefined,
    attributesSet: false,
    inAttach: false,
    inSetModuleOptions: false,
    blockedIn: [],
    waiters: new Set<() => void>(),
    send: (h.SendNetBufferListsHandler as EntryPoint | undefined) ?? null,
    sendComplete: (h.SendNetBufferListsCompleteHandler as EntryPoint | undefined) ?? null,
    cancelSend: (h.CancelSendNetBufferListsHandler as EntryPoint | undefined) ?? null,
    receive: (h.ReceiveNetBufferListsHandler as EntryPoint | undefined) ?? null,
    returnHandler: (h.ReturnNetBufferListsHandler as EntryPoint | undefined) ?? null,
    sendsOutstanding: 0,
    sendsHeld: 0,
    receivesOutstanding: 0,
    receivesHeld: 0,
    completeFirst: null,
    completeLast: null,
    oidsPending: 0,
    oidsHeld: new Map(),
    restartRequested: false,
    counters: newCounters(),
    sendBelow: null,
    receiveAbove: null,
  } as Omit<FilterModule, "handle" | "machine"> as FilterModule;
  (module as { machine: FilterModule["machine"] }).machine = new StateMachine(
    FILTER_MACHINE,
    reportSteps(block.driver, `filter module ${name}`, () => {
      // Attached or detached, stopped or not: the stack's route may change (crossing.ts).
      runtime.routeEpoch++;
      if (module.machine.state === "Paused") checkModuleQuiet(module);
      wake(module);
    }),
  );
  (module as { handle: NDIS_HANDLE }).handle = mintHandle(`filter module ${name}`, module);
  block.modules.push(module);
  adapter.filters.splice(insertionIndex(adapter, block), 0, module);
  runtime.routeEpoch++;
  return module;
}

/**
 * Forgets a module: its handle is revoked and it leaves its adapter's chain; the OID requests it
 * still held go back to their issuers aborted.
 */
export function retireModule(module: FilterModule, ending: string | null): void {
  if (ending !== null) reclaimOwnedBy(module, ending);
  abortHeldOids(module);
  const list = module.block.modules;
  const i = list.indexOf(module);
  if (i >= 0) list.splice(i, 1);
  const chain = module.adapter.filters;
  const j = chain.indexOf(module);
  if (j >= 0) chain.splice(j, 1);
  // Out of the chain: nothing is below or above it any more (as edgeBelow answers for it).
  module.sendBelow = null;
  module.receiveAbove = null;
  module.runtime.routeEpoch++;
  revokeHandle(module.handle);
  wake(module);
}

/** Resolves once `done(state)` holds or the module is gone. */
export function waitForModule(
  module: FilterModule,
  done: (state: FilterState) => boolean,
): Promise<FilterState> {
  return new Promise((resolve) => {
    const check = () => {
      if (done(module.machine.state) || !module.adapter.filters.includes(module)) {
        module.waiters.delete(check);
        resolve(module.machine.state);
      }
    };
    module.waiters.add(check);
    check();
  });
}

/**
 * A PASSIVE_LEVEL handler of `module` that blocked: NDIS's next step for the module (`then`)
 * waits for it (untilHandlerReturned); the module is gone once its block no longer lists it.
 */
export function untilReturned<T, R>(
  module: FilterModule,
  handler: string,
  running: PromiseLike<T>,
  then: (value: T) => R,
  gone: R,
): Promise<R> {
  return untilHandlerReturned(
    module,
    handler,
    running,
    then,
    gone,
    () => !module.block.modules.includes(module),
  );
}

function header(Type: number, Revision: number) {
  return Object.freeze({ Type, Revision, Size: 0 });
}

/**
 * The module's lower interface. [MODEL] Filter modules get no interface of their own here: the
 * lower interface of every module is the miniport adapter's.
 */
function lowerIf(module: FilterModule): { ifIndex: number; netLuid: bigint } {
  return { ifIndex: module.adapter.ifIndex, netLuid: module.adapter.netLuid };
}

function attachParameters(module: FilterModule): NDIS_FILTER_ATTACH_PARAMETERS {
  const adapter = module.adapter;
  const general = adapter.general;
  const lower = lowerIf(module);
  return Object.freeze({
    Header: header(
      NDIS_OBJECT_TYPE_FILTER_ATTACH_PARAMETERS,
      NDIS_FILTER_ATTACH_PARAMETERS_REVISION_1,
    ),
    IfIndex: adapter.ifIndex,
    NetLuid: adapter.netLuid,
    FilterModuleGuidName: `${module.block.chars.UniqueName}-${adapter.name}`,
    LowerIfIndex: lower.ifIndex,
    LowerIfNetLuid: lower.netLuid,
    Flags: 0,
    CurrentMacAddress: new Uint8Array(general?.CurrentMacAddress ?? new Uint8Array(6)),
    MacAddressLength: general?.MacAddressLength ?? 6,
    MtuSize: general?.MtuSize ?? 1500,
    MaxXmitLinkSpeed: BigInt(general?.MaxXmitLinkSpeed ?? 0),
    MaxRcvLinkSpeed: BigInt(general?.MaxRcvLinkSpeed ?? 0),
    MediaConnectState: general?.MediaConnectState ?? 0,
    MediaDuplexState: general?.MediaDuplexState ?? 0,
    MiniportMediaType: general?.MediaType ?? 0,
    MiniportPhysicalMediaType: general?.PhysicalMediumType ?? 0,
    BaseMiniportName: adapter.name,
    BaseMiniportInstanceName: adapter.name,
    BaseMiniportIfIndex: adapter.ifIndex,
  });
}

/**
 * NDIS calls FilterAttach (PASSIVE_LEVEL). The driver must call NdisFSetAttributes in it; a
 * SUCCESS without it is a violation and NDIS treats the attach as failed. On failure the module
 * is detached again and forgotten. Returns the status the attach ended with.
 */
export function attachModule(module: FilterModule): NDIS_STATUS | Promise<NDIS_STATUS> {
  const { runtime, driver, block } = module;
  const attach = block.chars.handlers.AttachHandler as (
    h: NDIS_HANDLE,
    c: unknown,
    p: NDIS_FILTER_ATTACH_PARAMETERS,
  ) => unknown;
  const params = attachParameters(module);
  let status: NDIS_STATUS = NDIS_STATUS_FAILURE;
  let running: unknown;
  module.inAttach = true;
  try {
    running = module.machine.invoke(
      "FilterAttach",
      () =>
        callDriver(
          runtime,
          driver,
          "FilterAttach",
          PASSIVE_LEVEL,
          () => attach(module.handle, block.context, params),
          () => NDIS_STATUS_FAILURE,
          module.name,
        ),
      (returned) => {
        if (
          !isNdisStatusValue(returned) ||
          returned === NDIS_STATUS_PENDING ||
          (NT_SUCCESS(returned) && returned !== NDIS_STATUS_SUCCESS)
        ) {
          runtime.violate(
            "Callback_InvalidReturn",
            `FilterAttach of ${module.name} returned ${describeValue(returned)}; it returns SUCCESS or a failure status (it cannot pend)`,
            driver,
          );
          status = NDIS_STATUS_FAILURE;
        } else status = returned;
        if (status === NDIS_STATUS_SUCCESS && !module.attributesSet) {
          runtime.violate(
            "FilterAttach_MissingAttributes",
            `FilterAttach of ${module.name} returned SUCCESS without calling NdisFSetAttributes`,
            driver,
          );
          status = NDIS_STATUS_FAILURE;
        }
        return status === NDIS_STATUS_SUCCESS ? "FilterAttach:SUCCESS" : "FilterAttach:FAILURE";
      },
    );
  } catch (thrown) {
    module.inAttach = false;
    throw thrown;
  }
  const attached = (): NDIS_STATUS => {
    module.inAttach = false;
    if (status !== NDIS_STATUS_SUCCESS && module.block.modules.includes(module))
      retireModule(module, `FilterAttach of ${module.name} failed`);
    return status;
  };
  // A FilterAttach that blocks has returned (and NdisFSetAttributes is legal) until it settles.
  if (isPromiseLike(running))
    return untilReturned(module, "FilterAttach", running, attached, NDIS_STATUS_FAILURE);
  return attached();
}

/** NDIS calls FilterSetModuleOptions, if the driver has one (PASSIVE_LEVEL, module Paused). */
export function setModuleOptions(module: FilterModule): NDIS_STATUS | Promise<NDIS_STATUS> {
  const set = module.block.chars.handlers.SetFilterModuleOptionsHandler as
    | ((c: unknown) => unknown)
    | undefined;
  module.restartRequested = false;
  if (set === undefined) return NDIS_STATUS_SUCCESS;
  const { runtime, driver } = module;
  module.inSetModuleOptions = true;
  let returned: unknown;
  try {
    returned = callDriver<unknown>(
      runtime,
      driver,
      "FilterSetModuleOptions",
      PASSIVE_LEVEL,
      () => set(module.context),
      () => NDIS_STATUS_FAILURE,
      module.name,
    );
  } catch (thrown) {
    module.inSetModuleOptions = false;
    throw thrown;
  }
  const answer = (value: unknown): NDIS_STATUS => {
    module.inSetModuleOptions = false;
    if (!isNdisStatusValue(value) || value === NDIS_STATUS_PENDING) {
      runtime.violate(
        "Callback_InvalidReturn",
        `FilterSetModuleOptions of ${module.name} returned ${describeValue(value)}; it cannot pend`,
        driver,
      );
      return NDIS_STATUS_FAILURE;
    }
    return value;
  };
  if (isPromiseLike(returned))
    return untilReturned(module, "FilterSetModuleOptions", returned, answer, NDIS_STATUS_FAILURE);
  return answer(returned);
}

/** NDIS calls FilterRestart (PASSIVE_LEVEL); resolves with the status the restart ended with. */
export async function restartModule(module: FilterModule): Promise<NDIS_STATUS> {
  const { runtime, driver, adapter } = module;
  const lower = lowerIf(module);
  const params: NDIS_FILTER_RESTART_PARAMETERS = Object.freeze({
    Header: header(
      NDIS_OBJECT_TYPE_FILTER_RESTART_PARAMETERS,
      NDIS_FILTER_RESTART_PARAMETERS_REVISION_1,
    ),
    MiniportMediaType: adapter.general?.MediaType ?? 0,
    MiniportPhysicalMediaType: adapter.general?.PhysicalMediumType ?? 0,
    RestartAttributes: restartAttributesAbove(adapter),
    LowerIfIndex: lower.ifIndex,
    LowerIfNetLuid: lower.netLuid,
    Flags: 0,
  });
  const restart = module.block.chars.handlers.RestartHandler as (c: unknown, p: unknown) => unknown;
  const running = module.machine.invoke(
    "FilterRestart",
    () =>
      callDriver(
        runtime,
        driver,
        "FilterRestart",
        PASSIVE_LEVEL,
        () => restart(module.context, params),
        () => NDIS_STATUS_FAILURE,
        module.name,
      ),
    (returned) => {
      if (returned === NDIS_STATUS_SUCCESS) return "FilterRestart:SUCCESS";
      if (returned === NDIS_STATUS_PENDING) return "FilterRestart:PENDING";
      if (!isNdisStatusValue(returned) || NT_SUCCESS(returned)) {
        runtime.violate(
          "Callback_InvalidReturn",
          `FilterRestart of ${module.name} returned ${describeValue(returned)}; it returns SUCCESS, PENDING or a failure status`,
          driver,
        );
      }
      return "FilterRestart:FAILURE";
    },
  );
  // A FilterRestart that blocks is still running (the module Restarting) until it settles.
  if (isPromiseLike(running))
    await untilReturned(module, "FilterRestart", running, () => undefined, undefined);
  const state = await waitForModule(module, (s) => s !== "Restarting");
  return state === "Running" ? NDIS_STATUS_SUCCESS : NDIS_STATUS_FAILURE;
}

/** NDIS calls FilterPause (PASSIVE_LEVEL); resolves once the module is Paused. */
export async function pauseModule(module: FilterModule, reason: number): Promise<void> {
  const { runtime, driver } = module;
  const params: NDIS_FILTER_PAUSE_PARAMETERS = Object.freeze({
    Header: header(
      NDIS_OBJECT_TYPE_FILTER_PAUSE_PARAMETERS,
      NDIS_FILTER_PAUSE_PARAMETERS_REVISION_1,
    ),
    Flags: 0,
    PauseReason: reason,
  });
  const pause = module.block.chars.handlers.PauseHandler as (c: unknown, p: unknown) => unknown;
  const running = module.machine.invoke(
    "FilterPause",
    () =>
      callDriver(
        runtime,
        driver,
        "FilterPause",
        PASSIVE_LEVEL,
        () => pause(module.context, params),
        () => NDIS_STATUS_SUCCESS,
        module.name,
      ),
    (returned) => {
      if (returned === NDIS_STATUS_PENDING) return "FilterPause:PENDING";
      if (returned !== NDIS_STATUS_SUCCESS) {
        runtime.violate(
          "Callback_InvalidReturn",
          `FilterPause of ${module.name} returned ${describeValue(returned)}; a pause cannot fail, NDIS takes it as SUCCESS`,
          driver,
        );
      }
      return "FilterPause:SUCCESS";
    },
  );
  // A FilterPause that blocks is still running (the module Pausing) until it settles.
  if (isPromiseLike(running))
    await untilReturned(module, "FilterPause", running, () => undefined, undefined);
  await waitForModule(module, (s) => s !== "Pausing");
}

/**
 * Reported when a module reaches Paused with NBLs it originated still out, or NBLs it was given
 * still held. "Pausing a Filter Module": the filter waits for the sends and receive indications
 * IT originated, and completes/returns what it queued from the drivers above and below. What it
 * only passed on is not its to wait for: a send from above was waited for by its originator, paused
 * first (NDIS pauses top-down), and an indication from below is waited for by the driver that
 * made it (the miniport in MiniportPause, "Pausing a Binding"), so a pass-through receive still
 * held above when the module pauses is no bug of the module's.
 */
export function checkModuleQuiet(module: FilterModule): void {
  const held = module.sendsHeld + module.receivesHeld;
  let sends = 0;
  let receives = 0;
  if (module.sendsOutstanding + module.receivesOutstanding > 0) {
    // The NBLs that went out from this module first: its own (a pause is rare; the scan is cheap
    // next to it).
    for (const driver of module.runtime.drivers.values())
      for (const pool of driver.pools) {
        if (pool.kind !== "nbl-pool") continue;
        for (const nbl of pool.all) {
          if (sendEdgeAt(nbl, 0) === module) sends++;
          if (recvAdapterAt(nbl, 0) === module) receives++;
        }
      }
  }
  if (sends === 0 && receives === 0 && held === 0) return;
  module.runtime.violate(
    "FilterPause_NblsOutstanding",
    `${module.name} completed its pause with ${sends} send(s) it originated not completed, ${receives} indication(s) it originated not returned, and ${held} NBL(s) it was given and still holds (${module.sendsOutstanding} send(s) and ${module.receivesOutstanding} indication(s) out in all, the rest passed on for other drivers)`,
    module.driver,
  );
}

/**
 * NDIS calls FilterDetach (PASSIVE_LEVEL) on a Paused module, then forgets the module — once the
 * handler has returned: a FilterDetach that blocks (waiting for its own work to drain, as Npcap's
 * does) keeps the module, its handle and what it owns until it settles, and the returned promise
 * says when.
 */
export function detachModule(module: FilterModule): Promise<void> | undefined {
  const { runtime, driver } = module;
  const detach = module.block.chars.handlers.DetachHandler as (c: unknown) => unknown;
  if (module.oidsPending > 0 || module.oidsHeld.size > 0) {
    runtime.violate(
      "FilterDetach_RequestsPending",
      `NDIS detaches ${module.name} while ${module.oidsPending} OID request(s) it passed down are not completed and it holds ${module.oidsHeld.size} it never completed (NDIS completes those with NDIS_STATUS_REQUEST_ABORTED)`,
      driver,
    );
  }
  const retire = () => {
    if (module.block.modules.includes(module))
      retireModule(module, `FilterDetach of ${module.name} returned`);
  };
  let running: unknown;
  try {
    running = module.machine.invoke(
      "FilterDetach",
      () =>
        callDriver<unknown>(
          runtime,
          driver,
          "FilterDetach",
          PASSIVE_LEVEL,
          () => detach(module.context),
          () => undefined,
          module.name,
        ),
      () => null,
    );
  } catch (thrown) {
    retire();
    throw thrown;
  }
  if (isPromiseLike(running))
    return untilReturned(module, "FilterDetach", running, retire, undefined);
  retire();
  return undefined;
}

/**
 * The crossing of a device PnP event down from `from` (null: NDIS, at the top): to the next module
 * with a FilterDevicePnPEventNotify handler (it passes it on with NdisFDevicePnPEventNotify), else
 * to the miniport's MiniportDevicePnPEventNotify.
 */
export function devicePnPDown(
  adapter: MiniportAdapter,
  from: FilterModule | null,
  event: NET_DEVICE_PNP_EVENT,
): void {
  const below = edgeBelow(adapter, from, "devicePnp");
  if (below === null) {
    const info = event?.InformationBuffer;
    notifyDevicePnPEvent(adapter, event.DevicePnPEvent, info instanceof Uint8Array ? info : null);
    return;
  }
  const handler = below.block.chars.handlers.DevicePnPEventNotifyHandler as (
    c: unknown,
    e: NET_DEVICE_PNP_EVENT,
  ) => unknown;
  const running = callDriver<unknown>(
    below.runtime,
    below.driver,
    "FilterDevicePnPEventNotify",
    PASSIVE_LEVEL,
    () => handler(below.context, event),
    () => undefined,
    below.name,
  );
  // NdisFDevicePnPEventNotify returns nothing and NDIS takes no step after the handler; one that
  // blocks is still watched, so one that never returns is reported.
  if (isPromiseLike(running))
    untilReturned(below, "FilterDevicePnPEventNotify", running, () => undefined, undefined).catch(
      () => undefined,
    );
}
