/**
 * PAX extended header records as tarfile's `_create_pax_generic_header`
 * writes them: `"%d %s=%s\n"` where the decimal length counts itself.
 */

export interface PaxRecord {
  readonly keyword: string;
  /** Raw value bytes: UTF-8 text, or the file name's raw bytes in BINARY mode. */
  readonly value: Uint8Array;
}

/** Emitted first when any value is not valid UTF-8 (a surrogateescaped file name). */
const HDRCHARSET_BINARY = Buffer.from("21 hdrcharset=BINARY\n", "latin1");

function recordLength(keyword: string, value: Uint8Array): number {
  // ' ' + '=' + '\n' plus the length's own digits, iterated until stable.
  const base = Buffer.byteLength(keyword, "utf8") + value.length + 3;
  let n = 0;
  let p = 0;
  for (;;) {
    n = base + String(p).length;
    if (n === p) return n;
    p = n;
  }
}

export function encodePaxRecords(records: readonly PaxRecord[], binary: boolean): Buffer {
  const prefixes = records.map(({ keyword, value }) => `${recordLength(keyword, value)} ${keyword}=`);
  let total = binary ? HDRCHARSET_BINARY.length : 0;
  records.forEach(({ value }, i) => (total += Buffer.byteLength(prefixes[i]!, "utf8") + value.length + 1));
  // Written in place: this runs for every member whose name is over 100 characters.
  const out = Buffer.allocUnsafe(total);
  let at = binary ? HDRCHARSET_BINARY.copy(out, 0) : 0;
  records.forEach(({ value }, i) => {
    at += out.write(prefixes[i]!, at, "utf8");
    out.set(value, at);
    at += value.length;
    out[at++] = 0x0a;
  });
  return out;
}
