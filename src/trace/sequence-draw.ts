/**
 * The sequence-diagram strip both pages draw: the HTML report of `ndis verify` (one diagram per
 * failure) and the live view of `ndis run --ui` / `ndis ui` (the DDI call timeline). A plan says
 * which lane each row belongs to; the drawing itself is browser code, kept here as the text of a
 * classic script (plain ES2017, no imports) so that the report can inline it under its
 * Content-Security-Policy hash and the live view's server can serve it as a file.
 *
 * The script defines one global, `ndisSequence`, with `draw(svg, plan)`: it empties the <svg>
 * and draws the plan into it (every text goes in through textContent; the SVG namespace is read
 * off the <svg> itself, so the page spells no URL), and sets `data-drawn` to the number of arrows.
 */
import { ndisStatusToString, type TraceEvent } from "../index.js";

export interface SequenceLane {
  readonly title: string;
  /** NDIS itself (drawn as a band), as opposed to a driver or a driver's edge. */
  readonly ndis: boolean;
}

export type SequenceRow =
  | {
      /** A call: `ddi` from the driver's lane to NDIS, `handler` from NDIS to the driver's lane. */
      readonly type: "arrow";
      /** Index into the plan's `events`. */
      readonly event: number;
      readonly from: number;
      readonly to: number;
      /** The status its return carried, by name (`NDIS_STATUS_PENDING`), if one did. */
      readonly status: string | null;
      readonly tone: "ok" | "pending" | "error" | null;
    }
  | { readonly type: "note"; readonly event: number; readonly lane: number }
  | { readonly type: "violation"; readonly event: number; readonly lane: number };

export interface SequencePlan {
  readonly lanes: readonly SequenceLane[];
  /** The events shown (the last ones of the trace), in trace order. */
  readonly events: readonly TraceEvent[];
  /** How many earlier events were left out. */
  readonly omitted: number;
  /** One row per drawn item; returns are folded into their call's arrow. */
  readonly rows: readonly SequenceRow[];
}

/** `NDIS_STATUS_PENDING`; an unknown status as its hex. */
export function statusName(status: number): string {
  return ndisStatusToString(status).replace(/^(NDIS_\w+) \(0x[0-9A-F]+\)$/, "$1");
}

/** How a return status is coloured: success, pending, or an error (severity bits set). */
export function statusTone(status: number): "ok" | "pending" | "error" {
  const value = status >>> 0;
  if (value >= 0x80000000) return "error";
  return value === 0x103 ? "pending" : "ok";
}

/** The diagram's own style: the scrolling frame, the <svg>, the legend's keys. */
export const SEQUENCE_CSS = `
.seq-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 4px; }
svg.seq { display: block; font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial,
  sans-serif; }
.legend .k { display: inline-block; width: 18px; height: 0; border-top: 2px solid; margin: 0 4px 3px 10px;
  vertical-align: middle; }
.legend .k.handler { border-color: #1d4ed8; }
.legend .k.ddi { border-color: #047857; }
.legend .k.state { width: 8px; height: 8px; border: 0; border-radius: 4px; background: #9ca3af; }
.legend .k.violation { width: 10px; height: 10px; border: 0; border-radius: 5px; background: #dc2626; }
`;

