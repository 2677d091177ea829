/**
 * A PASSIVE_LEVEL handler that blocked (an `async` handler awaiting NdisWaitEvent, a C handler
 * suspended by Asyncify): NDIS takes its next step for the object the handler serves only once
 * the handler returns. One mechanism for miniport adapters and filter modules alike.
 */
import { NdisError } from "../../../ndis/errors.js";
import type { FilterModule, MiniportAdapter } from "../objects/records.js";

/**
 * Waits for `running`, the promise of `owner`'s handler `handler`, then takes NDIS's next step
 * (`then`). While it runs the handler is named in `owner.blockedIn` for the watchdog. The wait ends
 * early when the owner is gone (`isGone`: its driver was stopped — `gone` is the answer) or, with
 * NDIS_ERR_TIMEOUT, when the watchdog gives up on the handler; `then` still runs if it returns
 * later. Meanwhile the real clock keeps the process alive.
 */
export function untilHandlerReturned<T, R>(
  owner: MiniportAdapter | FilterModule,
  handler: string,
  running: PromiseLike<T>,
  then: (value: T) => R,
  gone: R,
  isGone: () => boolean,
): Promise<R> {
  owner.blockedIn.push(handler);
  const unblock = () => {
    const i = owner.blockedIn.indexOf(handler);
    if (i >= 0) owner.blockedIn.splice(i, 1);
  };
  const returned = Promise.resolve(running).then(
    (value) => {
      unblock();
      return then(value);
    },
    (thrown: unknown) => {
      unblock();
      throw thrown;
    },
  );
  return new Promise<R>((resolve, reject) => {
    let release: (() => void) | null = null;
    const end = () => {
      owner.waiters.delete(check);
      const r = release;
      release = null;
      r?.();
    };
    const check = () => {
      if (isGone()) {
        end();
        resolve(gone);
        return;
      }
      const stuck = owner.runtime.watchdog.stuck(owner);
      if (stuck !== null && owner.blockedIn.includes(handler)) {
        end();
        reject(new NdisError("NDIS_ERR_TIMEOUT", `NDIS gave up waiting: ${stuck}`));
      }
    };
    returned.then(
      (value) => {
        end();
        resolve(value);
      },
      (thrown: unknown) => {
        end();
        reject(thrown);
      },
    );
    owner.waiters.add(check);
    release = owner.runtime.watchdog.hold();
  });
}
