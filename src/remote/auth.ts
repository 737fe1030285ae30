/**
 * The registry's `WWW-Authenticate` challenge (RFC 7235) and the
 * Authorization header that answers it: Basic with the credentials, or a
 * Bearer token fetched from the challenge's realm for the scopes a request
 * needs (Docker's token protocol: GET realm?service=…&scope=…, Basic
 * credentials when there are any, `token` or `access_token` in the answer).
 * The Basic credentials go to the realm only to fetch a token, and never
 * from an HTTPS registry to a plain-HTTP realm (origin.ts).
 */
import type { Credentials } from "./credentials.ts";
import { RegistryError } from "./errors.ts";
import { exchange, type Transport } from "./http.ts";
import { followUrl } from "./origin.ts";

export interface Challenge {
  /** Lower case: "basic", "bearer". */
  readonly scheme: string;
  readonly params: ReadonlyMap<string, string>;
}

/** `Bearer realm="https://auth/token",service="registry",scope="repository:a:pull"` → its scheme and parameters. */
export function parseChallenge(header: string): Challenge | undefined {
  const match = /^\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)\s*(.*)$/s.exec(header);
  if (match === null) return undefined;
  const params = new Map<string, string>();
  const pattern = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?\s*/g;
  for (const param of match[2]!.matchAll(pattern)) params.set(param[1]!.toLowerCase(), param[2] !== undefined ? param[2].replace(/\\(.)/g, "$1") : (param[3] ?? ""));
  return { scheme: match[1]!.toLowerCase(), params };
}

function basicHeader(credentials: Credentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
}

/** Why the registry refused us, in words a user can act on. */
export function authFailure(registry: string, credentials: Credentials | undefined, status: number, detail = ""): RegistryError {
  const why =
    credentials === undefined
      ? "authentication required (give --creds USER:PASSWORD, or log in with podman login / docker login)"
      : `authentication failed for user ${JSON.stringify(credentials.username)} (credentials from ${credentials.source})`;
  return new RegistryError(registry, `${why}: HTTP ${status}${detail}`);
}

/**
 * Answers challenges for one registry: remembers the last challenge, and
 * keeps one Bearer token per set of scopes.
 */
export class Authenticator {
  /** With the registry URL whose answer carried it: its realm is checked against that. */
  private challenge: (Challenge & { readonly from: URL }) | undefined;
  /** By set of scopes. */
  private readonly tokens = new Map<string, Promise<string>>();

  private readonly transport: Transport;
  private readonly credentials: Credentials | undefined;
  constructor(transport: Transport, credentials: Credentials | undefined) {
    this.transport = transport;
    this.credentials = credentials;
  }

  /** Learns the challenge of the registry's 401 answer to `from`; false when it has none we can answer. */
  learn(header: string | undefined, from: URL): boolean {
    const challenge = header === undefined ? undefined : parseChallenge(header);
    if (challenge === undefined || (challenge.scheme !== "basic" && challenge.scheme !== "bearer")) return false;
    this.challenge = { ...challenge, from };
    this.tokens.clear();
    return true;
  }

  get known(): boolean {
    return this.challenge !== undefined;
  }

  /** The Authorization header for a request needing `scopes`, or undefined before any challenge. */
  async header(scopes: readonly string[]): Promise<string | undefined> {
    const challenge = this.challenge;
    if (challenge === undefined) return undefined;
    if (challenge.scheme === "basic") {
      if (this.credentials === undefined) throw authFailure(this.transport.registry, undefined, 401);
      return basicHeader(this.credentials);
    }
    const key = scopes.join(" ");
    let token = this.tokens.get(key);
    if (token === undefined) {
      // Kept while it is pending, so the HEADs sent side by side share one
      // trip to the realm; a failed one is forgotten, for a retry to ask again.
      const fetching = this.fetchToken(challenge, scopes);
      token = fetching;
      this.tokens.set(key, fetching);
      fetching.catch(() => {
        if (this.tokens.get(key) === fetching) this.tokens.delete(key);
      });
    }
    return `Bearer ${await token}`;
  }

  private async fetchToken(challenge: Challenge & { readonly from: URL }, scopes: readonly string[]): Promise<string> {
    const registry = this.transport.registry;
    const realm = challenge.params.get("realm");
    if (realm === undefined) throw new RegistryError(registry, "Bearer challenge without a realm");
    if (!URL.canParse(realm)) throw new RegistryError(registry, `Bearer challenge with a realm that is no URL: ${JSON.stringify(realm)}`);
    const url = followUrl(registry, challenge.from, realm, "the token realm");
    const service = challenge.params.get("service");
    if (service !== undefined) url.searchParams.set("service", service);
    for (const scope of scopes) url.searchParams.append("scope", scope);
    const headers: Record<string, string> = {};
    if (this.credentials !== undefined) headers["authorization"] = basicHeader(this.credentials);
    const response = await exchange(this.transport, { method: "GET", url, headers });
    if (response.status === 401 || response.status === 403) throw authFailure(registry, this.credentials, response.status, ` from the token server ${url.origin}`);
    if (response.status !== 200) throw new RegistryError(registry, `token server ${url.origin} answered HTTP ${response.status}`, response.status >= 500);
    let parsed: { token?: unknown; access_token?: unknown };
    try {
      parsed = JSON.parse(response.body.toString("utf8")) as typeof parsed;
    } catch {
      throw new RegistryError(registry, `token server ${url.origin} answered no JSON`);
    }
    const token = typeof parsed.token === "string" ? parsed.token : parsed.access_token;
    if (typeof token !== "string" || token === "") throw new RegistryError(registry, `token server ${url.origin} answered no token`);
    return token;
  }
}
