/**
 * `push`: an image to a registry without a tarball.  Every digest is known
 * from the hash passes, so each layer is asked for with HEAD and only the
 * missing ones are streamed from the store (or mounted from another
 * repository of the registry); then the config blob, and the manifest last,
 * so the tag never names a partly pushed image.  An upload broken off is
 * resumed where the registry says it stopped.
 */
import type { PreparedImage } from "../image/types.ts";
import type { ProgressEvent } from "../passes/progress-event.ts";
import { staleCacheEntry } from "./cached-layer.ts";
import { RegistryError } from "../remote/errors.ts";
import { buildManifest, type ManifestFormat } from "../oci/manifest.ts";
import { formatImageReference, type ImageReference } from "../remote/reference.ts";
import { RegistryClient, type RegistryOptions } from "../remote/registry.ts";
import { isRetryable, sleep, withRetries, type RetryPolicy } from "../remote/retry.ts";

export interface PushOptions extends RegistryOptions, RetryPolicy {
  /** Manifest format (default "oci"). */
  readonly format?: ManifestFormat | undefined;
  /** Bytes per PATCH (default 256 MiB): an upload broken off resumes after the last whole one. */
  readonly chunkSize?: number | undefined;
  /** Repositories of the same registry to mount missing layers from, tried in order. */
  readonly fromRepos?: readonly string[] | undefined;
  /** One line per layer (skipped, mounted, uploaded) and per retry, without newline. */
  readonly log?: ((line: string) => void) | undefined;
  /** Upload progress: phase "uploading", bytes of the layers being uploaded. */
  readonly progress?: ((event: ProgressEvent) => void) | undefined;
}

export type LayerOutcome = "uploaded" | "skipped" | "mounted";

export interface PushSummary {
  readonly reference: string;
  /** `sha256:` of the manifest pushed. */
  readonly manifestDigest: string;
  /** `sha256:` of the config: the image id. */
  readonly configDigest: string;
  readonly layers: readonly { readonly digest: string; readonly size: number; readonly outcome: LayerOutcome }[];
  /** Layer bytes sent, retries included. */
  readonly bytesSent: number;
}

/** "3 layers uploaded (40 KiB), 2 skipped (1.2 MiB), 0 mounted (0 B)". */
export function summaryCounts(summary: PushSummary): Record<LayerOutcome, { layers: number; bytes: number }> {
  const counts: Record<LayerOutcome, { layers: number; bytes: number }> = { uploaded: { layers: 0, bytes: 0 }, skipped: { layers: 0, bytes: 0 }, mounted: { layers: 0, bytes: 0 } };
  for (const layer of summary.layers) {
    counts[layer.outcome].layers++;
    counts[layer.outcome].bytes += layer.size;
  }
  return counts;
}

/** HEADs run a few at a time: they are small, and a registry far away answers slowly. */
const HEAD_CONCURRENCY = 4;
/**
 * Layers uploaded at a time.  Two were measured slower than one on the
 * bench's 2-core machine (our reads and CRC and a local registry's sha256
 * already share both cores); a remote registry may gain from more.
 */
const UPLOAD_CONCURRENCY = 1;

async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * A layer's chunks dealt out in pieces of a given length, one piece per
 * PATCH.  Chunks are reused buffers, valid until the next is pulled: a
 * chunk split between two pieces is finished before the next is pulled.
 */
class PieceSource {
  private readonly chunks: Iterator<Buffer>;
  private rest: Buffer | undefined;

  constructor(chunks: Iterable<Buffer>, skip: number) {
    this.chunks = chunks[Symbol.iterator]();
    for (let left = skip; left > 0; ) {
      const next = this.chunks.next();
      if (next.done === true) break;
      if (next.value.length > left) this.rest = next.value.subarray(left);
      left -= Math.min(left, next.value.length);
    }
  }

