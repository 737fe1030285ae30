/**
 * The `verify` report for a published image: the verdict line, then what
 * proved it, in words (the config alone, or every layer fetched), or what
 * differs: the config's JSON paths, each fetched layer's first differing
 * member and field, the layers that were not downloaded and why.
 */
import type { LayerVerdict, PublishedVerifyResult } from "./verify-published.ts";
import { configLine } from "./diff-report.ts";
import { verdictLine } from "./format.ts";

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

function listIndexes(verdicts: readonly LayerVerdict[]): string {
  return verdicts.map((verdict) => verdict.index).join(", ");
}

function provedLines(result: PublishedVerifyResult): string[] {
  const count = result.layers.length;
  const config = result.configConverted
    ? [
        `  proved by: its config ${result.image.config.digest} has the values of the one the conf gives,`,
        `             written again by another tool (key order, spacing, times as "Z"),`,
      ]
    : [`  proved by: its config ${result.image.config.digest} is the image id the conf gives`];
  if (result.layersFetched === 0) {
    return [...config, `             and lists the history and the diff_ids of all ${plural(count, "layer")}: ${plural(count, "layer")} not downloaded`];
  }
  return [...config, `             and all ${plural(count, "layer")} fetched: each blob has the manifest's digest and each content the config's diff_id`];
}

function contextLines(result: PublishedVerifyResult, verbose: boolean): string[] {
  const lines: string[] = [];
  if (result.image.platform !== undefined) lines.push(`  platform:  ${result.image.platform} (chosen from the index)`);
  if (result.image.manifest !== undefined) lines.push(`  manifest:  ${result.image.manifest.digest} (${result.image.manifest.mediaType})`);
  if (verbose) lines.push(`  read:      ${result.bytesRead} bytes from where the image is, ${plural(result.layersFetched, "layer")} fetched`);
  return lines;
}

function configLines(result: PublishedVerifyResult): string[] {
  if (result.image.config.digest === result.imageId) return [`config: the image id the conf gives (${result.imageId})`];
  const head = `config: the image's is ${result.image.config.digest}, not the image id the conf gives`;
  if (result.configDifferences.length === 0) return [`${head}; its JSON is the same, written with other bytes`];
  return [`${head}; its JSON differs at ${plural(result.configDifferences.length, "path")} (the conf's → the image's):`, ...result.configDifferences.map(configLine)];
}

function layerLines(verdict: LayerVerdict, expectedCount: number): string[] {
  const where = verdict.location === undefined ? "" : ` (${verdict.location})`;
  if (verdict.status === "extra") return [`layer ${verdict.index}${where}: one more than the ${plural(expectedCount, "layer")} the conf gives (diff_id ${verdict.foundDiffId})`];
  if (verdict.status === "missing") return [`layer ${verdict.index}: the conf gives it (diff_id ${verdict.expectedDiffId}), the image has no such layer`];
  const d = verdict.difference!;
  const lines = [`layer ${verdict.index}${where}: its diff_id is ${verdict.foundDiffId}, the conf gives ${verdict.expectedDiffId}; the first difference:`];
  if (d.inner !== undefined) lines.push(`  inside:   ${d.inner}`);
  lines.push(`  what:     ${d.field}`, `  expected: ${d.expected}`, `  found:    ${d.found}`);
  for (const note of d.notes ?? []) lines.push(`  note:     ${note}`);
  return lines;
}

export function formatPublishedResult(result: PublishedVerifyResult, confName: string, verbose = false): string {
  const name = result.image.name;
  const expectedCount = result.layers.filter((verdict) => verdict.expectedDiffId !== undefined).length;
  if (result.identical) {
    return [verdictLine(true, name, confName, result), ...provedLines(result), ...contextLines(result, verbose)].join("\n") + "\n";
  }
  const lines = [verdictLine(false, name, confName, result), ...contextLines(result, verbose), ...configLines(result)];
  const shown = result.layers.filter((verdict) => verdict.status !== "not fetched" && verdict.status !== "same");
  for (const verdict of shown) lines.push(...layerLines(verdict, expectedCount));
  const notFetched = result.layers.filter((verdict) => verdict.status === "not fetched");
  if (notFetched.length > 0) lines.push(`${notFetched.length === 1 ? "layer" : "layers"} ${listIndexes(notFetched)}: not downloaded (the diff_id is the conf's)`);
  const same = result.layers.filter((verdict) => verdict.status === "same");
  if (same.length > 0) lines.push(`${same.length === 1 ? "layer" : "layers"} ${listIndexes(same)}: fetched, the conf's (blob digest and diff_id check out)`);
  return `${lines.join("\n")}\n`;
}
