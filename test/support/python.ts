/**
 * Locating the CPython interpreters the differential tests compare against,
 * and running a Python snippet over a batch of inputs in one process.
 *
 * Only helpers: this module has no side effects when loaded (node --test
 * also loads every .js file under build/test/ as a test file).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { PYTHON_VERSIONS, isPythonVersion, type PythonVersion } from "../../src/py/version.ts";

function minorOf(interpreter: string): string | undefined {
  const result = spawnSync(interpreter, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"], {
    encoding: "utf8",
  });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

let cached: Map<PythonVersion, string> | undefined;

/**
 * Interpreters by minor version: the newest patch release of each pyenv
 * installation ($PYENV_ROOT, ~/.pyenv, /root/.pyenv), then python3.X and
 * python3 found on PATH.
 */
export function findPythonInterpreters(): ReadonlyMap<PythonVersion, string> {
  if (cached !== undefined) return cached;
  const found = new Map<PythonVersion, string>();
  // PY_DIFF_NO_PYTHON=1 simulates a machine without Python (tests the skip path).
  if (process.env["PY_DIFF_NO_PYTHON"] === "1") return (cached = found);
  const roots = [process.env["PYENV_ROOT"], join(homedir(), ".pyenv"), "/root/.pyenv"];
  for (const root of roots) {
    if (root === undefined) continue;
    const dir = join(root, "versions");
    if (!existsSync(dir)) continue;
    const releases = readdirSync(dir)
      .map((name) => /^(3\.\d+)\.(\d+)$/.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .sort((a, b) => Number(a[2]) - Number(b[2]));
    // Newest patch release per minor version within this root.
    const newest = new Map<PythonVersion, string>();
    for (const [name, minor] of releases) {
      const bin = join(dir, name, "bin", "python3");
      if (minor !== undefined && isPythonVersion(minor) && existsSync(bin)) newest.set(minor, bin);
    }
    for (const [minor, bin] of newest) if (!found.has(minor)) found.set(minor, bin);
  }
  for (const name of [...PYTHON_VERSIONS.map((v) => `python${v}`), "python3"]) {
    if (found.size === PYTHON_VERSIONS.length) break;
    const minor = minorOf(name);
    if (minor !== undefined && isPythonVersion(minor) && !found.has(minor)) found.set(minor, name);
  }
  cached = found;
  return found;
}

/**
 * Runs `python -c script` with `input` on stdin and resolves with stdout.
 * PYTHONINTMAXSTRDIGITS is removed so the default 4300-digit limit applies;
 * `env` replaces the environment when given.
 */
export function runPython(interpreter: string, script: string, input: string, env: NodeJS.ProcessEnv = { ...process.env }): Promise<string> {
  env = { ...env };
  delete env["PYTHONINTMAXSTRDIGITS"];
  return new Promise((resolve, reject) => {
    const child = spawn(interpreter, ["-c", script], { env, stdio: ["pipe", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(Buffer.concat(stdout).toString("utf8"));
      else reject(new Error(`${interpreter} exited with ${code}: ${Buffer.concat(stderr).toString("utf8")}`));
    });
    child.stdin.end(input);
  });
}

/**
 * Strings cross the process boundary as hex of their UTF-16LE units (Python
 * side: bytes.fromhex(h).decode("utf-16-le", "surrogatepass")), so lone
 * surrogates survive and a surrogate pair means the same astral character
 * on both sides.
 */
export function toHex16(s: string): string {
  return Buffer.from(s, "utf16le").toString("hex");
}

export function fromHex16(hex: string): string {
  return Buffer.from(hex, "hex").toString("utf16le");
}
