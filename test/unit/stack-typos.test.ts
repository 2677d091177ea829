/**
 * Names in a stack file that match nothing are errors with file:line:col and a "did you mean":
 * a binding's protocol or adapter, a registry value no driver reads. And a DriverEntry that fails
 * says why (the NDIS call that failed, what the verifier saw) without --trace.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ManualClock } from "../../src/index.js";
import { parseStack, startStack, stopStack } from "../../src/stack/index.js";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

const HUB_PING = (protocol: string, adapter: string, key: string) => `drivers:
  - { name: passthrough, module: passthrough }
  - { name: host-a, module: ipv4-host }
  - { name: hub, module: hub }
adapters:
  - { name: eth0, driver: hub, registry: { Hub: lab } }
bindings:
  - { protocol: passthrough, adapter: eth0 }
  - protocol: ${protocol}
    adapter: ${adapter}
    registry:
      IPAddress: 198.51.100.1
      ${key}: 24
`;

async function problemsOf(text: string): Promise<readonly string[]> {
  const running = await startStack(parseStack(text, "stack.yaml", ROOT), {
    clock: new ManualClock(),
  });
  const problems = running.problems;
  await stopStack(running);
  return problems;
}

describe("names that match nothing", () => {
  test("a clean file has no problems", async () => {
    assert.deepEqual(await problemsOf(HUB_PING("host-a", "eth0-pt", "PrefixLength")), []);
  });

  test("a binding's protocol", async () => {
    assert.deepEqual(await problemsOf(HUB_PING("host-b", "eth0-pt", "PrefixLength")), [
      'stack.yaml:9:15: bindings[1].protocol: no protocol named "host-b" is registered: expected one of "passthrough", "host-a"; did you mean "host-a"?',
    ]);
  });

  test("a binding's adapter", async () => {
    assert.deepEqual(await problemsOf(HUB_PING("host-a", "eth0-tp", "PrefixLength")), [
      'stack.yaml:10:14: bindings[1].adapter: no adapter named "eth0-tp" exists: expected one of "eth0", "eth0-pt"; did you mean "eth0-pt"?',
    ]);
  });

  test("a registry value no driver reads", async () => {
    const problems = await problemsOf(HUB_PING("host-a", "eth0-pt", "PrefixLenght"));
    assert.equal(problems.length, 1);
    assert.match(
      problems[0] ?? "",
      /^stack\.yaml:13:7: bindings\[1\]\.registry\.PrefixLenght: registry value "PrefixLenght" was never read by host-a \(it read .*prefixlength.*\); did you mean "prefixlength"\?$/,
    );
  });

  test("an adapter's registry value", async () => {
    const text = HUB_PING("host-a", "eth0-pt", "PrefixLength").replace(
      "{ Hub: lab }",
      "{ Hbu: lab }",
    );
    const problems = await problemsOf(text);
    assert.ok(
      problems.some((p) =>
        /^stack\.yaml:6:44: adapters\[0\]\.registry\.Hbu: registry value "Hbu" was never read by hub .*did you mean "hub"\?$/.test(
          p,
        ),
      ),
      problems.join("\n"),
    );
  });
});

describe("a failed DriverEntry says why", () => {
  test("the registration call that failed, with its status", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ndis-bad-entry-"));
    const module = join(dir, "bad.mts");
    writeFileSync(
      module,
      `import { NdisMRegisterMiniportDriver, type DRIVER_OBJECT } from ${JSON.stringify(join(ROOT, "src/ddi.ts"))};
export function DriverEntry(DriverObject: DRIVER_OBJECT, RegistryPath: string) {
  return NdisMRegisterMiniportDriver(DriverObject, RegistryPath, null, { Header: { Type: 0x81, Revision: 1, Size: 8 } } as never, {});
}
`,
    );
    const problems = await problemsOf(
      `drivers:\n  - { name: imtest, module: ${JSON.stringify(module)} }\n`,
    );
    assert.equal(problems.length, 1);
    assert.match(
      problems[0] ?? "",
      /^driver imtest: DriverEntry returned NDIS_STATUS_BAD_CHARACTERISTICS \(0xC0010005\): NdisMRegisterMiniportDriver returned NDIS_STATUS_BAD_CHARACTERISTICS \(0xC0010005\) \(NDIS_MINIPORT_DRIVER_CHARACTERISTICS\.Header\.Type is/,
    );
  });

  test("a driver whose calls reach another copy of ndis-ts is told so", async () => {
    // A .ts file in a folder without "type": "module" loads as CommonJS: its own copy of the DDI.
    const dir = mkdtempSync(join(tmpdir(), "ndis-cjs-entry-"));
    const module = join(dir, "copy.ts");
    writeFileSync(
      module,
      `import { NdisMRegisterMiniportDriver } from ${JSON.stringify(join(ROOT, "src/ddi.ts"))};
export function DriverEntry(DriverObject: unknown, RegistryPath: string) {
  return NdisMRegisterMiniportDriver(DriverObject as never, RegistryPath, null, {} as never, {});
}
`,
    );
    const problems = await problemsOf(
      `drivers:\n  - { name: imtest, module: ${JSON.stringify(module)} }\n`,
    );
    assert.equal(problems.length, 1);
    assert.match(
      problems[0] ?? "",
      /none of its NDIS calls reached this host .*another copy of ndis-ts/,
    );
  });
});
