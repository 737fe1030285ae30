/**
 * Finding and running the reference (../shared/reference) and the CPython
 * interpreters under /root/.pyenv/versions, for golden regeneration and
 * differential tests.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { PythonVersion } from "../../src/py/version.ts";
import { findPythonInterpreters } from "./python.ts";
// No digest cache of the user's is read or filled (the CLI and streamImage keep one by default).
import "./cache-home.ts";

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("package.json not found above " + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}

export const REPO_ROOT = findRepoRoot();
export const REFERENCE_DIR = resolve(REPO_ROOT, "..", "shared", "reference");
export const WITH_STORE = join(REFERENCE_DIR, "with-store");
export const GOLDEN_DIR = join(REPO_ROOT, "golden");
/** Source (not compiled) support files such as the Python drivers. */
export const SUPPORT_SOURCE_DIR = join(REPO_ROOT, "test", "support");

/** The interpreter for a profile, or undefined when this machine lacks it. */
export function pythonFor(version: PythonVersion): string | undefined {
  return findPythonInterpreters().get(version);
}

let withStoreProblem: string | undefined | null = null;

/**
 * Why the reference cannot run here (no script, no unshare, no namespaces),
 * or undefined when it can.  Checked once by mounting an empty store.
 */
export function referenceUnavailable(): string | undefined {
  if (withStoreProblem !== null) return withStoreProblem;
  if (!existsSync(join(REFERENCE_DIR, "stream_layered_image.py"))) {
    withStoreProblem = `reference script not found in ${REFERENCE_DIR}`;
    return withStoreProblem;
  }
  const probeRoot = mkdtempSync(join(tmpdir(), "sli-probe-"));
  try {
    mkdirSync(join(probeRoot, "nix", "store"), { recursive: true });
    const result = spawnSync(WITH_STORE, [probeRoot, "--", "true"], { encoding: "utf8" });
    withStoreProblem = result.status === 0 ? undefined : `with-store cannot mount a store here: ${(result.stderr || String(result.error)).trim()}`;
  } finally {
    rmSync(probeRoot, { recursive: true, force: true });
  }
  return withStoreProblem;
}

export interface ReferenceLayerJob {
  readonly paths: readonly string[];
  readonly mtime: string;
  readonly out: string;
  readonly digest?: boolean;
}

/** Runs the reference's archive_paths_to for every job, with `storeRoot/nix` mounted on /nix. */
export function runReferenceLayers(python: string, storeRoot: string, jobs: readonly ReferenceLayerJob[]): void {
  const jobFile = join(storeRoot, "reference-job.json");
  writeFileSync(jobFile, JSON.stringify(jobs));
  execFileSync(WITH_STORE, [storeRoot, "--", python, join(SUPPORT_SOURCE_DIR, "reference-layers.py"), REFERENCE_DIR, jobFile], {
    stdio: ["ignore", "inherit", "inherit"],
  });
}

export interface ProcessResult {
  readonly status: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** This process's environment with TZ set, or removed when `tz` is undefined. */
function envWithTz(tz: string | undefined): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (tz === undefined) delete env.TZ;
  else env.TZ = tz;
  return env;
}

/**
 * Runs the reference script on `confPath` with `storeRoot/nix` mounted on
 * /nix, under the given TZ (undefined: TZ unset).
 */
export function runReferenceImage(python: string, storeRoot: string, confPath: string, tz: string | undefined): ProcessResult {
  const env = envWithTz(tz);
  const result = spawnSync(WITH_STORE, [storeRoot, "--", python, join(REFERENCE_DIR, "stream_layered_image.py"), confPath], {
    env,
    maxBuffer: 1 << 30,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString("utf8") };
}

/** Runs our CLI (dist/cli.js) the way a user would, reading the store below `storeRoot`. */
export function runOurCli(args: readonly string[], tz: string | undefined): ProcessResult {
  const env = envWithTz(tz);
  const result = spawnSync(process.execPath, [join(REPO_ROOT, "dist", "cli.js"), ...args], { env, maxBuffer: 1 << 30 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString("utf8") };
}

/** The current nixpkgs script (public code, never in the repository): its path, from SLI_CURRENT_REFERENCE. */
export function currentReference(): string | undefined {
  const path = process.env.SLI_CURRENT_REFERENCE;
  return path === undefined || path === "" ? undefined : path;
}

/** Why the current script cannot run here, or undefined when it can. */
export function currentReferenceUnavailable(): string | undefined {
  const script = currentReference();
  if (script === undefined) return "SLI_CURRENT_REFERENCE is not set (the path to today's nixpkgs stream_layered_image.py)";
  if (!existsSync(script)) return `SLI_CURRENT_REFERENCE names ${JSON.stringify(script)}, which does not exist`;
  // with-store comes with the 2020 reference (../shared/reference).
  return referenceUnavailable();
}

/** Runs the current script as `python SCRIPT [args...] CONF` with `storeRoot/nix` mounted on /nix. */
export function runCurrentReferenceImage(python: string, storeRoot: string, args: readonly string[], confPath: string): ProcessResult {
  const result = spawnSync(WITH_STORE, [storeRoot, "--", python, currentReference()!, ...args, confPath], { env: envWithTz("UTC"), maxBuffer: 1 << 30 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString("utf8") };
}
