/**
 * One table of options for every command (src/cli/option-table.ts): each
 * command's --help lists the options the table gives it; an unknown option
 * is one line in every command, with the closest of that command's options;
 * an option of another command is named as such; --python, --generation, -t
 * and the value checks are the same everywhere.  push and oci take
 * --generation and -t: oci writes a layout whose config is the image of that
 * generation, and -t's tag is the default ref name; push tags the same way
 * (to a stand-in registry on loopback): --tag, then the IMAGE-REF's tag,
 * then -t / repo_tag.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { COMMANDS, OPTIONS, type Command, type OptionName } from "../src/cli/option-table.ts";
import { suggestOption } from "../src/cli/options.ts";
import { runOurCliInProcess } from "./support/cli-in-process.ts";
import { EXAMPLE_CONF, EXAMPLE_DIR, makeExampleStore, type ExampleStore } from "./support/example-store.ts";
import { readExampleGolden } from "./support/golden-example.ts";
import { useTemporaryCacheHome } from "./support/publish-store.ts";
import { PASSWORD, USER, serveRegistry, serveStorage, type StandIn } from "./support/stand-in-registry.ts";

// oci and push keep a digest cache by default: here, not in the user's.
useTemporaryCacheHome();

const CURRENT_CONF = join(EXAMPLE_DIR, "conf-current.json");
/** The commands that share one --help. */
const AUDIT: readonly Command[] = ["digest", "verify", "diff"];
const FAMILY: Record<Command, readonly Command[]> = { image: ["image"], digest: AUDIT, verify: AUDIT, diff: AUDIT, push: ["push", "oci"], oci: ["push", "oci"] };
const NAMES = Object.keys(OPTIONS) as OptionName[];

const run = (args: string[]) => runOurCliInProcess(args, "UTC");

/** `args` is refused with exactly `line`, exit 2, nothing on stdout. */
async function refused(args: string[], line: string): Promise<void> {
  const result = await run(args);
  assert.equal(result.stderr, `stream-layered-image: ${line}\n`);
  assert.equal(result.status, 2);
  assert.equal(result.stdout.length, 0);
}

describe("each command's --help comes from the table", () => {
  for (const command of COMMANDS) {
    test(`${command === "image" ? "" : `${command} `}--help lists its options and no other command's`, async () => {
      const result = await run(command === "image" ? ["--help"] : [command, "--help"]);
      assert.equal(result.status, 0, result.stderr);
      const help = result.stdout.toString();
      const listed = (name: OptionName) => new RegExp(`^  (-[a-z], )?--${name}\\b`, "m").test(help);
      for (const name of NAMES) {
        const family = FAMILY[command].filter((other) => OPTIONS[name].commands.includes(other));
        assert.equal(listed(name), family.length > 0, `--${name}`);
        // An option of the family that this command lacks is listed under "<the other> only:".
        if (family.length > 0 && !family.includes(command)) assert.match(help, new RegExp(`^${family[0]} only:\\n(  .*\\n)*  (-[a-z], )?--${name}\\b`, "m"), `--${name}`);
      }
    });
  }
  test("-t is the short of --repo_tag in every command; push and oci say what its tag does", async () => {
    for (const command of COMMANDS) assert.equal(OPTIONS.repo_tag.commands.includes(command), true, command);
    assert.match((await run(["push", "--help"])).stdout.toString(), /-t, --repo_tag TAG .*\n\s+its tag is the default tag of push and oci/);
    assert.match((await run(["oci", "--help"])).stdout.toString(), /--tag, else the IMAGE-REF's, else the tag of the conf's\n\s+repo_tag \(-t replaces it\), else latest/);
  });
});

describe("an unknown option, in every command: one line, with the likely one", () => {
  const cases: [string[], string][] = [
    [["--pyton", "3.8", "c.json"], "unknown option '--pyton' (did you mean --python? see --help)"],
    [["digest", "--rot", "copy", "c.json"], "digest: unknown option '--rot' (did you mean --root? see digest --help)"],
    [["verify", "--generaton", "2020", "c.json", "i.tar"], "verify: unknown option '--generaton' (did you mean --generation? see verify --help)"],
    [["push", "--cred", "u:p", "c.json", "docker://localhost/a"], "push: unknown option '--cred' (did you mean --creds? see push --help)"],
    [["push", "--retry", "1", "c.json", "docker://localhost/a"], "push: unknown option '--retry' (did you mean --retry-times? see push --help)"],
    [["oci", "--formt", "docker", "c.json", "dir"], "oci: unknown option '--formt' (did you mean --format? see oci --help)"],
    [["oci", "--tga=x", "c.json", "dir"], "oci: unknown option '--tga' (did you mean --tag? see oci --help)"],
    [["push", "--colour", "c.json", "docker://localhost/a"], "push: unknown option '--colour' (see push --help)"],
    [["digest", "-x", "c.json"], "digest: unknown option '-x' (see digest --help)"],
  ];
  for (const [args, line] of cases) test(args.join(" "), () => refused(args, line));
  test("the suggestion is among the command's own options", () => {
    assert.equal(suggestOption("--cred", "push"), "--creds");
    assert.equal(suggestOption("--cred", "oci"), undefined, "--creds is push's");
    assert.equal(suggestOption("--outpt", "image"), "--output");
    assert.equal(suggestOption("--outpt", "digest"), undefined);
  });
});

