/**
 * The publishing subcommands: `push CONF IMAGE-REF...` (to a registry, only
 * the layers it lacks) and `oci CONF DIR` (an OCI image layout).  Reached
 * from runCli when argv[0] names one.  The options are option-table.ts's, and
 * --python, --generation and -t apply to the conf as for the main command
 * (-t's tag is then the default tag).  Errors are one line; exit 2 for bad
 * usage or input found before anything is sent or written, 1 for a failure
 * of the registry, the network, the layout directory, or a store change.
 */
import type { ImageConf } from "../conf/validate.ts";
import { prepareImage } from "../image/image.ts";
import type { ImageOptions, PreparedImage } from "../image/types.ts";
import { DigestCache, defaultDigestCacheDir } from "../passes/digest-cache.ts";
import { BlobCache } from "../passes/blob-cache.ts";
import { blobCacheDir } from "./read-options.ts";
import { checkCompression, describeCompression } from "../publish/compression.ts";
import { CompressionChoiceError } from "../publish/errors.ts";
import { CompressOptionError, CompressUnsupportedError, CompressWorkerError } from "../workers/compress/errors.ts";
import { HashWorkerError } from "../workers/hash/errors.ts";
import { ProgressDisplay, formatBytes } from "./progress.ts";
import { EXIT_BAD_INPUT, EXIT_OK, EXIT_PUBLISH_FAULT, type CliIo } from "./io.ts";
import { findCredentials } from "../remote/credentials.ts";
import { RegistryError } from "../remote/errors.ts";
import { formatImageReference, isValidTag, parseImageReference, type ImageReference } from "../remote/reference.ts";
import { ImagePush, summaryCounts, type PushSummary } from "../publish/push.ts";
import { writeOciLayout } from "../publish/oci-layout.ts";
import { UsageError } from "./option-table.ts";
import { optionHelp, parseCommandArgs, readImageConf } from "./options.ts";

import { PUBLISH_COMMANDS, type PublishCommand } from "./command-names.ts";

export const PUBLISH_USAGE = `usage: stream-layered-image push [options] CONF IMAGE-REF [IMAGE-REF...]
       stream-layered-image oci [options] CONF DIR

push  sends the image CONF describes to a registry over the OCI distribution
      API, without a tarball: the hash passes first, then each layer the
      registry lacks is streamed from the store, compressed as it streams
      (default gzip level 5; the blob cache names the blobs a registry may
      already have), the config (the docker-archive's, byte for byte: same
      image id), and the manifest last.  IMAGE-REF: docker://HOST[:PORT]/REPO[:TAG].
      The tag pushed: --tag, else the IMAGE-REF's, else the tag of the conf's
      repo_tag (-t replaces it), else latest.  Several IMAGE-REFs on one
      registry: later ones mount the layers the earlier ones pushed.
oci   writes an OCI image layout to DIR (oci-layout, index.json, blobs/sha256/):
      a new DIR appears complete or not at all; in an existing layout, blobs
      already there are not written again and index.json is replaced last.
      The ref name: --tag, else the tag of repo_tag (after -t), else latest.
--python, --generation and -t change the image as for the main command.

options:
${optionHelp(PUBLISH_COMMANDS)}
stdout: push: IMAGE-REF@MANIFEST-DIGEST per reference; oci: DIR@MANIFEST-DIGEST.
stderr: one line per layer (uploaded, skipped, mounted, written), the
progress line on a terminal, and a summary.

exit codes:
  ${EXIT_OK}  pushed / written
  ${EXIT_PUBLISH_FAULT}  the registry refused or could not be reached, the connection broke off
     past the retries, the layout directory could not be written, or a store
     file changed since the hash pass, or a digest cache entry was stale (it is
     dropped): the tag was not moved, DIR not replaced
  ${EXIT_BAD_INPUT}  bad usage or bad input (conf, store paths, IMAGE-REF, credentials); a bad
     store path in a layer push reads once (not in the digest cache) is found
     after the layers before it were sent: the tag was not moved
`;

