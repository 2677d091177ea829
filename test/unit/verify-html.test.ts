/**
 * The HTML report of `ndis verify`: one page that loads nothing, whose embedded trace survives
 * any text a driver puts in it, whose summary counts right, and whose diagram puts each trace
 * event on the lane of the edge it belongs to.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import type { TraceEvent } from "../../src/index.js";
import {
  HTML_MAX_EVENTS,
  type HtmlFailure,
  type HtmlReportInput,
  type HtmlScenario,
  planSequence,
  renderHtmlReport,
  type SequenceRow,
} from "../../src/verify/html.js";

const SERVICES = { upper: "vfyupper", im: "imtest", lower: "vfylower" } as const;
const HOSTILE = `</script><script>alert(1)</script> &<>"' <!-- \u2028`;

let seq = 0;
function ev(
  kind: TraceEvent["kind"],
  phase: TraceEvent["phase"],
  name: string,
  driver: string | null,
  extra: { status?: number; detail?: string; depth?: number } = {},
): TraceEvent {
  seq += 1;
  return { seq, time: seq * 0.5, depth: extra.depth ?? 1, kind, phase, name, driver, ...extra };
}

function trace(): TraceEvent[] {
  return [
    ev("ddi", "call", "NdisRegisterProtocolDriver", "vfyupper"),
    ev("ddi", "return", "NdisRegisterProtocolDriver", "vfyupper", { status: 0 }),
    ev("handler", "call", "ProtocolNetPnPEvent", "imtest", { detail: HOSTILE }),
    ev("handler", "return", "ProtocolNetPnPEvent", "imtest", { status: 0x103 }),
    ev("state", "call", "MiniportPause", "imtest", {
      detail: "adapter imtest0: Running → Pausing",
    }),
    ev("handler", "call", "MiniportPause", "imtest", { detail: "imtest0" }),
    ev("handler", "return", "MiniportPause", "imtest", { status: 0 }),
    ev("violation", "call", "MiniportPause_NblsOutstanding", "imtest", { detail: HOSTILE }),
  ];
}

function failure(events: readonly TraceEvent[] = trace()): HtmlFailure {
  return {
    message: `[error] MiniportPause_NblsOutstanding (driver imtest)\n  ${HOSTILE}`,
    rule: "MiniportPause_NblsOutstanding",
    replay: `ndis verify ./drv.ts --replay 'pause-race@s1234:0.2.1' ${HOSTILE}`,
    seed: "pause-race@s1234:0.2.1",
    choices: [0, 2, 1],
    events,
    states: [
      { kind: "adapter", name: "imtest0", state: "Paused" },
      { kind: "binding", name: `imtest → lower0 ${HOSTILE}`, state: "Running" },
    ],
  };
}

function scenario(name: string, fail: HtmlFailure | null): HtmlScenario {
  return {
    name,
    description: `what ${name} does`,
    contract: `the contract of ${name}`,
    status: fail === null ? "pass" : "fail",
    runs: 12,
    steps: 345,
    durationMs: 67,
    failure: fail,
  };
}

function report(scenarios: readonly HtmlScenario[]): HtmlReportInput {
  return {
    driver: "./my-im/index.ts",
    services: SERVICES,
    generatedAt: "2025-01-02T03:04:05.000Z",
    durationMs: 1500,
    scenarios,
  };
}

/** Every `<script type="application/json" id=…>` payload of the page, parsed, by id. */
function payloads(html: string): Map<string, { events: TraceEvent[]; omitted: number }> {
  const out = new Map<string, { events: TraceEvent[]; omitted: number }>();
  for (const m of html.matchAll(
    /<script type="application\/json" id="([^"]+)">([\s\S]*?)<\/script>/g,
  ))
    out.set(m[1] ?? "", JSON.parse(m[2] ?? ""));
  return out;
}