  *piece(length: number): Generator<Buffer> {
    let left = length;
    while (left > 0) {
      let chunk = this.rest;
      this.rest = undefined;
      if (chunk === undefined) {
        const next = this.chunks.next();
        if (next.done === true) return;
        chunk = next.value;
      }
      if (chunk.length > left) this.rest = chunk.subarray(left);
      const part = chunk.length > left ? chunk.subarray(0, left) : chunk;
      left -= part.length;
      yield part;
    }
  }

  /** Pulls the layer to its end, where the stream pass makes its last checks (CRC, members, size). */
  finish(): void {
    if (this.rest !== undefined || this.chunks.next().done !== true) throw new Error("layer longer than its hashed size");
  }

  close(): void {
    this.chunks.return?.();
  }
}

/**
 * Bytes a PATCH carries (the last may be shorter): what a broken-off upload
 * loses at most.  Each PATCH ends with a round trip in which neither side
 * works (the distribution registry also stores its hash state): 256 MiB
 * uploaded the bench's 1 GB in 6.2–7.7 s where 64 MiB took 7.7–9.4 s.
 */
export const DEFAULT_CHUNK_SIZE = 256 << 20;

/**
 * Streams layer `index` into an upload session in PATCHes of `chunkSize`
 * bytes, resuming after a retryable fault from the offset the registry
 * reports (a new session when it lost the old one).
 */
async function uploadLayer(client: RegistryClient, repository: string, image: PreparedImage, index: number, session: URL, options: PushOptions, onBytes: (bytes: number) => void): Promise<void> {
  const layer = image.layers[index]!;
  const digest = `sha256:${layer.sha256}`;
  const retries = options.retries ?? 3;
  const firstDelay = options.retryDelayMs ?? 1000;
  const chunkSize = Math.max(1, options.chunkSize ?? DEFAULT_CHUNK_SIZE);
  let offset = 0;
  let current = session;
  for (let retry = 0; ; retry++) {
    let source: PieceSource | undefined;
    try {
      if (retry > 0) {
        const status = await client.uploadStatus(repository, current);
        if (status === undefined) {
          current = await client.startUpload(repository);
          offset = 0;
        } else {
          ({ offset, session: current } = status);
          if (offset > layer.size) offset = 0;
        }
        options.log?.(`Layer ${index + 1}/${image.layers.length} ${digest}: resuming at byte ${offset} of ${layer.size}`);
      }
      const from = new PieceSource(image.layerChunks(index), offset);
      source = from;
      while (offset < layer.size) {
        const length = Math.min(chunkSize, layer.size - offset);
        current = await client.patchUpload(repository, current, { offset, length }, () => from.piece(length), onBytes);
        offset += length;
      }
      from.finish();
      await client.finishUpload(repository, current, digest);
      return;
    } catch (error) {
      if (!isRetryable(error) || retry >= retries) throw error;
      const delay = firstDelay * 2 ** retry;
      options.log?.(`${error.message}; retry ${retry + 1}/${retries} in ${delay} ms`);
      await sleep(delay);
    } finally {
      source?.close();
    }
  }
}

/** Pushes `image` to `ref`; resolves with what was uploaded, skipped and mounted. */
export async function pushImage(image: PreparedImage, ref: ImageReference, options: PushOptions = {}): Promise<PushSummary> {
  const push = new ImagePush(image, ref, options);
  try {
    return await push.run();
  } finally {
    push.client.close();
  }
}

/** One pushImage: its client and retry policy, and the bytes sent so far. */
class ImagePush {
  readonly client: RegistryClient;
  private readonly image: PreparedImage;
  private readonly ref: ImageReference;
  private readonly options: PushOptions;
  private readonly policy: RetryPolicy;
  private bytesSent = 0;
  /** Bytes of the missing layers uploaded or mounted, for the progress events. */
  private bytesDone = 0;
  private missingBytes = 0;

