/**
 * `ndis run`: brings up a stack and shows what happens. Today the stack is the embedded default's
 * first step — the passthrough IM driver loaded into a host, registering both edges — and the
 * command prints the DDI trace of the registration, what NDIS now holds, and the unload.
 */
import * as passthrough from "../../drivers/passthrough/index.js";
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
    for (const driver of host.drivers) out.driver(driver);
    out.line("");
    out.line("unloading driver passthrough");
    await host.unloadDriver("passthrough");
    out.record("unload", { driver: "passthrough" });
  }

  out.line("");
  out.violations(host.violations);
  const errors = host.violations.filter((v) => v.severity === "error").length;
  out.record("summary", { loaded, violations: host.violations.length, errors });
  return loaded && errors === 0 ? 0 : 1;
}
