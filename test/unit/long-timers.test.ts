/**
 * Delays of 2^31 ms or more (Node's setTimeout fires those after 1 ms): the real clock chains them,
 * so `--duration 600h`, a link event `at: 700h` and an NDIS timer with a period of weeks wait as
 * long as they say. Node's timers are stood in for, so nothing sleeps.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { realClock } from "../../src/index.js";

const MAX = 2 ** 31 - 1;

/** A stand-in for setTimeout/clearTimeout: records each delay, fires on demand. */
function fakeTimers() {
  let now = 0;
  let seq = 0;
  const pending = new Map<number, { due: number; fn: () => void }>();
  const delays: number[] = [];
  return {
    delays,
    setTimeout(fn: () => void, ms: number) {
      delays.push(ms);
      // Node's own rule: a delay it cannot hold becomes 1 ms.
      const delay = ms > MAX || !(ms >= 1) ? 1 : ms;
      const id = ++seq;
      pending.set(id, { due: now + delay, fn });
      return { id, unref() {} };
    },
    clearTimeout(handle: { id: number } | undefined) {
      if (handle !== undefined) pending.delete(handle.id);
    },
    /** Runs what falls due within `ms`, in order. */
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const next = [...pending]
          .filter(([, t]) => t.due <= end)
          .sort((a, b) => a[1].due - b[1].due)[0];
        if (next === undefined) break;
        pending.delete(next[0]);
        now = next[1].due;
        next[1].fn();
      }
      now = end;
    },
  };
}

describe("the real clock and delays past setTimeout's limit", () => {
  for (const [what, ms] of [
    ["600 h (--duration 600h)", 600 * 3_600_000],
    ["700 h (a link event)", 700 * 3_600_000],
    ["exactly 2^31 ms", 2 ** 31],
    ["10 × 2^31 ms", 10 * 2 ** 31],
  ] as const) {
    test(`${what} fires then, not after 1 ms`, () => {
      const timers = fakeTimers();
      const clock = realClock(timers as never);
      let fired = 0;
      clock.schedule(ms, () => fired++);
      timers.advance(1000);
      assert.equal(fired, 0);
      timers.advance(ms - 1002);
      assert.equal(fired, 0);
      timers.advance(2);
      assert.equal(fired, 1);
      assert.ok(
        timers.delays.every((d) => d <= MAX),
        String(timers.delays),
      );
    });
  }

  test("a chained delay can be cancelled in any link", () => {
    const timers = fakeTimers();
    const clock = realClock(timers as never);
    let fired = 0;
    const cancel = clock.schedule(3 * 2 ** 31, () => fired++);
    timers.advance(2 ** 31 + 5);
    cancel();
    timers.advance(10 * 2 ** 31);
    assert.equal(fired, 0);
  });

  test("short delays are one setTimeout as before", () => {
    const timers = fakeTimers();
    const clock = realClock(timers as never);
    let fired = 0;
    clock.schedule(250, () => fired++);
    timers.advance(250);
    assert.equal(fired, 1);
    assert.deepEqual(timers.delays, [250]);
  });
});
