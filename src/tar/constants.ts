/**
 * Layout of a POSIX ustar header block as CPython's tarfile writes it
 * (`_create_header`): every field as a named offset/size pair, so no other
 * file needs to know where a field lives.
 */
export const BLOCK_SIZE = 512;
/** tarfile.RECORDSIZE (20 blocks): archives are zero-padded to a multiple of it on close. */
export const RECORD_SIZE = 20 * BLOCK_SIZE;

export interface Field {
  readonly offset: number;
  readonly size: number;
}

export const NAME: Field = { offset: 0, size: 100 };
export const MODE: Field = { offset: 100, size: 8 };
export const UID: Field = { offset: 108, size: 8 };
export const GID: Field = { offset: 116, size: 8 };
export const SIZE: Field = { offset: 124, size: 12 };
export const MTIME: Field = { offset: 136, size: 12 };
export const CHKSUM: Field = { offset: 148, size: 8 };
export const TYPEFLAG: Field = { offset: 156, size: 1 };
export const LINKNAME: Field = { offset: 157, size: 100 };
export const MAGIC: Field = { offset: 257, size: 6 };
export const VERSION: Field = { offset: 263, size: 2 };
export const UNAME: Field = { offset: 265, size: 32 };
export const GNAME: Field = { offset: 297, size: 32 };
export const DEVMAJOR: Field = { offset: 329, size: 8 };
export const DEVMINOR: Field = { offset: 337, size: 8 };
/** Always empty: in PAX format tarfile never splits long names into prefix. */
export const PREFIX: Field = { offset: 345, size: 155 };

/** tarfile.POSIX_MAGIC: magic "ustar\0" followed by version "00". */
export const POSIX_MAGIC = Buffer.from("ustar\x0000", "latin1");

/** Type flags (tarfile.REGTYPE etc.), as the byte written at TYPEFLAG. */
export const TypeFlag = {
  regular: 0x30, // "0"
  symlink: 0x32, // "2"
  char: 0x33, // "3"
  block: 0x34, // "4"
  directory: 0x35, // "5"
  fifo: 0x36, // "6"
  paxExtended: 0x78, // "x"
} as const;
export type TypeFlag = (typeof TypeFlag)[keyof typeof TypeFlag];

/** Name tarfile gives every PAX extended header (it copies star, not POSIX's suggestion). */
export const PAX_HEADER_NAME = "././@PaxHeader";
