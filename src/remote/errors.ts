/**
 * The registry transport's failures, each one line naming the registry or
 * the reference so the CLI can print it as is (push and verify alike).
 */

/** IMAGE-REF cannot be read (found before any hashing). */
export class ImageRefError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImageRefError";
  }
}

/** Credentials could not be read (an auth file that is not JSON, a --creds without ":"). */
export class CredentialsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CredentialsError";
  }
}

/**
 * The registry refused, could not be reached, or broke off.  `retryable`
 * marks what a retry may cure: a connection reset or refused, a 5xx.
 */
export class RegistryError extends Error {
  readonly registry: string;
  readonly detail: string;
  readonly retryable: boolean;
  constructor(registry: string, detail: string, retryable = false, options?: { cause?: unknown; code?: string | undefined }) {
    super(`registry ${registry}: ${detail}`, options);
    this.registry = registry;
    this.detail = detail;
    this.retryable = retryable;
    this.name = "RegistryError";
    this.code = options?.code;
  }

  /** The first error code of the registry's answer (`DIGEST_INVALID`, `BLOB_UNKNOWN`...), when it gave one. */
  readonly code: string | undefined;
}

/** The registry served bytes that are not what the digest asked for names: no retry cures it. */
export class DigestMismatchError extends RegistryError {
  constructor(registry: string, detail: string) {
    super(registry, detail);
    this.name = "DigestMismatchError";
  }
}
