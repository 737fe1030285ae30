/**
 * Every option of every command, once (OPTIONS): its long name (the key),
 * short name, type, value name, help text, the commands that take it and
 * how its value is checked (throwing UsageError).  options.ts derives each
 * command's parsing, its --help lines and the "did you mean" from it.
 */
import type { Generation } from "../profile/generation.ts";
import { parseGenerationOption } from "../conf/generation.ts";
import { DEFAULT_PYTHON, PYTHON_VERSIONS, isPythonVersion, type PythonVersion } from "../profile/python.ts";
import { MANIFEST_FORMATS, type ManifestFormat } from "../oci/manifest.ts";
import { isValidTag } from "../remote/reference.ts";
import { COMPRESS_FORMATS, type CompressFormat } from "../workers/compress/format.ts";
import { VERSION } from "../version.ts";
import { COMMANDS, flagOption, listOption, nonNegative, UsageError, valueOption, type Command, type OptionSpec } from "./option-spec.ts";

export { COMMANDS, UsageError, type Command, type Given, type OptionSpec } from "./option-spec.ts";

const ALL = COMMANDS;
const PUBLISH: readonly Command[] = ["push", "oci"];
/** The commands that speak to a registry: push writes to it, verify and diff read from it. */
const REGISTRY: readonly Command[] = ["push", "verify", "diff"];
/** The commands that read images as published (verify, diff). */
const READ: readonly Command[] = ["verify", "diff"];
const CACHE_DIR = "keep store layers' digests in DIR (default\n$XDG_CACHE_HOME/stream-layered-image/digests, else ~/.cache/...)";
/** digest, verify and diff share one help (AUDIT_USAGE). */
const AUDIT_CACHE =
  `${CACHE_DIR}:\n` +
  "a layer whose store paths' metadata are unchanged since its entry\n" +
  "is not hashed: digest prints the entry's digests, no byte read (the\n" +
  "metadata are trusted, as push does), verify of a plain path still\n" +
  "checks the bytes as they stream; --no-digest-cache reads every byte";
const TAG_AFTER = "its tag is the default tag of push and oci (see --tag)";

