/** The `verify` report as text: a verdict line, then where and what, then which oracle (generation × CPython) matches. */
import type { VerifyResult } from "./verify.ts";

export function formatVerifyResult(result: VerifyResult, imageName: string, confName: string): string {
  const under = `--generation ${result.generation} --python ${result.python}`;
  if (result.identical) return `identical: ${imageName} is what ${confName} produces with ${under} (image id ${result.imageId})\n`;
  const d = result.difference!;
  const lines = [
    `differs: ${imageName} is not what ${confName} produces with ${under} (image id ${result.imageId})`,
    `first difference at byte ${d.offset} of ${imageName}:`,
    `  entry:    ${d.outer}`,
  ];
  if (d.inner !== undefined) lines.push(`  inside:   ${d.inner}`);
  lines.push(`  what:     ${d.field}`, `  expected: ${d.expected}`, `  found:    ${d.found}`);
  for (const note of d.notes) lines.push(`  note:     ${note}`);
  lines.push(...oracleLines(result, imageName));
  return `${lines.join("\n")}\n`;
}

function oracleLines(result: VerifyResult, imageName: string): string[] {
  if (result.imageConfig === undefined) return [`oracles: ${imageName}'s config entry could not be found, so no oracle can be matched`];
  const config = result.imageConfig;
  if (result.matchingGeneration === result.generation && result.matchingProfiles.includes(result.python)) {
    return [`oracles: ${imageName}'s config ${config} is the one this conf gives with --generation ${result.generation} --python ${result.python}: ${imageName} was altered after it was written (its content no longer matches its digests)`];
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
