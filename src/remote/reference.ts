/**
 * `docker://host[:port]/repo[:tag]`, the reference syntax skopeo and podman
 * take, with Docker's rules for what the first component is: a registry
 * host when it holds a "." or a ":" or is "localhost", else a path on
 * Docker Hub (where one-component names live under library/).
 */
import { ImageRefError } from "./errors.ts";

export interface ImageReference {
  /** As written in the reference (`localhost:5000`); Docker Hub: `docker.io`. */
  readonly registry: string;
  /** host:port to connect to (Docker Hub's API host for docker.io). */
  readonly endpoint: string;
  /** The repository path: `team/app`. */
  readonly repository: string;
  readonly tag: string;
  /** The reference named a tag (else `tag` is "latest", and a caller may pick another). */
  readonly tagGiven: boolean;
}

const DOCKER_HUB = "docker.io";
const DOCKER_HUB_ENDPOINT = "registry-1.docker.io";
/** The distribution spec's grammar for a path component, a tag, and a host[:port]. */
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

/** The reference after `docker://` and before any `@digest`; `shown` is the whole reference, for messages. */
function parseName(text: string, shown: string): ImageReference {
  let rest = text;
  let tag = "latest";
  let tagGiven = false;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    tagGiven = true;
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new ImageRefError(`image reference ${shown}: invalid tag ${JSON.stringify(tag)}`);
  }
  const parts = rest.split("/");
  let registry = DOCKER_HUB;
  const first = parts[0] ?? "";
  if (parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost" || first.startsWith("["))) {
    registry = first;
    parts.shift();
    if (!HOST.test(registry)) throw new ImageRefError(`image reference ${shown}: invalid registry host ${JSON.stringify(registry)}`);
  }
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift("library");
  for (const part of parts) {
    if (!COMPONENT.test(part)) throw new ImageRefError(`image reference ${shown}: invalid repository component ${JSON.stringify(part)} (lower-case letters, digits, and . _ - between them)`);
  }
  const endpoint = registry === DOCKER_HUB ? DOCKER_HUB_ENDPOINT : registry;
  return { registry, endpoint, repository: parts.join("/"), tag, tagGiven };
}

/** `text` without its `docker://`, which is required (as skopeo requires a transport). */
function afterScheme(text: string): string {
  if (!text.startsWith("docker://")) throw new ImageRefError(`image reference ${JSON.stringify(text)} must start with docker:// (e.g. docker://localhost:5000/app:1.0)`);
  return text.slice("docker://".length);
}

/** Parses `docker://…` for a push: a tag, never a digest. */
export function parseImageReference(text: string): ImageReference {
  const rest = afterScheme(text);
  if (rest.includes("@")) throw new ImageRefError(`image reference ${JSON.stringify(text)}: a digest (@sha256:…) cannot be pushed to; give a tag`);
  return parseName(rest, JSON.stringify(text));
}

/** A reference to read: it may name the image by digest (`…/app@sha256:…`, `…/app:1.0@sha256:…`: the digest wins). */
export interface ReadReference extends ImageReference {
  /** `sha256:<hex>` when the reference gives one. */
  readonly digest: string | undefined;
}

/** Parses `docker://…` for a read (verify, diff): a tag, a digest, or both. */
export function parseReadReference(text: string): ReadReference {
  const rest = afterScheme(text);
  const at = rest.indexOf("@");
  if (at < 0) return { ...parseName(rest, JSON.stringify(text)), digest: undefined };
  const digest = rest.slice(at + 1);
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new ImageRefError(`image reference ${JSON.stringify(text)}: digest ${JSON.stringify(digest)} is not sha256:<64 lower-case hex digits>`);
  return { ...parseName(rest.slice(0, at), JSON.stringify(text)), digest };
}

/** A tag as the distribution spec allows it (for --tag and repo_tag). */
export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** Back to text: `docker://localhost:5000/app:1.0`. */
export function formatImageReference(ref: ImageReference): string {
  return `docker://${ref.registry}/${ref.repository}:${ref.tag}`;
}

/** The host without the port, for "is this localhost". */
export function hostName(endpoint: string): string {
  if (endpoint.startsWith("[")) return endpoint.slice(1, endpoint.indexOf("]"));
  const colon = endpoint.lastIndexOf(":");
  return colon < 0 ? endpoint : endpoint.slice(0, colon);
}

/** Plain HTTP is assumed for loopback registries only, as Docker does (others: HTTPS unless asked). */
export function isLoopback(endpoint: string): boolean {
  const host = hostName(endpoint);
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}
