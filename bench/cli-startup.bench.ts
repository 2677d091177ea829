/**
 * Start-up of the `ndis` command: wall time of `node dist/cli/main.js <args>` against `node -e 0`
 * (Node's own start-up) in paired rounds — each round runs every cell once, in the same order —
 * so the figures are ratios of cells measured side by side on a noisy machine. Build first
 * (`npm run build`). Usage: `node --import tsx bench/cli-startup.bench.ts [rounds]`; set
 * `NDIS_CLI_BASE=<dir>` to add a cell for another build's `cli/main.js` (e.g. a copy of the
 * previous commit's dist/) to compare with.
 */
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const rounds = Number(process.argv[2] ?? 21);
const main = join(ROOT, "dist/cli/main.js");
const other = process.env.NDIS_CLI_BASE;

const cells: [string, string[]][] = [
  ["node -e 0", ["-e", "0"]],
  ["ndis --version", [main, "--version"]],
  ["ndis --help", [main, "--help"]],
  ["ndis run --help", [main, "run", "--help"]],
  ...(other === undefined
    ? []
    : ([
        ["base: ndis --help", [join(other, "cli/main.js"), "--help"]],
        ["base: ndis run --help", [join(other, "cli/main.js"), "run", "--help"]],
      ] as [string, string[]][])),
];

const times = new Map<string, number[]>(cells.map(([name]) => [name, []]));
for (let r = 0; r < rounds; r++) {
  for (const [name, args] of cells) {
    const start = process.hrtime.bigint();
    const out = spawnSync(process.execPath, args, { cwd: ROOT, stdio: "ignore" });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (out.status !== 0) throw new Error(`${name} exited ${out.status}`);
    times.get(name)?.push(ms);
  }
}
const median = (list: readonly number[]) => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};
const base = times.get("node -e 0") as number[];
console.log(`${rounds} paired rounds; median of per-round ratios to node -e 0`);
for (const [name, list] of times) {
  const ratios = list.map((t, i) => t / (base[i] as number));
  console.log(
    `${name.padEnd(24)} median ${median(list).toFixed(0).padStart(5)} ms   ×${median(ratios).toFixed(2)}`,
  );
}
if (other !== undefined) {
  for (const verb of ["--help", "run --help"]) {
    const now = times.get(`ndis ${verb}`) as number[];
    const then = times.get(`base: ndis ${verb}`) as number[];
    const ratios = now.map((t, i) => t / (then[i] as number));
    console.log(
      `ndis ${verb}: this build / base build, median of per-round ratios ×${median(ratios).toFixed(2)}`,
    );
  }
}
