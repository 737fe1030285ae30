/**
 * The OCI distribution API calls a push makes, for one registry: the ping
 * (which picks the scheme and learns the auth challenge), HEAD of a blob,
 * cross-repository mount, the upload session (POST, streamed PATCH, status
 * GET to resume, PUT ?digest=), and the manifest PUT.  Each answer the spec
 * does not allow becomes a RegistryError naming the registry and the call.
 * Every request goes through `send`, which puts credentials only on the
 * registry's own origin and follows redirects by the rules of origin.ts.
 */
import { sha256Digest } from "../oci/manifest.ts";
import type { OutgoingHttpHeaders } from "node:http";
import { Authenticator, authFailure } from "./auth.ts";
import { errorDetail, unexpectedAnswer } from "./error-document.ts";
import type { Credentials } from "./credentials.ts";
import { DigestMismatchError, RegistryError } from "./errors.ts";
import { bodyChunks, closeTransport, exchange, isTlsError, makeTransport, openStream, type HttpResponse, type Scheme, type StreamedResponse, type Transport } from "./http.ts";
import { followsRedirect, followUrl, sameOrigin, showUrl } from "./origin.ts";
import { isLoopback } from "./reference.ts";

export interface RegistryOptions {
  /** Verify the registry's TLS certificate (default true). */
  readonly tlsVerify?: boolean | undefined;
  /** Speak plain HTTP (default: HTTPS, falling back to HTTP for a loopback registry that does not speak TLS). */
  readonly plainHttp?: boolean | undefined;
  readonly credentials?: Credentials | undefined;
}

/** A body to send, made afresh for each try (a layer is streamed again from the store). */
export type BodySource = Buffer | (() => Iterable<Buffer> | AsyncIterable<Buffer>);

interface SendOptions {
  readonly headers?: OutgoingHttpHeaders;
  readonly body?: BodySource;
  readonly scopes: readonly string[];
  readonly onBytes?: (bytes: number) => void;
  /** Leave a 2xx answer's body to stream (a layer read), rather than read it whole. */
  readonly stream?: boolean;
}

export function pushScope(repository: string): string {
  return `repository:${repository}:pull,push`;
}

export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

export class RegistryClient {
  readonly registry: string;
  private readonly endpoint: string;
  private readonly options: RegistryOptions;
  readonly transport: Transport;
  private readonly auth: Authenticator;
  private base: URL | undefined;

  constructor(registry: string, endpoint: string, options: RegistryOptions = {}) {
    this.registry = registry;
    this.endpoint = endpoint;
    this.options = options;
    this.transport = makeTransport(registry, options.tlsVerify !== false);
    this.auth = new Authenticator(this.transport, options.credentials);
  }

  close(): void {
    closeTransport(this.transport);
  }

  private baseFor(scheme: Scheme): URL {
    return new URL(`${scheme}://${this.endpoint}/`);
  }

  /**
   * `GET /v2/`: picks the scheme and learns the challenge, so that no
   * streamed body is ever answered 401.  A loopback registry that does not
   * speak TLS is spoken to in plain HTTP, as Docker does for localhost.
   */
  async connect(): Promise<void> {
    if (this.base !== undefined) return;
    let scheme: Scheme = this.options.plainHttp === true ? "http" : "https";
    let response: HttpResponse;
    try {
      response = await exchange(this.transport, { method: "GET", url: new URL("v2/", this.baseFor(scheme)) });
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause;
      const notTls = cause !== undefined && isTlsError(cause) && /wrong version number|packet length too long|EPROTO/i.test(`${(cause as Error).message} ${(cause as NodeJS.ErrnoException).code}`);
      if (!(scheme === "https" && isLoopback(this.endpoint) && notTls)) throw error;
      scheme = "http";
      response = await exchange(this.transport, { method: "GET", url: new URL("v2/", this.baseFor(scheme)) });
    }
    this.base = this.baseFor(scheme);
    if (response.status === 401) {
      if (!this.auth.learn(response.headers["www-authenticate"], new URL("v2/", this.base))) throw new RegistryError(this.registry, `GET /v2/: HTTP 401 without a challenge this client can answer (${JSON.stringify(response.headers["www-authenticate"] ?? "")})`);
    } else if (response.status !== 200) {
      throw new RegistryError(this.registry, `GET /v2/: HTTP ${response.status}${errorDetail(response)}: not an OCI distribution registry?`, response.status >= 500);
    }
  }

