/**
 * `docker://HOST[:PORT]/REPO[:TAG|@sha256:…]` read as an ImageSource: the
 * manifest the tag or digest names (an index or manifest list narrowed to
 * the platform, each manifest checked against the digest it is fetched
 * by), and blobs streamed from the registry (or the storage it redirects
 * to, never sent the credentials).  Credentials are found as push finds
 * them (--creds, the auth files).  What a retry may cure (a refused
 * connection, a 5xx) is retried before a body starts; a stream broken in
 * its middle is not resumed.  `bytesRead` counts the bytes of the bodies
 * of manifests and blobs, not headers, tokens or error documents.
 */
import { BlobMismatchError, ImageSourceError, type BlobRef, type ConfigRef, type ImageSource, type Platform, type ResolvedImage } from "../oci/image-source.ts";
import { readWholeBlob } from "../oci/blob-content.ts";
import { MANIFEST_ACCEPT } from "../oci/media-types.ts";
import { resolvedImage, resolveManifest, type FetchedManifest } from "../oci/resolve.ts";
import { findCredentials } from "./credentials.ts";
import { DigestMismatchError, RegistryError } from "./errors.ts";
import { parseReadReference, type ReadReference } from "./reference.ts";
import { RegistryClient } from "./registry.ts";
import { withRetries, type RetryPolicy } from "./retry.ts";

export interface RegistrySourceOptions {
  /** `--creds USER:PASSWORD`. */
  readonly creds?: string | undefined;
  /** `--authfile FILE` (else the files podman and skopeo read). */
  readonly authFile?: string | undefined;
  readonly tlsVerify?: boolean | undefined;
  readonly plainHttp?: boolean | undefined;
  /** Retries of what a retry may cure (default: retry.ts's). */
  readonly retry?: RetryPolicy | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
}

export class RegistrySource implements ImageSource {
  private readonly name: string;
  readonly reference: ReadReference;
  private readonly client: RegistryClient;
  private readonly retry: RetryPolicy;
  bytesRead = 0;

  /** `name` is `docker://…` as the user wrote it; a malformed one is an ImageRefError, unreadable credentials a CredentialsError. */
  constructor(name: string, options: RegistrySourceOptions = {}) {
    this.name = name;
    this.reference = parseReadReference(name);
    const { registry, endpoint, repository } = this.reference;
    const credentials = findCredentials(registry, repository, { creds: options.creds, authFile: options.authFile, env: options.env });
    this.client = new RegistryClient(registry, endpoint, { tlsVerify: options.tlsVerify, plainHttp: options.plainHttp, credentials });
    this.retry = options.retry ?? {};
  }

  /**
   * The registry's failures as the contract's: the image cannot be read, or
   * is not what its digest says; `where` names the blob when the message
   * does not (a connection broken in its middle).
   */
  private failure(error: unknown, where?: string): unknown {
    const prefix = where === undefined || (error as Error).message?.includes(where) ? "" : `${where}: `;
    if (error instanceof DigestMismatchError) return new BlobMismatchError(this.name, `${prefix}${error.message}`);
    if (error instanceof RegistryError) return new ImageSourceError(this.name, `${prefix}${error.message}`, { cause: error });
    return error;
  }

  private async fetch(reference: string, where: string): Promise<FetchedManifest> {
    const { repository } = this.reference;
    const got = await withRetries(this.retry, () => this.client.getManifest(repository, reference, MANIFEST_ACCEPT));
    this.bytesRead += got.bytes.length;
    return { bytes: got.bytes, mediaType: got.mediaType, where };
  }

  async resolve(platform: Platform): Promise<ResolvedImage> {
    const { repository, digest, tag } = this.reference;
    try {
      await withRetries(this.retry, () => this.client.connect());
      const top = await this.fetch(digest ?? tag, `the manifest ${digest ?? tag}`);
      const chosen = await resolveManifest(this.name, top, (descriptor) => this.fetch(descriptor.digest, `the manifest ${descriptor.digest}`), platform);
      return resolvedImage("docker", this.name, chosen, (blob) => `/v2/${repository}/blobs/${blob}`);
    } catch (error) {
      throw this.failure(error);
    }
  }

  readBlob(blob: ConfigRef, limit: number): Promise<Buffer> {
    return readWholeBlob(this, blob, this.name, limit);
  }

  async *openBlob(blob: BlobRef): AsyncGenerator<Buffer, void, undefined> {
    const digest = blob.digest;
    if (digest === undefined) throw new ImageSourceError(this.name, `${blob.location}: a registry blob without a digest`);
    try {
      const opened = await withRetries(this.retry, () => this.client.openBlob(this.reference.repository, digest, (bytes) => (this.bytesRead += bytes)));
      yield* opened.chunks;
    } catch (error) {
      throw this.failure(error, blob.location);
    }
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
