export { archivePathsTo, layerChunks, type LayerOptions } from "./layer.js";
export { Sha256Sink, StreamSink, BufferSink, type Sink } from "./sinks.js";
export { CannotArchiveError } from "./errors.js";
export { PYTHON_VERSIONS, DEFAULT_PYTHON, type PythonVersion } from "./profile.js";
