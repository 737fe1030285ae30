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

/** Parses `docker://…` (the transport prefix is required, as skopeo requires one). */
export function parseImageReference(text: string): ImageReference {
  const shown = JSON.stringify(text);
  if (!text.startsWith("docker://")) throw new ImageRefError(`image reference ${shown} must start with docker:// (e.g. docker://localhost:5000/app:1.0)`);
  let rest = text.slice("docker://".length);
  if (rest.includes("@")) throw new ImageRefError(`image reference ${shown}: a digest (@sha256:…) cannot be pushed to; give a tag`);
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
