/**
 * One layer index of two images compared: not opened when both configs
 * give the same diff_id (same bytes); otherwise both tar streams read in
 * step, a member from each side at a time (member-pairing.ts), so memory
 * does not grow with the layer.  A layer only one side has lists its
 * members as added or removed.
 */
import { DiffInputError } from "./diff-errors.ts";
import { LayerMemberReader } from "./layer-members.ts";
import { MemberPairing } from "./member-pairing.ts";
import type { DiffLayer, DiffOptions, LayerDiff, MemberSummary } from "./diff-types.ts";

/** A side's layer at one index and the image's name. */
export interface LayerInput {
  readonly side: string;
  readonly layer: DiffLayer | undefined;
}

function open(input: LayerInput & { layer: DiffLayer }): LayerMemberReader {
  let stream;
  try {
    stream = input.layer.open();
  } catch (error) {
    throw new DiffInputError(input.side, input.layer.label, `cannot open it: ${(error as Error).message}`, { cause: error });
  }
  return new LayerMemberReader(stream, input.side, input.layer.label);
}

/** Waits for every promise, then fails with the first failure: neither side is left reading. */
async function settled<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result) => result.status === "rejected");
  if (failed !== undefined) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<T>).value);
}

/** A note when a config's diff_id is not the digest of the bytes read. */
function idNote(input: LayerInput, digest: string): string[] {
  const claimed = input.layer?.diffId;
  return claimed === undefined || claimed === digest ? [] : [`${input.side}'s config gives diff_id ${claimed}, but the layer's bytes hash to ${digest}`];
}

/** Reads both layers in step and pairs their members. */
async function compareStreams(index: number, a: LayerInput & { layer: DiffLayer }, b: LayerInput & { layer: DiffLayer }, options: DiffOptions): Promise<LayerDiff> {
  const readers = [open(a)];
  try {
    readers.push(open(b));
    const pairing = new MemberPairing(options);
    const counts: [number, number] = [0, 0];
    for (;;) {
      const [x, y] = await settled(readers.map((reader) => reader.next()));
      if (x === undefined && y === undefined) break;
      if (x !== undefined) counts[0]++;
      if (y !== undefined) counts[1]++;
      pairing.step(x, y);
    }
    const [da, db] = (await settled(readers.map((reader) => reader.finish()))) as [string, string];
    const changed = pairing.changed;
    const added = pairing.added();
    const removed = pairing.removed();
    const differs = changed.length > 0 || added.length > 0 || removed.length > 0;
    const status = differs ? "differs" : da === db ? "same" : "equivalent";
    const labels = [a.layer.label, b.layer.label] as const;
    const notes = [...idNote(a, da), ...idNote(b, db)];
    return { index, status, opened: true, labels, diffIds: [da, db], changed, added, removed, members: counts, peakPending: pairing.peakPending, notes };
  } catch (error) {
    for (const reader of readers) reader.close();
    throw error;
  }
}

/** Every member of a layer only one side has. */
async function listOnly(index: number, input: LayerInput & { layer: DiffLayer }, inA: boolean): Promise<LayerDiff> {
  const reader = open(input);
  const members: MemberSummary[] = [];
  try {
    for (let member = await reader.next(); member !== undefined; member = await reader.next()) members.push(member);
    const digest = await reader.finish();
    const label = input.layer.label;
    return {
      index,
      status: inA ? "removed" : "added",
      opened: true,
      labels: inA ? [label, undefined] : [undefined, label],
      diffIds: inA ? [digest, undefined] : [undefined, digest],
      changed: [],
      added: inA ? [] : members,
      removed: inA ? members : [],
      members: inA ? [members.length, 0] : [0, members.length],
      peakPending: 0,
      notes: idNote(input, digest),
    };
  } catch (error) {
    reader.close();
    throw error;
  }
}

function hasLayer(input: LayerInput): input is LayerInput & { layer: DiffLayer } {
  return input.layer !== undefined;
}

/** The layers at `index` of both images (at least one present). */
export async function diffLayer(index: number, a: LayerInput, b: LayerInput, options: DiffOptions): Promise<LayerDiff> {
  if (!hasLayer(b)) {
    if (!hasLayer(a)) throw new RangeError(`diffLayer: neither image has a layer ${index}`);
    return listOnly(index, a, true);
  }
  if (!hasLayer(a)) return listOnly(index, b, false);
  const [ia, ib] = [a.layer.diffId, b.layer.diffId];
  if (ia !== undefined && ia === ib) {
    return { index, status: "same", opened: false, labels: [a.layer.label, b.layer.label], diffIds: [ia, ib], changed: [], added: [], removed: [], members: [0, 0], peakPending: 0, notes: [] };
  }
  return compareStreams(index, a, b, options);
}
