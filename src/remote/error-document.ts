/**
 * What a registry's refusal says: the distribution spec's error document
 * (`{"errors": [{"code", "message"}]}`) and the status, as the one line a
 * RegistryError carries, for every call of the push and of the read.
 */
import { authFailure } from "./auth.ts";
import type { Credentials } from "./credentials.ts";
import { RegistryError } from "./errors.ts";
import type { HttpResponse } from "./http.ts";

/** The first error the registry's JSON answer names, if any. */
export function firstError(response: HttpResponse): { code?: string; message?: string } | undefined {
  try {
    const parsed = JSON.parse(response.body.toString("utf8")) as { errors?: { code?: string; message?: string }[] };
    return parsed.errors?.[0];
  } catch {
    // Not JSON: the status alone says it.
    return undefined;
  }
}

/** ` (DIGEST_INVALID: provided digest did not match uploaded content)`, or "". */
export function errorDetail(response: HttpResponse): string {
  const first = firstError(response);
  return first === undefined ? "" : ` (${[first.code, first.message].filter((part) => part !== undefined && part !== "").join(": ")})`;
}

/** An answer the call does not allow, as the error naming `what` ("GET /v2/app/manifests/1.0"). */
export function unexpectedAnswer(registry: string, credentials: Credentials | undefined, what: string, response: HttpResponse): RegistryError {
  if (response.status === 401) return authFailure(registry, credentials, 401, ` on ${what}`);
  if (response.status === 403) return new RegistryError(registry, `${what}: denied (HTTP 403)${errorDetail(response)}`);
  return new RegistryError(registry, `${what}: HTTP ${response.status}${errorDetail(response)}`, response.status >= 500 || response.status === 429, { code: firstError(response)?.code });
}
