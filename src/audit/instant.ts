/**
 * A time as RFC 3339 writes it, reduced to its instant.  Tools that convert
 * an image config (skopeo and podman when they write OCI) decode it into Go
 * structs and encode it again, and Go writes a UTC time with "Z" and the
 * fraction's trailing zeros dropped: "2024-05-01T12:00:00+00:00" comes back
 * as "2024-05-01T12:00:00Z".  The same instant is the same value.
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Nanoseconds since the epoch, or undefined when `text` is not an RFC 3339 time. */
export function rfc3339Instant(text: string): bigint | undefined {
  const match = RFC3339.exec(text);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zulu, sign, offsetHours, offsetMinutes] = match;
  // setUTCFullYear, not Date.UTC: that maps years 0 to 99 to 1900 to 1999.
  const midnight = new Date(0);
  midnight.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  const seconds = BigInt(midnight.getTime()) / 1000n + BigInt(Number(hour) * 3600 + Number(minute) * 60 + Number(second));
  const offset = zulu !== undefined ? 0n : BigInt((sign === "-" ? -1 : 1) * (Number(offsetHours) * 3600 + Number(offsetMinutes) * 60));
  const nanos = BigInt((fraction ?? "").padEnd(9, "0"));
  return (seconds - offset) * 1_000_000_000n + nanos;
}

/** Both are RFC 3339 times of the same instant. */
export function sameInstant(a: string, b: string): boolean {
  const x = rfc3339Instant(a);
  return x !== undefined && x === rfc3339Instant(b);
}
