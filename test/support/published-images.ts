/**
 * Issue 21's fixtures: our images as people publish them.  One call builds
 * the stores, streams each image with our CLI, publishes it once by every
 * route of published-routes.ts (a registry started for the caller, skopeo,
 * podman, our push), records what each route did to the layers and the
 * config, and makes the four one-difference variants of image-variants.ts.
 *
 * Subjects: the example (example/conf-current.json: owners and mtime), the
 * same store under the 2020 conf (example/conf.json; published by skopeo's
 * default route only, with the byte and layer variants), and a larger
 * generated image (generated-store.ts).
 */
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import assert from "node:assert/strict";
import { copyAsNixStore } from "../../src/demo/nix-store-copy.ts";
import { storePath } from "../fixtures/layer-fixtures.ts";
import { EXAMPLE_DIR } from "./example-store.ts";
import { GENERATED_EDIT, writeGeneratedStore } from "./generated-store.ts";
import { makeVariants, digestOf, streamImage, type Variant, type VariantKind, type VariantSubject } from "./image-variants.ts";
import { isolationMissing, runIsolated, succeeded } from "./isolated-tools.ts";
import { archiveMembers } from "./layer-members.ts";
import { commandMissing, startRegistry, type RunningRegistry } from "./registry.ts";
import { ALL_ROUTES, ROUTES, imageName, imagePath, publishWithOurPush, publishWithPodman, publishWithSkopeo, type PublishInput, type Route } from "./published-routes.ts";

export type { Route } from "./published-routes.ts";
export type { Variant, VariantKind, ExpectedDifferences, ExpectedLayerDifference } from "./image-variants.ts";

export type SubjectName = "example" | "example-2020" | "generated";

/** Which routes publish which subject: known before anything is built, so tests can be declared from it. */
export const PUBLISHED_PLAN: Readonly<Record<SubjectName, readonly Route[]>> = {
  example: ALL_ROUTES,
  "example-2020": ["stream", "registry-skopeo-gzip"],
  generated: ALL_ROUTES,
};

/** Which variants each subject has (a 2020 conf has no mtime or uid to change: image-variants.ts). */
export const VARIANT_PLAN: Readonly<Record<SubjectName, readonly VariantKind[]>> = {
  example: ["byte", "mtime", "owner", "layer"],
  "example-2020": ["byte", "layer"],
  generated: ["byte", "mtime", "owner", "layer"],
};

export type Compression = "none" | "gzip" | "zstd";

export interface PublishedForm {
  readonly subject: SubjectName;
  readonly route: Route;
  /** skopeo syntax: docker://127.0.0.1:PORT/..., oci:DIR:REF, oci-archive:FILE:REF, docker-archive:FILE. */
  readonly image: string;
  readonly publishedBy: string;
  /** The conf and root the image was made from (verify on them must pass). */
  readonly conf: string;
  readonly root: string;
  readonly layers: number;
  /** A registry image: skopeo needs --tls-verify=false, our CLI plain HTTP. */
  readonly registry: boolean;
  readonly manifestMediaType: string;
  readonly layerMediaTypes: readonly string[];
  /** Each layer blob's compression, from its first bytes. */
  readonly compression: readonly Compression[];
  readonly configDigest: string;
  /** The config blob is ours byte for byte (configDigest is the image id). */
  readonly configKept: boolean;
  /** An archive's top-level member names, an OCI layout's files; undefined for a registry. */
  readonly members: readonly string[] | undefined;
}

export interface PublishedSubject {
  readonly name: SubjectName;
  readonly conf: string;
  readonly root: string;
  readonly imageId: string;
  readonly diffIds: readonly string[];
  readonly variants: readonly Variant[];
  readonly forms: readonly PublishedForm[];
}

export interface PublishedImages {
  /** 127.0.0.1:PORT, plain HTTP. */
  readonly registry: string;
  readonly subjects: readonly PublishedSubject[];
  readonly forms: readonly PublishedForm[];
  /** How long the build took. */
  readonly seconds: number;
  /** Stops the registry (the caller removes `dir`). */
  stop(): Promise<void>;
}

/** Why the fixtures cannot be built here, and which requirement that is (podman not as root, a client missing), or undefined. */
export async function publishedImagesMissing(): Promise<{ kind: "privilege" | "clients"; why: string } | undefined> {
  if (process.getuid?.() !== 0) return { kind: "privilege", why: "podman loads images in the fixtures as root only (rootless podman needs subordinate id maps)" };
  const why = commandMissing("skopeo", ["--version"]) ?? commandMissing("podman", ["--version"]) ?? commandMissing("docker-registry", ["--version"]) ?? (await isolationMissing());
  return why === undefined ? undefined : { kind: "clients", why };
}