/** Every option, in the order of the help. */
export const OPTIONS = {
  python: valueOption({
    value: "VERSION",
    commands: ALL,
    help: `CPython whose bytes to reproduce: ${PYTHON_VERSIONS.join(", ")} (default ${DEFAULT_PYTHON})`,
    parse: (given): PythonVersion => {
      const python = given ?? DEFAULT_PYTHON;
      if (!isPythonVersion(python)) throw new UsageError(`--python must be one of ${PYTHON_VERSIONS.join(", ")}, not ${JSON.stringify(python)}`);
      return python;
    },
  }),
  generation: valueOption({
    value: "GEN",
    commands: ALL,
    help:
      "which script's bytes to reproduce: 2020 (nixpkgs 20.09's script) or\n" +
      "current (today's: conf keys store_dir, from_image, mtime, uid, gid,\n" +
      "uname, gname).  Default: detected from the conf's keys (none of\n" +
      "those: 2020; all: current; some: refused)",
    parse: (given): Generation | undefined => parseGenerationOption(given, (message) => new UsageError(message)),
  }),
  repo_tag: valueOption({
    short: "t",
    value: "TAG",
    commands: ALL,
    help: "the current script's option: replaces the conf's repo_tag (empty: kept)",
    helpIn: {
      push: `the current script's option: replaces the conf's repo_tag (empty: kept);\n${TAG_AFTER}`,
      oci: `the current script's option: replaces the conf's repo_tag (empty: kept);\n${TAG_AFTER}`,
    },
  }),
  root: valueOption({
    value: "DIR",
    commands: ALL,
    help:
      "read /nix/... from DIR/nix/..., as if DIR/nix were mounted on /nix:\n" +
      "store paths, customisation layer and from_image alike, symlinks and\n" +
      ".. resolved as there, other paths read where they are (names in the\n" +
      "image are unchanged)",
  }),
  output: valueOption({
    short: "o",
    value: "FILE",
    commands: ["image"],
    help:
      "write the image to FILE instead of stdout: FILE is replaced only\n" +
      "once the image is complete, and left untouched otherwise\n" +
      "(a FIFO or a device such as /dev/null is written in place)",
  }),
  format: valueOption({
    value: "oci|docker",
    commands: PUBLISH,
    help: "manifest format: OCI (default) or Docker schema 2",
    parse: (given): ManifestFormat => {
      const format = given ?? "oci";
      if (!(MANIFEST_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${MANIFEST_FORMATS.join(", ")}, not ${JSON.stringify(format)}`);
      return format as ManifestFormat;
    },
  }),
  tag: valueOption({
    value: "TAG",
    commands: PUBLISH,
    help:
      "the tag to push (push) or the index.json ref name (oci); without it:\n" +
      "the IMAGE-REF's tag (push), else the tag of repo_tag (after -t), else latest",
    parse: (given) => {
      if (given !== undefined && !isValidTag(given)) throw new UsageError(`--tag ${JSON.stringify(given)} is not a valid tag`);
      return given;
    },
  }),
  compress: valueOption({
    value: "none|gzip|zstd",
    commands: PUBLISH,
    help:
      "layer compression (default gzip; skopeo's --dest-compress-format).\n" +
      "--format docker takes gzip only (schema 2 has no plain-tar or zstd\n" +
      "layer type clients accept); zstd needs Node 22.15 or later",
    parse: (given): CompressFormat | undefined => {
      if (given !== undefined && !(COMPRESS_FORMATS as readonly string[]).includes(given)) throw new UsageError(`--compress must be one of ${COMPRESS_FORMATS.join(", ")}, not ${JSON.stringify(given)}`);
      return given as CompressFormat | undefined;
    },
  }),
  "compress-level": valueOption({
    value: "N",
    commands: PUBLISH,
    help:
      "compression level: gzip 1-9 (default 5: podman's documented default,\n" +
      "and skopeo's), zstd 1-22 (default 3).  They use klauspost's gzip,\n" +
      "whose bytes no level of zlib's gives; the number means what skopeo's\n" +
      "--dest-compress-level means",
    parse: (given): number | undefined => {
      if (given === undefined) return undefined;
      if (!/^\d{1,2}$/.test(given)) throw new UsageError(`--compress-level must be a whole number (gzip 1-9, zstd 1-22), not ${JSON.stringify(given)}`);
      return Number(given);
    },
  }),
  "digest-cache": valueOption({
    value: "DIR",
    commands: ALL,
    helpIn: {
      image:
        `${CACHE_DIR}:\n` +
        "a layer whose store paths' metadata (names, modes, sizes, ctimes,\n" +
        "inodes) are unchanged since its entry is not hashed again; its bytes\n" +
        "are checked against the entry's sha256 as they stream (a mismatch:\n" +
        "exit 1, output truncated, the entry dropped)",
      digest: AUDIT_CACHE,
      verify: AUDIT_CACHE,
      diff: AUDIT_CACHE,
    },
    help:
      "keep store layers' digests in DIR (default\n" +
      "$XDG_CACHE_HOME/stream-layered-image/digests, else ~/.cache/...):\n" +
      "an unchanged layer (its entries lstat'ed again, no file read) is\n" +
      "not hashed again; the registry (oci: the writer) checks its digest.\n" +
      "Compressed blobs' digests are kept beside it (default .../blobs;\n" +
      "with --digest-cache DIR: DIR/blobs): a layer the registry (oci: the\n" +
      "layout) has is not read or compressed again.  push reads a layer\n" +
      "not in the cache once: hashed, compressed and sent together",
    parse: (given, command) => {
      if (given === "") throw new UsageError(`${command}: --digest-cache needs a directory`);
      return given;
    },
  }),
  "no-digest-cache": flagOption({
    excludes: "digest-cache",
    commands: ALL,
    help: "hash every layer (push and oci: and compress it), read and write no cache\n(neither digests nor compressed blobs)",
  }),
  creds: valueOption({
    value: "USER:PASS",
    commands: REGISTRY,
    help:
      "credentials (else $REGISTRY_AUTH_FILE, ${XDG_RUNTIME_DIR}/containers/auth.json,\n" +
      "~/.docker/config.json, as podman and skopeo read them)",
  }),
  authfile: valueOption({
    value: "FILE",
    commands: REGISTRY,
    help: "read credentials from this auth file only",
  }),
  "tls-verify": valueOption({
    value: "BOOL",
    shown: "--tls-verify=false",
    alone: "true",
    commands: REGISTRY,
    help: "do not verify the registry's certificate",
    parse: (given): boolean => {
      const tlsVerify = given ?? "true";
      if (tlsVerify !== "true" && tlsVerify !== "false") throw new UsageError(`--tls-verify must be true or false, not ${JSON.stringify(tlsVerify)}`);
      return tlsVerify === "true";
    },
  }),
  "plain-http": flagOption({
    commands: REGISTRY,
    help: "speak HTTP (default: HTTPS; a loopback registry without TLS: HTTP)",
  }),
  "from-repo": listOption({
    value: "REPO",
    commands: ["push"],
    help: "mount missing layers from REPO on the same registry (repeatable)",
  }),
  "retry-times": valueOption({
    value: "N",
    commands: REGISTRY,
    help: "retries of a call that failed on a reset, refusal or 5xx (default 3)",
    parse: nonNegative("retry-times", true),
  }),
  "retry-delay": valueOption({
    value: "SECS",
    commands: REGISTRY,
    help: "first wait before a retry, doubled each time (default 1)",
    parse: nonNegative("retry-delay", false),
  }),
  "chunk-size": valueOption({
    value: "BYTES",
    commands: ["push"],
    help:
      "bytes per PATCH request (default 256 MiB): a broken-off upload\n" +
      "resumes after the last whole one the registry has",
    parse: nonNegative("chunk-size", true),
  }),
  platform: valueOption({
    value: "OS/ARCH[/VARIANT]",
    commands: READ,
    help:
      "the image of a manifest list or OCI index to read (default linux/ and\n" +
      "the conf's architecture; diff without a conf: linux/amd64)",
  }),
  layers: flagOption({
    commands: ["verify"],
    help:
      "also fetch every layer: its blob must have the manifest's digest and\n" +
      "its content the config's diff_id (even when the config proves the image)",
  }),
  "ignore-timestamps": flagOption({ commands: ["diff"], help: "ignore mtimes (members, PAX records) and the config's created times" }),
  "ignore-owners": flagOption({ commands: ["diff"], help: "ignore uid, gid, uname and gname of members" }),
  "ignore-history": flagOption({ commands: ["diff"], help: "ignore the config's history" }),
  semantic: flagOption({ commands: ["diff"], help: "all of --ignore-timestamps, --ignore-owners and --ignore-history" }),
  json: flagOption({ commands: ["diff"], help: "print the differences as JSON (docs/audit.md has its shape)" }),
  verbose: flagOption({
    short: "v",
    commands: READ,
    help: "also print the bytes read from where IMAGE is (the network, for a registry)",
  }),
  quiet: flagOption({
    short: "q",
    commands: ["image", "push", "oci"],
    help: "print nothing on stderr but errors (no progress lines)",
    helpIn: { push: "no per-layer lines, no progress line, no summary", oci: "no per-layer lines, no progress line, no summary" },
  }),
  debug: flagOption({ commands: ALL, help: "print the stack trace of an error" }),
  help: flagOption({ short: "h", commands: ALL, help: "show this help" }),
  version: flagOption({ commands: ["image"], help: `print the version (${VERSION}) and exit` }),
} as const;

export type OptionName = keyof typeof OPTIONS;
/** Each option's value as its command sees it (the default when absent). */
export type OptionValues = { readonly [K in OptionName]: (typeof OPTIONS)[K] extends OptionSpec<infer T> ? T : never };
