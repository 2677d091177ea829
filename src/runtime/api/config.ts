/**
 * NdisOpenConfigurationEx, NdisReadConfiguration, NdisReadNetworkAddress and
 * NdisCloseConfiguration: a driver reads the values its INF (here: the host's options or the
 * stack file) put in the registry. PASSIVE_LEVEL.
 */
import {
  type NDIS_CONFIGURATION_OBJECT,
  NDIS_CONFIGURATION_OBJECT_REVISION_1,
  type NDIS_CONFIGURATION_PARAMETER,
  type NDIS_PARAMETER_TYPE,
  NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1,
  NdisParameterBinary,
  NdisParameterHexInteger,
  NdisParameterInteger,
  NdisParameterMultiString,
  NdisParameterString,
} from "../../ndis/config.js";
import { PASSIVE_LEVEL } from "../../ndis/irql.js";
import { NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT } from "../../ndis/object-header.js";
import {
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
} from "../../ndis/status.js";
import type { NDIS_HANDLE, Out } from "../../ndis/types.js";
import { checkIrql, currentFrame } from "../core/objects/context.js";
import {
  describeHandleArgument,
  handleDriver,
  handleRuntime,
  mintHandle,
  resolveHandle,
} from "../core/objects/handles.js";
import type {
  ConfigRecord,
  DriverRecord,
  RegistryValue,
  ResourceOwner,
} from "../core/objects/records.js";
import { closeConfig, noteRegistryRead } from "../core/objects/resources.js";
import { bindingKey } from "../core/runtime.js";
import { reportAtCaller } from "./lookup.js";
import { enter } from "./trace.js";

const EMPTY = new Map<string, RegistryValue>();

function badArgument(handle: unknown, message: string): void {
  reportAtCaller(
    handleRuntime(handle),
    "NdisOpenConfigurationEx_BadArgument",
    message,
    handleDriver(handle),
  );
}

/** The key a handle opens: its owner, the values, and a name for reports. */
function keyOf(target: ReturnType<typeof resolveHandle>): {
  driver: DriverRecord;
  owner: ResourceOwner;
  values: ReadonlyMap<string, RegistryValue>;
  label: string;
} | null {
  if (target === null) return null;
  switch (target.kind) {
    case "miniport-adapter":
      return {
        driver: target.driver,
        owner: target,
        values: target.runtime.deviceParameters.get(target.name) ?? EMPTY,
        label: `the configuration of adapter ${target.name}`,
      };
    case "binding": {
      if (target.handle === null || target.open === "closed") return null;
      const protocol = target.protocol.chars.Name;
      return {
        driver: target.driver,
        owner: target,
        values:
          target.runtime.bindingParameters.get(bindingKey(protocol, target.adapter.name)) ?? EMPTY,
        label: `the configuration of binding ${protocol} → ${target.adapter.name}`,
      };
    }
    case "filter-module":
      // [MODEL] A filter module reads its driver's Parameters key (one configuration for every
      // module of the filter; the key names the module's adapter for reports).
      return {
        driver: target.driver,
        owner: target,
        values: target.driver.registry,
        label: `the configuration of filter module ${target.name}`,
      };
    case "miniport-driver":
    case "protocol-driver":
    case "filter-driver":
      return {
        driver: target.driver,
        owner: null,
        values: target.driver.registry,
        label: `the Parameters key of driver ${target.driver.name}`,
      };
    default:
      return null;
  }
}

/**
 * NdisOpenConfigurationEx: opens the registry key of the adapter, binding or driver named by
 * `ConfigObject.NdisHandle`. SUCCESS with the handle in `ConfigurationHandle`, RESOURCES when
 * memory runs out, INVALID_PARAMETER for a malformed object (also reported).
 */
