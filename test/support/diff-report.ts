/**
 * The one place that knows the shape of `diff --json` and the command lines
 * of verify and diff on a published form, for test/published-matrix.test.ts:
 * the lead adjusts these to the final CLI and JSON, the matrix stays as it
 * is.  The expected side (image-variants.ts's ExpectedDifferences) says
 * what the conf produces against the published image; a diff's report is
 * brought to the same terms here.
 */
import type { ExpectedDifferences } from "./image-variants.ts";
import type { PublishedForm } from "./published-images.ts";

/** A report and an expectation in the same terms, members and fields sorted. */
export interface NormalisedDiff {
  readonly same: boolean;
  readonly layers: readonly { index: number; status: "changed" | "only-in-conf"; members: readonly { name: string; fields: readonly string[] }[] }[];
  /** JSON paths of the config keys that differ, as the report spells them. */
  readonly config: readonly string[];
}

/**
 * Options an image needs on the command line: none so far, on the
 * assumption that verify and diff, like push, speak plain HTTP to a
 * loopback registry without being told (form.registry says which are).
 */
function imageOptions(form: PublishedForm): string[] {
  void form;
  return [];
}

export function verifyArgs(form: PublishedForm, conf: string, root: string): string[] {
  return ["verify", "--root", root, ...imageOptions(form), conf, form.image];
}

/** `diff CONF IMAGE`: A is what the conf produces, B the published image. */
export function diffConfArgs(form: PublishedForm, conf: string, root: string): string[] {
  return ["diff", "--json", "--root", root, ...imageOptions(form), conf, form.image];
}

/** `diff IMAGE-A IMAGE-B`. */
export function diffImagesArgs(a: PublishedForm, b: PublishedForm): string[] {
  return ["diff", "--json", ...imageOptions(a), ...imageOptions(b), a.image, b.image];
}

/**
 * A layer the conf has and the image lacks is, in a diff of A (the conf)
 * against B (the image), one that B removed.
 */
const ONLY_IN_A = "removed";

/** The report's field names where they are not ours (layer-members.ts's: header field names, "content" for the data). */
const FIELD_NAMES: Readonly<Record<string, string>> = { sha256: "content", data: "content", contents: "content" };

interface ReportLayer {
  index: number;
  status: string;
  changed?: { name: string; fields: Record<string, unknown> }[];
}

interface Report {
  same: boolean;
  config?: { path: string }[];
  layers?: ReportLayer[];
}

/** `diff --json`'s output in the expectation's terms. */
export function normaliseReport(json: string): NormalisedDiff {
  const report = JSON.parse(json) as Report;
  return {
    same: report.same,
    config: (report.config ?? []).map((c) => c.path),
    layers: (report.layers ?? [])
      .filter((l) => l.status !== "same")
      .map((l) => ({
        index: l.index,
        status: l.status === ONLY_IN_A ? ("only-in-conf" as const) : ("changed" as const),
        // A layer only on one side: its members are all new, which the expectation does not list.
        members: l.status === ONLY_IN_A ? [] : sortedMembers((l.changed ?? []).map((m) => ({ name: m.name, fields: Object.keys(m.fields).map((f) => FIELD_NAMES[f] ?? f) }))),
      })),
  };
}

function sortedMembers(members: readonly { name: string; fields: readonly string[] }[]): { name: string; fields: string[] }[] {
  return members.map((m) => ({ name: m.name, fields: [...m.fields].sort() })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The expectation in the same terms (config paths are compared by prefix: see configMatches). */
export function normaliseExpected(expected: ExpectedDifferences): Omit<NormalisedDiff, "config"> {
  // The report names members as tarfile does: a directory without its trailing "/".
  const asTarfileNames = (members: ExpectedDifferences["layers"][number]["members"]) => members.map((m) => ({ ...m, name: m.name.replace(/(.)\/$/, "$1") }));
  return { same: false, layers: expected.layers.map((l) => ({ index: l.index, status: l.status, members: sortedMembers(asTarfileNames(l.members)) })) };
}

/**
 * Whether the reported config paths are exactly the expected keys: each
 * reported path lies below an expected prefix, and each prefix is reported
 * (how an array's change is itemised, "rootfs.diff_ids[2]" or a whole
 * "rootfs.diff_ids", is the report's business).
 */
export function configMatches(reported: readonly string[], prefixes: readonly string[]): boolean {
  const below = (path: string, prefix: string): boolean => {
    const key = path.replace(/^\$?\.?/, "");
    return key === prefix || key.startsWith(`${prefix}.`) || key.startsWith(`${prefix}[`);
  };
  return reported.every((path) => prefixes.some((prefix) => below(path, prefix))) && prefixes.every((prefix) => reported.some((path) => below(path, prefix)));
}
