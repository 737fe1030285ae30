/**
 * Copies a store tree as Nix would have it on disk: files 0444, executables
 * 0555, directories 0555, symlinks as they are.  Git keeps only 644 and 755
 * and the checkout's umask changes even those, so the example store is
 * copied before use, and its layers have the same digests on every machine.
 */
import { chmodSync, copyFileSync, lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";

export function copyAsNixStore(source: string, target: string): void {
  const stat = lstatSync(source);
  if (stat.isSymbolicLink()) {
    symlinkSync(readlinkSync(source), target);
  } else if (stat.isDirectory()) {
    mkdirSync(target);
    for (const name of readdirSync(source)) copyAsNixStore(join(source, name), join(target, name));
    chmodSync(target, 0o555);
  } else if (stat.isFile()) {
    copyFileSync(source, target);
    chmodSync(target, stat.mode & 0o100 ? 0o555 : 0o444);
  } else {
    throw new Error(`${source}: only files, directories and symlinks belong in the example store`);
  }
}

/** Removes a tree made by copyAsNixStore (its read-only directories first made writable). */
export function removeNixStoreCopy(root: string): void {
  const makeWritable = (path: string): void => {
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (stat === undefined || !stat.isDirectory()) return;
    chmodSync(path, 0o755);
    for (const name of readdirSync(path)) makeWritable(join(path, name));
  };
  makeWritable(root);
  rmSync(root, { recursive: true, force: true });
}
