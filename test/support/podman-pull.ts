/**
 * podman pull into a private storage (vfs, under a temporary directory) with
 * its own blob-info cache (isolated-tools.ts): the image id podman gives
 * what it pulled.  podman checks every blob's digest and the layers'
 * diff_ids against the config while storing them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runIsolated, succeeded } from "./isolated-tools.ts";

/** `podman pull` of `image` (a docker:// reference on a plain-HTTP registry): its image id, `sha256:…`. */
export async function podmanPulledImageId(image: string): Promise<string> {
  const podRoot = mkdtempSync(join(tmpdir(), "sli-podman-"));
  try {
    const args = ["--root", join(podRoot, "root"), "--runroot", join(podRoot, "run"), "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file"];
    succeeded(await runIsolated("podman", [...args, "pull", "--quiet", "--tls-verify=false", image]));
    const images = JSON.parse(succeeded(await runIsolated("podman", [...args, "images", "--format", "json"])).toString("utf8")) as { Id: string }[];
    return `sha256:${images[0]?.Id}`;
  } finally {
    rmSync(podRoot, { recursive: true, force: true });
  }
}