describe("renderHtmlReport", () => {
  test("the page loads nothing: no URL, no src=, only #-links, and a CSP that forbids fetching", () => {
    const html = renderHtmlReport(
      report([scenario("pause", failure()), scenario("power", null), scenario("oids", failure())]),
    );
    assert.doesNotMatch(html, /https?:/i);
    assert.doesNotMatch(html, /\bsrc\s*=/i);
    assert.doesNotMatch(html, /url\s*\(/i);
    assert.doesNotMatch(html, /@import/i);
    assert.doesNotMatch(html, /<(?:link|img|iframe|object|embed|base|form)\b/i);
    const hrefs = [...html.matchAll(/\bhref\s*=\s*"([^"]*)"/gi)].map((m) => m[1]);
    assert.deepEqual(hrefs, ["#failure-0", "#failure-2"]);

    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    assert.ok(csp !== undefined, "the page carries a Content-Security-Policy");
    assert.match(csp, /default-src 'none'/);
    // The one script the policy allows is the page's own: its hash is the inline script's.
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? "");
    assert.equal(scripts.length, 1);
    const hash = createHash("sha256")
      .update(scripts[0] ?? "")
      .digest("base64");
    assert.match(csp, new RegExp(`script-src 'sha256-${hash.replace(/[+/]/g, "\\$&")}'`));
  });

  test("hostile strings stay text: the JSON payload cannot end its <script>, and parses back to the input events", () => {
    const events = trace();
    const html = renderHtmlReport(report([scenario(`pause ${HOSTILE}`, failure(events))]));
    // The only tags named script are the page's: one payload and one program.
    assert.equal([...html.matchAll(/<script\b/gi)].length, 2);
    assert.equal([...html.matchAll(/<\/script>/gi)].length, 2);
    assert.doesNotMatch(html, /<script>alert/);
    assert.doesNotMatch(html, /<!--/);
    // Every text outside the payload is escaped.
    assert.ok(
      html.includes(
        "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp;&lt;&gt;&quot;&#39;",
      ),
    );

    const data = payloads(html).get("seq-data-0");
    assert.ok(data !== undefined, "the failure's payload is in the page");
    assert.deepEqual(data.events, events);
    assert.equal(data.omitted, 0);
    assert.equal(data.events[2]?.detail, HOSTILE);
  });

  test("the summary counts passes and failures and lists every scenario with its runs, steps and time", () => {
    const html = renderHtmlReport(
      report([
        scenario("bring-up", null),
        scenario("pause", failure()),
        scenario("power", null),
        scenario("link", null),
        scenario("oids", failure()),
      ]),
    );
    assert.match(html, /data-passed="3" data-failed="2"/);
    assert.match(html, /3 passed<\/span>, <span class="fail">2 failed<\/span> of 5 scenario/);
    const rows = [...html.matchAll(/<tr class="(pass|fail)">([\s\S]*?)<\/tr>/g)];
    assert.deepEqual(
      rows.map((m) => m[1]),
      ["pass", "fail", "pass", "pass", "fail"],
    );
    assert.match(rows[1]?.[2] ?? "", /<a href="#failure-1">pause<\/a>.*>12<.*>345<.*>67 ms</);
    assert.equal([...html.matchAll(/<section class="failure"/g)].length, 2);
    assert.equal(payloads(html).size, 2);
  });

  test("each failure shows its message, rule, replay command, choices and object states", () => {
    const html = renderHtmlReport(report([scenario("pause", failure())]));
    assert.match(
      html,
      /<pre class="message">\[error\] MiniportPause_NblsOutstanding \(driver imtest\)\n/,
    );
    assert.match(html, /<dt>Rule<\/dt><dd><code>MiniportPause_NblsOutstanding<\/code> — /);
    assert.match(
      html,
      /<code class="replay" id="replay-0">ndis verify \.\/drv\.ts --replay &#39;pause-race@s1234:0\.2\.1&#39;/,
    );
    assert.match(html, /<button type="button" class="copy" data-copy="replay-0">/);
    assert.match(html, /<dt>Choices<\/dt><dd><code>0, 2, 1<\/code>/);
    assert.match(
      html,
      /<tr><td>adapter<\/td><td><code>imtest0<\/code><\/td><td>Paused<\/td><\/tr>/,
    );
    assert.match(html, /<svg class="seq" id="seq-0" data-source="seq-data-0"/);
  });

  test("a pass-only report has no diagram, no payload and no script", () => {
    const html = renderHtmlReport(report([scenario("bring-up", null), scenario("power", null)]));
    assert.doesNotMatch(html, /<svg/);
    assert.doesNotMatch(html, /<script/);
    assert.doesNotMatch(html, /<section class="failure"/);
    assert.match(html, /data-passed="2" data-failed="0"/);
  });

  test("only the last 300 events are embedded, and the page says how many were left out", () => {
    const events = Array.from({ length: HTML_MAX_EVENTS + 50 }, (_, i) =>
      ev("handler", "call", `MiniportSendNetBufferLists`, "vfylower", { detail: `n${i}` }),
    );
    const html = renderHtmlReport(report([scenario("matrix", failure(events))]));
    const data = payloads(html).get("seq-data-0");
    assert.ok(data !== undefined);
    assert.equal(data.events.length, HTML_MAX_EVENTS);
    assert.deepEqual(data.events, events.slice(50));
    assert.equal(data.omitted, 50);
    assert.match(html, /The last 300 of 350 trace events; 50 earlier one\(s\) omitted\./);
  });

  test("the same input renders the same page", () => {
    const input = report([scenario("pause", failure()), scenario("power", null)]);
    assert.equal(renderHtmlReport(input), renderHtmlReport(input));
  });
});

