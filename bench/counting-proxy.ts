/**
 * A plain-HTTP proxy in front of the bench's registry that counts what
 * clients download: the body bytes of every response (manifests, configs,
 * blobs).  The Host header is passed on, so the registry's Locations point
 * at the proxy.  A TLS probe (skopeo tries HTTPS first) is answered 400 by
 * Node's parser and counts nothing.
 */
import http from "node:http";
import type net from "node:net";

export interface DownloadCounter {
  readonly endpoint: string;
  /** Response body bytes since the last reset. */
  downloaded(): number;
  /** Requests since the last reset, as "METHOD path bytes". */
  requests(): string[];
  reset(): void;
  close(): Promise<void>;
}

export async function startDownloadCounter(target: string): Promise<DownloadCounter> {
  let bytes = 0;
  let lines: { method: string; path: string; bytes: number }[] = [];
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((request, response) => {
    const line = { method: request.method ?? "", path: request.url ?? "", bytes: 0 };
    lines.push(line);
    const upstream = http.request(`http://${target}${request.url}`, { method: request.method, headers: request.headers, agent }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.on("data", (data: Buffer) => {
        bytes += data.length;
        line.bytes += data.length;
      });
      answer.pipe(response);
    });
    upstream.on("error", () => response.destroy());
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    endpoint: `127.0.0.1:${port}`,
    downloaded: () => bytes,
    requests: () => lines.map((l) => `${l.method} ${l.path} ${l.bytes}`),
    reset: () => {
      bytes = 0;
      lines = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        agent.destroy();
      }),
  };
}
