/**
 * Spin locks, read-write locks and the current IRQL. The model runs one call at a time, so a spin lock cannot
 * spin; what it does is what the verifier cares about: it raises the caller to DISPATCH_LEVEL and
 * restores the old IRQL on release, and acquiring a lock already held (a deadlock on Windows) or
 * releasing one not held is reported.
 */
import { DISPATCH_LEVEL, irqlToString, type KIRQL, PASSIVE_LEVEL } from "../../ndis/irql.js";
import type { LOCK_STATE, NDIS_RW_LOCK, NDIS_SPIN_LOCK } from "../../ndis/types.js";
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

/**
 * KeRaiseIrql: raises the caller to `NewIrql` and returns the IRQL it ran at (the caller gives it
 * back to KeLowerIrql). A `NewIrql` below the current IRQL is IrqlKeRaiseLower (bug check 0x9 on
 * Windows) and changes nothing. NDIS_RAISE_IRQL_TO_DISPATCH and KeRaiseIrqlToDpcLevel are this with
 * DISPATCH_LEVEL. [MODEL] The model has no level above DISPATCH_LEVEL: a higher one is taken as
 * DISPATCH_LEVEL.
 */
export function KeRaiseIrql(NewIrql: KIRQL): KIRQL {
  const frame = currentFrame();
  const old = frame.irql;
  emit("KeRaiseIrql", `${irqlToString(old)} to ${irqlToString(NewIrql)}`);
  if (NewIrql < old) {
    frame.runtime?.violate(
      "IrqlKeRaiseLower",
      `KeRaiseIrql to ${irqlToString(NewIrql)} from ${irqlToString(old)}: a raise must not lower the IRQL`,
      frame.driver,
      frame.depth,
    );
    return old;
  }
  frame.irql = Math.min(NewIrql, DISPATCH_LEVEL) as KIRQL;
  return old;
}

/**
 * KeLowerIrql: back to `NewIrql`, the level KeRaiseIrql returned. A `NewIrql` above the current
 * IRQL is IrqlKeRaiseLower and changes nothing.
 */
export function KeLowerIrql(NewIrql: KIRQL): void {
  const frame = currentFrame();
  emit("KeLowerIrql", `${irqlToString(frame.irql)} to ${irqlToString(NewIrql)}`);
  if (NewIrql > frame.irql) {
    frame.runtime?.violate(
      "IrqlKeRaiseLower",
      `KeLowerIrql to ${irqlToString(NewIrql)} from ${irqlToString(frame.irql)}: a lower must not raise the IRQL`,
      frame.driver,
      frame.depth,
    );
    return;
  }
  frame.irql = NewIrql;
}

/**
 * KeTryToAcquireSpinLockAtDpcLevel: takes the lock if it is free (TRUE) or returns FALSE at once
 * (another processor holds it on Windows; here only the caller can, and a try does not deadlock).
 * The caller runs at DISPATCH_LEVEL (Irql_Synch_Function below it); release with
 * KeReleaseSpinLockFromDpcLevel.
 */
