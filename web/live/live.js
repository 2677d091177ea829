/*
 * The live view's page: the stack graph, the counters with sparklines, the DDI call timeline
 * (drawn by the shared sequence-diagram script, sequence-draw.js) and the violations, fed by the
 * server's event stream (/events); the buttons post the host's actions to /action. A recorded
 * trace (mode "replay") is stepped through with a slider instead.
 *
 * An ES module for current browsers, no library, no build: every text goes into the page through
 * textContent.
 */
const NS = document.getElementById("graph").namespaceURI;
const TIMELINE_ROWS = 60;
const KEEP_EVENTS = 3000;
const SPARK_POINTS = 240;

const COLORS = {
  Running: ["#dcfce7", "#16a34a"],
  Paused: ["#e2e8f0", "#475569"],
  Pausing: ["#fef3c7", "#d97706"],
  Restarting: ["#fef3c7", "#d97706"],
  Initializing: ["#fef3c7", "#d97706"],
  Opening: ["#fef3c7", "#d97706"],
  Closing: ["#fef3c7", "#d97706"],
  Halted: ["#f3f4f6", "#9ca3af"],
  Unbound: ["#f3f4f6", "#9ca3af"],
  Shutdown: ["#fee2e2", "#b91c1c"],
  none: ["#eef2ff", "#6366f1"],
};
const KIND_TEXT = {
  miniport: "miniport adapter",
  "virtual-miniport": "virtual miniport",
  filter: "filter module",
  "im-protocol": "IM protocol edge",
  protocol: "protocol",
};
const ADAPTER_KINDS = { miniport: true, "virtual-miniport": true };

const model = {
  mode: null,
  graph: { nodes: [], edges: [] },
  states: {},
  events: [],
  rows: {},
  history: {},
  violations: [],
  actions: [],
  selected: null,
  paused: false,
  replayAt: 0,
  ticks: 0,
  skipped: 0,
};

function $(id) {
  return document.getElementById(id);
}
function el(parent, name, attrs, text) {
  const node = document.createElementNS(NS, name);
  for (const key in attrs)
    if (Object.hasOwn(attrs, key)) node.setAttribute(key, String(attrs[key]));
  if (text !== undefined) node.textContent = text;
  parent.appendChild(node);
  return node;
}
function html(parent, name, attrs, text) {
  const node = document.createElement(name);
  for (const key in attrs)
    if (Object.hasOwn(attrs, key)) node.setAttribute(key, String(attrs[key]));
  if (text !== undefined) node.textContent = text;
  parent.appendChild(node);
  return node;
}
function colors(state) {
  return COLORS[state === null || state === undefined ? "none" : state] || ["#fff7ed", "#ea580c"];
}

// --- state events: the node or edge they move --------------------------------------------
const STATE_DETAIL = /^(adapter|binding|filter) (.+): (\S+) \u2192 (\S+)$/;
function stateStep(e) {
  if (e.kind !== "state" || typeof e.detail !== "string") return null;
  const m = STATE_DETAIL.exec(e.detail);
  return m === null ? null : { id: `${m[1]} ${m[2]}`, from: m[3], to: m[4] };
}

// --- the graph ------------------------------------------------------------------------------
let changed = {};
function setState(id, state) {
  if (model.states[id] === state) return;
  model.states[id] = state;
  changed[id] = true;
}
function graphStates(graph) {
  const states = {};
  graph.nodes.forEach((n) => {
    states[n.id] = n.state;
  });
  graph.edges.forEach((e) => {
    if (e.state !== null) states[e.id] = e.state;
  });
  return states;
}