  url(path: string): URL {
    if (this.base === undefined) throw new Error("RegistryClient.connect() first");
    return new URL(path, this.base);
  }

  /** Hops of redirects followed for one request before it is given up. */
  private static readonly MAX_REDIRECTS = 10;

  /**
   * One request with the Authorization header its scopes need; a 401 is
   * answered once, with a fresh challenge.  Only the registry's origin is
   * ever answered: a 401 from elsewhere is an error, not a challenge.
   */
  private async send(method: string, url: URL, options: SendOptions): Promise<StreamedResponse> {
    await this.connect();
    for (let attempt = 0; ; attempt++) {
      const { response, answeredBy } = await this.sendFollowing(method, url, options);
      if (response.status !== 401) return response;
      const where = `${method} ${showUrl(answeredBy)}`;
      if (!sameOrigin(answeredBy, this.base!)) throw new RegistryError(this.registry, `${where}: HTTP 401 from another origin than the registry's (${this.base!.origin}), which is never sent the registry's credentials`);
      const learnt = this.auth.learn(response.headers["www-authenticate"], answeredBy);
      // A streamed body cannot be sent again here: a token that expired
      // during a long upload is renewed, and the upload resumed, by the caller.
      if (learnt && attempt === 0 && typeof options.body === "function") throw new RegistryError(this.registry, `${method} ${url.pathname}: HTTP 401 in the middle of an upload (token expired?)`, true);
      if (attempt > 0 || !learnt) throw authFailure(this.registry, this.options.credentials, 401, ` on ${method} ${url.pathname}`);
    }
  }

  /**
   * `url`, then each redirect it is answered with (followUrl: no downgrade
   * to plain HTTP), with the Authorization header only where the origin is
   * the registry's; resolves with the last answer and the URL that gave it.
   */
  private async sendFollowing(method: string, url: URL, options: SendOptions): Promise<{ response: StreamedResponse; answeredBy: URL }> {
    const { body } = options;
    for (let target = url, hops = 0; ; hops++) {
      const headers: OutgoingHttpHeaders = { ...options.headers };
      if (sameOrigin(target, this.base!)) {
        const authorization = await this.auth.header(options.scopes);
        if (authorization !== undefined) headers["authorization"] = authorization;
      }
      const request = { method, url: target, headers, body: typeof body === "function" ? body() : body, onBytes: options.onBytes };
      const response = options.stream === true ? await openStream(this.transport, request) : { ...(await exchange(this.transport, request)), stream: undefined };
      const location = response.headers.location;
      if (location === undefined || !followsRedirect(method, response.status, typeof body !== "function")) return { response, answeredBy: target };
      if (hops >= RegistryClient.MAX_REDIRECTS) throw new RegistryError(this.registry, `${method} ${showUrl(url)}: more than ${RegistryClient.MAX_REDIRECTS} redirects`);
      target = followUrl(this.registry, target, location, `the redirect of ${method}`);
    }
  }

  private unexpected(what: string, response: HttpResponse): RegistryError {
    return unexpectedAnswer(this.registry, this.options.credentials, what, response);
  }

  private location(what: string, response: HttpResponse, relativeTo: URL): URL {
    const location = response.headers.location;
    if (location === undefined) throw new RegistryError(this.registry, `${what}: HTTP ${response.status} without a Location`);
    return followUrl(this.registry, relativeTo, location, `the Location of ${what}`);
  }

  /** HEAD /v2/<repo>/blobs/<digest>: whether the repository has the blob. */
  async hasBlob(repository: string, digest: string): Promise<boolean> {
    const url = this.url(`v2/${repository}/blobs/${digest}`);
    const response = await this.send("HEAD", url, { scopes: [pushScope(repository)] });
    if (response.status === 200) return true;
    if (response.status === 404) return false;
    throw this.unexpected(`HEAD ${url.pathname}`, response);
  }

