/**
 * What a test runs as the user nobody must be where nobody can reach it.
 *
 * The checkout may sit in a directory only its owner can enter (a clone
 * under `mktemp -d`, a home of mode 0700), and so may the Node under test
 * (.ci/run's Nodes are installed inside the checkout; nvm puts its Nodes
 * under the home).  As nobody, `node /that/checkout/dist/cli.js` then fails
 * with "Cannot find module", or the shell finds no node, or an older one
 * further down PATH.  So these helpers copy what nobody runs into a fresh
 * directory under the system's temporary directory, mode 0755.
 *
 * Only helpers: this module has no side effects when loaded (node --test
 * also loads every .js file under build/test/ as a test file).
 */
import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { REPO_ROOT } from "./reference.ts";

/** setpriv's arguments that make the command after them run as `uid`:`gid`, with no supplementary groups. */
export function setprivArgs(uid: number, gid: number): string[] {
  return [`--reuid=${uid}`, `--regid=${gid}`, "--clear-groups"];
}

/** Whether `uid`:`gid` can run the Node under test (process.execPath) where it is: it prints this very version. */
export function canRunNode(uid: number, gid: number): boolean {
  const result = spawnSync("setpriv", [...setprivArgs(uid, gid), process.execPath, "-p", "process.version"], { encoding: "utf8" });
  return result.status === 0 && result.stdout.trim() === process.version;
}

/**
 * A node binary `uid`:`gid` can run, of the version under test:
 * process.execPath when that user can run it where it is, otherwise a copy
 * of it in `dir`/bin (`dir` must be reachable by that user).
 */
export function nodeFor(uid: number, gid: number, dir: string): string {
  if (canRunNode(uid, gid)) return process.execPath;
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true, mode: 0o755 });
  chmodSync(bin, 0o755);
  const node = join(bin, "node");
  copyFileSync(process.execPath, node);
  chmodSync(node, 0o755);
  return node;
}

/** The built CLI and a node to run it with, where nobody can read them; remove() deletes the copy. */
export interface CliCopy {
  /** The copy's dist/cli.js. */
  cli: string;
  /** The Node under test, or a copy of it that `uid` can run (nodeFor). */
  node: string;
  remove(): void;
}

/** Copies dist/ and package.json of the checkout into a fresh directory of mode 0755 under the temporary directory. */
export function copyCliFor(uid: number, gid: number): CliCopy {
  const dir = mkdtempSync(join(tmpdir(), "sli-as-nobody-"));
  chmodSync(dir, 0o755);
  cpSync(join(REPO_ROOT, "dist"), join(dir, "dist"), { recursive: true });
  copyFileSync(join(REPO_ROOT, "package.json"), join(dir, "package.json"));
  execFileSync("chmod", ["-R", "a+rX", dir]); // whatever the umask was when dist/ was built
  return {
    cli: join(dir, "dist", "cli.js"),
    node: nodeFor(uid, gid, dir),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
