/** The `verify` report as text: a verdict line, then where and what, then which oracle (generation × CPython) matches. */
import type { VerifyResult } from "./verify.ts";

/** What verify learnt beyond the byte comparison of a plain path. */
export interface PlainImageFacts {
  /** Read again as a docker-archive, IMAGE holds CONF's config and every layer's content has its diff_id (undefined: not looked at, stdin). */
  readonly contentMatches?: boolean | undefined;
  /** IMAGE's file, to name in `docker-archive:FILE` (undefined for stdin). */
  readonly file?: string | undefined;
}

export function formatVerifyResult(result: VerifyResult, imageName: string, confName: string, facts: PlainImageFacts = {}): string {
  if (result.identical) return `${verdictLine(true, imageName, confName, result)}\n`;
  const d = result.difference!;
  const lines = [
    verdictLine(false, imageName, confName, result),
    `first difference at byte ${d.offset} of ${imageName}:`,
    `  entry:    ${d.outer}`,
  ];
  if (d.inner !== undefined) lines.push(`  inside:   ${d.inner}`);
  lines.push(`  what:     ${d.field}`, `  expected: ${d.expected}`, `  found:    ${d.found}`);
  for (const note of d.notes) lines.push(`  note:     ${note}`);
  lines.push(...(facts.contentMatches === true ? contentLines(result, imageName, facts.file!) : oracleLines(result, imageName, facts)));
  return `${lines.join("\n")}\n`;
}

/** The bytes differ, the content is CONF's: another tool wrote the archive. */
function contentLines(result: VerifyResult, imageName: string, file: string): string[] {
  return [
    `content: ${imageName} holds what this conf gives with ${oracleFlags(result)}, written by another tool: its config is the image id ${result.imageId}`,
    `         and every layer's content has its diff_id; only the archive's bytes differ.`,
    `         Verify its content with: verify CONF docker-archive:${file}`,
  ];
}

/** The options that name the oracle verified against: `--generation 2020 --python 3.13`. */
function oracleFlags(result: Pick<VerifyResult, "generation" | "python">): string {
  return `--generation ${result.generation} --python ${result.python}`;
}

/** verify's first line, for a tarball and a published image alike: `identical: …` or `differs: …`. */
export function verdictLine(identical: boolean, imageName: string, confName: string, result: Pick<VerifyResult, "generation" | "python" | "imageId">): string {
  return `${identical ? "identical" : "differs"}: ${imageName} ${identical ? "is" : "is not"} what ${confName} produces with ${oracleFlags(result)} (image id ${result.imageId})`;
}

function oracleLines(result: VerifyResult, imageName: string, facts: PlainImageFacts): string[] {
  if (result.imageConfig === undefined) return [`oracles: ${imageName}'s config entry could not be found, so no oracle can be matched`];
  const config = result.imageConfig;
  if (result.matchingGeneration === result.generation && result.matchingProfiles.includes(result.python)) {
    const why =
      facts.contentMatches === false
        ? `${imageName} was altered after it was written (read as a docker-archive, its content no longer matches its digests)`
        : `either ${imageName} was altered after it was written, or another tool wrote this content: save it to a file and verify docker-archive:FILE to tell`;
    return [`oracles: ${imageName}'s config ${config} is the one this conf gives with ${oracleFlags(result)}: ${why}`];
  }
  const lines: string[] = [];
  if (result.matchingProfiles.length > 0) {
    lines.push(`oracles: ${imageName} matches what --generation ${result.matchingGeneration} --python ${result.matchingProfiles.join(", ")} produces (config ${config})`);
  } else {
    lines.push(`oracles: no --generation × --python oracle produces ${imageName}'s config ${config}`);
  }
  for (const outcome of result.oracles ?? []) {
    lines.push(`  --generation ${outcome.generation} --python ${outcome.versions.join(", ")}: ${outcome.config !== undefined ? `config ${outcome.config}` : `rejects the conf: ${outcome.error}`}`);
  }
  return lines;
}
