/**
 * Hostile characteristics tables, generated: whatever a driver passes, registration returns one
 * of NDIS's statuses, never throws, and never leaves a half-registered driver.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  MINIPORT_HANDLER_SLOTS,
  type NDIS_HANDLE,
  NDIS_STATUS_BAD_CHARACTERISTICS,
  NDIS_STATUS_BAD_VERSION,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_SUCCESS,
  NdisHost,
  NdisMRegisterMiniportDriver,
  NdisRegisterProtocolDriver,
  type Out,
  PROTOCOL_HANDLER_SLOTS,
  type Violation,
} from "../../src/index.js";
import { driverModule, edgeCount, miniportChars, noop, protocolChars } from "../helpers/drivers.js";

const ALLOWED = new Set([
  NDIS_STATUS_SUCCESS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_BAD_CHARACTERISTICS,
  NDIS_STATUS_BAD_VERSION,
]);

/**
 * Bad input is a status, not a crash. The exception is real driver code: a junk function in
 * SetOptionsHandler does run inside the registration, and may throw or return a non-status.
 */
function fromBadInputOrSetOptions(v: Violation): boolean {
  if (v.severity === "warning") return true;
  return (
    (v.rule === "DriverException" || v.rule === "Callback_InvalidReturn") &&
    /SetOptions/.test(v.message)
  );
}

/** Values a C struct field could never hold, and a few it could. */
/** True while a fuzzed table is being registered: no handler of it may run then. */
let registering = false;

const junk = fc.oneof(
  fc.constantFrom(
    undefined,
    null,
    0,
    -1,
    0.5,
    255,
    256,
    0xffff,
    0x10000,
    2 ** 53,
    Number.NaN,
    Number.POSITIVE_INFINITY,
  ),
  fc.constantFrom(0x8a, 0x95, 0x80, 1, 2, 3, 6, 20, 89, 90),
  fc.string({ maxLength: 8 }),
  fc.constant(noop),
  fc.constant(() => {
    // Registration itself must call no handler; after it NDIS may (NetEventBindsComplete).
    if (registering) throw new Error("handler called during registration");
  }),
  fc.bigInt(),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
);

const headerFields = ["Type", "Revision", "Size"] as const;
const miniportFields = [
  "MajorNdisVersion",
  "MinorNdisVersion",
  "MajorDriverVersion",
  "MinorDriverVersion",
  "Flags",
  ...MINIPORT_HANDLER_SLOTS.map((s) => s.name),
];
const protocolFields = [
  "MajorNdisVersion",
  "MinorNdisVersion",
  "Flags",
  "Name",
  ...PROTOCOL_HANDLER_SLOTS.map((s) => s.name),
];

/** A valid table with some fields (and header fields) replaced by junk, or thrown-on getters. */
function mutated(base: () => object, fields: readonly string[]) {
  return fc
    .record({
      fieldEdits: fc.array(fc.tuple(fc.constantFrom(...fields), junk), { maxLength: 4 }),
      headerEdits: fc.array(fc.tuple(fc.constantFrom(...headerFields), junk), { maxLength: 2 }),
      throwingField: fc.option(fc.constantFrom(...fields, "Header"), { nil: undefined }),
      wholeJunk: fc.option(junk, { freq: 8, nil: undefined }),
    })
    .map(({ fieldEdits, headerEdits, throwingField, wholeJunk }) => {
      if (wholeJunk !== undefined) return wholeJunk;
      const chars = base() as Record<string, unknown>;
      const header = { ...(chars.Header as object) } as Record<string, unknown>;
      for (const [field, value] of headerEdits) header[field] = value;
      chars.Header = header;
      for (const [field, value] of fieldEdits) chars[field] = value;
      if (throwingField !== undefined) {
        Object.defineProperty(chars, throwingField, {
          get: () => {
            throw new Error("unreadable");
          },
        });
      }
      return chars;
    });
}

describe("hostile input to registration", () => {
  test("NdisMRegisterMiniportDriver: a status NDIS returns, no throw, no half-registration", async () => {
    await fc.assert(
      fc.asyncProperty(mutated(miniportChars, miniportFields), async (chars) => {
        const host = new NdisHost({ verifier: "record" });
        const out: Out<NDIS_HANDLE> = {};
        let status = -1;
        await host.loadDriver({
          name: "fuzz",
          module: driverModule((DriverObject, RegistryPath) => {
            registering = true;
            try {
              status = NdisMRegisterMiniportDriver(
                DriverObject,
                RegistryPath,
                undefined,
                chars as never,
                out,
              );
            } finally {
              registering = false;
            }
            return NDIS_STATUS_SUCCESS;
          }),
        });
        assert.ok(ALLOWED.has(status), `unexpected status 0x${status.toString(16)}`);
        const registered = edgeCount(host).miniports;
        assert.equal(registered, status === NDIS_STATUS_SUCCESS ? 1 : 0);
        assert.equal(out.value !== undefined, status === NDIS_STATUS_SUCCESS);
        assert.ok(
          host.violations.every(fromBadInputOrSetOptions),
          host.violations.map((v) => v.message).join("; "),
        );
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 400) },
    );
  });

  test("NdisRegisterProtocolDriver: a status NDIS returns, no throw, no half-registration", async () => {
    await fc.assert(
      fc.asyncProperty(mutated(protocolChars, protocolFields), async (chars) => {
        const host = new NdisHost({ verifier: "record" });
        let status = -1;
        await host.loadDriver({
          name: "fuzz",
          module: driverModule(() => {
            registering = true;
            try {
              status = NdisRegisterProtocolDriver(undefined, chars as never, {});
            } finally {
              registering = false;
            }
            return NDIS_STATUS_SUCCESS;
          }),
        });
        assert.ok(ALLOWED.has(status), `unexpected status 0x${status.toString(16)}`);
        assert.equal(edgeCount(host).protocols, status === NDIS_STATUS_SUCCESS ? 1 : 0);
        assert.ok(
          host.violations.every(fromBadInputOrSetOptions),
          host.violations.map((v) => v.message).join("; "),
        );
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 400) },
    );
  });
});
