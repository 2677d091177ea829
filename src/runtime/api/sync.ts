/**
 * Spin locks and the current IRQL. The model runs one call at a time, so a spin lock cannot
 * spin; what it does is what the verifier cares about: it raises the caller to DISPATCH_LEVEL and
 * restores the old IRQL on release, and acquiring a lock already held (a deadlock on Windows) or
 * releasing one not held is reported.
 */
import { DISPATCH_LEVEL, irqlToString, type KIRQL, PASSIVE_LEVEL } from "../../ndis/irql.js";
import type { NDIS_SPIN_LOCK } from "../../ndis/types.js";
import { currentFrame } from "../core/objects/context.js";

interface LockState {
  held: boolean;
}

const locks = new WeakMap<NDIS_SPIN_LOCK, LockState>();

function stateOf(SpinLock: NDIS_SPIN_LOCK): LockState {
  let state = locks.get(SpinLock);
  if (state === undefined) {
    state = { held: false };
    locks.set(SpinLock, state);
  }
  return state;
}

function emit(name: string, detail: string): void {
  const frame = currentFrame();
  if (frame.runtime?.tracing) {
    frame.runtime.emit({
      kind: "ddi",
      phase: "call",
      depth: frame.depth + 1,
      name,
      driver: frame.driver?.name ?? null,
      detail,
    });
  }
}

/** KeGetCurrentIrql: the IRQL the calling code runs at. */
export function KeGetCurrentIrql(): KIRQL {
  return currentFrame().irql;
}

/** NdisAllocateSpinLock: initialises a caller-allocated NDIS_SPIN_LOCK. Any IRQL. */
export function NdisAllocateSpinLock(SpinLock: NDIS_SPIN_LOCK): void {
  locks.set(SpinLock, { held: false });
  SpinLock.OldIrql = PASSIVE_LEVEL;
}

/** NdisFreeSpinLock: releases a lock's resources. The lock must not be held. */
export function NdisFreeSpinLock(SpinLock: NDIS_SPIN_LOCK): void {
  const frame = currentFrame();
  if (locks.get(SpinLock)?.held === true) {
    frame.runtime?.violate(
      "SpinLock",
      "NdisFreeSpinLock on a spin lock that is still held",
      frame.driver,
      frame.depth,
    );
  }
  locks.delete(SpinLock);
}

/**
 * NdisAcquireSpinLock: takes the lock and raises the caller to DISPATCH_LEVEL. (The model has no
 * level above DISPATCH_LEVEL, so the "at most DISPATCH_LEVEL" rule cannot be broken here.)
 */
export function NdisAcquireSpinLock(SpinLock: NDIS_SPIN_LOCK): void {
  const frame = currentFrame();
  const runtime = frame.runtime;
  emit("NdisAcquireSpinLock", `at ${irqlToString(frame.irql)}`);
  const state = stateOf(SpinLock);
  if (state.held) {
    runtime?.violate(
      "SpinLock",
      "NdisAcquireSpinLock on a spin lock the caller already holds: on Windows this deadlocks",
      frame.driver,
      frame.depth,
    );
    return;
  }
  state.held = true;
  SpinLock.OldIrql = frame.irql;
  frame.irql = DISPATCH_LEVEL;
}

/** NdisReleaseSpinLock: releases the lock and restores the IRQL saved when it was acquired. */
export function NdisReleaseSpinLock(SpinLock: NDIS_SPIN_LOCK): void {
  const frame = currentFrame();
  emit("NdisReleaseSpinLock", `back to ${irqlToString(SpinLock.OldIrql ?? PASSIVE_LEVEL)}`);
  const state = locks.get(SpinLock);
  if (state?.held !== true) {
    frame.runtime?.violate(
      "SpinLockRelease",
      "NdisReleaseSpinLock on a spin lock that is not held",
      frame.driver,
      frame.depth,
    );
    return;
  }
  state.held = false;
  frame.irql = SpinLock.OldIrql ?? PASSIVE_LEVEL;
}
