/**
 * The HTML report of `ndis verify`: one self-contained page (inline CSS and script, nothing
 * loaded from anywhere, a Content-Security-Policy that forbids it) with the summary of the run
 * and, for each failure, its report, replay command, shrunk choices, the objects' states and a
 * sequence diagram of the DDI trace that led there.
 *
 * The renderer is a pure function of its input. The diagram is planned here (which lane each
 * trace event belongs to, which return status goes with which call) and drawn as SVG by the
 * page's script from JSON embedded in the page, so that a long trace costs the file its data and
 * not its markup.
 */
import { createHash } from "node:crypto";
import type { TraceEvent } from "../index.js";
import { VERIFIER_RULES } from "../index.js";
import {
  SEQUENCE_CSS,
  SEQUENCE_DRAW_SCRIPT,
  type SequenceLane,
  type SequencePlan,
  type SequenceRow,
  statusName,
  statusTone,
} from "../trace/sequence-draw.js";

export type { SequenceLane, SequencePlan, SequenceRow };

export interface HtmlObjectState {
  /** `adapter`, `binding`, `oid`, … */
  readonly kind: string;
  readonly name: string;
  readonly state: string;
}

export interface HtmlFailure {
  /** The full failure text (multi-line, a violation report). */
  readonly message: string;
  /** The verifier rule id, e.g. "Pause_SendsOutstanding"; null for the suite's own checks. */
  readonly rule: string | null;
  /** The command line that replays it. */
  readonly replay: string;
  /** The replay token. */
  readonly seed: string;
  /** The shrunk choice list. */
  readonly choices: readonly number[];
  /** The DDI trace up to and including the violation. */
  readonly events: readonly TraceEvent[];
  /** Object states at the moment of failure. */
  readonly states: readonly HtmlObjectState[];
}

export interface HtmlScenario {
  readonly name: string;
  readonly description: string;
  readonly contract: string;
  readonly status: "pass" | "fail";
  readonly runs: number;
  readonly steps: number;
  readonly durationMs: number;
  readonly failure: HtmlFailure | null;
}

export interface HtmlReportInput {
  /** What was verified (path). */
  readonly driver: string;
  /** Service names of the suite's upper protocol, the IM driver under test, the suite's lower miniport. */
  readonly services: { readonly upper: string; readonly im: string; readonly lower: string };
  /** ISO time (passed in: the renderer is a pure function). */
  readonly generatedAt: string;
  readonly durationMs: number;
  readonly scenarios: readonly HtmlScenario[];
}

/** Trace events a diagram shows at most: the last ones, up to the violation. */
export const HTML_MAX_EVENTS = 300;

// ---------------------------------------------------------------------------------------------
// The sequence diagram's plan
// ---------------------------------------------------------------------------------------------

// Lanes from the top of the stack to the bottom, NDIS between each layer: the upper protocol's
// calls and the IM miniport edge's meet in the NDIS above the IM, the IM protocol edge's and the
// lower miniport's in the NDIS below it, so every arrow spans one gap.
const UPPER = 0;
const NDIS_ABOVE = 1;
const IM_MINIPORT = 2;
const IM_PROTOCOL = 3;
const NDIS_BELOW = 4;
const LOWER = 5;

/**
 * DDI calls an IM driver makes from its protocol edge (on a binding to the adapter below). NdisM*
 * and NdisIM* calls are the miniport edge's; any other call (allocation, timers, locks) belongs to
 * the edge whose handler is running, and otherwise to the miniport edge.
 */
const PROTOCOL_EDGE_DDIS: ReadonlySet<string> = new Set([
  "NdisRegisterProtocolDriver",
  "NdisDeregisterProtocolDriver",
  "NdisOpenAdapterEx",
  "NdisCloseAdapterEx",
  "NdisCompleteBindAdapterEx",
  "NdisCompleteUnbindAdapterEx",
  "NdisUnbindAdapter",
  "NdisReEnumerateProtocolBindings",
  "NdisSendNetBufferLists",
  "NdisCancelSendNetBufferLists",
  "NdisReturnNetBufferLists",
  "NdisOidRequest",
  "NdisDirectOidRequest",
  "NdisCancelOidRequest",
  "NdisCancelDirectOidRequest",
  "NdisCompleteNetPnPEvent",
]);

