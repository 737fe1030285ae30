/**
 * What verify and diff share to read an image as published: the registry
 * options (the same --creds, --authfile, --tls-verify, --plain-http and
 * retries as push) and --platform; and what the image command, digest,
 * verify and diff share to prepare a CONF: the digest cache options.
 */
import { join } from "node:path";
import { defaultBlobCacheDir } from "../passes/blob-cache.ts";
import type { OptionValues } from "./option-table.ts";
import { UsageError } from "./option-table.ts";
import type { Platform } from "../oci/image-source.ts";
import { parsePlatform, PlatformError } from "../oci/platform.ts";
import type { RegistrySourceOptions } from "../remote/image-source.ts";
import { DigestCache, defaultDigestCacheDir } from "../passes/digest-cache.ts";

export function registrySourceOptions(values: OptionValues): RegistrySourceOptions {
  return {
    creds: values.creds,
    authFile: values.authfile,
    tlsVerify: values["tls-verify"],
    plainHttp: values["plain-http"],
    retry: { retries: values["retry-times"], retryDelayMs: values["retry-delay"] === undefined ? undefined : values["retry-delay"] * 1000 },
  };
}

/** --platform, checked before anything is read (a bad one is a usage error). */
export function platformOption(values: OptionValues, command: string): Platform | undefined {
  if (values.platform === undefined) return undefined;
  try {
    return parsePlatform(values.platform);
  } catch (error) {
    if (error instanceof PlatformError) throw new UsageError(`${command}: ${error.message}`);
    throw error;
  }
}

/** --digest-cache DIR, else the default directory's cache; false with --no-digest-cache (read and write none). */
export function digestCacheOption(values: OptionValues): DigestCache | false {
  return values["no-digest-cache"] ? false : new DigestCache(values["digest-cache"] ?? defaultDigestCacheDir());
}

/** The blob cache goes where the digest cache goes: beside the default one, inside a chosen one; none with --no-digest-cache. */
export function blobCacheDir(values: OptionValues): string | undefined {
  if (values["no-digest-cache"]) return undefined;
  return values["digest-cache"] === undefined ? defaultBlobCacheDir() : join(values["digest-cache"], "blobs");
}
