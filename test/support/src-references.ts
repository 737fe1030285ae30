/**
 * The relative references between the files of src/, as a scanner reads
 * them from the text: the layering test checks their direction, the test
 * hooks test what the shipped entries reach.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";

/** One reference from a file to another, as the scanner found it. */
export interface Reference {
  readonly from: string;
  readonly line: number;
  /** The file it names, relative to src/ (a worker's .js name already turned into its .ts source). */
  readonly to: string;
}

/** `from "…"` of an import or export statement (which may span lines), a bare `import "…"`, `import("…")`, a worker's URL. */
const REFERENCE_PATTERNS = [
  /^[ \t]*(?:import|export)\b[^;]*?\bfrom\s*(["'])(\.[^"']*)\1/gm,
  /^[ \t]*import\s*(["'])(\.[^"']*)\1/gm,
  /\bimport\(\s*(["'])(\.[^"']*)\1\s*\)/g,
  /\bnew URL\(\s*(["'])(\.[^"']*)\1\s*,\s*import\.meta\.url\s*\)/g,
];

/** The relative references of one file (`path` relative to src/, with "/"); comment lines are not read. */
export function scanReferences(path: string, text: string): Reference[] {
  // Blank out comment lines, keeping the line numbers.
  const code = text.replace(/^[ \t]*(\/\/|\/\*|\*).*$/gm, "");
  const found: Reference[] = [];
  for (const pattern of REFERENCE_PATTERNS) {
    for (const match of code.matchAll(pattern)) {
      const specifier = match[2]!;
      const line = code.slice(0, match.index).split("\n").length;
      found.push({ from: path, line, to: posix.normalize(posix.join(posix.dirname(path), specifier.replace(/\.js$/, ".ts"))) });
    }
  }
  return found.sort((a, b) => a.line - b.line);
}

/** Every .ts file under `dir`, by its path relative to it (with "/"). */
export function sourceFiles(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    if (name.endsWith(".ts")) files.set(name.split("\\").join("/"), readFileSync(join(dir, name), "utf8"));
  }
  return files;
}

/** The files `entries` reach through their references, the entries included (paths relative to src/). */
export function reachableFiles(files: ReadonlyMap<string, string>, entries: readonly string[]): Set<string> {
  const reached = new Set<string>();
  const visit = (path: string): void => {
    if (reached.has(path) || !files.has(path)) return;
    reached.add(path);
    for (const { to } of scanReferences(path, files.get(path)!)) visit(to);
  };
  for (const entry of entries) visit(entry);
  return reached;
}
