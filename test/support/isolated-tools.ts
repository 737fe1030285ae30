/**
 * skopeo and podman run for the published-image fixtures: bounded in time,
 * their stderr kept for the assertion that fails, and each with an empty
 * blob-info cache of its own.
 *
 * Why the cache matters: containers/image (skopeo 1.9.3, podman 4.3.1)
 * remembers, machine-wide in /var/lib/containers/cache when root, which
 * compressed blobs it has seen for an uncompressed layer and where.  On a
 * later push to the same registry it reuses them whatever compression was
 * asked for: a default (gzip) `skopeo copy` after a zstd one was seen to
 * publish zstd layers under an OCI manifest, and a zstd one after a gzip
 * one to publish gzip.  The fixtures must not depend on what ran before,
 * nor write to the machine's cache, so as root each call runs in a private
 * mount namespace with a tmpfs over the cache directory; as another user
 * XDG_DATA_HOME (where the cache then lives) points at a temporary
 * directory.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface BoundedRun {
  readonly status: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
  /** The command line, for messages. */
  readonly command: string;
}

/** Long enough for a loaded 2-core machine, short enough that a hung client fails the run. */
export const TOOL_TIMEOUT_MS = 120_000;

/** `command` to its end (or SIGKILL after `timeoutMs`), without blocking this process's servers. */
export function runBounded(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<BoundedRun> {
  const line = [command, ...args].join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (data: Buffer) => out.push(data));
    child.stderr.on("data", (data: Buffer) => err.push(data));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs ?? TOOL_TIMEOUT_MS);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`${line}: ${error.message}`));
    });
    child.on("close", (status) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString("utf8") + (timedOut ? `\n(killed after ${options.timeoutMs ?? TOOL_TIMEOUT_MS} ms)` : "");
      resolve({ status, stdout: Buffer.concat(out), stderr, command: line });
    });
  });
}

/** The run's stdout; throws with the command line and its stderr when it failed. */
export function succeeded(run: BoundedRun): Buffer {
  if (run.status !== 0) throw new Error(`${run.command} exited with ${run.status}:\n${run.stderr.trim()}`);
  return run.stdout;
}

/** The directory containers/image keeps its cache in as root, or the nearest existing parent to hide instead. */
function rootCacheMountPoint(): string {
  return ["/var/lib/containers/cache", "/var/lib/containers", "/var/lib"].find((dir) => existsSync(dir)) ?? "/var/lib";
}

let privateHome: string | undefined;

/** skopeo or podman with a blob-info cache of its own (see the file comment). */
export function runIsolated(tool: "skopeo" | "podman", args: readonly string[], timeoutMs?: number): Promise<BoundedRun> {
  if (process.getuid?.() === 0) {
    // sh mounts the tmpfs inside the new namespace, then becomes the tool ($0 is the mount point).
    const script = 'mount -t tmpfs sli-blob-cache "$0" && exec "$@"';
    return runBounded("unshare", ["--mount", "--propagation", "private", "sh", "-c", script, rootCacheMountPoint(), tool, ...args], { timeoutMs });
  }
  privateHome ??= mkdtempSync(join(tmpdir(), "sli-blob-cache-"));
  return runBounded(tool, args, { env: { ...process.env, XDG_DATA_HOME: privateHome }, timeoutMs });
}

/** Why the isolated tools cannot run here, or undefined. */
export async function isolationMissing(): Promise<string | undefined> {
  const probe = await runIsolated("skopeo", ["--version"], 30_000).catch((error: Error) => ({ status: null, stderr: error.message }));
  if (probe.status === 0) return undefined;
  return `skopeo cannot be run with a private blob-info cache here (${process.getuid?.() === 0 ? "unshare --mount, then mount -t tmpfs" : "XDG_DATA_HOME"}): ${probe.stderr.trim()}`;
}
