/**
 * How the driver under test is configured: from a stack file (`--stack`), where it is marked with
 * `verify: true` or found by its module, or from registry values given on the command line
 * (`--registry key=value`, or a YAML/JSON file of them). The result is a VerifyConfig — plain
 * data the rig applies: the driver's Parameters, its lower bindings' values, the device
 * parameters of its virtual miniports, the lower adapters it sits on.
 */
import { readFileSync } from "node:fs";
import { dirname, extname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import type { RegistryValue } from "../index.js";
import {
  builtinDriver,
  builtinDriverIds,
  isModulePath,
  parseStack,
  type Stack,
  withFiles,
} from "../stack/index.js";
import type { VerifyConfig } from "./rig.js";

type Values = Record<string, RegistryValue>;

/**
 * The file of a built-in driver's module (`vlan-mux` → src/drivers/vlan-mux/index.ts, or the
 * built .js beside this module), or null for a name that is not one: a path `--jobs` workers
 * can import.
 */
export function builtinPath(id: string): string | null {
  if (!builtinDriverIds().includes(id)) return null;
  const here = fileURLToPath(import.meta.url);
  const ext = extname(here);
  return resolve(dirname(here), "..", "drivers", id, `index${ext}`);
}

/**
 * The example stack file (in examples/) whose configuration `ndis verify <id>` gives a built-in
 * driver that does not come up without one: `ndis verify <id>` is `ndis verify <id> --stack
 * examples/<file>`, so a change to the example reaches verify. `--stack` replaces it and
 * `--registry` adds to it. A built-in id not listed needs none, or is a miniport whose wire is
 * the real world (below).
 */
const BUILTIN_EXAMPLES: Readonly<Record<string, string>> = {
  "vlan-mux": "vlan-mux.yaml",
  team: "team.yaml",
  "ipv4-host": "pcap-replay.yaml",
  pcap: "pcap-replay.yaml",
};

/** The repository's examples/ (from src/verify or dist/verify alike). */
const EXAMPLES = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "examples");

/**
 * vxlan's wire is a UDP socket, which the kernel's loopback interface gives anywhere, without
 * root or any setup: by default each lower adapter is a tunnel from an ephemeral port of
 * 127.0.0.1 to 127.0.0.1:9 (the discard port: nothing answers, so the suite's frames leave and
 * none come back), with an MTU that takes the suite's largest frames (1514 bytes).
 */
const VXLAN_LOOPBACK = {
  LocalAddress: "127.0.0.1",
  LocalPort: 0,
  RemoteAddress: "127.0.0.1",
  RemotePort: 9,
  VNI: 42,
  MTU: 1500,
};

/**
 * Built-in ids whose wire only the real world has, and no loopback stands in for: why, and what
 * to pass. `ndis verify <id>` without `--stack` or `--registry` says it and runs nothing.
 */
const NEEDS_A_WIRE: Readonly<Record<string, string>> = {
  tap: "ndis verify tap needs a wire: tap's is a Linux macvtap device, which no loopback stands in for. As root, with --jobs 1: --registry lower0.Parent=<interface> lower1.Parent=<interface> (tap makes a macvtap over it for each run and removes it), or lower0.Link=<macvtap> lower1.Link=<macvtap> (existing ones, made as the comments of examples/tap-ping.yaml say), or --stack <file> whose tap adapter names its wire",
};

/** Why built-in `id` cannot run under `ndis verify` without a wire given, or undefined. */
export function builtinNeedsAWire(id: string): string | undefined {
  return Object.hasOwn(NEEDS_A_WIRE, id) ? NEEDS_A_WIRE[id] : undefined;
}

/**
 * The default configuration of built-in driver `id` under `ndis verify` — what its example stack
 * file in `examples` gives it, as `--stack` would; vxlan's tunnels over the loopback interface —
 * or undefined when it has none.
 */