export function NdisOpenConfigurationEx(
  ConfigObject: NDIS_CONFIGURATION_OBJECT,
  ConfigurationHandle: Out<NDIS_HANDLE>,
): NDIS_STATUS {
  const o = ConfigObject as Partial<NDIS_CONFIGURATION_OBJECT> | null | undefined;
  const handle = o?.NdisHandle;
  const target = resolveHandle(handle);
  const key = keyOf(target);
  const runtime = key?.driver.runtime ?? handleRuntime(handle) ?? currentFrame().runtime;
  if (runtime === null) return NDIS_STATUS_INVALID_PARAMETER;
  runtime.assertAlive();
  const done = enter(runtime, "NdisOpenConfigurationEx", key?.driver ?? currentFrame().driver);
  checkIrql(
    runtime,
    key?.driver ?? null,
    "NdisOpenConfigurationEx",
    PASSIVE_LEVEL,
    "Irql_Miscellaneous_Function",
  );
  const h = o?.Header;
  let why: string | null = null;
  if (o === null || typeof o !== "object") why = "ConfigObject is NULL";
  else if (h?.Type !== NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT)
    why = "Header.Type is not NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT";
  else if (h.Revision !== NDIS_CONFIGURATION_OBJECT_REVISION_1)
    why = `Header.Revision ${String(h.Revision)} is not NDIS_CONFIGURATION_OBJECT_REVISION_1`;
  else if (typeof h.Size !== "number" || h.Size < NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1)
    why = `Header.Size ${String(h.Size)} is below NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1 (${NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1})`;
  else if (key === null)
    why = `NdisHandle is ${describeHandleArgument(handle)}; it needs a live miniport adapter, open binding or driver handle`;
  if (why !== null || key === null) {
    const message = why ?? "NdisHandle is not a handle NDIS gave";
    if (key === null && h?.Type === NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT)
      reportAtCaller(runtime, "InvalidNdisHandle", `NdisOpenConfigurationEx: ${message}`);
    else badArgument(handle ?? null, `NdisOpenConfigurationEx: ${message}`);
    ConfigurationHandle.value = undefined;
    return done(NDIS_STATUS_INVALID_PARAMETER, message);
  }
  if (runtime.takeAllocationFailure("NdisOpenConfigurationEx")) {
    ConfigurationHandle.value = undefined;
    return done(NDIS_STATUS_RESOURCES, "out of memory");
  }
  const config: ConfigRecord = {
    kind: "configuration",
    driver: key.driver,
    owner: key.owner,
    label: key.label,
    values: key.values,
    handle: null as unknown as NDIS_HANDLE,
    parameters: [],
  };
  config.handle = mintHandle(key.label, config);
  key.driver.configs.add(config);
  ConfigurationHandle.value = config.handle;
  return done(NDIS_STATUS_SUCCESS);
}

function configOf(functionName: string, handle: unknown): ConfigRecord | null {
  const target = resolveHandle(handle);
  if (target?.kind === "configuration") return target;
  reportAtCaller(
    handleRuntime(handle),
    "InvalidNdisHandle",
    `${functionName} got ${describeHandleArgument(handle)}; it needs an open configuration handle from NdisOpenConfigurationEx`,
    handleDriver(handle),
  );
  return null;
}

function parameter(
  type: NDIS_PARAMETER_TYPE,
  data: Partial<NDIS_CONFIGURATION_PARAMETER["ParameterData"]>,
): NDIS_CONFIGURATION_PARAMETER {
  return Object.freeze({
    ParameterType: type,
    ParameterData: Object.freeze({
      IntegerData: data.IntegerData ?? 0,
      StringData: data.StringData ?? "",
      BinaryData: data.BinaryData ?? new Uint8Array(0),
    }),
  });
}

/**
 * How NDIS converts a stored value to the type asked for: a REG_DWORD as Integer or HexInteger;
 * a REG_SZ as String, or parsed as a decimal (Integer) or hexadecimal (HexInteger) number, as an
 * INF's keyword values are stored; REG_MULTI_SZ as MultiString; REG_BINARY as Binary. Anything
 * else is not found (FAILURE). [MODEL] A REG_DWORD asked for as String is not converted.
 */
function convert(
  value: RegistryValue,
  type: NDIS_PARAMETER_TYPE,
): NDIS_CONFIGURATION_PARAMETER | null {
  const integer = type === NdisParameterInteger || type === NdisParameterHexInteger;
  if (typeof value === "number")
    return integer ? parameter(type, { IntegerData: value >>> 0 }) : null;
  if (typeof value === "string") {
    if (type === NdisParameterString) return parameter(type, { StringData: value });
    if (!integer) return null;
    const text = value.trim();
    const ok = type === NdisParameterInteger ? /^\d+$/.test(text) : /^(0x)?[0-9a-f]+$/i.test(text);
    if (!ok) return null;
    const n =
      type === NdisParameterInteger ? Number(text) : Number.parseInt(text.replace(/^0x/i, ""), 16);
    return n <= 0xffffffff ? parameter(type, { IntegerData: n }) : null;
  }
  if (value instanceof Uint8Array) {
    return type === NdisParameterBinary ? parameter(type, { BinaryData: value.slice() }) : null;
  }
  return type === NdisParameterMultiString
    ? parameter(type, { StringData: (value as readonly string[]).join("\u0000") })
    : null;
}

/**
 * NdisReadConfiguration: the value of `Keyword` under the open key, as `ParameterType`. `Status`
 * is SUCCESS with `ParameterValue` set, or FAILURE when the keyword is absent or cannot be read
 * as that type. Keywords compare without regard to case, as registry value names do.
 */