/** push's and oci's options and operands (throws UsageError). */
function parsePublishArgs(command: PublishCommand, argv: readonly string[]) {
  const parsed = parseCommandArgs(command, argv);
  if (typeof parsed === "string") return "help" as const;
  const { values, positionals } = parsed;
  const compression = { format: values.compress ?? "gzip", level: values["compress-level"] };
  try {
    checkCompression(values.format, compression);
  } catch (error) {
    if (error instanceof CompressionChoiceError || error instanceof CompressOptionError || error instanceof CompressUnsupportedError) throw new UsageError(`${command}: ${error.message}`);
    throw error;
  }
  return {
    compression,
    python: values.python,
    generation: values.generation,
    repoTag: values.repo_tag,
    root: values.root,
    format: values.format,
    tag: values.tag,
    creds: values.creds,
    authFile: values.authfile,
    tlsVerify: values["tls-verify"],
    plainHttp: values["plain-http"],
    fromRepos: values["from-repo"],
    retries: values["retry-times"],
    chunkSize: values["chunk-size"],
    retryDelayMs: values["retry-delay"] === undefined ? undefined : values["retry-delay"] * 1000,
    digestCache: values["no-digest-cache"] ? undefined : (values["digest-cache"] ?? defaultDigestCacheDir()),
    blobCache: blobCacheDir(values),
    quiet: values.quiet,
    debug: values.debug,
    conf: positionals[0]!,
    targets: positionals.slice(1),
  };
}

/** The tag part of the conf's repo_tag (`"hello:1.0"` → `"1.0"`), when it is a string with a valid one. */
function repoTagTag(conf: ImageConf): string | undefined {
  if (typeof conf.repoTag !== "string") return undefined;
  const colon = conf.repoTag.lastIndexOf(":");
  const tag = colon > conf.repoTag.lastIndexOf("/") ? conf.repoTag.slice(colon + 1) : undefined;
  return tag !== undefined && isValidTag(tag) ? tag : undefined;
}

function describeCounts(counts: ReturnType<typeof summaryCounts>, words: Partial<Record<keyof typeof counts, string>> = {}): string {
  return (Object.entries(counts) as [keyof typeof counts, { layers: number; bytes: number }][])
    .filter(([outcome, count]) => words[outcome] !== "" && (outcome !== "mounted" || count.layers > 0))
    .map(([outcome, count]) => `${count.layers} ${count.layers === 1 ? "layer" : "layers"} ${words[outcome] ?? outcome} (${formatBytes(count.bytes)})`)
    .join(", ");
}

type PublishArgs = Exclude<ReturnType<typeof parsePublishArgs>, "help">;

/** Where a publishing command reports: the progress display on a terminal, the log lines (none with -q), the output. */
interface PublishOutput {
  readonly io: CliIo;
  readonly display: ProgressDisplay | undefined;
  readonly log: ((line: string) => void) | undefined;
}

/** The image (`oci`: prepared; `push`: prepared by the first push) and what pushing it needs, read before anything is sent or written. */
interface PublishInput {
  readonly conf: ImageConf;
  readonly imageOptions: ImageOptions;
  image: PreparedImage | undefined;
  readonly refs: readonly ImageReference[];
  readonly credentialsFor: (ref: ImageReference) => ReturnType<typeof findCredentials>;
  readonly defaultTag: string;
  /** Shared by every IMAGE-REF of the run, so later ones know (and mount) what earlier ones compressed. */
  readonly blobCache: BlobCache;
}

/** Runs `push` or `oci` with the arguments after the command word; resolves with the exit code. */
export async function runPublishCli(command: PublishCommand, argv: readonly string[], io: CliIo): Promise<number> {
  let options: PublishArgs;
  try {
    const parsed = parsePublishArgs(command, argv);
    if (parsed === "help") {
      io.stdout.write(PUBLISH_USAGE);
      return EXIT_OK;
    }
    options = parsed;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`stream-layered-image: ${error.message}\n`);
    return EXIT_BAD_INPUT;
  }
  const display = options.quiet || io.terminal !== true ? undefined : new ProgressDisplay({ write: io.stderr, columns: io.columns });
  const output: PublishOutput = { io, display, log: options.quiet ? undefined : (display?.log ?? ((line: string) => io.stderr(`${line}\n`))) };
  const report = (error: unknown): void => {
    display?.finish();
    io.stderr(`stream-layered-image: ${(error as Error).message}\n`);
    if (options.debug) io.stderr(`${((error instanceof InputFault ? error.cause : error) as Error).stack}\n`);
  };
  let input: PublishInput;
  try {
    input = readPublishInput(command, options, display);
  } catch (error) {
    report(error);
    // Not the input's fault: the hash worker thread failed.
    return error instanceof HashWorkerError ? EXIT_PUBLISH_FAULT : EXIT_BAD_INPUT;
  }
  try {
    if (command === "oci") await writeOci(input, options, output);
    else await pushAll(input, options, output);
    return EXIT_OK;
  } catch (error) {
    report(error);
    return error instanceof InputFault ? EXIT_BAD_INPUT : EXIT_PUBLISH_FAULT;
  } finally {
    input.image?.close();
  }
}

/** A fault of the input met while the first push prepared the image (its message is the cause's). */
class InputFault extends Error {}

/**
 * What a fault met while the first push prepared the image is: the
 * registry's and the worker threads' are the push's, every other the
 * input's (the conf, the store paths), as when `oci` prepares it first.
 */