function layout(graph, width, height) {
  const layers = [];
  graph.nodes.forEach((n) => {
    if (!layers[n.layer]) layers[n.layer] = [];
    layers[n.layer].push(n);
  });
  const pos = {};
  const rows = layers.length || 1;
  const rowH = Math.min(110, (height - 40) / rows);
  const lowerOf = {};
  graph.edges.forEach((e) => {
    if (!lowerOf[e.upper]) lowerOf[e.upper] = [];
    lowerOf[e.upper].push(e.lower);
  });
  layers.forEach((layer, i) => {
    if (!layer) return;
    // Barycentre ordering: a node goes above the middle of what it sits on.
    layer.forEach((n, k) => {
      const xs = (lowerOf[n.id] || [])
        .map((id) => (pos[id] ? pos[id].x : null))
        .filter((x) => x !== null);
      n._order = xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : k * 1000;
    });
    layer.sort((a, b) => a._order - b._order);
    const step = width / layer.length;
    layer.forEach((n, k) => {
      pos[n.id] = { x: step * k + step / 2, y: height - 34 - rowH * i };
    });
  });
  return pos;
}

function drawGraph() {
  const svg = $("graph");
  const width = svg.clientWidth || 640,
    height = svg.clientHeight || 380;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  const graph = model.graph;
  const pos = layout(graph, width, height);
  const boxW = Math.max(86, Math.min(190, width / Math.max(1, maxPerLayer(graph)) - 14)),
    boxH = 44;
  const edges = el(svg, "g", { class: "edges" });
  graph.edges.forEach((e) => {
    const a = pos[e.upper],
      b = pos[e.lower];
    if (!a || !b) return;
    const state = e.state === null ? null : model.states[e.id];
    const g = el(edges, "g", {
      class: `edge ${e.kind}${changed[e.id] ? " changed" : ""}`,
      "data-id": e.id,
      "data-state": state === null ? "" : state,
    });
    el(g, "line", { x1: a.x, y1: a.y + boxH / 2, x2: b.x, y2: b.y - boxH / 2 });
    if (state !== null && state !== undefined) {
      const c = colors(state),
        mx = (a.x + b.x) / 2,
        my = (a.y + b.y) / 2;
      el(g, "rect", {
        x: mx - 33,
        y: my - 8,
        width: 66,
        height: 16,
        rx: 8,
        fill: c[0],
        stroke: c[1],
      });
      el(g, "text", { x: mx, y: my + 4, "text-anchor": "middle" }, state);
      el(g, "title", {}, `${e.id}: ${state}`);
    }
  });
  const nodes = el(svg, "g", { class: "nodes" });
  graph.nodes.forEach((n) => {
    const p = pos[n.id];
    if (!p) return;
    const state = model.states[n.id];
    const c = colors(state);
    const g = el(nodes, "g", {
      class:
        "node " +
        n.kind +
        (model.selected === n.id ? " selected" : "") +
        (changed[n.id] ? " changed" : ""),
      "data-id": n.id,
      "data-kind": n.kind,
      "data-driver": n.driver,
      "data-state": state === null ? "" : state,
      tabindex: 0,
      role: "button",
    });
    el(g, "rect", {
      x: p.x - boxW / 2,
      y: p.y - boxH / 2,
      width: boxW,
      height: boxH,
      rx: n.kind === "protocol" || n.kind === "im-protocol" ? 16 : 5,
      fill: c[0],
      stroke: c[1],
    });
    el(g, "text", { class: "label", x: p.x, y: p.y - 6, "text-anchor": "middle" }, n.label);
    el(
      g,
      "text",
      { class: "kind", x: p.x, y: p.y + 7, "text-anchor": "middle" },
      `${KIND_TEXT[n.kind] || n.kind} \u00b7 ${n.driver}`,
    );
    el(
      g,
      "text",
      { class: "state", x: p.x, y: p.y + 19, "text-anchor": "middle" },
      state === null || state === undefined ? "" : state,
    );
    el(g, "title", {}, `${n.id + (state ? `: ${state}` : "")} (driver ${n.driver})`);
    g.addEventListener("click", () => {
      select(n.id);
    });
    g.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === " ") select(n.id);
    });
  });
  changed = {};
  svg.setAttribute("data-nodes", String(graph.nodes.length));
}
function maxPerLayer(graph) {
  const count = {};
  let max = 1;
  graph.nodes.forEach((n) => {
    count[n.layer] = (count[n.layer] || 0) + 1;
    max = Math.max(max, count[n.layer]);
  });
  return max;
}