export function builtinVerifyConfig(id: string, examples = EXAMPLES): VerifyConfig | undefined {
  if (id === "vxlan")
    return { devices: { lower0: { ...VXLAN_LOOPBACK }, lower1: { ...VXLAN_LOOPBACK } } };
  if (!Object.hasOwn(BUILTIN_EXAMPLES, id)) return undefined;
  const file = resolve(examples, BUILTIN_EXAMPLES[id] as string);
  const { name: _name, ...config } = configFromStack(
    parseStack(readFileSync(file, "utf8"), file),
    id,
  );
  return config;
}

/** A problem with the configuration given: the command says it and runs nothing. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * The configuration of the driver under test in `stack`: the driver entry marked `verify: true`,
 * else the one whose module is `driver` (a built-in id, or a path that resolves to the same file).
 */
export function configFromStack(stack: Stack, driver: string): VerifyConfig & { name: string } {
  const spec = stack.spec;
  const sameModule = (module: string): boolean =>
    isModulePath(module)
      ? resolve(stack.baseDir, module) === resolve(driver)
      : module === driver || builtinPath(module) === resolve(driver);
  const marked = spec.drivers.filter((d) => d.verify === true);
  const candidates = marked.length > 0 ? marked : spec.drivers.filter((d) => sameModule(d.module));
  if (candidates.length === 0)
    throw new ConfigError(
      `${stack.file}: no driver of the stack is ${driver} (mark the driver under test with verify: true); its drivers are ${spec.drivers.map((d) => `${d.name} (${d.module})`).join(", ")}`,
    );
  if (candidates.length > 1)
    throw new ConfigError(
      `${stack.file}: ${candidates.map((d) => d.name).join(" and ")} could each be the driver under test; mark one with verify: true`,
    );
  const entry = candidates[0] as (typeof spec.drivers)[number];
  const builtin = isModulePath(entry.module) ? undefined : builtinDriver(entry.module);
  const bindings: Record<string, Values> = {};
  const lowers: string[] = [];
  if (spec.bindings !== "all")
    for (const b of spec.bindings) {
      if (b.protocol !== entry.name) continue;
      lowers.push(b.adapter);
      if (b.registry !== undefined) bindings[b.adapter] = { ...b.registry };
    }
  const filter = entry.filter;
  if (filter !== undefined)
    for (const adapter of filter.adapters ?? [])
      if (!lowers.includes(adapter)) lowers.push(adapter);
  // A miniport's adapters are the devices it drives: the suite's lower adapters, under their
  // names, each with its registry values (file names resolved as `ndis run` resolves them).
  const own = spec.adapters.filter((a) => a.driver === entry.name);
  for (const a of own) if (!lowers.includes(a.name)) lowers.push(a.name);
  const devices: Record<string, Values> = {};
  for (const [name, values] of Object.entries(spec.devices ?? {})) devices[name] = { ...values };
  for (const a of own) {
    const values = withFiles(a.registry, builtin?.fileKeys, stack.baseDir);
    if (values !== undefined) devices[a.name] = { ...values };
  }
  const driverValues = withFiles(entry.registry, builtin?.driverFileKeys, stack.baseDir);
  return {
    name: entry.name,
    ...(driverValues === undefined ? {} : { driver: { ...driverValues } }),
    ...(Object.keys(bindings).length === 0 ? {} : { bindings }),
    ...(Object.keys(devices).length === 0 ? {} : { devices }),
    ...(lowers.length === 0 ? {} : { lowers }),
    ...(own.length === 0 ? {} : { adapters: Object.fromEntries(own.map((a) => [a.name, {}])) }),
    ...(filter === undefined
      ? {}
      : {
          filter: {
            ...(filter.class === undefined ? {} : { class: filter.class }),
            ...(filter.type === undefined ? {} : { type: filter.type }),
          },
        }),
  };
}

/** A registry value as typed on the command line: a number when it reads as one, a list with commas. */
function registryValue(text: string): RegistryValue {
  if (/^-?\d+$/.test(text)) return Number(text);
  if (/^0x[0-9a-f]+$/i.test(text)) return Number.parseInt(text.slice(2), 16);
  if (text.includes(",")) return text.split(",").map((part) => part.trim());
  return text;
}

