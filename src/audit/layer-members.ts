/**
 * One side of a layer comparison: the layer's tar stream read member by
 * member with the one tar reader (tar/reader.ts, decoded by tar/tarinfo.ts
 * as tarfile decodes it: PAX and GNU long names), each member's content
 * hashed as it streams past and never held, and the whole stream hashed
 * too, so the report can say which diff_id the bytes really have.
 */
import { createHash, type Hash } from "node:crypto";
import { TYPEFLAG, TypeFlag } from "../tar/constants.ts";
import { hasData, paxRecordSpans, readAsync, readGroup, type MemberGroup } from "../tar/reader.ts";
import { TARFILE_READS, tarInfo, type TarInfo } from "../tar/tarinfo.ts";
import { fsDecode } from "../py/fsname.ts";
import { AsyncIterableSource, readUpTo, skip, SourceReadError } from "./byte-source.ts";
import { DiffInputError } from "./diff-errors.ts";
import { memberSummary } from "./member-summary.ts";
import type { MemberSummary } from "./diff-types.ts";

/**
 * tarfile's reading (checksums, PAX, GNU long names and links), with a cap
 * on an extension's payload: it is buffered whole, and a layer of any size
 * must be compared in bounded memory.
 */
const LAYER_READS = { ...TARFILE_READS, maxExtensionSize: 16 << 20 };

/** A chunk as a Buffer without copying. */
function asBuffer(chunk: Buffer | Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** The chunks of `iterable`, each added to `hash` as it passes (before the reader may consume it). */
async function* hashing(iterable: AsyncIterable<Buffer | Uint8Array>, hash: Hash): AsyncGenerator<Buffer> {
  for await (const chunk of iterable) {
    const buffer = asBuffer(chunk);
    hash.update(buffer);
    yield buffer;
  }
}

export class LayerMemberReader {
  private readonly source: AsyncIterableSource;
  private readonly whole = createHash("sha256");
  private readonly side: string;
  private readonly label: string;
  private ended = false;

  constructor(iterable: AsyncIterable<Buffer | Uint8Array>, side: string, label: string) {
    this.source = new AsyncIterableSource(hashing(iterable, this.whole));
    this.side = side;
    this.label = label;
  }

  private fail(reason: string, cause?: unknown): DiffInputError {
    return new DiffInputError(this.side, this.label, reason, cause === undefined ? undefined : { cause });
  }

  /** A failed read of the stream itself (the transport), or an error of ours. */
  private rethrow(error: unknown): never {
    if (error instanceof SourceReadError) throw this.fail(`reading failed: ${error.message}`, error.cause);
    throw error;
  }

  /** The next member, its content hashed; undefined at the end of the archive. */
  async next(): Promise<MemberSummary | undefined> {
    if (this.ended) return undefined;
    try {
      return await this.read();
    } catch (error) {
      return this.rethrow(error);
    }
  }

  private async read(): Promise<MemberSummary | undefined> {
    const offset = this.source.position;
    const group = await readAsync(readGroup(offset, LAYER_READS), (length) => readUpTo(this.source, length));
    if (group.kind === "end") return this.end();
    if (group.kind === "bad") throw this.fail(`not a valid tar archive: ${group.reason} at offset ${group.offset}`);
    if (group.kind === "eof") {
      // A stream that stops where a header would start lacks only the end-of-archive blocks, which Go's archive/tar and tarfile accept too.
      if (group.partial.length === 0) return this.end();
      throw this.fail(`the tar archive ends inside a header at offset ${group.headerAt}`);
    }
    const info = this.decode(group);
    const content = hasData(info.type) ? createHash("sha256") : undefined;
    const span = info.end - info.dataOffset;
    const dataLength = content === undefined ? 0 : Math.min(info.size, span);
    if (content !== undefined && (await this.hashContent(content, dataLength)) < dataLength) throw this.truncated(info);
    if ((await skip(this.source, span - dataLength)) < span - dataLength) throw this.truncated(info);
    return memberSummary(info, content?.digest("hex"));
  }

  private truncated(info: TarInfo): DiffInputError {
    return this.fail(`the tar archive ends inside the content of ${JSON.stringify(info.name)}`);
  }

  private end(): undefined {
    this.ended = true;
    return undefined;
  }

  /** The group as tarfile decodes it; its PAX records read as `pax_headers` holds them. */
  private decode(group: MemberGroup): TarInfo {
    const extension = group.extensions.find((candidate) => candidate.type === TypeFlag.paxExtended);
    let pax: Map<string, string> | undefined;
    if (extension !== undefined) {
      const records = paxRecordSpans(extension.payload);
      if (typeof records === "string") throw this.fail(`the PAX header at offset ${extension.offset}: ${records}`);
      pax = new Map(records.map(({ keywordBytes, value }) => [fsDecode(keywordBytes), fsDecode(value)]));
    }
    try {
      return tarInfo(group, pax, { longNameDirSlashStripped: true });
    } catch (error) {
      // BigInt() of a PAX uid, gid or size that is not a number.
      const type = String.fromCharCode(group.block[TYPEFLAG.offset]!);
      throw this.fail(`the member at offset ${group.offset} (type ${JSON.stringify(type)}) has a PAX number that is not one: ${(error as Error).message}`);
    }
  }

  /** Feeds the next `length` bytes to `hash`; returns how many there were. */
  private async hashContent(hash: Hash, length: number): Promise<number> {
    let done = 0;
    while (done < length) {
      const chunk = await this.source.current();
      if (chunk.length === 0) break;
      const take = Math.min(chunk.length, length - done);
      hash.update(chunk.subarray(0, take));
      this.source.advance(take);
      done += take;
    }
    return done;
  }

  /** Reads what follows the end of the archive (record padding) and gives the stream's digest, `sha256:…`. */
  async finish(): Promise<string> {
    try {
      for (let chunk = await this.source.current(); chunk.length > 0; chunk = await this.source.current()) this.source.advance(chunk.length);
    } catch (error) {
      this.rethrow(error);
    }
    return `sha256:${this.whole.digest("hex")}`;
  }

  /** Stops the stream early (a failure on the other side). */
  close(): void {
    this.source.close();
  }
}
