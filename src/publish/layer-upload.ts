/**
 * One layer streamed into an upload session as it is read and compressed:
 * PATCHes of --chunk-size bytes (an uncompressed layer's with Content-Range,
 * its size known; a compressed layer's streamed, its size known at the end),
 * then `PUT ?digest=` with the digest learnt at the end.  A retryable fault
 * resumes at the offset the registry reports: the layer is read and
 * compressed again from its start (the bytes are deterministic) and the
 * bytes the registry holds are skipped, not sent.
 */
import type { CompressedBlob } from "../passes/blob-cache.ts";
import type { RegistryClient } from "../remote/registry.ts";
import { isRetryable, sleep, type RetryPolicy } from "../remote/retry.ts";
import type { LayerBlobStream } from "./layer-blob.ts";
import { PieceSource } from "./piece-source.ts";

/**
 * Bytes a PATCH carries (the last may be shorter): what a broken-off upload
 * loses at most.  Each PATCH ends with a round trip in which neither side
 * works (the distribution registry also stores its hash state): 256 MiB
 * uploaded the bench's 1 GB in 6.2–7.7 s where 64 MiB took 7.7–9.4 s.
 */
export const DEFAULT_CHUNK_SIZE = 256 << 20;

export interface LayerUpload {
  readonly client: RegistryClient;
  readonly repository: string;
  /** The layer as messages name it ("Layer 2/4 sha256:…"). */
  readonly name: string;
  /** The blob from its start, for each try; `onRead` told the uncompressed bytes read. */
  readonly open: (onRead: (bytes: number) => void) => LayerBlobStream;
  /** An uncompressed blob's digest (the diff_id) and size, known before it is read; none for a compressed one. */
  readonly known: CompressedBlob | undefined;
  readonly policy: RetryPolicy & { readonly chunkSize?: number | undefined };
  readonly log?: ((line: string) => void) | undefined;
  /** Blob bytes written to the network (retries included). */
  readonly onSent: (bytes: number) => void;
  /** Uncompressed bytes read in the current try (it starts again at 0 on a retry). */
  readonly onRead: (bytesThisTry: number) => void;
}

/** Where an upload stands: the session's latest Location (it may carry the registry's state) and the bytes it holds. */
interface UploadState {
  session: URL;
  offset: number;
}

/**
 * One try from `state.offset`: the blob streamed from its start, what the
 * registry holds skipped; resolves once PUT.  `state` follows each PATCH,
 * so that a retry asks the registry on the session's latest Location.
 */
async function uploadFrom(upload: LayerUpload, state: UploadState): Promise<CompressedBlob> {
  const { client, repository, known } = upload;
  const knownSize = known?.size;
  const chunkSize = Math.max(1, upload.policy.chunkSize ?? DEFAULT_CHUNK_SIZE);
  let read = 0;
  const blob = upload.open((bytes) => upload.onRead((read += bytes)));
  const source = new PieceSource(blob.chunks);
  try {
    if (!(await source.skip(state.offset))) throw new Error(`${upload.name}: the registry holds ${state.offset} bytes of its upload, more than its blob`);
    while (knownSize === undefined ? await source.hasMore() : state.offset < knownSize) {
      let sent = 0;
      const length = knownSize === undefined ? undefined : Math.min(chunkSize, knownSize - state.offset);
      const piece = async function* (): AsyncGenerator<Buffer> {
        for await (const part of source.piece(length ?? chunkSize)) {
          sent += part.length;
          yield part;
        }
      };
      state.session = await client.patchUpload(repository, state.session, { offset: state.offset, length }, piece, upload.onSent);
      state.offset += sent;
    }
    await source.finish();
    const result = await blob.result();
    // Uncompressed, the digest is the diff_id, which the registry checks (a stale digest cache entry: DIGEST_INVALID).
    const { digest, size } = known ?? result;
    await client.finishUpload(repository, state.session, digest);
    return { digest, size };
  } finally {
    await source.close();
  }
}

/**
 * Streams the layer into `session`, resuming after a retryable fault
 * from the offset the registry reports (a new session when it lost the old
 * one, or holds more than the blob); resolves with the blob's digest and size.
 */
export async function uploadLayer(upload: LayerUpload, session: URL): Promise<CompressedBlob> {
  const { client, repository, policy } = upload;
  const retries = policy.retries ?? 3;
  const firstDelay = policy.retryDelayMs ?? 1000;
  let current: UploadState = { session, offset: 0 };
  for (let retry = 0; ; retry++) {
    try {
      if (retry > 0) {
        const status = await client.uploadStatus(repository, current.session);
        current = status ?? { session: await client.startUpload(repository), offset: 0 };
        upload.log?.(`${upload.name}: resuming at byte ${current.offset} of its blob`);
      }
      return await uploadFrom(upload, current);
    } catch (error) {
      if (!isRetryable(error) || retry >= retries) throw error;
      const delay = firstDelay * 2 ** retry;
      upload.log?.(`${error.message}; retry ${retry + 1}/${retries} in ${delay} ms`);
      await sleep(delay);
    }
  }
}