function drawLegend() {
  const legend = $("legend");
  legend.textContent = "States:";
  ["Running", "Paused", "Pausing", "Halted"].forEach((s) => {
    const c = colors(s);
    const sw = html(legend, "span", { class: "swatch" });
    sw.style.background = c[0];
    sw.style.borderColor = c[1];
    legend.appendChild(
      document.createTextNode(s === "Pausing" ? "Pausing / Restarting / Opening" : s),
    );
  });
}

// --- selection and actions -------------------------------------------------------------------
function nodeById(id) {
  for (let i = 0; i < model.graph.nodes.length; i++)
    if (model.graph.nodes[i].id === id) return model.graph.nodes[i];
  return null;
}
function select(id) {
  model.selected = model.selected === id ? null : id;
  drawGraph();
  drawSelection();
  drawCounters();
  scheduleTimeline();
}
function selectedDriver() {
  const n = model.selected === null ? null : nodeById(model.selected);
  return n === null ? null : n.driver;
}
function drawSelection() {
  const box = $("selection");
  const n = model.selected === null ? null : nodeById(model.selected);
  $("filter-note").textContent = n === null ? "" : `timeline: driver ${n.driver} only`;
  if (n === null) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  $("selected-title").textContent =
    `${KIND_TEXT[n.kind] || n.kind} ${n.label} (driver ${n.driver})`;
  const actions = $("actions");
  while (actions.firstChild) actions.removeChild(actions.firstChild);
  if (model.mode !== "live" || !ADAPTER_KINDS[n.kind]) return;
  const name = n.label;
  [
    ["pause", "Pause stack"],
    ["restart", "Restart stack"],
    ["link-down", "Link down"],
    ["link-up", "Link up"],
    ["surprise-remove", "Surprise remove"],
  ].forEach((a) => {
    if (model.actions.indexOf(a[0]) < 0) return;
    const b = html(actions, "button", { type: "button", "data-action": a[0] }, a[1]);
    b.addEventListener("click", () => {
      void act({ action: a[0], adapter: name });
    });
  });
  if (model.actions.indexOf("inject") >= 0) {
    const file = html(actions, "input", {
      type: "file",
      accept: ".pcap,.pcapng,.cap",
      "aria-label": "capture file",
    });
    const num = html(actions, "input", {
      type: "number",
      min: 1,
      value: 1,
      "aria-label": "frame number",
    });
    const b = html(actions, "button", { type: "button", "data-action": "inject" }, "Inject frame");
    b.addEventListener("click", () => {
      const f = file.files?.[0];
      if (!f) {
        result("choose a pcap or pcapng file first", true);
        return;
      }
      const reader = new FileReader();
      reader.onload = () => {
        const bytes = new Uint8Array(reader.result);
        let bin = "";
        for (let i = 0; i < bytes.length; i += 0x8000)
          bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
        void act({ action: "inject", adapter: name, pcap: btoa(bin), frame: Number(num.value) });
      };
      reader.readAsArrayBuffer(f);
    });
  }
}
function result(text, error) {
  const r = $("action-result");
  r.textContent = text;
  r.className = error ? "error" : "";
}
function act(body) {
  result(`${body.action}\u2026`, false);
  return fetch("/action", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  })
    .then((r) => r.json())
    .then((answer) => {
      result(answer.ok ? answer.result : answer.error, !answer.ok);
    })
    .catch((err) => {
      result(String(err), true);
    });
}

