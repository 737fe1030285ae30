/**
 * --root DIR: the one rule for where a path the conf names is read (a store
 * path, the customisation layer's files, from_image, and a symlink the walk
 * meets).  The reference is run with DIR/nix bind-mounted on /nix (with-store);
 * the rule is what the kernel does there, done here by hand without a mount:
 *
 * The path (a relative one from the working directory) is looked up one
 * component at a time from "/": "." stays, ".." goes up one (never above
 * "/"), and a symlink is replaced by its target (an absolute target starts
 * again at "/"), at most 40 of them.  Wherever the lookup is at or below
 * /nix, the component is read from DIR/nix; anywhere else, from the host as
 * it is.  So /nix/store/x is DIR/nix/store/x, a link to /nix/store/y stays in
 * DIR, /tmp/x and /nix/../tmp/x are the host's /tmp/x, and ".." after a
 * symlink goes up from where the link leads.  The last component is followed
 * too, except for a store path (gettarinfo lstat()s it); a trailing slash
 * makes it a directory.  Names in the image never change.
 */
import { lstatSync, readlinkSync, statSync, type Stats } from "node:fs";

const SLASH = 0x2f;
/** Linux's MAXSYMLINKS: more links than this in one lookup is ELOOP. */
const MAX_SYMLINKS = 40;
const DOT = Buffer.from(".");
const DOT_DOT = Buffer.from("..");
/** The one component where DIR's tree is mounted. */
const NIX = Buffer.from("nix");

function components(path: Uint8Array): Buffer[] {
  const bytes = Buffer.from(path.buffer, path.byteOffset, path.byteLength);
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === SLASH) {
      if (i > start) parts.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  return parts;
}

/** An error shaped as Node's fs errors are (what callers read is `code`). */
function lookupError(code: string, path: Uint8Array): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: ${Buffer.from(path).toString("utf8")}`);
  error.code = code;
  return error;
}

/** DIR without its trailing slashes ("/" becomes "", so /nix is /nix). */
function rootPrefix(root: string): Buffer {
  return Buffer.from(root.replace(/\/+$/, ""));
}

/** Where a position of the lookup (components from "/") is on this machine. */
function hostPath(prefix: Buffer, at: readonly Buffer[]): Buffer {
  const pieces: Buffer[] = at.length > 0 && at[0]!.equals(NIX) ? [prefix] : [];
  for (const part of at) pieces.push(Buffer.from("/"), part);
  return pieces.length === 0 ? Buffer.from("/") : Buffer.concat(pieces);
}

export interface RootLookup {
  /**
   * Whether a symlink as the last component is followed: true for open()
   * (the customisation layer's files, from_image), false for lstat() (a
   * store path, which gettarinfo takes as it is).  A trailing slash follows.
   */
  readonly followLast: boolean;
}

/**
 * The rule (see the top of this file): where the reference, with DIR/nix
 * mounted on /nix, finds `path`.  Without a root, `path` as given.  Throws
 * an error with the errno `code` the kernel gives for a failing component
 * (ENOENT, ENOTDIR, ELOOP, EACCES, ENAMETOOLONG...).
 */
export function pathInRoot(path: Uint8Array, root: string | undefined, lookup: RootLookup): Buffer {
  if (root === undefined) return Buffer.from(path);
  return lookupBelow(rootPrefix(root), path, lookup.followLast);
}

function lookupBelow(prefix: Buffer, path: Uint8Array, followLast: boolean): Buffer {
  if (path.length === 0) throw lookupError("ENOENT", path);
  const todo = components(path);
  const trailingSlash = path[path.length - 1] === SLASH && todo.length > 0;
  const follow = followLast || trailingSlash;
  let at = path[0] === SLASH ? [] : components(Buffer.from(process.cwd()));
  let links = 0;
  // Whether `at` is a directory: a name, "." or ".." after a file is ENOTDIR.
  let directory = true;
  for (let part = todo.shift(); part !== undefined; part = todo.shift()) {
    if (!directory) throw lookupError("ENOTDIR", path);
    if (part.equals(DOT)) continue;
    if (part.equals(DOT_DOT)) {
      at.pop();
      continue;
    }
    const next = [...at, part];
    const last = todo.length === 0;
    if (last && !follow) return hostPath(prefix, next);
    const candidate = hostPath(prefix, next);
    let stat: Stats;
    try {
      // /nix is the mount itself: DIR/nix as the host resolves it, never a link to follow here.
      stat = next.length === 1 && part.equals(NIX) ? statSync(candidate) : lstatSync(candidate);
    } catch (error) {
      throw lookupError((error as NodeJS.ErrnoException).code ?? String(error), path);
    }
    if (stat.isSymbolicLink()) {
      if (++links > MAX_SYMLINKS) throw lookupError("ELOOP", path);
      const target = readlinkSync(candidate, { encoding: "buffer" });
      if (target[0] === SLASH) at = [];
      todo.unshift(...components(target));
      continue;
    }
    directory = stat.isDirectory();
    at = next;
  }
  if (trailingSlash && !directory) throw lookupError("ENOTDIR", path);
  return hostPath(prefix, at);
}

/**
 * Where a symlink the walk met at `fsPath` (a path pathInRoot gave, or below
 * one) leads, by the same rule: below DIR/nix it stands at /nix/..., anywhere
 * else where it is.  (A store path that names DIR/nix/... by this machine's
 * path, which only the current script's store_dir allows, is taken at /nix
 * too: only a relative link climbing above /nix could tell.)  Throws as
 * pathInRoot does.
 */
export function linkTargetInRoot(fsPath: string | Uint8Array, root: string): Buffer {
  const prefix = rootPrefix(root);
  const real = typeof fsPath === "string" ? Buffer.from(fsPath, "utf8") : Buffer.from(fsPath);
  const mount = Buffer.concat([prefix, Buffer.from("/nix")]);
  const inMount = real.subarray(0, mount.length).equals(mount) && (real.length === mount.length || real[mount.length] === SLASH);
  return lookupBelow(prefix, inMount ? real.subarray(prefix.length) : real, true);
}
