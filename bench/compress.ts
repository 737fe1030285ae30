/**
 * node build/bench/compress.js [FILE] (or npm run bench -- --compress-only):
 * layer compression's speed and size against the CLIs, on one input (FILE,
 * else ~200 MB of this machine's code and text as a tar, built once under
 * $SLI_BENCH_DIR): ours at gzip level 6 with 1 and 2 worker threads
 * against `gzip -6` and `pigz -6` (when installed), ours at zstd level 3
 * against `zstd -3 -T1`.  One round each (SLI_BENCH_ROUNDS for more, the
 * median is kept): the cores are often shared; re-run on a quiet machine.
 */
import { spawnSync } from "node:child_process";
import { createReadStream, existsSync, mkdirSync, statSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compressorBuild } from "../src/workers/compress/build-id.ts";
import { compressLayer } from "../src/workers/compress/compress-layer.ts";
import type { CompressFormat } from "../src/workers/compress/format.ts";
import { closeCompressWorkers } from "../src/workers/compress/pool.ts";

const BENCH_DIR = process.env["SLI_BENCH_DIR"] ?? "/tmp/sli-bench";
const ROUNDS = Number(process.env["SLI_BENCH_ROUNDS"] ?? 1);
const INPUT_BYTES = 200 << 20;
const SOURCES = ["/usr/lib/python3.11", "/usr/lib/python3", "/usr/share/perl", "/usr/lib/git-core", "/root/.pyenv/versions", "/usr/share/doc", "/usr/lib"];

/** The default input: the first 200 MiB of a tar of what exists among SOURCES. */
function defaultInput(): string {
  const file = join(BENCH_DIR, "compress-input.tar");
  if (!existsSync(file)) {
    mkdirSync(BENCH_DIR, { recursive: true });
    const present = SOURCES.filter((source) => existsSync(source)).map((source) => `'${source.slice(1)}'`);
    spawnSync("bash", ["-c", `tar -C / -cf - ${present.join(" ")} 2>/dev/null | head -c ${INPUT_BYTES} > '${file}'`], { stdio: "inherit" });
  }
  return file;
}

interface Row {
  readonly name: string;
  readonly seconds: number;
  readonly bytes: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function ours(file: string, format: CompressFormat, level: number, workers: number): Promise<Row> {
  const seconds: number[] = [];
  let bytes = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    const layer = compressLayer(createReadStream(file, { highWaterMark: 1 << 20 }), { format, level, workers });
    for await (const _chunk of layer.chunks);
    bytes = (await layer.result()).size;
    seconds.push((performance.now() - start) / 1000);
  }
  return { name: `ours ${format} ${level}, ${workers} worker${workers === 1 ? "" : "s"}`, seconds: median(seconds), bytes };
}

/** A CLI compressing the file to a pipe whose bytes are counted; undefined when it is not installed. */
function cli(name: string, command: string, file: string): Row | undefined {
  if (spawnSync("bash", ["-c", `command -v ${command.split(" ")[0]}`]).status !== 0) return undefined;
  const seconds: number[] = [];
  let bytes = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    const run = spawnSync("bash", ["-c", `${command} < '${file}' | wc -c`], { encoding: "utf8" });
    seconds.push((performance.now() - start) / 1000);
    bytes = Number(run.stdout.trim());
  }
  return { name, seconds: median(seconds), bytes };
}

export async function benchCompress(file: string = defaultInput()): Promise<void> {
  const size = statSync(file).size;
  console.log(`\n## layer compression: ${(size / 1e6).toFixed(0)} MB (${file}), node ${process.version}, zlib ${process.versions.zlib}, zstd ${process.versions["zstd"] ?? "none"}, ${cpus().length} cores`);
  console.log(`builds: ${compressorBuild("gzip", 6)}; ${compressorBuild("zstd", 3)}`);
  const rows: (Row | undefined)[] = [
    await ours(file, "gzip", 6, 1),
    await ours(file, "gzip", 6, 2),
    cli("gzip -6", "gzip -6 -c", file),
    cli("pigz -6 (2 threads)", "pigz -6 -p 2 -c", file),
    await ours(file, "zstd", 3, 1),
    await ours(file, "zstd", 3, 2),
    cli("zstd -3 (1 thread)", "zstd -3 -T1 -q -c", file),
  ];
  await closeCompressWorkers();
  console.log("| run | MB/s | compressed / input |");
  console.log("|---|---|---|");
  for (const row of rows) if (row !== undefined) console.log(`| ${row.name} | ${(size / 1e6 / row.seconds).toFixed(1)} | ${(row.bytes / size).toFixed(4)} |`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchCompress(process.argv[2]);
