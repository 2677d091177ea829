/**
 * Filters in stack files: examples/filter-ping.yaml runs on a ManualClock — two hosts ping each
 * other through the passthrough filter on a hub port and on an IM's virtual miniport — and tears
 * down to nothing under the strict verifier; the modules' own counters saw the traffic.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ManualClock } from "../../src/index.js";
import {
  durationMs,
  loadStackFile,
  parseStack,
  startStack,
  stopStack,
} from "../../src/stack/index.js";

const EXAMPLES = fileURLToPath(new URL("../../examples/", import.meta.url));

describe("filters in stack files", () => {
  test("filter-ping: every echo answered through the filter (over the hub and over passthrough)", async () => {
    const stack = await loadStackFile(join(EXAMPLES, "filter-ping.yaml"));
    const clock = new ManualClock();
    const running = await startStack(stack, { clock, verifier: "strict" });
    assert.deepEqual(running.problems, []);
    const host = running.host;
    assert.deepEqual(
      host.filterModules("eth0").map((m) => `${m.driver}:${m.state}`),
      ["filter-passthrough:Running"],
    );
    assert.deepEqual(
      host.filterModules("eth1-pt").map((m) => `${m.driver}:${m.state}`),
      ["filter-passthrough:Running"],
    );
    assert.deepEqual(host.filterModules("eth1"), [], "installed on eth0 and eth1-pt only");
    const ms = durationMs(stack.spec.run?.duration ?? "1s");
    for (let t = 0; t < ms; t += 50) {
      clock.advance(50);
      await host.settle();
    }
    const reports = running.reports();
    for (const driver of ["host-a", "host-b"]) {
      const data = reports.find((r) => r.driver === driver)?.data as {
        interfaces: { counters: { echoRequestsSent: number; echoRepliesReceived: number } }[];
      };
      assert.equal(data.interfaces[0]?.counters.echoRequestsSent, 4);
      assert.equal(
        data.interfaces[0]?.counters.echoRepliesReceived,
        4,
        `${driver} got every answer`,
      );
    }
    const filter = reports.find((r) => r.driver === "filter-passthrough")?.data as {
      modules: { adapter: string; sent: number; received: number }[];
    };
    for (const m of filter.modules) {
      assert.ok(m.sent >= 5, `${m.adapter}: ARP + 4 echo frames went down through the module`);
      assert.ok(m.received >= 5, `${m.adapter}: and as many came up`);
    }
    const { liveObjects, problems } = await stopStack(running);
    assert.deepEqual(problems, []);
    assert.deepEqual(liveObjects, []);
    assert.deepEqual(host.violations, []);
  });

  test("a filter entry that is not an install description is refused with its place", () => {
    assert.throws(
      () =>
        parseStack(
          "drivers:\n  - name: f\n    module: filter-passthrough\n    filter: { type: sniffing }\nadapters: []\n",
          "bad.yaml",
        ),
      /filter/,
    );
  });
});
