/**
 * Where a push finds its user name and password, in the order podman and
 * skopeo look: `--creds`, then `$REGISTRY_AUTH_FILE`, then
 * `${XDG_RUNTIME_DIR}/containers/auth.json`, then `~/.docker/config.json`.
 * An auth file maps a registry (or registry/repository, the longest match
 * wins; keys may carry a scheme) to `{"auth": base64("user:password")}`.
 * Credential helpers (`credHelpers`, `credsStore`) are not run.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { CredentialsError } from "./errors.ts";

export interface Credentials {
  readonly username: string;
  readonly password: string;
  /** Where they came from, for messages: `--creds` or the auth file's path. */
  readonly source: string;
}

/** `user:password` (the password may hold colons). */
export function parseCreds(text: string, source = "--creds"): Credentials {
  const colon = text.indexOf(":");
  if (colon <= 0) throw new CredentialsError(`${source} must be USERNAME:PASSWORD`);
  return { username: text.slice(0, colon), password: text.slice(colon + 1), source };
}

/** The auth files to read, first match wins, from the environment given. */
export function authFileCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const files: string[] = [];
  if (env["REGISTRY_AUTH_FILE"]) files.push(env["REGISTRY_AUTH_FILE"]);
  if (env["XDG_RUNTIME_DIR"]) files.push(join(env["XDG_RUNTIME_DIR"], "containers", "auth.json"));
  const home = env["HOME"] || homedir();
  files.push(join(env["DOCKER_CONFIG"] ?? join(home, ".docker"), "config.json"));
  return files;
}

/** A key of `auths` without scheme or trailing slash: `https://host/v1/` → `host`. */
function normaliseKey(key: string): string {
  let text = key.replace(/^https?:\/\//, "").replace(/\/+$/, "");
  // Docker's legacy key for the Hub.
  if (text === "index.docker.io/v1" || text === "registry-1.docker.io") text = "docker.io";
  return text;
}

function readAuthFile(file: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" || (error as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
    throw new CredentialsError(`cannot read auth file ${JSON.stringify(file)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CredentialsError(`auth file ${JSON.stringify(file)} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const auths = (parsed as { auths?: unknown } | null)?.auths;
  if (auths === undefined) return {};
  if (typeof auths !== "object" || auths === null || Array.isArray(auths)) throw new CredentialsError(`auth file ${JSON.stringify(file)}: "auths" must be an object`);
  return auths as Record<string, unknown>;
}

/** The credentials an auth file holds for `registry/repository`, most specific key first. */
function lookUp(file: string, auths: Record<string, unknown>, registry: string, repository: string): Credentials | undefined {
  const wanted = `${registry}/${repository}`;
  let best: { length: number; entry: unknown; key: string } | undefined;
  for (const [key, entry] of Object.entries(auths)) {
    const name = normaliseKey(key);
    const matches = name === registry || wanted === name || wanted.startsWith(`${name}/`);
    if (matches && (best === undefined || name.length > best.length)) best = { length: name.length, entry, key };
  }
  if (best === undefined) return undefined;
  const auth = (best.entry as { auth?: unknown } | null)?.auth;
  const where = `auth file ${JSON.stringify(file)}, "auths"[${JSON.stringify(best.key)}]`;
  if (typeof auth !== "string") throw new CredentialsError(`${where}: no "auth" string (credential helpers are not supported)`);
  const decoded = Buffer.from(auth, "base64").toString("utf8");
  return parseCreds(decoded, where);
}

/** The credentials for a push to `registry/repository`, or undefined (anonymous). */
export function findCredentials(registry: string, repository: string, options: { creds?: string | undefined; authFile?: string | undefined; env?: NodeJS.ProcessEnv } = {}): Credentials | undefined {
  if (options.creds !== undefined) return parseCreds(options.creds);
  const files = options.authFile !== undefined ? [options.authFile] : authFileCandidates(options.env);
  for (const file of files) {
    const auths = readAuthFile(file);
    if (auths === undefined) continue;
    const found = lookUp(file, auths, registry, repository);
    if (found !== undefined) return found;
  }
  return undefined;
}
