/**
 * The README's two commands in a fresh clone, as an unprivileged user with
 * an empty home and npm cache: no root, no /nix, no python.
 *
 * - `npm install && npm start`, exactly, as `nobody`: needs the npm registry
 *   for the dev dependencies (typescript, @types/node); SKIPPED when it is
 *   unreachable.  Then `skopeo inspect docker-archive:example.tar`, also as
 *   nobody, when skopeo is installed.
 * - The tests, as nobody in the same clone: without root, the tests that
 *   need it (the live reference under with-store, root-owned fixtures,
 *   podman, the CPython builds under /root) say SKIPPED with the reason and
 *   everything else must pass.  Only the test files whose behaviour depends
 *   on privilege run again (PRIVILEGE_MARKERS): the others do the same as
 *   nobody as they did as root in the outer run.  The nested run sees
 *   SLI_NEWCOMER_NESTED=1, so this file does not run itself again, and none
 *   of the SLI_REQUIRE_* variables: lacking privilege is its point.
 *
 * In CI the clone is the commit under test.  On a work tree with uncommitted
 * changes, those are copied over the clone, so that what is tested is what
 * is on disk (a diagnostic says how many files).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execFileSync, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { REPO_ROOT } from "./support/reference.ts";
import { readExampleGolden } from "./support/golden-example.ts";
import { REQUIREMENTS, skipOrFail, type Requirement } from "./support/requirements.ts";
import { nodeFor, setprivArgs } from "./support/as-nobody.ts";

// The digests of the 2020 reference's image of example/conf.json (golden/example/).
const { digests: EXAMPLE_DIGESTS } = readExampleGolden("conf");

function idOf(flag: "-u" | "-g", user: string): number | undefined {
  const result = spawnSync("id", [flag, user], { encoding: "utf8" });
  return result.status === 0 ? Number(result.stdout.trim()) : undefined;
}

const NOBODY_UID = idOf("-u", "nobody");
const NOBODY_GID = idOf("-g", "nobody");

/** Why these tests cannot run here, and which requirement that absence fails under in CI. */
function whyNot(): { kind: Requirement; why: string } | undefined {
  if (process.getuid?.() !== 0) return { kind: "privilege", why: "needs root, to hand a clone to the user nobody and run commands as nobody" };
  if (spawnSync("setpriv", ["--version"]).error !== undefined) return { kind: "clients", why: "setpriv (util-linux) is not installed" };
  if (spawnSync("git", ["--version"]).error !== undefined) return { kind: "clients", why: "git is not installed" };
  if (NOBODY_UID === undefined || NOBODY_GID === undefined) return { kind: "privilege", why: "there is no user nobody" };
  return undefined;
}
/** The nested run itself does not run this file again (nothing is missing, so a plain skip). */
const nested = process.env.SLI_NEWCOMER_NESTED === "1" ? "SKIPPED: this is the nested test run the newcomer test runs as nobody" : false;
const skip = nested ? undefined : whyNot();

let scratch: string;
let clone: string;
let env: NodeJS.ProcessEnv;

/** Runs a shell command in the clone as nobody, with nobody's own home and npm cache (nothing of root's). */
function asNobody(command: string): SpawnSyncReturns<string> {
  return spawnSync("setpriv", [...setprivArgs(NOBODY_UID!, NOBODY_GID!), "--", "sh", "-c", command], {
    cwd: clone,
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 1 << 26,
  });
}

