/**
 * The simulated scheduler (src/runtime/core/base/scheduler.ts): what is ready runs in the order the
 * strategy picks, time passes when nothing else can happen (or, a few times and not far, when the
 * strategy lets it), every
 * pick is recorded, and a recorded list replays the same run exactly. Faults are choices too,
 * gated by site, driver and budget.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  type ChoicePoint,
  fifoStrategy,
  pctStrategy,
  randomStrategy,
  replayStrategy,
  SimScheduler,
  type Strategy,
  seededRandom,
} from "../../src/index.js";

/** Runs the scheduler until nothing is ready and no foreground timer is set. */
function runAll(s: SimScheduler, limit = 10_000): void {
  for (let i = 0; i < limit && s.step(); i++);
}

/**
 * A small world: three actors each post a chain of tasks (each posting the next), and a timer
 * that posts one more; returns the order the work ran in.
 */
function world(s: SimScheduler): string[] {
  const log: string[] = [];
  for (const actor of ["a", "b", "c"]) {
    const chain = (n: number) => () => {
      log.push(`${actor}${n}`);
      if (n < 3) s.post(chain(n + 1), `${actor}: step ${n + 1}`);
    };
    s.post(chain(1), `${actor}: step 1`);
  }
  s.schedule(
    5,
    () => {
      log.push("t");
      s.post(() => log.push("t2"), "timer: after");
    },
    false,
    "timer: fired",
  );
  runAll(s);
  return log;
}

const strategy = (pick: (p: ChoicePoint) => number): Strategy => ({ name: "test", pick });

