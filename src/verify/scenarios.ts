/**
 * The conformance scenarios: each builds its own Rig, drives the IM driver under test through one
 * part of the NDIS 6 contract, and throws CheckFailed when the suite sees it broken. The runner
 * (index.ts) adds the verifier's findings, stopped drivers and leaked objects.
 */
import {
  MediaConnectStateConnected,
  MediaConnectStateDisconnected,
  makeOidRequest,
  type NDIS_HANDLE,
  NDIS_STATUS_BUFFER_TOO_SHORT,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_INVALID_OID,
  NDIS_STATUS_MEDIA_DISCONNECTED,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_REQUEST_ABORTED,
  NDIS_STATUS_RESET_END,
  NDIS_STATUS_RESET_IN_PROGRESS,
  NDIS_STATUS_RESET_START,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SEND_ABORTED,
  NDIS_STATUS_SUCCESS,
  NdisCancelOidRequest,
  NdisCancelSendNetBufferLists,
  NdisRequestQueryInformation,
  NdisRequestSetInformation,
  OID_802_3_CURRENT_ADDRESS,
} from "../index.js";
import {
  ANY_CANCEL_ID,
  type LowerAdapter,
  type UpperBinding,
  VERIFY_OID,
  VERIFY_OID_VALUE,
  VERIFY_OID_VARIABLE,
  variableByte,
} from "./drivers.js";
import { makeFrame, type NblShape } from "./frames.js";
import {
  CheckFailed,
  check,
  type DriverKind,
  type EnvironmentFault,
  type Rig,
  type RigOptions,
} from "./rig.js";

export interface Scenario {
  readonly name: string;
  /** What it checks, one line. */
  readonly description: string;
  /** The NDIS contract section it stands for. */
  readonly contract: string;
  /** Runs the scenario on a fresh rig; the rig's end state is checked by the runner. */
  readonly run: (rig: Rig) => Promise<void>;
  /** False when the scenario ends with the host unable to report live objects (shutdown). */
  readonly checkLeaks?: boolean;
  /**
   * True when its checks hold whatever faults the explorer injects into the driver under test
   * (an allocation failing with NDIS_STATUS_RESOURCES, an open or close pending).
   */
  readonly faults?: boolean;
  readonly rig?: Partial<Pick<RigOptions, "lowers" | "lowerResets">>;
  /** Roughly how long it takes against 1 for most (`--jobs` starts the longest first). */
  readonly cost?: number;
  /** The kinds of driver it applies to (DEFAULT_KINDS when absent); others skip it with a reason. */
  readonly kinds?: readonly DriverKind[];
}

/**
 * The kinds the stack scenarios apply to: an IM driver, or a filter driver whose module sits
 * where the IM would (the upper protocol bound to the lower adapter through it).
 */
export const DEFAULT_KINDS: readonly DriverKind[] = ["im", "filter"];

const hex = (status: number) => `0x${(status >>> 0).toString(16).toUpperCase()}`;

/**
 * `shape` with its frames no longer than an Ethernet header and the MTU of the adapter `up` is
 * bound to: a miniport refuses a larger frame (NDIS_STATUS_INVALID_LENGTH), rightly — a VXLAN
 * miniport's MTU is 1450 — so the suite's largest frames are the largest the adapter takes.
 */
function fitted(up: UpperBinding, shape: NblShape): NblShape {
  const largest = 14 + up.mtu;
  return shape.size <= largest ? shape : { ...shape, size: largest };
}

/**
 * Sends `nbls` NBLs of `shape` down through the IM and indicates as many up from the lower
 * adapter; checks every NBL completes and returns exactly once with every frame intact, in order.
 */
async function exchange(rig: Rig, lower: string, nbls: number, wanted: NblShape): Promise<void> {
  const shape = fitted(rig.upperOver(lower), wanted);
  const what = `${nbls} NBL(s) × ${shape.nbs} NB × ${shape.mdls} MDL, ${shape.size} bytes`;
  const up = rig.upperOver(lower);
  const down = rig.lowerAdapter(lower);
  // A team's sends may leave on any of its members: each member's share, in order.
  const members = rig.lowersUnder(lower).map((name) => rig.lowerAdapter(name));
  const sentBefore = members.map((m) => m.sentTags.length);
  const startedAt = rig.clock.now();
  const completedBefore = up.completed;
  const statusesBefore = up.completionStatuses.length;
  const tags = rig.upper.send(up, nbls, shape, rig.tags(nbls * shape.nbs));
  check(tags.length === nbls * shape.nbs, `send ${what}: the suite could not allocate the NBLs`);
  // A driver may pace its sends (a shaper, a delay): what it completes may still be on its way.
  const below = () => members.reduce((n, m, i) => n + m.sentTags.length - (sentBefore[i] ?? 0), 0);
  await rig.eventually(
    () => up.completed - completedBefore === nbls && below() >= tags.length,
    DEFER_MS,
  );
  const shares = members.map((m, i) => m.sentTags.slice(sentBefore[i]));
  const seen = shares.length === 1 ? (shares[0] as number[]) : shares.flat().sort((a, b) => a - b);
  // After a fault injected into the driver under test (its context allocation failed, say), a
  // send it completed NDIS_STATUS_RESOURCES legitimately never went down.
  const statuses = up.completionStatuses.slice(statusesBefore);
  const refused =
    rig.clock.faultsInjected > 0
      ? statuses.filter((s) => s === NDIS_STATUS_RESOURCES).length * shape.nbs
      : 0;
  check(
    (seen.length === tags.length || seen.length === tags.length - refused) &&
      shares.every((share) => inOrder(share, tags)),
    `send ${what}: the lower miniport got ${seen.length} of ${tags.length} frames${seen.length === tags.length ? " out of order" : ""}`,
  );
  const altered = members.find((m) => m.corrupt.length > 0);
  check(altered === undefined, `send ${what}: frame ${altered?.corrupt[0]} arrived altered below`);
  check(
    up.completed - completedBefore === nbls && up.outstanding.size === 0,
    `send ${what}: ${up.completed - completedBefore} of ${nbls} NBLs completed to the sender`,
  );
  check(
    up.badCompletions === 0,
    `send ${what}: an NBL was completed twice or was not the sender's`,
  );
  const failed = statuses.find(
    (s) => s !== NDIS_STATUS_SUCCESS && !(refused > 0 && s === NDIS_STATUS_RESOURCES),
  );
  check(failed === undefined, `send ${what}: completed with status ${hex(failed ?? 0)}`);

  // Receives come up the way the sends went down: a team in active-backup takes them from its
  // active member only (what a backup member receives it may drop).
  const from = members.find((_, i) => (shares[i]?.length ?? 0) > 0) ?? down;
  const receivedBefore = up.receivedTags.length;
  const returnedBefore = from.returned;
  const faultsBefore = rig.clock.faultsInjected;
  const rtags = rig.lower.indicate(from, nbls, shape, rig.tags(nbls * shape.nbs));
  // …and hold a receive a while, or pass a copy up later and return the original at once.
  await rig.eventually(
    () => from.indicated.size === 0 && up.receivedTags.length - receivedBefore >= rtags.length,
    DEFER_MS,
  );
  const got = up.receivedTags.slice(receivedBefore);
  // A driver that copies receives into NBLs of its own drops the frame whose allocation an
  // injected fault failed: legal (a receive is not acknowledged), as long as what arrives is
  // intact and in order and every NBL indicated comes back.
  // A team may fail over (or back) when time passes — an explorer time choice lets its timers
  // run inside the exchange — and drop what then arrives on the member it no longer uses.
  const dropsAllowed =
    rig.clock.faultsInjected > faultsBefore ||
    (members.length > 1 && rig.clock.now() !== startedAt);
  check(
    (got.length === rtags.length || (dropsAllowed && got.length < rtags.length)) &&
      inOrder(got, rtags),
    `receive ${what}: the upper protocol got ${got.length} of ${rtags.length} frames${got.length === rtags.length ? " out of order" : ""}`,
  );
  check(up.corrupt.length === 0, `receive ${what}: frame ${up.corrupt[0]} arrived altered above`);
  check(
    from.returned - returnedBefore === nbls && from.indicated.size === 0,
    `receive ${what}: ${from.returned - returnedBefore} of ${nbls} indicated NBLs came back to the lower miniport (NdisReturnNetBufferLists)`,
  );
  check(from.badReturns === 0, `receive ${what}: an NBL was returned twice or was never indicated`);
}

const SMOKE: NblShape = { nbs: 1, mdls: 1, size: 60 };

/** True when `seen` is `sent` with some left out: nothing added, doubled or reordered. */
function inOrder(seen: readonly number[], sent: readonly number[]): boolean {
  let at = 0;
  for (const tag of seen) {
    while (at < sent.length && sent[at] !== tag) at++;
    if (at === sent.length) return false;
    at++;
  }
  return true;
}

/**
 * True when the driver under test answered an OID itself as one it does not support
 * (NDIS_STATUS_NOT_SUPPORTED or NDIS_STATUS_INVALID_OID) and never passed it to the lower miniport.
 */
function notPassedDown(
  down: LowerAdapter,
  seenBefore: number,
  status: number | undefined,
): boolean {
  return (
    down.verifyOids === seenBefore &&
    (status === NDIS_STATUS_NOT_SUPPORTED || status === NDIS_STATUS_INVALID_OID)
  );
}

async function removeIn(rig: Rig, order: "adapter" | "im", surprise = false): Promise<void> {
  if (order === "im")
    await rig.drive(`unloading ${rig.service}`, rig.host.unloadDriver(rig.service));
  for (const name of rig.lowers)
    await rig.drive(`removing ${name}`, rig.host.removeAdapter(name, { surprise }));
  check(
    rig.virtualMiniports().length === 0,
    `virtual miniports left after their lower adapters went: ${rig.virtualMiniports().join(", ")}`,
  );
  await rig.down();
}

