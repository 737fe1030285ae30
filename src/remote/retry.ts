/** Retries with back-off for what a retry may cure (RegistryError.retryable: resets, refusals, 5xx). */
import { RegistryError } from "./errors.ts";

export interface RetryPolicy {
  /** Tries after the first (default 3). */
  readonly retries?: number | undefined;
  /** The first wait, doubled after each try (default 1000 ms). */
  readonly retryDelayMs?: number | undefined;
  /** Told before each wait: what failed, and which retry comes. */
  readonly onRetry?: ((error: RegistryError, retry: number, delayMs: number) => void) | undefined;
}

export function isRetryable(error: unknown): error is RegistryError {
  return error instanceof RegistryError && error.retryable;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs `attempt(retry)` until it succeeds, fails for good, or the retries
 * run out; the last error is thrown.
 */
export async function withRetries<T>(policy: RetryPolicy, attempt: (retry: number) => Promise<T>): Promise<T> {
  const retries = policy.retries ?? 3;
  const firstDelay = policy.retryDelayMs ?? 1000;
  for (let retry = 0; ; retry++) {
    try {
      return await attempt(retry);
    } catch (error) {
      if (!isRetryable(error) || retry >= retries) throw error;
      const delay = firstDelay * 2 ** retry;
      policy.onRetry?.(error, retry + 1, delay);
      await sleep(delay);
    }
  }
}
