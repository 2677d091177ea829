/**
 * A control device opened from Node, as a Windows application opens one with CreateFile: the
 * host's `openDevice(path)` returns a DeviceFile whose `deviceIoControl`, `read`, `write` and
 * `close` send IRP_MJ_DEVICE_CONTROL, IRP_MJ_READ, IRP_MJ_WRITE and IRP_MJ_CLEANUP/IRP_MJ_CLOSE
 * to the driver's dispatch routines. A request the driver pends resolves when it completes the
 * IRP; a failing NTSTATUS rejects with a DeviceIoError carrying it (as GetLastError would).
 */
import type { NTSTATUS } from "../ndis/device.js";
import type { IrpOutcome, OpenFile } from "../runtime/core/objects/devices.js";

/** A request the driver (or the I/O manager) failed: `status` is its NTSTATUS. */
export class DeviceIoError extends Error {
  readonly status: NTSTATUS;
  constructor(what: string, status: NTSTATUS) {
    super(`${what} failed with NTSTATUS 0x${(status >>> 0).toString(16).padStart(8, "0")}`);
    this.name = "DeviceIoError";
    this.status = status >>> 0;
  }
}

const failed = (status: NTSTATUS) => (status & 0xc0000000) >>> 0 === 0xc0000000;

export class DeviceFile {
  readonly path: string;
  readonly #file: OpenFile;

  constructor(path: string, file: OpenFile) {
    this.path = path;
    this.#file = file;
  }

  #done(what: string, outcome: IrpOutcome): IrpOutcome {
    if (failed(outcome.Status)) throw new DeviceIoError(`${what} on ${this.path}`, outcome.Status);
    return outcome;
  }

  /** DeviceIoControl: sends `code` with `input`; resolves with the bytes the driver returned. */
  async deviceIoControl(
    code: number,
    input: Uint8Array | null = null,
    outputLength = 0,
  ): Promise<Uint8Array> {
    const what = `DeviceIoControl(0x${(code >>> 0).toString(16)})`;
    return this.#done(what, await this.#file.deviceIoControl(code >>> 0, input, outputLength))
      .output;
  }

  /** ReadFile: up to `length` bytes (what the driver returned). */
  async read(length: number): Promise<Uint8Array> {
    return this.#done("ReadFile", await this.#file.read(length)).output;
  }

  /** WriteFile: resolves with the bytes the driver says it wrote. */
  async write(data: Uint8Array): Promise<number> {
    return this.#done("WriteFile", await this.#file.write(data)).Information;
  }

  /**
   * CloseHandle: IRP_MJ_CLEANUP now (the driver completes what it holds for this handle), then
   * IRP_MJ_CLOSE once the handle's last request has completed. Resolves after the cleanup.
   */
  close(): Promise<void> {
    return this.#file.close();
  }
}
