/**
 * The publishing subcommands: `push CONF IMAGE-REF...` (to a registry, only
 * the layers it lacks) and `oci CONF DIR` (an OCI image layout).  Reached
 * from runCli when argv[0] names one.  Errors are one line; exit 2 for bad
 * usage or input found before anything is sent or written, 1 for a failure
 * of the registry, the network, the layout directory, or a store change.
 */
import { parseArgs } from "node:util";
import { validateConf, type ImageConf } from "../conf/validate.ts";
import { readConfFile } from "../conf/read.ts";
import { prepareImage } from "../image/image.ts";
import type { PreparedImage } from "../image/types.ts";
import { DigestCache, defaultDigestCacheDir } from "../passes/digest-cache.ts";
import { HashWorkerError } from "../workers/hash/errors.ts";
import { DEFAULT_PYTHON, PYTHON_VERSIONS, isPythonVersion } from "../profile/python.ts";
import { ProgressDisplay, formatBytes } from "./progress.ts";
import type { CliIo } from "./io.ts";
import { findCredentials } from "../publish/credentials.ts";
import { MANIFEST_FORMATS, type ManifestFormat } from "../publish/manifest.ts";
import { formatImageReference, isValidTag, parseImageReference, type ImageReference } from "../publish/reference.ts";
import { pushImage, summaryCounts } from "../publish/push.ts";
import { writeOciLayout } from "../publish/oci-layout.ts";

export const PUBLISH_COMMANDS = ["push", "oci"] as const;
export type PublishCommand = (typeof PUBLISH_COMMANDS)[number];

export function isPublishCommand(word: string | undefined): word is PublishCommand {
  return (PUBLISH_COMMANDS as readonly (string | undefined)[]).includes(word);
}

export const PUBLISH_USAGE = `usage: stream-layered-image push [options] CONF IMAGE-REF [IMAGE-REF...]
       stream-layered-image oci [options] CONF DIR

push  sends the image CONF describes to a registry over the OCI distribution
      API, without a tarball: the hash passes first, then each layer the
      registry lacks is streamed from the store (uncompressed: its digest is
      its diff_id), the config (the docker-archive's, byte for byte: same image
      id), and the manifest last.  IMAGE-REF: docker://HOST[:PORT]/REPO[:TAG];
      without a tag, the tag of the conf's repo_tag.  Several IMAGE-REFs on one
      registry: later ones mount the layers the earlier ones pushed.
oci   writes an OCI image layout to DIR (oci-layout, index.json, blobs/sha256/):
      a new DIR appears complete or not at all; in an existing layout, blobs
      already there are not written again and index.json is replaced last.

options:
  --python VERSION     CPython whose bytes to reproduce: ${PYTHON_VERSIONS.join(", ")} (default ${DEFAULT_PYTHON})
  --root DIR           read /nix/... from DIR/nix/..., as if DIR/nix were mounted on /nix
  --format oci|docker  manifest format: OCI (default) or Docker schema 2
  --tag TAG            the tag to push (push) or the index.json ref name (oci), whatever
                       IMAGE-REF or repo_tag say
  --digest-cache DIR   keep store layers' digests in DIR (default
                       $XDG_CACHE_HOME/stream-layered-image/digests, else ~/.cache/...):
                       an unchanged layer (its store paths walked, no file read) is
                       not hashed again; the registry (oci: the writer) checks its digest
  --no-digest-cache    hash every layer, read and write no cache
push only:
  --creds USER:PASS    credentials (else $REGISTRY_AUTH_FILE, \${XDG_RUNTIME_DIR}/containers/auth.json,
                       ~/.docker/config.json, as podman and skopeo read them)
  --authfile FILE      read credentials from this auth file only
  --tls-verify=false   do not verify the registry's certificate
  --plain-http         speak HTTP (default: HTTPS; a loopback registry without TLS: HTTP)
  --from-repo REPO     mount missing layers from REPO on the same registry (repeatable)
  --retry-times N      retries of a call that failed on a reset, refusal or 5xx (default 3)
  --retry-delay SECS   first wait before a retry, doubled each time (default 1)
  --chunk-size BYTES   bytes per PATCH request (default 256 MiB): a broken-off upload
                       resumes after the last whole one the registry has
  -q, --quiet          no per-layer lines, no progress line, no summary
  --debug              print the stack trace of an error

stdout: push: IMAGE-REF@MANIFEST-DIGEST per reference; oci: DIR@MANIFEST-DIGEST.
stderr: one line per layer (uploaded, skipped, mounted, written), the
progress line on a terminal, and a summary.

exit codes:
  0  pushed / written
  1  the registry refused or could not be reached, the connection broke off
     past the retries, the layout directory could not be written, or a store
     file changed since the hash pass, or a digest cache entry was stale (it is
     dropped): the tag was not moved, DIR not replaced
  2  bad usage or bad input (conf, store paths, IMAGE-REF, credentials)
`;

