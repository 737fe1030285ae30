/**
 * `diff`'s report for people: a verdict line with the counts, then the
 * config's differences, then each layer with its changed, added and
 * removed members and, for a changed one, every field that differs.
 */
import { countedConfig, layerDiffers } from "./image-diff.ts";
import type { ConfigDifference, DiffOptions, FieldValue, ImageDiff, LayerDiff, MemberChange, MemberSummary } from "./diff-types.ts";

const MAX_VALUE = 120;

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A name as is, or quoted when it holds spaces, controls or quotes. */
function showName(name: string): string {
  // With the u flag the surrogate range matches lone surrogates only (a surrogateescaped byte).
  return /^[^\x00-\x20\x7f"\\\ud800-\udfff]+$/u.test(name) ? name : JSON.stringify(name);
}

function clip(text: string): string {
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}…` : text;
}

function showField(field: string, value: FieldValue): string {
  if (value === null) return "(none)";
  if (field === "mode" && typeof value === "number") return `0o${value.toString(8)}`;
  if (field === "content" && typeof value === "string") return `${value.slice(0, 16)}…`;
  return typeof value === "string" && field !== "type" ? clip(JSON.stringify(value)) : String(value);
}

function fieldLabel(field: string): string {
  if (field === "content") return "content sha256";
  return field.startsWith("pax.") ? `PAX ${field.slice(4)}` : field;
}

function changeLine(change: MemberChange): string {
  const fields = [...change.fields].map(([field, [a, b]]) => `${fieldLabel(field)} ${showField(field, a)} → ${showField(field, b)}`);
  return `  changed ${showName(change.name)}: ${fields.join(", ")}`;
}

function memberLine(verb: "added  " | "removed", member: MemberSummary): string {
  const link = member.fields.get("linkname");
  const target = member.type === "symlink" || member.type === "hardlink" ? ` → ${showName(String(link))}` : "";
  return `  ${verb} ${showName(member.name)} (${member.type}${target})`;
}

/** A config difference as one report line (verify prints them too). */
export function configLine(difference: ConfigDifference): string {
  const show = (text: string | undefined) => clip(text ?? "");
  const path = difference.layer === undefined ? difference.path : `${difference.path} (diff_id of layer ${difference.layer})`;
  if (difference.kind === "added") return `  added ${path}: ${show(difference.b)}`;
  if (difference.kind === "removed") return `  removed ${path}: ${show(difference.a)}`;
  return `  ${path}: ${show(difference.a)} → ${show(difference.b)}`;
}

function layerName(layer: LayerDiff): string {
  const [a, b] = layer.labels;
  const labels = a === b || b === undefined ? a : a === undefined ? b : `${a} / ${b}`;
  const [ia, ib] = layer.indexes ?? [layer.index, layer.index];
  // An added or removed layer shifts the others: say where each side has it.
  const where = ia !== undefined && ib !== undefined && ia !== ib ? ` (B's layer ${ib})` : ia === undefined ? " of B" : ib === undefined ? " of A" : "";
  return `layer ${layer.index}${where}${labels === undefined || labels === `layer ${layer.index}` ? "" : ` (${labels})`}`;
}

function ids(layer: LayerDiff): string {
  const [a, b] = layer.diffIds;
  return a === b ? `diff_id ${a}` : `diff_id ${a ?? "(none)"} → ${b ?? "(none)"}`;
}

function layerHead(layer: LayerDiff, diff: ImageDiff): string {
  const name = layerName(layer);
  const counts = `${layer.changed.length} changed, ${layer.added.length} added, ${layer.removed.length} removed`;
  switch (layer.status) {
    case "same":
      return `${name}: same (${ids(layer)})`;
    case "equivalent":
      return `${name}: equivalent (members equal${ignoring(diff.options)}; the bytes differ: ${ids(layer)})`;
    case "added":
      return `${name}: only in ${diff.names[1]}, ${plural(layer.added.length, "member")}`;
    case "removed":
      return `${name}: only in ${diff.names[0]}, ${plural(layer.removed.length, "member")}`;
    case "differs":
      return `${name}: ${counts}`;
  }
}

function layerLines(layer: LayerDiff, diff: ImageDiff): string[] {
  const lines = [layerHead(layer, diff)];
  lines.push(...layer.changed.map(changeLine));
  lines.push(...layer.added.map((member) => memberLine("added  ", member)));
  lines.push(...layer.removed.map((member) => memberLine("removed", member)));
  lines.push(...layer.notes.map((note) => `  note: ${note}`));
  return lines;
}

function ignoring(options: DiffOptions): string {
  const ignored = [options.ignoreTimestamps && "timestamps", options.ignoreOwners && "owners", options.ignoreHistory && "history"].filter(Boolean);
  return ignored.length === 0 ? "" : `, ignoring ${ignored.join(", ")}`;
}

/** The verdict line's counts. */
function summary(diff: ImageDiff): string {
  const parts: string[] = [];
  const config = countedConfig(diff.config).length;
  if (config > 0) parts.push(plural(config, "config difference"));
  const [na, nb] = diff.layerCounts;
  if (na !== nb) parts.push(`layer count ${na} → ${nb}`);
  const differing = diff.layers.filter((layer) => layerDiffers(layer, diff.options));
  if (differing.length > 0) {
    const total = (pick: (layer: LayerDiff) => number) => differing.reduce((sum, layer) => sum + pick(layer), 0);
    const members = `${plural(total((l) => l.changed.length), "member")} changed, ${total((l) => l.added.length)} added, ${total((l) => l.removed.length)} removed`;
    parts.push(`${differing.length} ${differing.length === 1 ? "layer" : "layers"} of ${diff.layers.length} ${differing.length === 1 ? "differs" : "differ"}: ${members}`);
  }
  return parts.join(", ");
}

/** The report as text (ends with a newline). */
export function formatImageDiff(diff: ImageDiff): string {
  const [a, b] = diff.names;
  if (diff.same) {
    const equivalent = diff.layers.filter((layer) => layer.status === "equivalent").length;
    const other = equivalent === 0 ? "" : `, ${equivalent} equivalent: same members, other bytes`;
    return `same: ${a} and ${b} (config and ${plural(diff.layers.length, "layer")}${other}${ignoring(diff.options)})\n`;
  }
  const lines = [`differs: ${a} and ${b} (${summary(diff)}${ignoring(diff.options)})`];
  if (diff.config.length > 0) lines.push("config:", ...diff.config.map(configLine));
  for (const layer of diff.layers) lines.push(...layerLines(layer, diff));
  return `${lines.join("\n")}\n`;
}
