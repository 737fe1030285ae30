/**
 * The build's last step, after `tsc -p tsconfig.json`: dist/package.json
 * (`"type": "module"`, so a dist/ copied alone still loads as ES modules),
 * and the relative specifiers of the declaration files written as `.js`.
 * The sources import `./x.ts` (rewriteRelativeImportExtensions); tsc
 * rewrites that in the .js it emits but not in the .d.ts, which would then
 * name files that dist/ does not hold.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const DIST = "dist";
writeFileSync(join(DIST, "package.json"), JSON.stringify({ type: "module" }) + "\n");

const RELATIVE_TS = /((?:\bfrom|\bimport)\s*\(?\s*)(["'])(\.\.?\/[^"']*)\.ts\2/g;
for (const name of readdirSync(DIST, { recursive: true, encoding: "utf8" })) {
  if (!name.endsWith(".d.ts")) continue;
  const file = join(DIST, name);
  const text = readFileSync(file, "utf8");
  const fixed = text.replace(RELATIVE_TS, (_, lead, quote, path) => `${lead}${quote}${path}.js${quote}`);
  if (fixed !== text) writeFileSync(file, fixed);
}
