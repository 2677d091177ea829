/**
 * Passthrough: a 1:1 NDIS intermediate driver (the NDIS 5 "passthru" idea in NDIS 6 shape, as
 * Microsoft's MUX sample registers it). This file is its DriverEntry: it registers the miniport
 * edge with NDIS_INTERMEDIATE_DRIVER, then the protocol edge, then associates the two — undoing
 * what succeeded if a later step fails (`driver.ts`, which makes the driver: each load gets state
 * of its own).
 *
 * Like a driver that must run on several Windows releases, it asks NdisGetVersion which NDIS it
 * runs on and registers as that version (capped at 6.89), with the characteristics revision that
 * version requires.
 */
import type { DRIVER_OBJECT, NDIS_STATUS } from "../../ddi.js";
import { passthroughDriver } from "./driver.js";

const passthrough = passthroughDriver();

/** DriverEntry: registers both edges of the intermediate driver and associates them. */
export function DriverEntry(DriverObject: DRIVER_OBJECT, RegistryPath: string): NDIS_STATUS {
  return passthrough.DriverEntry(DriverObject, RegistryPath);
}
