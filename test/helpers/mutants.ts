/**
 * Mutants: the passthrough driver (src/drivers/passthrough/) with a few textual patches that plant
 * a bug, so a test can run a deliberately broken IM driver without keeping a copy of passthrough
 * that drifts from it. A mutant is its patches; materialize() writes the patched copy.
 *
 * Every patch names text that must occur exactly once in today's passthrough source: when a
 * change to passthrough moves or rewrites it, materialize() throws naming the mutant, the file and
 * the text, instead of quietly testing a copy without its bug.
 *
 * Where the copy goes, and why: `src/drivers/.mutant-<name>/`, a sibling of passthrough at the same
 * depth, so its relative imports (`../../ddi.js`, `../shared/revisions.js`) resolve to the very
 * files passthrough's do, unchanged. A driver reaches NDIS through module state (the call context
 * of src/runtime/core/), so the copy must load the same src/ modules as the host that runs it:
 * tests under tsx and `src/cli/main.ts` under tsx both do (the built `ndis` of dist/ does not: a
 * copy run there would call into a second NDIS). The folder is gitignored, which keeps
 * it out of Biome; tsc skips dot-folders (and tsconfig.json excludes it by name), and the layering
 * scan of test/unit/architecture.test.ts passes over it.
 *
 * Test files run in parallel processes and may materialize the same mutant at once: every file is
 * written to a name of its own and renamed into place (atomic), and one whose text is already
 * right is left alone, so a reader sees the old text or the new, never half of one.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** One replacement in one file of passthrough. */
export interface Patch {
  /** The file, relative to src/drivers/passthrough/ (`"miniport.ts"`). */
  readonly file: string;
  /** Text that occurs exactly once in that file of today's passthrough. */
  readonly find: string;
  /** What it becomes. By convention it carries a `// BUG (<mutant>): …` comment. */
  readonly replace: string;
}

/** Passthrough with a planted bug. */
export interface Mutant {
  /** Lowercase words joined by `-`: the copy's folder is `src/drivers/.mutant-<name>/`. */
  readonly name: string;
  /** One paragraph: the bug, and why a real driver might have it. */
  readonly bug: string;
  readonly patches: readonly Patch[];
  /**
   * The driver it is a copy of: a folder of src/drivers/ (`filter-passthrough`, `vlan-mux`,
   * `team`), or `fixture:NAME` for a driver of test/fixtures/drivers/. Default `passthrough`;
   * patch files are relative to that folder.
   */
  readonly base?: string;
}

const DRIVERS = fileURLToPath(new URL("../../src/drivers/", import.meta.url));
/**
 * Drivers that exist only as test fixtures (`base: "fixture:alt-im"`): written differently from
 * the shipped ones, so that planted bugs are not all shaped like them. Their copies go beside
 * them, at the same depth, for the same reason as above.
 */
const FIXTURE_DRIVERS = fileURLToPath(new URL("../fixtures/drivers/", import.meta.url));
const FIXTURE = "fixture:";

/** The folder of the driver `base` names. */
function baseDir(base: string | undefined): string {
  if (base === undefined) return PASSTHROUGH_DIR;
  if (base.startsWith(FIXTURE)) return join(FIXTURE_DRIVERS, base.slice(FIXTURE.length));
  return join(DRIVERS, base);
}

/** The base's folder as the messages name it. */
function baseName(base: string | undefined): string {
  if (base === undefined) return "src/drivers/passthrough";
  if (base.startsWith(FIXTURE)) return `test/fixtures/drivers/${base.slice(FIXTURE.length)}`;
  return `src/drivers/${base}`;
}

/** The driver every mutant is a copy of. */
export const PASSTHROUGH_DIR = join(DRIVERS, "passthrough");

/** The folder `mutant` is written to. */
export function mutantDir(mutant: Pick<Mutant, "name" | "base">): string {
  const fixture = mutant.base?.startsWith(FIXTURE) === true;
  return join(fixture ? FIXTURE_DRIVERS : DRIVERS, `.mutant-${mutant.name}`);
}

