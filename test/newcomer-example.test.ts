/**
 * What a newcomer meets first: `npm start`'s demo on the example store (the
 * same digests on every machine, an image skopeo accepts, and the images the
 * references wrote, kept in golden/example/, byte for byte), --help,
 * --version, and unknown options.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { REPO_ROOT, pythonFor, referenceUnavailable, runOurCli, runReferenceImage } from "./support/reference.ts";
import { EXAMPLE_CONF, makeExampleStore } from "./support/example-store.ts";
import { asOwnedBy, EXAMPLE_CASES, exampleInputs, EXAMPLE_GOLDEN_DIR, memberData, readExampleGolden, runningOwner } from "./support/golden-example.ts";
import { skipOrFail } from "./support/requirements.ts";

// What the references wrote for the example confs (golden/example/, npm run golden -- example).
const { image: EXAMPLE_IMAGE, log: EXAMPLE_LOG, digests: EXAMPLE_DIGESTS } = readExampleGolden("conf");
const { image: EXAMPLE_CURRENT_IMAGE, log: EXAMPLE_CURRENT_LOG, digests: EXAMPLE_CURRENT_DIGESTS } = readExampleGolden("conf-current");
/** What the references write from a store copy this user owns (npm start's): the customisation layer.tar member is the copy's. */
const owner = runningOwner();
const EXPECTED_IMAGE = asOwnedBy(EXAMPLE_IMAGE, EXAMPLE_DIGESTS.layers.at(-1)!, owner);
const EXPECTED_CURRENT_IMAGE = asOwnedBy(EXAMPLE_CURRENT_IMAGE, EXAMPLE_CURRENT_DIGESTS.layers.at(-1)!, owner);

describe("golden/example/", () => {
  test("was made from example/ as it is (else: npm run golden -- example)", () => {
    const recorded = JSON.parse(readFileSync(join(EXAMPLE_GOLDEN_DIR, "inputs.json"), "utf8")) as Record<string, string>;
    assert.deepEqual(exampleInputs(), recorded);
    assert.ok(Object.keys(recorded).length > 3, "the confs and the store's files");
  });
  test("the digests read from each image are the sha256 of its config and of its layers", () => {
    for (const { name } of EXAMPLE_CASES) {
      const { image, digests } = readExampleGolden(name);
      const sha256 = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");
      assert.equal(sha256(memberData(image, `${digests.image}.json`)), digests.image, `${name}: image id`);
      assert.equal(digests.layers.length, 3, `${name}: two store layers and the customisation layer`);
      for (const layer of digests.layers) assert.equal(sha256(memberData(image, `${layer}/layer.tar`)), layer, `${name}: layer ${layer}`);
    }
  });
});

