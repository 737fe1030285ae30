/**
 * A small store for the publishing tests: three store paths (one of a few
 * MiB, so an upload can be broken off in its middle) and a customisation
 * layer real clients accept, with the conf naming them.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeClientCustomisationLayer } from "./client-tools.ts";
import { Prng } from "./prng.ts";

export const SMALL_PATH = "/nix/store/0000000000000000000000000000smal-small";
export const EDITED_PATH = "/nix/store/0000000000000000000000000000edit-edited";
export const BIG_PATH = "/nix/store/00000000000000000000000000000big-big";
/** Big enough that an upload is in its middle after 1 MiB. */
export const BIG_SIZE = 3 << 20;

export interface PublishStore {
  readonly root: string;
  readonly conf: string;
  /** Rewrites the edited store path's file: its layer, and only it, changes. */
  edit(text: string): void;
  remove(): void;
}

export function makePublishStore(): PublishStore {
  const root = mkdtempSync(join(tmpdir(), "sli-publish-"));
  const file = (storePath: string, name: string, data: Buffer | string): void => {
    const dir = join(root, storePath, "bin");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, name), data);
    chmodSync(join(dir, name), 0o555);
  };
  file(SMALL_PATH, "small", "#!/bin/sh\necho small\n");
  file(EDITED_PATH, "edited", "first version\n");
  const prng = new Prng(14);
  const big = Buffer.alloc(BIG_SIZE);
  for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(prng.int(2 ** 32), i);
  file(BIG_PATH, "big", big);
  const customisation = makeClientCustomisationLayer(root);
  const conf = join(root, "conf.json");
  writeFileSync(
    conf,
    JSON.stringify({
      architecture: "amd64",
      config: { Cmd: [`${SMALL_PATH}/bin/small`] },
      created: "2024-01-01T00:00:00+00:00",
      repo_tag: "publish-test:1.0",
      store_layers: [[SMALL_PATH], [EDITED_PATH], [BIG_PATH]],
      customisation_layer: customisation,
    }),
  );
  return {
    root,
    conf,
    edit: (text) => {
      const path = join(root, EDITED_PATH, "bin", "edited");
      chmodSync(path, 0o755);
      writeFileSync(path, text);
      chmodSync(path, 0o555);
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * Points `$XDG_CACHE_HOME` of this test process, and of the CLIs it runs,
 * at a new temporary directory: push and oci keep a digest cache there by
 * default, and the tests must never touch the user's.  Returns the digest
 * cache directory the CLI will use.
 */
export function useTemporaryCacheHome(): string {
  const home = mkdtempSync(join(tmpdir(), "sli-cache-home-"));
  process.env["XDG_CACHE_HOME"] = home;
  process.on("exit", () => rmSync(home, { recursive: true, force: true }));
  return join(home, "stream-layered-image", "digests");
}