// --- counters --------------------------------------------------------------------------------
function rowName(id) {
  return id.replace(/^(adapter|binding) /, "");
}
function onTick(tick) {
  model.ticks++;
  tick.rows.forEach((row) => {
    if (!model.history[row.id]) model.history[row.id] = [];
    const h = model.history[row.id];
    h.push({ t: tick.t, packets: row.rxPackets + row.txPackets });
    if (h.length > SPARK_POINTS) h.shift();
    model.rows[row.id] = row;
  });
  const ids = {};
  tick.rows.forEach((r) => {
    ids[r.id] = true;
  });
  Object.keys(model.rows).forEach((id) => {
    if (!ids[id]) {
      delete model.rows[id];
      delete model.history[id];
    }
  });
  drawCounters();
  document.body.setAttribute("data-ticks", String(model.ticks));
}
function spark(parent, history) {
  const w = 110,
    h = 22;
  const svg = el(parent, "svg", {
    class: "spark",
    width: w,
    height: h,
    viewBox: `0 0 ${w} ${h}`,
  });
  if (history.length < 2) return;
  const rates = [];
  for (let i = 1; i < history.length; i++) {
    const dt = (history[i].t - history[i - 1].t) / 1000;
    rates.push(dt > 0 ? (history[i].packets - history[i - 1].packets) / dt : 0);
  }
  const max = Math.max.apply(null, rates.concat([1]));
  const pts = rates.map((r, k) => {
    const x = rates.length === 1 ? w : (k * w) / (rates.length - 1);
    return `${x.toFixed(1)},${(h - 2 - (r / max) * (h - 4)).toFixed(1)}`;
  });
  el(svg, "polyline", { points: pts.join(" ") });
  el(
    svg,
    "title",
    {},
    `now ${rates[rates.length - 1].toFixed(1)} packets/s, peak ${max.toFixed(1)}`,
  );
}
function drawCounters() {
  const body = document.querySelector("#counters tbody");
  while (body.firstChild) body.removeChild(body.firstChild);
  Object.keys(model.rows).forEach((id) => {
    const r = model.rows[id];
    const tr = html(body, "tr", { "data-id": id });
    if (
      model.selected === id ||
      (model.selected !== null &&
        id.indexOf(` ${rowName(model.selected)}`) > 0 &&
        id.slice(-rowName(model.selected).length - 3) === ` \u2192 ${rowName(model.selected)}`)
    )
      tr.className = "selected";
    html(tr, "td", {}, (id.indexOf("binding ") === 0 ? "binding " : "") + rowName(id));
    html(tr, "td", { class: "state" }, r.state);
    [
      ["rx-packets", r.rxPackets],
      ["rx-bytes", r.rxBytes],
      ["tx-packets", r.txPackets],
      ["tx-bytes", r.txBytes],
    ].forEach((c) => {
      html(tr, "td", { class: `num ${c[0]}`, "data-value": c[1] }, String(c[1]));
    });
    html(
      tr,
      "td",
      { class: "num drops", "data-value": r.drops.noReceiver + r.drops.paused + r.drops.failed },
      `${r.drops.noReceiver} \u00b7 ${r.drops.paused} \u00b7 ${r.drops.failed}`,
    );
    html(
      tr,
      "td",
      { class: "num outstanding", "data-value": r.outstanding },
      String(r.outstanding),
    );
    spark(html(tr, "td", {}), model.history[id] || []);
  });
}

