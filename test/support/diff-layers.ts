/**
 * Small layer tarballs and image sides for the diff engine's tests: members
 * described by their fields, written with the project's tar header encoder,
 * and DiffSides over buffers or generators.
 */
import { createHash } from "node:crypto";
import { BLOCK_SIZE, TypeFlag } from "../../src/tar/constants.ts";
import { encodeHeader } from "../../src/tar/header.ts";
import { paddedSize } from "../../src/tar/number.ts";
import { TAR_FORMAT_CURRENT } from "../../src/profile/python.ts";
import type { DiffLayer, DiffSide } from "../../src/audit/diff-types.ts";

export interface MemberSpec {
  readonly name: string;
  readonly type?: "file" | "dir" | "symlink" | "hardlink";
  readonly content?: string | Buffer;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly uname?: string;
  readonly gname?: string;
  readonly mtime?: number;
  readonly linkname?: string;
  readonly pax?: ReadonlyMap<string, string>;
}

const TYPES = { file: TypeFlag.regular, dir: TypeFlag.directory, symlink: TypeFlag.symlink, hardlink: 0x31 } as const;

/** One member's header group (PAX header if needed, ustar block) for `size` content bytes. */
export function memberHeader(spec: MemberSpec, size: number): Buffer {
  const type = spec.type ?? "file";
  return encodeHeader(
    {
      name: type === "dir" ? `${spec.name}/` : spec.name,
      mode: spec.mode ?? (type === "dir" ? 0o755 : 0o644),
      uid: spec.uid ?? 0,
      gid: spec.gid ?? 0,
      size,
      mtime: spec.mtime ?? 1,
      type: TYPES[type] as TypeFlag,
      linkname: spec.linkname ?? "",
      uname: spec.uname ?? "root",
      gname: spec.gname ?? "root",
      devmajor: 0,
      devminor: 0,
      ...(spec.pax === undefined ? {} : { pax: spec.pax }),
    },
    TAR_FORMAT_CURRENT,
  );
}

/** A whole layer tarball: members, then the end-of-archive blocks. */
export function layerTar(members: readonly MemberSpec[]): Buffer {
  const parts: Buffer[] = [];
  for (const spec of members) {
    const content = Buffer.from(spec.content ?? "");
    parts.push(memberHeader(spec, content.length), content, Buffer.alloc(paddedSize(content.length) - content.length));
  }
  parts.push(Buffer.alloc(2 * BLOCK_SIZE));
  return Buffer.concat(parts);
}

export function sha256Id(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** Streams `bytes` in chunks of `chunk` bytes (a transport's way). */
async function* chunked(bytes: Buffer, chunk: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += chunk) yield bytes.subarray(at, at + chunk);
}

export interface LayerOptions {
  readonly diffId?: string | undefined;
  readonly label?: string;
  /** open() throws: for layers that must not be read. */
  readonly forbidden?: boolean;
  readonly chunk?: number;
}

export function bufferLayer(bytes: Buffer, options: LayerOptions = {}): DiffLayer {
  return {
    diffId: options.diffId,
    label: options.label ?? "layer",
    open() {
      if (options.forbidden === true) throw new Error("this layer must not be opened");
      return chunked(bytes, options.chunk ?? 700);
    },
  };
}

export function config(diffIds: readonly string[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: { Env: ["PATH=/bin"] }, created: "1970-01-01T00:00:01Z", ...extra, rootfs: { type: "layers", diff_ids: diffIds } }));
}

/** A side whose layers are the given tarballs (diff_ids in its config, not given to the layers unless `known`). */
export function side(name: string, layers: readonly Buffer[], known = false, extra: Record<string, unknown> = {}): DiffSide {
  const ids = layers.map(sha256Id);
  return { name, configBytes: config(ids, extra), layers: layers.map((bytes, i) => bufferLayer(bytes, { label: `layer ${i}`, diffId: known ? ids[i] : undefined })) };
}