function isMiniportEdgeDdi(name: string): boolean {
  return /^Ndis(?:M|IM)[A-Z]/.test(name);
}

interface OpenCall {
  readonly event: TraceEvent;
  readonly row: number | null;
  /** For a call into or by the IM driver: the edge it runs on. */
  readonly edge: number | null;
}

/**
 * Lays out a failure's trace: the lanes (upper protocol, NDIS, IM miniport edge, IM protocol edge,
 * NDIS, lower miniport, then any other driver), and one row per call, state change and violation
 * among the last `max` events.
 */
export function planSequence(
  events: readonly TraceEvent[],
  services: HtmlReportInput["services"],
  max = HTML_MAX_EVENTS,
): SequencePlan {
  const shown = events.slice(Math.max(0, events.length - max));
  const lanes: SequenceLane[] = [
    { title: `protocol (${services.upper})`, ndis: false },
    { title: "NDIS", ndis: true },
    { title: `IM miniport edge (${services.im})`, ndis: false },
    { title: `IM protocol edge (${services.im})`, ndis: false },
    { title: "NDIS", ndis: true },
    { title: `miniport (${services.lower})`, ndis: false },
  ];
  const others = new Map<string, number>();
  const rows: SequenceRow[] = [];
  const statuses = new Map<number, { status: string; tone: "ok" | "pending" | "error" }>();
  const open: OpenCall[] = [];

  /** The edge of the innermost IM handler running, if any. */
  const runningEdge = (): number | null => {
    for (let i = open.length - 1; i >= 0; i--) {
      const call = open[i];
      if (call !== undefined && call.event.kind === "handler" && call.edge !== null)
        return call.edge;
    }
    return null;
  };
  /** A driver's lane, and the NDIS lane its calls meet. */
  const laneOf = (driver: string, event: TraceEvent): { lane: number; ndis: number } => {
    if (driver === services.im) {
      let edge: number;
      if (event.kind === "handler") {
        edge = event.name.startsWith("Protocol")
          ? IM_PROTOCOL
          : event.name.startsWith("Miniport")
            ? IM_MINIPORT
            : (runningEdge() ?? IM_MINIPORT);
      } else if (event.kind === "ddi") {
        edge = PROTOCOL_EDGE_DDIS.has(event.name)
          ? IM_PROTOCOL
          : isMiniportEdgeDdi(event.name)
            ? IM_MINIPORT
            : (runningEdge() ?? IM_MINIPORT);
      } else if (event.kind === "state") {
        // Bindings are the protocol edge's objects, adapters the miniport edge's.
        edge = (event.detail ?? "").startsWith("binding ") ? IM_PROTOCOL : IM_MINIPORT;
      } else {
        edge = runningEdge() ?? (/Protocol/.test(event.name) ? IM_PROTOCOL : IM_MINIPORT);
      }
      return { lane: edge, ndis: edge === IM_MINIPORT ? NDIS_ABOVE : NDIS_BELOW };
    }
    if (driver === services.upper) return { lane: UPPER, ndis: NDIS_ABOVE };
    if (driver === services.lower) return { lane: LOWER, ndis: NDIS_BELOW };
    let lane = others.get(driver);
    if (lane === undefined) {
      lane = lanes.length;
      lanes.push({ title: driver, ndis: false });
      others.set(driver, lane);
    }
    return { lane, ndis: NDIS_BELOW };
  };

  shown.forEach((event, index) => {
    if (event.kind === "violation") {
      const lane = event.driver === null ? NDIS_ABOVE : laneOf(event.driver, event).lane;
      rows.push({ type: "violation", event: index, lane });
      return;
    }
    if (event.kind === "state") {
      const lane = event.driver === null ? NDIS_ABOVE : laneOf(event.driver, event).lane;
      rows.push({ type: "note", event: index, lane });
      return;
    }
    if (event.phase === "return") {
      // The innermost open call of the same name and driver; calls left open above it (a lock
      // acquire, a call whose return was never traced) are closed with it.
      for (let i = open.length - 1; i >= 0; i--) {
        const call = open[i];
        if (call === undefined) continue;
        const e = call.event;
        if (e.kind !== event.kind || e.name !== event.name || e.driver !== event.driver) continue;
        if (call.row !== null && event.status !== undefined)
          statuses.set(call.row, {
            status: statusName(event.status),
            tone: statusTone(event.status),
          });
        open.length = i;
        break;
      }
      return;
    }
    // A call at depth d means every call at depth d or deeper has ended, traced return or not
    // (a lock acquire has none; a stopped driver's code unwinds without one).
    while (open.length > 0 && (open.at(-1)?.event.depth ?? 0) >= event.depth) open.pop();
    if (event.driver === null) {
      // A call nobody's driver made (NDIS's own context): a note on NDIS, no arrow.
      rows.push({ type: "note", event: index, lane: NDIS_ABOVE });
      open.push({ event, row: null, edge: null });
      return;
    }
    const { lane, ndis } = laneOf(event.driver, event);
    const [from, to] = event.kind === "handler" ? [ndis, lane] : [lane, ndis];
    open.push({
      event,
      row: rows.length,
      edge: event.driver === services.im ? lane : null,
    });
    rows.push({ type: "arrow", event: index, from, to, status: null, tone: null });
  });

  return {
    lanes,
    events: shown,
    omitted: events.length - shown.length,
    rows: rows.map((row, i) => {
      const status = statuses.get(i);
      return row.type === "arrow" && status !== undefined ? { ...row, ...status } : row;
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------------------------

const ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Text safe in HTML content and in a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/**
 * JSON safe inside `<script type="application/json">`: `<`, `>` and `&` are written as \u escapes
 * (in JSON they can only occur inside strings), so no `</script>` or `<!--` can appear in it.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

function duration(ms: number): string {
  if (!Number.isFinite(ms)) return "—";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

const CSS = `
:root { color-scheme: light; --fg: #1f2937; --muted: #6b7280; --line: #e5e7eb; --pass: #15803d;
  --fail: #b91c1c; --bg-fail: #fef2f2; --code: #f3f4f6; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI",
  Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: #fff; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  font-size: 12.5px; }
code { background: var(--code); padding: 1px 4px; border-radius: 3px; }
h1 { font-size: 20px; margin: 0 0 4px; }
h1 code { font-size: 17px; }
h2 { font-size: 17px; margin: 0 0 6px; color: var(--fail); }
h3 { font-size: 14px; margin: 18px 0 6px; }
.meta, .desc, .contract, .legend, .omitted, footer { color: var(--muted); }
.desc { font-size: 12.5px; }
.totals { font-size: 15px; margin: 10px 0 16px; }
.totals .pass { color: var(--pass); font-weight: 600; }
.totals .fail { color: var(--fail); font-weight: 600; }
table { border-collapse: collapse; }
th, td { text-align: left; padding: 5px 12px 5px 0; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.scenarios { width: 100%; max-width: 1100px; }
tr.fail td:first-child a { color: var(--fail); font-weight: 600; }
.badge { display: inline-block; min-width: 38px; text-align: center; border-radius: 9px;
  padding: 0 8px; font-size: 12px; font-weight: 600; }
.badge.pass { background: #dcfce7; color: var(--pass); }
.badge.fail { background: #fee2e2; color: var(--fail); }
section.failure { margin: 28px 0 0; padding: 16px 20px; border: 1px solid #fecaca;
  border-left: 4px solid var(--fail); border-radius: 6px; background: #fff; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 8px 0; }
dt { color: var(--muted); }
dd { margin: 0; }
code.replay { user-select: all; }
button.copy { font: inherit; font-size: 12px; margin-left: 6px; padding: 1px 8px; border-radius: 4px;
  border: 1px solid #d1d5db; background: #f9fafb; cursor: pointer; }
pre.message { background: var(--bg-fail); border: 1px solid #fecaca; border-radius: 4px;
  padding: 10px 12px; overflow-x: auto; white-space: pre; margin: 0; }
${SEQUENCE_CSS}
.script-error { color: var(--fail); }
footer { margin-top: 32px; font-size: 12px; }
`;

/**
 * The shared drawing script (src/trace/sequence-draw.ts), then: draw each `svg.seq` from the JSON
 * its `data-source` names, and the replay commands' copy buttons. Plain ES2017.
 */
const SCRIPT = `${SEQUENCE_DRAW_SCRIPT}
(function () {
  "use strict";
  var svgs = document.querySelectorAll("svg.seq");
  for (var i = 0; i < svgs.length; i++) {
    var svg = svgs[i];
    try {
      var source = document.getElementById(svg.getAttribute("data-source") || "");
      ndisSequence.draw(svg, JSON.parse(source ? source.textContent || "null" : "null"));
    } catch (err) {
      svg.setAttribute("data-error", String(err));
      var p = document.createElement("p");
      p.className = "script-error";
      p.textContent = "The diagram could not be drawn: " + String(err);
      svg.parentNode.insertBefore(p, svg);
    }
  }
  var buttons = document.querySelectorAll("button.copy");
  for (var j = 0; j < buttons.length; j++) {
    buttons[j].addEventListener("click", function (ev) {
      var button = ev.currentTarget;
      var target = document.getElementById(button.getAttribute("data-copy") || "");
      if (!target) return;
      var text = target.textContent || "";
      var done = function () { button.textContent = "Copied"; };
      var select = function () {
        var range = document.createRange();
        range.selectNodeContents(target);
        var sel = window.getSelection();
        if (sel) { sel.removeAllRanges(); sel.addRange(range); }
        button.textContent = "Selected";
      };
      if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(text).then(done, select);
      else select();
    });
  }
})();
`;

function sha256(text: string): string {
  return `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
}

/** Nothing may be fetched, framed, submitted or run but this page's own style and script. */
const CSP = [
  "default-src 'none'",
  `style-src ${sha256(CSS)}`,
  `script-src ${sha256(SCRIPT)}`,
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

function scenarioRow(scenario: HtmlScenario, index: number): string {
  const name = escapeHtml(scenario.name);
  const cell = scenario.failure === null ? name : `<a href="#failure-${index}">${name}</a>`;
  return [
    `<tr class="${scenario.status === "pass" ? "pass" : "fail"}">`,
    `<td>${cell}<div class="desc">${escapeHtml(scenario.description)}</div></td>`,
    `<td><span class="badge ${scenario.status === "pass" ? "pass" : "fail"}">${scenario.status === "pass" ? "pass" : "fail"}</span></td>`,
    `<td class="num">${scenario.runs}</td>`,
    `<td class="num">${scenario.steps}</td>`,
    `<td class="num">${escapeHtml(duration(scenario.durationMs))}</td>`,
    "</tr>",
  ].join("");
}

function ruleLine(rule: string | null): string {
  if (rule === null) return "none (the suite's own check failed)";
  const rules: Readonly<Record<string, { readonly meaning: string; readonly ndis: string }>> =
    VERIFIER_RULES;
  const known = Object.hasOwn(rules, rule) ? rules[rule] : undefined;
  const about =
    known === undefined
      ? ""
      : ` — ${escapeHtml(known.meaning)} <span class="desc">(${escapeHtml(known.ndis)})</span>`;
  return `<code>${escapeHtml(rule)}</code>${about}`;
}

function statesTable(states: readonly HtmlObjectState[]): string {
  if (states.length === 0) return `<p class="desc">No object states were recorded.</p>`;
  const rows = states.map(
    (s) =>
      `<tr><td>${escapeHtml(s.kind)}</td><td><code>${escapeHtml(s.name)}</code></td><td>${escapeHtml(s.state)}</td></tr>`,
  );
  return `<table class="states"><thead><tr><th>Object</th><th>Name</th><th>State</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function failureSection(
  scenario: HtmlScenario,
  failure: HtmlFailure,
  index: number,
  services: HtmlReportInput["services"],
): string {
  const plan = planSequence(failure.events, services);
  const choices =
    failure.choices.length === 0
      ? "none"
      : `<code>${escapeHtml(failure.choices.join(", "))}</code> <span class="desc">(${failure.choices.length})</span>`;
  const omitted =
    plan.omitted === 0
      ? `${plan.events.length} trace event(s).`
      : `The last ${plan.events.length} of ${plan.events.length + plan.omitted} trace events; ${plan.omitted} earlier one(s) omitted.`;
  return `
<section class="failure" id="failure-${index}">
<h2>✖ ${escapeHtml(scenario.name)}</h2>
<p class="contract">${escapeHtml(scenario.contract)}</p>
<dl>
<dt>Rule</dt><dd>${ruleLine(failure.rule)}</dd>
<dt>Replay</dt><dd><code class="replay" id="replay-${index}">${escapeHtml(failure.replay)}</code><button type="button" class="copy" data-copy="replay-${index}">Copy</button></dd>
<dt>Seed</dt><dd><code>${escapeHtml(failure.seed)}</code></dd>
<dt>Choices</dt><dd>${choices}</dd>
</dl>
<h3>What failed</h3>
<pre class="message">${escapeHtml(failure.message)}</pre>
<h3>Object states at the failure</h3>
${statesTable(failure.states)}
<h3>Sequence</h3>
<p class="legend">Time runs down; NDIS sits between the layers.<span class="k handler"></span>NDIS calls a handler<span class="k ddi"></span>a driver calls NDIS<span class="k state"></span>state change<span class="k violation"></span>violation. Hover a row for its detail.</p>
<p class="omitted">${omitted}</p>
<div class="seq-wrap"><svg class="seq" id="seq-${index}" data-source="seq-data-${index}" role="img" aria-label="Sequence diagram of ${escapeHtml(scenario.name)}"></svg></div>
<noscript><p class="desc">The sequence diagram is drawn by the page's script; enable JavaScript to see it.</p></noscript>
<script type="application/json" id="seq-data-${index}">${jsonForScript(plan)}</script>
</section>`;
}

/** The whole page, as one string (UTF-8 when written). */
export function renderHtmlReport(input: HtmlReportInput): string {
  const passed = input.scenarios.filter((s) => s.status === "pass").length;
  const failed = input.scenarios.length - passed;
  const failures = input.scenarios
    .map((scenario, index) =>
      scenario.failure === null
        ? ""
        : failureSection(scenario, scenario.failure, index, input.services),
    )
    .join("");
  const { upper, im, lower } = input.services;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ndis verify ${escapeHtml(input.driver)}: ${passed} passed, ${failed} failed</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>ndis verify <code>${escapeHtml(input.driver)}</code></h1>
<p class="meta">Generated ${escapeHtml(input.generatedAt)} in ${escapeHtml(duration(input.durationMs))}. Upper protocol <code>${escapeHtml(upper)}</code>, IM driver under test <code>${escapeHtml(im)}</code>, lower miniport <code>${escapeHtml(lower)}</code>.</p>
<p class="totals" data-passed="${passed}" data-failed="${failed}"><span class="pass">${passed} passed</span>, <span class="fail">${failed} failed</span> of ${input.scenarios.length} scenario(s)</p>
</header>
<table class="scenarios">
<thead><tr><th>Scenario</th><th>Status</th><th class="num">Runs</th><th class="num">Steps</th><th class="num">Time</th></tr></thead>
<tbody>
${input.scenarios.map(scenarioRow).join("\n")}
</tbody>
</table>
${failures}
<footer>ndis-ts · this report is one file: it loads nothing and needs no network.</footer>
${failures === "" ? "" : `<script>${SCRIPT}</script>`}
</body>
</html>
`;
}
