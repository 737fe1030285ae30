/**
 * golden/example/: what the references wrote for the example store of
 * `npm start` (example/), written by `npm run golden -- example`: the 2020
 * reference on example/conf.json and the current script on
 * example/conf-current.json, under CPython 3.13 (our default profile), each
 * image with its stderr; and the sha256 of every example file they were
 * made from.  Read lazily: the regeneration writes what this reads.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { lstatSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { join, relative } from "node:path";
import type { PythonVersion } from "../../src/py/version.ts";
import { parseTarLayout } from "../../src/tar/inspect.ts";
import { GID, GNAME, UID, UNAME } from "../../src/tar/constants.ts";
import { withHeaderField } from "./tar-edit.ts";
import { GOLDEN_DIR, REPO_ROOT } from "./reference.ts";
import { EXAMPLE_DIR } from "./example-store.ts";

export const EXAMPLE_GOLDEN_DIR = join(GOLDEN_DIR, "example");

export type ExampleName = "conf" | "conf-current";

/** Each example conf, and which script wrote its golden image. */
export const EXAMPLE_CASES: readonly { name: ExampleName; conf: string; script: "2020" | "current"; python: PythonVersion }[] = [
  { name: "conf", conf: join(EXAMPLE_DIR, "conf.json"), script: "2020", python: "3.13" },
  { name: "conf-current", conf: join(EXAMPLE_DIR, "conf-current.json"), script: "current", python: "3.13" },
];

/** manifest.json: per example, its conf (from the repository root), the script and profile, and the files written. */
export type ExampleManifest = Record<ExampleName, { conf: string; script: "2020" | "current"; python: PythonVersion; image: string; stderr: string }>;

/**
 * inputs.json: the example files (confs and store) as sha256 (a symlink: of
 * its target, a file: of its bytes, with its executable bit).
 */
export function exampleInputs(): Record<string, string> {
  const inputs: Record<string, string> = {};
  const visit = (path: string): void => {
    const stat = lstatSync(path);
    const name = relative(REPO_ROOT, path);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path).sort()) visit(join(path, entry));
    } else if (stat.isSymbolicLink()) {
      inputs[name] = `symlink ${createHash("sha256").update(readlinkSync(path)).digest("hex")}`;
    } else if (name.endsWith(".json") || name.startsWith(join("example", "nix"))) {
      inputs[name] = `${stat.mode & 0o100 ? "executable" : "file"} ${createHash("sha256").update(readFileSync(path)).digest("hex")}`;
    }
  };
  visit(EXAMPLE_DIR);
  return inputs;
}

export interface ExampleGolden {
  /** The image the reference wrote. */
  readonly image: Buffer;
  /** What it wrote on stderr. */
  readonly log: string;
  /** Read from the image: its config's digest (the image id) and its layers' diff_ids, in hex. */
  readonly digests: { readonly image: string; readonly layers: readonly string[] };
}

/** The content of an image's member. */
export function memberData(archive: Buffer, name: string): Buffer {
  const member = parseTarLayout(archive).members.find((m) => m.name.toString("utf8") === name);
  assert.ok(member !== undefined, `no ${name} in the image`);
  return archive.subarray(member.dataOffset, member.dataOffset + member.dataSize);
}

const memberText = (archive: Buffer, name: string): string => memberData(archive, name).toString("utf8");

const read = new Map<ExampleName, ExampleGolden>();

/** The golden image, stderr and digests of an example conf. */
export function readExampleGolden(name: ExampleName): ExampleGolden {
  let golden = read.get(name);
  if (golden === undefined) {
    const manifest = JSON.parse(readFileSync(join(EXAMPLE_GOLDEN_DIR, "manifest.json"), "utf8")) as ExampleManifest;
    const entry = manifest[name];
    const image = readFileSync(join(EXAMPLE_GOLDEN_DIR, entry.image));
    const [outer] = JSON.parse(memberText(image, "manifest.json")) as { Config: string }[];
    const config = JSON.parse(memberText(image, outer!.Config)) as { rootfs: { diff_ids: string[] } };
    golden = {
      image,
      log: readFileSync(join(EXAMPLE_GOLDEN_DIR, entry.stderr), "utf8"),
      digests: { image: outer!.Config.replace(/\.json$/, ""), layers: config.rootfs.diff_ids.map((diffId) => diffId.replace(/^sha256:/, "")) },
    };
    read.set(name, golden);
  }
  return golden;
}

export interface FileOwner {
  readonly uid: number;
  readonly gid: number;
  readonly uname: string;
  readonly gname: string;
}

/** Who owns the files this process creates, named as the system's databases name them (`getent`; "" when unnamed, as tarfile does). */
export function runningOwner(): FileOwner {
  const uid = process.getuid!();
  const gid = process.getgid!();
  const name = (database: string, id: number): string => {
    const found = spawnSync("getent", [database, String(id)], { encoding: "utf8" });
    return found.status === 0 ? found.stdout.split(":")[0]! : "";
  };
  return { uid, gid, uname: name("passwd", uid), gname: name("group", gid) };
}

/**
 * A golden example image as the references write it from a store copy
 * owned by `owner`: tarfile.add() gives the customisation layer's layer.tar
 * member its file's owner, and the golden images were made as root (as
 * Nix's store is owned); every other byte is the same.
 */
export function asOwnedBy(image: Buffer, customisationLayer: string, owner: FileOwner): Buffer {
  const index = parseTarLayout(image).members.findIndex((m) => m.name.toString("utf8") === `${customisationLayer}/layer.tar`);
  assert.ok(index >= 0, `no ${customisationLayer}/layer.tar in the image`);
  const member = parseTarLayout(image).members[index]!;
  const header = image.subarray(member.headerOffset, member.headerOffset + 512);
  const field = (offset: number, size: number): string => header.subarray(offset, offset + size).toString("latin1").replace(/\0.*$/s, "");
  assert.deepEqual([field(UID.offset, UID.size), field(UNAME.offset, UNAME.size)], ["0000000", "root"], "golden/example/ was made as root");
  if (owner.uid === 0 && owner.gid === 0 && owner.uname === "root" && owner.gname === "root") return image;
  const at = { member, base: 0 };
  let owned = withHeaderField(image, at, UID, owner.uid.toString(8).padStart(7, "0"));
  owned = withHeaderField(owned, at, GID, owner.gid.toString(8).padStart(7, "0"));
  owned = withHeaderField(owned, at, UNAME, owner.uname);
  return withHeaderField(owned, at, GNAME, owner.gname);
}
