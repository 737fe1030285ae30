/**
 * `npm start`: the tool on the example store shipped in example/, with no
 * Nix, no /nix and no root.  Copies the store with Nix's modes to a
 * temporary directory, runs the command line on it (`--root`), writes
 * example.tar in the repository (or the file named by the first argument),
 * then prints its digests and how to load it.
 * Not part of the package (see "files" in package.json).
 */
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runCli } from "../cli/run.ts";
import { copyAsNixStore, removeNixStoreCopy } from "./nix-store-copy.ts";
import { parseTarLayout } from "../tar/inspect.ts";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const exampleDir = join(repo, "example");
const confPath = join(exampleDir, "conf.json");
/** The same image described by a conf in today's shape (nixpkgs' current script: owners, mtime, store_dir...). */
const currentConfPath = join(exampleDir, "conf-current.json");
const output = resolve(process.argv[2] ?? join(repo, "example.tar"));
const currentOutput = output.replace(/(\.tar)?$/, "-current.tar");

/** A path as the user would type it from the current directory. */
const shown = (path: string): string => {
  const rel = relative(process.cwd(), path);
  return rel === "" || rel.startsWith("..") ? path : rel;
};

interface Manifest {
  Config: string;
  RepoTags: unknown[];
  Layers: string[];
}
interface ImageConfig {
  rootfs: { diff_ids: string[] };
  history: { comment: string }[];
}

/** What is in example.tar, read back from its manifest and config (the example image is small enough to read whole). */
function describe(tarPath: string): string {
  const archive = readFileSync(tarPath);
  const { members } = parseTarLayout(archive);
  const memberText = (name: string): string | undefined => {
    const member = members.find((m) => m.name.toString("utf8") === name);
    return member && archive.subarray(member.dataOffset, member.dataOffset + member.dataSize).toString("utf8");
  };
  const manifest = (JSON.parse(memberText("manifest.json") ?? "null") as Manifest[] | null)?.[0];
  if (manifest === undefined) throw new Error(`${tarPath}: no manifest.json`);
  const config = JSON.parse(memberText(manifest.Config) ?? "null") as ImageConfig | null;
  if (config === null) throw new Error(`${tarPath}: no ${manifest.Config}`);
  const lines = [
    `${shown(tarPath)}: ${manifest.RepoTags.join(", ")}, ${manifest.Layers.length} layers, ${statSync(tarPath).size} bytes`,
    `  image id  sha256:${manifest.Config.replace(/\.json$/, "")}`,
  ];
  config.rootfs.diff_ids.forEach((diffId, num) => {
    lines.push(`  layer ${num}   ${diffId}`);
    lines.push(`            ${config.history[num]?.comment ?? ""}`);
  });
  return lines.join("\n");
}

const nextSteps = (tar: string): string => `
Load it into a container engine (the example has no shell, so it loads but does not run):
  docker load -i ${tar}
  podman load -i ${tar}
or look inside without one:
  skopeo inspect docker-archive:${tar}
  tar -tvf ${tar}

With a conf written by nixpkgs' streamLayeredImage, as a drop-in for its script:
  node dist/cli.js conf.json > image.tar
  node dist/cli.js --help`;

async function main(): Promise<number> {
  if (!existsSync(confPath)) {
    process.stderr.write(`example: ${confPath} not found (run npm start in a clone of the repository)\n`);
    return 2;
  }
  const root = mkdtempSync(join(tmpdir(), "sli-example-"));
  const run = async (conf: string, tar: string): Promise<number> => {
    process.stdout.write(`$ stream-layered-image --root ${root} -o ${shown(tar)} ${shown(conf)}\n`);
    return runCli(["--root", root, "-o", tar, conf], {
      stdout: process.stdout,
      stderr: (text) => process.stderr.write(text),
      terminal: process.stderr.isTTY === true && process.env["TERM"] !== "dumb",
      columns: process.stderr.columns,
    });
  };
  try {
    copyAsNixStore(join(exampleDir, "nix"), join(root, "nix"));
    const code = await run(confPath, output);
    if (code !== 0) return code;
    process.stdout.write(`\n${describe(output)}\n\n`);
    // The conf today's nixpkgs writes has the current script's keys: detected, its bytes written.
    process.stdout.write(`The same store with a conf in today's shape (store_dir, from_image, mtime, uid/gid/uname/gname),\nwritten as nixpkgs' current script writes it (files owned by hello:users, mtime apart from created):\n`);
    const currentCode = await run(currentConfPath, currentOutput);
    if (currentCode !== 0) return currentCode;
  } finally {
    removeNixStoreCopy(root);
  }
  process.stdout.write(`\n${describe(currentOutput)}\n${nextSteps(shown(output))}\n`);
  return 0;
}

process.exitCode = await main();
