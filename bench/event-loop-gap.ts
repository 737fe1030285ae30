/**
 * node build/bench/event-loop-gap.js ROOT CONF: streams the image through
 * the library's async API to /dev/null while a 10 ms setInterval runs in the
 * same event loop, and prints the longest gap between its ticks (what a
 * server embedding the library would see as its worst stall).
 */
import { createWriteStream } from "node:fs";
import { performance } from "node:perf_hooks";
import { validateConf } from "../src/conf/validate.ts";
import { readConfFile } from "../src/conf/read.ts";
import { streamImage } from "../src/image/image.ts";

const [root, confPath] = process.argv.slice(2);
if (root === undefined || confPath === undefined) throw new Error("usage: event-loop-gap.js ROOT CONF");
const conf = validateConf(readConfFile(confPath, "3.13"), confPath);
let last = performance.now();
let longest = 0;
let ticks = 0;
const interval = setInterval(() => {
  const now = performance.now();
  longest = Math.max(longest, now - last);
  last = now;
  ticks++;
}, 10);
const start = performance.now();
await streamImage(conf, createWriteStream("/dev/null"), { root });
clearInterval(interval);
longest = Math.max(longest, performance.now() - last);
console.log(JSON.stringify({ seconds: (performance.now() - start) / 1000, ticks, longestGapMs: longest }));