/** skopeo inspect's manifest and config bytes of `image`. */
export async function inspectImage(image: string): Promise<{ manifest: Buffer; config: Buffer }> {
  const tls = image.startsWith("docker://") ? ["--tls-verify=false"] : [];
  const manifest = succeeded(await runIsolated("skopeo", ["inspect", "--raw", ...tls, image]));
  const config = succeeded(await runIsolated("skopeo", ["inspect", "--config", "--raw", ...tls, image]));
  return { manifest, config };
}

export function sha256(data: Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

function sniff(head: Buffer): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head.readUInt32LE(0) === 0xfd2fb528) return "zstd";
  return "none";
}

/** The layer blobs of a published form as stored, in manifest order (docker-archives by their own manifest.json). */
async function layerBlobs(image: string, manifest: { layers: { digest: string }[] }): Promise<Buffer[]> {
  const [transport] = image.split(":");
  const hex = (digest: string): string => digest.slice("sha256:".length);
  if (transport === "docker") {
    // docker://HOST:PORT/REPO:TAG
    const reference = image.slice("docker://".length);
    const slash = reference.indexOf("/");
    const repo = reference.slice(slash + 1, reference.lastIndexOf(":"));
    const blob = async (digest: string): Promise<Buffer> => Buffer.from(await (await fetch(`http://${reference.slice(0, slash)}/v2/${repo}/blobs/${digest}`)).arrayBuffer());
    return Promise.all(manifest.layers.map((l) => blob(l.digest)));
  }
  const path = imagePath(image);
  if (transport === "oci") return manifest.layers.map((l) => readFileSync(join(path, "blobs", "sha256", hex(l.digest))));
  const members = archiveMembers(readFileSync(path));
  if (transport === "oci-archive") return manifest.layers.map((l) => members.get(`blobs/sha256/${hex(l.digest)}`)!);
  const names = (JSON.parse(members.get("manifest.json")!.toString("utf8")) as { Layers: string[] }[])[0]!.Layers;
  return names.map((name) => members.get(name)!);
}

