/**
 * The routes by which the published-image fixtures are published, what
 * each is expected to do to the image (compression of the layers, whether
 * the config keeps our bytes), and how each is run.  The expectations are
 * what skopeo 1.9.3 and podman 4.3.1 were seen to do: published-images.ts
 * checks every published form against them, so a client that behaves
 * otherwise fails the fixtures loudly instead of quietly changing what
 * verify and diff are tested on.
 */
import { join } from "node:path";
import { runIsolated, succeeded } from "./isolated-tools.ts";
import { runCliAsync } from "./registry.ts";

export type Route =
  | "stream"
  | "registry-skopeo-gzip"
  | "registry-skopeo-zstd"
  | "registry-podman"
  | "registry-sli"
  | "skopeo-docker-archive"
  | "skopeo-oci"
  | "skopeo-oci-archive"
  | "podman-docker-archive"
  | "podman-oci-archive";

export interface RouteExpectation {
  readonly publishedBy: string;
  /** The layer blobs as stored (sniffed from their first bytes, not from the media type). */
  readonly compression: "none" | "gzip" | "zstd";
  /** The config blob is our config byte for byte (its digest is the image id `digest` prints). */
  readonly keepsConfig: boolean;
}

export const ROUTES: Readonly<Record<Route, RouteExpectation>> = {
  stream: { publishedBy: "stream-layered-image CONF (docker-archive on stdout)", compression: "none", keepsConfig: true },
  "registry-skopeo-gzip": { publishedBy: "skopeo copy docker-archive: docker:// (default compression)", compression: "gzip", keepsConfig: true },
  // A Docker schema 2 manifest cannot name zstd layers: skopeo converts to OCI, config included.
  "registry-skopeo-zstd": { publishedBy: "skopeo copy --dest-compress-format zstd docker-archive: docker://", compression: "zstd", keepsConfig: false },
  "registry-podman": { publishedBy: "podman load; podman push", compression: "gzip", keepsConfig: true },
  "registry-sli": { publishedBy: "stream-layered-image push (OCI manifest, uncompressed layers)", compression: "none", keepsConfig: true },
  "skopeo-docker-archive": { publishedBy: "skopeo copy docker-archive: docker-archive:", compression: "none", keepsConfig: true },
  "skopeo-oci": { publishedBy: "skopeo copy docker-archive: oci:", compression: "gzip", keepsConfig: false },
  "skopeo-oci-archive": { publishedBy: "skopeo copy docker-archive: oci-archive:", compression: "gzip", keepsConfig: false },
  "podman-docker-archive": { publishedBy: "podman load; podman save --format docker-archive", compression: "none", keepsConfig: true },
  "podman-oci-archive": { publishedBy: "podman load; podman save --format oci-archive", compression: "gzip", keepsConfig: false },
};

export const REGISTRY_ROUTES: readonly Route[] = ["registry-skopeo-gzip", "registry-skopeo-zstd", "registry-podman", "registry-sli"];
export const ARCHIVE_ROUTES: readonly Route[] = ["skopeo-docker-archive", "skopeo-oci", "skopeo-oci-archive", "podman-docker-archive", "podman-oci-archive"];
export const ALL_ROUTES: readonly Route[] = ["stream", ...REGISTRY_ROUTES, ...ARCHIVE_ROUTES];

/** What one subject is published from. */
export interface PublishInput {
  /** Names repositories and files (lower case, no spaces). */
  readonly label: string;
  readonly root: string;
  readonly conf: string;
  /** Our docker-archive of it. */
  readonly stream: string;
  /** The name podman load gives it (localhost/ + the conf's repo_tag). */
  readonly podmanName: string;
  readonly dir: string;
  readonly registry: string;
}

const SKOPEO_TO_REGISTRY = ["copy", "--quiet", "--dest-tls-verify=false"];