describe("npm start: the example image", () => {
  let scratch: string;
  let tarPath: string;
  let stdout: string;
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), "sli-newcomer-example-"));
    tarPath = join(scratch, "example.tar");
    // What `npm start` runs after building (its output path made explicit, to leave the clone alone).
    const result = spawnSync(process.execPath, [join(REPO_ROOT, "dist", "demo", "example.js"), tarPath], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, EXAMPLE_LOG + EXAMPLE_CURRENT_LOG, "piped: exactly the references' lines, the 2020 script's then the current one's");
    stdout = result.stdout;
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  test("prints the command it ran, every digest with its store paths, and how to load the image", () => {
    assert.match(stdout, /^\$ stream-layered-image --root \S+ -o \S+example\.tar example\/conf\.json\n/);
    assert.ok(stdout.includes(`image id  sha256:${EXAMPLE_DIGESTS.image}\n`), stdout);
    EXAMPLE_DIGESTS.layers.forEach((digest, num) => assert.ok(stdout.includes(`layer ${num}   sha256:${digest}\n`), `layer ${num} in ${stdout}`));
    assert.match(stdout, /store paths: \['\/nix\/store\/dhcb9jz9r22yrwjj82la99bbl6chybxm-hello-2\.12\.1'\]/);
    for (const hint of ["docker load -i ", "podman load -i ", "skopeo inspect docker-archive:"]) assert.ok(stdout.includes(hint), hint);
  });

  test("example.tar is the 2020 reference's image, byte for byte", () => {
    assert.ok(readFileSync(tarPath).equals(EXPECTED_IMAGE), `npm start's example.tar equals golden/example's (its customisation layer.tar owned by ${owner.uname})`);
  });

  test("then the same store with a conf in today's shape, written as the current script writes it", () => {
    assert.match(stdout, /\n\$ stream-layered-image --root \S+ -o \S+example-current\.tar example\/conf-current\.json\n/);
    assert.ok(stdout.includes(`hello-example:current, 3 layers`), stdout);
    assert.ok(stdout.includes(`image id  sha256:${EXAMPLE_CURRENT_DIGESTS.image}\n`), stdout);
    assert.ok(readFileSync(join(scratch, "example-current.tar")).equals(EXPECTED_CURRENT_IMAGE), "npm start's example-current.tar equals the current script's, byte for byte");
  });

  test("skopeo inspect accepts example.tar", (t) => {
    const probe = spawnSync("skopeo", ["--version"]);
    if (probe.error !== undefined) return skipOrFail(t, "clients", "skopeo is not installed (Debian: apt-get install skopeo)");
    const result = spawnSync("skopeo", ["inspect", `docker-archive:${tarPath}`], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
    const inspected = JSON.parse(result.stdout) as { Layers: string[]; Architecture: string; Os: string };
    assert.deepEqual(inspected.Layers, EXAMPLE_DIGESTS.layers.map((digest) => `sha256:${digest}`));
    assert.equal(inspected.Architecture, "amd64");
    assert.equal(inspected.Os, "linux");
  });

  test("the reference writes the same example.tar and the same lines", (t) => {
    const python = pythonFor("3.13");
    const unavailable = referenceUnavailable() ?? (python === undefined ? "no CPython 3.13 here" : undefined);
    if (unavailable !== undefined || python === undefined) return skipOrFail(t, "reference", unavailable ?? "no CPython 3.13 here");
    const store = makeExampleStore("newcomer-reference");
    try {
      const reference = runReferenceImage(python, store.root, EXAMPLE_CONF, "UTC");
      assert.equal(reference.status, 0, reference.stderr);
      assert.equal(reference.stderr, EXAMPLE_LOG);
      assert.ok(reference.stdout.equals(EXPECTED_IMAGE), "the reference writes golden/example's image (else: npm run golden -- example)");
      const ours = runOurCli(["--root", store.root, EXAMPLE_CONF], "UTC");
      assert.ok(ours.stdout.equals(reference.stdout), "our image equals the reference's");
      // npm start's copy is another directory (its customisation layer.tar has the same owner and mode).
      assert.ok(readFileSync(tarPath).equals(reference.stdout), "npm start's example.tar equals the reference's");
    } finally {
      store.remove();
    }
  });
});

describe("--help, --version, unknown options", () => {
  test("--help: usage, every option, exit codes, an example; on stdout, exit 0", () => {
    const result = runOurCli(["--help"], "UTC");
    assert.equal(result.status, 0);
    assert.equal(result.stderr, "");
    const help = result.stdout.toString();
    assert.match(help, /^usage: stream-layered-image \[options\] CONF\n/);
    for (const option of ["--python", "--root", "-o, --output", "-q, --quiet", "--debug", "-h, --help", "--version"]) assert.ok(help.includes(option), option);
    assert.match(help, /exit codes:\n\s+0 [^]*\n\s+1 [^]*\n\s+2 /);
    assert.match(help, /example:\n\s+stream-layered-image .*conf\.json/);
  });
  test("-h is --help, and wins over everything else", () => {
    assert.equal(runOurCli(["-h"], "UTC").stdout.toString(), runOurCli(["--help"], "UTC").stdout.toString());
    assert.equal(runOurCli(["--python", "3.8", "x.json", "--help"], "UTC").status, 0);
  });
  test("--version: the package version on stdout, exit 0", () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
    const result = runOurCli(["--version"], "UTC");
    assert.equal(result.status, 0);
    assert.equal(result.stdout.toString(), `stream-layered-image ${version}\n`);
  });

  const rejected = (args: string[], line: string) => () => {
    const result = runOurCli(args, "UTC");
    assert.equal(result.status, 2);
    assert.equal(result.stdout.length, 0);
    assert.equal(result.stderr, `stream-layered-image: ${line}\n`);
  };
  test("a misspelt option: one line with the likely one", rejected(["--pyton", "3.8", "c.json"], "unknown option '--pyton' (did you mean --python? see --help)"));
  test("a prefix of an option", rejected(["--out", "x.tar", "c.json"], "unknown option '--out' (did you mean --output? see --help)"));
  test("a misspelt option with its value attached", rejected(["--qiuet=1", "c.json"], "unknown option '--qiuet' (did you mean --quiet? see --help)"));
  test("an option like no other", rejected(["--colour", "c.json"], "unknown option '--colour' (see --help)"));
  test("an unknown short option", rejected(["-x", "c.json"], "unknown option '-x' (see --help)"));
  test("an option without its value", rejected(["c.json", "--root"], "option '--root' needs a value (see --help)"));
  test("a flag given a value", rejected(["--quiet=yes", "c.json"], "option '--quiet' does not take a value (see --help)"));
  test("a short option without its value", rejected(["c.json", "-o"], "option '--output' needs a value (see --help)"));
});
