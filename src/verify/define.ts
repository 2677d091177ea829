/**
 * Scenarios a user writes for their driver's own feature (docs/verify.md "Your own scenarios"):
 * `defineScenario` turns a script into a Scenario the suite runs like its own — plain first,
 * then under the explorer's schedules with faults, shrunk and replayable. The script drives the
 * suite's scriptable drivers (FnMp / FnLwf style): the lower miniport queues receives given as
 * bytes, holds sends matching a pattern and releases or fails them one by one, pends OIDs and
 * completes them with a chosen status, indicates link changes; the upper protocol sends frames
 * given as bytes and keeps what it receives.
 */
import {
  makeOidRequest,
  type NDIS_HANDLE,
  type NDIS_OID_REQUEST,
  type NDIS_STATUS,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  type NdisHost,
  NdisRequestQueryInformation,
} from "../index.js";
import type { LowerAdapter, UpperBinding } from "./drivers.js";
import { CheckFailed, type DriverKind, type Rig } from "./rig.js";
import { race, type Scenario } from "./scenarios.js";

/** What a scenario script gets: the scriptable drivers around the driver under test. */
export class ScenarioContext {
  /** The machine underneath, for what the helpers do not cover (src/verify/rig.ts). */
  readonly rig: Rig;

  constructor(rig: Rig) {
    this.rig = rig;
    rig.lower.control.keepFrames = true;
    rig.upper.control.keepFrames = true;
  }

  get host(): NdisHost {
    return this.rig.host;
  }

  /** The lower adapters (the suite's miniport), by name. */
  get lowers(): readonly string[] {
    return this.rig.lowers;
  }

  /** Brings the stack up: the lower miniport, the driver under test, the upper protocol. */
  up(): Promise<void> {
    return this.rig.up();
  }

  /** Takes everything down in NDIS order. */
  down(): Promise<void> {
    return this.rig.down();
  }