function classifyPrepareFault(error: unknown): unknown {
  if (error instanceof RegistryError || error instanceof HashWorkerError || error instanceof CompressWorkerError) return error;
  return new InputFault((error as Error).message, { cause: error });
}

/** The IMAGE-REFs, the conf, the credentials (a bad auth file is bad input) and, for `oci`, the prepared image (its hash passes run). */
function readPublishInput(command: PublishCommand, options: PublishArgs, display: ProgressDisplay | undefined): PublishInput {
  const refs = command === "push" ? options.targets.map(parseImageReference) : [];
  const conf = readImageConf(options.conf, options);
  const defaultTag = options.tag ?? repoTagTag(conf) ?? "latest";
  // Credentials are read before the hash passes: a bad auth file is bad input.
  const credentials = refs.map((ref) => findCredentials(ref.registry, ref.repository, { creds: options.creds, authFile: options.authFile }));
  const credentialsFor = (ref: ImageReference): ReturnType<typeof findCredentials> => credentials[refs.indexOf(ref)];
  const digestCache = options.digestCache === undefined ? undefined : new DigestCache(options.digestCache);
  const imageOptions: ImageOptions = { python: options.python, root: options.root, progress: display?.event, digestCache };
  // push prepares the image as it pushes it: its first passes may be uploads.
  const image = command === "oci" ? prepareImage(conf, imageOptions) : undefined;
  return { conf, imageOptions, image, refs, credentialsFor, defaultTag, blobCache: new BlobCache(options.blobCache) };
}

/** `oci`: the layout written, its summary logged and DIR@MANIFEST-DIGEST printed. */
async function writeOci({ image, defaultTag, blobCache }: PublishInput, options: PublishArgs, { io, display, log }: PublishOutput): Promise<void> {
  const summary = await writeOciLayout(image!, options.targets[0]!, { refName: defaultTag, format: options.format, compress: options.compression, blobCache, log });
  display?.finish();
  const counts = summaryCounts(summary);
  log?.(`Wrote ${summary.directory} (${defaultTag}): ${describeCounts(counts, { uploaded: "written", mounted: "" })}; ${compressedCount(summary)}; manifest ${summary.manifestDigest}, image id ${summary.configDigest}`);
  io.stdout.write(`${summary.directory}@${summary.manifestDigest}\n`);
}

/** "2 layers compressed (gzip level 5)", "layers uncompressed". */
function compressedCount(summary: { compression: Parameters<typeof describeCompression>[0]; layersCompressed: number }): string {
  if (summary.compression.format === "none") return "layers uncompressed";
  return `${summary.layersCompressed} ${summary.layersCompressed === 1 ? "layer" : "layers"} compressed (${describeCompression(summary.compression)})`;
}

/**
 * `push`: to each IMAGE-REF in turn, each summary logged and
 * IMAGE-REF@MANIFEST-DIGEST printed; the first push prepares the image
 * (`input.image`), later ones push it as prepared.
 */
async function pushAll(input: PublishInput, options: PublishArgs, { io, display, log }: PublishOutput): Promise<void> {
  const { refs, credentialsFor, defaultTag, blobCache } = input;
  const pushed: ImageReference[] = [];
  for (const given of refs) {
    const ref = { ...given, tag: options.tag ?? (given.tagGiven ? given.tag : defaultTag) };
    // Every repository this run pushed to on the same registry can lend its layers.
    const fromRepos = [...options.fromRepos, ...pushed.filter((other) => other.registry === ref.registry).map((other) => other.repository)];
    const push = new ImagePush(ref, {
      format: options.format,
      credentials: credentialsFor(given),
      tlsVerify: options.tlsVerify,
      plainHttp: options.plainHttp,
      fromRepos,
      retries: options.retries,
      retryDelayMs: options.retryDelayMs,
      chunkSize: options.chunkSize,
      compress: options.compression,
      blobCache,
      log,
      progress: display?.event,
    });
    let summary: PushSummary;
    try {
      if (input.image === undefined) {
        try {
          input.image = await push.prepare(input.conf, input.imageOptions);
        } catch (error) {
          throw classifyPrepareFault(error);
        }
      }
      summary = await push.run(input.image);
    } finally {
      push.client.close();
    }
    pushed.push(ref);
    display?.finish();
    log?.(`Pushed ${summary.reference}: ${describeCounts(summaryCounts(summary))}; ${compressedCount(summary)}; ${formatBytes(summary.bytesSent)} sent; manifest ${summary.manifestDigest}, image id ${summary.configDigest}`);
    io.stdout.write(`${formatImageReference(ref).replace(/:[^:/]+$/, "")}@${summary.manifestDigest}\n`);
  }
}
