/**
 * Where a first push's time goes (not part of `npm run bench`; run by hand:
 * `node build/bench/publish-profile.js ROOT CONF [chunk-bytes]`): the hash
 * passes alone, the push's per-layer upload times, and two floors on the
 * same local docker-registry: `curl -T` of each layer blob (already on
 * disk) in one monolithic PUT, and reading the blobs with `cat` (what the
 * disk and page cache give).  Prints one JSON object.
 */
import { execFileSync } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { readConfFile, validateConf } from "../src/conf.js";
import { prepareImage } from "../src/image.js";
import { pushImage } from "../src/publish/push.js";
import { parseImageReference } from "../src/publish/reference.js";
import { startRegistry } from "../test/support/registry.js";

const [root, confFile, chunkText] = process.argv.slice(2);
if (root === undefined || confFile === undefined) throw new Error("usage: publish-profile ROOT CONF [chunk-bytes]");
const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

const conf = validateConf(readConfFile(confFile, "3.13"), confFile);
let start = process.hrtime.bigint();
const image = prepareImage(conf, { root });
const hashPasses = seconds(start);
const registry = await startRegistry();
const work = mkdtempSync(join(tmpdir(), "sli-profile-"));
try {
  const ref = parseImageReference(`docker://${registry.endpoint}/profile/app:1`);
  const marks: { line: string; at: number }[] = [];
  start = process.hrtime.bigint();
  await pushImage(image, ref, { chunkSize: chunkText === undefined ? undefined : Number(chunkText), log: (line) => marks.push({ line: line.slice(0, 40), at: seconds(start) }) });
  const push = seconds(start);

  // The blobs on disk, then the floors.
  const blobs: string[] = [];
  for (const [index] of image.layers.entries()) {
    const file = join(work, `layer${index}`);
    const out = createWriteStream(file);
    for (const chunk of image.layerChunks(index)) if (!out.write(chunk)) await once(out, "drain");
    out.end();
    await once(out, "close");
    blobs.push(file);
  }
  start = process.hrtime.bigint();
  execFileSync("bash", ["-c", `cat ${blobs.map((b) => `'${b}'`).join(" ")} > /dev/null`]);
  const cat = seconds(start);
  start = process.hrtime.bigint();
  for (const [index, file] of blobs.entries()) {
    const location = execFileSync("bash", ["-c", `curl -s -i -X POST http://${registry.endpoint}/v2/floor/app/blobs/uploads/ | tr -d '\\r' | sed -n 's/^Location: //Ip'`], { encoding: "utf8" }).trim();
    const url = new URL(location, `http://${registry.endpoint}/`);
    url.searchParams.set("digest", `sha256:${image.layers[index]!.sha256}`);
    execFileSync("curl", ["-s", "-f", "-T", file, "-H", "Content-Type: application/octet-stream", url.href]);
  }
  const curl = seconds(start);
  const bytes = blobs.reduce((total, file) => total + statSync(file).size, 0);
  console.log(JSON.stringify({ bytes, hashPasses, push, marks, floorCatSeconds: cat, floorCurlPutSeconds: curl }, null, 1));
} finally {
  rmSync(work, { recursive: true, force: true });
  await registry.stop();
  image.close();
}
