/**
 * The host's PnP manager and stack operations: how devices, bindings and IM virtual miniports are
 * brought up, paused, restarted and taken down in NDIS order. NDIS hands it work through the
 * PnpManager interface (start or de-initialize a virtual miniport, contain a stopped driver);
 * the NdisHost API calls the rest. Internal to the host.
 */

import {
  NDIS_PAUSE_ATTACH_FILTER,
  NDIS_PAUSE_BIND_PROTOCOL,
  NDIS_PAUSE_DETACH_FILTER,
  NDIS_PAUSE_FILTER_RESTART_STACK,
  NDIS_PAUSE_LOW_POWER,
  NDIS_PAUSE_NDIS_INTERNAL,
  NDIS_PAUSE_UNBIND_PROTOCOL,
  NdisDevicePnPEventSurpriseRemoved,
} from "../ndis/adapter.js";
import { PASSIVE_LEVEL } from "../ndis/irql.js";
import {
  isNdisStatusValue,
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_SUCCESS,
} from "../ndis/status.js";
import {
  type NDIS_HALT_ACTION,
  NdisHaltDeviceDisabled,
  NdisHaltDeviceFailed,
  NdisHaltDeviceInstanceDeInitialized,
  NdisHaltDeviceSurpriseRemoved,
  NetEventQueryRemoveDevice,
} from "../ndis/structs.js";
import { sameName } from "../runtime/core/base/names.js";
import { callDriver } from "../runtime/core/objects/context.js";
import type {
  Binding,
  DeviceInstance,
  DriverRecord,
  FilterDriverBlock,
  FilterModule,
  MiniportAdapter,
  NdisRuntime,
  PnpManager,
  ProtocolDriverBlock,
  RegistryValue,
} from "../runtime/core/objects/records.js";
import { bindingKey } from "../runtime/core/runtime.js";
import {
  createAdapter,
  haltAdapter,
  initializeAdapter,
  notifyDevicePnPEvent,
  pauseAdapter,
  restartAdapter,
  retireAdapter,
  waitForState,
} from "../runtime/core/stack/adapter.js";
import {
  bindingsOf,
  bindProtocol,
  createBinding,
  deliverPnPEvent,
  netPnPNotification,
  pauseBinding,
  restartBinding,
  retireBinding,
  unbindProtocol,
  waitForBinding,
} from "../runtime/core/stack/binding.js";
import { reclaimFrom } from "../runtime/core/stack/datapath.js";
import { abortDirectOids } from "../runtime/core/stack/direct-oid.js";
import { retireDriver } from "../runtime/core/stack/driver.js";
import {
  attachModule,
  createModule,
  detachModule,
  pauseModule,
  restartModule,
  retireModule,
  setModuleOptions,
  waitForModule,
} from "../runtime/core/stack/filter.js";
import { filtersTakeNetPnP, netPnPUp } from "../runtime/core/stack/net-pnp.js";
import { abortOids, oidsOutstanding, resumeOids } from "../runtime/core/stack/oid.js";
import { NdisBugCheckError } from "../verifier/violation.js";

/** Which protocol binds to which adapter: every pair, or the listed ones. */
export interface BindingPath {
  readonly protocol: string;
  readonly adapter: string;
  /**
   * The protocol's parameters for this adapter (Tcpip\Parameters\Interfaces\… on Windows), read
   * through NdisOpenConfigurationEx with the binding handle.
   */
  readonly registry?: Readonly<Record<string, RegistryValue>>;
}

export type BindingPaths = "all" | readonly BindingPath[];

/** The pause reasons NDIS gives the whole stack, miniport included, for a filter's sake. */
const FILTER_PAUSE_REASONS = new Set([
  NDIS_PAUSE_ATTACH_FILTER,
  NDIS_PAUSE_DETACH_FILTER,
  NDIS_PAUSE_FILTER_RESTART_STACK,
]);

export class Stacks implements PnpManager {
  readonly #runtime: NdisRuntime;
  /** The binding paths in force. */
  bindingPaths: BindingPaths = "all";
  /** Set once the system shut down: no more work starts. */
  shutDown = false;

  constructor(runtime: NdisRuntime, bindingPaths: BindingPaths) {
    this.#runtime = runtime;
    this.setBindingPaths(bindingPaths);
    runtime.pnp = this;
  }

