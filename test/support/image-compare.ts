/**
 * Comparing a reference run with ours for the differential tests: exit
 * status, the first difference in the image (outer member, then inside the
 * nested layer tarball or JSON), and the first differing stderr line.
 */
import { diffTar, formatTarDifference } from "../../src/tar/diff.ts";
import { parseTarLayout, type TarMember } from "../../src/tar/inspect.ts";
import { fsDecode } from "../../src/py/fsname.ts";
import type { ProcessResult } from "./reference.ts";

function memberName(member: TarMember): string {
  return fsDecode(member.name);
}

/** Where two UTF-8 JSON documents first differ, with some context from each. */
function textDifference(expected: Buffer, actual: Buffer): string {
  const a = expected.toString("utf8");
  const b = actual.toString("utf8");
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - 60);
  return `first differing character ${i}: expected ${JSON.stringify(a.slice(from, i + 60))}, got ${JSON.stringify(b.slice(from, i + 60))}`;
}

/**
 * The first difference between two images: the outer member/field, and
 * for a layer member the first difference inside the nested layer tarball
 * (its name holds its sha256, so the outer diff lands on the name), for a
 * JSON member the first differing character.
 */
function describeImageDifference(expected: Buffer, actual: Buffer): string | undefined {
  const outer = diffTar(expected, actual);
  if (outer === undefined) return undefined;
  let report = `outer image: ${formatTarDifference(outer)}`;
  try {
    const expectedMembers = parseTarLayout(expected).members;
    const actualMembers = parseTarLayout(actual).members;
    const ours = expectedMembers.find((m) => outer.offset < m.end);
    const theirs = ours === undefined ? undefined : actualMembers[ours.index];
    if (ours === undefined || theirs === undefined) return report;
    const expectedData = expected.subarray(ours.dataOffset, ours.dataOffset + ours.dataSize);
    const actualData = actual.subarray(theirs.dataOffset, theirs.dataOffset + theirs.dataSize);
    const label = `member ${ours.index} (expected ${JSON.stringify(memberName(ours))}, got ${JSON.stringify(memberName(theirs))})`;
    if (memberName(ours).endsWith("/layer.tar") && memberName(theirs).endsWith("/layer.tar")) {
      const inner = diffTar(expectedData, actualData);
      report += inner === undefined ? `\n  ${label}: nested layer bytes are identical` : `\n  inside layer ${label}: ${formatTarDifference(inner)}`;
    } else if (memberName(ours).endsWith(".json")) {
      report += expectedData.equals(actualData) ? `\n  ${label}: JSON content identical` : `\n  JSON ${label}: ${textDifference(expectedData, actualData)}`;
    }
  } catch (error) {
    report += `\n  (could not look inside: ${(error as Error).message})`;
  }
  return report;
}

function firstLineDifference(expected: string, actual: string): string {
  const a = expected.split("\n");
  const b = actual.split("\n");
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `stderr line ${i + 1}: expected ${JSON.stringify(a[i] ?? "<end>")}, got ${JSON.stringify(b[i] ?? "<end>")}`;
}

/** Everything wrong with one (conf, profile) pair, or an empty list. */
export function compare(reference: ProcessResult, ours: ProcessResult): string[] {
  const problems: string[] = [];
  if (reference.status !== 0) {
    problems.push(`the reference exited with ${reference.status} (the generator made an invalid conf?): ${reference.stderr.trim().split("\n").slice(-3).join(" | ")}`);
  }
  if (ours.status !== 0) problems.push(`our CLI exited with ${ours.status}: ${ours.stderr.trim().split("\n").slice(-3).join(" | ")}`);
  if (reference.status === 0 && ours.status === 0) {
    const difference = describeImageDifference(reference.stdout, ours.stdout);
    if (difference !== undefined) problems.push(difference);
  }
  if (reference.stderr !== ours.stderr) problems.push(firstLineDifference(reference.stderr, ours.stderr));
  return problems;
}
