/**
 * The host's PnP manager and stack operations: how devices, bindings and IM virtual miniports are
 * brought up, paused, restarted and taken down in NDIS order. NDIS hands it work through the
 * PnpManager interface (start or de-initialize a virtual miniport, contain a stopped driver);
 * the NdisHost API calls the rest. Internal to the host.
 */

import {
  NDIS_PAUSE_BIND_PROTOCOL,
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
import { callDriver } from "../runtime/core/objects/context.js";
import type {
  Binding,
  DeviceInstance,
  DriverRecord,
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
import { retireDriver } from "../runtime/core/stack/driver.js";
import { abortOids } from "../runtime/core/stack/oid.js";
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
    const status = initializeAdapter(adapter, instance.context);
    if (status !== NDIS_STATUS_SUCCESS) {
      if (runtime.adapters.get(adapter.name) === adapter)
        retireAdapter(adapter, `MiniportInitializeEx of ${adapter.name} failed`);
      runtime.deviceInstances.delete(instance.name);
      return;
    }
    instance.state = "started";
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
      for (const adapter of block.adapters) abortOids(adapter);
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
    for (const [name, instance] of runtime.deviceInstances) {
      if (instance.block.driver === driver) runtime.deviceInstances.delete(name);
    }
    retireDriver(driver);
  }

  /**
   * Stops an adapter's stack and halts the adapter with `action`, in the order of "Removing a
   * NIC" and "Stopping a driver stack" (learn.microsoft.com/windows-hardware/drivers/network):
   * every protocol bound to it is paused (NetEventPause), then the miniport (MiniportPause), then
   * each protocol is unbound (ProtocolUnbindAdapterEx), and last MiniportHaltEx. Virtual
   * miniports of IM drivers are taken down the same way.
   */
  async takeDown(adapter: MiniportAdapter, action: NDIS_HALT_ACTION): Promise<void> {
    await waitForState(
      adapter,
      (s) => s !== "Restarting" && s !== "Pausing" && s !== "Initializing",
    );
    for (const binding of bindingsOf(adapter)) {
      await waitForBinding(
        binding,
        (s) => s !== "Restarting" && s !== "Opening" && s !== "Pausing",
      );
      if (binding.machine.state === "Running")
        await pauseBinding(binding, NDIS_PAUSE_NDIS_INTERNAL);
    }
    await waitForState(adapter, (s) => s !== "Restarting" && s !== "Pausing");
    if (adapter.machine.state === "Running") await pauseAdapter(adapter, true);
    for (const binding of bindingsOf(adapter)) await this.unbind(binding, NDIS_PAUSE_NDIS_INTERNAL);
    if (adapter.machine.state === "Paused") haltAdapter(adapter, action);
    else if (this.#runtime.adapters.get(adapter.name) === adapter) retireAdapter(adapter, null);
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
      for (const binding of bindingsOf(adapter)) {
        const state = binding.machine.state;
        if (state === "Unbound" || state === "Opening" || state === "Closing") continue;
        await deliverPnPEvent(binding, netPnPNotification(NetEventQueryRemoveDevice, null, 0));
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
    await waitForState(adapter, (s) => s !== "Restarting");
    if (adapter.machine.state === "Running")
      await pauseAdapter(adapter, false, reason === NDIS_PAUSE_LOW_POWER);
  }

  async restart(adapter: MiniportAdapter): Promise<void> {
    if (adapter.machine.state === "Paused") await restartAdapter(adapter);
    if (adapter.machine.state !== "Running") return;
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
    return paths.some((p) => p.protocol === protocol.chars.Name && p.adapter === adapter.name);
  }
}