  /** Puts new binding paths in force, with the per-binding parameters they carry. */
  setBindingPaths(paths: BindingPaths): void {
    this.bindingPaths = paths;
    const parameters = this.#runtime.bindingParameters;
    parameters.clear();
    if (paths === "all") return;
    for (const path of paths) {
      if (path.registry !== undefined)
        parameters.set(
          bindingKey(path.protocol, path.adapter),
          new Map(Object.entries(path.registry)),
        );
    }
  }

  startDevice(instance: DeviceInstance): void {
    this.track(this.startInstance(instance));
  }

  deinitializeDevice(adapter: MiniportAdapter): void {
    this.track(this.teardownVirtual(adapter, NdisHaltDeviceInstanceDeInitialized, false));
  }

  containDriver(driver: DriverRecord): void {
    this.track(this.contain(driver));
  }

  unbindAdapter(binding: Binding): void {
    this.track(
      this.later().then(() => {
        if (this.#runtime.bindings.has(binding))
          return this.unbind(binding, NDIS_PAUSE_UNBIND_PROTOCOL);
      }),
    );
  }

  removeMiniport(adapter: MiniportAdapter): void {
    this.track(
      this.later().then(() => {
        if (this.#runtime.adapters.get(adapter.name) === adapter)
          return this.removeDevice(adapter, false, NdisHaltDeviceFailed);
      }),
    );
  }

  filterRegistered(block: FilterDriverBlock): void {
    this.track(this.attachEverywhere(block));
  }

  restartFilterStack(adapter: MiniportAdapter): void {
    this.track(this.restartForFilter(adapter));
  }

  /** The filter drivers installed on `adapter`, bottom of the stack first. */
  filterBlocks(adapter: MiniportAdapter): FilterDriverBlock[] {
    const blocks: FilterDriverBlock[] = [];
    for (const driver of this.#runtime.drivers.values()) {
      if (driver.state === "unloading" || driver.crashed !== null) continue;
      for (const block of driver.filterDrivers) {
        // An IM driver's own filter never sits on its own virtual miniports.
        if (block.driver === adapter.driver) continue;
        const only = block.install.adapters;
        if (only === null || only.some((name) => sameName(name, adapter.name))) blocks.push(block);
      }
    }
    return blocks.sort((a, b) => a.install.order - b.install.order);
  }

  /**
   * NDIS attaches the filter modules of an adapter's stack, bottom to top, after
   * MiniportInitializeEx and before the protocols bind. An optional module that fails to attach
   * is left out; a mandatory one keeps the stack from starting (false).
   */
  attachFilters(adapter: MiniportAdapter): boolean | Promise<boolean> {
    const blocks = this.filterBlocks(adapter);
    for (let i = 0; i < blocks.length; i++) {
      const block = blocks[i] as FilterDriverBlock;
      if (adapter.filters.some((m) => m.block === block)) continue;
      const status = attachModule(createModule(block, adapter));
      // A FilterAttach that blocks: the next module attaches once it has returned.
      if (typeof status !== "number")
        return status.then((settled) =>
          settled !== NDIS_STATUS_SUCCESS && block.install.mandatory
            ? false
            : this.#attachRest(adapter, blocks, i + 1),
        );
      if (status !== NDIS_STATUS_SUCCESS && block.install.mandatory) return false;
    }
    return true;
  }

  async #attachRest(
    adapter: MiniportAdapter,
    blocks: readonly FilterDriverBlock[],
    from: number,
  ): Promise<boolean> {
    for (const block of blocks.slice(from)) {
      if (adapter.filters.some((m) => m.block === block)) continue;
      const status = await attachModule(createModule(block, adapter));
      if (status !== NDIS_STATUS_SUCCESS && block.install.mandatory) return false;
    }
    return true;
  }

  /** A mandatory filter failed: NDIS takes the stack down again (modules detached, halt). */
  async abortStack(adapter: MiniportAdapter): Promise<void> {
    for (const module of [...adapter.filters].reverse()) {
      if (module.machine.state === "Paused") {
        const detaching = detachModule(module);
        if (detaching !== undefined) await detaching;
      } else retireModule(module, null);
    }
    if (adapter.machine.state === "Paused") {
      const halting = haltAdapter(adapter, NdisHaltDeviceFailed);
      if (halting !== undefined) await halting;
    } else retireAdapter(adapter, null);
  }

  /** A filter registered late: NDIS inserts a module into each running stack it is installed on. */
  async attachEverywhere(block: FilterDriverBlock): Promise<void> {
    await this.later();
    for (const adapter of [...this.#runtime.adapters.values()]) {
      if (block.driver.filterDrivers.indexOf(block) < 0) return;
      if (!this.filterBlocks(adapter).includes(block)) continue;
      if (adapter.filters.some((m) => m.block === block)) continue;
      await waitForState(
        adapter,
        (s) => s !== "Initializing" && s !== "Restarting" && s !== "Pausing",
      );
      const s = adapter.machine.state;
      if (s !== "Running" && s !== "Paused") continue;
      await this.insertModule(block, adapter);
    }
  }

  /** Inserts a module into a stack: pause what runs, FilterAttach, restart (NDIS_PAUSE_ATTACH_FILTER). */
  async insertModule(
    block: FilterDriverBlock,
    adapter: MiniportAdapter,
  ): Promise<FilterModule | null> {
    const wasRunning = adapter.machine.state === "Running";
    if (wasRunning) await this.pause(adapter, NDIS_PAUSE_ATTACH_FILTER);
    const module = createModule(block, adapter);
    const status = await attachModule(module);
    if (wasRunning) await this.restart(adapter);
    return status === NDIS_STATUS_SUCCESS ? module : null;
  }

  /** Removes a module from a stack: pause what runs, FilterDetach, restart (NDIS_PAUSE_DETACH_FILTER). */
  async removeModule(module: FilterModule): Promise<void> {
    const adapter = module.adapter;
    await waitForState(adapter, (s) => s !== "Restarting" && s !== "Pausing");
    const wasRunning = adapter.machine.state === "Running";
    if (wasRunning) await this.pause(adapter, NDIS_PAUSE_DETACH_FILTER);
    await waitForModule(module, (s) => s !== "Restarting" && s !== "Pausing");
    if (module.machine.state === "Running") await pauseModule(module, NDIS_PAUSE_DETACH_FILTER);
    if (module.machine.state === "Paused") {
      const detaching = detachModule(module);
      if (detaching !== undefined) await detaching;
    } else if (adapter.filters.includes(module)) retireModule(module, null);
    if (wasRunning) await this.restart(adapter);
  }

  /** NdisFRestartFilter: NDIS pauses the stack and restarts it (FilterSetModuleOptions first). */
  async restartForFilter(adapter: MiniportAdapter): Promise<void> {
    await this.later();
    if (this.#runtime.adapters.get(adapter.name) !== adapter) return;
    await waitForState(adapter, (s) => s !== "Restarting" && s !== "Pausing");
    if (adapter.machine.state !== "Running") return;
    await this.pause(adapter, NDIS_PAUSE_FILTER_RESTART_STACK);
    await this.restart(adapter);
  }

  /**
   * Restarts the modules of a stack whose miniport runs again: FilterSetModuleOptions for every
   * paused module first, then FilterRestart bottom to top. An optional module that fails is
   * detached; a mandatory one leaves the stack above it paused (false).
   */
  async restartFilters(adapter: MiniportAdapter): Promise<boolean> {
    const paused = adapter.filters.filter((m) => m.machine.state === "Paused");
    const failed = new Set<FilterModule>();
    for (const module of paused) {
      let status = setModuleOptions(module);
      if (typeof status !== "number") status = await status;
      if (status !== NDIS_STATUS_SUCCESS) failed.add(module);
    }
    for (const module of paused) {
      if (!adapter.filters.includes(module)) continue;
      if (!failed.has(module) && (await restartModule(module)) === NDIS_STATUS_SUCCESS) continue;
      if (module.block.install.mandatory) return false;
      if (module.machine.state === "Paused") {
        const detaching = detachModule(module);
        if (detaching !== undefined) await detaching;
      }
    }
    return true;
  }

  /** Pauses the running modules of a stack, top to bottom. */
  async pauseFilters(adapter: MiniportAdapter, reason: number): Promise<void> {
    for (const module of [...adapter.filters].reverse()) {
      await waitForModule(module, (s) => s !== "Restarting");
      if (module.machine.state === "Running") await pauseModule(module, reason);
    }
  }

  /** PnP work NDIS handed to the host that has not finished yet. */
  readonly #work = new Set<Promise<void>>();
  #workErrors: unknown[] = [];

  track(work: Promise<void>): void {
    const tracked = work
      .catch((err: unknown) => {
        // A bug check already stopped the host and is reported by the next operation.
        if (!(err instanceof NdisBugCheckError)) this.#workErrors.push(err);
      })
      .finally(() => this.#work.delete(tracked));
    this.#work.add(tracked);
  }

  /**
   * Resolves once NDIS has no PnP work in flight: virtual miniports an IM driver asked for are
   * started (or failed), teardowns it asked for are done. Every host operation ends with it.
   */
  async settle(): Promise<void> {
    while (this.#work.size > 0) await Promise.all([...this.#work]);
    const errors = this.#workErrors;
    this.#workErrors = [];
    if (errors.length > 0) throw errors[0];
  }

  /** True when PnP work is in flight or failed work has not been reported yet. */
  get busy(): boolean {
    return this.#work.size > 0 || this.#workErrors.length > 0;
  }

  /** Waits until the call that asked for work has unwound (NDIS's work runs after the call). */
  later(): Promise<void> {
    return new Promise((resolve) => this.#runtime.defer(resolve, "NDIS: PnP step"));
  }

  /** The PnP manager starts a virtual miniport: MiniportInitializeEx, binds above it, restart. */
  async startInstance(instance: DeviceInstance): Promise<void> {
    await this.later();
    const runtime = this.#runtime;
    if (runtime.deviceInstances.get(instance.name) !== instance || instance.state !== "wanted")
      return;
    if (this.shutDown || runtime.bugCheck !== null) return;
    instance.state = "starting";
    const adapter = createAdapter(instance.block, instance.name);
    instance.adapter = adapter;
    let status = initializeAdapter(adapter, instance.context);
    if (typeof status !== "number") status = await status;
    if (status !== NDIS_STATUS_SUCCESS) {
      if (runtime.adapters.get(adapter.name) === adapter)
        retireAdapter(adapter, `MiniportInitializeEx of ${adapter.name} failed`);
      runtime.deviceInstances.delete(instance.name);
      return;
    }
    instance.state = "started";
    let attached = this.attachFilters(adapter);
    if (typeof attached !== "boolean") attached = await attached;
    if (!attached) {
      await this.abortStack(adapter);
      runtime.deviceInstances.delete(instance.name);
      return;
    }
    for (const protocol of this.protocols()) {
      if (this.shouldBind(protocol, adapter)) await bindProtocol(createBinding(protocol, adapter));
    }
    await this.restart(adapter);
  }

  /**
   * Tears a virtual miniport down: unbind what is above it, pause it, halt it with `action`.
   * `disable` keeps the instance, disabled, for a later re-enable.
   */
  async teardownVirtual(
    adapter: MiniportAdapter,
    action: NDIS_HALT_ACTION,
    disable: boolean,
  ): Promise<void> {
    await this.later();
    const runtime = this.#runtime;
    if (runtime.adapters.get(adapter.name) !== adapter) return;
    await this.takeDown(adapter, action);
    const instance = runtime.deviceInstances.get(adapter.name);
    if (instance?.adapter === adapter) {
      if (disable) {
        instance.state = "disabled";
        instance.adapter = null;
      } else {
        runtime.deviceInstances.delete(adapter.name);
      }
    }
  }

  /**
   * Stops a driver the verifier caught (strict mode): its adapters lose what is bound above them
   * (those protocols are paused and unbound as usual) and are dropped without another call into
   * the driver; its own bindings are dropped, the adapters below them keep running; then its
   * registrations go. Waits on its objects end, as requests to a failed device would.
   */
  async contain(driver: DriverRecord): Promise<void> {
    await this.later();
    const runtime = this.#runtime;
    // What the stopped driver holds comes back first — NBLs on the data path, OID requests its
    // miniport edge had — so no pause and no issuer waits for it.
    reclaimFrom(runtime, driver);
    for (const block of driver.miniportDrivers)
      for (const adapter of block.adapters) {
        abortOids(adapter);
        abortDirectOids(adapter);
      }
    for (const block of driver.filterDrivers)
      for (const module of block.modules) abortDirectOids(module);
    for (const block of [...driver.miniportDrivers]) {
      for (const adapter of [...block.adapters]) {
        for (const binding of bindingsOf(adapter)) {
          if (binding.driver === driver) retireBinding(binding);
          else await this.unbind(binding, NDIS_PAUSE_NDIS_INTERNAL);
        }
        if (runtime.adapters.get(adapter.name) === adapter) retireAdapter(adapter, null);
      }
    }
    for (const binding of [...runtime.bindings]) {
      if (binding.driver === driver) retireBinding(binding);
    }
    // [MODEL] A stopped filter's modules leave their stacks at once, without another call; the
    // stacks go on around them.
    for (const block of driver.filterDrivers) {
      for (const module of [...block.modules]) retireModule(module, null);
    }
    for (const [name, instance] of runtime.deviceInstances) {
      if (instance.block.driver === driver) runtime.deviceInstances.delete(name);
    }
    retireDriver(driver);
  }

  /**
   * Stops an adapter's stack and halts the adapter with `action`, in the order of "Removing a
   * NIC" and "Stopping a driver stack" (learn.microsoft.com/windows-hardware/drivers/network):
   * every protocol bound to it is paused (NetEventPause), then its filter modules (FilterPause),
   * then the miniport (MiniportPause), then each protocol is unbound (ProtocolUnbindAdapterEx),
   * each module detached (FilterDetach), and last MiniportHaltEx. Virtual
   * miniports of IM drivers are taken down the same way.
   */
  async takeDown(adapter: MiniportAdapter, action: NDIS_HALT_ACTION): Promise<void> {
    await waitForState(
      adapter,
      (s) => s !== "Restarting" && s !== "Pausing" && s !== "Initializing",
    );
    if (adapter.lowPower) {
      // Removed while asleep: the requests NDIS held for the wake go to a miniport that is still
      // there (it is paused, and takes requests); one halted for the sleep gets none of them.
      adapter.lowPower = false;
      if (adapter.machine.state === "Halted") abortOids(adapter);
      else resumeOids(adapter);
    }
    for (const binding of bindingsOf(adapter)) {
      await waitForBinding(
        binding,
        (s) => s !== "Restarting" && s !== "Opening" && s !== "Pausing",
      );
      if (binding.machine.state === "Running")
        await pauseBinding(binding, NDIS_PAUSE_NDIS_INTERNAL);
    }
    await waitForState(adapter, (s) => s !== "Restarting" && s !== "Pausing");
    await this.pauseFilters(adapter, NDIS_PAUSE_NDIS_INTERNAL);
    if (adapter.machine.state === "Running") await pauseAdapter(adapter, true);
    // Top down, the mirror of bring-up (modules attach before the protocols bind): the protocols
    // unbind first — each waits for the OID requests it still has out through the modules — then
    // the modules detach, then the miniport halts.
    for (const binding of bindingsOf(adapter)) await this.unbind(binding, NDIS_PAUSE_NDIS_INTERNAL);
    // "Halting a Miniport Adapter": NDIS does not call MiniportHaltEx while OID requests are
    // outstanding — its own (a query from user mode, a power request) and the modules' included.
    if (oidsOutstanding(adapter)) await waitForState(adapter, () => !oidsOutstanding(adapter));
    for (const module of [...adapter.filters].reverse()) {
      if (module.machine.state === "Paused") {
        const detaching = detachModule(module);
        if (detaching !== undefined) await detaching;
      } else retireModule(module, null);
    }
    if (adapter.machine.state === "Paused") {
      const halting = haltAdapter(adapter, action);
      if (halting !== undefined) await halting;
    } else if (this.#runtime.adapters.get(adapter.name) === adapter) retireAdapter(adapter, null);
  }

  /**
   * Removes a device. A surprise removal follows "Processing the Surprise Removal of a NIC
   * (Windows 7 and Later Versions)": the protocols bound to it are asked
   * ProtocolNetPnPEvent(NetEventQueryRemoveDevice) (their answer cannot stop it), then the
   * miniport hears MiniportDevicePnPEventNotify(NdisDevicePnPEventSurpriseRemoved), then the
   * stack stops as for any removal and the halt action is NdisHaltDeviceSurpriseRemoved.
   */
  async remove(
    adapter: MiniportAdapter,
    surprise: boolean,
    action: NDIS_HALT_ACTION = NdisHaltDeviceDisabled,
  ): Promise<void> {
    await this.removeDevice(adapter, surprise, action);
    if (this.busy) await this.settle();
  }

  /** `remove` without waiting for the PnP work it causes (for work NDIS itself tracks). */
  async removeDevice(
    adapter: MiniportAdapter,
    surprise: boolean,
    action: NDIS_HALT_ACTION,
  ): Promise<void> {
    if (surprise && !adapter.surpriseRemoved && adapter.machine.state !== "Shutdown") {
      adapter.surpriseRemoved = true;
      const queryRemove = netPnPNotification(NetEventQueryRemoveDevice, null, 0);
      // Through the filter modules that take net PnP events; without them to every protocol.
      if (filtersTakeNetPnP(adapter)) await netPnPUp(adapter, null, queryRemove);
      else
        for (const binding of bindingsOf(adapter)) {
          const state = binding.machine.state;
          if (state === "Unbound" || state === "Opening" || state === "Closing") continue;
          await deliverPnPEvent(binding, queryRemove);
        }
      if (this.#runtime.adapters.get(adapter.name) === adapter)
        notifyDevicePnPEvent(adapter, NdisDevicePnPEventSurpriseRemoved);
    }
    if (this.#runtime.adapters.get(adapter.name) === adapter)
      await this.takeDown(adapter, surprise ? NdisHaltDeviceSurpriseRemoved : action);
    const instance = this.#runtime.deviceInstances.get(adapter.name);
    if (instance?.adapter === adapter) this.#runtime.deviceInstances.delete(adapter.name);
  }

  async pause(adapter: MiniportAdapter, reason: number): Promise<void> {
    for (const binding of bindingsOf(adapter)) {
      await waitForBinding(binding, (s) => s !== "Restarting" && s !== "Opening");
      if (binding.machine.state === "Running") await pauseBinding(binding, reason);
    }
    await this.pauseFilters(adapter, reason);
    await waitForState(adapter, (s) => s !== "Restarting");
    if (adapter.machine.state === "Running")
      await pauseAdapter(
        adapter,
        false,
        reason === NDIS_PAUSE_LOW_POWER,
        FILTER_PAUSE_REASONS.has(reason) ? reason : undefined,
      );
  }

  async restart(adapter: MiniportAdapter): Promise<void> {
    if (adapter.machine.state === "Paused") await restartAdapter(adapter);
    if (adapter.machine.state !== "Running") return;
    if (!(await this.restartFilters(adapter))) return;
    for (const binding of bindingsOf(adapter)) {
      if (binding.machine.state === "Paused") await restartBinding(binding);
    }
  }

  /** Binds `protocol` to an existing adapter: pause the stack, bind, restart what ran. */
  async bindInto(protocol: ProtocolDriverBlock, adapter: MiniportAdapter): Promise<void> {
    const wasRunning = adapter.machine.state === "Running";
    if (wasRunning) await this.pause(adapter, NDIS_PAUSE_BIND_PROTOCOL);
    if (adapter.machine.state === "Paused") await bindProtocol(createBinding(protocol, adapter));
    if (wasRunning) await this.restart(adapter);
  }

  /** Unbinds one binding: NetEventPause if it runs, then ProtocolUnbindAdapterEx. */
  async unbind(binding: Binding, reason: number): Promise<void> {
    await waitForBinding(binding, (s) => s !== "Restarting" && s !== "Opening" && s !== "Pausing");
    if (binding.machine.state === "Running") await pauseBinding(binding, reason);
    if (binding.machine.state === "Paused") await unbindProtocol(binding);
  }

  /**
   * ProtocolNetPnPEvent for the protocol as a whole (ProtocolBindingContext NULL), as NDIS sends
   * NetEventBindsComplete, NetEventReconfigure without a binding and NetEventIMReEnableDevice.
   * Returns what the handler returned (FAILURE if it threw or returned no status).
   */
  notifyProtocol(
    protocol: ProtocolDriverBlock,
    code: number,
    buffer: unknown,
    length: number,
  ): NDIS_STATUS {
    const pnp = protocol.chars.handlers.NetPnPEventHandler as (c: unknown, e: unknown) => unknown;
    const returned = callDriver(
      this.#runtime,
      protocol.driver,
      "ProtocolNetPnPEvent",
      PASSIVE_LEVEL,
      () => pnp(null, netPnPNotification(code, buffer, length)),
      () => NDIS_STATUS_FAILURE,
      `${protocol.chars.Name}: NetEvent ${code}`,
    );
    return isNdisStatusValue(returned) ? returned : NDIS_STATUS_FAILURE;
  }

  protocols(): ProtocolDriverBlock[] {
    return [...this.#runtime.drivers.values()]
      .filter((d) => d.state === "loaded")
      .flatMap((d) => d.protocolDrivers);
  }

  shouldBind(protocol: ProtocolDriverBlock, adapter: MiniportAdapter): boolean {
    // An IM driver's protocol edge never binds to its own virtual miniports.
    if (protocol.associatedMiniport !== null && protocol.associatedMiniport === adapter.block)
      return false;
    const paths = this.bindingPaths;
    if (paths === undefined || paths === "all") return true;
    return paths.some(
      (p) => p.protocol === protocol.chars.Name && sameName(p.adapter, adapter.name),
    );
  }
}
