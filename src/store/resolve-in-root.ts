/**
 * --root: paths seen inside the store (/nix/store/...) resolved below
 * another directory, symlinks followed as if that directory were "/", with
 * the errno the kernel would give for a failing component.
 */
import { lstatSync, readlinkSync } from "node:fs";

const SLASH = 0x2f;
/** Linux's MAXSYMLINKS: more links than this in one resolution is ELOOP. */
const MAX_SYMLINKS = 40;

function components(path: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= path.length; i++) {
    if (i === path.length || path[i] === SLASH) {
      if (i > start) parts.push(path.subarray(start, i));
      start = i + 1;
    }
  }
  return parts;
}

function join(root: Buffer, parts: readonly Buffer[]): Buffer {
  const pieces: Buffer[] = [root];
  for (const part of parts) pieces.push(Buffer.from("/"), part);
  return Buffer.concat(pieces);
}

/** The path below the root, or the errno code the kernel would give (ENOENT, ELOOP, EACCES, ENAMETOOLONG...). */
export type Resolved = { readonly path: Buffer } | { readonly code: string };

/**
 * Resolves `path` (absolute, as seen inside the store) to a path below `root`
 * following symlinks as if `root` were "/": an absolute link target such as
 * /nix/store/x restarts at the root instead of escaping to the host's /nix.
 * Each component is lstat()ed below the root, so a failure carries the errno
 * the kernel gives for that component (a name over 255 bytes: ENAMETOOLONG).
 */
export function resolveInRoot(root: string, path: Buffer): Resolved {
  const rootBytes = Buffer.from(root.replace(/\/+$/, ""));
  let resolved: Buffer[] = [];
  const todo = components(path);
  let links = 0;
  for (let part = todo.shift(); part !== undefined; part = todo.shift()) {
    if (part.equals(Buffer.from("."))) continue;
    if (part.equals(Buffer.from(".."))) {
      resolved.pop();
      continue;
    }
    const candidate = join(rootBytes, [...resolved, part]);
    try {
      if (!lstatSync(candidate).isSymbolicLink()) {
        resolved.push(part);
        continue;
      }
      if (++links > MAX_SYMLINKS) return { code: "ELOOP" };
      const target = readlinkSync(candidate, { encoding: "buffer" });
      if (target[0] === SLASH) resolved = [];
      todo.unshift(...components(target));
    } catch (error) {
      return { code: (error as NodeJS.ErrnoException).code ?? String(error) };
    }
  }
  return { path: join(rootBytes, resolved) };
}
