/**
 * The stack file: which drivers to load, which devices arrive, which protocol binds to which
 * adapter, the parameters each reads from the registry, and how long to run. One zod schema is the
 * source of truth: the loader validates with it, `z.toJSONSchema` publishes it as
 * docs/stack-file.schema.json for editors, and its `describe()` texts document every field.
 */
import { z } from "zod";
import { NDIS_VERSIONS, parseNdisVersion } from "../index.js";
import { DURATION } from "./duration.js";

export { DURATION, durationMs } from "./duration.js";

const NDIS_VERSIONS_TEXT = `${NDIS_VERSIONS.map((v) => v.label).join(", ")}`;

const duration = z
  .string({ error: 'expected a duration such as "500ms", "3s" or "2m"' })
  .regex(DURATION, { error: 'expected a duration such as "500ms", "3s" or "2m"' });

/** A service or device instance name, as the host accepts it. */
const name = z
  .string({ error: "expected a name (a string)" })
  .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, {
    error: "expected a name: a letter, then letters, digits, _ . or - (at most 64)",
  });

/** A registry value: REG_DWORD (an integer 0…0xFFFFFFFF), REG_SZ (a string), REG_MULTI_SZ (strings). */
const DWORD = "expected a REG_DWORD: an integer 0…4294967295";
const registryValue = z.union(
  [
    z.int({ error: DWORD }).min(0, { error: DWORD }).max(0xffffffff, { error: DWORD }),
    z.string(),
    z.array(z.string({ error: "expected a string (REG_MULTI_SZ items are strings)" })),
  ],
  {
    error:
      "expected a registry value: an integer 0…4294967295 (REG_DWORD), a string (REG_SZ) or a list of strings (REG_MULTI_SZ)",
  },
);

export const Registry = z
  .record(z.string().min(1), registryValue)
  .describe("Registry values by name, as an INF's AddReg would write them");

export const FilterInstall = z
  .strictObject({
    class: z
      .string({ error: "expected a FilterClass name (diagnostic, custom, vpn, …)" })
      .min(1)
      .optional()
      .describe("FilterClass: orders the filters of a stack (default custom)"),
    type: z
      .enum(["monitoring", "modifying"], { error: 'expected "monitoring" or "modifying"' })
      .optional()
      .describe("FilterType (default modifying)"),
    mandatory: z
      .boolean({ error: "expected true or false" })
      .optional()
      .describe("FilterRunType mandatory: the adapter's stack does not start without it"),
    adapters: z
      .array(name)
      .optional()
      .describe("The adapters its modules attach to (default: every adapter)"),
    uniqueName: z
      .string()
      .regex(/^\{[0-9a-fA-F-]{36}\}$/, { error: "expected a GUID in braces" })
      .optional()
      .describe("NetCfgInstanceId: the driver's UniqueName must be this GUID"),
  })
  .describe("A filter's installation");

export const DriverEntry = z
  .strictObject({
    name: name.describe("The service name (`\\Driver\\<name>`); adapters and bindings refer to it"),
    module: z
      .string({ error: "expected a built-in driver id or a path to a driver module" })
      .min(1)
      .describe(
        "A built-in driver id (passthrough, filter-passthrough, capture, netem, test-miniport, hub, ipv4-host, raw, vxlan, tap, pcap, vlan-mux, team) or a path to a module exporting DriverEntry, relative to the stack file",
      ),
    registry: Registry.optional().describe("The driver's Parameters key"),
    filter: FilterInstall.optional().describe(
      "For a filter driver: how it is installed (what its INF says); its modules attach to the adapters named",
    ),
    verify: z
      .boolean({ error: "expected true or false" })
      .optional()
      .describe(
        "Marks the driver `ndis verify --stack` checks: its registry, bindings and devices configure it (ndis run ignores it)",
      ),
  })
  .describe("A driver to load, in file order");

export const AdapterEntry = z
  .strictObject({
    name: name.describe("The device instance name (`eth0`)"),
    driver: name.describe("The `name` of a miniport driver in `drivers`"),
    registry: Registry.optional().describe(
      "The device's parameters, read with NdisOpenConfigurationEx on the adapter handle",
    ),
  })
  .describe("A physical device that arrives, in file order");

export const BindingEntry = z
  .strictObject({
    protocol: z.string({ error: "expected a protocol name" }).min(1),
    adapter: name,
    registry: Registry.optional().describe(
      "The binding's parameters, read with NdisOpenConfigurationEx on the binding handle",
    ),
  })
  .describe("A binding path: this protocol binds to this adapter");

export const LinkEvent = z.strictObject({
  at: duration.describe("When, from the moment the stack is up"),
  link: z
    .strictObject({
      adapter: name.describe("An adapter of a driver that can drop its link (hub, tap)"),
      up: z.boolean({ error: "expected true or false" }),
    })
    .describe("Set an adapter's link up or down"),
});

export const StackFile = z
  .strictObject({
    ndis: z
      .strictObject({
        version: z
          .string({ error: `expected a quoted NDIS version string (${NDIS_VERSIONS_TEXT})` })
          .refine((v) => parseNdisVersion(v) !== undefined, {
            error: `expected an NDIS 6 version (${NDIS_VERSIONS_TEXT})`,
          })
          .optional()
          .describe(`The NDIS version the host emulates (${NDIS_VERSIONS_TEXT}); default "6.89"`),
        verifier: z
          .enum(["strict", "record", "off"], { error: "expected strict, record or off" })
          .optional()
          .describe("The verifier mode; default record for `ndis run`"),
      })
      .optional(),
    drivers: z
      .array(DriverEntry, { error: "expected a list of drivers" })
      .min(1, { error: "expected at least one driver" }),
    adapters: z.array(AdapterEntry, { error: "expected a list of adapters" }).default([]),
    bindings: z
      .union([z.literal("all"), z.array(BindingEntry)], {
        error: 'expected "all" or a list of { protocol, adapter, registry }',
      })
      .default("all")
      .describe('Which protocol binds to which adapter: "all" (default) or a list of paths'),
    devices: z
      .record(name, Registry, {
        error: "expected IM virtual miniport parameters by instance name",
      })
      .optional()
      .describe("Registry values of IM virtual miniports (`eth0-pt`), by device instance name"),
    run: z
      .strictObject({
        duration: duration
          .optional()
          .describe("How long `ndis run` keeps the stack up; default: until interrupted"),
        events: z.array(LinkEvent, { error: "expected a list of events" }).default([]),
      })
      .optional(),
    capture: z
      .strictObject({
        file: z
          .string({ error: "expected a file name" })
          .min(1)
          .describe("A pcapng file (relative to the working directory), one interface per adapter"),
        adapters: z
          .array(name, { error: "expected a list of adapter names" })
          .optional()
          .describe("Only these adapters' edges; default all"),
      })
      .optional(),
  })
  .describe("An ndis-ts stack file");

export type StackFile = z.infer<typeof StackFile>;
export type DriverEntry = z.infer<typeof DriverEntry>;
export type AdapterEntry = z.infer<typeof AdapterEntry>;
export type BindingEntry = z.infer<typeof BindingEntry>;
export type RegistryValues = z.infer<typeof Registry>;
export type LinkEventEntry = z.infer<typeof LinkEvent>;

/** The JSON Schema of a stack file (draft 2020-12), for editors and other tools. */
export function stackFileJsonSchema(): object {
  return z.toJSONSchema(StackFile, { io: "input" });
}
