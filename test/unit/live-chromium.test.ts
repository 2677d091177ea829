/**
 * The live view in a real browser: `ndis run --ui` on the default stack (its pings made to go on)
 * and headless Chromium driven over the DevTools protocol. The page must draw the stack's nodes
 * in their states, count the pings as they flow, draw the DDI timeline, filter it to a clicked
 * node's driver, and pause and restart a stack from its buttons; the screenshot is checked by what
 * the page shows (nodes, labels), not by its pixels. Then `ndis ui` on a recorded bring-up: the
 * same page steps through it. Every wait is on a condition, bounded.
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { run } from "../../src/cli/commands/run.js";
import { ui } from "../../src/cli/commands/ui.js";
import { ManualClock, type TraceEvent } from "../../src/index.js";
import { startStack, stopStack } from "../../src/stack/index.js";
import { writeTraceFile } from "../../src/trace/index.js";
import { type Browser, chromiumMissing, openPage } from "../helpers/chromium.js";
import { PINGING_STACK_YAML, pingingStack, served } from "../helpers/live.js";

const NODES = ["eth0", "eth1", "eth0-pt", "eth1-pt", "passthrough", "host-a", "host-b"];

const nodeState = (page: Browser, id: string) =>
  page.evaluate<string | null>(
    `document.querySelector('#graph [data-id="${id}"]')?.getAttribute("data-state") ?? null`,
  );
const counter = (page: Browser, id: string, column: string) =>
  page.evaluate<number>(
    `Number(document.querySelector('#counters tr[data-id="${id}"] .${column}')?.dataset.value ?? -1)`,
  );

describe("the live view in headless Chromium", { skip: chromiumMissing }, () => {
  const dir = mkdtempSync(join(tmpdir(), "ndis-live-"));
  const signals = new EventEmitter();
  let page: Browser;
  let done: Promise<number>;

  before(async () => {
    const file = join(dir, "pinging.yaml");
    writeFileSync(file, PINGING_STACK_YAML);
    const started = served((out) =>
      run({ stack: file, ui: true }, out, {
        signals,
      }),
    );
    done = started.done;
    page = await openPage(await started.url);
  });
  after(async () => {
    await page?.close();
    signals.emit("SIGINT");
    await done;
    rmSync(dir, { recursive: true, force: true });
  });

  test("draws the default stack's nodes in their states", async () => {
    const count = await page.waitFor<number>(
      `document.body.dataset.ready === "1" && document.querySelectorAll("#graph .node").length >= ${NODES.length} && document.querySelectorAll("#graph .node").length`,
    );
    assert.equal(count, NODES.length);
    const labels = await page.evaluate<string[]>(
      `[...document.querySelectorAll("#graph .node .label")].map((t) => t.textContent)`,
    );
    assert.deepEqual([...labels].sort(), [...NODES].sort());
    for (const adapter of ["eth0", "eth1", "eth0-pt", "eth1-pt"])
      assert.equal(await nodeState(page, `adapter ${adapter}`), "Running", adapter);
    assert.equal(
      await nodeState(page, "protocol host-a"),
      "",
      "a protocol edge has no state machine",
    );
    const kinds = await page.evaluate<Record<string, string>>(
      `Object.fromEntries([...document.querySelectorAll("#graph .node")].map((n) => [n.dataset.id, n.dataset.kind]))`,
    );
    assert.equal(kinds["adapter eth0"], "miniport");
    assert.equal(kinds["adapter eth0-pt"], "virtual-miniport");
    assert.equal(kinds["protocol passthrough"], "im-protocol");
    const bindings = await page.evaluate<string[]>(
      `[...document.querySelectorAll("#graph .edge.binding")].map((e) => e.dataset.id + "=" + e.dataset.state).sort()`,
    );
    assert.deepEqual(bindings, [
      "binding host-a → eth0-pt=Running",
      "binding host-b → eth1-pt=Running",
      "binding passthrough → eth0=Running",
      "binding passthrough → eth1=Running",
    ]);
    assert.equal(await page.evaluate(`document.body.dataset.error ?? null`), null);
  });

  test("counts the pings as they flow, and draws the DDI timeline", async () => {
    await page.waitFor(`document.querySelector('#counters tr[data-id="adapter eth0"]')`);
    const first = await counter(page, "adapter eth0", "rx-packets");
    const bindingFirst = await counter(page, "binding host-a → eth0-pt", "rx-packets");
    await page.waitFor(
      `Number(document.querySelector('#counters tr[data-id="adapter eth0"] .rx-packets').dataset.value) > ${first + 4}`,
    );
    await page.waitFor(
      `Number(document.querySelector('#counters tr[data-id="binding host-a → eth0-pt"] .rx-packets').dataset.value) > ${bindingFirst + 4}`,
    );
    assert.ok(
      await page.evaluate<boolean>(
        `document.querySelector('#counters tr[data-id="adapter eth0"] svg.spark polyline') !== null`,
      ),
      "a sparkline is drawn",
    );
    const drawn = await page.waitFor<number>(
      `Number(document.getElementById("timeline").getAttribute("data-drawn")) > 0 && Number(document.getElementById("timeline").getAttribute("data-drawn"))`,
    );
    assert.ok(drawn > 0);
    const lanes = await page.evaluate<string[]>(
      `[...document.querySelectorAll("#timeline .lane-heads text")].map((t) => t.firstChild.nodeValue)`,
    );
    for (const lane of ["host-a", "host-b", "passthrough", "hub", "NDIS"])
      assert.ok(lanes.includes(lane), `the timeline has the lane ${lane}: ${lanes.join(", ")}`);
  });

  test("clicking a node filters the timeline to its driver; its buttons pause and restart the stack", async () => {
    await page.evaluate(
      `document.querySelector('#graph [data-id="adapter eth0"]').dispatchEvent(new MouseEvent("click", { bubbles: true }))`,
    );
    await page.waitFor(`document.getElementById("filter-note").textContent.includes("hub")`);
    const tips = await page.waitFor<string[]>(
      `(() => { if (document.getElementById("timeline").dataset.driver !== "hub") return false; const t = [...document.querySelectorAll("#timeline g.row.arrow > title")].map((e) => e.textContent); return t.length > 0 && t; })()`,
    );
    for (const tip of tips) assert.match(tip, /driver: hub/);

    await page.evaluate(`document.querySelector('#actions [data-action="pause"]').click()`);
    await page.waitFor(
      `document.querySelector('#graph [data-id="adapter eth0"]')?.dataset.state === "Paused"`,
    );
    await page.waitFor(
      `document.querySelector('#graph [data-id="binding passthrough → eth0"]')?.dataset.state === "Paused"`,
    );
    assert.equal(await nodeState(page, "adapter eth1"), "Running", "only eth0's stack paused");
    assert.match(
      await page.evaluate<string>(`document.getElementById("action-result").textContent`),
      /eth0 is Paused/,
    );
    await page.evaluate(`document.querySelector('#actions [data-action="restart"]').click()`);
    await page.waitFor(
      `document.querySelector('#graph [data-id="adapter eth0"]')?.dataset.state === "Running"`,
    );
    // The transitions went through the timeline as state notes.
    await page.evaluate(
      `document.querySelector('#graph [data-id="adapter eth0"]').dispatchEvent(new MouseEvent("click", { bubbles: true }))`,
    );
    await page.waitFor(
      `document.getElementById("filter-note").textContent === "" && document.getElementById("timeline").dataset.driver === ""`,
    );
  });

  test("a screenshot shows the page (checked by content: a PNG of the viewport)", async () => {
    const png = await page.screenshot();
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
    assert.equal(png.readUInt32BE(16), 1400, "the viewport's width");
    const text = await page.evaluate<string>(`document.getElementById("graph").textContent`);
    for (const label of NODES) assert.ok(text.includes(label), label);
  });
});

describe("ndis ui: a recorded trace in the same page", { skip: chromiumMissing }, () => {
  test("steps through a recorded bring-up: Halted at the start, Running at the end", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ndis-live-"));
    const events: TraceEvent[] = [];
    const clock = new ManualClock();
    const running = await startStack(pingingStack(), {
      clock,
      setup: (host) => host.onTrace((e) => events.push(e)),
    });
    const bringUp = events.slice();
    await stopStack(running);
    const file = join(dir, "bring-up.ndjson");
    writeFileSync(file, writeTraceFile(bringUp));
    const signals = new EventEmitter();
    const started = served((out) =>
      ui({ input: file }, out, {
        signals,
      }),
    );
    const page = await openPage(await started.url);
    try {
      await page.waitFor(
        `document.body.dataset.mode === "replay" && document.querySelectorAll("#graph .node").length === ${NODES.length}`,
      );
      assert.equal(await nodeState(page, "adapter eth0-pt"), "Running");
      assert.equal(
        await page.evaluate(`document.getElementById("replay-pos").max`),
        String(bringUp.length),
      );
      await page.evaluate(
        `(() => { const r = document.getElementById("replay-pos"); r.value = "0"; r.dispatchEvent(new Event("input")); })()`,
      );
      await page.waitFor(
        `document.querySelector('#graph [data-id="adapter eth0"]').dataset.state === "Halted"`,
      );
      assert.equal(await nodeState(page, "adapter eth0-pt"), "Halted");
      await page.evaluate(`document.getElementById("replay-step").click()`);
      assert.match(
        await page.evaluate<string>(`document.getElementById("replay-at").textContent`),
        /^event 1 of /,
      );
    } finally {
      await page.close();
      signals.emit("SIGINT");
      assert.equal(await started.done, 0);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
