// A scenario of your own for `ndis verify`: netem, told to lose every frame, must never let a
// frame reach the protocol above it, and must still give back every NBL it was handed — in every
// interleaving the explorer tries. (docs/verify.md "Your own scenarios"; run by
// test/unit/verify-define.test.ts.)
import { defineScenario, runConformance } from "../src/verify/index.js"; // "ndis-ts/verify"

export const lostFramesStayLost = defineScenario({
  name: "lost-frames-stay-lost",
  description: "with LossPercent 100, frames from the wire never reach the protocol",
  faults: true,
  run: async (t) => {
    await t.up();
    const frames = [1, 2, 3].map((n) => t.frame({ payload: Uint8Array.of(n) }));
    await t.race([
      ["wire: three frames arrive", () => t.receive(frames)],
      ["protocol: sends one", () => t.send([t.frame({ payload: Uint8Array.of(9) })])],
    ]);
    t.check(t.received().length === 0, `${t.received().length} lost frame(s) reached the protocol`);
    await t.down(); // the suite then checks every NBL came back and nothing leaked
  },
});

export function verifyNetemLoss(netem: string) {
  return runConformance(netem, {
    scenarios: [lostFramesStayLost],
    config: { driver: { LossPercent: 100, Seed: 7 } },
    runs: 20,
  });
}
