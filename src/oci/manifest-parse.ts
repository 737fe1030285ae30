/**
 * Reading a manifest or an index someone else wrote: the JSON checked as
 * far as the audit relies on it (schemaVersion 2, a known mediaType,
 * descriptors whose digest is a sha256 and whose size is a count, every
 * layer's media type in the table), each fault one line naming where it is.
 * Fields the audit does not use (annotations but the ref name, urls,
 * subject) are not looked at, so a tool's extensions do not refuse an image.
 */
import { ImageSourceError, type BlobCompression, type Platform } from "./image-source.ts";
import type { Descriptor } from "./manifest.ts";
import { LAYER_COMPRESSION, MANIFEST_KINDS, OCI_INDEX, OCI_MANIFEST } from "./media-types.ts";

const SHA256 = /^sha256:[0-9a-f]{64}$/;

export interface LayerDescriptor extends Descriptor {
  readonly compression: BlobCompression;
}

export interface ParsedManifest {
  readonly kind: "manifest";
  readonly mediaType: string;
  readonly config: Descriptor;
  readonly layers: readonly LayerDescriptor[];
}

export interface IndexEntry extends Descriptor {
  readonly platform: Platform | undefined;
  /** `org.opencontainers.image.ref.name`, the name an OCI layout gives it. */
  readonly refName: string | undefined;
}

export interface ParsedIndex {
  readonly kind: "index";
  readonly mediaType: string;
  readonly manifests: readonly IndexEntry[];
}

export const REF_NAME = "org.opencontainers.image.ref.name";

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A descriptor as the audit uses it: mediaType, a sha256 digest, a size. */
export function parseDescriptor(value: unknown, image: string, what: string): Descriptor {
  if (!isObject(value)) throw new ImageSourceError(image, `${what} is not a JSON object`);
  const { mediaType, digest, size } = value;
  if (typeof mediaType !== "string") throw new ImageSourceError(image, `${what} has no mediaType`);
  if (typeof digest !== "string" || !SHA256.test(digest)) throw new ImageSourceError(image, `${what} has digest ${JSON.stringify(digest)}, not sha256:<64 hex digits>`);
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) throw new ImageSourceError(image, `${what} has size ${JSON.stringify(size)}, not a count of bytes`);
  return { mediaType, digest, size };
}

function parsePlatformField(value: unknown): Platform | undefined {
  if (!isObject(value) || typeof value["os"] !== "string" || typeof value["architecture"] !== "string") return undefined;
  const variant = typeof value["variant"] === "string" && value["variant"] !== "" ? value["variant"] : undefined;
  return { os: value["os"], architecture: value["architecture"], variant };
}

/** The mediaType field, else the one the transport gave, else what the fields say (the OCI spec once left it out). */
function mediaTypeOf(json: Json, hint: string | undefined, image: string, where: string): string {
  const given = typeof json["mediaType"] === "string" ? json["mediaType"] : hint !== undefined && MANIFEST_KINDS.has(hint) ? hint : undefined;
  const type = given ?? (Array.isArray(json["manifests"]) ? OCI_INDEX : OCI_MANIFEST);
  if (!MANIFEST_KINDS.has(type)) throw new ImageSourceError(image, `${where} has unknown mediaType ${JSON.stringify(type)}`);
  return type;
}

function parseImageManifest(json: Json, mediaType: string, image: string, where: string): ParsedManifest {
  if (json["config"] === undefined) throw new ImageSourceError(image, `${where} has no config`);
  const layerList = json["layers"];
  if (!Array.isArray(layerList)) throw new ImageSourceError(image, `${where} has no layers list`);
  const config = parseDescriptor(json["config"], image, `the config of ${where}`);
  const layers = layerList.map((layer: unknown, index): LayerDescriptor => {
    const descriptor = parseDescriptor(layer, image, `layer ${index + 1} of ${where}`);
    const compression = LAYER_COMPRESSION.get(descriptor.mediaType);
    if (compression === undefined) throw new ImageSourceError(image, `layer ${index + 1} of ${where} has unknown media type ${JSON.stringify(descriptor.mediaType)}`);
    return { ...descriptor, compression };
  });
  return { kind: "manifest", mediaType, config, layers };
}

function parseIndex(json: Json, mediaType: string, image: string, where: string): ParsedIndex {
  const list = json["manifests"];
  if (!Array.isArray(list)) throw new ImageSourceError(image, `${where} has no manifests list`);
  const manifests = list.map((entry: unknown, index): IndexEntry => {
    const descriptor = parseDescriptor(entry, image, `entry ${index + 1} of ${where}`);
    const annotations = (entry as Json)["annotations"];
    const refName = isObject(annotations) && typeof annotations[REF_NAME] === "string" ? annotations[REF_NAME] : undefined;
    return { ...descriptor, platform: parsePlatformField((entry as Json)["platform"]), refName };
  });
  return { kind: "index", mediaType, manifests };
}

/**
 * A manifest or an index from its bytes; `hint` is the media type the
 * transport gave (a Content-Type, a descriptor's), `where` names it in
 * messages ("the manifest sha256:…", "index.json").
 */
export function parseManifest(bytes: Buffer, hint: string | undefined, image: string, where: string): ParsedManifest | ParsedIndex {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    throw new ImageSourceError(image, `${where} is not JSON (${(error as Error).message})`);
  }
  if (!isObject(json)) throw new ImageSourceError(image, `${where} is not a JSON object`);
  if (json["schemaVersion"] !== 2) throw new ImageSourceError(image, `${where} has schemaVersion ${JSON.stringify(json["schemaVersion"]) ?? "missing"}, not 2`);
  const mediaType = mediaTypeOf(json, hint, image, where);
  return MANIFEST_KINDS.get(mediaType) === "index" ? parseIndex(json, mediaType, image, where) : parseImageManifest(json, mediaType, image, where);
}
