/**
 * The layering of src/: each folder is a stage of the pipeline, ranked in
 * the order the data flows (RANKS), and a module imports only from its own
 * stage or from stages of a lower rank; no two files import each other,
 * directly or around a longer cycle.  The scanner reads every relative
 * reference between files (test/support/src-references.ts): `import` and
 * `import type`, `export … from`,
 * dynamic `import("…")`, and the worker files a module starts with
 * `new URL("./x.js", import.meta.url)`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./support/reference.ts";
import { scanReferences, sourceFiles } from "./support/src-references.ts";

/**
 * The stages in pipeline order: a folder of src/ (or a file at its root)
 * may import from the stages of the ranks before its own.  Stages of the
 * same rank are independent: neither imports the other.
 */
const RANKS: readonly (readonly string[])[] = [
  ["py", "version.ts"],
  ["profile"],
  ["tar"],
  ["conf"],
  ["store"],
  ["layer"],
  ["workers"],
  ["passes"],
  ["base-image"],
  ["image"],
  ["oci"],
  ["remote", "layout", "tarball"],
  ["publish", "audit"],
  ["cli"],
  ["demo"],
  ["index.ts", "cli.ts"],
];

/** The stage of a file: its first folder under src/, or the file itself at the root. */
function stageOf(path: string): string {
  return path.split("/")[0]!;
}

/** Import cycles between files, each as its path from the file that starts it back to that file. */
function findCycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const done = new Set<string>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    seen.add(file);
    stack.push(file);
    for (const next of edges.get(file) ?? []) {
      if (!seen.has(next)) visit(next);
      else if (!done.has(next)) cycles.push([...stack.slice(stack.indexOf(next)), next]);
    }
    stack.pop();
    done.add(file);
  };
  for (const file of [...edges.keys()].sort()) if (!seen.has(file)) visit(file);
  return cycles;
}

/**
 * Everything wrong with the layering of `files` (path relative to src/ →
 * text): references to files that do not exist, stages missing from
 * `ranks`, imports of a later stage or of another stage of the same rank,
 * and import cycles.  Empty when the layering holds.
 */
function layeringProblems(files: ReadonlyMap<string, string>, ranks: readonly (readonly string[])[]): string[] {
  const rank = new Map(ranks.flatMap((stages, index) => stages.map((stage) => [stage, index] as const)));
  const problems: string[] = [];
  for (const stage of new Set([...files.keys()].map(stageOf))) {
    if (!rank.has(stage)) problems.push(`${stage} is in no rank of the table: give it its place in the pipeline`);
  }
  const edges = new Map<string, string[]>();
  for (const [path, text] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    edges.set(path, []);
    for (const { line, to } of scanReferences(path, text)) {
      const where = `${path}:${line}`;
      if (!files.has(to)) {
        problems.push(`${where} refers to ${to}, which is not a file of src/`);
        continue;
      }
      edges.get(path)!.push(to);
      const [fromStage, toStage] = [stageOf(path), stageOf(to)];
      const [fromRank, toRank] = [rank.get(fromStage), rank.get(toStage)];
      if (fromStage === toStage || fromRank === undefined || toRank === undefined || toRank < fromRank) continue;
      problems.push(
        toRank === fromRank
          ? `${where} imports ${to}: ${fromStage} and ${toStage} are both of rank ${fromRank}, and neither may import the other`
          : `${where} imports ${to}: ${fromStage} (rank ${fromRank}) may not import from ${toStage} (rank ${toRank}), a later stage of the pipeline`,
      );
    }
  }
  for (const cycle of findCycles(edges)) problems.push(`import cycle: ${cycle.join(" → ")}`);
  return problems;
}

test("src/: every import goes to the same stage or an earlier one, and no import cycle exists", () => {
  const src = join(REPO_ROOT, "src");
  assert.ok(existsSync(src), `${src} exists`);
  const files = sourceFiles(src);
  assert.ok(files.size > 50, `${files.size} source files found`);
  const problems = layeringProblems(files, RANKS);
  assert.deepEqual(problems, [], `the layering of src/ is broken:\n${problems.join("\n")}`);
});

test("the scanner sees every kind of reference between src/ files", () => {
  const references = scanReferences(
    "image/a.ts",
    [
      `import { x } from "../tar/header.ts";`,
      `import type { Y } from "./types.ts";`,
      `import {`,
      `  one,`,
      `  type Two,`,
      `} from "../py/value.ts";`,
      `export { z } from "./z.ts";`,
      `export type { W } from "./w.ts";`,
      `import "./side-effect.ts";`,
      `const later = await import("../cli/run.ts");`,
      `const worker = new URL("./a-worker.js", import.meta.url);`,
      `/** import { no } from "./in-a-comment.ts"; */`,
      `// import { no } from "./in-a-comment.ts";`,
      `import { readFileSync } from "node:fs";`,
    ].join("\n"),
  );
  assert.deepEqual(
    references.map(({ line, to }) => `${line} ${to}`),
    ["1 tar/header.ts", "2 image/types.ts", "3 py/value.ts", "7 image/z.ts", "8 image/w.ts", "9 image/side-effect.ts", "10 cli/run.ts", "11 image/a-worker.ts"],
  );
});

test("the check reports an import of a later stage, an import between stages of one rank, and a cycle with its path", () => {
  const files = new Map([
    ["tar/header.ts", `import type { ImageLayer } from "../image/types.ts";\nexport const header = 1;\n`],
    ["image/types.ts", `import { header } from "../tar/header.ts";\nexport interface ImageLayer {}\n`],
    ["image/a.ts", `import { b } from "./b.ts";\nexport const a = 1;\n`],
    ["image/b.ts", `export const b = 2;\nconst worker = new URL("./c.js", import.meta.url);\n`],
    ["image/c.ts", `import {\n  a,\n} from "./a.ts";\n`],
    ["publish/push.ts", `import { verify } from "../audit/verify.ts";\n`],
    ["audit/verify.ts", `export const verify = 0;\nconst lazy = import("./missing.ts");\n`],
  ]);
  assert.deepEqual(layeringProblems(files, RANKS), [
    "audit/verify.ts:2 refers to audit/missing.ts, which is not a file of src/",
    "publish/push.ts:1 imports audit/verify.ts: publish and audit are both of rank 12, and neither may import the other",
    "tar/header.ts:1 imports image/types.ts: tar (rank 2) may not import from image (rank 9), a later stage of the pipeline",
    "import cycle: image/a.ts → image/b.ts → image/c.ts → image/a.ts",
    "import cycle: image/types.ts → tar/header.ts → image/types.ts",
  ]);
  assert.deepEqual(layeringProblems(new Map([["extra/x.ts", ""]]), RANKS), ["extra is in no rank of the table: give it its place in the pipeline"]);
});
