/**
 * A real Nix for test/real-nix.test.ts and `npm run golden -- nix`: builds
 * test/nix/closure.nix into this machine's /nix/store (no namespace, no
 * --root), hard-links it with `nix-store --optimise`, and writes the confs
 * of both script generations from `nix-store -qR`, one store path per layer
 * (nixpkgs' default layering below maxLayers), the customisation layer last.
 *
 * Nix runs as root without a daemon or build users, unsandboxed (the
 * builders are the host's /bin/sh) and offline, with these settings in a
 * NIX_CONFIG given to its processes only: nothing is written to nix.conf.
 *
 * Only helpers: this module has no side effects when loaded (node --test
 * also loads every .js file under build/test/ as a test file).  It imports
 * nothing from src/: the CLI runs as a process.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GOLDEN_DIR, REPO_ROOT } from "./reference.ts";
import type { Requirement } from "./requirements.ts";

export const NIX_EXPRESSION = join(REPO_ROOT, "test", "nix", "closure.nix");
export const NIX_GOLDEN_DIR = join(GOLDEN_DIR, "nix");

const NIX_SETTINGS = ["build-users-group =", "sandbox = false", "substituters =", "experimental-features = nix-command"].join("\n");

function nixEnv(): NodeJS.ProcessEnv {
  return { ...process.env, NIX_CONFIG: NIX_SETTINGS };
}

/** Runs a Nix command and returns its stdout; throws with its stderr's tail when it fails. */
export function runNix(command: string, args: readonly string[]): string {
  const result = spawnSync(command, args, { env: nixEnv(), encoding: "utf8", maxBuffer: 1 << 26 });
  if (result.error !== undefined) throw new Error(`${command}: ${result.error.message}`);
  if (result.status !== 0) {
    const tail = result.stderr.trim().split("\n").slice(-5).join("\n");
    throw new Error(`${command} ${args.join(" ")} exited with ${result.status}:\n${tail}`);
  }
  return result.stdout;
}

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

/** Why Nix cannot build here, and which requirement that absence fails under in CI; undefined when it can. */
export function nixUnavailable(): { kind: Requirement; why: string } | undefined {
  const probe = spawnSync("nix-build", ["--version"], { encoding: "utf8" });
  if (probe.error !== undefined || probe.status !== 0) {
    return { kind: "nix", why: `Nix is not installed (nix-build --version: ${probe.error?.message ?? probe.stderr.trim()}); .ci/run installs Debian's nix-bin` };
  }
  if (process.getuid?.() !== 0) {
    return { kind: "privilege", why: "building with Nix here needs root (a single-user Nix without build users writes /nix/store itself)" };
  }
  return undefined;
}

/** `nix-build (Nix) 2.8.0`. */
export function nixVersion(): string {
  return runNix("nix-build", ["--version"]).trim();
}

/** What closure.nix built, as this machine's Nix named it. */
export interface NixClosure {
  /** The image's root: a store path that is a symlink to another store path. */
  readonly contents: string;
  /** A store path holding layer.tar and checksum, as nixpkgs makes it. */
  readonly customisationLayer: string;
  /** `nix-store -qR contents`, in its order (references first): one layer each. */
  readonly storePaths: readonly string[];
}

/** Builds closure.nix (seconds; nothing when already built) and runs `nix-store --optimise`. */
export function buildClosure(): NixClosure {
  const built = lines(runNix("nix-build", ["--no-out-link", NIX_EXPRESSION, "-A", "contents", "-A", "customisationLayer"]));
  const [contents, customisationLayer] = built;
  if (built.length !== 2 || contents === undefined || customisationLayer === undefined) throw new Error(`nix-build printed ${JSON.stringify(built)}`);
  const storePaths = lines(runNix("nix-store", ["--query", "--requisites", contents]));
  // Identical files (the twins of closure.nix, and any others) become hard links.
  runNix("nix-store", ["--optimise"]);
  return { contents, customisationLayer, storePaths };
}

/** Every store path the confs name. */
export function allPaths(closure: NixClosure): string[] {
  return [...closure.storePaths, closure.customisationLayer];
}

/** `nix-store --query --hash` of each path: what the goldens' store held, byte for byte. */
export function narHashes(paths: readonly string[]): Record<string, string> {
  const hashes = lines(runNix("nix-store", ["--query", "--hash", ...paths]));
  return Object.fromEntries(paths.map((path, i) => [path, hashes[i]!]));
}

/**
 * Builds every derivation of `paths` again and fails when an output differs
 * from the one in the store (`nix-store --realise --check`): their bytes
 * are a function of closure.nix, not of the build.
 */
export function checkRebuildsIdentical(paths: readonly string[]): void {
  const derivers = lines(runNix("nix-store", ["--query", "--deriver", ...paths]));
  runNix("nix-store", ["--realise", "--check", ...derivers]);
}

/** `nix copy` of the closure and the customisation layer to a fresh store below `root` (root/nix/store/...). */
export function copyClosure(closure: NixClosure, root: string): void {
  runNix("nix", ["copy", "--no-check-sigs", "--to", `local?root=${root}`, closure.contents, closure.customisationLayer]);
}

/** The conf of each generation for `closure`, as the text written to a file. */
export function nixConfs(closure: NixClosure): { "2020": string; current: string } {
  const common = {
    architecture: "amd64",
    config: { Cmd: ["/bin/sli-hello"], Env: ["PATH=/bin"] },
    created: "1970-01-01T00:00:01+00:00",
    repo_tag: "sli-nix:2020",
    store_layers: closure.storePaths.map((path) => [path]),
    customisation_layer: closure.customisationLayer,
  };
  const current = {
    ...common,
    created: "2024-05-01T12:00:00+00:00",
    mtime: "1970-01-01T00:00:01+00:00",
    uid: 1000,
    gid: 100,
    uname: "sli",
    gname: "users",
    store_dir: "/nix/store",
    from_image: null,
    repo_tag: "sli-nix:current",
  };
  return { "2020": JSON.stringify(common, null, 2) + "\n", current: JSON.stringify(current, null, 2) + "\n" };
}

/** golden/nix/manifest.json: what the goldens were made from, and the current script's output per CPython. */
export interface NixGoldenManifest {
  /** `nix-build --version` and builtins.currentSystem where they were made (store paths depend on the system). */
  readonly nix: string;
  readonly system: string;
  readonly contents: string;
  readonly customisationLayer: string;
  readonly storePaths: readonly string[];
  readonly narHashes: Readonly<Record<string, string>>;
  /** The conf the current script read (also in conf-current.json). */
  readonly conf: string;
  /** Per CPython version: the current script's image and stderr, files in golden/nix/. */
  readonly images: Readonly<Record<string, { image: string; stderr: string }>>;
}

export function readNixManifest(): NixGoldenManifest {
  return JSON.parse(readFileSync(join(NIX_GOLDEN_DIR, "manifest.json"), "utf8")) as NixGoldenManifest;
}

/** builtins.currentSystem of this machine's Nix. */
export function nixSystem(): string {
  return JSON.parse(runNix("nix-instantiate", ["--eval", "--json", "--expr", "builtins.currentSystem"])) as string;
}
