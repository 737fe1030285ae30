/**
 * `docker-archive:FILE[:REF]`: a `docker save` archive as any tool writes
 * it: manifest.json (`[{Config, RepoTags, Layers}]`) names the config and
 * the layers by member name.  REF picks the entry by a repo tag or `@N` by
 * its place, as skopeo does; without REF the archive must hold one image.
 * The config's digest is that of its bytes (the image id).  A layer's
 * digest is known only where its name is one: `blobs/sha256/<hex>`
 * (Docker 25+, an OCI layout inside) and `<hex>.tar` (containers/image:
 * skopeo, podman, which store layers uncompressed, so the digest of the
 * member's bytes is also the diff_id); Docker's older `<id>/layer.tar` is
 * named by a v1 id, no digest.  Compression is told by the first bytes.
 */
import { sha256Digest } from "../oci/manifest.ts";
import { readWholeBlob, collectUpTo } from "../oci/blob-content.ts";
import { ImageSourceError, type BlobRef, type ConfigRef, type ImageSource, type Platform, type ResolvedImage } from "../oci/image-source.ts";
import { MANIFEST_LIMIT } from "../oci/layout-reader.ts";
import { repoTagsMatch } from "./repo-tag.ts";
import { TarFiles } from "./tar-files.ts";

interface ArchiveEntry {
  readonly config: string;
  readonly repoTags: readonly string[];
  readonly layers: readonly string[];
}

/** A config is small JSON; more is refused. */
const CONFIG_LIMIT = 16 << 20;

const NAMED_BY_DIGEST = [/^blobs\/sha256\/([0-9a-f]{64})$/, /^([0-9a-f]{64})\.tar$/];

/** The digest a layer member's name gives its bytes, if it gives one. */
export function digestFromMemberName(name: string): string | undefined {
  for (const pattern of NAMED_BY_DIGEST) {
    const match = pattern.exec(name.replace(/^\.\//, ""));
    if (match !== null) return `sha256:${match[1]!}`;
  }
  return undefined;
}

function parseEntries(bytes: Buffer, image: string): ArchiveEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    throw new ImageSourceError(image, `manifest.json is not JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(json)) throw new ImageSourceError(image, "manifest.json is not a JSON list");
  return json.map((value: unknown, index): ArchiveEntry => {
    const entry = (typeof value === "object" && value !== null ? value : {}) as { Config?: unknown; RepoTags?: unknown; Layers?: unknown };
    const where = `entry ${index} of manifest.json`;
    if (typeof entry.Config !== "string") throw new ImageSourceError(image, `${where} has no Config`);
    if (!Array.isArray(entry.Layers) || !entry.Layers.every((layer) => typeof layer === "string")) throw new ImageSourceError(image, `${where} has no Layers list of member names`);
    const repoTags = Array.isArray(entry.RepoTags) ? entry.RepoTags.filter((tag): tag is string => typeof tag === "string") : [];
    return { config: entry.Config, repoTags, layers: entry.Layers as string[] };
  });
}

export class DockerArchiveSource implements ImageSource {
  private readonly name: string;
  private readonly ref: string | undefined;
  private readonly files: TarFiles;

  /** `name` is the image as the user wrote it; `ref` a repo tag, `@N`, or undefined/"" for the only image. */
  constructor(name: string, file: string, ref: string | undefined) {
    this.name = name;
    this.ref = ref === "" ? undefined : ref;
    this.files = new TarFiles(file, name);
  }

  get bytesRead(): number {
    return this.files.bytesRead;
  }

  private choose(entries: readonly ArchiveEntry[]): ArchiveEntry {
    const tags = (): string => entries.map((entry, index) => `@${index} ${entry.repoTags.length === 0 ? "(untagged)" : entry.repoTags.join(" ")}`).join(", ");
    if (this.ref === undefined) {
      if (entries.length === 1) return entries[0]!;
      throw new ImageSourceError(this.name, entries.length === 0 ? "manifest.json lists no image" : `manifest.json lists ${entries.length} images: choose one with :NAME:TAG or :@N (${tags()})`);
    }
    if (/^@\d+$/.test(this.ref)) {
      const entry = entries[Number(this.ref.slice(1))];
      if (entry === undefined) throw new ImageSourceError(this.name, `manifest.json lists ${entries.length} images: there is no ${this.ref}`);
      return entry;
    }
    if (this.ref.includes("@")) throw new ImageSourceError(this.name, `${JSON.stringify(this.ref)}: a docker-archive is chosen from by NAME:TAG or @N, not by digest`);
    const entry = entries.find((candidate) => candidate.repoTags.some((tag) => repoTagsMatch(tag, this.ref!)));
    if (entry === undefined) throw new ImageSourceError(this.name, `manifest.json lists no image tagged ${JSON.stringify(this.ref)} (it has ${tags()})`);
    return entry;
  }

  /** The member `name`, or an error naming it. */
  private async member(name: string, what: string): Promise<{ size: number }> {
    const entry = await this.files.member(name);
    if (entry === undefined) throw new ImageSourceError(this.name, `${what} ${JSON.stringify(name)}, named in manifest.json, is not in the archive`);
    return entry;
  }

  private async whole(name: string, limit: number, what: string): Promise<Buffer> {
    const chunks = await this.files.open(name);
    if (chunks === undefined) throw new ImageSourceError(this.name, `no ${what}: not a docker-archive`);
    return collectUpTo(chunks, limit, () => new ImageSourceError(this.name, `${what} is larger than ${limit} bytes`));
  }

  async resolve(_platform: Platform): Promise<ResolvedImage> {
    const entry = this.choose(parseEntries(await this.whole("manifest.json", MANIFEST_LIMIT, "manifest.json"), this.name));
    await this.member(entry.config, "the config");
    const configBytes = await this.whole(entry.config, CONFIG_LIMIT, `the config ${entry.config}`);
    const config: ConfigRef = {
      digest: sha256Digest(configBytes),
      size: configBytes.length,
      mediaType: undefined,
      compression: "none",
      location: entry.config,
    };
    const layers: BlobRef[] = [];
    for (const [index, layer] of entry.layers.entries()) {
      const { size } = await this.member(layer, `layer ${index + 1}`);
      layers.push({ digest: digestFromMemberName(layer), size, mediaType: undefined, compression: "sniff", location: layer });
    }
    // A docker-archive holds one platform's image: there is nothing to choose.
    return { transport: "docker-archive", name: this.name, manifest: undefined, platform: undefined, config, layers };
  }

  readBlob(blob: ConfigRef, limit: number): Promise<Buffer> {
    return readWholeBlob(this, blob, this.name, limit);
  }

  async *openBlob(blob: BlobRef): AsyncGenerator<Buffer, void, undefined> {
    const chunks = await this.files.open(blob.location);
    if (chunks === undefined) throw new ImageSourceError(this.name, `${JSON.stringify(blob.location)} is not in the archive`);
    yield* chunks;
  }

  close(): Promise<void> {
    return this.files.close();
  }
}