/** The image name (skopeo syntax) `route` publishes `input` under. */
export function imageName(input: PublishInput, route: Route): string {
  const file = (name: string): string => join(input.dir, `${input.label}-${name}`);
  switch (route) {
    case "stream":
      return `docker-archive:${input.stream}`;
    case "registry-skopeo-gzip":
    case "registry-skopeo-zstd":
    case "registry-podman":
    case "registry-sli":
      return `docker://${input.registry}/${input.label}/${route.slice("registry-".length)}:latest`;
    case "skopeo-docker-archive":
      return `docker-archive:${file("skopeo.docker.tar")}`;
    case "skopeo-oci":
      return `oci:${file("skopeo-oci")}:latest`;
    case "skopeo-oci-archive":
      return `oci-archive:${file("skopeo.oci.tar")}:latest`;
    case "podman-docker-archive":
      return `docker-archive:${file("podman.docker.tar")}`;
    case "podman-oci-archive":
      // podman save names the one manifest of the layout by the image's full name.
      return `oci-archive:${file("podman.oci.tar")}:${input.podmanName}`;
  }
}

/** The path part of a file-based image name (docker-archive:FILE, oci:DIR:REF, oci-archive:FILE:REF). */
export function imagePath(image: string): string {
  const [transport, ...rest] = image.split(":");
  return transport === "docker-archive" ? rest.join(":") : rest[0]!;
}

/** podman on the fixtures' own storage (vfs below `podRoot`, nothing of the machine's). */
export function podman(podRoot: string, args: readonly string[]): Promise<Buffer> {
  const storage = ["--root", join(podRoot, "root"), "--runroot", join(podRoot, "run"), "--tmpdir", join(podRoot, "tmp"), "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file"];
  return runIsolated("podman", [...storage, ...args]).then(succeeded);
}

/** Publishes `input` by the skopeo routes (one after the other: they read the same stream). */
export async function publishWithSkopeo(input: PublishInput): Promise<void> {
  const source = `docker-archive:${input.stream}`;
  const copy = async (args: readonly string[]): Promise<void> => void succeeded(await runIsolated("skopeo", args));
  await copy([...SKOPEO_TO_REGISTRY, source, imageName(input, "registry-skopeo-gzip")]);
  await copy([...SKOPEO_TO_REGISTRY, "--dest-compress-format", "zstd", source, imageName(input, "registry-skopeo-zstd")]);
  // With a name, so that the copy's manifest has a RepoTags entry as `docker save` writes.
  await copy(["copy", "--quiet", source, `${imageName(input, "skopeo-docker-archive")}:${input.label}:latest`]);
  await copy(["copy", "--quiet", source, imageName(input, "skopeo-oci")]);
  await copy(["copy", "--quiet", source, imageName(input, "skopeo-oci-archive")]);
}

/** Publishes `input` by the podman routes: one load into the shared storage, then push and both saves. */
export async function publishWithPodman(input: PublishInput, podRoot: string): Promise<void> {
  await podman(podRoot, ["load", "--quiet", "--input", input.stream]);
  await podman(podRoot, ["push", "--quiet", "--tls-verify=false", input.podmanName, imageName(input, "registry-podman")]);
  await podman(podRoot, ["save", "--quiet", "--format", "docker-archive", "-o", imagePath(imageName(input, "podman-docker-archive")), input.podmanName]);
  await podman(podRoot, ["save", "--quiet", "--format", "oci-archive", "-o", imagePath(imageName(input, "podman-oci-archive")), input.podmanName]);
}

/** Publishes `input` with our own push (no digest cache: nothing outside the fixtures' directory). */
export async function publishWithOurPush(input: PublishInput): Promise<void> {
  const run = await runCliAsync(["push", "--quiet", "--no-digest-cache", "--compress", "none", "--root", input.root, input.conf, imageName(input, "registry-sli")]);
  if (run.status !== 0) throw new Error(`stream-layered-image push exited with ${run.status}:\n${run.stderr}`);
}