  /**
   * GET /v2/<repo>/blobs/<digest>: a small blob (a config, at most the 4 MiB
   * of an answer), its digest checked.  A registry behind blob storage
   * redirects it elsewhere, where it is fetched without credentials.
   */
  async getBlob(repository: string, digest: string): Promise<Buffer> {
    const url = this.url(`v2/${repository}/blobs/${digest}`);
    const response = await this.send("GET", url, { scopes: [pullScope(repository)] });
    if (response.status !== 200) throw this.unexpected(`GET ${url.pathname}`, response);
    const found = sha256Digest(response.body);
    if (found !== digest) throw new RegistryError(this.registry, `GET ${url.pathname}: the bytes served have digest ${found}`);
    return response.body;
  }

  /**
   * GET /v2/<repo>/manifests/<reference>, accepting `accept`: the bytes,
   * their media type (Content-Type) and digest.  A reference that is a
   * digest must be the bytes' digest, and so must Docker-Content-Digest
   * when the registry sends one.
   */
  async getManifest(repository: string, reference: string, accept: readonly string[]): Promise<{ bytes: Buffer; mediaType: string | undefined; digest: string }> {
    const url = this.url(`v2/${repository}/manifests/${reference}`);
    const response = await this.send("GET", url, { scopes: [pullScope(repository)], headers: { accept: accept.join(", ") } });
    if (response.status !== 200) throw this.unexpected(`GET ${url.pathname}`, response);
    const digest = sha256Digest(response.body);
    const claimed = response.headers["docker-content-digest"];
    if (reference.startsWith("sha256:") && digest !== reference) throw new DigestMismatchError(this.registry, `GET ${url.pathname}: the manifest served has digest ${digest}`);
    if (typeof claimed === "string" && claimed.startsWith("sha256:") && claimed !== digest) throw new DigestMismatchError(this.registry, `GET ${url.pathname}: the manifest served has digest ${digest}, its Docker-Content-Digest says ${claimed}`);
    const type = response.headers["content-type"]?.split(";")[0]?.trim();
    return { bytes: response.body, mediaType: type === "" ? undefined : type, digest };
  }

  /**
   * GET /v2/<repo>/blobs/<digest>, its body streamed as it is read (a
   * redirect to blob storage followed without credentials, as getBlob's);
   * `onBytes` is told the body bytes received.  Nothing is checked here:
   * oci/blob-content.ts checks the digest.  `size` is the Content-Length.
   */
  async openBlob(repository: string, digest: string, onBytes: (bytes: number) => void): Promise<{ size: number | undefined; chunks: AsyncGenerator<Buffer, void, undefined> }> {
    const url = this.url(`v2/${repository}/blobs/${digest}`);
    const response = await this.send("GET", url, { scopes: [pullScope(repository)], stream: true });
    if (response.status !== 200 || response.stream === undefined) {
      response.stream?.destroy();
      throw this.unexpected(`GET ${url.pathname}`, response);
    }
    const length = Number(response.headers["content-length"] ?? Number.NaN);
    return { size: Number.isSafeInteger(length) ? length : undefined, chunks: bodyChunks(this.registry, url, response.stream, onBytes) };
  }

  /**
   * POST ?mount=<digest>&from=<repo>: true when mounted; otherwise the
   * registry opened an upload session, whose Location is returned.
   */
  async mountBlob(repository: string, digest: string, from: string): Promise<true | URL> {
    const url = this.url(`v2/${repository}/blobs/uploads/`);
    url.searchParams.set("mount", digest);
    url.searchParams.set("from", from);
    const response = await this.send("POST", url, { scopes: [pushScope(repository), pullScope(from)], headers: { "content-length": "0" } });
    if (response.status === 201) return true;
    if (response.status === 202) return this.location(`POST ${url.pathname}`, response, url);
    throw this.unexpected(`POST ${url.pathname} (mount from ${from})`, response);
  }