// --- the timeline ----------------------------------------------------------------------------
function laneOrder() {
  // Drivers from the top of the stack down: by the highest layer of their nodes.
  const top = {};
  model.graph.nodes.forEach((n) => {
    top[n.driver] = Math.max(top[n.driver] === undefined ? -1 : top[n.driver], n.layer);
  });
  return Object.keys(top).sort((a, b) => top[b] - top[a] || (a < b ? -1 : 1));
}
function planTimeline(all) {
  const driver = selectedDriver();
  const events =
    driver === null ? all : all.filter((e) => e.driver === driver || e.kind === "violation");
  let shown = events.slice(-TIMELINE_ROWS * 2);
  // Filtered to one driver: its lane and NDIS beside it; else every driver, top of the stack first.
  const order = driver === null ? laneOrder() : [driver];
  const lanes = [],
    laneOf = {};
  order.forEach((d, i) => {
    if (i > 0) lanes.push({ title: "NDIS", ndis: true });
    laneOf[d] = lanes.length;
    lanes.push({ title: d, ndis: false });
  });
  // One driver's lane still has NDIS beside it.
  if (lanes.length <= 1) lanes.push({ title: "NDIS", ndis: true });
  function lane(d) {
    if (laneOf[d] === undefined) {
      lanes.push({ title: "NDIS", ndis: true });
      laneOf[d] = lanes.length;
      lanes.push({ title: d, ndis: false });
    }
    return laneOf[d];
  }
  function ndisNear(l) {
    return lanes[l + 1] && lanes[l + 1].ndis
      ? l + 1
      : lanes[l - 1] && lanes[l - 1].ndis
        ? l - 1
        : l;
  }
  const rows = [],
    open = [];
  shown.forEach((e, i) => {
    if (e.kind === "violation") {
      rows.push({
        type: "violation",
        event: i,
        lane: e.driver === null ? ndisNear(0) : lane(e.driver),
      });
      return;
    }
    if (e.kind === "state") {
      rows.push({
        type: "note",
        event: i,
        lane: e.driver === null ? ndisNear(0) : lane(e.driver),
      });
      return;
    }
    if (e.phase === "return") {
      for (let k = open.length - 1; k >= 0; k--) {
        const c = open[k];
        if (c.e.kind !== e.kind || c.e.name !== e.name || c.e.driver !== e.driver) continue;
        if (c.row !== null && e.status !== undefined) {
          const v = e.status >>> 0;
          rows[c.row].status = e.statusName || `0x${v.toString(16).toUpperCase()}`;
          rows[c.row].tone = v >= 0x80000000 ? "error" : v === 0x103 ? "pending" : "ok";
        }
        open.length = k;
        break;
      }
      return;
    }
    while (open.length > 0 && open[open.length - 1].e.depth >= e.depth) open.pop();
    if (e.driver === null) {
      rows.push({ type: "note", event: i, lane: ndisNear(0) });
      open.push({ e: e, row: null });
      return;
    }
    const l = lane(e.driver),
      n = ndisNear(l);
    open.push({ e: e, row: rows.length });
    rows.push(
      e.kind === "handler"
        ? { type: "arrow", event: i, from: n, to: l, status: null, tone: null }
        : { type: "arrow", event: i, from: l, to: n, status: null, tone: null },
    );
  });
  // Times relative to the first event shown, in whole milliseconds: short enough for the gutter.
  const t0 = shown.length > 0 ? shown[0].time : 0;
  shown = shown.map((e) => Object.assign({}, e, { time: Math.round(e.time - t0) }));
  const cut = Math.max(0, rows.length - TIMELINE_ROWS);
  return {
    lanes: lanes,
    events: shown,
    omitted: events.length - shown.length,
    rows: rows.slice(cut),
  };
}
let timelineQueued = false;
function scheduleTimeline() {
  if (timelineQueued) return;
  timelineQueued = true;
  (window.requestAnimationFrame || setTimeout)(() => {
    timelineQueued = false;
    drawTimeline();
  });
}
function visibleEvents() {
  return model.mode === "replay" ? model.events.slice(0, model.replayAt) : model.events;
}
function drawTimeline() {
  if (model.paused) return;
  const plan = planTimeline(visibleEvents());
  ndisSequence.draw($("timeline"), plan);
  $("timeline").setAttribute("data-driver", selectedDriver() ?? "");
  const driver = selectedDriver();
  $("timeline-note").textContent =
    plan.rows.length === 0
      ? "no calls yet"
      : `the latest ${plan.rows.length} rows${driver === null ? "" : ` of driver ${driver}`}; times in ms from the first row${model.skipped > 0 ? `; ${model.skipped} events skipped to keep up` : ""}`;
}

// --- violations ------------------------------------------------------------------------------
function addViolations(list) {
  list.forEach((v) => {
    model.violations.push(v);
    const li = html($("violations"), "li", { "data-rule": v.rule });
    html(li, "strong", {}, `[${v.severity}] ${v.rule}${v.driver ? ` (driver ${v.driver})` : ""}`);
    html(li, "pre", {}, v.report);
  });
  const count = $("violation-count");
  count.textContent = String(model.violations.length);
  count.className = `pill${model.violations.length > 0 ? " some" : ""}`;
}

