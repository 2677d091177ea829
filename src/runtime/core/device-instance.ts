/**
 * IM device instances: the virtual miniports an intermediate driver asked for with
 * NdisIMInitializeDeviceInstanceEx. NDIS hands the start to the PnP manager (the host), which
 * calls MiniportInitializeEx for it later — possibly after the call returned, so the driver may
 * assume neither order.
 */
import type { MiniportAdapter } from "./adapter.js";
import type { Binding } from "./binding.js";
import type { DriverRecord, MiniportDriverBlock } from "./driver.js";

export interface DeviceInstance {
  /** The device instance name (`\Device\{GUID}` on Windows; any unique name here). */
  readonly name: string;
  readonly block: MiniportDriverBlock;
  /** The DeviceContext given to NdisIMInitializeDeviceInstanceEx. */
  context: unknown;
  /**
   * wanted: the start is queued and can still be cancelled; starting: MiniportInitializeEx is
   * running or ran; started: the virtual miniport exists; disabled: the user disabled it and it
   * waits for a re-enable.
   */
  state: "wanted" | "starting" | "started" | "disabled";
  adapter: MiniportAdapter | null;
}

/** What the PnP manager does for NDIS with virtual devices. The host provides it. */
export interface PnpManager {
  /** Starts a wanted instance: MiniportInitializeEx, binds above it, restart. */
  startDevice(instance: DeviceInstance): void;
  /** Tears a virtual miniport down because its IM driver asked (NdisIMDeInitializeDeviceInstance). */
  deinitializeDevice(adapter: MiniportAdapter): void;
  /** Removes everything of a driver the verifier stopped, without calling it again. */
  containDriver(driver: DriverRecord): void;
  /** A protocol asked to be unbound (NdisUnbindAdapter): pause and unbind it, later. */
  unbindAdapter(binding: Binding): void;
  /** A miniport reported its adapter unrecoverable (NdisMRemoveMiniport): remove it, later. */
  removeMiniport(adapter: MiniportAdapter): void;
}
