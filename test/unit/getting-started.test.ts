/**
 * docs/getting-started.md, done as a newcomer would, from the package as it ships: `npm pack`,
 * then a fresh folder outside the repository with `"type": "module"`, the tarball and the
 * TypeScript tools installed, the page's own tsconfig.json, driver and stack file written out,
 * `tsc` and `npx ndis run` run there. Offline: the folder gets a lockfile built from this
 * repository's (the same pinned versions, the tarball's integrity), so `npm ci --offline` takes
 * everything from the npm cache that `npm ci` of this repository just filled — as on a fresh CI
 * machine.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const PAGE = join(ROOT, "docs/getting-started.md");

interface LockEntry {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  [key: string]: unknown;
}

/** The page's files: code blocks whose info string names one (```ts file=frame-counter.ts). */
function pageFiles(): Map<string, string> {
  const text = readFileSync(PAGE, "utf8");
  return new Map(
    [...text.matchAll(/```\w+ file=(\S+)\n([\s\S]*?)```/g)].map((m) => [m[1] ?? "", m[2] ?? ""]),
  );
}

/** Lockfile entries for `roots` and everything they need, found as Node would find them. */
function closure(packages: Record<string, LockEntry>, roots: readonly string[]) {
  const out: Record<string, LockEntry> = {};
  const visit = (from: string, name: string) => {
    for (let base = from; ; ) {
      const path = `${base === "" ? "" : `${base}/`}node_modules/${name}`;
      const entry = packages[path];
      if (entry !== undefined) {
        if (out[path] !== undefined) return;
        out[path] = entry;
        for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies }))
          visit(path, dep);
        return;
      }
      if (base === "") return;
      const i = base.lastIndexOf("/node_modules/");
      base = i < 0 ? "" : base.slice(0, i);
    }
  };
  for (const name of roots) visit("", name);
  return out;
}

const skip = existsSync(join(ROOT, "dist/cli/main.js"))
  ? false
  : "dist/ is not built (npm ci or npm run build builds it)";

describe("docs/getting-started.md from a packed tarball", { skip }, () => {
  test("a new folder, the tarball, the page's driver: it type-checks and `npx ndis run` exits 0", () => {
    const files = pageFiles();
    assert.deepEqual([...files.keys()].sort(), ["frame-counter.ts", "stack.yaml", "tsconfig.json"]);
    const dir = mkdtempSync(join(tmpdir(), "ndis-getting-started-"));
    const packed = JSON.parse(
      execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], {
        cwd: ROOT,
        encoding: "utf8",
      }),
    ) as { filename: string }[];
    const tarball = packed[0]?.filename as string;
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      version: string;
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
      bin: Record<string, string>;
      engines: Record<string, string>;
    };
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
      packages: Record<string, LockEntry>;
    };
    const tools = Object.fromEntries(
      ["typescript", "tsx", "@types/node"].map((n) => [n, pkg.devDependencies[n] as string]),
    );
    const manifest = {
      name: "my-driver",
      version: "1.0.0",
      private: true,
      type: "module",
      dependencies: { "ndis-ts": `file:${tarball}` },
      devDependencies: tools,
    };
    const integrity = `sha512-${createHash("sha512")
      .update(readFileSync(join(dir, tarball)))
      .digest("base64")}`;
    writeFileSync(join(dir, "package.json"), JSON.stringify(manifest, null, 2));
    writeFileSync(
      join(dir, "package-lock.json"),
      JSON.stringify(
        {
          name: "my-driver",
          version: "1.0.0",
          lockfileVersion: 3,
          requires: true,
          packages: {
            "": { ...manifest, type: undefined, private: undefined },
            "node_modules/ndis-ts": {
              version: pkg.version,
              resolved: `file:${tarball}`,
              integrity,
              dependencies: pkg.dependencies,
              bin: pkg.bin,
              engines: pkg.engines,
            },
            ...closure(lock.packages, [...Object.keys(pkg.dependencies), ...Object.keys(tools)]),
          },
        },
        null,
        2,
      ),
    );
    for (const [name, text] of files) writeFileSync(join(dir, name), text);

    const npm = (args: string[]) => {
      const r = spawnSync("npm", args, { cwd: dir, encoding: "utf8", timeout: 240_000 });
      assert.equal(r.status, 0, `npm ${args.join(" ")}:\n${r.stdout}\n${r.stderr}`);
      return r.stdout;
    };
    npm(["ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"]);
    npm(["exec", "--offline", "--", "tsc", "-p", "."]);
    const run = npm(["exec", "--offline", "--", "ndis", "run", "stack.yaml", "--interval", "10s"]);
    assert.match(run, /binding frame-counter → eth1: Running/);
    assert.match(run, /frame-counter: [1-9]\d* frame\(s\) received on eth1/);
    assert.match(run, /live objects after teardown: 0/);
    assert.match(run, /verifier: no violations/);
  });
});
