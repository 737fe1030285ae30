/**
 * One HTTP exchange with a registry over node:http / node:https: a request
 * whose body is nothing, a buffer, or a sequence of chunks written one at a
 * time (each write completes before the next chunk is asked for, so a layer
 * streams from the store with backpressure and its reused buffers are never
 * queued), and the response with a small body.  Network and TLS faults
 * become RegistryError naming the registry; resets, refusals and time-outs
 * are marked retryable.
 */
import http from "node:http";
import https from "node:https";
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import { RegistryError } from "./errors.ts";

export type Scheme = "http" | "https";

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface HttpRequest {
  readonly method: string;
  /** Absolute URL. */
  readonly url: URL;
  readonly headers?: OutgoingHttpHeaders;
  readonly body?: Buffer | Iterable<Buffer>;
  /** Called with each body chunk's length once it is written. */
  readonly onBytes?: (bytes: number) => void;
}

/** Response bodies are error documents, tokens and small JSON: more is cut off. */
const MAX_RESPONSE = 4 << 20;
/** No byte either way for this long: the connection is given up (and retried). */
const IDLE_TIMEOUT_MS = 120_000;

const RETRYABLE_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EAI_AGAIN", "ECONNABORTED", "EHOSTUNREACH", "ENETUNREACH", "ERR_STREAM_PREMATURE_CLOSE", "UND_ERR_SOCKET"]);
const CONNECTION_TEXT: Record<string, string> = {
  ECONNRESET: "connection reset",
  ECONNREFUSED: "connection refused",
  EPIPE: "connection closed while sending",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
};

/** True for an error of the TLS layer: a certificate not trusted, a handshake that is not TLS. */
export function isTlsError(error: unknown): boolean {
  const { code, message } = error as NodeJS.ErrnoException;
  return (
    (code !== undefined && (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code) || code === "EPROTO")) ||
    /wrong version number|certificate|ssl3_get_record|tlsv1/i.test(message ?? "")
  );
}

/** A network error as the one line the CLI prints. */
export function networkError(registry: string, url: URL, error: unknown): RegistryError {
  if (error instanceof RegistryError) return error;
  const { code, message } = error as NodeJS.ErrnoException;
  if (code === "ENOTFOUND" || code === "EAI_NONAME") return new RegistryError(registry, `unknown host ${JSON.stringify(url.hostname)} (${code})`, false, { cause: error });
  if (isTlsError(error)) {
    const hint = url.protocol === "https:" ? " (a self-signed registry: --tls-verify=false, or its CA in NODE_EXTRA_CA_CERTS; a plain-HTTP one: --plain-http)" : "";
    return new RegistryError(registry, `TLS failure: ${message}${code !== undefined && !message.includes(code) ? ` (${code})` : ""}${hint}`, false, { cause: error });
  }
  const text = code !== undefined ? (CONNECTION_TEXT[code] ?? message) : message;
  const retryable = code === undefined ? /socket hang up|aborted|closed/i.test(message) : RETRYABLE_CODES.has(code);
  return new RegistryError(registry, `${text} (${url.protocol}//${url.host}${code !== undefined ? `, ${code}` : ""})`, retryable, { cause: error });
}

function writeChunk(request: http.ClientRequest, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => request.write(chunk, (error) => (error ? reject(error) : resolve())));
}

export interface Transport {
  readonly registry: string;
  readonly tlsVerify: boolean;
  readonly agents: { http: http.Agent; https: https.Agent };
}

export function makeTransport(registry: string, tlsVerify: boolean): Transport {
  return {
    registry,
    tlsVerify,
    agents: { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true, rejectUnauthorized: tlsVerify }) },
  };
}

export function closeTransport(transport: Transport): void {
  transport.agents.http.destroy();
  transport.agents.https.destroy();
}

/** Sends `request`, resolves with the whole (small) response; rejects with RegistryError or the body's own error. */
export function exchange(transport: Transport, request: HttpRequest): Promise<HttpResponse> {
  const { url } = request;
  const secure = url.protocol === "https:";
  return new Promise<HttpResponse>((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      client.destroy();
      reject(error);
    };
    const options: https.RequestOptions = {
      method: request.method,
      headers: request.headers,
      agent: secure ? transport.agents.https : transport.agents.http,
      rejectUnauthorized: transport.tlsVerify,
    };
    const client = (secure ? https : http).request(url, options, (response) => {
      const parts: Buffer[] = [];
      let length = 0;
      response.on("data", (part: Buffer) => {
        if (length < MAX_RESPONSE) parts.push(part);
        length += part.length;
      });
      response.on("error", (error) => fail(networkError(transport.registry, url, error)));
      response.on("end", () => {
        if (settled) return;
        settled = true;
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(parts) });
      });
    });
    client.setTimeout(IDLE_TIMEOUT_MS, () => client.destroy(Object.assign(new Error("no answer"), { code: "ETIMEDOUT" })));
    client.on("error", (error) => fail(networkError(transport.registry, url, error)));
    const { body } = request;
    if (body === undefined || Buffer.isBuffer(body)) {
      client.end(body);
      return;
    }
    void (async () => {
      for (const chunk of body) {
        // An early answer (an error document) or a broken connection ends the upload.
        if (settled || client.destroyed) return;
        try {
          await writeChunk(client, chunk);
        } catch (error) {
          throw networkError(transport.registry, url, error);
        }
        request.onBytes?.(chunk.length);
      }
      client.end();
    })().catch(fail);
  });
}
