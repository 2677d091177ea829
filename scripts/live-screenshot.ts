/**
 * Takes docs/live-view.png: `ndis run --ui` on the default stack (its pings made to go on), the
 * page in headless Chromium once the counters have moved, hub adapter eth0 selected (its buttons
 * shown, the timeline filtered to the hub driver).
 *
 * Run: node --import tsx scripts/live-screenshot.ts [out.png]
 */
import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { run } from "../src/cli/commands/run.js";
import { openPage } from "../test/helpers/chromium.js";
import { PINGING_STACK_YAML, served } from "../test/helpers/live.js";

const target = resolve(process.argv[2] ?? "docs/live-view.png");
const dir = mkdtempSync(join(tmpdir(), "ndis-shot-"));
const file = join(dir, "hub-ping.yaml");
writeFileSync(file, PINGING_STACK_YAML);
const signals = new EventEmitter();
process.chdir(dir); // the page's title is the stack file as given
const { url, done } = served((out) => run({ stack: "hub-ping.yaml", ui: true }, out, { signals }));
const page = await openPage(await url, 1400, 1050);
try {
  await page.waitFor(`Number(document.body.dataset.ticks) > 12`);
  await page.evaluate(
    `document.querySelector('#graph [data-id="adapter eth0"]').dispatchEvent(new MouseEvent("click", { bubbles: true }))`,
  );
  await page.waitFor(`document.querySelectorAll("#actions button").length > 0`);
  await page.waitFor(`Number(document.getElementById("timeline").getAttribute("data-drawn")) > 4`);
  writeFileSync(target, await page.screenshot());
  console.log(`wrote ${target}`);
} finally {
  await page.close();
  signals.emit("SIGINT");
  await done;
  rmSync(dir, { recursive: true, force: true });
}