async function oidRequest(
  rig: Rig,
  handle: NDIS_HANDLE,
  type: number,
  length: number,
  requestId: unknown = null,
  oid = VERIFY_OID,
) {
  const request = makeOidRequest({
    RequestType: type,
    Oid: oid,
    InformationBuffer: new Uint8Array(length),
    RequestId: requestId,
  });
  const binding = rig.upper.bindings.find((b) => b.handle === handle);
  check(binding !== undefined, "the upper protocol has no binding for that handle");
  const status = rig.upper.request(binding, request);
  await rig.settle();
  return { request, status };
}

/** The final status of a request: its return value, or its completion. */
function finalStatus(
  rig: Rig,
  lower: string,
  started: { request: ReturnType<typeof makeOidRequest>; status: number },
): number | undefined {
  if (started.status !== NDIS_STATUS_PENDING) return started.status;
  return rig.upperOver(lower).oidCompletions.find((c) => c.request === started.request)?.status;
}

/** One thing that happens in a race: its label (`actor: what`) and the act. */
type Act = readonly [label: string, act: () => void];

/**
 * Posts each act as a task on the scheduler: the strategy picks the order they (and everything
 * they set off) run in, then the race runs to rest.
 */
export async function race(rig: Rig, acts: readonly Act[]): Promise<void> {
  for (const [label, act] of acts) rig.clock.post(act, label);
  // The faults of the environment the explorer may inject, as more acts (the scheduler keeps
  // their budget: once one is injected, the others are not offered).
  for (const site of ENVIRONMENT_FAULTS) {
    if (!rig.clock.fault(site, null)) continue;
    rig.injected.add(site);
    INJECT[site](rig);
  }
  await rig.settle();
  // After a link flap a driver may debounce the link coming back (a team's up delay): the
  // traffic that follows waits, as a protocol would, until the link is up again above.
  if (rig.injected.has("link flap"))
    await rig.eventually(
      () =>
        openBindings(rig).every(
          (b) => b.linkStates.length === 0 || b.linkStates.at(-1) === MediaConnectStateConnected,
        ),
      LINK_DEBOUNCE_MS,
    );
}

/**
 * Faults of the environment a race may be given, by site name: the lower adapters' links go
 * down and come back up; the protocol above cancels its sends (every send it makes carries a
 * cancel ID, ANY_CANCEL_ID unless the scenario gives one); it cancels its OID requests still
 * pending.
 */
const INJECT = {
  "link flap": (rig: Rig) => {
    // A miniport under test has no link the suite can pull.
    if (rig.kind === "miniport") return;
    // A device already gone when its turn comes indicates nothing.
    // Down, then up: the up is posted by the down, so the link always ends up (two independent
    // tasks could run in the other order and leave it down, which is no flap).
    for (const name of rig.lowers) {
      const down = rig.lowerAdapter(name);
      rig.clock.post(() => {
        if (!down.gone) rig.lower.setLink(down, false);
        rig.clock.post(() => {
          if (!down.gone) rig.lower.setLink(down, true);
        }, `vfylower: link up on ${name} (injected)`);
      }, `vfylower: link down on ${name} (injected)`);
    }
  },
  "send cancel": (rig: Rig) =>
    rig.clock.post(() => {
      for (const b of openBindings(rig)) NdisCancelSendNetBufferLists(b.handle, ANY_CANCEL_ID);
    }, "vfyupper: cancel its sends (injected)"),
  "OID cancel": (rig: Rig) =>
    rig.clock.post(() => {
      for (const b of openBindings(rig))
        for (const request of b.oidsPending) NdisCancelOidRequest(b.handle, request.RequestId);
    }, "vfyupper: cancel its pending OID requests (injected)"),
} as const satisfies Record<EnvironmentFault, (rig: Rig) => void>;

export type { EnvironmentFault };

/** The environment's faults, in the order a race offers them. */
export const ENVIRONMENT_FAULTS = Object.keys(INJECT) as readonly EnvironmentFault[];

/** The upper protocol's bindings that are open and not unbinding, with their handles. */
function openBindings(rig: Rig): (UpperBinding & { handle: NDIS_HANDLE })[] {
  return rig.upper.bindings.filter(
    (b): b is UpperBinding & { handle: NDIS_HANDLE } =>
      b.handle !== undefined && b.unbindContext === undefined,
  );
}

/** A race act: the protocol above sends `nbls` NBLs on `up` (with `cancelId`, when given). */
function sendAct(rig: Rig, up: UpperBinding, nbls: number, cancelId?: string): Act {
  const id = cancelId === undefined ? "" : ` (ID ${cancelId})`;
  return [
    `vfyupper: send ${nbls} NBLs${id}`,
    () => rig.upper.send(up, nbls, SMOKE, rig.tags(nbls), cancelId),
  ];
}

/**
 * A race act: the miniport below indicates `nbls` NBLs on `down`; with "choose", the explorer
 * decides whether under NDIS_RECEIVE_FLAGS_RESOURCES.
 */
function indicateAct(rig: Rig, down: LowerAdapter, nbls: number, resources?: "choose"): Act {
  return [
    `vfylower: indicate ${nbls} NBLs`,
    () => rig.lower.indicate(down, nbls, SMOKE, rig.tags(nbls), resources),
  ];
}

/** A host operation started inside a race, for the scenario to wait on after it. */
class Started {
  promise: Promise<unknown> | null = null;
  readonly what: string;
  constructor(what: string) {
    this.what = what;
  }
  start(rig: Rig, operation: () => Promise<unknown>): () => void {
    return () => {
      this.promise = rig.track(operation());
    };
  }
  async finish(rig: Rig): Promise<void> {
    check(this.promise !== null, `${this.what} never started`);
    await rig.drive(this.what, this.promise);
  }
}

/** The source MAC of the frames a protocol under test is made to send. */
const HOOK_SOURCE = Uint8Array.of(2, 0x76, 0x66, 0x79, 0xfe, 1);

/**
 * The sends a protocol under test makes through its hook (ProtocolSendHook): how many it was
 * asked for, and how many of their outcomes (a status, or a promise) have settled.
 */
class ProtocolSends {
  asked = 0;
  settled = 0;
  readonly #rig: Rig;
  constructor(rig: Rig) {
    this.#rig = rig;
  }
  /** Whether the protocol under test can be made to send at all. */
  get possible(): boolean {
    return this.#rig.protocolSendHook !== null;
  }
  /** Asks the protocol for `n` sends of one 60-byte frame each on its binding to `adapter`. */
  send(adapter: string, n: number): void {
    const rig = this.#rig;
    const hook = rig.protocolSendHook;
    if (hook === null || rig.driverObject === null) return;
    for (let i = 0; i < n; i++) {
      const frame = makeFrame(60, rig.tags(1), HOOK_SOURCE);
      this.asked++;
      let outcome: unknown;
      try {
        outcome = hook(rig.driverObject, adapter, frame);
      } catch (error) {
        throw new CheckFailed(`${rig.service}'s verifySend threw: ${String(error)}`);
      }
      const done = () => {
        this.settled++;
      };
      if (outcome !== null && typeof (outcome as { then?: unknown }).then === "function")
        (outcome as Promise<unknown>).then(done, done);
      else done();
    }
  }
  act(adapter: string, n: number): Act {
    return [`${this.#rig.service}: send ${n} frame(s) (verifySend)`, () => this.send(adapter, n)];
  }
  /** Every send it was asked for has ended (its completion came back to it). */
  async accounted(): Promise<void> {
    const rig = this.#rig;
    await rig.eventually(() => this.settled === this.asked, DEFER_MS);
    check(
      this.settled === this.asked,
      `${this.asked - this.settled} of ${this.asked} send(s) ${rig.service} was asked for never ended (their completion never reached the writer)`,
    );
  }
}

/**
 * The protocol under test sent nothing NDIS refused for a binding not Running: it sent while its
 * binding was pausing or paused (after its NetEventPause, before its NetEventRestart).
 */
function sentWhilePaused(rig: Rig, adapter: string): void {
  const stats = rig.host
    .statistics()
    .bindings.find((b) => b.protocol === rig.protocolName && b.adapter === adapter);
  const refused = stats?.sendsRefused ?? 0;
  check(
    refused === 0,
    `${rig.service} sent ${refused} frame(s) on its binding to ${adapter} while the binding was pausing or paused (NDIS refused them NDIS_STATUS_PAUSED)`,
  );
}

/** Every send the upper protocol made completed exactly once, with an acceptable status. */
async function sendsAccounted(rig: Rig, lower: string, allowed: readonly number[]): Promise<void> {
  const up = rig.upperOver(lower);
  await rig.eventually(() => up.outstanding.size === 0, DEFER_MS);
  // An injected send cancel may abort any send still cancellable.
  // An injected send cancel may abort any send still cancellable; while an injected link flap
  // has the link down, a driver may fail sends NDIS_STATUS_MEDIA_DISCONNECTED (a team with every
  // member down does).
  const statuses = [
    ...allowed,
    ...(rig.injected.has("send cancel") ? [NDIS_STATUS_SEND_ABORTED] : []),
    ...(rig.injected.has("link flap") ? [NDIS_STATUS_MEDIA_DISCONNECTED] : []),
  ];
  check(up.outstanding.size === 0, `${up.outstanding.size} send(s) never completed to the sender`);
  check(up.badCompletions === 0, "a send was completed twice, or an NBL not sent was completed");
  const odd = up.completionStatuses.find((s) => !statuses.includes(s));
  check(odd === undefined, `a send completed with ${hex(odd ?? 0)}`);
}

