/**
 * Why `diff` could not compare (exit 2), as opposed to a difference (exit
 * 1): an input that cannot be read as an image — a config that is not
 * JSON, a layer that is not a tar archive or whose stream failed.
 */

export class DiffInputError extends Error {
  /** The image as the user named it. */
  readonly side: string;
  /** `config`, or the layer's label. */
  readonly where: string;
  constructor(side: string, where: string, reason: string, options?: { cause: unknown }) {
    super(`cannot compare: ${where} of ${side}: ${reason}`, options);
    this.side = side;
    this.where = where;
    this.name = "DiffInputError";
  }
}