/** Every .ts file under `dir`, as paths relative to it with `/` separators, sorted. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((path) => path.split("\\").join("/"))
    .filter((path) => path.endsWith(".ts") && !path.split("/").some((p) => p.startsWith(".")))
    .sort();
}

/** How often `find` occurs in `text`, overlaps included, counting no further than 2. */
function occurrences(text: string, find: string): number {
  const first = text.indexOf(find);
  if (first < 0) return 0;
  return text.indexOf(find, first + 1) < 0 ? 1 : 2;
}

function quote(text: string): string {
  return text
    .split("\n")
    .map((line) => `    | ${line}`)
    .join("\n");
}

/**
 * The source of `mutant`: every file of passthrough by its relative path, with the patches
 * applied. Throws, naming the mutant, the file and the text, for a patch whose text is not in
 * passthrough exactly once (or no longer is once the earlier patches are applied), names no file
 * of passthrough, or changes nothing.
 */
export function mutantSources(mutant: Mutant): Map<string, string> {
  if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(mutant.name))
    throw new Error(
      `mutant ${JSON.stringify(mutant.name)}: a name is lowercase words joined by "-" (it names a folder)`,
    );
  const from = baseDir(mutant.base);
  const original = new Map(
    tsFiles(from).map((file) => [file, readFileSync(join(from, file), "utf8")]),
  );
  const sources = new Map(original);
  if (mutant.patches.length === 0) throw new Error(`mutant ${mutant.name}: it has no patches`);
  for (const patch of mutant.patches) {
    const where = `mutant ${mutant.name}: ${baseName(mutant.base)}/${patch.file}`;
    const before = original.get(patch.file);
    const current = sources.get(patch.file);
    if (before === undefined || current === undefined)
      throw new Error(
        `${where}: no such file in ${mutant.base ?? "passthrough"} (it has ${[...original.keys()].join(", ")})`,
      );
    if (patch.find === "") throw new Error(`${where}: a patch with nothing to find`);
    if (patch.find === patch.replace)
      throw new Error(`${where}: a patch that changes nothing:\n${quote(patch.find)}`);
    const count = occurrences(before, patch.find);
    if (count !== 1)
      throw new Error(
        `${where}: the text to replace must occur exactly once, but it occurs ${count === 0 ? "nowhere" : "more than once"}; has passthrough changed?\n${quote(patch.find)}`,
      );
    if (occurrences(current, patch.find) !== 1)
      throw new Error(
        `${where}: an earlier patch of this mutant overlaps or repeats the text to replace:\n${quote(patch.find)}`,
      );
    const at = current.indexOf(patch.find);
    sources.set(
      patch.file,
      current.slice(0, at) + patch.replace + current.slice(at + patch.find.length),
    );
  }
  return sources;
}

/** Writes `text` to `path` unless it holds it already: a private temporary name, then a rename. */
function writeAtomically(path: string, text: string): void {
  if (existsSync(path) && readFileSync(path, "utf8") === text) return;
  mkdirSync(dirname(path), { recursive: true });
  const temporary = join(
    dirname(path),
    `.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`,
  );
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

/**
 * Writes the patched copy of src/drivers/passthrough/ for `mutant` to `src/drivers/.mutant-<name>/`
 * (see the top of this file for why there) and returns the absolute path of its index.ts, for
 * `runConformance(path)`, `ndis verify <path>` or `import()`. Idempotent, and safe to call from
 * several processes at once. Throws as mutantSources() does.
 */
export function materialize(mutant: Mutant): string {
  const sources = mutantSources(mutant);
  const dir = mutantDir(mutant);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of sources) writeAtomically(join(dir, file), text);
  // A file passthrough no longer has would otherwise linger in the copy.
  for (const file of tsFiles(dir)) {
    if (sources.has(file)) continue;
    try {
      unlinkSync(join(dir, file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  writeAtomically(
    join(dir, "MUTANT.md"),
    `# ${mutant.name}\n\nGenerated by test/helpers/mutants.ts from ${baseName(mutant.base)}/: do not edit.\n\n${mutant.bug}\n`,
  );
  return join(dir, "index.ts");
}
