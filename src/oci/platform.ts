/**
 * `--platform os/arch[/variant]` and the choice of one manifest from an
 * index or manifest list by it.  Architectures are compared under their
 * OCI names (x86_64 is amd64, aarch64 arm64), and arm64's variant v8 is
 * its only one, so `linux/arm64` and `linux/arm64/v8` match an entry with
 * either; a variant asked for must otherwise be the entry's.
 */
import { ImageSourceError, type Platform } from "./image-source.ts";
import type { IndexEntry } from "./manifest-parse.ts";

/** `--platform` is not `os/arch[/variant]`. */
export class PlatformError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlatformError";
  }
}

const ARCH_ALIASES: Readonly<Record<string, string>> = { x86_64: "amd64", "x86-64": "amd64", aarch64: "arm64", armhf: "arm", armel: "arm" };
const PART = /^[a-z0-9_.-]+$/i;

export function parsePlatform(text: string): Platform {
  const parts = text.split("/");
  if (parts.length < 2 || parts.length > 3 || !parts.every((part) => PART.test(part))) {
    throw new PlatformError(`--platform ${JSON.stringify(text)}: expected OS/ARCH or OS/ARCH/VARIANT (e.g. linux/amd64, linux/arm64/v8)`);
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return { os: os.toLowerCase(), architecture: ARCH_ALIASES[architecture.toLowerCase()] ?? architecture.toLowerCase(), variant };
}

export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter((part) => part !== undefined && part !== "").join("/");
}

/** arm64's one variant is v8: its absence and v8 are the same platform. */
function sameVariant(architecture: string, wanted: string | undefined, found: string | undefined): boolean {
  const normal = (variant: string | undefined): string | undefined => (architecture === "arm64" && variant === "v8" ? undefined : variant);
  return wanted === undefined ? architecture !== "arm64" || normal(found) === undefined : normal(wanted) === normal(found);
}

export function platformMatches(wanted: Platform, found: Platform): boolean {
  const architecture = ARCH_ALIASES[found.architecture] ?? found.architecture;
  return wanted.os === found.os && wanted.architecture === architecture && sameVariant(architecture, wanted.variant, found.variant);
}

/**
 * The entry of an index for `wanted`: among several matches (variants when
 * none is asked for) the first; none is an error naming the platforms the
 * index has.  Entries without a platform (attestations) are never chosen.
 */
export function choosePlatform(entries: readonly IndexEntry[], wanted: Platform, image: string, where: string): IndexEntry & { platform: Platform } {
  const withPlatform = entries.filter((entry): entry is IndexEntry & { platform: Platform } => entry.platform !== undefined && entry.platform.os !== "unknown");
  const chosen = withPlatform.find((entry) => platformMatches(wanted, entry.platform));
  if (chosen !== undefined) return chosen;
  const there = [...new Set(withPlatform.map((entry) => formatPlatform(entry.platform)))];
  throw new ImageSourceError(image, `${where} has no manifest for ${formatPlatform(wanted)} (it has ${there.length === 0 ? "no platforms" : there.join(", ")}; choose one with --platform)`);
}
