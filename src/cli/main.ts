#!/usr/bin/env node
/**
 * The `ndis` command line. Each verb lives in commands/; all printing goes through output.ts.
 * Exit codes: 0 success, 1 the stack failed or the verifier found errors, 2 bad usage or input.
 */
import { Command, Option } from "commander";
import { NdisError, VERIFIER_MODES, type VerifierMode } from "../index.js";
import { run } from "./commands/run.js";
import { createOutput } from "./output.js";

const write = (text: string) => process.stdout.write(text);

const program = new Command()
  .name("ndis")
  .description("NDIS 6 intermediate drivers in user space: run, trace and verify them")
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

program
  .command("run")
  .description(
    "run the embedded default stack: the passthrough IM driver over a test miniport, brought up and torn down",
  )
  .addOption(
    new Option("--ndis-version <version>", "NDIS version the host emulates (6.0 … 6.89)").default(
      "6.89",
    ),
  )
  .addOption(
    new Option("--verifier <mode>", "verifier mode").choices(VERIFIER_MODES).default("record"),
  )
  .option(
    "--accept-default-header-type",
    "accept header Type 0x80 in characteristics, as Windows does for MUX",
    false,
  )
  .option("--json", "print JSON lines (trace events, drivers, violations, summary)", false)
  .action(
    async (opts: {
      ndisVersion: string;
      verifier: VerifierMode;
      acceptDefaultHeaderType: boolean;
      json: boolean;
    }) => {
      process.exitCode = await run(opts, createOutput(write, opts.json));
    },
  );

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (NdisError.is(err)) {
    process.stderr.write(`ndis: ${err.message}\n`);
    process.exitCode = err.code === "NDIS_ERR_BUGCHECK" ? 1 : 2;
  } else {
    throw err;
  }
}