export function NdisReadConfiguration(
  Status: Out<NDIS_STATUS>,
  ParameterValue: Out<NDIS_CONFIGURATION_PARAMETER | null>,
  ConfigurationHandle: NDIS_HANDLE,
  Keyword: string,
  ParameterType: NDIS_PARAMETER_TYPE,
): void {
  const config = configOf("NdisReadConfiguration", ConfigurationHandle);
  ParameterValue.value = null;
  if (config === null) {
    Status.value = NDIS_STATUS_FAILURE;
    return;
  }
  const runtime = config.driver.runtime;
  runtime.assertAlive();
  const done = enter(runtime, "NdisReadConfiguration", config.driver, String(Keyword));
  checkIrql(
    runtime,
    config.driver,
    "NdisReadConfiguration",
    PASSIVE_LEVEL,
    "Irql_Miscellaneous_Function",
  );
  if (typeof Keyword !== "string" || Keyword.length === 0) {
    badArgument(ConfigurationHandle, "NdisReadConfiguration: Keyword is not a non-empty string");
    Status.value = NDIS_STATUS_FAILURE;
    done(NDIS_STATUS_FAILURE, "bad keyword");
    return;
  }
  if (
    ![
      NdisParameterInteger,
      NdisParameterHexInteger,
      NdisParameterString,
      NdisParameterMultiString,
      NdisParameterBinary,
    ].includes(ParameterType)
  ) {
    badArgument(
      ConfigurationHandle,
      `NdisReadConfiguration: ParameterType ${String(ParameterType)} is not an NDIS_PARAMETER_TYPE`,
    );
    Status.value = NDIS_STATUS_FAILURE;
    done(NDIS_STATUS_FAILURE, "bad parameter type");
    return;
  }
  let stored: RegistryValue | undefined;
  const wanted = Keyword.toLowerCase();
  noteRegistryRead(config.values, wanted);
  for (const [name, value] of config.values) {
    if (name.toLowerCase() === wanted) stored = value;
  }
  stored = writtenOf(config, false)?.get(wanted) ?? stored;
  if (
    stored === undefined &&
    wanted === "netcfginstanceid" &&
    config.owner?.kind === "miniport-adapter"
  )
    stored = instanceIdOf(config.owner.name);
  const result = stored === undefined ? null : convert(stored, ParameterType);
  if (result === null) {
    Status.value = NDIS_STATUS_FAILURE;
    done(NDIS_STATUS_FAILURE, stored === undefined ? "not found" : "not readable as that type");
    return;
  }
  config.parameters.push(result);
  ParameterValue.value = result;
  Status.value = NDIS_STATUS_SUCCESS;
  done(NDIS_STATUS_SUCCESS);
}

/** What NdisWriteConfiguration wrote, per NDIS: by key, then by lower-cased keyword. */
const writtenValues = new WeakMap<object, Map<string, Map<string, RegistryValue>>>();

/** The values written under `config`'s key (a driver's key is one for all its modules). */
function writtenOf(config: ConfigRecord, create: boolean): Map<string, RegistryValue> | null {
  const runtime = config.driver.runtime;
  const key =
    config.values === config.driver.registry ? `driver ${config.driver.name}` : config.label;
  let keys = writtenValues.get(runtime);
  if (keys === undefined) {
    if (!create) return null;
    keys = new Map();
    writtenValues.set(runtime, keys);
  }
  let values = keys.get(key);
  if (values === undefined && create) {
    values = new Map();
    keys.set(key, values);
  }
  return values ?? null;
}

/**
 * NdisWriteConfiguration: stores `ParameterValue` under `Keyword` in the open key (PASSIVE_LEVEL):
 * an Integer or HexInteger as a REG_DWORD, a String, a MultiString (its strings separated by NULs)
 * or Binary bytes; later reads of the key see it (netvmini saves the MAC address it made up so).
 * `Status` is SUCCESS, or FAILURE for a bad keyword or parameter (reported). [MODEL] What a
 * driver writes lasts for the host's life and is not written back to the host's configuration.
 */