describe("SimScheduler", () => {
  test("FIFO runs ready work in the order it was posted, then lets time pass to the timer", () => {
    const s = new SimScheduler(fifoStrategy());
    assert.deepEqual(world(s), ["a1", "b1", "c1", "a2", "b2", "c2", "a3", "b3", "c3", "t", "t2"]);
    assert.equal(s.nowMs, 5, "virtual time jumped to the timer");
    assert.equal(s.steps, 11);
    assert.equal(s.step(), false, "idle at the end");
  });

  test("the strategy picks among ready tasks; every choice of width > 1 is recorded with its width", () => {
    // Always the last option: LIFO among tasks, and time passes as soon as it may.
    const s = new SimScheduler(strategy((p) => p.width - 1));
    const log = world(s);
    assert.equal(log[0], "t", "with a foreground timer set, letting time pass is the last option");
    assert.equal(s.picks.length, s.widths.length);
    assert.ok(s.widths.every((w) => w >= 2));
    assert.ok(s.picks.every((p, i) => p === (s.widths[i] as number) - 1));
    assert.equal(log.length, 11, "everything still runs exactly once");
    assert.deepEqual([...log].sort(), [
      "a1",
      "a2",
      "a3",
      "b1",
      "b2",
      "b3",
      "c1",
      "c2",
      "c3",
      "t",
      "t2",
    ]);
  });

  test("a choice point offers time only while a foreground timer is set", () => {
    const seen: ChoicePoint[] = [];
    const s = new SimScheduler(
      strategy((p) => {
        seen.push(p);
        return 0;
      }),
    );
    s.post(() => {}, "x: one");
    s.post(() => {}, "y: two");
    s.schedule(1000, () => {}, true, "NDIS: watchdog");
    s.step();
    assert.equal(seen[0]?.width, 2, "a background timer (the watchdog) is not an option");
    assert.equal(seen[0]?.timeOption, false);
    assert.deepEqual(seen[0]?.actors, ["x", "y"]);
    s.schedule(10, () => {}, false, "drv: timer");
    s.post(() => {}, "z: three");
    s.step();
    assert.equal(seen[1]?.width, 3);
    assert.equal(seen[1]?.timeOption, true);
  });

  test("a periodic timer cannot starve ready tasks: time passes ahead of them only within the run's budget, to timers due soon", () => {
    // A strategy that lets time pass whenever it may (what a time-loving PCT priority did).
    for (const [pick, name] of [
      [(p: ChoicePoint) => (p.timeOption ? p.width - 1 : 0), "always time"],
      [(p: ChoicePoint) => pctStrategy(7).pick(p), "pct"],
    ] as const) {
      const s = new SimScheduler(strategy(pick), { timeChoices: 3, timeWindowMs: 1000 });
      // A statistics timer every 500 ms, re-armed by itself, and a chain of 50 tasks.
      let ticks = 0;
      const tick = () => {
        ticks++;
        s.schedule(500, tick, false, "drv: stats timer");
      };
      s.schedule(500, tick, false, "drv: stats timer");
      let done = 0;
      const chain = () => {
        done++;
        if (done < 50) s.post(chain, "x: work");
      };
      s.post(chain, "x: work");
      while (done < 50 && s.step());
      assert.equal(done, 50, name);
      assert.ok(ticks <= 3, `${name}: ${ticks} ticks ran ahead of the tasks`);
      assert.ok(s.nowMs <= 1500, `${name}: time ran ${s.nowMs} ms ahead of the tasks`);
    }
    // A timer due later than the window is never an option while tasks are ready.
    const seen: ChoicePoint[] = [];
    const far = new SimScheduler(
      strategy((p) => {
        seen.push(p);
        return 0;
      }),
    );
    far.schedule(5000, () => {}, false, "drv: far");
    far.post(() => {}, "x: one");
    far.post(() => {}, "y: two");
    far.step();
    assert.equal(seen[0]?.timeOption, false);
    assert.equal(seen[0]?.width, 2);
  });

  test("advanceTo fires background timers too, one due time at a time, and stops at the limit", () => {
    const s = new SimScheduler(fifoStrategy());
    const log: string[] = [];
    s.schedule(1000, () => log.push("watchdog"), true, "NDIS: watchdog");
    s.schedule(3000, () => log.push("late"), true, "NDIS: watchdog");
    assert.equal(s.step(), false, "background timers alone leave the run idle");
    assert.equal(s.advanceTo(2_000_000_000n), true);
    runAll(s);
    assert.deepEqual(log, ["watchdog"]);
    assert.equal(s.advanceTo(2_000_000_000n), false, "nothing more due by the limit");
    assert.equal(s.nowMs, 2000);
  });

  test("a cancelled task or timer never runs", () => {
    const s = new SimScheduler(fifoStrategy());
    const log: string[] = [];
    const cancelTask = s.schedule(0, () => log.push("task"), false, "w: item");
    const cancelTimer = s.schedule(10, () => log.push("timer"), false, "t: timer");
    s.post(() => log.push("kept"), "k: kept");
    cancelTask();
    cancelTimer();
    runAll(s);
    assert.deepEqual(log, ["kept"]);
    assert.equal(s.pendingTimers, 0);
  });

  test("an error thrown by a task is kept, not thrown out of step", () => {
    const s = new SimScheduler(fifoStrategy());
    s.post(() => {
      throw new Error("boom");
    }, "drv: bad");
    s.post(() => {}, "drv: good");
    runAll(s);
    assert.equal(s.uncaught.length, 1);
    assert.equal(s.uncaught[0]?.label, "drv: bad");
    assert.equal(s.steps, 2);
  });

  test("any seeded run replays exactly from its list of picks", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.boolean(), (seed, pct) => {
        const first = new SimScheduler(pct ? pctStrategy(seed, 3, 20) : randomStrategy(seed));
        const log = world(first);
        const again = new SimScheduler(replayStrategy(first.picks));
        assert.deepEqual(world(again), log);
        assert.deepEqual(again.picks, first.picks);
        // The same seed gives the same run.
        const same = new SimScheduler(pct ? pctStrategy(seed, 3, 20) : randomStrategy(seed));
        assert.deepEqual(world(same), log);
      }),
      { numRuns: 200 },
    );
  });

  test("random walks reach different orders; a replay past its list takes the plain choice", () => {
    const orders = new Set<string>();
    for (let seed = 1; seed <= 50; seed++)
      orders.add(world(new SimScheduler(randomStrategy(seed))).join(","));
    assert.ok(orders.size > 10, `50 seeds gave ${orders.size} orders`);
    const s = new SimScheduler(replayStrategy([]));
    assert.deepEqual(world(s), world(new SimScheduler(fifoStrategy())));
    assert.ok(s.picks.every((p) => p === 0));
  });

  test("PCT without change points runs the highest-priority actor's tasks before the others'", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const log = world(new SimScheduler(pctStrategy(seed, 1)));
      // Each actor's chain runs without interruption: a strict priority order of actors.
      const actors = log.filter((e) => e !== "t" && e !== "t2").map((e) => e[0]);
      const runs = actors.filter((a, i) => i === 0 || a !== actors[i - 1]);
      assert.equal(runs.length, 3, `seed ${seed}: ${log.join(",")}`);
    }
  });

  test("faults: only at listed sites, only for listed drivers, at most maxFaults per run", () => {
    const always = strategy((p) => (p.kind === "fault" ? 1 : 0));
    const s = new SimScheduler(always, {
      faultSites: ["NdisAllocateNetBufferList"],
      faultDrivers: ["imtest"],
      maxFaults: 2,
    });
    assert.equal(s.fault("NdisAllocateIoWorkItem", "imtest"), false, "site not listed");
    assert.equal(s.fault("NdisAllocateNetBufferList", "vfylower"), false, "driver not listed");
    assert.equal(s.fault("NdisAllocateNetBufferList", null), false, "NDIS itself");
    assert.equal(s.fault("NdisAllocateNetBufferList", "imtest"), true);
    assert.equal(s.fault("NdisAllocateNetBufferList", "imtest"), true);
    assert.equal(s.fault("NdisAllocateNetBufferList", "imtest"), false, "budget spent");
    assert.deepEqual(s.picks, [1, 1], "only the offered faults are choice points");
    assert.equal(s.decisions[0]?.chosen, "fault injected");
  });

  test("environment faults (a link flap): any caller, whatever driver runs, on their own budget", () => {
    const always = strategy((p) => (p.kind === "fault" ? 1 : 0));
    const s = new SimScheduler(always, {
      faultSites: ["NdisAllocateNetBufferList"],
      faultDrivers: ["imtest"],
      environmentSites: ["link flap"],
    });
    assert.equal(s.fault("link flap", null), true, "asked by the rig, no driver running");
    assert.equal(s.fault("link flap", "vfylower"), false, "one environment fault per run");
    assert.equal(s.fault("NdisAllocateNetBufferList", "imtest"), true, "its own budget");
    assert.equal(s.decisions[0]?.label, "link flap");
    const none = new SimScheduler(always, { faultSites: ["NdisAllocateNetBufferList"] });
    assert.equal(none.fault("link flap", null), false, "not offered unless listed");
    assert.equal(none.picks.length, 0);
  });

  test("on real time a timer is not there to run before it is due, and idle waits for it", async () => {
    const s = new SimScheduler(fifoStrategy(), { time: "real" });
    assert.equal(s.realTime, true);
    const log: string[] = [];
    const start = s.now();
    s.schedule(20, () => log.push("timer"), false, "drv: timer");
    s.post(() => log.push("task"), "drv: task");
    while (s.step()) {}
    assert.deepEqual(log, ["task"], "the task ran; the timer is not due yet");
    assert.equal(s.pendingTimers, 1);
    assert.equal(s.advanceTo(start + 10_000_000_000n), false, "time cannot be made to jump");
    // idle() is the scheduler's own wait: it resolves when the timer is due.
    await s.idle(start + 10_000_000_000n);
    assert.ok(s.now() - start >= 20_000_000n, `${s.now() - start} ns passed`);
    while (s.step()) {}
    assert.deepEqual(log, ["task", "timer"]);
    // Virtual time, by contrast, jumps: the same timer runs at once, 20 ms of host time later.
    const v = new SimScheduler(fifoStrategy());
    v.schedule(20, () => log.push("virtual"), false, "drv: timer");
    assert.equal(v.step(), true);
    assert.equal(v.nowMs, 20);
  });

  test("seededRandom is deterministic and within [0, 1)", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    for (let i = 0; i < 1000; i++) {
      const x = a();
      assert.equal(x, b());
      assert.ok(x >= 0 && x < 1);
    }
  });
});
