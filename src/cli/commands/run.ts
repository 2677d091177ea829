/**
 * `ndis run`: brings up a stack, shows what happens, and tears it down in NDIS order. Today the
 * stack is the embedded default: the passthrough IM driver over a test Ethernet miniport —
 * registration of both edges, the device arrival, the bind, the virtual miniport, the restart —
 * then removal and unload, leaving nothing behind.
 */
import * as passthrough from "../../drivers/passthrough/index.js";
import * as testMiniport from "../../drivers/test-miniport/index.js";
import {
  NDIS_STATUS_SUCCESS,
  NdisHost,
  ndisStatusToString,
  type VerifierMode,
} from "../../index.js";
import type { Output } from "../output.js";

export interface RunOptions {
  readonly ndisVersion: string;
  readonly verifier: VerifierMode;
  readonly acceptDefaultHeaderType: boolean;
}

/** Runs the embedded default stack; resolves with the process exit code. */
export async function run(options: RunOptions, out: Output): Promise<number> {
  const host = new NdisHost({
    ndisVersion: options.ndisVersion,
    verifier: options.verifier,
    acceptDefaultHeaderType: options.acceptDefaultHeaderType,
    bindings: [{ protocol: "passthrough", adapter: "eth0" }],
  });
  const info = host.ndisVersionInfo;
  out.line(`ndis-ts host: NDIS ${info.label} (${info.os}), verifier ${host.verifierMode}`);
  out.record("host", { ndisVersion: info.label, os: info.os, verifier: host.verifierMode });
  host.onTrace((event) => out.trace(event));

  out.line("");
  out.line("loading driver passthrough (sample intermediate driver)");
  const { status } = await host.loadDriver({ name: "passthrough", module: passthrough });
  out.record("load", { driver: "passthrough", status, statusText: ndisStatusToString(status) });
  out.line(`DriverEntry returned ${ndisStatusToString(status)}`);
  const loaded = status === NDIS_STATUS_SUCCESS;

  if (loaded) {
    out.line("");
    out.line("loading driver testmp (test Ethernet miniport) and adding its device eth0");
    const testmp = await host.loadDriver({ name: "testmp", module: testMiniport });
    if (testmp.status !== NDIS_STATUS_SUCCESS) {
      out.line(
        `testmp's DriverEntry returned ${ndisStatusToString(testmp.status)}; no device to add`,
      );
    } else {
      await host.addAdapter({ driver: "testmp", name: "eth0" });
    }

    out.line("");
    for (const driver of host.drivers) out.driver(driver);
    out.adapters(host.adapters, host.bindings);

    out.line("");
    out.line("removing eth0, then unloading the drivers");
    if (host.adapter("eth0") !== undefined) await host.removeAdapter("eth0");
    if (host.driver("testmp") !== undefined) await host.unloadDriver("testmp");
    await host.unloadDriver("passthrough");
    out.record("teardown", { liveObjects: host.liveObjects().length });
    out.line(`live objects after teardown: ${host.liveObjects().length}`);
  }

  out.line("");
  out.violations(host.violations);
  const errors = host.violations.filter((v) => v.severity === "error").length;
  const leaked = host.liveObjects().length;
  out.record("summary", { loaded, violations: host.violations.length, errors, leaked });
  return loaded && errors === 0 && leaked === 0 ? 0 : 1;
}
