/**
 * str.strip() with no argument: removes characters for which str.isspace()
 * holds (Unicode White_Space plus the ASCII separators 0x1C..0x1F), which is
 * not JavaScript's trim() (that strips U+FEFF and keeps 0x1C..0x1F and U+0085).
 */
const PY_WHITESPACE = "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";

export function pyStrip(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && PY_WHITESPACE.includes(value[start]!)) start++;
  while (end > start && PY_WHITESPACE.includes(value[end - 1]!)) end--;
  return value.slice(start, end);
}
