/**
 * Just enough of a tar reader to find small members (manifest.json, the
 * config) in an image written by this package: ustar headers, names up to
 * 255 bytes, sizes in octal.  Extended headers are skipped, not applied.
 */
import { closeSync, openSync, readSync } from "node:fs";

const BLOCK = 512;

function text(block: Buffer, offset: number, size: number): string {
  const field = block.subarray(offset, offset + size);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? size : end).toString("utf8");
}

/** The contents of the members `wanted` accepts, by name; large members are skipped unread. */
export function readTarMembers(file: string, wanted: (name: string) => boolean): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  const fd = openSync(file, "r");
  try {
    const header = Buffer.alloc(BLOCK);
    let position = 0;
    while (readSync(fd, header, 0, BLOCK, position) === BLOCK && header.some((byte) => byte !== 0)) {
      const prefix = header.subarray(257, 263).toString("latin1") === "ustar\x0000" ? text(header, 345, 155) : "";
      const name = prefix === "" ? text(header, 0, 100) : `${prefix}/${text(header, 0, 100)}`;
      const size = Number.parseInt(text(header, 124, 12).trim() || "0", 8);
      const type = String.fromCharCode(header[156] ?? 0);
      position += BLOCK;
      if ((type === "0" || type === "\0") && wanted(name)) {
        const content = Buffer.alloc(size);
        readSync(fd, content, 0, size, position);
        found.set(name, content);
      }
      position += Math.ceil(size / BLOCK) * BLOCK;
    }
  } finally {
    closeSync(fd);
  }
  return found;
}
