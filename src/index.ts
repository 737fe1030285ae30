export { streamImage, writeImage, imageChunks, prepareImage, LayerChangedError, type ImageOptions, type ImageLayer, type ImageDescription, type ProgressEvent, type PreparedImage } from "./image.js";
export { readConfFile, parseConfText, validateConf, ConfError, type ImageConf } from "./conf.js";
export { archivePathsTo, layerChunks, type LayerOptions } from "./layer.js";
export { Sha256Sink, StreamSink, BufferSink, type Sink } from "./sinks.js";
export { CannotArchiveError } from "./errors.js";
export { PYTHON_VERSIONS, DEFAULT_PYTHON, type PythonVersion } from "./profile.js";
export { diffTar, formatTarDifference, type TarDifference } from "./tar/diff.js";
export type { PyValue, PyDict } from "./py/value.js";
