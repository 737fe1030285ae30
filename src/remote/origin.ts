/**
 * Where a registry may send us, and what we send there.  A registry names
 * URLs itself: an upload session's `Location` (which the distribution spec
 * lets be absolute, on blob storage elsewhere), a redirect, a token realm.
 * As Docker's and containers/image's clients do, credentials and tokens go
 * only to the origin (scheme, host, port) they were given for; a URL the
 * registry names is followed without them when its origin is another, and
 * never from HTTPS down to plain HTTP.
 */
import { RegistryError } from "./errors.ts";

/** The statuses a redirect answers with (RFC 9110 §15.4). */
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** `https://host:port/path` without userinfo, query or fragment: a URL as an error line names it. */
export function showUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

export function sameOrigin(a: URL, b: URL): boolean {
  return a.origin === b.origin;
}

/**
 * The URL `text` names, resolved against `from` (the URL whose answer named
 * it), checked before anything is sent there: HTTP or HTTPS only, and no
 * step down from HTTPS to plain HTTP.  Userinfo is dropped, so Node's
 * client never makes an Authorization header of its own from it.
 */
export function followUrl(registry: string, from: URL, text: string, what: string): URL {
  let to: URL;
  try {
    to = new URL(text, from);
  } catch {
    throw new RegistryError(registry, `${what} ${JSON.stringify(text)} from ${showUrl(from)} is no URL`);
  }
  if (to.protocol !== "http:" && to.protocol !== "https:") throw new RegistryError(registry, `refusing ${what} ${JSON.stringify(text)} from ${showUrl(from)}: not an HTTP or HTTPS URL`);
  if (from.protocol === "https:" && to.protocol === "http:") {
    throw new RegistryError(registry, `refusing ${what} from ${showUrl(from)} to ${showUrl(to)}: it would leave HTTPS for plain HTTP`);
  }
  to.username = "";
  to.password = "";
  return to;
}

/**
 * Whether a redirect answering `method` is followed (with the same method
 * and body) or left for the caller to report: reads follow every redirect;
 * a request with a body only 307 and 308, which keep method and body, and
 * only when the body can be sent again (a streamed layer cannot: its
 * upload is resumed by the caller instead).
 */
export function followsRedirect(method: string, status: number, bodyReplayable: boolean): boolean {
  if (!REDIRECT_STATUSES.has(status)) return false;
  if (method === "GET" || method === "HEAD") return true;
  return (status === 307 || status === 308) && bodyReplayable;
}
