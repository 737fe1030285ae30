/**
 * The file of a worker thread, beside the module that starts it and with
 * that module's own extension: `.js` when running from dist/ (or build/),
 * `.ts` when the sources run as they are (Node's type stripping), so either
 * way the worker is the one built or written beside its starter.
 */
export function workerBeside(url: URL, starter: string): URL {
  return starter.endsWith(".ts") && url.pathname.endsWith(".js") ? new URL(url.href.replace(/\.js$/, ".ts")) : url;
}
