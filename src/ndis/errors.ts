/**
 * Errors thrown at the library boundary (host, CLI). NDIS calls never throw: they return an
 * NDIS_STATUS. Every error has a stable `code` (`NDIS_ERR_*`) and is recognised by
 * `NdisError.is()` even across two copies of this package.
 */

const brand = Symbol.for("ndis-ts.NdisError");

export type NdisErrorCode =
  | "NDIS_ERR_INVALID_OPTION"
  | "NDIS_ERR_INVALID_ARGUMENT"
  | "NDIS_ERR_BAD_DRIVER_MODULE"
  | "NDIS_ERR_DRIVER_EXISTS"
  | "NDIS_ERR_NO_SUCH_DRIVER"
  | "NDIS_ERR_NOT_UNLOADABLE"
  | "NDIS_ERR_NOT_A_MINIPORT"
  | "NDIS_ERR_ADAPTER_EXISTS"
  | "NDIS_ERR_NO_SUCH_ADAPTER"
  | "NDIS_ERR_INVALID_STATE"
  | "NDIS_ERR_SHUT_DOWN"
  | "NDIS_ERR_VETOED"
  | "NDIS_ERR_BUGCHECK"
  | "NDIS_ERR_TIMEOUT";

export class NdisError extends Error {
  readonly code: NdisErrorCode;
  readonly [brand] = true;

  constructor(code: NdisErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "NdisError";
    this.code = code;
  }

  static is(value: unknown): value is NdisError {
    return (
      typeof value === "object" &&
      value !== null &&
      (value as { [brand]?: unknown })[brand] === true
    );
  }
}