  constructor(image: PreparedImage, ref: ImageReference, options: PushOptions) {
    this.image = image;
    this.ref = ref;
    this.options = options;
    this.client = new RegistryClient(ref.registry, ref.endpoint, options);
    this.policy = { ...options, onRetry: options.onRetry ?? ((error, retry, delay) => options.log?.(`${error.message}; retry ${retry}/${options.retries ?? 3} in ${delay} ms`)) };
  }

  /** The layers the registry lacks, then the config, then the manifest (so the tag never names a partial image). */
  async run(): Promise<PushSummary> {
    const { image, client, policy, ref } = this;
    const { repository } = ref;
    const manifest = buildManifest(image, this.options.format);
    await withRetries(policy, () => client.connect());
    const present = await mapLimited(image.layers, HEAD_CONCURRENCY, (layer) => withRetries(policy, () => client.hasBlob(repository, `sha256:${layer.sha256}`)));
    this.missingBytes = image.layers.reduce((total, layer, index) => total + (present[index] ? 0 : layer.size), 0);
    const outcomes = await mapLimited(image.layers, UPLOAD_CONCURRENCY, (_, index) => this.pushLayer(index, present[index]!));
    const configDigest = manifest.config.digest;
    if (!(await withRetries(policy, () => client.hasBlob(repository, configDigest))) && !(await this.tryMount(configDigest)).mounted) {
      await withRetries(policy, () => client.putBlob(repository, configDigest, image.configBytes));
    }
    await withRetries(policy, () => client.putManifest(repository, ref.tag, manifest.mediaType, manifest.bytes));
    return {
      reference: formatImageReference(ref),
      manifestDigest: manifest.digest,
      configDigest: manifest.config.digest,
      layers: image.layers.map((layer, index) => ({ digest: `sha256:${layer.sha256}`, size: layer.size, outcome: outcomes[index]! })),
      bytesSent: this.bytesSent,
    };
  }

  /** Layer `index`: skipped when the registry has it, else mounted from another repository, else uploaded. */
  private async pushLayer(index: number, present: boolean): Promise<LayerOutcome> {
    const { image, options, client, policy } = this;
    const { repository } = this.ref;
    const layer = image.layers[index]!;
    const count = image.layers.length;
    const digest = `sha256:${layer.sha256}`;
    const name = `Layer ${index + 1}/${count} ${digest}`;
    if (present) {
      options.log?.(`${name}: skipped, the registry has it`);
      return "skipped";
    }
    const { mounted, session: opened } = await this.tryMount(digest);
    if (mounted) {
      this.bytesDone += layer.size;
      options.log?.(`${name}: mounted from another repository`);
      return "mounted";
    }
    const session = opened ?? (await withRetries(policy, () => client.startUpload(repository)));
    let layerDone = 0;
    try {
      await uploadLayer(client, repository, image, index, session, options, (bytes) => {
        this.bytesSent += bytes;
        layerDone += bytes;
        this.bytesDone += bytes;
        options.progress?.({ phase: "uploading", layer: index, layers: count, layerBytesDone: layerDone, layerBytesTotal: layer.size, imageBytesDone: Math.min(this.bytesDone, this.missingBytes), imageBytesTotal: this.missingBytes });
      });
    } catch (error) {
      throw staleCacheEntry(image, index, error, error instanceof RegistryError && error.code === "DIGEST_INVALID") ?? error;
    }
    options.log?.(`${name}: uploaded ${layer.size} bytes`);
    return "uploaded";
  }

  /** Mounts `digest` from the first of --from-repo that has it; else the upload session the last refusal opened. */
  private async tryMount(digest: string): Promise<{ mounted: boolean; session: URL | undefined }> {
    const { repository } = this.ref;
    let session: URL | undefined;
    for (const from of this.options.fromRepos ?? []) {
      if (from === repository) continue;
      const answer = await withRetries(this.policy, () => this.client.mountBlob(repository, digest, from));
      if (answer === true) return { mounted: true, session: undefined };
      session = answer;
    }
    return { mounted: false, session };
  }
}