describe("an option of another command: named as such", () => {
  const cases: [string[], string][] = [
    [["oci", "--creds", "u:p", "c.json", "dir"], "oci: --creds is an option of push, verify and diff only (see oci --help)"],
    [["oci", "--tls-verify", "c.json", "dir"], "oci: --tls-verify is an option of push, verify and diff only (see oci --help)"],
    [["digest", "-o", "x.tar", "c.json"], "digest: --output is an option of the main command only (see digest --help)"],
    [["verify", "-q", "c.json", "i.tar"], "verify: --quiet is an option of the main command, push and oci only (see verify --help)"],
    [["--tag", "1.0", "c.json"], "--tag is an option of push and oci only (see --help)"],
    [["push", "--version"], "push: --version is an option of the main command only (see push --help)"],
  ];
  for (const [args, line] of cases) test(args.join(" "), () => refused(args, line));
  test("--help wins over it", async () => {
    const result = await run(["oci", "--creds", "u:p", "--help"]);
    assert.equal(result.status, 0);
    assert.match(result.stdout.toString(), /^usage: stream-layered-image push/);
  });
});

describe("the same checks in every command", () => {
  for (const command of ["digest", "verify", "push", "oci"] as const) {
    const operands = command === "digest" ? ["c.json"] : ["c.json", command === "push" ? "docker://localhost/a" : "x"];
    test(`${command}: --python, --generation, a missing value, a flag's value`, async () => {
      await refused([command, "--python", "2.7", ...operands], "--python must be one of 3.8, 3.9, 3.10, 3.11, 3.12, 3.13, not \"2.7\"");
      await refused([command, "--generation", "2021", ...operands], '--generation must be one of 2020, current, not "2021"');
      await refused([command, ...operands, "--root"], `${command}: option '--root' needs a value (see ${command} --help)`);
      await refused([command, "--debug=yes", ...operands], `${command}: option '--debug' does not take a value (see ${command} --help)`);
    });
  }
  test("the operands each command wants", async () => {
    await refused(["c.json", "more.json"], "expected exactly one CONF argument, got 2 (see --help)");
    await refused(["digest"], "digest: expected exactly one CONF argument, got 0 (see digest --help)");
    await refused(["verify", "c.json"], "verify: expected CONF and IMAGE arguments, got 1 (see verify --help)");
    await refused(["push", "c.json"], "push: expected CONF and IMAGE-REF arguments, got 1 (see push --help)");
    await refused(["oci", "c.json", "a", "b"], "oci: expected CONF and DIR arguments, got 3 (see oci --help)");
  });
  test("--digest-cache and --no-digest-cache, in oci too", () =>
    refused(["oci", "--digest-cache", "d", "--no-digest-cache", "c.json", "x"], "oci: --digest-cache and --no-digest-cache exclude each other"));
});

