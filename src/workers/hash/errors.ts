/**
 * A hash worker thread could not start, threw, or exited: the digests it
 * owed will never come.  Not the input's fault (the CLI exits 1, not 2).
 */
export class HashWorkerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "HashWorkerError";
  }
}