/** The drawing script (see the file's comment): defines the global `ndisSequence`. */
export const SEQUENCE_DRAW_SCRIPT = `
var ndisSequence = (function () {
  "use strict";
  var GUTTER = 104, LANE = 200, ROW = 20, HEAD = 34, REPEAT = 40, RIGHT = 220;
  var COLOR = { handler: "#1d4ed8", ddi: "#047857" };
  var TONE = { ok: "#15803d", pending: "#b45309", error: "#b91c1c" };
  function el(ns, parent, name, attrs, text) {
    var node = document.createElementNS(ns, name);
    for (var key in attrs) if (Object.prototype.hasOwnProperty.call(attrs, key)) node.setAttribute(key, String(attrs[key]));
    if (text !== undefined) node.textContent = text;
    parent.appendChild(node);
    return node;
  }
  function clip(text, n) { return text.length > n ? text.slice(0, n - 1) + "\\u2026" : text; }
  function time(t) { return typeof t === "number" ? (Number.isInteger(t) ? t : t.toFixed(3)) + " ms" : ""; }
  function describe(e, status) {
    var lines = [e.kind + " " + e.phase + ": " + e.name];
    if (e.driver !== null && e.driver !== undefined) lines.push("driver: " + e.driver);
    if (e.detail !== undefined) lines.push(e.detail);
    if (status) lines.push("returned " + status);
    lines.push("seq " + e.seq + ", " + time(e.time) + ", depth " + e.depth);
    return lines.join("\\n");
  }
  function draw(svg, plan) {
    var ns = svg.namespaceURI;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var lanes = plan.lanes, rows = plan.rows, events = plan.events;
    var x = function (lane) { return GUTTER + LANE * lane + LANE / 2; };
    // A note on the rightmost lane reads leftwards, so that it stays inside the diagram.
    var side = function (lane) { return lane === lanes.length - 1 && lane > 0 ? -1 : 1; };
    var anchor = function (lane) { return side(lane) < 0 ? "end" : "start"; };
    var width = GUTTER + LANE * lanes.length + RIGHT;
    var heads = Math.max(1, Math.ceil(rows.length / REPEAT));
    var height = heads * HEAD + rows.length * ROW + 8;
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    var under = el(ns, svg, "g", { "class": "lifelines" });
    var top = el(ns, svg, "g", { "class": "rows" });
    lanes.forEach(function (lane, i) {
      if (lane.ndis) el(ns, under, "rect", { x: x(i) - 5, y: 0, width: 10, height: height, fill: "#f3f4f6" });
      else el(ns, under, "line", { x1: x(i), y1: 0, x2: x(i), y2: height, stroke: "#d1d5db", "stroke-dasharray": "3 3" });
    });
    var y = 0, arrows = 0;
    function header() {
      var g = el(ns, top, "g", { "class": "lane-heads" });
      lanes.forEach(function (lane, i) {
        el(ns, g, "rect", { x: x(i) - LANE / 2 + 8, y: y + 5, width: LANE - 16, height: HEAD - 10, rx: 4,
          fill: lane.ndis ? "#fef3c7" : "#eef2ff", stroke: lane.ndis ? "#fcd34d" : "#c7d2fe" });
        var text = el(ns, g, "text", { x: x(i), y: y + HEAD / 2 + 4, "text-anchor": "middle",
          "font-size": 12, "font-weight": 600, fill: "#1f2937" }, clip(lane.title, 30));
        el(ns, text, "title", {}, lane.title);
      });
      y += HEAD;
    }
    function label(parent, x0, y0, parts, anchor) {
      var t = el(ns, parent, "text", { x: x0, y: y0, "font-size": 11, "text-anchor": anchor || "start",
        stroke: "#fff", "stroke-width": 3, "stroke-linejoin": "round", "paint-order": "stroke" });
      parts.forEach(function (p) { if (p[0]) el(ns, t, "tspan", p[1], p[0]); });
      return t;
    }
    rows.forEach(function (row, i) {
      if (i % REPEAT === 0) header();
      var e = events[row.event];
      var g = el(ns, top, "g", { "class": "row " + row.type, "data-seq": e.seq });
      if (row.type === "violation")
        el(ns, g, "rect", { x: 2, y: y + 1, width: width - 4, height: ROW - 2, rx: 3, fill: "#fee2e2", stroke: "#f87171" });
      el(ns, g, "text", { x: 6, y: y + 14, "font-size": 10, fill: "#9ca3af" }, "#" + e.seq);
      el(ns, g, "text", { x: GUTTER - 8, y: y + 14, "font-size": 10, fill: "#9ca3af", "text-anchor": "end" }, time(e.time));
      var tip = "";
      if (row.type === "arrow") {
        var x1 = x(row.from), x2 = x(row.to), ly = y + ROW - 4, dir = x2 > x1 ? 1 : -1;
        var color = COLOR[e.kind] || "#374151";
        el(ns, g, "line", { x1: x1, y1: ly, x2: x2 - dir * 6, y2: ly, stroke: color, "stroke-width": 1.5 });
        el(ns, g, "polygon", { points: x2 + "," + ly + " " + (x2 - dir * 7) + "," + (ly - 4) + " " + (x2 - dir * 7) + "," + (ly + 4), fill: color });
        label(g, Math.min(x1, x2) + 6, y + 11, [
          [e.name, { fill: "#111827", "font-weight": 600 }],
          [e.detail !== undefined ? "  " + clip(e.detail, 48) : "", { fill: "#6b7280" }],
          [row.status ? "  = " + row.status : "", { fill: TONE[row.tone] || "#374151", "font-weight": 600 }]
        ]);
        tip = describe(e, row.status);
        arrows++;
      } else if (row.type === "note") {
        el(ns, g, "circle", { cx: x(row.lane), cy: y + ROW / 2, r: 3, fill: "#9ca3af" });
        label(g, x(row.lane) + 8 * side(row.lane), y + 14, [[e.detail !== undefined ? e.detail : e.name, { fill: "#6b7280", "font-style": "italic", "font-size": 10.5 }]], anchor(row.lane));
        tip = describe(e, null);
      } else {
        el(ns, g, "circle", { cx: x(row.lane), cy: y + ROW / 2, r: 5, fill: "#dc2626" });
        label(g, x(row.lane) + 10 * side(row.lane), y + 14, [["\\u2716 violation: " + e.name, { fill: "#b91c1c", "font-weight": 700 }],
          [e.driver ? "  (" + e.driver + ")" : "", { fill: "#b91c1c" }]], anchor(row.lane));
        tip = describe(e, null);
      }
      el(ns, g, "title", {}, tip);
      y += ROW;
    });
    if (rows.length === 0) header();
    svg.setAttribute("data-drawn", String(arrows));
  }
  return { draw: draw };
})();
`;
