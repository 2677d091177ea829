/**
 * Windows compares device instance and adapter names without regard to case (`ETH0` is `eth0`):
 * a map keyed by such names, whose values keep the name as it was given.
 */
export class NameMap<V> extends Map<string, V> {
  override get(name: string): V | undefined {
    return super.get(name.toLowerCase());
  }
  override has(name: string): boolean {
    return super.has(name.toLowerCase());
  }
  override set(name: string, value: V): this {
    return super.set(name.toLowerCase(), value);
  }
  override delete(name: string): boolean {
    return super.delete(name.toLowerCase());
  }
}

/** Whether two device names are the same name (case-insensitive, as on Windows). */
export function sameName(a: string, b: string): boolean {
  return a.length === b.length && a.toLowerCase() === b.toLowerCase();
}