describe("planSequence", () => {
  // Lanes: 0 protocol (upper), 1 NDIS, 2 IM miniport edge, 3 IM protocol edge, 4 NDIS, 5 miniport (lower).
  const arrow = (row: SequenceRow | undefined) =>
    row?.type === "arrow" ? [row.from, row.to] : `not an arrow: ${row?.type}`;

  test("the lanes are the stack from top to bottom with NDIS between the layers", () => {
    const plan = planSequence([], SERVICES);
    assert.deepEqual(
      plan.lanes.map((l) => l.title),
      [
        "protocol (vfyupper)",
        "NDIS",
        "IM miniport edge (imtest)",
        "IM protocol edge (imtest)",
        "NDIS",
        "miniport (vfylower)",
      ],
    );
    assert.deepEqual(
      plan.lanes.map((l) => l.ndis),
      [false, true, false, false, true, false],
    );
  });

  test("handlers come from NDIS to the driver's lane, the IM's by their name's edge", () => {
    const plan = planSequence(
      [
        ev("handler", "call", "ProtocolReceiveNetBufferLists", "vfyupper"),
        ev("handler", "call", "MiniportSendNetBufferLists", "imtest"),
        ev("handler", "call", "ProtocolBindAdapterEx", "imtest"),
        ev("handler", "call", "MiniportPause", "vfylower"),
        ev("handler", "call", "FilterAttach", "lwf"),
      ],
      SERVICES,
    );
    assert.deepEqual(plan.rows.map(arrow), [
      [1, 0],
      [1, 2],
      [4, 3],
      [4, 5],
      [4, 6],
    ]);
    assert.equal(plan.lanes[6]?.title, "lwf");
  });

  test("the IM's DDI calls leave from the edge they belong to; others from the edge whose handler runs", () => {
    const plan = planSequence(
      [
        ev("ddi", "call", "NdisMIndicateReceiveNetBufferLists", "imtest"),
        ev("ddi", "call", "NdisSendNetBufferLists", "imtest"),
        ev("ddi", "call", "NdisCompleteNetPnPEvent", "imtest"),
        ev("ddi", "call", "NdisIMInitializeDeviceInstanceEx", "imtest"),
        ev("ddi", "call", "NdisAllocateNetBufferListPool", "imtest"),
        ev("handler", "call", "ProtocolReceiveNetBufferLists", "imtest"),
        ev("ddi", "call", "NdisAllocateNetBufferList", "imtest", { depth: 2 }),
        ev("ddi", "return", "NdisAllocateNetBufferList", "imtest", { depth: 2 }),
        ev("handler", "return", "ProtocolReceiveNetBufferLists", "imtest"),
        ev("ddi", "call", "NdisMoveMemory", "imtest"),
        // A handler whose return was never traced ends when the next call at its depth starts.
        ev("handler", "call", "ProtocolStatusEx", "imtest"),
        ev("ddi", "call", "NdisAcquireSpinLock", "imtest", { depth: 2 }),
        ev("handler", "call", "MiniportReturnNetBufferLists", "vfylower"),
        ev("ddi", "call", "NdisFreeNetBufferList", "imtest"),
        ev("ddi", "call", "NdisReturnNetBufferLists", "vfyupper"),
        ev("ddi", "call", "NdisMSendNetBufferListsComplete", "vfylower"),
      ],
      SERVICES,
    );
    assert.deepEqual(plan.rows.map(arrow), [
      [2, 1],
      [3, 4],
      [3, 4],
      [2, 1],
      [2, 1],
      [4, 3],
      [3, 4],
      [2, 1],
      [4, 3],
      [3, 4],
      [4, 5],
      [2, 1],
      [0, 1],
      [5, 4],
    ]);
  });

  test("a return's status goes on its call's arrow; state changes and violations are rows on their lane", () => {
    const plan = planSequence(
      [
        ev("handler", "call", "MiniportPause", "imtest"),
        ev("state", "call", "NetEventPause", "imtest", {
          detail: "binding imtest → lower0: Running → Pausing",
        }),
        ev("state", "call", "MiniportPause", "imtest", {
          detail: "adapter imtest0: Running → Pausing",
        }),
        ev("handler", "return", "MiniportPause", "imtest", { status: 0x103 }),
        ev("ddi", "call", "NdisOpenAdapterEx", "imtest"),
        ev("ddi", "return", "NdisOpenAdapterEx", "imtest", { status: 0xc0000001 }),
        ev("state", "call", "MiniportRestart", "vfylower", {
          detail: "adapter lower0: Paused → Restarting",
        }),
        ev("violation", "call", "MiniportPause_NblsOutstanding", "imtest"),
        ev("violation", "call", "NdisBugCheck", null),
      ],
      SERVICES,
    );
    assert.deepEqual(plan.rows, [
      { type: "arrow", event: 0, from: 1, to: 2, status: "NDIS_STATUS_PENDING", tone: "pending" },
      { type: "note", event: 1, lane: 3 },
      { type: "note", event: 2, lane: 2 },
      { type: "arrow", event: 4, from: 3, to: 4, status: "NDIS_STATUS_FAILURE", tone: "error" },
      { type: "note", event: 6, lane: 5 },
      { type: "violation", event: 7, lane: 2 },
      { type: "violation", event: 8, lane: 1 },
    ]);
  });
});
