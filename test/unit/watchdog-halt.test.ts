/**
 * The watchdog for a miniport's MiniportHaltEx or MiniportInitializeEx that blocks (an `async`
 * handler awaiting NdisWaitEvent) and never returns: after the limit on the host clock it is
 * reported naming the handler, the driver and the adapter; in record mode the host operation
 * waiting for it fails with NDIS_ERR_TIMEOUT, in strict mode the driver is stopped and the
 * operation goes on without it. One that returns before the limit is not reported.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ManualClock,
  type NDIS_EVENT,
  NdisError,
  NdisHost,
  NdisInitializeEvent,
  NdisSetEvent,
  NdisWaitEvent,
} from "../../src/index.js";
import { type Script, scriptedMiniport } from "../helpers/miniport.js";

const drain = () => new Promise<void>((resolve) => setImmediate(resolve));
const drainAll = async (n = 6) => {
  for (let i = 0; i < n; i++) await drain();
};
const rules = (host: NdisHost) => host.violations.map((v) => v.rule);

function event(): NDIS_EVENT {
  const e: NDIS_EVENT = {};
  NdisInitializeEvent(e);
  return e;
}

/** Miniport driver `mp` (eth0) scripted by `script`, and a well-behaved `other` (eth1). */
async function hosts(script: Script, verifier: "record" | "strict", addEth0 = true) {
  const clock = new ManualClock();
  const host = new NdisHost({ clock, verifier });
  const mp = scriptedMiniport(script);
  const other = scriptedMiniport();
  await host.loadDriver({ name: "mp", module: mp.module });
  await host.loadDriver({ name: "other", module: other.module });
  await host.addAdapter({ driver: "other", name: "eth1" });
  if (addEth0) await host.addAdapter({ driver: "mp", name: "eth0" });
  return { clock, host, mp };
}

const timedOut = (pattern: RegExp) => (err: unknown) =>
  err instanceof NdisError && err.code === "NDIS_ERR_TIMEOUT" && pattern.test(err.message);

describe("a MiniportHaltEx that blocks", () => {
  test("never returning: reported naming MiniportHaltEx, the driver and the adapter; the removal fails with NDIS_ERR_TIMEOUT, and the adapter goes when it returns at last", async () => {
    const never = event();
    const s = await hosts(
      {
        halt: async () => {
          await NdisWaitEvent(never, 0);
        },
      },
      "record",
    );
    const removing = s.host.removeAdapter("eth0");
    const failed = assert.rejects(
      removing,
      timedOut(/MiniportHaltEx of adapter eth0 \(driver mp\) has not returned/),
    );
    await drainAll();
    assert.ok(s.mp.calls.some((c) => c.startsWith("MiniportHaltEx")));
    s.clock.advance(9_000);
    await drainAll();
    assert.deepEqual(rules(s.host), [], "not before the limit");
    s.clock.advance(2_000);
    await failed;
    const report = s.host.violations.find((v) => v.rule === "NdisTimedBindComplete");
    assert.match(report?.message ?? "", /MiniportHaltEx of adapter eth0 \(driver mp\)/);
    assert.match(report?.message ?? "", /still blocked in a wait/);
    assert.equal(report?.driver, "mp");
    assert.equal(s.host.adapter("eth1")?.state, "Running", "the other stack is untouched");
    // It returns at last: NDIS retires the adapter then.
    assert.notEqual(s.host.adapter("eth0"), undefined);
    NdisSetEvent(never);
    await drainAll();
    assert.equal(s.host.adapter("eth0"), undefined);
  });

  test("strict mode: the driver stuck in MiniportHaltEx is stopped and the removal ends without it; the other driver's stack runs on", async () => {
    const never = event();
    const s = await hosts(
      {
        halt: async () => {
          await NdisWaitEvent(never, 0);
        },
      },
      "strict",
    );
    let removed = false;
    const removing = s.host.removeAdapter("eth0").then(() => {
      removed = true;
    });
    await drainAll();
    s.clock.advance(9_000);
    await drainAll();
    assert.equal(removed, false, "the removal waits for MiniportHaltEx");
    s.clock.advance(2_000);
    await removing;
    const report = s.host.violations.find((v) => v.rule === "NdisTimedBindComplete");
    assert.match(report?.message ?? "", /MiniportHaltEx of adapter eth0 \(driver mp\)/);
    assert.equal(report?.driver, "mp");
    assert.equal(s.host.adapter("eth0"), undefined);
    assert.equal(s.host.adapter("eth1")?.state, "Running");
    // Returning after its driver was stopped changes nothing.
    NdisSetEvent(never);
    await drainAll();
    assert.deepEqual(rules(s.host), ["NdisTimedBindComplete"]);
  });

  test("returning before the limit (its event set by a timer 5 s later): the removal waits for it and nothing is reported", async () => {
    const done = event();
    const s = await hosts(
      {
        halt: async () => {
          await NdisWaitEvent(done, 0);
        },
      },
      "strict",
    );
    s.clock.schedule(5_000, () => NdisSetEvent(done));
    let removed = false;
    const removing = s.host.removeAdapter("eth0").then(() => {
      removed = true;
    });
    await drainAll();
    s.clock.advance(4_999);
    await drainAll();
    assert.equal(removed, false, "the removal waits for MiniportHaltEx");
    assert.notEqual(s.host.adapter("eth0"), undefined);
    s.clock.advance(1);
    await removing;
    assert.equal(s.host.adapter("eth0"), undefined);
    // Well past the limit now: nothing is reported late either.
    s.clock.advance(20_000);
    await drainAll();
    assert.deepEqual(rules(s.host), []);
  });
});

describe("a MiniportInitializeEx that blocks", () => {
  test("never returning: reported naming MiniportInitializeEx and the adapter; adding the adapter fails with NDIS_ERR_TIMEOUT", async () => {
    const never = event();
    const s = await hosts(
      {
        initialize: async () => {
          await NdisWaitEvent(never, 0);
          return 0;
        },
      },
      "record",
      false,
    );
    const adding = s.host.addAdapter({ driver: "mp", name: "eth0" });
    const failed = assert.rejects(
      adding,
      timedOut(/MiniportInitializeEx of adapter eth0 \(driver mp\) has not returned/),
    );
    await drainAll();
    s.clock.advance(9_000);
    await drainAll();
    assert.deepEqual(rules(s.host), [], "not before the limit");
    s.clock.advance(2_000);
    await failed;
    const report = s.host.violations.find((v) => v.rule === "NdisTimedBindComplete");
    assert.equal(report?.driver, "mp");
    assert.match(report?.message ?? "", /MiniportInitializeEx of adapter eth0/);
  });

  test("strict mode: the driver stuck in MiniportInitializeEx is stopped and adding the adapter ends without it", async () => {
    const never = event();
    const s = await hosts(
      {
        initialize: async () => {
          await NdisWaitEvent(never, 0);
          return 0;
        },
      },
      "strict",
      false,
    );
    const adding = s.host.addAdapter({ driver: "mp", name: "eth0" }).then(
      () => "added",
      (err: unknown) => (err instanceof NdisError ? err.code : String(err)),
    );
    await drainAll();
    s.clock.advance(11_000);
    const outcome = await adding;
    assert.notEqual(
      outcome,
      "NDIS_ERR_TIMEOUT",
      "the wait ends by the containment, not by giving up",
    );
    assert.ok(rules(s.host).includes("NdisTimedBindComplete"), rules(s.host).join(", "));
    assert.equal(s.host.adapter("eth0"), undefined);
    assert.equal(s.host.adapter("eth1")?.state, "Running");
  });
});