  /** POST /v2/<repo>/blobs/uploads/: a new upload session. */
  async startUpload(repository: string): Promise<URL> {
    const url = this.url(`v2/${repository}/blobs/uploads/`);
    const response = await this.send("POST", url, { scopes: [pushScope(repository)], headers: { "content-length": "0" } });
    if (response.status !== 202) throw this.unexpected(`POST ${url.pathname}`, response);
    return this.location(`POST ${url.pathname}`, response, url);
  }

  /** GET on the session: how many bytes the registry holds (its Range), or undefined when the session is gone. */
  async uploadStatus(repository: string, session: URL): Promise<{ offset: number; session: URL } | undefined> {
    const response = await this.send("GET", session, { scopes: [pushScope(repository)] });
    if (response.status === 404) return undefined;
    if (response.status !== 204) throw this.unexpected(`GET ${session.pathname}`, response);
    const range = /^(?:bytes=)?0-(\d+)$/.exec(String(response.headers.range ?? ""));
    const offset = range === null ? 0 : Number(range[1]) + 1;
    return { offset, session: response.headers.location === undefined ? session : this.location(`GET ${session.pathname}`, response, session) };
  }

  /**
   * PATCH the session with `length` bytes from `offset` (Content-Range, as the
   * spec's chunked upload), streamed; returns the session's next Location.
   * A length not known in advance (a compressed layer's piece, which ends
   * where the compressor's output ends) is sent without Content-Length and
   * Content-Range, in chunked transfer encoding: the spec's streamed upload,
   * appended to the session (the distribution registry, and the registries
   * built on it, accept several in a row; the offset is the registry's Range).
   */
  async patchUpload(repository: string, session: URL, range: { offset: number; length: number | undefined }, body: () => Iterable<Buffer> | AsyncIterable<Buffer>, onBytes: (bytes: number) => void): Promise<URL> {
    const headers: OutgoingHttpHeaders = { "content-type": "application/octet-stream" };
    if (range.length !== undefined) {
      headers["content-length"] = String(range.length);
      headers["content-range"] = `${range.offset}-${range.offset + range.length - 1}`;
    }
    const response = await this.send("PATCH", session, { scopes: [pushScope(repository)], headers, body, onBytes });
    if (response.status !== 202) throw this.unexpected(`PATCH ${session.pathname}`, response);
    return this.location(`PATCH ${session.pathname}`, response, session);
  }

  /** PUT ?digest=: closes the session; the registry checks the digest of what it received. */
  async finishUpload(repository: string, session: URL, digest: string): Promise<void> {
    const url = new URL(session);
    url.searchParams.set("digest", digest);
    const response = await this.send("PUT", url, { scopes: [pushScope(repository)], headers: { "content-length": "0" } });
    if (response.status !== 201) throw this.unexpected(`PUT ${session.pathname}?digest=${digest}`, response);
  }

  /** A small blob (the config) in one POST + PUT. */
  async putBlob(repository: string, digest: string, bytes: Buffer): Promise<void> {
    const session = await this.startUpload(repository);
    const url = new URL(session);
    url.searchParams.set("digest", digest);
    const response = await this.send("PUT", url, { scopes: [pushScope(repository)], headers: { "content-type": "application/octet-stream", "content-length": String(bytes.length) }, body: bytes });
    if (response.status !== 201) throw this.unexpected(`PUT ${session.pathname}?digest=${digest}`, response);
  }

  /** PUT /v2/<repo>/manifests/<tag>: the tag now names the image. */
  async putManifest(repository: string, tag: string, mediaType: string, bytes: Buffer): Promise<void> {
    const url = this.url(`v2/${repository}/manifests/${tag}`);
    const response = await this.send("PUT", url, { scopes: [pushScope(repository)], headers: { "content-type": mediaType, "content-length": String(bytes.length) }, body: bytes });
    if (response.status !== 201) throw this.unexpected(`PUT ${url.pathname}`, response);
  }
}