/** Every NBL the lower miniport indicated came back exactly once. */
async function receivesAccounted(rig: Rig, lower: string): Promise<void> {
  const down = rig.lowerAdapter(lower);
  await rig.eventually(() => down.indicated.size === 0, DEFER_MS);
  check(down.indicated.size === 0, `${down.indicated.size} receive(s) never came back below`);
  check(down.badReturns === 0, "an NBL was returned below twice, or one never indicated");
}

/**
 * How long the suite waits for a link change to be re-indicated above (host time): a legal
 * debounce fits, and it stays well inside the watchdogs' limits (a pause 10 s, an OID 12 s).
 */
export const LINK_DEBOUNCE_MS = 5_000;

/**
 * How long (host time) the suite waits for what a driver may legally hold a while before it
 * passes it on or gives it back — sends completed or received NBLs returned from a timer or a
 * work item, frames paced out: NDIS sets no deadline short of its watchdogs. A check waits only
 * when what it expects has not happened yet, so a driver that does not defer sees no time pass.
 */
const DEFER_MS = 5_000;

const SENT_OK = [NDIS_STATUS_SUCCESS, NDIS_STATUS_PAUSED, NDIS_STATUS_RESOURCES];

export const SCENARIOS: readonly Scenario[] = [
  {
    name: "bring-up-adapter-first",
    description:
      "the lower adapter exists before the IM driver loads; traffic flows; the adapter is removed before the IM driver unloads",
    contract:
      "IM driver bring-up: ProtocolBindAdapterEx, NdisIMInitializeDeviceInstanceEx, MiniportInitializeEx; orderly removal",
    run: async (rig) => {
      await rig.up("adapter-first");
      await exchange(rig, rig.lower0, 1, SMOKE);
      await removeIn(rig, "adapter");
    },
  },
  {
    name: "bring-up-im-first",
    description:
      "the IM driver loads before its lower adapters arrive (two of them); it is unloaded while its bindings are open",
    contract:
      "IM driver bring-up on adapter arrival; MiniportDriverUnload / unbind with bindings open",
    rig: { lowers: ["lower0", "lower1"] },
    run: async (rig) => {
      await rig.up("im-first");
      await exchange(rig, rig.lower0, 1, SMOKE);
      await exchange(rig, rig.lower1, 1, SMOKE);
      await removeIn(rig, "im");
    },
  },
  {
    name: "surprise-removal",
    description: "the lower adapter vanishes (surprise removal) while the stack is idle",
    contract: "NdisDevicePnPEventSurpriseRemoved, then unbind and halt of the virtual miniport",
    run: async (rig) => {
      await rig.up();
      await exchange(rig, rig.lower0, 1, SMOKE);
      await removeIn(rig, "adapter", true);
    },
  },
  {
    name: "send-receive-matrix",
    cost: 10,
    description:
      "batches of 1/16/64 NBLs × 1 or 3 NBs × 1 or 3 MDLs × 60/1514-byte frames, down and up: every NBL completes or returns exactly once, every frame arrives intact and in order",
    contract:
      "Send and receive paths: NdisSendNetBufferLists … NdisMSendNetBufferListsComplete; NdisMIndicateReceiveNetBufferLists … NdisReturnNetBufferLists",
    run: async (rig) => {
      await rig.up();
      for (const nbls of [1, 16, 64])
        for (const nbs of [1, 3])
          for (const mdls of [1, 3])
            for (const size of [60, 1514])
              await exchange(rig, rig.lower0, nbls, { nbs, mdls, size });
      await rig.down();
    },
  },
  {
    name: "pause-restart-under-traffic",
    description:
      "a pause of the lower binding while sends are held at the lower miniport waits for them; a pause of the virtual miniport while receives are held above waits for them; traffic resumes after restart",
    contract:
      "Pausing a driver stack: NetEventPause waits for outstanding sends; MiniportPause waits for sends and indicated receives (NdisMPauseComplete)",
    run: async (rig) => {
      await rig.up();
      const down = rig.lowerAdapter(rig.lower0);
      const up = rig.upperOver(rig.lower0);
      // Sends in flight at the lower miniport when the lower stack's pause starts.
      rig.lower.control.holdSends = true;
      rig.upper.send(up, 16, SMOKE, rig.tags(16));
      await rig.eventually(() => down.held.length === 16, DEFER_MS);
      check(
        down.held.length === 16,
        `only ${down.held.length} of 16 sends reached the lower miniport`,
      );
      let paused = false;
      const pausing = rig.track(rig.host.pauseStack(rig.lower0)).then(() => {
        paused = true;
      });
      await rig.settle();
      await rig.advance(1000);
      check(
        !paused,
        "the lower stack's pause completed while 16 forwarded sends were still out below",
      );
      rig.lower.control.holdSends = false;
      rig.lower.completeHeld(down);
      await rig.drive("pausing lower0", pausing);
      await rig.eventually(() => up.outstanding.size === 0, DEFER_MS);
      check(
        up.outstanding.size === 0,
        `${up.outstanding.size} sends never completed to the sender`,
      );
      await rig.drive("restarting lower0", rig.host.restartStack(rig.lower0));
      await exchange(rig, rig.lower0, 4, SMOKE);

      // Receives held above when the virtual miniport's pause starts.
      const vm = rig.vmOver(rig.lower0);
      rig.upper.control.holdReceives = true;
      rig.lower.indicate(down, 8, SMOKE, rig.tags(8));
      await rig.eventually(() => up.held.length === 8, DEFER_MS);
      check(
        up.held.length === 8,
        `only ${up.held.length} of 8 receives reached the upper protocol`,
      );
      paused = false;
      const pausingVm = rig.track(rig.host.pauseStack(vm)).then(() => {
        paused = true;
      });
      await rig.settle();
      await rig.advance(1000);
      rig.upper.control.holdReceives = false;
      check(
        !paused,
        `the pause of ${vm} completed while 8 NBLs it indicated were still held above it`,
      );
      rig.upper.returnHeld(up);
      await rig.drive(`pausing ${vm}`, pausingVm);
      check(down.indicated.size === 0, `${down.indicated.size} receives never came back below`);
      await rig.drive(`restarting ${vm}`, rig.host.restartStack(vm));
      await exchange(rig, rig.lower0, 4, SMOKE);
      await rig.down();
    },
  },
  {
    name: "send-cancel",
    description:
      "sends held below are cancelled from above by cancel ID: exactly those complete NDIS_STATUS_SEND_ABORTED, the others complete later with SUCCESS",
    contract:
      "Canceling a send: NdisCancelSendNetBufferLists → MiniportCancelSend, passed down by the IM driver",
    run: async (rig) => {
      await rig.up();
      const down = rig.lowerAdapter(rig.lower0);
      const up = rig.upperOver(rig.lower0);
      rig.lower.control.holdSends = true;
      rig.upper.send(up, 8, SMOKE, rig.tags(8), "vfy-cancel-a");
      rig.upper.send(up, 8, SMOKE, rig.tags(8), "vfy-cancel-b");
      await rig.eventually(() => down.held.length === 16, DEFER_MS);
      check(
        down.held.length === 16,
        `only ${down.held.length} of 16 sends reached the lower miniport`,
      );
      const before = up.completionStatuses.length;
      NdisCancelSendNetBufferLists(up.handle as NDIS_HANDLE, "vfy-cancel-a");
      await rig.eventually(() => up.completionStatuses.length - before >= 8, DEFER_MS);
      const aborted = up.completionStatuses.slice(before);
      check(
        aborted.length === 8 && aborted.every((s) => s === NDIS_STATUS_SEND_ABORTED),
        `cancelling 8 of 16 held sends completed ${aborted.length} to the sender${aborted.length === 0 ? " (the cancel never reached the miniport below)" : ""}, with ${aborted.map(hex).join(", ") || "nothing"}`,
      );
      rig.lower.control.holdSends = false;
      rig.lower.completeHeld(down);
      await rig.eventually(() => up.completionStatuses.length - before >= 16, DEFER_MS);
      const rest = up.completionStatuses.slice(before + 8);
      check(
        rest.length === 8 && rest.every((s) => s === NDIS_STATUS_SUCCESS),
        `the 8 sends not cancelled completed ${rest.length} time(s), with ${rest.map(hex).join(", ") || "nothing"}`,
      );
      check(
        up.outstanding.size === 0 && up.badCompletions === 0,
        "a send was lost or completed twice",
      );
      await exchange(rig, rig.lower0, 4, SMOKE);
      await rig.down();
    },
  },
  {
    name: "receive-resources",
    description:
      "receives indicated with NDIS_RECEIVE_FLAGS_RESOURCES reach the protocol above intact and are never returned (the miniport owns them again when the indication returns)",
    contract:
      "NDIS_RECEIVE_FLAGS_RESOURCES: the NBLs are the miniport's once NdisMIndicateReceiveNetBufferLists returns; NdisReturnNetBufferLists only for the others",
    run: async (rig) => {
      await rig.up();
      const down = rig.lowerAdapter(rig.lower0);
      const up = rig.upperOver(rig.lower0);
      for (const shape of [SMOKE, { nbs: 3, mdls: 3, size: 1514 }]) {
        const before = up.receivedTags.length;
        const tags = rig.lower.indicate(down, 16, shape, rig.tags(16 * shape.nbs), true);
        await rig.eventually(() => up.receivedTags.length - before >= tags.length, DEFER_MS);
        const got = up.receivedTags.slice(before);
        check(
          got.length === tags.length && got.every((t, i) => t === tags[i]),
          `receive with NDIS_RECEIVE_FLAGS_RESOURCES: the upper protocol got ${got.length} of ${tags.length} frames`,
        );
        check(up.corrupt.length === 0, `frame ${up.corrupt[0]} arrived altered above`);
        check(
          down.badReturns === 0,
          "NBLs indicated with NDIS_RECEIVE_FLAGS_RESOURCES were returned",
        );
      }
      await exchange(rig, rig.lower0, 4, SMOKE);
      await rig.down();
    },
  },
  {
    name: "oid-requests",
    description:
      "queries and sets through the IM with short buffers (BUFFER_TOO_SHORT / INVALID_LENGTH with BytesNeeded), a request the lower miniport pends, and a cancelled one",
    contract:
      "OID requests: NdisOidRequest / MiniportOidRequest, NdisMOidRequestComplete, NdisCancelOidRequest (NDIS_STATUS_REQUEST_ABORTED)",
    run: async (rig) => {
      await rig.up();
      const up = rig.upperOver(rig.lower0);
      const handle = up.handle as NDIS_HANDLE;
      const down = rig.lowerAdapter(rig.lower0);

      // A driver may answer an OID it does not support itself (NOT_SUPPORTED or INVALID_OID)
      // instead of passing it down — a MUX keeps its VELANs' sets to itself; what reaches the
      // lower miniport must come back with its answer.
      let seen = down.verifyOids;
      const short = await oidRequest(rig, handle, NdisRequestQueryInformation, 2);
      const shortStatus = finalStatus(rig, rig.lower0, short);
      const queriesStop = notPassedDown(down, seen, shortStatus);
      check(
        queriesStop || shortStatus === NDIS_STATUS_BUFFER_TOO_SHORT,
        `a query with a 2-byte buffer ended ${shortStatus === undefined ? "never" : hex(shortStatus)}, not NDIS_STATUS_BUFFER_TOO_SHORT`,
      );
      check(
        queriesStop || short.request.DATA.QUERY_INFORMATION.BytesNeeded === 4,
        `a short query came back with BytesNeeded ${short.request.DATA.QUERY_INFORMATION.BytesNeeded}, not 4`,
      );
      seen = down.verifyOids;
      const shortSet = await oidRequest(rig, handle, NdisRequestSetInformation, 2);
      const shortSetStatus = finalStatus(rig, rig.lower0, shortSet);
      const setsStop = notPassedDown(down, seen, shortSetStatus);
      check(
        setsStop || shortSetStatus === NDIS_STATUS_INVALID_LENGTH,
        `a set with a 2-byte buffer ended ${shortSetStatus === undefined ? "never" : hex(shortSetStatus)}, not NDIS_STATUS_INVALID_LENGTH`,
      );
      check(
        setsStop || shortSet.request.DATA.SET_INFORMATION.BytesNeeded === 4,
        `a short set came back with BytesNeeded ${shortSet.request.DATA.SET_INFORMATION.BytesNeeded}, not 4`,
      );
      if (queriesStop) {
        // Nothing of this OID reaches the lower miniport: pending and cancelling below cannot be shown.
        await rig.down();
        return;
      }
      const ok = await oidRequest(rig, handle, NdisRequestQueryInformation, 4);
      const okStatus = finalStatus(rig, rig.lower0, ok);
      const buffer = ok.request.DATA.QUERY_INFORMATION.InformationBuffer;
      check(
        okStatus === NDIS_STATUS_SUCCESS &&
          buffer !== null &&
          new DataView(buffer.buffer, buffer.byteOffset).getUint32(0, true) === VERIFY_OID_VALUE &&
          ok.request.DATA.QUERY_INFORMATION.BytesWritten === 4,
        "a query the lower miniport answers did not come back with its value and BytesWritten 4",
      );

      // Pended at the lower miniport, completed later.
      rig.lower.control.pendOids = true;
      const pended = await oidRequest(rig, handle, NdisRequestQueryInformation, 4, "vfy-pended");
      check(down.pendingOid !== null, "the request never reached the lower miniport");
      await rig.advance(2000);
      check(
        finalStatus(rig, rig.lower0, pended) === undefined,
        "the request completed above while the lower miniport still held it",
      );
      rig.lower.completeOid(down, NDIS_STATUS_SUCCESS);
      await rig.settle();
      const pendedStatus = finalStatus(rig, rig.lower0, pended);
      check(
        pendedStatus === NDIS_STATUS_SUCCESS,
        `the pended request ended ${pendedStatus === undefined ? "never" : hex(pendedStatus)}, not SUCCESS`,
      );
      check(
        up.oidCompletions.filter((c) => c.request === pended.request).length <= 1,
        "the pended request was completed twice",
      );

      // Cancelled while pended below.
      const cancelled = await oidRequest(rig, handle, NdisRequestQueryInformation, 4, "vfy-cancel");
      check(down.pendingOid !== null, "the second request never reached the lower miniport");
      NdisCancelOidRequest(handle, "vfy-cancel");
      await rig.settle();
      check(
        down.cancels > 0,
        "the cancel never reached the lower miniport (MiniportCancelOidRequest)",
      );
      const cancelledStatus = finalStatus(rig, rig.lower0, cancelled);
      check(
        cancelledStatus === NDIS_STATUS_REQUEST_ABORTED,
        `the cancelled request ended ${cancelledStatus === undefined ? "never" : hex(cancelledStatus)}, not NDIS_STATUS_REQUEST_ABORTED`,
      );
      rig.lower.control.pendOids = false;
      await rig.down();
    },
  },
  {
    name: "surprise-removal-under-traffic",
    description:
      "the lower adapter vanishes with sends held below and receives held above: everything is completed and returned, nothing leaks",
    contract:
      "Surprise removal: NdisDevicePnPEventSurpriseRemoved, pause with NBLs outstanding, unbind, halt",
    run: async (rig) => {
      await rig.up();
      const down = rig.lowerAdapter(rig.lower0);
      const up = rig.upperOver(rig.lower0);
      rig.lower.control.holdSends = true;
      rig.upper.send(up, 16, SMOKE, rig.tags(16));
      rig.upper.control.holdReceives = true;
      rig.lower.indicate(down, 8, SMOKE, rig.tags(8));
      await rig.settle();
      const removing = rig.track(rig.host.removeAdapter(rig.lower0, { surprise: true }));
      await rig.settle();
      rig.upper.control.holdReceives = false;
      rig.upper.returnHeld(up);
      await rig.drive("surprise-removing lower0", removing);
      check(
        up.outstanding.size === 0,
        `${up.outstanding.size} sends never completed to the sender`,
      );
      check(up.badCompletions === 0, "an NBL was completed twice to the sender");
      check(down.indicated.size === 0, `${down.indicated.size} receives never came back below`);
      await rig.down();
    },
  },
  {
    name: "shutdown",
    description: "the system shuts down with the stack running after traffic",
    contract: "MiniportShutdownEx (NdisShutdownPowerOff) on the virtual miniport",
    checkLeaks: false,
    run: async (rig) => {
      await rig.up();
      await exchange(rig, rig.lower0, 4, SMOKE);
      await rig.drive("shutting down", rig.host.shutdown());
    },
  },
  {
    name: "power",
    description: "the system sleeps and wakes; traffic flows after resume",
    contract:
      "Power management: NetEventQueryPower, NetEventSetPower, OID_PNP_SET_POWER for a NO_HALT_ON_SUSPEND virtual miniport",
    run: async (rig) => {
      await rig.up();
      await exchange(rig, rig.lower0, 4, SMOKE);
      const status = await rig.drive("suspending", rig.host.suspend());
      check(status === NDIS_STATUS_SUCCESS, `suspend was refused with ${hex(status)}`);
      await rig.drive("resuming", rig.host.resume());
      await rig.bindUpper();
      await exchange(rig, rig.lower0, 4, SMOKE);
      await rig.down();
    },
  },
  {
    name: "link-status",
    description:
      "a link-down then link-up indication of the lower adapter reaches the protocol above the virtual miniport",
    contract:
      "Status indications: NdisMIndicateStatusEx (NDIS_STATUS_LINK_STATE) → ProtocolStatusEx, re-indicated by the IM driver",
    run: async (rig) => {
      await rig.up();
      // A team stays connected while one member is: every member under the virtual miniport goes.
      const members = rig.lowersUnder(rig.lower0).map((name) => rig.lowerAdapter(name));
      const up = rig.upperOver(rig.lower0);
      // NDIS sets no deadline for re-indicating a link change: a driver may debounce it. The
      // suite waits up to LINK_DEBOUNCE_MS of host time, well inside every watchdog's limit.
      for (const down of members) rig.lower.setLink(down, false);
      check(
        await rig.eventually(
          () => up.linkStates.at(-1) === MediaConnectStateDisconnected,
          LINK_DEBOUNCE_MS,
        ),
        `a link-down of the lower adapter did not reach the protocol above within ${LINK_DEBOUNCE_MS / 1000} s`,
      );
      for (const down of members) rig.lower.setLink(down, true);
      check(
        await rig.eventually(
          () => up.linkStates.at(-1) === MediaConnectStateConnected,
          LINK_DEBOUNCE_MS,
        ),
        `a link-up of the lower adapter did not reach the protocol above within ${LINK_DEBOUNCE_MS / 1000} s`,
      );
      await exchange(rig, rig.lower0, 1, SMOKE);
      await rig.down();
    },
  },
  // ————————————————————————————————————————————— races: the explorer picks the order of the acts
  {
    name: "race-pause-traffic",
    description:
      "sends and receives race the pause of the lower stack and of the virtual miniport's stack; the miniport below completes sends now, later or one NBL at a time",
    contract:
      "Pausing a driver stack under traffic: a pause completes only when every send is completed and every indicated NBL returned",
    faults: true,
    run: async (rig) => {
      await rig.up();
      const vm = rig.vmOver(rig.lower0);
      const up = rig.upperOver(rig.lower0);
      const down = rig.lowerAdapter(rig.lower0);
      const lowerPause = new Started("pausing lower0");
      const vmPause = new Started(`pausing ${vm}`);
      await race(rig, [
        sendAct(rig, up, 4),
        sendAct(rig, up, 4),
        indicateAct(rig, down, 4),
        indicateAct(rig, down, 4),
        ["PnP: pause lower0", lowerPause.start(rig, () => rig.host.pauseStack(rig.lower0))],
        // A filter's module sits in the lower adapter's own stack: one pause covers it.
        ...(vm === rig.lower0
          ? []
          : [[`PnP: pause ${vm}`, vmPause.start(rig, () => rig.host.pauseStack(vm))] as const]),
      ]);
      await lowerPause.finish(rig);
      if (vm !== rig.lower0) await vmPause.finish(rig);
      await sendsAccounted(rig, rig.lower0, SENT_OK);
      await receivesAccounted(rig, rig.lower0);
      await rig.drive("restarting lower0", rig.host.restartStack(rig.lower0));
      if (vm !== rig.lower0) await rig.drive(`restarting ${vm}`, rig.host.restartStack(vm));
      await rig.down();
    },
  },
  {
    name: "race-vm-pause-receives",
    description:
      "receives from below race the pause of the virtual miniport's stack while the protocol above returns earlier ones now or later",
    contract:
      "MiniportPause: from the call on, the virtual miniport indicates nothing, and its pause completes only when every NBL it indicated is back",
    faults: true,
    run: async (rig) => {
      await rig.up();
      const vm = rig.vmOver(rig.lower0);
      const down = rig.lowerAdapter(rig.lower0);
      const pause = new Started(`pausing ${vm}`);
      await race(rig, [
        indicateAct(rig, down, 2, "choose"),
        [`PnP: pause ${vm}`, pause.start(rig, () => rig.host.pauseStack(vm))],
        indicateAct(rig, down, 2, "choose"),
        indicateAct(rig, down, 2, "choose"),
      ]);
      await pause.finish(rig);
      await receivesAccounted(rig, rig.lower0);
      await rig.drive(`restarting ${vm}`, rig.host.restartStack(vm));
      await exchange(rig, rig.lower0, 2, SMOKE);
      await rig.down();
    },
  },
  {
    name: "race-oid-cancel",
    description:
      "an OID request through the IM driver races its cancel; the miniport below answers now or later and completes the cancel now or later",
    contract:
      "NdisCancelOidRequest → MiniportCancelOidRequest: the request completes exactly once, SUCCESS or NDIS_STATUS_REQUEST_ABORTED",
    faults: true,
    run: async (rig) => {
      await rig.up();
      const up = rig.upperOver(rig.lower0);
      const handle = up.handle as NDIS_HANDLE;
      const request = makeOidRequest({
        RequestType: NdisRequestQueryInformation,
        Oid: VERIFY_OID,
        InformationBuffer: new Uint8Array(4),
        RequestId: "vfy-race",
      });
      let status: number | null = null;
      const seen = rig.lowerAdapter(rig.lower0).verifyOids;
      await race(rig, [
        [
          "vfyupper: query the OID",
          () => {
            status = rig.upper.request(up, request);
          },
        ],
        ["vfyupper: cancel it", () => NdisCancelOidRequest(handle, "vfy-race")],
      ]);
      const returned = status as number | null;
      const completions = up.oidCompletions.filter((c) => c.request === request);
      check(returned !== null, "the OID request was never made");
      if (returned === NDIS_STATUS_PENDING)
        check(
          completions.length === 1,
          `a pended OID request was completed ${completions.length} time(s)`,
        );
      else
        check(completions.length === 0, "an OID request that returned a status was completed too");
      const final = returned === NDIS_STATUS_PENDING ? completions[0]?.status : returned;
      check(
        final === NDIS_STATUS_SUCCESS ||
          final === NDIS_STATUS_REQUEST_ABORTED ||
          final === NDIS_STATUS_RESOURCES ||
          notPassedDown(rig.lowerAdapter(rig.lower0), seen, final),
        `the raced OID request ended ${hex(final ?? 0)}`,
      );
      await rig.down();
    },
  },
  {
    name: "race-send-cancel",
    description:
      "sends with two cancel IDs race the cancel of one of them while receives come up; the miniport below completes sends now, later or one by one, and a cancelled send now or later",
    contract:
      "NdisCancelSendNetBufferLists → MiniportCancelSend: every send completes exactly once; only NBLs with the cancelled ID may complete NDIS_STATUS_SEND_ABORTED",
    faults: true,
    run: async (rig) => {
      await rig.up();
      const up = rig.upperOver(rig.lower0);
      const down = rig.lowerAdapter(rig.lower0);
      await race(rig, [
        sendAct(rig, up, 4, "a"),
        sendAct(rig, up, 4, "b"),
        [
          "vfyupper: cancel ID a",
          () => NdisCancelSendNetBufferLists(up.handle as NDIS_HANDLE, "a"),
        ],
        indicateAct(rig, down, 2),
        sendAct(rig, up, 4, "a"),
      ]);
      await sendsAccounted(rig, rig.lower0, [...SENT_OK, NDIS_STATUS_SEND_ABORTED]);
      const wrong = up.abortedCancelIds.filter((id) => id !== "a");
      check(
        wrong.length === 0,
        `${wrong.length} send(s) not cancelled completed NDIS_STATUS_SEND_ABORTED (cancel ID ${String(wrong[0])})`,
      );
      await receivesAccounted(rig, rig.lower0);
      await exchange(rig, rig.lower0, 2, SMOKE);
      await rig.down();
    },
  },
  {
    name: "race-cancel-pause",
    description:
      "sends with two cancel IDs, the cancel of one of them, and the pauses of the virtual miniport's stack and the lower stack race; the miniport below completes sends now, later or one by one, and a cancelled send now or later",
    contract:
      "a pause completes only when every send is back, the aborted ones and the ones a cancel left outstanding alike (MiniportPause_NblsOutstanding, ProtocolPause_SendsOutstanding)",
    faults: true,
    run: async (rig) => {
      await rig.up();
      const vm = rig.vmOver(rig.lower0);
      const up = rig.upperOver(rig.lower0);
      const lowerPause = new Started("pausing lower0");
      const vmPause = new Started(`pausing ${vm}`);
      await race(rig, [
        sendAct(rig, up, 4, "a"),
        sendAct(rig, up, 4, "b"),
        [
          "vfyupper: cancel ID a",
          () => NdisCancelSendNetBufferLists(up.handle as NDIS_HANDLE, "a"),
        ],
        ...(vm === rig.lower0
          ? []
          : [[`PnP: pause ${vm}`, vmPause.start(rig, () => rig.host.pauseStack(vm))] as const]),
        ["PnP: pause lower0", lowerPause.start(rig, () => rig.host.pauseStack(rig.lower0))],
      ]);
      await lowerPause.finish(rig);
      if (vm !== rig.lower0) await vmPause.finish(rig);
      await sendsAccounted(rig, rig.lower0, [...SENT_OK, NDIS_STATUS_SEND_ABORTED]);
      const wrong = up.abortedCancelIds.filter((id) => id !== "a");
      check(
        wrong.length === 0,
        `${wrong.length} send(s) not cancelled completed NDIS_STATUS_SEND_ABORTED (cancel ID ${String(wrong[0])})`,
      );
      await rig.drive("restarting lower0", rig.host.restartStack(rig.lower0));
      if (vm !== rig.lower0) await rig.drive(`restarting ${vm}`, rig.host.restartStack(vm));
      await exchange(rig, rig.lower0, 2, SMOKE);
      await rig.down();
    },
  },
  {
    name: "race-surprise-removal",
    description:
      "the lower adapter is surprise-removed while sends, receives and an OID request are in flight in any order",
    contract:
      "Surprise removal under load: every NBL completed or returned once, the OID completed, the virtual miniport halted with nothing outstanding",
    faults: true,
    run: async (rig) => {
      await rig.up();
      const up = rig.upperOver(rig.lower0);
      const down = rig.lowerAdapter(rig.lower0);
      const request = makeOidRequest({
        RequestType: NdisRequestQueryInformation,
        Oid: VERIFY_OID,
        InformationBuffer: new Uint8Array(4),
        RequestId: "vfy-race",
      });
      let status: number | null = null;
      const removal = new Started("surprise-removing lower0");
      await race(rig, [
        sendAct(rig, up, 4),
        indicateAct(rig, down, 4),
        [
          "vfyupper: query the OID",
          () => {
            status = rig.upper.request(up, request);
          },
        ],
        [
          "PnP: surprise-remove lower0",
          removal.start(rig, () => rig.host.removeAdapter(rig.lower0, { surprise: true })),
        ],
      ]);
      await removal.finish(rig);
      check(up.outstanding.size === 0, `${up.outstanding.size} send(s) never completed`);
      check(up.badCompletions === 0, "a send was completed twice");
      check(down.indicated.size === 0, `${down.indicated.size} receive(s) never came back below`);
      check(down.badReturns === 0, "an NBL was returned below twice");
      const returned = status as number | null;
      if (returned === NDIS_STATUS_PENDING)
        check(
          up.oidCompletions.filter((c) => c.request === request).length === 1,
          "the OID request pended through the removal was not completed exactly once",
        );
      await rig.down();
    },
  },
  {
    name: "reset-below",
    description:
      "NDIS resets the miniport below (NDIS_STATUS_RESET_START, MiniportResetEx ended now or later by NdisMResetComplete with AddressingReset, so NDIS sets the packet filter again, NDIS_STATUS_RESET_END) while sends and an OID request come down in any order; every send completes once, the OID completes once, a RESET_START passed up is followed by its RESET_END, and traffic flows after the reset",
    contract:
      "Miniport Adapter Reset below a filter or an IM: NDIS accepts no send (NDIS_STATUS_RESET_IN_PROGRESS) and holds OID requests until the reset ends; a driver above passes or absorbs the reset indications and keeps no send, receive or request of its own stuck (MiniportResetEx, NDIS_STATUS_RESET_START, NDIS_STATUS_RESET_END)",
    faults: true,
    rig: { lowerResets: true },
    run: async (rig) => {
      await rig.up();
      const up = rig.upperOver(rig.lower0);
      const down = rig.lowerAdapter(rig.lower0);
      const request = makeOidRequest({
        RequestType: NdisRequestQueryInformation,
        Oid: VERIFY_OID,
        InformationBuffer: new Uint8Array(4),
        RequestId: "vfy-reset",
      });
      let status: number | null = null;
      const seen = down.verifyOids;
      let reset = false;
      await race(rig, [
        sendAct(rig, up, 4),
        [
          "vfyupper: query the OID",
          () => {
            status = rig.upper.request(up, request);
          },
        ],
        [
          `NDIS: reset ${rig.lower0}`,
          () => {
            reset = rig.host.resetAdapter(rig.lower0);
          },
        ],
        sendAct(rig, up, 4),
      ]);
      check(reset, `NDIS did not reset ${rig.lower0}`);
      // A reset that pends may take a while; one never completed is the watchdog's (10 s).
      await rig.eventually(() => !rig.host.resetting(rig.lower0), 12_000);
      await sendsAccounted(rig, rig.lower0, [
        ...SENT_OK,
        NDIS_STATUS_RESET_IN_PROGRESS,
        NDIS_STATUS_REQUEST_ABORTED,
      ]);
      const returned = status as number | null;
      check(returned !== null, "the OID request was never made");
      await rig.eventually(
        () =>
          returned !== NDIS_STATUS_PENDING || up.oidCompletions.some((c) => c.request === request),
        DEFER_MS,
      );
      const completions = up.oidCompletions.filter((c) => c.request === request);
      check(
        returned === NDIS_STATUS_PENDING ? completions.length === 1 : completions.length === 0,
        `the OID request raced with the reset ${returned === NDIS_STATUS_PENDING ? `pended and was completed ${completions.length} time(s)` : "returned a status and was completed too"}`,
      );
      const final = returned === NDIS_STATUS_PENDING ? completions[0]?.status : returned;
      check(
        final === NDIS_STATUS_SUCCESS ||
          final === NDIS_STATUS_RESET_IN_PROGRESS ||
          final === NDIS_STATUS_RESOURCES ||
          (rig.injected.has("OID cancel") && final === NDIS_STATUS_REQUEST_ABORTED) ||
          notPassedDown(down, seen, final),
        `the OID request raced with the reset ended ${hex(final ?? 0)}`,
      );
      // What a driver passes up of the reset it passes whole: no RESET_START left without its END.
      const starts = up.statuses.filter((c) => c === NDIS_STATUS_RESET_START).length;
      const ends = up.statuses.filter((c) => c === NDIS_STATUS_RESET_END).length;
      check(
        starts === ends,
        `the protocol above saw ${starts} NDIS_STATUS_RESET_START and ${ends} NDIS_STATUS_RESET_END indication(s)`,
      );
      await receivesAccounted(rig, rig.lower0);
      // After the reset, the stack carries traffic again.
      await exchange(rig, rig.lower0, 2, SMOKE);
      await rig.down();
    },
  },
  {
    name: "race-receive-resources",
    description:
      "the miniport below indicates some receives with NDIS_RECEIVE_FLAGS_RESOURCES (low on buffers) and the protocol above returns the others now or later, while sends go down",
    contract:
      "NDIS_RECEIVE_FLAGS_RESOURCES: whatever the protocol above does, NBLs indicated under RESOURCES are the miniport's again when the call returns",
    faults: true,
    run: async (rig) => {
      await rig.up();
      const up = rig.upperOver(rig.lower0);
      const down = rig.lowerAdapter(rig.lower0);
      await race(rig, [
        indicateAct(rig, down, 2, "choose"),
        indicateAct(rig, down, 2, "choose"),
        indicateAct(rig, down, 2, "choose"),
        sendAct(rig, up, 2),
      ]);
      check(up.corrupt.length === 0, `frame ${up.corrupt[0]} arrived altered above`);
      await sendsAccounted(rig, rig.lower0, SENT_OK);
      await receivesAccounted(rig, rig.lower0);
      await rig.down();
    },
  },
  {
    name: "race-unbind-receives",
    description:
      "the IM driver is unloaded (its bindings unbound, its virtual miniports halted) while receives it indicated are still being returned from above",
    contract:
      "Unbinding with receives in flight: every NBL is returned below before NdisCloseAdapterEx, none after",
    faults: true,
    run: async (rig) => {
      await rig.up();
      const down = rig.lowerAdapter(rig.lower0);
      const unload = new Started(`unloading ${rig.service}`);
      await race(rig, [
        indicateAct(rig, down, 4),
        indicateAct(rig, down, 4),
        [`PnP: unload ${rig.service}`, unload.start(rig, () => rig.host.unloadDriver(rig.service))],
      ]);
      await unload.finish(rig);
      await receivesAccounted(rig, rig.lower0);
      await rig.down();
    },
  },
  {
    name: "race-disable-vm",
    kinds: ["im"],
    description:
      "the user disables the virtual miniport while the adapter below indicates receives and link changes; later re-enables it and traffic flows",
    contract:
      "Disabling a virtual miniport (MiniportHaltEx with NdisHaltDeviceDisabled) while its lower binding stays open; NetEventIMReEnableDevice",
    faults: true,
    run: async (rig) => {
      await rig.up();
      const vm = rig.vmOver(rig.lower0);
      const down = rig.lowerAdapter(rig.lower0);
      const disable = new Started(`disabling ${vm}`);
      await race(rig, [
        indicateAct(rig, down, 4),
        ["vfylower: link down", () => rig.lower.setLink(down, false)],
        [`PnP: disable ${vm}`, disable.start(rig, () => rig.host.disableAdapter(vm))],
        indicateAct(rig, down, 4, "choose"),
        ["vfylower: link up", () => rig.lower.setLink(down, true)],
      ]);
      await disable.finish(rig);
      await receivesAccounted(rig, rig.lower0);
      await rig.drive(`enabling ${vm}`, rig.host.enableAdapter(vm));
      // Its MiniportInitializeEx may refuse the device under an injected allocation fault.
      const refuse: (condition: boolean, message: string) => void = rig.bringUpCheck.bind(rig);
      refuse(rig.virtualMiniports().includes(vm), `${vm} did not come back when enabled`);
      await rig.bindUpper();
      // The race may have run the link's up before its down: traffic follows a link that is up
      // again (a team does not take receives on a member whose link is down).
      if (!down.linkUp) {
        rig.lower.setLink(down, true);
        await rig.eventually(() => {
          const states = rig.upperOver(rig.lower0).linkStates;
          return states.length === 0 || states.at(-1) === MediaConnectStateConnected;
        }, LINK_DEBOUNCE_MS);
      }
      await exchange(rig, rig.lower0, 2, SMOKE);
      await rig.down();
    },
  },
  {
    name: "oid-byte-counts",
    description:
      "a query the lower miniport answers with every legal byte count — the whole buffer, fewer bytes, none, or more than the buffer holds (BUFFER_TOO_SHORT or INVALID_LENGTH with BytesNeeded) — comes back above with the same status, BytesWritten, BytesNeeded and bytes",
    contract:
      "NDIS_OID_REQUEST of a query: BytesWritten is what was written, BytesNeeded what a short buffer lacked (MiniportOidRequest, NdisOidRequest, NdisMOidRequestComplete)",
    faults: true,
    run: async (rig) => {
      await rig.up();
      const up = rig.upperOver(rig.lower0);
      const down = rig.lowerAdapter(rig.lower0);
      for (const query of [1, 2]) {
        const what = `variable-length query ${query}`;
        const answered = down.variableAnswers.length;
        const started = await oidRequest(
          rig,
          up.handle as NDIS_HANDLE,
          NdisRequestQueryInformation,
          8,
          null,
          VERIFY_OID_VARIABLE,
        );
        const status = finalStatus(rig, rig.lower0, started);
        const answer = down.variableAnswers[answered];
        const data = started.request.DATA.QUERY_INFORMATION;
        if (answer === undefined) {
          // Not passed down: answered as unsupported, or refused under an injected fault.
          check(
            status === NDIS_STATUS_NOT_SUPPORTED ||
              status === NDIS_STATUS_INVALID_OID ||
              (rig.clock.faultsInjected > 0 && status === NDIS_STATUS_RESOURCES),
            `${what} ended ${status === undefined ? "never" : hex(status)} without reaching the lower miniport`,
          );
          continue;
        }
        check(
          status === answer.status,
          `${what}: the lower miniport answered ${hex(answer.status)}, the protocol above got ${status === undefined ? "nothing" : hex(status)}`,
        );
        check(
          data.BytesWritten === answer.written,
          `${what}: the lower miniport wrote ${answer.written} byte(s), the protocol above was told BytesWritten ${data.BytesWritten}`,
        );
        if (answer.status !== NDIS_STATUS_SUCCESS) {
          check(
            data.BytesNeeded === answer.needed,
            `${what}: the lower miniport needed ${answer.needed} byte(s), the protocol above was told BytesNeeded ${data.BytesNeeded}`,
          );
          continue;
        }
        const buffer = data.InformationBuffer ?? new Uint8Array(0);
        for (let i = 0; i < answer.written; i++)
          check(
            buffer[i] === variableByte(answer.written, i),
            `${what}: byte ${i} of the ${answer.written} written below arrived altered above`,
          );
      }
      await rig.down();
    },
  },
  // ———————————————————————————— a filter inserted into and removed from a running stack
  {
    name: "filter-attach-detach",
    kinds: ["filter"],
    faults: true,
    description:
      "the filter's module is detached from a running stack while sends and receives cross it, then attached again while they do; traffic flows through it after each",
    contract:
      "Attaching and detaching a filter module at run time: NDIS pauses the stack (NDIS_PAUSE_DETACH_FILTER / NDIS_PAUSE_ATTACH_FILTER), FilterPause waits for what the module passed on, FilterDetach / FilterAttach, then the stack restarts",
    run: async (rig) => {
      await rig.up();
      const up = rig.upperOver(rig.lower0);
      const down = rig.lowerAdapter(rig.lower0);
      const detach = new Started(`detaching ${rig.service} from ${rig.lower0}`);
      await race(rig, [
        sendAct(rig, up, 4),
        indicateAct(rig, down, 4, "choose"),
        [
          `PnP: detach ${rig.service} from ${rig.lower0}`,
          detach.start(rig, () => rig.host.detachFilter(rig.service, rig.lower0)),
        ],
        sendAct(rig, up, 4),
      ]);
      await detach.finish(rig);
      await sendsAccounted(rig, rig.lower0, SENT_OK);
      await receivesAccounted(rig, rig.lower0);
      check(rig.filterModulesOn(rig.lower0).length === 0, "the module is still attached");
      await exchange(rig, rig.lower0, 2, SMOKE);
      const attach = new Started(`attaching ${rig.service} to ${rig.lower0}`);
      await race(rig, [
        sendAct(rig, up, 4),
        indicateAct(rig, down, 4, "choose"),
        [
          `PnP: attach ${rig.service} to ${rig.lower0}`,
          attach.start(rig, () => rig.host.attachFilter(rig.service, rig.lower0)),
        ],
      ]);
      await attach.finish(rig);
      await sendsAccounted(rig, rig.lower0, SENT_OK);
      await receivesAccounted(rig, rig.lower0);
      const modules = rig.filterModulesOn(rig.lower0);
      // FilterAttach may refuse under an injected allocation fault: then the stack runs without it.
      if (modules.length === 0) {
        const refuse: (condition: boolean, message: string) => void = rig.bringUpCheck.bind(rig);
        refuse(false, `FilterAttach of ${rig.service} on ${rig.lower0} failed`);
      }
      check(modules[0]?.state === "Running", `the attached module is ${modules[0]?.state}`);
      await exchange(rig, rig.lower0, 2, SMOKE);
      await rig.down();
    },
  },
  // ———————————————————————————— a miniport alone, under the suite's upper protocol
  {
    name: "miniport-lifecycle",
    kinds: ["miniport"],
    description:
      "the miniport's adapters arrive (MiniportInitializeEx, MiniportRestart), the upper protocol binds and sends through the send matrix, the stack pauses and restarts, the adapters are removed (MiniportHaltEx) and the driver unloads",
    contract:
      "A miniport's life: MiniportInitializeEx, MiniportRestart, MiniportSendNetBufferLists … NdisMSendNetBufferListsComplete (every NBL once), MiniportPause, MiniportHaltEx, MiniportDriverUnload",
    run: async (rig) => {
      await rig.up();
      const up = rig.upperOver(rig.lower0);
      for (const nbls of [1, 16, 64])
        for (const shape of [SMOKE, fitted(up, { nbs: 3, mdls: 3, size: 1514 })]) {
          rig.upper.send(up, nbls, shape, rig.tags(nbls * shape.nbs));
          await rig.eventually(() => up.outstanding.size === 0, 1000);
        }
      await sendsAccounted(rig, rig.lower0, MINIPORT_SENT_OK);
      await rig.drive(`pausing ${rig.lower0}`, rig.host.pauseStack(rig.lower0));
      await rig.drive(`restarting ${rig.lower0}`, rig.host.restartStack(rig.lower0));
      rig.upper.send(up, 4, SMOKE, rig.tags(4));
      await rig.eventually(() => up.outstanding.size === 0, 1000);
      await sendsAccounted(rig, rig.lower0, MINIPORT_SENT_OK);
      await rig.down();
    },
  },
  {
    name: "miniport-pause-under-traffic",
    kinds: ["miniport"],
    faults: true,
    description:
      "sends race the pause of the miniport's stack; the miniport completes every send before its pause completes, and takes sends again after the restart",
    contract:
      "MiniportPause: complete every send (NdisMSendNetBufferListsComplete) before the pause completes (NdisMPauseComplete); NDIS_STATUS_PAUSED for sends while paused",
    run: async (rig) => {
      await rig.up();
      const up = rig.upperOver(rig.lower0);
      const pause = new Started(`pausing ${rig.lower0}`);
      await race(rig, [
        sendAct(rig, up, 4),
        sendAct(rig, up, 8),
        [`PnP: pause ${rig.lower0}`, pause.start(rig, () => rig.host.pauseStack(rig.lower0))],
      ]);
      await pause.finish(rig);
      await sendsAccounted(rig, rig.lower0, MINIPORT_SENT_OK);
      await rig.drive(`restarting ${rig.lower0}`, rig.host.restartStack(rig.lower0));
      rig.upper.send(up, 4, SMOKE, rig.tags(4));
      await rig.eventually(() => up.outstanding.size === 0, 1000);
      await sendsAccounted(rig, rig.lower0, MINIPORT_SENT_OK);
      await rig.down();
    },
  },
  {
    name: "miniport-receive-pause",
    kinds: ["miniport"],
    faults: true,
    rig: { lowers: ["lower0", "lower1"] },
    description:
      "two adapters of the miniport: sends on the first race the pause of the second's stack while the protocol above returns what the second indicates now, later or one by one (a miniport that receives what its other adapter sends, a hub, must hold that pause until every NBL it indicated is back)",
    contract:
      "MiniportPause: complete (NdisMPauseComplete) only when every NBL the miniport indicated has come back to MiniportReturnNetBufferLists; indicate nothing from the pause on",
    run: async (rig) => {
      await rig.up();
      const up = rig.upperOver(rig.lower0);
      const pause = new Started(`pausing ${rig.lower1}`);
      await race(rig, [
        sendAct(rig, up, 4),
        sendAct(rig, up, 4),
        [`PnP: pause ${rig.lower1}`, pause.start(rig, () => rig.host.pauseStack(rig.lower1))],
        sendAct(rig, up, 4),
      ]);
      await pause.finish(rig);
      await sendsAccounted(rig, rig.lower0, MINIPORT_SENT_OK);
      await rig.drive(`restarting ${rig.lower1}`, rig.host.restartStack(rig.lower1));
      await rig.down();
    },
  },
  {
    name: "miniport-reset",
    kinds: ["miniport"],
    faults: true,
    description:
      "sends race a reset NDIS starts (as after a hang: NDIS_STATUS_RESET_START, MiniportResetEx, NDIS_STATUS_RESET_END); every send completes once, the reset ends (at once, or by NdisMResetComplete), and sends succeed after it. A miniport without MiniportResetEx is not reset, and the scenario checks its sends only",
    contract:
      "MINIPORT_RESET / NdisMResetComplete: a reset that pends is completed once; the sends the miniport had complete (any status) and the adapter works after the reset (Miniport Driver Hardware Reset)",
    run: async (rig) => {
      await rig.up();
      const up = rig.upperOver(rig.lower0);
      await race(rig, [
        sendAct(rig, up, 4),
        sendAct(rig, up, 8),
        ["NDIS: reset lower0", () => rig.host.resetAdapter(rig.lower0)],
        sendAct(rig, up, 4),
      ]);
      // A reset that pends may take a while; one never completed is the watchdog's (10 s).
      await rig.eventually(() => !rig.host.resetting(rig.lower0), 12_000);
      await sendsAccounted(rig, rig.lower0, [
        ...MINIPORT_SENT_OK,
        NDIS_STATUS_RESET_IN_PROGRESS,
        NDIS_STATUS_REQUEST_ABORTED,
      ]);
      // After the reset the adapter takes sends again.
      const before = up.completionStatuses.length;
      rig.upper.send(up, 4, SMOKE, rig.tags(4));
      await rig.eventually(() => up.outstanding.size === 0, DEFER_MS);
      const after = up.completionStatuses.slice(before);
      const odd = after.find((status) => !MINIPORT_SENT_OK.includes(status));
      check(
        up.outstanding.size === 0 && odd === undefined,
        `after the reset: ${up.outstanding.size} send(s) never completed${odd === undefined ? "" : `, one completed ${hex(odd)}`}`,
      );
      await rig.down();
    },
  },
  {
    name: "miniport-oids",
    kinds: ["miniport"],
    description:
      "OID_802_3_CURRENT_ADDRESS queried with a 6-byte buffer and a 2-byte one: the first answered (or refused as unsupported), the short one refused BUFFER_TOO_SHORT or INVALID_LENGTH with BytesNeeded of at least 6",
    contract:
      "MiniportOidRequest: BytesWritten, BytesNeeded and the short-buffer statuses; NdisMOidRequestComplete only for what was pended",
    run: async (rig) => {
      await rig.up();
      const up = rig.upperOver(rig.lower0);
      const query = async (length: number) => {
        const request = makeOidRequest({
          RequestType: NdisRequestQueryInformation,
          Oid: OID_802_3_CURRENT_ADDRESS,
          InformationBuffer: new Uint8Array(length),
        });
        const returned = rig.upper.request(up, request);
        await rig.eventually(
          () =>
            returned !== NDIS_STATUS_PENDING ||
            up.oidCompletions.some((c) => c.request === request),
          1000,
        );
        const status =
          returned === NDIS_STATUS_PENDING
            ? up.oidCompletions.find((c) => c.request === request)?.status
            : returned;
        return { status, data: request.DATA.QUERY_INFORMATION };
      };
      const full = await query(6);
      check(
        full.status === NDIS_STATUS_SUCCESS
          ? full.data.BytesWritten === 6
          : full.status === NDIS_STATUS_NOT_SUPPORTED || full.status === NDIS_STATUS_INVALID_OID,
        `a 6-byte query of OID_802_3_CURRENT_ADDRESS ended ${full.status === undefined ? "never" : hex(full.status)} with BytesWritten ${full.data.BytesWritten}`,
      );
      if (full.status === NDIS_STATUS_SUCCESS) {
        const short = await query(2);
        check(
          (short.status === NDIS_STATUS_BUFFER_TOO_SHORT ||
            short.status === NDIS_STATUS_INVALID_LENGTH) &&
            short.data.BytesNeeded >= 6 &&
            short.data.BytesWritten <= 2,
          `a 2-byte query of OID_802_3_CURRENT_ADDRESS ended ${short.status === undefined ? "never" : hex(short.status)} with BytesNeeded ${short.data.BytesNeeded}, BytesWritten ${short.data.BytesWritten}`,
        );
      }
      await rig.down();
    },
  },
  {
    name: "miniport-surprise-removal",
    kinds: ["miniport"],
    description:
      "the device vanishes while sends are in flight: every send completes, the adapter halts with nothing outstanding",
    contract:
      "MiniportDevicePnPEventNotify (NdisDevicePnPEventSurpriseRemoved), pause and MiniportHaltEx with sends outstanding",
    run: async (rig) => {
      await rig.up();
      const up = rig.upperOver(rig.lower0);
      const removal = new Started(`surprise-removing ${rig.lower0}`);
      await race(rig, [
        sendAct(rig, up, 8),
        [
          `PnP: surprise-remove ${rig.lower0}`,
          removal.start(rig, () => rig.host.removeAdapter(rig.lower0, { surprise: true })),
        ],
      ]);
      await removal.finish(rig);
      // The binding is gone with the device: its record still counts what came back.
      check(
        up.outstanding.size === 0,
        `${up.outstanding.size} send(s) never completed to the sender`,
      );
      check(
        up.badCompletions === 0,
        "a send was completed twice, or an NBL not sent was completed",
      );
      const odd = up.completionStatuses.find((s) => !MINIPORT_SENT_OK.includes(s));
      check(odd === undefined, `a send completed with ${hex(odd ?? 0)}`);
      await rig.down();
    },
  },
  // ———————————————————————————— a protocol alone, over the suite's lower miniport
  {
    name: "protocol-bind-receive-unbind",
    kinds: ["protocol"],
    description:
      "the protocol binds to two adapters, receives batches of 1, 16 and 64 NBLs on each and returns every one exactly once, then the adapters are removed (unbind) and the driver unloads",
    contract:
      "ProtocolBindAdapterEx / NdisOpenAdapterEx, ProtocolReceiveNetBufferLists … NdisReturnNetBufferLists (every NBL once), ProtocolUnbindAdapterEx / NdisCloseAdapterEx",
    rig: { lowers: ["lower0", "lower1"] },
    run: async (rig) => {
      await rig.up();
      for (const lower of rig.lowers) {
        const down = rig.lowerAdapter(lower);
        for (const nbls of [1, 16, 64]) {
          rig.lower.indicate(down, nbls, SMOKE, rig.tags(nbls));
          await rig.eventually(() => down.indicated.size === 0, 1000);
        }
        await receivesAccounted(rig, lower);
      }
      await rig.down();
    },
  },
  {
    name: "protocol-pause-restart",
    kinds: ["protocol"],
    faults: true,
    description:
      "receives (some with NDIS_RECEIVE_FLAGS_RESOURCES) race the pause of the stack under the protocol; its NetEventPause completes only when it has returned what it holds, and it binds on after the restart",
    contract:
      "ProtocolNetPnPEvent(NetEventPause / NetEventRestart): a pause completes once the protocol's sends are back and its receives returned",
    run: async (rig) => {
      await rig.up();
      const down = rig.lowerAdapter(rig.lower0);
      const pause = new Started(`pausing ${rig.lower0}`);
      await race(rig, [
        indicateAct(rig, down, 4, "choose"),
        indicateAct(rig, down, 4, "choose"),
        [`PnP: pause ${rig.lower0}`, pause.start(rig, () => rig.host.pauseStack(rig.lower0))],
      ]);
      await pause.finish(rig);
      await rig.eventually(() => down.indicated.size === 0, 1000);
      await receivesAccounted(rig, rig.lower0);
      await rig.drive(`restarting ${rig.lower0}`, rig.host.restartStack(rig.lower0));
      rig.lower.indicate(down, 4, SMOKE, rig.tags(4));
      await rig.eventually(() => down.indicated.size === 0, 1000);
      await receivesAccounted(rig, rig.lower0);
      await rig.down();
    },
  },
  {
    name: "protocol-send-pause",
    kinds: ["protocol"],
    faults: true,
    description:
      "the protocol is made to send (its verifySend hook) while the stack under it pauses; the miniport below completes sends now, later or one by one: the pause completes only once its sends are back, it sends nothing from its NetEventPause to its NetEventRestart, every send ends, and it sends again after the restart. A protocol without the hook is paused and restarted only",
    contract:
      "ProtocolNetPnPEvent(NetEventPause): wait for the outstanding sends (ProtocolPause_SendsOutstanding) and send nothing until NetEventRestart; ProtocolSendNetBufferListsComplete ends each send once",
    run: async (rig) => {
      rig.host.observe();
      await rig.up();
      const sends = new ProtocolSends(rig);
      const down = rig.lowerAdapter(rig.lower0);
      const pause = new Started(`pausing ${rig.lower0}`);
      await race(rig, [
        sends.act(rig.lower0, 4),
        sends.act(rig.lower0, 4),
        [`PnP: pause ${rig.lower0}`, pause.start(rig, () => rig.host.pauseStack(rig.lower0))],
        sends.act(rig.lower0, 4),
      ]);
      await pause.finish(rig);
      sentWhilePaused(rig, rig.lower0);
      await sends.accounted();
      await rig.drive(`restarting ${rig.lower0}`, rig.host.restartStack(rig.lower0));
      if (sends.possible) {
        const before = down.sentTags.length;
        sends.send(rig.lower0, 4);
        await rig.eventually(() => down.sentTags.length - before >= 4, DEFER_MS);
        check(
          down.sentTags.length - before === 4 || rig.clock.faultsInjected > 0,
          `after the restart, ${down.sentTags.length - before} of 4 frames ${rig.service} was asked to send reached the miniport`,
        );
        await sends.accounted();
      }
      await rig.down();
    },
  },
  {
    name: "protocol-send-unbind",
    kinds: ["protocol"],
    faults: true,
    description:
      "the protocol is made to send while its adapter is removed (pause, unbind, NdisCloseAdapterEx) and the miniport below completes sends now or later: every send ends, and the unbind leaves nothing allocated (its NBLs back in its pool before the pool is freed)",
    contract:
      "ProtocolUnbindAdapterEx after NetEventPause: no send outstanding at the close, every NBL of the binding's pool freed before NdisFreeNetBufferListPool",
    run: async (rig) => {
      await rig.up();
      const sends = new ProtocolSends(rig);
      const removal = new Started(`removing ${rig.lower0}`);
      await race(rig, [
        sends.act(rig.lower0, 4),
        [`PnP: remove ${rig.lower0}`, removal.start(rig, () => rig.host.removeAdapter(rig.lower0))],
        sends.act(rig.lower0, 4),
      ]);
      await removal.finish(rig);
      await sends.accounted();
      await rig.down();
    },
  },
  {
    name: "protocol-net-events",
    kinds: ["protocol"],
    description:
      "the system sleeps and wakes, the link goes down and up, and the adapter vanishes with receives outstanding: the protocol answers every NetEvent and returns everything",
    contract:
      "ProtocolNetPnPEvent (NetEventQueryPower, NetEventSetPower), ProtocolStatusEx (NDIS_STATUS_LINK_STATE), unbind on surprise removal",
    run: async (rig) => {
      await rig.up();
      await rig.drive("suspending", rig.host.suspend());
      await rig.drive("resuming", rig.host.resume());
      const down = rig.lowerAdapter(rig.lower0);
      rig.lower.setLink(down, false);
      rig.lower.setLink(down, true);
      rig.lower.indicate(down, 8, SMOKE, rig.tags(8));
      await rig.drive(
        `surprise-removing ${rig.lower0}`,
        rig.host.removeAdapter(rig.lower0, { surprise: true }),
      );
      await rig.down();
    },
  },
];

/** What a miniport alone may complete a send with (the documented statuses it has reason to use). */
const MINIPORT_SENT_OK = [
  NDIS_STATUS_SUCCESS,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_MEDIA_DISCONNECTED,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_SEND_ABORTED,
];

export { CheckFailed };
