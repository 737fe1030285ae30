/**
 * What can go wrong when compressing a layer, each with a one-line message:
 * a level or worker count out of range (the caller's input), a format this Node cannot
 * write, a worker thread that failed (not the input's fault), and a layer
 * whose compressed chunks were abandoned before the end.
 */
export class CompressOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CompressOptionError";
  }
}

/** node:zlib lacks the codec (zstd before Node 22.15 / 23.8). */
export class CompressUnsupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CompressUnsupportedError";
  }
}

export class CompressWorkerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CompressWorkerError";
  }
}

/** result() of a layer whose consumer stopped reading (return()) or whose input failed. */
export class CompressAbandonedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CompressAbandonedError";
  }
}