// --- replay ----------------------------------------------------------------------------------
function replayTo(at) {
  model.replayAt = Math.max(0, Math.min(at, model.events.length));
  const states = graphStates(model.graph);
  Object.keys(states).forEach((id) => {
    model.states[id] = states[id];
  });
  for (let i = 0; i < model.replayAt; i++) {
    const s = stateStep(model.events[i]);
    if (s !== null) setState(s.id, s.to);
  }
  $("replay-pos").value = String(model.replayAt);
  const e = model.events[model.replayAt - 1];
  $("replay-at").textContent =
    "event " +
    model.replayAt +
    " of " +
    model.events.length +
    (e ? ` \u00b7 ${e.time} ms \u00b7 ${e.name}` : "");
  drawGraph();
  drawTimeline();
}
let playing = null;
function setupReplay() {
  $("replay").hidden = false;
  const pos = $("replay-pos");
  pos.max = String(model.events.length);
  pos.addEventListener("input", () => {
    replayTo(Number(pos.value));
  });
  $("replay-step").addEventListener("click", () => {
    replayTo(model.replayAt + 1);
  });
  $("replay-play").addEventListener("click", () => {
    if (playing !== null) {
      clearInterval(playing);
      playing = null;
      $("replay-play").textContent = "Play";
      return;
    }
    $("replay-play").textContent = "Stop";
    playing = setInterval(() => {
      if (model.replayAt >= model.events.length) {
        clearInterval(playing);
        playing = null;
        $("replay-play").textContent = "Play";
        return;
      }
      replayTo(model.replayAt + 1);
    }, 120);
  });
}

// --- the stream ------------------------------------------------------------------------------
function onHello(hello) {
  model.mode = hello.mode;
  model.graph = hello.graph;
  model.states = graphStates(hello.graph);
  model.events = hello.events.slice();
  model.actions = hello.actions;
  model.rows = {};
  model.history = {};
  model.violations = [];
  while ($("violations").firstChild) $("violations").removeChild($("violations").firstChild);
  $("title").textContent = hello.title;
  document.title = `ndis: ${hello.title}`;
  const mode = $("mode");
  mode.textContent = hello.mode === "live" ? "live" : "recorded trace";
  mode.className = `pill ${hello.mode}`;
  $("data-path").checked = hello.dataPath;
  $("data-path").disabled = hello.mode !== "live";
  addViolations(hello.violations);
  if (hello.failure) {
    $("failure").hidden = false;
    $("failure").textContent = hello.failure;
  }
  if (hello.mode === "replay") {
    setupReplay();
    replayTo(model.events.length);
  } else {
    if (hello.tick) onTick(hello.tick);
    drawGraph();
    scheduleTimeline();
  }
  drawSelection();
  document.body.setAttribute("data-ready", "1");
  document.body.setAttribute("data-mode", hello.mode);
}
function onGraph(graph) {
  model.graph = graph;
  const states = graphStates(graph);
  Object.keys(states).forEach((id) => {
    setState(id, states[id]);
  });
  if (model.selected !== null && nodeById(model.selected) === null) model.selected = null;
  drawGraph();
  drawSelection();
}
function onEvents(batch) {
  model.skipped += batch.skipped;
  batch.events.forEach((e) => {
    const s = stateStep(e);
    if (s !== null) setState(s.id, s.to);
    model.events.push(e);
  });
  if (model.events.length > KEEP_EVENTS) model.events.splice(0, model.events.length - KEEP_EVENTS);
  if (Object.keys(changed).length > 0) drawGraph();
  scheduleTimeline();
}

$("pause-timeline").addEventListener("click", function () {
  model.paused = !model.paused;
  this.setAttribute("aria-pressed", String(model.paused));
  this.textContent = model.paused ? "Resume timeline" : "Pause timeline";
  if (!model.paused) drawTimeline();
});
$("data-path").addEventListener("change", function () {
  void act({ action: "data-path", on: this.checked });
});
window.addEventListener("resize", () => {
  drawGraph();
});
drawLegend();

const source = new EventSource("/events");
function on(type, fn) {
  source.addEventListener(type, (ev) => {
    try {
      fn(JSON.parse(ev.data));
    } catch (err) {
      document.body.setAttribute("data-error", String(err?.stack || err));
    }
  });
}
on("hello", onHello);
on("graph", onGraph);
on("events", onEvents);
on("tick", onTick);
on("violations", addViolations);
source.addEventListener("error", () => {
  if (model.mode === "replay") {
    source.close();
    return;
  }
  const mode = $("mode");
  mode.textContent = "disconnected (the run ended?)";
  mode.className = "pill down";
});