export function KeTryToAcquireSpinLockAtDpcLevel(SpinLock: NDIS_SPIN_LOCK): boolean {
  const frame = currentFrame();
  emit("KeTryToAcquireSpinLockAtDpcLevel", `at ${irqlToString(frame.irql)}`);
  if (frame.irql < DISPATCH_LEVEL) {
    frame.runtime?.violate(
      "Irql_Synch_Function",
      `KeTryToAcquireSpinLockAtDpcLevel called at ${irqlToString(frame.irql)}: it is called only at DISPATCH_LEVEL`,
      frame.driver,
      frame.depth,
    );
  }
  const state = stateOf(SpinLock);
  if (state.held) return false;
  state.held = true;
  SpinLock.OldIrql = frame.irql;
  return true;
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

/**
 * NdisDprAcquireSpinLock: takes the lock when the caller already runs at DISPATCH_LEVEL (its DDI
 * page: IRQL = DISPATCH_LEVEL); it does not raise the IRQL. Called below DISPATCH_LEVEL it is the
 * Irql_Synch_Function violation (SDV); a lock already held is SpinLockDpr (a deadlock on Windows).
 */
export function NdisDprAcquireSpinLock(SpinLock: NDIS_SPIN_LOCK): void {
  const frame = currentFrame();
  emit("NdisDprAcquireSpinLock", `at ${irqlToString(frame.irql)}`);
  if (frame.irql < DISPATCH_LEVEL) {
    frame.runtime?.violate(
      "Irql_Synch_Function",
      `NdisDprAcquireSpinLock called at ${irqlToString(frame.irql)}: it is called only at DISPATCH_LEVEL (below it, NdisAcquireSpinLock raises the IRQL)`,
      frame.driver,
      frame.depth,
    );
  }
  const state = stateOf(SpinLock);
  if (state.held) {
    frame.runtime?.violate(
      "SpinLockDpr",
      "NdisDprAcquireSpinLock on a spin lock the caller already holds: on Windows this deadlocks",
      frame.driver,
      frame.depth,
    );
    return;
  }
  state.held = true;
  SpinLock.OldIrql = frame.irql;
}

/** NdisDprReleaseSpinLock: releases a lock taken at DISPATCH_LEVEL; the IRQL stays as it is. */
export function NdisDprReleaseSpinLock(SpinLock: NDIS_SPIN_LOCK): void {
  const frame = currentFrame();
  emit("NdisDprReleaseSpinLock", `at ${irqlToString(frame.irql)}`);
  if (frame.irql < DISPATCH_LEVEL) {
    frame.runtime?.violate(
      "Irql_Synch_Function",
      `NdisDprReleaseSpinLock called at ${irqlToString(frame.irql)}: it is called only at DISPATCH_LEVEL`,
      frame.driver,
      frame.depth,
    );
  }
  const state = locks.get(SpinLock);
  if (state?.held !== true) {
    frame.runtime?.violate(
      "SpinLockDprRelease",
      "NdisDprReleaseSpinLock on a spin lock that is not held",
      frame.driver,
      frame.depth,
    );
    return;
  }
  state.held = false;
}

// ---- NDIS_RW_LOCK ---------------------------------------------------------------------------

/** Who holds a read-write lock: the LOCK_STATEs of the acquisitions not yet released. */
interface ReadWriteState {
  readonly readers: Set<LOCK_STATE>;
  writer: LOCK_STATE | null;
}

const rwLocks = new WeakMap<NDIS_RW_LOCK, ReadWriteState>();
/** The lock each LOCK_STATE is in use for, between acquire and release. */
const inUse = new WeakMap<LOCK_STATE, NDIS_RW_LOCK>();

function rwViolation(rule: "ReadWriteLock" | "ReadWriteLockRelease", message: string): void {
  const frame = currentFrame();
  frame.runtime?.violate(rule, message, frame.driver, frame.depth);
}

/** NdisInitializeReadWriteLock: readies a caller-allocated NDIS_RW_LOCK (`{}`), not held. */
export function NdisInitializeReadWriteLock(Lock: NDIS_RW_LOCK): void {
  rwLocks.set(Lock, { readers: new Set(), writer: null });
}

/**
 * NdisAcquireReadWriteLock: read (`fWrite` false) or write access; always raises the caller to
 * DISPATCH_LEVEL and keeps the IRQL to restore in `LockState`, which must be a LOCK_STATE of its
 * own for every acquisition not yet released. Readers share the lock; a writer has it alone, so a
 * write acquisition while anyone holds it — a reader upgrading, or a second writer — deadlocks on
 * Windows and is the ReadWriteLock violation, as is a read while a writer holds it, except by
 * the writer itself. [MODEL] One thread runs at a time, so every holder counts as the caller.
 */
export function NdisAcquireReadWriteLock(
  Lock: NDIS_RW_LOCK,
  fWrite: boolean,
  LockState: LOCK_STATE,
): void {
  const frame = currentFrame();
  emit("NdisAcquireReadWriteLock", `${fWrite ? "write" : "read"} at ${irqlToString(frame.irql)}`);
  let state = rwLocks.get(Lock);
  if (state === undefined) {
    rwViolation(
      "ReadWriteLock",
      "NdisAcquireReadWriteLock on an NDIS_RW_LOCK that NdisInitializeReadWriteLock did not initialise",
    );
    state = { readers: new Set(), writer: null };
    rwLocks.set(Lock, state);
  }
  if (inUse.has(LockState)) {
    rwViolation(
      "ReadWriteLock",
      "NdisAcquireReadWriteLock with a LOCK_STATE still in use by an acquisition not yet released: every acquisition needs its own LOCK_STATE",
    );
    return;
  }
  if (fWrite && (state.writer !== null || state.readers.size > 0)) {
    rwViolation(
      "ReadWriteLock",
      `NdisAcquireReadWriteLock for write while the lock is held ${state.writer !== null ? "for write" : `for read (${state.readers.size})`}: on Windows this deadlocks (a read lock is never upgraded; release it first)`,
    );
    return;
  }
  LockState.OldIrql = frame.irql;
  inUse.set(LockState, Lock);
  if (fWrite) state.writer = LockState;
  else state.readers.add(LockState);
  frame.irql = DISPATCH_LEVEL;
}

/**
 * NdisReleaseReadWriteLock: ends the acquisition `LockState` recorded and restores the IRQL it
 * saved. A LOCK_STATE that is not an unreleased acquisition of this lock is ReadWriteLockRelease.
 */
export function NdisReleaseReadWriteLock(Lock: NDIS_RW_LOCK, LockState: LOCK_STATE): void {
  const frame = currentFrame();
  emit("NdisReleaseReadWriteLock", `back to ${irqlToString(LockState.OldIrql ?? PASSIVE_LEVEL)}`);
  const state = rwLocks.get(Lock);
  const heldFor = inUse.get(LockState);
  if (state === undefined || heldFor === undefined) {
    rwViolation(
      "ReadWriteLockRelease",
      "NdisReleaseReadWriteLock with a LOCK_STATE no NdisAcquireReadWriteLock of this lock is using: the lock is released only after it was acquired, once per acquisition",
    );
    return;
  }
  if (heldFor !== Lock) {
    rwViolation(
      "ReadWriteLockRelease",
      "NdisReleaseReadWriteLock with the LOCK_STATE of an acquisition of another NDIS_RW_LOCK",
    );
    return;
  }
  inUse.delete(LockState);
  if (state.writer === LockState) state.writer = null;
  else state.readers.delete(LockState);
  frame.irql = LockState.OldIrql ?? PASSIVE_LEVEL;
}
