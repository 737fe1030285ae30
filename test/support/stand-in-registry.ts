/**
 * Small servers on loopback standing in for a registry and the places it
 * may send a client to: blob storage on another origin (upload sessions,
 * redirected blob reads) and a token realm.  Each records every request it
 * receives with its Authorization header, so a test can say where the
 * credentials went.  The registry speaks just enough of the distribution
 * API for a push, and asks for Basic credentials or a Bearer token on
 * every call, as a real one does.
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";

export const USER = "alice";
export const PASSWORD = "s3cret";
export const TOKEN = "tok-5f1d2a9c";
export const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;
/** What must never be seen outside the requests that carry it: on stderr, stdout, or at another origin. */
export const SECRETS = [PASSWORD, BASIC.slice("Basic ".length), TOKEN] as const;

export interface Received {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
  readonly bytes: number;
}

export interface StandIn {
  /** `http://127.0.0.1:PORT` or `https://…`. */
  readonly origin: string;
  /** `127.0.0.1:PORT`, for a docker:// reference. */
  readonly host: string;
  readonly received: Received[];
  close(): Promise<void>;
}

type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

/** A server answering with `handler` once a request's body is read; TLS with the given key and certificate files. */
export async function serve(handler: Handler, tls?: { key: string; cert: string }): Promise<StandIn> {
  const received: Received[] = [];
  const listener = (request: http.IncomingMessage, response: http.ServerResponse): void => {
    let bytes = 0;
    request.on("data", (chunk: Buffer) => (bytes += chunk.length));
    request.on("end", () => {
      received.push({ method: request.method ?? "", url: request.url ?? "", authorization: request.headers.authorization, bytes });
      handler(request, response);
    });
  };
  const server = tls === undefined ? http.createServer(listener) : https.createServer({ key: readFileSync(tls.key), cert: readFileSync(tls.cert) }, listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `${tls === undefined ? "http" : "https"}://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answer(response: http.ServerResponse, status: number, headers: http.OutgoingHttpHeaders = {}, body = ""): void {
  response.writeHead(status, { "content-length": String(Buffer.byteLength(body)), ...headers });
  response.end(body);
}

export interface RegistryBehaviour {
  /** Basic (htpasswd-like), or Bearer tokens from `realm`. */
  readonly auth: { readonly scheme: "basic" } | { readonly scheme: "bearer"; readonly realm: string };
  /** The absolute URL the upload POST answers with (a session number is appended). */
  readonly uploadLocation: string;
  /** When set, HEAD and GET of a blob answer 307 to `${blobLocation}/<digest>`. */
  readonly blobLocation?: string;
  readonly tls?: { key: string; cert: string };
}

/** The stand-in registry: every call needs the credentials (or the token); manifests PUT are counted in `received`. */
export function serveRegistry(behaviour: RegistryBehaviour): Promise<StandIn> {
  const expected = behaviour.auth.scheme === "basic" ? BASIC : `Bearer ${TOKEN}`;
  const challenge = behaviour.auth.scheme === "basic" ? 'Basic realm="stand-in"' : `Bearer realm="${behaviour.auth.realm}",service="stand-in"`;
  let sessions = 0;
  return serve((request, response) => {
    const path = new URL(request.url ?? "/", "http://x").pathname;
    if (request.headers.authorization !== expected) return answer(response, 401, { "www-authenticate": challenge }, '{"errors":[{"code":"UNAUTHORIZED"}]}');
    if (path === "/v2/") return answer(response, 200, {}, "{}");
    const blob = /^\/v2\/.+\/blobs\/(sha256:[0-9a-f]{64})$/.exec(path);
    if (blob !== null && (request.method === "HEAD" || request.method === "GET")) {
      return behaviour.blobLocation === undefined ? answer(response, 404) : answer(response, 307, { location: `${behaviour.blobLocation}/${blob[1]!}` });
    }
    if (request.method === "POST" && /^\/v2\/.+\/blobs\/uploads\/$/.test(path)) return answer(response, 202, { location: `${behaviour.uploadLocation}/${++sessions}` });
    if (request.method === "PUT" && /^\/v2\/.+\/manifests\/[^/]+$/.test(path)) return answer(response, 201);
    answer(response, 404);
  }, behaviour.tls);
}

/**
 * Blob storage on another origin: upload sessions under /upload/ (PATCH,
 * then PUT ?digest=) and blobs under /blobs/ (`blobs` by digest; others 404).
 * `challenge`: answer everything 401 with a Basic challenge instead.
 */
export function serveStorage(options: { blobs?: ReadonlyMap<string, Buffer>; challenge?: boolean } = {}): Promise<StandIn> {
  return serve((request, response) => {
    const url = new URL(request.url ?? "/", "http://x");
    if (options.challenge === true) return answer(response, 401, { "www-authenticate": 'Basic realm="storage"' });
    if (url.pathname.startsWith("/upload/")) {
      if (request.method === "PATCH") return answer(response, 202, { location: url.pathname });
      if (request.method === "PUT" && url.searchParams.has("digest")) return answer(response, 201);
    }
    const blob = /^\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url.pathname);
    const bytes = blob === null ? undefined : options.blobs?.get(blob[1]!);
    if (bytes !== undefined && request.method === "GET") {
      response.writeHead(200, { "content-length": String(bytes.length) });
      return response.end(bytes);
    }
    answer(response, 404);
  });
}

/** A token realm: the Basic credentials buy TOKEN; anything else is 401. */
export function serveRealm(): Promise<StandIn> {
  return serve((request, response) => {
    if (request.headers.authorization !== BASIC) return answer(response, 401);
    answer(response, 200, { "content-type": "application/json" }, JSON.stringify({ token: TOKEN }));
  });
}
