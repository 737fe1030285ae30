/**
 * Vendoring without a build step: src/ alone, copied into an empty folder
 * beside a one-line package.json (no node_modules, no dist/), runs under a
 * Node that strips types (22.18 and later) and writes every distinct golden
 * image — the 2020 script's and the current one's, base images plain and
 * gzip (worker threads started from .ts files) — byte for byte, with the
 * reference's stderr.  A few run as `node src/cli.ts`, each a process; all
 * of them through the copy's own runCli in one process (a launch that
 * strips the types of every file costs about half a second of CPU).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PythonVersion } from "../src/py/version.ts";
import { IMAGE_GOLDEN_DIR, readImageFixtures, readImageManifest, type ImageOutcome } from "./support/golden-images.ts";
import { CURRENT_GOLDEN_DIR, readCurrentFixtures, readCurrentManifest } from "./support/golden-current.ts";
import { makeFixtureStore, type FixtureStore } from "./support/fixture-store.ts";
import { REPO_ROOT } from "./support/reference.ts";
import { skipOrFail } from "./support/requirements.ts";

/** Node runs .ts files without a flag from 22.18 (and 23.6) on. */
function stripsTypes(version: string): boolean {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major > 23 || (major === 23 && minor >= 6) || (major === 22 && minor >= 18);
}

interface GoldenCase {
  readonly name: string;
  readonly conf: string;
  readonly args?: readonly string[];
  readonly tz?: string | undefined;
  readonly oursRefuses?: string | undefined;
}

interface Run {
  readonly name: string;
  readonly args: readonly string[];
  readonly tz: string | undefined;
  readonly goldenDir: string;
  readonly outcome: Extract<ImageOutcome, { image: string }>;
}

/** One run per distinct golden image: the first case and profile that produced it (not the cases ours refuses on purpose). */
function distinctImages(store: FixtureStore, goldenDir: string, cases: readonly GoldenCase[], manifest: Record<string, Partial<Record<PythonVersion, ImageOutcome>>>): Run[] {
  const seen = new Set<string>();
  const runs: Run[] = [];
  for (const imageCase of cases) {
    if (imageCase.oursRefuses !== undefined) continue;
    for (const [python, outcome] of Object.entries(manifest[imageCase.name] ?? {}) as [PythonVersion, ImageOutcome][]) {
      if (!("image" in outcome) || seen.has(outcome.image)) continue;
      seen.add(outcome.image);
      const conf = join(store.root, `${imageCase.name}.json`);
      writeFileSync(conf, imageCase.conf);
      runs.push({ name: `${imageCase.name} (python ${python})`, args: ["--python", python, "--root", store.root, ...(imageCase.args ?? []), conf], tz: imageCase.tz, goldenDir, outcome });
    }
  }
  return runs;
}

/** `node FILE ARGS` with TZ as given: exit status, stdout bytes, stderr text. */
function launch(file: string, args: readonly string[], tz: string | undefined, input?: string): Promise<{ status: number | null; stdout: Buffer; stderr: string }> {
  const env = { ...process.env };
  if (tz === undefined) delete env["TZ"];
  else env["TZ"] = tz;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8") }));
    child.stdin.end(input ?? "");
  });
}

/**
 * The driver run inside the copy: each run's argv through the copy's runCli
 * (what src/cli.ts calls), TZ set for its duration; one JSON line per run
 * with the exit status, the sha256 of stdout and the stderr.
 */
const DRIVER = `import { createHash } from "node:crypto";
import { Writable } from "node:stream";
import { runCli } from "./src/cli/run.ts";
const runs = JSON.parse(await new Response(process.stdin).text());
for (const run of runs) {
  const hash = createHash("sha256");
  const stdout = new Writable({ write(chunk, _encoding, done) { hash.update(chunk); done(); } });
  let stderr = "";
  if (run.tz === null) delete process.env.TZ; else process.env.TZ = run.tz;
  const status = await runCli(run.args, { stdout, stderr: (text) => (stderr += text) });
  process.stdout.write(JSON.stringify({ status, sha256: hash.digest("hex"), stderr }) + "\\n");
}
`;

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

