/**
 * What the bench's generated stores share: the Store shape, the shell helper,
 * Nix-like modes, the customisation layer and the conf written beside a
 * store (bench.ts's stores and bench/diff-images.ts's).
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { storePath } from "../test/fixtures/layer-fixtures.ts";

export interface Store {
  readonly root: string;
  readonly conf: string;
  readonly paths: string[];
}

export function sh(script: string): string {
  return execFileSync("bash", ["-c", script], { encoding: "utf8", maxBuffer: 1 << 26 });
}

/** Nix-like modes: read-only files (0555 when executable), 0555 directories. */
export function nixModes(dir: string): void {
  sh(`find '${dir}' -type f -perm /111 -exec chmod 0555 {} + ; find '${dir}' -type f ! -perm /111 -exec chmod 0444 {} + ; find '${dir}' -type d -exec chmod 0555 {} +`);
}

export const CUSTOMISATION_LAYER = storePath(90, "customisation-layer");

export function customisationLayer(root: string): string {
  const dir = join(root, CUSTOMISATION_LAYER);
  mkdirSync(dir, { recursive: true });
  const tar = Buffer.alloc(10240);
  writeFileSync(join(dir, "layer.tar"), tar);
  writeFileSync(join(dir, "checksum"), createHash("sha256").update(tar).digest("hex"));
  return CUSTOMISATION_LAYER;
}

export function writeConf(root: string, layers: string[][], custom: string, repoTag = "bench:latest"): string {
  const conf = join(root, "conf.json");
  writeFileSync(
    conf,
    JSON.stringify({ architecture: "amd64", config: { Cmd: ["/bin/sh"] }, created: "2024-01-01T00:00:00+00:00", repo_tag: repoTag, store_layers: layers, customisation_layer: custom }),
  );
  return conf;
}
