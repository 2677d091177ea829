/**
 * The HTML report in a real browser: headless Chromium opens the page from file:// (its
 * Content-Security-Policy in force, no network) and the page's script draws the sequence diagram.
 * `--dump-dom` prints the DOM after the script ran, so the assertions see what was drawn.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import type { TraceEvent } from "../../src/index.js";
import { renderHtmlReport } from "../../src/verify/html.js";
import { HEADLESS_FLAGS } from "../helpers/chromium.js";

const CHROMIUM = "/usr/bin/chromium";
const skip = existsSync(CHROMIUM)
  ? false
  : `Chromium is not installed (${CHROMIUM}); CI installs it (.ci/run: apt-get install chromium)`;

let seq = 0;
function ev(
  kind: TraceEvent["kind"],
  phase: TraceEvent["phase"],
  name: string,
  driver: string | null,
  extra: { status?: number; detail?: string } = {},
): TraceEvent {
  seq += 1;
  return { seq, time: seq, depth: 1, kind, phase, name, driver, ...extra };
}

/** A failing pause: calls on all four driver lanes, a state change, then the violation. */
const EVENTS: readonly TraceEvent[] = [
  ev("ddi", "call", "NdisRegisterProtocolDriver", "vfyupper"), // arrow 1: protocol → NDIS
  ev("ddi", "return", "NdisRegisterProtocolDriver", "vfyupper", { status: 0 }),
  ev("handler", "call", "ProtocolBindAdapterEx", "imtest", { detail: "imtest → lower0" }), // 2
  ev("ddi", "call", "NdisOpenAdapterEx", "imtest"), // 3: IM protocol edge → NDIS
  ev("handler", "call", "MiniportSendNetBufferLists", "vfylower"), // 4: NDIS → miniport
  ev("handler", "return", "MiniportSendNetBufferLists", "vfylower"),
  ev("ddi", "return", "NdisOpenAdapterEx", "imtest", { status: 0 }),
  ev("handler", "return", "ProtocolBindAdapterEx", "imtest", { status: 0x103 }),
  ev("state", "call", "MiniportPause", "imtest", { detail: "adapter imtest0: Running → Pausing" }),
  ev("handler", "call", "MiniportPause", "imtest", { detail: "imtest0" }), // 5: NDIS → IM miniport edge
  ev("handler", "return", "MiniportPause", "imtest", { status: 0 }),
  ev("ddi", "call", "NdisMIndicateReceiveNetBufferLists", "imtest"), // 6: IM miniport edge → NDIS
  ev("violation", "call", "MiniportPause_NblsOutstanding", "imtest", {
    detail: `adapter imtest0 completed its pause with 8 indicated NBL(s) not returned </script><script>alert(1)</script>`,
  }),
];
const CALLS = 6;

test("headless Chromium draws the failure's sequence diagram from the embedded trace", {
  skip,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "ndis-html-"));
  try {
    const page = join(dir, "report.html");
    const profile = join(dir, "profile");
    mkdirSync(profile);
    writeFileSync(
      page,
      renderHtmlReport({
        driver: "./broken-im/index.ts",
        services: { upper: "vfyupper", im: "imtest", lower: "vfylower" },
        generatedAt: "2025-01-02T03:04:05.000Z",
        durationMs: 800,
        scenarios: [
          {
            name: "bring-up-adapter-first",
            description: "the lower adapter exists first",
            contract: "IM bring-up",
            status: "pass",
            runs: 1,
            steps: 20,
            durationMs: 30,
            failure: null,
          },
          {
            name: "pause-restart-under-traffic",
            description: "pauses with NBLs held",
            contract: "MiniportPause waits for indicated NBLs",
            status: "fail",
            runs: 7,
            steps: 93,
            durationMs: 400,
            failure: {
              message: "[error] MiniportPause_NblsOutstanding (driver imtest): …",
              rule: "MiniportPause_NblsOutstanding",
              replay: "ndis verify ./broken-im/index.ts --replay pause-race@s1234:0.2.1",
              seed: "pause-race@s1234:0.2.1",
              choices: [0, 2, 1],
              events: EVENTS,
              states: [{ kind: "adapter", name: "imtest0", state: "Paused" }],
            },
          },
        ],
      }),
    );
    const run = spawnSync(
      CHROMIUM,
      [...HEADLESS_FLAGS, `--user-data-dir=${profile}`, "--dump-dom", pathToFileURL(page).href],
      { encoding: "utf8", timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
    );
    assert.equal(run.error, undefined, `chromium did not run: ${run.error?.message}`);
    assert.equal(run.status, 0, `chromium exited ${run.status}: ${run.stderr.slice(-2000)}`);
    const dom = run.stdout;

    const svg = /<svg\b[^>]*\bclass="seq"[^>]*>[\s\S]*?<\/svg>/.exec(dom)?.[0];
    assert.ok(svg !== undefined, `the dumped DOM has the diagram's <svg>:\n${dom.slice(0, 2000)}`);
    const open = svg.slice(0, svg.indexOf(">") + 1);
    assert.doesNotMatch(open, /data-error=/, "the script did not fail");
    assert.match(open, new RegExp(`data-drawn="${CALLS}"`), open);
    for (const lane of [
      "protocol (vfyupper)",
      "IM protocol edge (imtest)",
      "IM miniport edge (imtest)",
      "miniport (vfylower)",
      "NDIS",
    ])
      assert.ok(svg.includes(`>${lane}<`), `the diagram names the lane ${lane}`);
    assert.match(svg, /violation: MiniportPause_NblsOutstanding/);
    assert.equal([...svg.matchAll(/<g class="row arrow"/g)].length, CALLS);
    assert.equal([...svg.matchAll(/<g class="row violation"/g)].length, 1);
    // The violation's hostile detail stayed text: the page still has only its own two scripts.
    assert.equal([...dom.matchAll(/<script\b/g)].length, 2);
    assert.ok(svg.includes("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
  } finally {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  }
});
