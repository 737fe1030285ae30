/**
 * node build/bench/gzip-split.js ROOT CONF: the library's two phases for a
 * conf with a gzip from_image, printed as JSON: prepareImageAsync (the
 * decompression on its worker thread, the checks) and the copy of the
 * layers that follows (chunks consumed, nothing written).
 */
import { performance } from "node:perf_hooks";
import { validateConf } from "../src/conf/validate.ts";
import { readConfFile } from "../src/conf/read.ts";
import { prepareImageAsync } from "../src/image/image.ts";

const [root, confPath] = process.argv.slice(2);
if (root === undefined || confPath === undefined) throw new Error("usage: gzip-split.js ROOT CONF");
const conf = validateConf(readConfFile(confPath, "3.13"), confPath);
let start = performance.now();
const image = await prepareImageAsync(conf, { root, reuseChunks: true });
const prepareSeconds = (performance.now() - start) / 1000;
start = performance.now();
let bytes = 0;
for await (const chunk of image.asyncChunks()) bytes += chunk.length;
image.close();
console.log(JSON.stringify({ prepareSeconds, copySeconds: (performance.now() - start) / 1000, bytes }));
