/**
 * Independent container tools (skopeo, bsdtar, podman from Debian; .ci/run
 * installs them) run on our images.  A missing tool is reported as a skip
 * with the reason, never as a pass.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RECORD_SIZE, BLOCK_SIZE, TypeFlag } from "../../src/tar/constants.ts";
import { encodeHeader } from "../../src/tar/header.ts";
import { TAR_FORMAT_CURRENT } from "../../src/profile/python.ts";
import { skipIfUnavailable, type FixtureStore } from "./fixture-store.ts";
import { skipOrFail } from "./requirements.ts";

export interface ToolResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a client to its end.  The timeout only guards against a hung client
 * (a CI run must end): ten minutes, so that no load makes a slow run fail.
 */
export function runTool(command: string, args: readonly string[], input?: Buffer): ToolResult {
  const result = spawnSync(command, args, { input, maxBuffer: 1 << 28, timeout: 600_000 });
  if (result.error !== undefined) return { status: null, stdout: "", stderr: String(result.error) };
  return { status: result.status, stdout: result.stdout.toString("utf8"), stderr: result.stderr.toString("utf8") };
}

const missing = new Map<string, string | undefined>();

/** Why `tool` cannot be used here, or undefined when it runs. */
export function toolMissing(tool: string): string | undefined {
  if (!missing.has(tool)) {
    const result = runTool(tool, ["--version"]);
    missing.set(tool, result.status === 0 ? undefined : `${tool} is not installed here (.ci/run installs it with apt-get): ${result.stderr.trim().split("\n")[0]}`);
  }
  return missing.get(tool);
}

/**
 * Skips `t` (or fails it, under SLI_REQUIRE_CLIENTS / SLI_REQUIRE_PRIVILEGE)
 * when `tool` is missing or `store` lacks entries `paths` need; true when it did.
 */
export function skipWithoutTool(t: { skip(message?: string): void }, tool: string, store?: FixtureStore, paths: readonly string[] = []): boolean {
  const why = toolMissing(tool);
  if (why !== undefined) {
    skipOrFail(t, "clients", why);
    return true;
  }
  return store !== undefined && skipIfUnavailable(t, store, paths);
}

/**
 * A customisation layer real clients accept: a one-file tarball whose
 * checksum file holds its true sha256 (the golden fixtures' is a stand-in).
 * Returns its store path, below `root`.
 */
export function makeClientCustomisationLayer(root: string): string {
  const storePath = "/nix/store/0000000000000000000000000000client-customisation";
  const content = Buffer.from("accepted by real clients\n");
  const header = encodeHeader(
    { name: "etc/client-check", mode: 0o644, uid: 0, gid: 0, size: content.length, mtime: 0, type: TypeFlag.regular, linkname: "", uname: "", gname: "", devmajor: 0, devminor: 0 },
    TAR_FORMAT_CURRENT,
  );
  const body = Buffer.concat([header, content, Buffer.alloc(BLOCK_SIZE - content.length), Buffer.alloc(2 * BLOCK_SIZE)]);
  const tar = Buffer.concat([body, Buffer.alloc((RECORD_SIZE - (body.length % RECORD_SIZE)) % RECORD_SIZE)]);
  const dir = join(root, storePath);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "layer.tar"), tar);
  writeFileSync(join(dir, "checksum"), createHash("sha256").update(tar).digest("hex"));
  return storePath;
}
