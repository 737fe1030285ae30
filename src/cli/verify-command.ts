/**
 * `verify CONF IMAGE`: a plain path (or - for stdin) is compared byte for
 * byte with the stream CONF produces (audit/verify.ts); when its bytes
 * differ, a file is read again as a docker-archive to tell "another tool
 * wrote this content" from "altered".  An image in skopeo's syntax
 * (docker://, oci:, oci-archive:, docker-archive:) is verified as published
 * (audit/verify-published.ts).
 */
import { createReadStream, openSync, closeSync } from "node:fs";
import type { Readable } from "node:stream";
import type { ImageConf } from "../conf/validate.ts";
import type { PythonVersion } from "../profile/python.ts";
import type { Generation } from "../profile/generation.ts";
import { verifyImage, ImageReadError, type VerifyResult } from "../audit/verify.ts";
import { formatVerifyResult } from "../audit/format.ts";
import { defaultPlatform, verifyPublished } from "../audit/verify-published.ts";
import { formatPublishedResult } from "../audit/format-published.ts";
import { openImage } from "../audit/open-image.ts";
import { DockerArchiveSource } from "../tarball/docker-archive-source.ts";
import { EXIT_DIFFERS, EXIT_OK, type CliIo } from "./io.ts";
import type { OptionValues } from "./option-table.ts";
import { digestCacheOption, platformOption, registrySourceOptions } from "./read-options.ts";

export interface VerifyArgs {
  readonly values: OptionValues;
  readonly confPath: string;
  readonly imagePath: string;
  readonly confFor: (version: PythonVersion, generation?: Generation) => ImageConf;
  readonly stdin: Readable;
}

/** IMAGE as a stream: `-` is stdin; a file is opened now so a missing one is an error before any hashing. */
function openPlainImage(image: string, stdin: Readable): Readable {
  if (image === "-") return stdin;
  let fd: number;
  try {
    fd = openSync(image, "r");
  } catch (error) {
    throw new ImageReadError(image, (error as NodeJS.ErrnoException).code ?? String(error), { cause: error });
  }
  try {
    return createReadStream(image, { fd, highWaterMark: 1 << 20 });
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/**
 * Whether a docker-archive whose bytes differ holds the content CONF gives:
 * its config is CONF's and every layer's content has its diff_id.  An
 * archive that cannot be read as one is not.
 */
async function sameContent(conf: ImageConf, file: string, imageId: string, values: OptionValues): Promise<boolean> {
  const source = new DockerArchiveSource(`docker-archive:${file}`, file, undefined);
  try {
    // The config first: read whole, it settles most cases without a layer.
    if ((await source.resolve(defaultPlatform(conf))).config.digest !== imageId) return false;
    const result = await verifyPublished(conf, source, { python: values.python, root: values.root, layers: true, digestCache: digestCacheOption(values) });
    return result.identical;
  } catch {
    // Unreadable as a docker-archive, or a layer not its diff_id: not the conf's content.
    return false;
  } finally {
    await source.close();
  }
}

async function verifyPlain({ values, confPath, imagePath, confFor, stdin }: VerifyArgs, io: CliIo): Promise<number> {
  const { python, root } = values;
  const imageName = imagePath === "-" ? "stdin" : imagePath;
  const conf = confFor(python);
  const image = openPlainImage(imagePath, stdin);
  const options = { python, root, imageName, digestCache: digestCacheOption(values) };
  const result: VerifyResult = await verifyImage((version, generation) => (version === python && generation === undefined ? conf : confFor(version, generation)), image, options);
  const contentMatches = !result.identical && imagePath !== "-" ? await sameContent(conf, imagePath, result.imageId, values) : undefined;
  io.stdout.write(formatVerifyResult(result, imageName, confPath, { contentMatches, file: imagePath === "-" ? undefined : imagePath }));
  return result.identical ? EXIT_OK : EXIT_DIFFERS;
}

export async function runVerify(args: VerifyArgs, io: CliIo): Promise<number> {
  const { values, confPath, imagePath, confFor } = args;
  const opened = openImage(imagePath, registrySourceOptions(values));
  if (opened.kind === "plain") return verifyPlain(args, io);
  const platform = platformOption(values, "verify");
  try {
    const result = await verifyPublished(confFor(values.python), opened.source, { python: values.python, root: values.root, platform, layers: values.layers, digestCache: digestCacheOption(values) });
    io.stdout.write(formatPublishedResult(result, confPath, values.verbose));
    return result.identical ? EXIT_OK : EXIT_DIFFERS;
  } finally {
    await opened.source.close();
  }
}