export function NdisWriteConfiguration(
  Status: Out<NDIS_STATUS>,
  ConfigurationHandle: NDIS_HANDLE,
  Keyword: string,
  ParameterValue: NDIS_CONFIGURATION_PARAMETER,
): void {
  const config = configOf("NdisWriteConfiguration", ConfigurationHandle);
  if (config === null) {
    Status.value = NDIS_STATUS_FAILURE;
    return;
  }
  const runtime = config.driver.runtime;
  runtime.assertAlive();
  const done = enter(runtime, "NdisWriteConfiguration", config.driver, String(Keyword));
  checkIrql(
    runtime,
    config.driver,
    "NdisWriteConfiguration",
    PASSIVE_LEVEL,
    "Irql_Miscellaneous_Function",
  );
  const p = ParameterValue as Partial<NDIS_CONFIGURATION_PARAMETER> | null | undefined;
  const data = p?.ParameterData;
  let value: RegistryValue | null = null;
  if (typeof Keyword !== "string" || Keyword.length === 0) value = null;
  else if (
    p?.ParameterType === NdisParameterInteger ||
    p?.ParameterType === NdisParameterHexInteger
  )
    value = typeof data?.IntegerData === "number" ? data.IntegerData >>> 0 : null;
  else if (p?.ParameterType === NdisParameterString)
    value = typeof data?.StringData === "string" ? data.StringData : null;
  else if (p?.ParameterType === NdisParameterMultiString)
    value =
      typeof data?.StringData === "string"
        ? data.StringData.split("\u0000").filter((s) => s.length > 0)
        : null;
  else if (p?.ParameterType === NdisParameterBinary)
    value = data?.BinaryData instanceof Uint8Array ? data.BinaryData.slice() : null;
  if (value === null) {
    badArgument(
      ConfigurationHandle,
      "NdisWriteConfiguration: Keyword is not a non-empty string, or ParameterValue is not an NDIS_CONFIGURATION_PARAMETER of a known type with its data",
    );
    Status.value = NDIS_STATUS_FAILURE;
    done(NDIS_STATUS_FAILURE, "bad keyword or parameter");
    return;
  }
  writtenOf(config, true)?.set(Keyword.toLowerCase(), value);
  Status.value = NDIS_STATUS_SUCCESS;
  done(NDIS_STATUS_SUCCESS);
}

/**
 * [MODEL] The NetCfgInstanceId of an adapter the host configured none for. On Windows every network
 * adapter's driver key holds one (the network class installer writes a GUID there), and drivers
 * name their per-adapter objects after it: tap-windows6 names its control device so, and two
 * adapters that read the same (or none) collide. Here it is a braced GUID made from the adapter's
 * name: stable across runs and distinct per adapter. A configured `NetCfgInstanceId` wins.
 */
function instanceIdOf(adapter: string): string {
  const words: string[] = [];
  for (let seed = 0; seed < 4; seed++) {
    let h = (0x811c9dc5 ^ Math.imul(seed + 1, 0x9e3779b1)) >>> 0;
    for (let i = 0; i < adapter.length; i++)
      h = Math.imul(h ^ adapter.charCodeAt(i), 0x01000193) >>> 0;
    words.push(h.toString(16).padStart(8, "0"));
  }
  const hex = words.join("").toUpperCase();
  return `{${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}}`;
}

/**
 * NdisReadNetworkAddress: the MAC address an administrator configured for the adapter (the
 * `NetworkAddress` keyword: 12 hex digits, `-` or `:` separators allowed). FAILURE when there is
 * none or it is not a valid unicast address; the driver then keeps its permanent address.
 */
export function NdisReadNetworkAddress(
  Status: Out<NDIS_STATUS>,
  NetworkAddress: Out<Uint8Array | null>,
  NetworkAddressLength: Out<number>,
  ConfigurationHandle: NDIS_HANDLE,
): void {
  const config = configOf("NdisReadNetworkAddress", ConfigurationHandle);
  NetworkAddress.value = null;
  NetworkAddressLength.value = 0;
  if (config === null) {
    Status.value = NDIS_STATUS_FAILURE;
    return;
  }
  const runtime = config.driver.runtime;
  const done = enter(runtime, "NdisReadNetworkAddress", config.driver);
  let stored: RegistryValue | undefined;
  noteRegistryRead(config.values, "networkaddress");
  for (const [name, value] of config.values) {
    if (name.toLowerCase() === "networkaddress") stored = value;
  }
  const hex = typeof stored === "string" ? stored.replace(/[-:]/g, "") : "";
  const bytes = /^[0-9a-f]{12}$/i.test(hex)
    ? Uint8Array.from({ length: 6 }, (_, i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16))
    : null;
  if (bytes === null || ((bytes[0] ?? 0) & 1) !== 0) {
    Status.value = NDIS_STATUS_FAILURE;
    done(
      NDIS_STATUS_FAILURE,
      stored === undefined ? "no NetworkAddress" : "not a unicast MAC address",
    );
    return;
  }
  NetworkAddress.value = bytes;
  NetworkAddressLength.value = 6;
  Status.value = NDIS_STATUS_SUCCESS;
  done(NDIS_STATUS_SUCCESS);
}

/** NdisCloseConfiguration: closes the key; the parameters read through it are freed with it. */
export function NdisCloseConfiguration(ConfigurationHandle: NDIS_HANDLE): void {
  const config = configOf("NdisCloseConfiguration", ConfigurationHandle);
  if (config === null) return;
  const runtime = config.driver.runtime;
  const done = enter(runtime, "NdisCloseConfiguration", config.driver);
  closeConfig(config);
  done(undefined);
}
