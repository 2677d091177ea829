/**
 * The raw protocol's pause with a send still below it: the send's completion may come at
 * DISPATCH_LEVEL (here: a netem filter below releases the delayed send from its NDIS timer), and
 * NdisCompleteNetPnPEvent may only be called at PASSIVE_LEVEL, so raw completes its pended pause
 * from a work item (NdisQueueIoWorkItem), never from the completion itself.
 *
 * Docs: "NdisCompleteNetPnPEvent" (IRQL PASSIVE_LEVEL), "NdisQueueIoWorkItem" (the routine runs
 * at PASSIVE_LEVEL), "Pausing a Binding" (the protocol completes NetEventPause once its sends
 * are back).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { openRaw } from "../../src/drivers/raw/index.js";
import { ManualClock, NDIS_STATUS_SUCCESS } from "../../src/index.js";
import { parseStack, startStack, stopStack } from "../../src/stack/index.js";

const YAML = `ndis: { version: "6.89", verifier: strict }
drivers:
  - { name: netem, module: netem, registry: { DelayMs: 20, Seed: 1, Direction: send }, filter: { adapters: [eth0] } }
  - { name: raw, module: raw }
  - { name: hub, module: hub }
adapters:
  - { name: eth0, driver: hub, registry: { Hub: lab } }
  - { name: eth1, driver: hub, registry: { Hub: lab } }
bindings:
  - { protocol: raw, adapter: eth0, registry: { PacketFilter: promiscuous } }
  - { protocol: raw, adapter: eth1, registry: { PacketFilter: promiscuous } }
`;

describe("raw's pause with a send held below it", () => {
  test("the pause completes at PASSIVE_LEVEL after a delayed send comes back from a timer", async () => {
    const clock = new ManualClock();
    const running = await startStack(parseStack(YAML, "raw-pause.yaml"), {
      clock,
      verifier: "strict",
    });
    assert.deepEqual(running.problems, []);
    const rawDriver = running.drivers.find((d) => d.name === "raw")?.driverObject;
    assert.ok(rawDriver);
    const a = openRaw(rawDriver, "eth0");
    assert.ok(a);
    const frame = new Uint8Array(60).fill(0xff, 0, 6);
    const sent = a.send(frame);
    clock.advance(1);
    await running.host.settle();
    // Removing the filter pauses the stack top down: raw first, with its send held by netem.
    let detached = false;
    const detach = running.host.detachFilter("netem", "eth0").then(() => {
      detached = true;
    });
    for (let i = 0; i < 100 && !detached; i++) {
      clock.advance(1);
      await running.host.settle();
    }
    await detach;
    assert.ok(detached);
    assert.equal(await sent, NDIS_STATUS_SUCCESS);
    assert.deepEqual(
      running.host.violations.map((v) => `${v.rule}: ${v.message}`),
      [],
      "no NdisCompleteNetPnPEvent at DISPATCH_LEVEL",
    );
    a.close();
    const { liveObjects, problems } = await stopStack(running);
    assert.deepEqual(problems, []);
    assert.deepEqual(liveObjects, [], "the work item was freed with the binding");
  });
});
