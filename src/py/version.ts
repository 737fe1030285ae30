/**
 * CPython versions whose observable behaviour we reproduce.  Each one differs
 * in small ways that reach the output of stream_layered_image.py (Unicode
 * database behind `str.isprintable()`, json error texts, recursion limits...),
 * so every Python-compatible routine that depends on one takes a profile.
 */
export type PythonVersion = "3.8" | "3.9" | "3.10" | "3.11" | "3.12" | "3.13";

/** All supported versions, oldest first. */
export const PYTHON_VERSIONS: readonly PythonVersion[] = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"];

export function isPythonVersion(value: string): value is PythonVersion {
  return (PYTHON_VERSIONS as readonly string[]).includes(value);
}
