/**
 * Reading a structure a driver hands NDIS: each field once, a throwing getter or proxy trap
 * turned into a rejection with the status the calling DDI returns for unreadable input, and the
 * first failed check ending the whole read.
 */
import type { NDIS_STATUS } from "../../../ndis/status.js";
import { describeThrown } from "./trace.js";

/** The result of checking a structure: its copy, or the status and the reason it was refused. */
export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly status: NDIS_STATUS; readonly reason: string };

/** Thrown inside a check to stop at the first failure. */
export class Reject {
  readonly status: NDIS_STATUS;
  readonly reason: string;

  constructor(status: NDIS_STATUS, reason: string) {
    this.status = status;
    this.reason = reason;
  }
}

/** Reads one field; a throwing getter or proxy trap rejects with `status`. */
export function readField(
  structure: object,
  structName: string,
  field: string,
  status: NDIS_STATUS,
): unknown {
  try {
    return Reflect.get(structure, field);
  } catch (thrown) {
    throw new Reject(status, `${structName}.${field} cannot be read: ${describeThrown(thrown)}`);
  }
}

/** Runs a check that throws Reject on failure, turning it into a Checked result. */
export function runCheck<T>(check: () => T): Checked<T> {
  try {
    return { ok: true, value: check() };
  } catch (thrown) {
    if (thrown instanceof Reject)
      return { ok: false, status: thrown.status, reason: thrown.reason };
    throw thrown;
  }
}
