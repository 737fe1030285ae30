/**
 * The library's entry (package.json's "main"): the public API of every
 * stage, re-exported from where each lives.  The command line's entry is
 * cli.ts.
 */
export { streamImage, writeImage, imageChunks, prepareImage, prepareImageAsync } from "./image/image.ts";
export { LayerChangedError } from "./passes/entry-log.ts";
export type { ImageOptions, ImageLayer, ImageDescription, PreparedImage } from "./image/types.ts";
export type { ProgressEvent } from "./passes/progress-event.ts";
export { validateConf, type ImageConf } from "./conf/validate.ts";
export { readConfFile, parseConfText, ConfError } from "./conf/read.ts";
export { archivePathsTo, layerChunks, type LayerOptions } from "./layer/layer.ts";
export { Sha256Sink, StreamSink, StreamClosedError, BufferSink, type Sink } from "./layer/sinks.ts";
export { CannotArchiveError } from "./store/errors.ts";
export { HashWorkerError } from "./workers/hash/errors.ts";
export { closeHashWorkers } from "./workers/hash/layer-hasher.ts";
export { PYTHON_VERSIONS, DEFAULT_PYTHON, type PythonVersion } from "./profile/python.ts";
export { diffTar, formatTarDifference, type TarDifference } from "./tar/diff.ts";
export type { PyValue, PyDict } from "./py/value.ts";
export { ProgressDisplay, renderProgress, formatBytes, type ProgressDisplayOptions } from "./cli/progress.ts";
export { VERSION } from "./version.ts";
export { imageDigests, formatDigests, type ImageDigests, type LayerDigest } from "./audit/digest.ts";
export { verifyImage, ImageReadError, type VerifyOptions, type VerifyResult, type ConfFor, type ImageDifference, type OracleOutcome, type ProfileOutcome } from "./audit/verify.ts";
export { formatVerifyResult } from "./audit/format.ts";
export { pushImage, pushConf, summaryCounts, type PushOptions, type PushSummary, type LayerOutcome, type PublishedLayer } from "./publish/push.ts";
export { DEFAULT_COMPRESSION } from "./publish/compression.ts";
export { BlobCache, defaultBlobCacheDir, type Compression, type CompressedBlob } from "./passes/blob-cache.ts";
export { writeOciLayout, type OciLayoutOptions, type OciLayoutSummary } from "./publish/oci-layout.ts";
export { parseImageReference, formatImageReference, type ImageReference } from "./remote/reference.ts";
export { buildManifest, type ImageManifest, type ManifestFormat, type Descriptor } from "./oci/manifest.ts";
export { findCredentials, parseCreds, type Credentials } from "./remote/credentials.ts";
export { RegistryError, ImageRefError, CredentialsError } from "./remote/errors.ts";
export { LayoutError, StaleDigestCacheError, DiffIdMismatchError, CompressionChoiceError } from "./publish/errors.ts";
export { DigestCache, defaultDigestCacheDir, CachedDigestMismatchError } from "./passes/digest-cache.ts";
export { verifyPublished, defaultPlatform, type PublishedVerifyOptions, type PublishedVerifyResult, type LayerVerdict } from "./audit/verify-published.ts";
export { formatPublishedResult } from "./audit/format-published.ts";
export { openImage, parseImageName, type OpenedImage, type ImageName } from "./audit/open-image.ts";
export { diffImages, diffExitCode, SEMANTIC } from "./audit/image-diff.ts";
export { confSide, sourceSide } from "./audit/diff-sides.ts";
export { formatImageDiff } from "./audit/diff-report.ts";
export { formatImageDiffJson } from "./audit/diff-json.ts";
export { DiffInputError } from "./audit/diff-errors.ts";
export type { DiffSide, DiffLayer, DiffOptions, ImageDiff, LayerDiff, ConfigDifference, MemberChange, MemberSummary } from "./audit/diff-types.ts";
export { ImageSourceError, BlobMismatchError, type ImageSource, type ResolvedImage, type BlobRef, type ConfigRef, type Platform } from "./oci/image-source.ts";
export { parsePlatform, formatPlatform, PlatformError } from "./oci/platform.ts";
export { layerContent, type LayerContent } from "./oci/blob-content.ts";
export { RegistrySource, type RegistrySourceOptions } from "./remote/image-source.ts";
export { LayoutSource } from "./layout/layout-source.ts";
export { DockerArchiveSource } from "./tarball/docker-archive-source.ts";
export { OciArchiveSource } from "./tarball/oci-archive-source.ts";
