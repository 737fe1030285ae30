/**
 * `diff --json`: the ImageDiff as one JSON document for machines, its
 * shape stable (keys always present, in this order):
 *
 *   { "same": bool, "a": name, "b": name,
 *     "options": {"ignoreTimestamps", "ignoreOwners", "ignoreHistory": bool},
 *     "config": [{"path", "kind": "changed"|"added"|"removed",
 *                 "a": JSON text|null, "b": JSON text|null,
 *                 "layer": index|null (set for rootfs.diff_ids[i]; not counted)}],
 *     "layerCount": [A, B],
 *     "layers": [{"index", "indexes": [in A|null, in B|null] (layers matched by diff_id first),
 *                 "status": "same"|"equivalent"|"differs"|"added"|"removed",
 *                 "counted": bool (whether it makes the images differ),
 *                 "opened": bool, "labels": [A|null, B|null], "diffIds": [A|null, B|null],
 *                 "members": [A, B] (read; 0 when not opened),
 *                 "changed": [{"name", "fields": {field: [A, B]}}],
 *                 "added": [member], "removed": [member], "notes": [text]}] }
 *
 * A member is {"name", "type", "fields": {field: value}}.  Fields: name,
 * type, mode, uid, gid, uname, gname, mtime, size, content (sha256 hex or
 * null), linkname, devmajor, devminor, and `pax.<keyword>` for PAX records
 * not folded into those.  Numbers beyond 2^53 are decimal strings; config
 * values are JSON text so that big ints and floats stay as written.
 */
import { layerDiffers } from "./image-diff.ts";
import type { DiffOptions, FieldValue, ImageDiff, LayerDiff, MemberSummary } from "./diff-types.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function member(summary: MemberSummary): Json {
  return { name: summary.name, type: summary.type, fields: Object.fromEntries(summary.fields) };
}

function layer(layer: LayerDiff, options: DiffOptions): Json {
  const orNull = (value: string | undefined): Json => value ?? null;
  return {
    index: layer.index,
    indexes: (layer.indexes ?? [layer.index, layer.index]).map((index) => index ?? null),
    status: layer.status,
    counted: layerDiffers(layer, options),
    opened: layer.opened,
    labels: layer.labels.map(orNull),
    diffIds: layer.diffIds.map(orNull),
    members: [...layer.members],
    changed: layer.changed.map((change) => ({ name: change.name, fields: Object.fromEntries([...change.fields].map(([field, pair]) => [field, [...pair] as FieldValue[]])) })),
    added: layer.added.map(member),
    removed: layer.removed.map(member),
    notes: [...layer.notes],
  };
}

/** The document as a plain value (JSON.stringify-able). */
export function imageDiffJson(diff: ImageDiff): Json {
  const { options } = diff;
  return {
    same: diff.same,
    a: diff.names[0],
    b: diff.names[1],
    options: { ignoreTimestamps: options.ignoreTimestamps === true, ignoreOwners: options.ignoreOwners === true, ignoreHistory: options.ignoreHistory === true },
    config: diff.config.map((difference) => ({ path: difference.path, kind: difference.kind, a: difference.a ?? null, b: difference.b ?? null, layer: difference.layer ?? null })),
    layerCount: [...diff.layerCounts],
    layers: diff.layers.map((each) => layer(each, diff.options)),
  };
}

/** `--json`'s output: the document, indented, with a final newline. */
export function formatImageDiffJson(diff: ImageDiff): string {
  return `${JSON.stringify(imageDiffJson(diff), null, 2)}\n`;
}
