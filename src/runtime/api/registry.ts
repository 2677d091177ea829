/**
 * ZwOpenKey, ZwQueryValueKey and ZwClose on a driver's own service key — the part of the kernel's
 * registry a driver reads in DriverEntry, before it has an NDIS handle to open its configuration
 * with. [MODEL] The service key (`RegistryPath`, `\Registry\Machine\System\CurrentControlSet\
 * Services\<name>`) and its `Parameters` subkey both hold the driver's `registry` values (the host's
 * loadDriver option, the stack file's); any other key is STATUS_OBJECT_NAME_NOT_FOUND. The registry
 * is read-only here. PASSIVE_LEVEL.
 */

import type { NTSTATUS } from "../../ndis/device.js";
import type { Out } from "../../ndis/types.js";
import { currentFrame } from "../core/objects/context.js";
import type { RegistryValue } from "../core/objects/records.js";
import { noteRegistryRead } from "../core/objects/resources.js";

const STATUS_OBJECT_NAME_NOT_FOUND_KEY: NTSTATUS = 0xc0000034;
const REG_SZ = 1;
const REG_BINARY = 3;
const REG_DWORD = 4;
const REG_MULTI_SZ = 7;
const KeyValuePartialInformation = 2;

/** An open key: the values it holds and the path it was opened by. */
export class RegistryKey {
  readonly path: string;
  readonly values: ReadonlyMap<string, RegistryValue>;
  constructor(path: string, values: ReadonlyMap<string, RegistryValue>) {
    this.path = path;
    this.values = values;
  }
  toString(): string {
    return `registry key ${this.path}`;
  }
}

/**
 * ZwOpenKey: the key named `ObjectName` (absolute, or relative to the open key `RootDirectory`).
 * SUCCESS with the key in `KeyHandle`; STATUS_OBJECT_NAME_NOT_FOUND for a key that is not the
 * calling driver's service key or its Parameters subkey.
 */
export function ZwOpenKey(
  KeyHandle: Out<RegistryKey | null>,
  DesiredAccess: number,
  ObjectName: string,
  RootDirectory: RegistryKey | null = null,
): NTSTATUS {
  void DesiredAccess;
  KeyHandle.value = null;
  const driver = currentFrame().driver;
  if (driver === null) return STATUS_OBJECT_NAME_NOT_FOUND_KEY;
  const service = driver.registryPath.toLowerCase();
  const name = ObjectName.replace(/\\+$/, "");
  const full = (RootDirectory === null ? name : `${RootDirectory.path}\\${name}`).toLowerCase();
  if (full !== service && full !== `${service}\\parameters`)
    return STATUS_OBJECT_NAME_NOT_FOUND_KEY;
  KeyHandle.value = new RegistryKey(full, driver.registry);
  return 0;
}

/** The type and bytes of a value as KEY_VALUE_PARTIAL_INFORMATION holds them (WCHAR of `wcharSize`). */
export function registryValueBytes(
  value: RegistryValue,
  wcharSize: 2 | 4,
): { Type: number; Data: Uint8Array } {
  const text = (s: string, out: number[]) => {
    for (const ch of s) {
      const c = ch.codePointAt(0) ?? 0;
      for (let i = 0; i < wcharSize; i++) out.push((c >> (8 * i)) & 0xff);
    }
    for (let i = 0; i < wcharSize; i++) out.push(0);
  };
  if (typeof value === "number") {
    const d = new Uint8Array(4);
    new DataView(d.buffer).setUint32(0, value >>> 0, true);
    return { Type: REG_DWORD, Data: d };
  }
  if (typeof value === "string") {
    const out: number[] = [];
    text(value, out);
    return { Type: REG_SZ, Data: Uint8Array.from(out) };
  }
  if (value instanceof Uint8Array) return { Type: REG_BINARY, Data: value.slice() };
  const out: number[] = [];
  for (const s of value) text(s, out);
  for (let i = 0; i < wcharSize; i++) out.push(0);
  return { Type: REG_MULTI_SZ, Data: Uint8Array.from(out) };
}

/**
 * ZwQueryValueKey: value `ValueName` of the open key. [MODEL] The partial form only
 * (KeyValuePartialInformation); its type and data are in `Value`. STATUS_OBJECT_NAME_NOT_FOUND
 * when the key has no such value; STATUS_INVALID_PARAMETER for another information class;
 * STATUS_INVALID_HANDLE for a handle ZwOpenKey did not give.
 */
export function ZwQueryValueKey(
  KeyHandle: RegistryKey | null,
  ValueName: string,
  KeyValueInformationClass: number,
  Value: Out<RegistryValue | null>,
): NTSTATUS {
  Value.value = null;
  if (!(KeyHandle instanceof RegistryKey)) return 0xc0000008;
  if (KeyValueInformationClass !== KeyValuePartialInformation) return 0xc000000d;
  noteRegistryRead(KeyHandle.values, ValueName.toLowerCase());
  for (const [name, value] of KeyHandle.values) {
    if (name.toLowerCase() === ValueName.toLowerCase()) {
      Value.value = value;
      return 0;
    }
  }
  return STATUS_OBJECT_NAME_NOT_FOUND_KEY;
}

/** ZwClose: closes a key ZwOpenKey gave; STATUS_INVALID_HANDLE for anything else. */
export function ZwClose(Handle: unknown): NTSTATUS {
  return Handle instanceof RegistryKey ? 0 : 0xc0000008;
}
