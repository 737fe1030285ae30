/** The error of the base-image stage: a from_image that cannot be used. */

/** The base image cannot be used: one line naming the file and what is wrong. */
export class BaseImageError extends Error {
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`from_image ${JSON.stringify(file)}: ${message}`, options);
    this.name = "BaseImageError";
  }
}
