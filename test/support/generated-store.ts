/**
 * "A larger generated image" for the published-image fixtures: seven store
 * paths in six store layers plus a customisation layer real clients accept,
 * about 3 MiB, with regular files (compressible text and incompressible
 * bytes), an executable, nested directories, relative symlinks and one to
 * another store path.  Deterministic (a fixed Prng seed), so its layers'
 * digests are the same on every run.  Plain names only: the fixtures are
 * about publishing routes, not name traps (random-tree.ts has those).
 */
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { storePath } from "../fixtures/layer-fixtures.ts";
import { makeClientCustomisationLayer } from "./client-tools.ts";
import { Prng } from "./prng.ts";

export const GENERATED_PATHS = {
  libs: storePath(210, "gen-libs-1.0"),
  tool: storePath(211, "gen-tool-2.3"),
  data: storePath(212, "gen-data-0.9"),
  docs: storePath(213, "gen-docs"),
  tree: storePath(214, "gen-tree"),
  links: storePath(215, "gen-links"),
  empty: storePath(216, "gen-empty"),
} as const;

/** The layer the byte variant edits, and the file in it (a name as the layer tarball has it). */
export const GENERATED_EDIT = { layer: 2, member: `${GENERATED_PATHS.data}/share/table.txt`, offset: 123_457 } as const;

function randomBytes(prng: Prng, size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) bytes.writeUInt32LE(prng.int(2 ** 32), i);
  return bytes;
}

function lines(prng: Prng, count: number): string {
  const words = ["alpha", "beta", "gamma", "delta", "store", "layer", "image", "nix"];
  let out = "";
  for (let i = 0; i < count; i++) out += `${i}\t${prng.pick(words)}\t${prng.pick(words)}\t${prng.int(1e6)}\n`;
  return out;
}

/** Builds the generated store below `root` (root/nix/store/...) and returns its conf's JSON text. */
export function writeGeneratedStore(root: string): { confText: string } {
  const prng = new Prng(0x5e1d);
  const file = (path: string, data: Buffer | string, mode = 0o444): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), data);
    chmodSync(join(root, path), mode);
  };
  const link = (path: string, target: string): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    symlinkSync(target, join(root, path));
  };
  const p = GENERATED_PATHS;
  file(`${p.libs}/lib/libgen.so.1.0`, randomBytes(prng, 768 << 10), 0o555);
  link(`${p.libs}/lib/libgen.so.1`, "libgen.so.1.0");
  link(`${p.libs}/lib/libgen.so`, "libgen.so.1");
  file(`${p.tool}/bin/gen-tool`, Buffer.concat([Buffer.from("#!/bin/sh\nexec true\n"), randomBytes(prng, 256 << 10)]), 0o555);
  link(`${p.tool}/bin/gt`, "gen-tool");
  link(`${p.tool}/lib`, `${p.libs}/lib`);
  file(`${p.tool}/etc/gen-tool.conf`, "verbose = false\n");
  file(`${p.data}/share/blob.bin`, randomBytes(prng, 1 << 20));
  file(`${p.data}/share/table.txt`, lines(prng, 12_000));
  for (let i = 0; i < 12; i++) file(`${p.docs}/share/doc/gen/page-${String(i).padStart(2, "0")}.txt`, lines(prng, 200 + i * 40));
  for (let a = 0; a < 3; a++) {
    for (let b = 0; b < 3; b++) {
      mkdirSync(join(root, p.tree, `d${a}`, `e${b}`), { recursive: true });
      for (let c = 0; c < 3; c++) file(`${p.tree}/d${a}/e${b}/f${c}`, `${a}.${b}.${c}\n`, c === 0 ? 0o555 : 0o444);
    }
  }
  link(`${p.links}/bin`, `${p.tool}/bin`);
  link(`${p.links}/share/docs`, "../../" + p.docs.slice("/nix/store/".length) + "/share/doc");
  mkdirSync(join(root, p.empty, "var", "empty"), { recursive: true });
  file(`${p.empty}/.keep`, "");
  const customisation = makeClientCustomisationLayer(root);
  const conf = {
    architecture: "amd64",
    config: { Cmd: [`${p.tool}/bin/gen-tool`], Env: ["PATH=/bin"], WorkingDir: "/" },
    created: "2024-06-01T08:30:00+00:00",
    mtime: "2024-06-01T08:30:00+00:00",
    uid: 1000,
    gid: 100,
    uname: "gen",
    gname: "users",
    store_dir: "/nix/store",
    from_image: null,
    repo_tag: "generated-image:current",
    // The tree and the links share a layer: a layer of two store paths.
    store_layers: [[p.libs], [p.tool], [p.data], [p.docs], [p.tree, p.links], [p.empty]],
    customisation_layer: customisation,
  };
  return { confText: `${JSON.stringify(conf, null, 2)}\n` };
}