function filesBelow(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

/** What `route` made of `subject`, checked against ROUTES' expectations. */
async function describeForm(subject: PublishedSubject, input: PublishInput, route: Route): Promise<PublishedForm> {
  const image = imageName(input, route);
  const inspected = await inspectImage(image);
  const manifest = JSON.parse(inspected.manifest.toString("utf8")) as { mediaType?: string; config: { digest: string }; layers: { mediaType: string; digest: string }[] };
  const blobs = await layerBlobs(image, manifest);
  const configDigest = sha256(inspected.config);
  const transport = image.split(":")[0];
  const form: PublishedForm = {
    subject: subject.name,
    route,
    image,
    publishedBy: ROUTES[route].publishedBy,
    conf: subject.conf,
    root: subject.root,
    layers: manifest.layers.length,
    registry: transport === "docker",
    manifestMediaType: manifest.mediaType ?? "(none)",
    layerMediaTypes: manifest.layers.map((l) => l.mediaType),
    compression: blobs.map(sniff),
    configDigest,
    configKept: configDigest === subject.imageId,
    members: transport === "docker" ? undefined : transport === "oci" ? filesBelow(imagePath(image)) : [...archiveMembers(readFileSync(imagePath(image))).keys()],
  };
  const what = `${subject.name} by ${route} (${image})`;
  assert.equal(form.layers, subject.diffIds.length, `${what}: layer count`);
  assert.deepEqual(form.compression, form.compression.map(() => ROUTES[route].compression), `${what}: layer compression`);
  assert.equal(form.configKept, ROUTES[route].keepsConfig, `${what}: config ${configDigest} against the image id ${subject.imageId}`);
  assert.deepEqual((JSON.parse(inspected.config.toString("utf8")) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids, subject.diffIds, `${what}: diff_ids`);
  return form;
}

/** Runs `tasks` at most `limit` at a time (the machine has two cores, shared). */
async function limited<T>(limit: number, tasks: readonly (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < tasks.length; i = next++) results[i] = await tasks[i]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

/** The example store under `dir`, with a store path no example conf uses (the layer variant's). */
function exampleRoot(dir: string): { root: string; extraPath: string } {
  const root = join(dir, "example-root");
  mkdirSync(root);
  copyAsNixStore(join(EXAMPLE_DIR, "nix"), join(root, "nix"));
  const extraPath = storePath(220, "hello-extra-1.0");
  chmodSync(join(root, "nix", "store"), 0o755);
  mkdirSync(join(root, extraPath, "share", "hello"), { recursive: true });
  writeFileSync(join(root, extraPath, "share", "hello", "extra.txt"), "an extra layer\n");
  chmodSync(join(root, "nix", "store"), 0o555);
  return { root, extraPath };
}

function generatedRoot(dir: string): { root: string; conf: string; extraPath: string } {
  const root = join(dir, "generated-root");
  const { confText } = writeGeneratedStore(root);
  const extraPath = storePath(217, "gen-extra");
  mkdirSync(join(root, extraPath, "bin"), { recursive: true });
  writeFileSync(join(root, extraPath, "bin", "extra"), "#!/bin/sh\necho extra\n", { mode: 0o555 });
  const conf = join(dir, "generated.json");
  writeFileSync(conf, confText);
  return { root, conf, extraPath };
}

const EXAMPLE_EDIT = { layer: 0, member: "/nix/store/a397jcmr3wx77iwdw1awxa8qdjmb9kpm-hello-greetings-1.0/share/hello/greetings.txt", offset: 10 } as const;

/** Builds and publishes everything below `dir` (which the caller removes), once. */
export async function publishImages(dir: string): Promise<PublishedImages> {
  const started = Date.now();
  const registryStarting = startRegistry();
  const example = exampleRoot(dir);
  const generated = generatedRoot(dir);
  const sources: (Omit<VariantSubject, "stream" | "original"> & { name: SubjectName; podmanName: string })[] = [
    { name: "example", label: "example", root: example.root, conf: join(EXAMPLE_DIR, "conf-current.json"), edit: EXAMPLE_EDIT, extraPath: example.extraPath, podmanName: "localhost/hello-example:current" },
    { name: "example-2020", label: "example-2020", root: example.root, conf: join(EXAMPLE_DIR, "conf.json"), edit: EXAMPLE_EDIT, extraPath: example.extraPath, podmanName: "localhost/hello-example:latest" },
    { name: "generated", label: "generated", root: generated.root, conf: generated.conf, edit: GENERATED_EDIT, extraPath: generated.extraPath, podmanName: "localhost/generated-image:current" },
  ];
  const subjects = await Promise.all(
    sources.map(async (source) => {
      const stream = join(dir, `${source.label}.tar`);
      const [original] = await Promise.all([digestOf(source.root, source.conf), streamImage(source.root, source.conf, stream)]);
      return { ...source, stream, original };
    }),
  );
  let registry: RunningRegistry | undefined;
  try {
    registry = await registryStarting;
    const podRoot = join(dir, "podman");
    const inputs = subjects.map((s): PublishInput => ({ label: s.label, root: s.root, conf: s.conf, stream: s.stream, podmanName: s.podmanName, dir, registry: registry!.endpoint }));
    const full = inputs.filter((_, i) => PUBLISHED_PLAN[subjects[i]!.name].length === ALL_ROUTES.length);
    const tasks: (() => Promise<unknown>)[] = [
      ...full.map((input) => () => publishWithSkopeo(input)),
      // podman's storage is shared: its loads, pushes and saves one after the other.
      async () => {
        for (const input of full) await publishWithPodman(input, podRoot);
      },
      ...full.map((input) => () => publishWithOurPush(input)),
      async () => void succeeded(await runIsolated("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", `docker-archive:${inputs[1]!.stream}`, imageName(inputs[1]!, "registry-skopeo-gzip")])),
      ...subjects.map((s) => () => makeVariants(s, VARIANT_PLAN[s.name], dir)),
    ];
    const results = await limited(3, tasks);
    const variants = results.slice(-subjects.length) as Variant[][];
    const described = await Promise.all(
      subjects.map(async (s, i): Promise<PublishedSubject> => {
        const subject: PublishedSubject = { name: s.name, conf: s.conf, root: s.root, imageId: s.original.imageId, diffIds: s.original.diffIds, variants: variants[i]!, forms: [] };
        const forms = await limited(2, PUBLISHED_PLAN[s.name].map((route) => () => describeForm(subject, inputs[i]!, route)));
        return { ...subject, forms };
      }),
    );
    const running = registry;
    return {
      registry: running.endpoint,
      subjects: described,
      forms: described.flatMap((s) => s.forms),
      seconds: (Date.now() - started) / 1000,
      stop: () => running.stop(),
    };
  } catch (error) {
    await (registry ?? (await registryStarting.catch(() => undefined)))?.stop();
    throw error;
  }
}
