/**
 * bench-traffic: 64 one-NBL sends and 64 one-NBL receives posted as racing acts through the IM
 * driver under test; everything must come back. Plain JavaScript so that the `*-against` benches
 * can run it on plain node against any build; bench/explore.bench.ts uses the same definition.
 */
const ONE_NBL = { nbs: 1, mdls: 1, size: 60 };

/** @type {import("../src/verify/index.js").Scenario} */
export const traffic = {
  name: "bench-traffic",
  description: "64 sends and 64 receives of one NBL racing through the IM driver",
  contract: "the send and receive paths under any completion order",
  run: async (rig) => {
    await rig.up();
    const up = rig.upperOver("lower0");
    const down = rig.lowerAdapter("lower0");
    for (let i = 0; i < 64; i++) {
      rig.clock.post(() => rig.upper.send(up, 1, ONE_NBL, rig.tags(1)), "vfyupper: send 1 NBL");
      rig.clock.post(
        () => rig.lower.indicate(down, 1, ONE_NBL, rig.tags(1)),
        "vfylower: indicate 1 NBL",
      );
    }
    await rig.settle();
    if (up.outstanding.size !== 0 || down.indicated.size !== 0)
      throw new Error("bench-traffic: an NBL did not come back");
    await rig.down();
  },
};
