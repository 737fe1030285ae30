/**
 * One HTTP exchange with a registry over node:http / node:https: a request
 * whose body is nothing, a buffer, or a sequence of chunks written one at a
 * time (each write completes before the next chunk is asked for, so a layer
 * streams from the store with backpressure and its reused buffers are never
 * queued), and the response with a small body, or a large one streamed.  Network and TLS faults
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
  /** A sync or async sequence of chunks: without a content-length header, sent chunked (a compressed layer's size is known at its end). */
  readonly body?: Buffer | Iterable<Buffer> | AsyncIterable<Buffer>;
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

/**
 * Sends `request`; resolves with the response once its head is in, its body
 * not read yet.  Network faults become RegistryError (before the answer:
 * the rejection; after: the response's error), a body's own error is
 * passed on as is.  A streamed body stops when the answer has come whole
 * (an early error document) or the connection broke.
 */
function start(transport: Transport, request: HttpRequest): Promise<http.IncomingMessage> {
  const { url } = request;
  const secure = url.protocol === "https:";
  return new Promise<http.IncomingMessage>((resolve, reject) => {
    let answer: http.IncomingMessage | undefined;
    let failed = false;
    const fail = (error: unknown): void => {
      if (answer !== undefined) {
        if (!answer.complete) answer.destroy(error as Error);
        return;
      }
      if (failed) return;
      failed = true;
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
      answer = response;
      resolve(response);
    });
    client.setTimeout(IDLE_TIMEOUT_MS, () => client.destroy(Object.assign(new Error("no answer"), { code: "ETIMEDOUT" })));
    client.on("error", (error) => fail(networkError(transport.registry, url, error)));
    const { body } = request;
    if (body === undefined || Buffer.isBuffer(body)) {
      client.end(body);
      return;
    }
    void (async () => {
      for await (const chunk of body) {
        // An early answer (an error document) or a broken connection ends the upload.
        if (failed || answer?.complete === true || client.destroyed) return;
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

/** A response's whole (small) body: at most MAX_RESPONSE bytes are kept. */
function readBody(registry: string, url: URL, response: http.IncomingMessage): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = [];
    let length = 0;
    response.on("data", (part: Buffer) => {
      if (length < MAX_RESPONSE) parts.push(part);
      length += part.length;
    });
    response.on("error", (error) => reject(networkError(registry, url, error)));
    response.on("end", () => resolve(Buffer.concat(parts)));
  });
}

/** Sends `request`, resolves with the whole (small) response; rejects with RegistryError or the body's own error. */
export async function exchange(transport: Transport, request: HttpRequest): Promise<HttpResponse> {
  const response = await start(transport, request);
  return { status: response.statusCode ?? 0, headers: response.headers, body: await readBody(transport.registry, request.url, response) };
}

/** A response whose body, when it is a 2xx answer's, is left to stream (`stream`); otherwise read whole into `body`. */
export interface StreamedResponse extends HttpResponse {
  readonly stream: http.IncomingMessage | undefined;
}

/** Sends `request`; a 2xx answer's body is not read but handed out as `stream` (read it with bodyChunks). */
export async function openStream(transport: Transport, request: HttpRequest): Promise<StreamedResponse> {
  const response = await start(transport, request);
  const status = response.statusCode ?? 0;
  if (status >= 200 && status < 300) return { status, headers: response.headers, body: Buffer.alloc(0), stream: response };
  return { status, headers: response.headers, body: await readBody(transport.registry, request.url, response), stream: undefined };
}

/**
 * A streamed body's chunks, pulled (the socket is paused while the consumer
 * is busy), each told to `onBytes`; a broken connection is a RegistryError.
 * A consumer that stops early destroys the response (and its connection).
 */
export async function* bodyChunks(registry: string, url: URL, response: http.IncomingMessage, onBytes: (bytes: number) => void): AsyncGenerator<Buffer, void, undefined> {
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      onBytes(chunk.length);
      yield chunk;
    }
  } catch (error) {
    throw networkError(registry, url, error);
  } finally {
    if (!response.complete) response.destroy();
  }
}