describe("oci and push take --generation and -t", () => {
  let store: ExampleStore;
  let work: string;
  let layouts = 0;
  before(() => {
    store = makeExampleStore("cli-options");
    work = mkdtempSync(join(tmpdir(), "sli-cli-options-"));
  });
  after(() => {
    store.remove();
    rmSync(work, { recursive: true, force: true });
  });

  /** `oci` of `conf` into a new layout: its ref names, manifest digest and config digest. */
  async function oci(conf: string, ...options: string[]) {
    const dir = join(work, `layout-${++layouts}`);
    const result = await run(["oci", "--quiet", ...options, "--root", store.root, conf, dir]);
    assert.equal(result.status, 0, result.stderr);
    const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as { manifests: { digest: string; annotations: Record<string, string> }[] };
    const [entry] = index.manifests;
    assert.equal(result.stdout.toString(), `${dir}@${entry!.digest}\n`);
    const manifest = JSON.parse(readFileSync(join(dir, "blobs", "sha256", entry!.digest.slice(7)), "utf8")) as { config: { digest: string } };
    return { refName: entry!.annotations["org.opencontainers.image.ref.name"], manifest: entry!.digest, config: manifest.config.digest };
  }

  async function imageId(conf: string, ...options: string[]): Promise<string> {
    const result = await run(["digest", ...options, "--root", store.root, conf]);
    assert.equal(result.status, 0, result.stderr);
    return (JSON.parse(result.stdout.toString()) as { image_id: string }).image_id;
  }

  test("oci --generation: the layout's config is that generation's image", async () => {
    const detected = await oci(CURRENT_CONF);
    const current = await oci(CURRENT_CONF, "--generation", "current");
    const old = await oci(CURRENT_CONF, "--generation", "2020");
    assert.equal(detected.config, `sha256:${readExampleGolden("conf-current").digests.image}`);
    assert.deepEqual(current, detected, "current is what the conf's keys say");
    assert.notEqual(old.config, current.config);
    assert.equal(old.config, await imageId(CURRENT_CONF, "--generation", "2020"));
    assert.equal(old.refName, "current", "the ref name is still repo_tag's");
  });

  test("oci -t: its tag is the ref name; the image is unchanged; --tag comes first; empty keeps repo_tag", async () => {
    const plain = await oci(CURRENT_CONF);
    assert.equal(plain.refName, "current");
    const retagged = await oci(CURRENT_CONF, "-t", "hello-example:retagged");
    assert.equal(retagged.refName, "retagged");
    assert.equal(retagged.manifest, plain.manifest);
    assert.equal((await oci(CURRENT_CONF, "--repo_tag", "other:two", "--tag", "explicit")).refName, "explicit");
    assert.equal((await oci(CURRENT_CONF, "-t", "")).refName, "current");
    assert.equal((await oci(CURRENT_CONF, "-t", "no-tag-here")).refName, "latest");
  });

  test("oci -t with the 2020 script is refused, as by the main command", async () => {
    const dir = join(work, "refused");
    const result = await run(["oci", "-t", "a:b", "--root", store.root, EXAMPLE_CONF, dir]);
    assert.equal(result.status, 2);
    assert.equal(result.stderr, `stream-layered-image: ${EXAMPLE_CONF}: --repo_tag exists only in the current script, not the 2020 one (see --generation)\n`);
    const main = await run(["-t", "a:b", "--root", store.root, EXAMPLE_CONF]);
    assert.equal(main.stderr, result.stderr);
  });

  describe("push to a stand-in registry", () => {
    const servers: StandIn[] = [];
    let registry: StandIn;
    before(async () => {
      const storage = await serveStorage();
      servers.push(storage);
      registry = await serveRegistry({ auth: { scheme: "basic" }, uploadLocation: `${storage.origin}/upload` });
      servers.push(registry);
    });
    after(() => Promise.all(servers.map((server) => server.close())));

    /** Pushes and gives the tag the manifest was PUT under, and the manifest digest printed. */
    async function push(ref: string, ...options: string[]): Promise<{ tag: string; manifest: string }> {
      const before = registry.received.length;
      const result = await run(["push", "--quiet", "--plain-http", "--retry-times", "0", "--creds", `${USER}:${PASSWORD}`, ...options, "--root", store.root, CURRENT_CONF, `docker://${registry.host}/${ref}`]);
      assert.equal(result.status, 0, result.stderr);
      const put = registry.received.slice(before).filter((request) => request.method === "PUT" && request.url.includes("/manifests/"));
      assert.equal(put.length, 1);
      const printed = /@(sha256:[0-9a-f]{64})\n$/.exec(result.stdout.toString());
      assert.ok(printed !== null, result.stdout.toString());
      return { tag: put[0]!.url.replace(/^.*\/manifests\//, ""), manifest: printed[1]! };
    }

    test("the tag: --tag, then the IMAGE-REF's, then -t, then repo_tag", async () => {
      assert.equal((await push("app")).tag, "current");
      assert.equal((await push("app", "-t", "hello-example:retagged")).tag, "retagged");
      assert.equal((await push("app:given", "-t", "hello-example:retagged")).tag, "given");
      assert.equal((await push("app:given", "-t", "hello-example:retagged", "--tag", "explicit")).tag, "explicit");
    });

    test("--generation: the manifest of that generation's image, as oci writes it", async () => {
      const current = await push("app");
      const old = await push("app", "--generation", "2020");
      assert.notEqual(old.manifest, current.manifest);
      assert.equal(old.manifest, (await oci(CURRENT_CONF, "--generation", "2020")).manifest);
      assert.equal(current.manifest, (await oci(CURRENT_CONF)).manifest);
    });
  });
});
