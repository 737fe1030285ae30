/**
 * `diff IMAGE-A IMAGE-B`: either side is an image in skopeo's syntax, a
 * plain docker-archive path, or a CONF (a file holding a JSON object: what
 * that conf produces, under --python, --generation, -t and --root).  Every
 * difference is printed (audit/diff-report.ts, or --json); exit 0 same,
 * 1 different, 2 could not compare.
 */
import { openSync, readSync, closeSync } from "node:fs";
import type { ImageConf } from "../conf/validate.ts";
import { prepareImage } from "../image/image.ts";
import type { PreparedImage } from "../image/types.ts";
import type { ImageSource, Platform } from "../oci/image-source.ts";
import { openImage } from "../audit/open-image.ts";
import { DockerArchiveSource } from "../tarball/docker-archive-source.ts";
import { confSide, sourceSide } from "../audit/diff-sides.ts";
import { defaultPlatform, FALLBACK_PLATFORM } from "../audit/verify-published.ts";
import { diffExitCode, diffImages, SEMANTIC } from "../audit/image-diff.ts";
import type { DiffOptions, DiffSide } from "../audit/diff-types.ts";
import { formatImageDiff } from "../audit/diff-report.ts";
import { formatImageDiffJson } from "../audit/diff-json.ts";
import type { CliIo } from "./io.ts";
import type { OptionValues } from "./option-table.ts";
import { digestCacheOption, platformOption, registrySourceOptions } from "./read-options.ts";

/** A regular file whose first non-blank byte is "{": a conf (a tar starts with a member name, never so). */
function isConfFile(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return false;
  }
  try {
    const head = Buffer.alloc(512);
    const length = readSync(fd, head, 0, head.length, 0);
    return /^\s*\{/.test(head.subarray(0, length).toString("latin1"));
  } catch {
    // A directory (an OCI layout given as a plain path) or unreadable: not a conf.
    return false;
  } finally {
    closeSync(fd);
  }
}

type Opened = { readonly side: DiffSide; readonly close: () => Promise<void> | void };

/** Either side as the diff engine reads it: a conf prepared (its hash passes run) at once, an image through its transport. */
async function openSide(text: string, conf: ImageConf | undefined, values: OptionValues, platform: Platform): Promise<Opened> {
  if (conf !== undefined) {
    const prepared: PreparedImage = prepareImage(conf, { python: values.python, root: values.root, digestCache: digestCacheOption(values) });
    return { side: confSide(text, prepared), close: () => prepared.close() };
  }
  const opened = openImage(text, registrySourceOptions(values));
  const source: ImageSource = opened.kind === "plain" ? new DockerArchiveSource(text, opened.path, undefined) : opened.source;
  try {
    const side = await sourceSide(text, source, platform);
    return { side, close: () => source.close() };
  } catch (error) {
    await source.close();
    throw error;
  }
}

function diffOptions(values: OptionValues): DiffOptions {
  if (values.semantic) return SEMANTIC;
  return { ignoreTimestamps: values["ignore-timestamps"], ignoreOwners: values["ignore-owners"], ignoreHistory: values["ignore-history"] };
}

export async function runDiff(values: OptionValues, names: readonly [string, string], confFor: (path: string) => ImageConf, io: CliIo): Promise<number> {
  // Each conf read once; without --platform, a conf on either side names the architecture to pick from an index.
  const confs = names.map((name) => (isConfFile(name) ? confFor(name) : undefined));
  const firstConf = confs.find((conf) => conf !== undefined);
  const platform = platformOption(values, "diff") ?? (firstConf === undefined ? FALLBACK_PLATFORM : defaultPlatform(firstConf));
  const opened: Opened[] = [];
  try {
    for (const [index, name] of names.entries()) opened.push(await openSide(name, confs[index], values, platform));
    const diff = await diffImages(opened[0]!.side, opened[1]!.side, diffOptions(values));
    io.stdout.write(values.json ? formatImageDiffJson(diff) : formatImageDiff(diff));
    return diffExitCode(diff);
  } finally {
    for (const side of opened) await side.close();
  }
}