  #lower(on?: string): LowerAdapter {
    return this.rig.lowerAdapter(on ?? this.rig.lower0);
  }

  #upper(over?: string): UpperBinding {
    return this.rig.upperOver(over ?? this.rig.lower0);
  }

  /** An Ethernet frame: `dst`, `src` (default the adapter's own), EtherType, then the payload. */
  frame(options: {
    readonly dst?: Uint8Array;
    readonly src?: Uint8Array;
    readonly etherType?: number;
    readonly payload?: Uint8Array;
    /** Pad to this many bytes. Default 60. */
    readonly size?: number;
  }): Uint8Array {
    const payload = options.payload ?? new Uint8Array(0);
    const frame = new Uint8Array(Math.max(options.size ?? 60, 14 + payload.length));
    frame.set(options.dst ?? Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 0);
    frame.set(options.src ?? this.#lower().mac, 6);
    const type = options.etherType ?? 0x88b5;
    frame[12] = type >> 8;
    frame[13] = type & 0xff;
    frame.set(payload, 14);
    return frame;
  }

  /** The lower miniport indicates `frames` (each in an NBL of its own) on `on` (default the first lower). */
  receive(
    frames: readonly Uint8Array[],
    options: { on?: string; resources?: boolean } = {},
  ): number {
    return this.rig.lower.indicateFrames(this.#lower(options.on), frames, options.resources);
  }

  /** The upper protocol sends `frames` over the virtual miniport (or filtered adapter) above `over`. */
  send(frames: readonly Uint8Array[], options: { over?: string } = {}): number {
    return this.rig.upper.sendFrames(this.#upper(options.over), frames);
  }

  /** Every frame the upper protocol has received above `over` (bytes). */
  received(over?: string): readonly Uint8Array[] {
    return this.#upper(over).receivedFrames;
  }

  /** Every frame the lower miniport was given to send on `on` (bytes). */
  sent(on?: string): readonly Uint8Array[] {
    return this.#lower(on).sentFrames;
  }

  /** From now, the lower miniport holds the sends whose first frame `match` accepts (all without it). */
  holdSends(match?: (frame: Uint8Array) => boolean): void {
    if (match === undefined) this.rig.lower.control.holdSends = true;
    else this.rig.lower.control.holdMatching = match;
  }

  /** How many sends the lower miniport holds on `on`. */
  held(on?: string): number {
    return this.#lower(on).held.length;
  }

  /** Completes the first `count` held sends (default all) with `status` (default SUCCESS), one per call. */
  releaseSends(options: { count?: number; status?: NDIS_STATUS; on?: string } = {}): void {
    this.rig.lower.control.holdSends = false;
    this.rig.lower.control.holdMatching = null;
    const lower = this.#lower(options.on);
    this.rig.lower.releaseHeld(
      lower,
      options.count ?? lower.held.length,
      options.status ?? NDIS_STATUS_SUCCESS,
    );
  }

  /** The lower miniport pends the suite's OID (0xFF000001) from now until `completeOid`. */
  pendOids(pend = true): void {
    this.rig.lower.control.pendOids = pend;
  }

  /** Completes the OID the lower miniport pended on `on` with `status`. */
  completeOid(status: NDIS_STATUS = NDIS_STATUS_SUCCESS, on?: string): void {
    this.rig.lower.completeOid(this.#lower(on), status);
  }

  /**
   * The upper protocol makes an OID request over `over` and the run goes on until it has an
   * answer: its final status, and the request (with BytesWritten/BytesNeeded as they came back).
   */
  async oid(
    fields: Partial<Pick<NDIS_OID_REQUEST, "RequestType">> & {
      readonly Oid: number;
      readonly InformationBuffer?: Uint8Array;
    },
    options: { over?: string } = {},
  ): Promise<{ status: NDIS_STATUS | undefined; request: NDIS_OID_REQUEST }> {
    const binding = this.#upper(options.over);
    const request = makeOidRequest({
      RequestType: fields.RequestType ?? NdisRequestQueryInformation,
      Oid: fields.Oid,
      InformationBuffer: fields.InformationBuffer ?? new Uint8Array(4),
    });
    const returned = this.rig.upper.request(binding, request);
    await this.rig.settle();
    const status =
      returned === NDIS_STATUS_PENDING
        ? binding.oidCompletions.find((c) => c.request === request)?.status
        : returned;
    return { status, request };
  }

  /** The lower adapter `on` indicates its link going down or up (NDIS_STATUS_LINK_STATE). */
  link(up: boolean, on?: string): void {
    this.rig.lower.setLink(this.#lower(on), up);
  }

  /** The link states the upper protocol saw above `over` (MediaConnectState values), in order. */
  linkStates(over?: string): readonly number[] {
    return this.#upper(over).linkStates;
  }

  /**
   * Runs `acts` as tasks the explorer orders (with everything they set off, and the faults of the
   * environment it may add), then lets the run come to rest.
   */
  race(acts: readonly (readonly [label: string, act: () => void])[]): Promise<void> {
    return race(this.rig, acts);
  }

  /** Runs everything ready until nothing is (no time passes). */
  settle(): Promise<void> {
    return this.rig.settle();
  }

  /** Lets `ms` of virtual time pass. */
  advance(ms: number): Promise<void> {
    return this.rig.advance(ms);
  }

  /**
   * Fails the scenario with `message` unless `condition` holds. (Not an assertion signature:
   * TypeScript would demand an annotated `t` in every script for one.)
   */
  check(condition: boolean, message: string): void {
    if (!condition) throw new CheckFailed(message);
  }

  /** The NDIS handle of the upper protocol's binding above `over` (for NdisCancel* calls). */
  handle(over?: string): NDIS_HANDLE {
    return this.#upper(over).handle as NDIS_HANDLE;
  }
}

export interface ScenarioDefinition {
  /** Unique among the scenarios run together; names its replay tokens. */
  readonly name: string;
  readonly description?: string;
  /** The part of the NDIS contract or of your driver's design it checks. */
  readonly contract?: string;
  /** The kinds of driver it applies to. Default: filter and intermediate drivers. */
  readonly kinds?: readonly DriverKind[];
  /** True when its checks hold whatever faults the explorer injects (allocations failing…). */
  readonly faults?: boolean;
  /** Names of the lower adapters. Default ["lower0"] (a --stack or config may name them). */
  readonly lowers?: readonly string[];
  /** False when the run ends with the host unable to report live objects. Default true. */
  readonly checkLeaks?: boolean;
  readonly run: (t: ScenarioContext) => Promise<void>;
}

/**
 * A scenario of your own, to pass in `runConformance(driver, { scenarios: [...] })`: each run
 * builds a fresh stack, calls `run` with the scriptable drivers, and fails on a broken `check`,
 * a verifier violation, a stopped driver or anything left allocated, like the suite's own.
 */
export function defineScenario(definition: ScenarioDefinition): Scenario {
  if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(definition.name))
    throw new Error(
      `scenario ${JSON.stringify(definition.name)}: a name is lowercase words joined by "-" (it starts replay tokens)`,
    );
  return {
    name: definition.name,
    description: definition.description ?? definition.name,
    contract: definition.contract ?? "(a scenario of your own)",
    run: (rig) => definition.run(new ScenarioContext(rig)),
    ...(definition.kinds === undefined ? {} : { kinds: definition.kinds }),
    ...(definition.faults === undefined ? {} : { faults: definition.faults }),
    ...(definition.checkLeaks === undefined ? {} : { checkLeaks: definition.checkLeaks }),
    ...(definition.lowers === undefined ? {} : { rig: { lowers: definition.lowers } }),
  };
}