before(() => {
  if (nested || skip !== undefined) return;
  scratch = mkdtempSync(join(tmpdir(), "sli-newcomer-"));
  clone = join(scratch, "stream-layered-image");
  const git = (...args: string[]) => execFileSync("git", ["-c", "safe.directory=*", ...args], { encoding: "utf8" });
  git("clone", "--quiet", "--no-hardlinks", REPO_ROOT, clone);
  // Uncommitted changes (none in CI): the work tree's version of each file, or its absence.
  const changed = git("-C", REPO_ROOT, "ls-files", "-z", "--modified", "--others", "--exclude-standard").split("\0").filter((path) => path !== "");
  for (const path of new Set(changed)) {
    const source = join(REPO_ROOT, path);
    const target = join(clone, path);
    rmSync(target, { force: true });
    if (lstatSync(source, { throwIfNoEntry: false }) === undefined) continue;
    mkdirSync(dirname(target), { recursive: true });
    cpSync(source, target, { verbatimSymlinks: true });
  }
  if (changed.length > 0) process.stdout.write(`# newcomer: ${changed.length} uncommitted files of the work tree copied over the clone\n`);
  const home = join(scratch, "home");
  mkdirSync(home);
  // The Node under test first on PATH, copied into the scratch directory when
  // nobody cannot run it where it is (a Node installed inside a 0700 checkout).
  const node = nodeFor(NOBODY_UID!, NOBODY_GID!, scratch);
  execFileSync("chown", ["-R", `${NOBODY_UID}:${NOBODY_GID}`, scratch]);
  // How this machine reaches the registry (none of root's files): its address,
  // a CA file (a proxy's own CA: Debian's node reads the system's CAs, the
  // official binaries only their own and NODE_EXTRA_CA_CERTS), proxies.
  const npmConfig = (key: string) => spawnSync("npm", ["config", "get", key], { encoding: "utf8" }).stdout?.trim().replace(/^(null|undefined)$/, "");
  const registry = npmConfig("registry");
  const cafile = npmConfig("cafile");
  env = {
    PATH: `${dirname(node)}:/usr/local/bin:/usr/bin:/bin`,
    HOME: home,
    LANG: "C.UTF-8",
    npm_config_cache: join(home, ".npm"),
    npm_config_update_notifier: "false",
    ...(registry ? { npm_config_registry: registry } : {}),
    ...(cafile ? { npm_config_cafile: cafile } : {}),
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => /^(https?_proxy|no_proxy|NODE_EXTRA_CA_CERTS)$/i.test(key))),
  };
});
after(() => {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

test("README: `npm install && npm start` in a fresh clone, as nobody, writes example.tar", { skip: nested }, (t) => {
  if (skip !== undefined) return skipOrFail(t, skip.kind, skip.why);
  const result = asNobody("npm install --prefer-offline --no-audit --no-fund && npm start");
  if (result.status !== 0 && /E(NOTFOUND|AI_AGAIN|CONNREFUSED|CONNRESET|TIMEDOUT|NETUNREACH)|network/i.test(result.stderr) && !existsSync(join(clone, "node_modules", "typescript"))) {
    return skipOrFail(t, "clients", `npm install cannot reach the registry: ${result.stderr.trim().split("\n").slice(-3).join(" / ")}`);
  }
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  const tar = join(clone, "example.tar");
  assert.ok(existsSync(tar), "example.tar in the clone");
  assert.equal(statSync(tar).uid, NOBODY_UID, "written by nobody");
  assert.ok(result.stdout.includes(`image id  sha256:${EXAMPLE_DIGESTS.image}`), result.stdout);
  for (const digest of EXAMPLE_DIGESTS.layers) assert.ok(result.stdout.includes(`sha256:${digest}`), digest);
  assert.ok(result.stdout.includes("docker load -i example.tar"), result.stdout);
  assert.match(result.stderr, /Creating layer 0 from paths: [^]*\nDone\.\n/);
});

test("example.tar is accepted by `skopeo inspect docker-archive:example.tar`, as nobody", { skip: nested }, (t) => {
  if (skip !== undefined) return skipOrFail(t, skip.kind, skip.why);
  if (!existsSync(join(clone, "example.tar"))) return skipOrFail(t, "clients", "npm start did not run (see above)");
  if (spawnSync("skopeo", ["--version"]).error !== undefined) return skipOrFail(t, "clients", "skopeo is not installed (.ci/run installs it)");
  const inspect = asNobody("skopeo inspect docker-archive:example.tar");
  assert.equal(inspect.status, 0, inspect.stderr);
  const inspected = JSON.parse(inspect.stdout) as { Layers: string[] };
  assert.deepEqual(inspected.Layers, EXAMPLE_DIGESTS.layers.map((digest) => `sha256:${digest}`));
});

/**
 * What privilege changes: checks of the uid, skips for what root alone can
 * make or run (skipOrFail and its wrappers), the golden store (owners,
 * devices), the reference (namespaces), file modes root would ignore.
 */
const PRIVILEGE_MARKERS = /\b(getuid|skipOrFail|skipIfUnavailable|skipWithoutTool|goldenStore|referenceUnavailable|chmodSync)\b|"unreadable"/;

/** The test files (compiled names) whose behaviour depends on privilege, this one excepted. */
function privilegeDependentTests(): string[] {
  const dir = join(REPO_ROOT, "test");
  return readdirSync(dir)
    .filter((name) => name.endsWith(".test.ts") && name !== "newcomer.test.ts" && PRIVILEGE_MARKERS.test(readFileSync(join(dir, name), "utf8")))
    .map((name) => `build/test/${name.replace(/\.ts$/, ".js")}`);
}

test("the nested run covers the files that skip without privilege, and not the 8 GiB golden", () => {
  const files = privilegeDependentTests();
  for (const name of ["golden-images", "golden-layers", "clients", "differential-layers", "bad-input", "faults", "py-json"]) assert.ok(files.includes(`build/test/${name}.test.js`), name);
  assert.ok(!files.includes("build/test/golden-huge.test.js"), "the 8 GiB case does not depend on privilege");
  for (const variable of Object.values(REQUIREMENTS)) assert.equal(env?.[variable], undefined, `${variable} is not passed to the nested run`);
});

test("README: the tests in the same clone, as nobody: pass, with what needs root SKIPPED and why", { skip: nested }, (t) => {
  if (skip !== undefined) return skipOrFail(t, skip.kind, skip.why);
  if (!existsSync(join(clone, "node_modules", "typescript"))) return skipOrFail(t, "clients", "npm install did not run (see above)");
  const files = privilegeDependentTests();
  // dist/ is built by `npm start` above; the tests are compiled as `npm test` does.
  // TAP, whose summary is read below, whatever the Node's default reporter (spec from Node 23).
  const result = asNobody(`export SLI_NEWCOMER_NESTED=1; npm run build:test && node --test --test-concurrency=2 --test-reporter=tap ${files.join(" ")}`);
  const summary = result.stdout.split("\n").filter((line) => /^# (tests|pass|fail|skipped) /.test(line));
  t.diagnostic(`nested run as nobody of ${files.length} test files: ${summary.join(", ")}`);
  assert.equal(result.status, 0, `${failedTapTests(result.stdout)}\n${result.stderr.slice(-2000)}`);
  assert.match(result.stdout, /^# fail 0$/m);
  assert.match(result.stdout, /^# pass [1-9]/m);
  assert.match(result.stdout, /^# skipped [1-9]/m, "without root, something is skipped");
  const silent = result.stdout.split("\n").filter((line) => /# SKIP\b/.test(line) && !/# SKIP SKIPPED: \S/.test(line));
  assert.deepEqual(silent, [], "every skip says SKIPPED and why");
});

/** Each failed test of a TAP report with the first lines of its diagnostics (error, expected, found), so a failure in the nested run says why. */
function failedTapTests(tap: string): string {
  const lines = tap.split("\n");
  const shown: string[] = [];
  lines.forEach((line, index) => {
    if (!/^\s*not ok /.test(line)) return;
    shown.push(line);
    const end = lines.findIndex((next, at) => at > index && /^\s*\.\.\.$/.test(next));
    const block = lines.slice(index + 1, end < 0 ? index + 16 : Math.min(end, index + 16));
    shown.push(...block.filter((text) => !/^\s*(---|duration_ms|location|type):?/.test(text)));
  });
  return shown.join("\n");
}
