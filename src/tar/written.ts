/**
 * Archives tarfile wrote (our images, the reference's), as `verify` and the
 * inspection read them with the one reader: the policy that reads them
 * (TARFILE_WRITTEN) and what a member's header group says (its name, PAX
 * records with their offsets, its data size).
 */
import { BLOCK_SIZE, NAME, SIZE, TYPEFLAG, TypeFlag } from "./constants.ts";
import { fieldBytes, fieldNumber, hasData, memberType, paxRecordSpans, type BadHeader, type MemberGroup, type PaxRecordSpan, type ReadPolicy } from "./reader.ts";

/**
 * How `verify` and the inspection read archives tarfile wrote: PAX
 * extensions only, a size field in octal text (tarfile writes no other),
 * a PAX payload of at most 1 MiB; a bad checksum is left to the comparison
 * of the header's bytes.
 */
export const TARFILE_WRITTEN: ReadPolicy = {
  check(block) {
    const text = fieldBytes(block, SIZE).toString("latin1").trim();
    return /^[0-7]*$/.test(text) ? undefined : { at: SIZE.offset, reason: `size field is not octal: ${JSON.stringify(text)}` };
  },
  extensions: new Set([TypeFlag.paxExtended]),
  maxExtensionSize: 1 << 20,
};

/** A member of an archive tarfile wrote, as the inspection and `verify` see it. */
export interface WrittenMember {
  /** The PAX `path` record's value if any, else the name field (raw bytes). */
  readonly name: Buffer;
  /** The type flag byte as written. */
  readonly type: number;
  /** The PAX extended header's records (offsets in the archive), empty without one. */
  readonly paxRecords: readonly PaxRecordSpan[];
  /** Offset of the PAX extended header's block, when there is one. */
  readonly paxHeaderOffset: number | undefined;
  /** Content bytes after the header (the PAX `size` if any; 0 for links, directories, devices). */
  readonly dataSize: number;
}

/** What a group of an archive tarfile wrote holds, or a PAX payload that is not records. */
export function writtenMember(group: MemberGroup): WrittenMember | BadHeader {
  const pax = group.extensions.find((extension) => extension.type === TypeFlag.paxExtended);
  const payloadOffset = pax === undefined ? 0 : pax.offset + BLOCK_SIZE;
  const records = pax === undefined ? [] : paxRecordSpans(pax.payload, payloadOffset);
  if (typeof records === "string") return { kind: "bad", offset: payloadOffset, reason: `PAX extended header: ${records}`, afterExtension: true, extensions: group.extensions };
  const record = (keyword: string): Buffer | undefined => records.find((r) => r.keyword === keyword)?.value;
  const size = record("size");
  return {
    name: Buffer.from(record("path") ?? fieldBytes(group.block, NAME)),
    type: group.block[TYPEFLAG.offset]!,
    paxRecords: records,
    paxHeaderOffset: pax?.offset,
    dataSize: hasData(memberType(group.block)) ? Number(size === undefined ? fieldNumber(group.block, SIZE) : size.toString("latin1")) : 0,
  };
}
