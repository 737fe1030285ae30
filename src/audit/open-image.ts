/**
 * IMAGE as `verify` and `diff` take it, in skopeo's syntax: `docker://…`
 * (a registry), `oci:DIR[:REF]`, `oci-archive:FILE[:REF]`,
 * `docker-archive:FILE[:REF]` — the path ends at the first ":" after the
 * transport, as containers/image splits it, so such a path cannot hold a
 * ":" — and anything else a plain path to the image tar (`-`: stdin),
 * which the byte-for-byte comparison reads itself.  A path with a ":" and
 * no known transport stays a path; skopeo's other transports are refused
 * by name rather than read as a missing file, unless a file has that name.
 */
import { existsSync } from "node:fs";
import type { ImageSource, TransportName } from "../oci/image-source.ts";
import { LayoutSource } from "../layout/layout-source.ts";
import { ImageRefError } from "../remote/errors.ts";
import { RegistrySource, type RegistrySourceOptions } from "../remote/image-source.ts";
import { DockerArchiveSource } from "../tarball/docker-archive-source.ts";
import { OciArchiveSource } from "../tarball/oci-archive-source.ts";

export type ImageName =
  | { readonly kind: "plain"; readonly path: string }
  | { readonly kind: "registry"; readonly transport: "docker"; readonly reference: string }
  | { readonly kind: "local"; readonly transport: Exclude<TransportName, "docker">; readonly path: string; readonly ref: string | undefined };

export type OpenedImage = { readonly kind: "plain"; readonly path: string } | { readonly kind: "source"; readonly transport: TransportName; readonly source: ImageSource };

const LOCAL_TRANSPORTS: readonly Exclude<TransportName, "docker">[] = ["oci", "oci-archive", "docker-archive"];
/** skopeo's transports this project does not read. */
const OTHER_TRANSPORTS = ["dir", "containers-storage", "docker-daemon", "ostree", "sif", "tarball"];
const SUPPORTED = "docker://, oci:, oci-archive:, docker-archive: or a path to the image tar";

/** Which transport IMAGE names, and its path and REF; a plain path is returned as such. */
export function parseImageName(text: string): ImageName {
  if (text.startsWith("docker://")) return { kind: "registry", transport: "docker", reference: text };
  const colon = text.indexOf(":");
  if (colon < 0) return { kind: "plain", path: text };
  const transport = text.slice(0, colon);
  const details = text.slice(colon + 1);
  if (transport === "docker") throw new ImageRefError(`image ${JSON.stringify(text)}: a registry image is written docker://HOST[:PORT]/REPO[:TAG]`);
  const local = LOCAL_TRANSPORTS.find((name) => name === transport);
  if (local === undefined) {
    if (OTHER_TRANSPORTS.includes(transport) && !existsSync(text)) throw new ImageRefError(`image ${JSON.stringify(text)}: the ${transport}: transport is not read here (give ${SUPPORTED})`);
    return { kind: "plain", path: text };
  }
  const split = details.indexOf(":");
  const path = split < 0 ? details : details.slice(0, split);
  const ref = split < 0 ? undefined : details.slice(split + 1);
  if (path === "") throw new ImageRefError(`image ${JSON.stringify(text)}: no path after ${transport}:`);
  return { kind: "local", transport: local, path, ref: ref === "" ? undefined : ref };
}

/**
 * The ImageSource IMAGE names (not yet read: `resolve` reads it), or the
 * plain path.  `options` apply to a registry.
 */
export function openImage(text: string, options: RegistrySourceOptions = {}): OpenedImage {
  const name = parseImageName(text);
  if (name.kind === "plain") return name;
  if (name.kind === "registry") return { kind: "source", transport: "docker", source: new RegistrySource(name.reference, options) };
  const source = name.transport === "oci" ? new LayoutSource(text, name.path, name.ref) : name.transport === "oci-archive" ? new OciArchiveSource(text, name.path, name.ref) : new DockerArchiveSource(text, name.path, name.ref);
  return { kind: "source", transport: name.transport, source };
}