describe("src/ vendored alone, without a build", () => {
  const runnable = stripsTypes(process.versions.node);
  let vendor: string;
  let stores: FixtureStore[] = [];
  let runs: Run[] = [];
  before(() => {
    vendor = mkdtempSync(join(tmpdir(), "sli-vendor-"));
    cpSync(join(REPO_ROOT, "src"), join(vendor, "src"), { recursive: true });
    writeFileSync(join(vendor, "package.json"), '{ "type": "module" }\n');
    const images = readImageFixtures();
    const current = readCurrentFixtures();
    const imageStore = makeFixtureStore(images.store, "vendor-images");
    const currentStore = makeFixtureStore(current.store, "vendor-current");
    stores = [imageStore, currentStore];
    runs = [...distinctImages(imageStore, IMAGE_GOLDEN_DIR, images.cases, readImageManifest()), ...distinctImages(currentStore, CURRENT_GOLDEN_DIR, current.cases, readCurrentManifest())];
  });
  after(() => {
    rmSync(vendor, { recursive: true, force: true });
    for (const store of stores) store.remove();
  });

  /** Skips (fails in CI) where this Node cannot run .ts or the stores lack entries only root can make. */
  function cannotRun(t: { skip(message?: string): void }): boolean {
    if (!runnable) {
      skipOrFail(t, "clients", `Node ${process.versions.node} cannot run .ts files (22.18 or later can); CI runs this under Node 24`);
      return true;
    }
    const missing = stores.map((store) => store.unavailableFor(["/nix"])).find((why) => why !== undefined);
    if (missing !== undefined) skipOrFail(t, "privilege", missing);
    return missing !== undefined;
  }

  test("the copy is src/ and a one-line package.json: no node_modules, no dist/, no .js", () => {
    assert.deepEqual(readdirSync(vendor).sort(), ["package.json", "src"]);
    assert.ok(readdirSync(join(vendor, "src"), { recursive: true }).every((file) => !String(file).endsWith(".js")), "only .ts sources");
    assert.ok(runs.length >= 100, `${runs.length} distinct golden images`);
  });

  test("node src/cli.ts: a 2020 image, a current one with -t, a gzip base image", async (t) => {
    if (cannotRun(t)) return;
    const picked = ["unicode-paths-and-tag", "cur-repo-tag-option", "cur-from-legacy-gzip"].map((prefix) => runs.find((run) => run.name.startsWith(prefix)));
    for (const run of picked) {
      assert.ok(run !== undefined, "the case exists");
      const ours = await launch(join(vendor, "src", "cli.ts"), run.args, run.tz);
      assert.equal(ours.status, 0, `${run.name}: ${ours.stderr}`);
      assert.equal(sha256(ours.stdout), sha256(readFileSync(join(run.goldenDir, run.outcome.image))), `${run.name}: the golden image's bytes`);
      assert.equal(ours.stderr, readFileSync(join(run.goldenDir, run.outcome.stderr), "utf8"), run.name);
    }
  });

  test("every distinct golden image through the copy's runCli, byte for byte, with the reference's stderr", async (t) => {
    if (cannotRun(t)) return;
    writeFileSync(join(vendor, "driver.ts"), DRIVER);
    const input = JSON.stringify(runs.map((run) => ({ args: run.args, tz: run.tz ?? null })));
    const result = await launch(join(vendor, "driver.ts"), [], undefined, input);
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stdout.toString("utf8").trim().split("\n").map((line) => JSON.parse(line) as { status: number; sha256: string; stderr: string });
    assert.equal(lines.length, runs.length);
    const failures = runs.flatMap((run, index) => {
      const ours = lines[index]!;
      if (ours.status !== 0) return [`${run.name}: exit ${ours.status}: ${ours.stderr}`];
      if (ours.sha256 !== sha256(readFileSync(join(run.goldenDir, run.outcome.image)))) return [`${run.name}: not the golden image's bytes`];
      if (ours.stderr !== readFileSync(join(run.goldenDir, run.outcome.stderr), "utf8")) return [`${run.name}: stderr differs: ${ours.stderr}`];
      return [];
    });
    assert.deepEqual(failures, []);
  });
});
