/**
 * Store trees described as data and built on disk with exact modes, link
 * targets, hard links, FIFOs, devices and sparse files.  Names are JS strings
 * where a lone surrogate U+DC80..U+DCFF stands for one raw byte (CPython's
 * surrogateescape), so non-UTF-8 names fit in JSON.
 */
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  closeSync,
  linkSync,
  mkdirSync,
  openSync,
  symlinkSync,
  writeSync,
  ftruncateSync,
  renameSync,
} from "node:fs";
import { fsEncode } from "../../src/py/fsname.ts";

export type TreeEntry =
  | { path: string; type: "dir"; mode?: string }
  | {
      path: string;
      type: "file";
      mode?: string;
      text?: string;
      hex?: string;
      repeat?: { text: string; count: number };
      /** chown (needs root; recorded as unavailable otherwise). */
      owner?: { uid: number; gid: number };
    }
  | { path: string; type: "sparse"; mode?: string; size: number; writes: { offset: number; text: string }[] }
  | { path: string; type: "symlink"; target: string }
  | { path: string; type: "hardlink"; target: string }
  | { path: string; type: "fifo"; mode?: string }
  | { path: string; type: "char" | "block"; mode?: string; major: number; minor: number };

export interface BuildResult {
  /** Entries that could not be made or read here (devices without CAP_MKNOD, owners or unreadable modes without root), with the reason. */
  readonly unavailable: { path: string; reason: string }[];
}

function bytesPath(root: string, path: string): Buffer {
  return Buffer.concat([Buffer.from(root), fsEncode(path)]);
}

function parentOf(path: Buffer): Buffer {
  return path.subarray(0, path.lastIndexOf(0x2f));
}

function fileBytes(entry: Extract<TreeEntry, { type: "file" }>): Buffer {
  if (entry.hex !== undefined) return Buffer.from(entry.hex, "hex");
  if (entry.repeat !== undefined) return Buffer.from(entry.repeat.text.repeat(entry.repeat.count), "utf8");
  return Buffer.from(entry.text ?? "", "utf8");
}

function mode(entry: { mode?: string }, fallback: number): number {
  return entry.mode === undefined ? fallback : parseInt(entry.mode, 8);
}

/**
 * Node has no mkfifo/mknod, and argv cannot carry non-UTF-8 bytes, so the
 * coreutils command makes the node under an ASCII name that is then renamed.
 * Returns why it could not be made (no CAP_MKNOD), or undefined.
 */
function makeSpecialFile(
  root: string,
  entry: Extract<TreeEntry, { type: "fifo" | "char" | "block" }>,
  target: Buffer,
): string | undefined {
  // The root is ours and ASCII-named; rename() within one file system.
  const temporary = `${root}/.tree-spec-${process.pid}`;
  const command =
    entry.type === "fifo"
      ? ["mkfifo", "-m", entry.mode ?? "644", temporary]
      : ["mknod", "-m", entry.mode ?? "600", temporary, entry.type === "char" ? "c" : "b", String(entry.major), String(entry.minor)];
  try {
    execFileSync(command[0]!, command.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
  } catch (error) {
    return `${command[0]} failed: ${String((error as Error).message).split("\n")[0]}`;
  }
  renameSync(temporary, target);
  return undefined;
}

/**
 * Builds `entries` below `root` (paths are absolute, e.g. /nix/store/...).
 * Parents are created as 0755 directories; directory modes are applied last,
 * deepest first, so a 0000 directory can still be filled.
 */
export function buildTree(root: string, entries: readonly TreeEntry[]): BuildResult {
  const unavailable: { path: string; reason: string }[] = [];
  const dirModes: [Buffer, number][] = [];
  for (const entry of entries) {
    const target = bytesPath(root, entry.path);
    mkdirSync(parentOf(target), { recursive: true, mode: 0o755 });
    switch (entry.type) {
      case "dir":
        mkdirSync(target, { recursive: true });
        dirModes.push([target, mode(entry, 0o755)]);
        break;
      case "file": {
        const fd = openSync(target, "w");
        writeSync(fd, fileBytes(entry));
        closeSync(fd);
        chmodSync(target, mode(entry, 0o644));
        if (entry.owner !== undefined) {
          try {
            chownSync(target, entry.owner.uid, entry.owner.gid);
          } catch (error) {
            unavailable.push({ path: entry.path, reason: `chown failed: ${(error as Error).message}` });
          }
        }
        break;
      }
      case "sparse": {
        const fd = openSync(target, "w");
        ftruncateSync(fd, entry.size);
        for (const write of entry.writes) writeSync(fd, Buffer.from(write.text, "utf8"), 0, undefined, write.offset);
        closeSync(fd);
        chmodSync(target, mode(entry, 0o644));
        break;
      }
      case "symlink":
        symlinkSync(fsEncode(entry.target), target);
        break;
      case "hardlink":
        linkSync(bytesPath(root, entry.target), target);
        break;
      case "fifo":
      case "char":
      case "block": {
        const problem = makeSpecialFile(root, entry, target);
        if (problem !== undefined) unavailable.push({ path: entry.path, reason: problem });
        break;
      }
    }
  }
  for (const [dir, dirMode] of dirModes.reverse()) chmodSync(dir, dirMode);
  // Root reads anything; anyone else owns this tree but cannot read what its
  // mode denies the owner, so cases with such entries cannot run here.
  if (process.getuid?.() !== 0) {
    for (const entry of entries) {
      if (entry.type !== "dir" && entry.type !== "file" && entry.type !== "sparse") continue;
      const needed = entry.type === "dir" ? 0o500 : 0o400;
      const entryMode = mode(entry, entry.type === "dir" ? 0o755 : 0o644);
      if ((entryMode & needed) !== needed) unavailable.push({ path: entry.path, reason: `mode ${entry.mode} cannot be read without root` });
    }
  }
  return { unavailable };
}