class PublishUsageError extends Error {}

const OPTIONS = {
  python: { type: "string" },
  root: { type: "string" },
  format: { type: "string" },
  tag: { type: "string" },
  creds: { type: "string" },
  authfile: { type: "string" },
  "tls-verify": { type: "string" },
  "plain-http": { type: "boolean" },
  "from-repo": { type: "string", multiple: true },
  "retry-times": { type: "string" },
  "retry-delay": { type: "string" },
  "chunk-size": { type: "string" },
  "digest-cache": { type: "string" },
  "no-digest-cache": { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  debug: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

function parsePublishArgs(command: PublishCommand, argv: readonly string[]) {
  let parsed;
  try {
    // `--tls-verify` alone means true, as in skopeo.
    const args = argv.map((arg) => (arg === "--tls-verify" ? "--tls-verify=true" : arg));
    parsed = parseArgs({ args, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    throw new PublishUsageError(`${command}: ${(error as Error).message.split(/\.\s|\n/)[0]} (see ${command} --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help" as const;
  const python = values.python ?? DEFAULT_PYTHON;
  if (!isPythonVersion(python)) throw new PublishUsageError(`--python must be one of ${PYTHON_VERSIONS.join(", ")}, not ${JSON.stringify(python)}`);
  const format = values.format ?? "oci";
  if (!(MANIFEST_FORMATS as readonly string[]).includes(format)) throw new PublishUsageError(`--format must be one of ${MANIFEST_FORMATS.join(", ")}, not ${JSON.stringify(format)}`);
  const tlsVerify = values["tls-verify"] ?? "true";
  if (tlsVerify !== "true" && tlsVerify !== "false") throw new PublishUsageError(`--tls-verify must be true or false, not ${JSON.stringify(tlsVerify)}`);
  const number = (name: "retry-times" | "retry-delay" | "chunk-size", integer: boolean): number | undefined => {
    const text = values[name];
    if (text === undefined) return undefined;
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) throw new PublishUsageError(`--${name} must be a ${integer ? "whole " : ""}number >= 0, not ${JSON.stringify(text)}`);
    return value;
  };
  if (values.tag !== undefined && !isValidTag(values.tag)) throw new PublishUsageError(`--tag ${JSON.stringify(values.tag)} is not a valid tag`);
  if (command === "oci") {
    const pushOnly = ["creds", "authfile", "tls-verify", "plain-http", "from-repo", "retry-times", "retry-delay", "chunk-size"].filter((name) => values[name as keyof typeof values] !== undefined);
    if (pushOnly.length > 0) throw new PublishUsageError(`oci: --${pushOnly[0]} is an option of push only (see oci --help)`);
  }
  if (values["digest-cache"] !== undefined && values["no-digest-cache"] === true) throw new PublishUsageError(`${command}: --digest-cache and --no-digest-cache exclude each other`);
  if (values["digest-cache"] === "") throw new PublishUsageError(`${command}: --digest-cache needs a directory`);
  const wanted = command === "push" ? positionals.length >= 2 : positionals.length === 2;
  if (!wanted) throw new PublishUsageError(`${command}: expected ${command === "push" ? "CONF and IMAGE-REF arguments" : "CONF and DIR arguments"}, got ${positionals.length} (see ${command} --help)`);
  const retryDelay = number("retry-delay", false);
  return {
    python,
    root: values.root,
    format: format as ManifestFormat,
    tag: values.tag,
    creds: values.creds,
    authFile: values.authfile,
    tlsVerify: tlsVerify === "true",
    plainHttp: values["plain-http"] ?? false,
    fromRepos: values["from-repo"] ?? [],
    retries: number("retry-times", true),
    chunkSize: number("chunk-size", true),
    retryDelayMs: retryDelay === undefined ? undefined : retryDelay * 1000,
    digestCache: values["no-digest-cache"] === true ? undefined : (values["digest-cache"] ?? defaultDigestCacheDir()),
    quiet: values.quiet ?? false,
    debug: values.debug ?? false,
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

/** Runs `push` or `oci` with the arguments after the command word; resolves with the exit code. */
export async function runPublishCli(command: PublishCommand, argv: readonly string[], io: CliIo): Promise<number> {
  let options: Exclude<ReturnType<typeof parsePublishArgs>, "help">;
  try {
    const parsed = parsePublishArgs(command, argv);
    if (parsed === "help") {
      io.stdout.write(PUBLISH_USAGE);
      return 0;
    }
    options = parsed;
  } catch (error) {
    if (!(error instanceof PublishUsageError)) throw error;
    io.stderr(`stream-layered-image: ${error.message}\n`);
    return 2;
  }
  const display = options.quiet || io.terminal !== true ? undefined : new ProgressDisplay({ write: io.stderr, columns: io.columns });
  const log = options.quiet ? undefined : (display?.log ?? ((line: string) => io.stderr(`${line}\n`)));
  const report = (error: unknown): void => {
    display?.finish();
    io.stderr(`stream-layered-image: ${(error as Error).message}\n`);
    if (options.debug) io.stderr(`${(error as Error).stack}\n`);
  };
  let image: PreparedImage;
  let refs: ImageReference[] = [];
  let credentialsFor: (ref: ImageReference) => ReturnType<typeof findCredentials>;
  let defaultTag: string;
  try {
    if (command === "push") refs = options.targets.map(parseImageReference);
    const conf = validateConf(readConfFile(options.conf, options.python), options.conf, { python: options.python });
    defaultTag = options.tag ?? repoTagTag(conf) ?? "latest";
    // Credentials are read before the hash passes: a bad auth file is bad input.
    const credentials = refs.map((ref) => findCredentials(ref.registry, ref.repository, { creds: options.creds, authFile: options.authFile }));
    credentialsFor = (ref) => credentials[refs.indexOf(ref)];
    const digestCache = options.digestCache === undefined ? undefined : new DigestCache(options.digestCache);
    image = prepareImage(conf, { python: options.python, root: options.root, progress: display?.event, digestCache });
  } catch (error) {
    report(error);
    // Not the input's fault: the hash worker thread failed.
    return error instanceof HashWorkerError ? 1 : 2;
  }
  try {
    if (command === "oci") {
      const summary = writeOciLayout(image, options.targets[0]!, { refName: defaultTag, format: options.format, log });
      display?.finish();
      const counts = summaryCounts({ ...summary, reference: "", bytesSent: 0 });
      log?.(`Wrote ${summary.directory} (${defaultTag}): ${describeCounts(counts, { uploaded: "written", mounted: "" })}; manifest ${summary.manifestDigest}, image id ${summary.configDigest}`);
      io.stdout.write(`${summary.directory}@${summary.manifestDigest}\n`);
      return 0;
    }
    const pushed: ImageReference[] = [];
    for (const given of refs) {
      const ref = { ...given, tag: options.tag ?? (given.tagGiven ? given.tag : defaultTag) };
      // Every repository this run pushed to on the same registry can lend its layers.
      const fromRepos = [...options.fromRepos, ...pushed.filter((other) => other.registry === ref.registry).map((other) => other.repository)];
      const summary = await pushImage(image, ref, {
        format: options.format,
        credentials: credentialsFor!(given),
        tlsVerify: options.tlsVerify,
        plainHttp: options.plainHttp,
        fromRepos,
        retries: options.retries,
        retryDelayMs: options.retryDelayMs,
        chunkSize: options.chunkSize,
        log,
        progress: display?.event,
      });
      pushed.push(ref);
      display?.finish();
      log?.(`Pushed ${summary.reference}: ${describeCounts(summaryCounts(summary))}; ${formatBytes(summary.bytesSent)} sent; manifest ${summary.manifestDigest}, image id ${summary.configDigest}`);
      io.stdout.write(`${formatImageReference(ref).replace(/:[^:/]+$/, "")}@${summary.manifestDigest}\n`);
    }
    return 0;
  } catch (error) {
    report(error);
    return 1;
  } finally {
    image.close();
  }
}