/**
 * `--registry` arguments into a VerifyConfig: each `key=value` is one of the driver's Parameters
 * (`binding.key=value` a value of every lower binding, `DEVICE.key=value` a device parameter of
 * the virtual miniport or adapter DEVICE); an argument without `=` names a YAML or JSON file with
 * `driver:`, `bindings:` (by lower adapter, `"*"` for all) and `devices:` maps, or a flat map of
 * the driver's values.
 */
export function configFromRegistryArgs(args: readonly string[], cwd = process.cwd()): VerifyConfig {
  const driver: Values = {};
  const bindings: Record<string, Values> = {};
  const devices: Record<string, Values> = {};
  for (const arg of args) {
    const eq = arg.indexOf("=");
    if (eq < 0) {
      const path = resolve(cwd, arg);
      let data: unknown;
      try {
        data = parseYaml(readFileSync(path, "utf8"));
      } catch (err) {
        throw new ConfigError(
          `--registry ${arg}: expected key=value or a YAML/JSON file of registry values (${err instanceof Error ? err.message : String(err)})`,
        );
      }
      if (data === null || typeof data !== "object" || Array.isArray(data))
        throw new ConfigError(`--registry ${arg}: expected a map of registry values`);
      const map = data as Record<string, unknown>;
      const structured = "driver" in map || "bindings" in map || "devices" in map;
      if (!structured) Object.assign(driver, map as Values);
      else {
        Object.assign(driver, (map.driver ?? {}) as Values);
        for (const [k, v] of Object.entries((map.bindings ?? {}) as Record<string, Values>))
          bindings[k] = { ...(bindings[k] ?? {}), ...v };
        for (const [k, v] of Object.entries((map.devices ?? {}) as Record<string, Values>))
          devices[k] = { ...(devices[k] ?? {}), ...v };
      }
      continue;
    }
    const key = arg.slice(0, eq).trim();
    const value = registryValue(arg.slice(eq + 1).trim());
    if (key === "") throw new ConfigError(`--registry ${arg}: the value has no name`);
    const dot = key.indexOf(".");
    if (dot < 0) driver[key] = value;
    else {
      const scope = key.slice(0, dot);
      const name = key.slice(dot + 1);
      if (scope === "binding") bindings["*"] = { ...(bindings["*"] ?? {}), [name]: value };
      else devices[scope] = { ...(devices[scope] ?? {}), [name]: value };
    }
  }
  return {
    ...(Object.keys(driver).length === 0 ? {} : { driver }),
    ...(Object.keys(bindings).length === 0 ? {} : { bindings }),
    ...(Object.keys(devices).length === 0 ? {} : { devices }),
  };
}

/** `extra` over `base`: the command line's registry values win over the stack file's. */
export function mergeConfig(base: VerifyConfig, extra: VerifyConfig): VerifyConfig {
  const bindings = { ...(base.bindings ?? {}) };
  for (const [k, v] of Object.entries(extra.bindings ?? {}))
    bindings[k] = { ...(bindings[k] ?? {}), ...v };
  // A value for every binding ("*") wins over the base's values of one binding, too.
  const every = extra.bindings?.["*"];
  if (every !== undefined)
    for (const k of Object.keys(bindings))
      if (k !== "*") bindings[k] = { ...bindings[k], ...every };
  const devices = { ...(base.devices ?? {}) };
  for (const [k, v] of Object.entries(extra.devices ?? {}))
    devices[k] = { ...(devices[k] ?? {}), ...v };
  const driver = { ...(base.driver ?? {}), ...(extra.driver ?? {}) };
  return {
    ...base,
    ...(Object.keys(driver).length === 0 ? {} : { driver }),
    ...(Object.keys(bindings).length === 0 ? {} : { bindings }),
    ...(Object.keys(devices).length === 0 ? {} : { devices }),
  };
}
