/**
 * An OCI image layout directory (image-spec's image-layout.md): `oci-layout`,
 * `index.json`, `blobs/sha256/<hex>`, holding the same layers, config and
 * manifest a push sends.  A new DIR is built beside it and renamed into
 * place when complete.  In an existing layout each blob is written to a
 * temporary file and renamed (blobs are named by content, so a reader never
 * sees a partial one), blobs already present are not written again, and
 * index.json is replaced last: until then the layout is the old image.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { createHash, randomBytes } from "node:crypto";
import type { PreparedImage } from "../image/types.ts";
import { staleCacheEntry } from "./cached-layer.ts";
import { LayoutError } from "./errors.ts";
import { buildManifest, type ManifestFormat } from "../oci/manifest.ts";
import type { LayerOutcome } from "./push.ts";

export interface OciLayoutOptions {
  /** `org.opencontainers.image.ref.name` of the manifest in index.json (what `oci:DIR:NAME` names). */
  readonly refName?: string | undefined;
  readonly format?: ManifestFormat | undefined;
  readonly log?: ((line: string) => void) | undefined;
}

export interface OciLayoutSummary {
  readonly directory: string;
  readonly manifestDigest: string;
  readonly configDigest: string;
  readonly layers: readonly { readonly digest: string; readonly size: number; readonly outcome: Exclude<LayerOutcome, "mounted"> }[];
}

const REF_NAME = "org.opencontainers.image.ref.name";
const LAYOUT_VERSION = `${JSON.stringify({ imageLayoutVersion: "1.0.0" })}`;

function temporaryName(): string {
  return `.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
}

function fail(action: string, path: string, error: unknown): never {
  const code = (error as NodeJS.ErrnoException).code;
  throw new LayoutError(`Cannot write OCI layout: ${action} ${JSON.stringify(path)}: ${code ?? (error as Error).message}`, { cause: error });
}

/** A blob's bytes whose sha256 is not the name it was to be written under. */
class BlobDigestError extends LayoutError {}

/** Writes `chunks` to blobs/sha256/<hex> through a temporary file; checks the sha256 when `verify`. */
function writeBlob(blobs: string, hex: string, chunks: Iterable<Buffer>, verify: boolean): void {
  const temporary = join(blobs, temporaryName());
  let fd: number;
  try {
    fd = openSync(temporary, "wx", 0o644);
  } catch (error) {
    fail("creating", temporary, error);
  }
  try {
    const hash = verify ? createHash("sha256") : undefined;
    for (const chunk of chunks) {
      hash?.update(chunk);
      for (let done = 0; done < chunk.length; ) done += writeSync(fd, chunk, done);
    }
    const actual = hash?.digest("hex");
    if (actual !== undefined && actual !== hex) throw new BlobDigestError(`Cannot write OCI layout: blob sha256:${hex} has sha256:${actual} (the digest it was written for does not match its bytes)`);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(temporary, join(blobs, hex));
  } catch (error) {
    if (fd >= 0) closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** A blob already there with the size it must have (its name is its digest). */
function hasBlob(blobs: string, hex: string, size: number): boolean {
  try {
    return statSync(join(blobs, hex)).size === size;
  } catch {
    return false;
  }
}

/** index.json's manifests, without the one `refName` named before. */
function keptManifests(directory: string, refName: string): unknown[] {
  const file = join(directory, "index.json");
  if (!existsSync(file)) return [];
  let index: { manifests?: unknown };
  try {
    index = JSON.parse(readFileSync(file, "utf8")) as typeof index;
  } catch (error) {
    throw new LayoutError(`Cannot write OCI layout: ${JSON.stringify(file)} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!Array.isArray(index.manifests)) throw new LayoutError(`Cannot write OCI layout: ${JSON.stringify(file)} has no "manifests" list`);
  return index.manifests.filter((entry) => (entry as { annotations?: Record<string, unknown> } | null)?.annotations?.[REF_NAME] !== refName);
}

/** Writes `image` as an OCI layout at `directory` (created, or updated in place when it is one). */
export function writeOciLayout(image: PreparedImage, directory: string, options: OciLayoutOptions = {}): OciLayoutSummary {
  const refName = options.refName ?? "latest";
  const manifest = buildManifest(image, options.format ?? "oci");
  const existing = existsSync(join(directory, "oci-layout"));
  if (!existing && existsSync(directory)) throw new LayoutError(`Cannot write OCI layout: ${JSON.stringify(directory)} exists and is not an OCI layout (no oci-layout file)`);
  // A new layout is built beside its place and renamed into it at the end.
  const target = existing ? directory : join(dirname(directory), `.${basename(directory)}${temporaryName()}`);
  const blobs = join(target, "blobs", "sha256");
  try {
    try {
      mkdirSync(blobs, { recursive: true });
    } catch (error) {
      fail("creating", blobs, error);
    }
    const layers = image.layers.map((layer, index) => {
      const digest = `sha256:${layer.sha256}`;
      if (hasBlob(blobs, layer.sha256, layer.size)) {
        options.log?.(`Layer ${index + 1}/${image.layers.length} ${digest}: skipped, the layout has it`);
        return { digest, size: layer.size, outcome: "skipped" as const };
      }
      // A store layer's stream pass checks its own CRC; a customisation layer
      // is trusted by the reference, and a cached digest by no one: check them here.
      const cached = image.cachedLayers.has(index);
      try {
        writeBlob(blobs, layer.sha256, image.layerChunks(index), layer.customisation || cached);
      } catch (error) {
        throw staleCacheEntry(image, index, error, error instanceof BlobDigestError) ?? error;
      }
      options.log?.(`Layer ${index + 1}/${image.layers.length} ${digest}: written, ${layer.size} bytes`);
      return { digest, size: layer.size, outcome: "uploaded" as const };
    });
    for (const [digest, bytes] of [[manifest.config.digest, image.configBytes], [manifest.digest, manifest.bytes]] as const) {
      const hex = digest.slice("sha256:".length);
      if (!hasBlob(blobs, hex, bytes.length)) writeBlob(blobs, hex, [bytes], false);
    }
    const manifests = [...keptManifests(target, refName), { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.length, annotations: { [REF_NAME]: refName } }];
    const index = Buffer.from(`${JSON.stringify({ schemaVersion: 2, manifests })}`);
    const indexTemporary = join(target, `index.json${temporaryName()}`);
    try {
      if (!existing) writeFileSync(join(target, "oci-layout"), LAYOUT_VERSION);
      writeFileSync(indexTemporary, index);
      renameSync(indexTemporary, join(target, "index.json"));
    } catch (error) {
      rmSync(indexTemporary, { force: true });
      fail("writing", join(target, "index.json"), error);
    }
    if (!existing) {
      try {
        renameSync(target, directory);
      } catch (error) {
        fail("renaming into", directory, error);
      }
    }
    return { directory, manifestDigest: manifest.digest, configDigest: manifest.config.digest, layers };
  } catch (error) {
    if (!existing) rmSync(target, { recursive: true, force: true });
    throw error;
  }
}
