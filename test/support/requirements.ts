/**
 * Skip or fail: the one place that decides what a test does when something
 * it needs is missing on this machine.
 *
 * On a laptop, `npm test` skips such a test and says why (SKIPPED: …), so
 * that a newcomer without root, python or podman still gets a passing run
 * that does not pretend.  In CI (`.ci/run` exports the variables below) the
 * same absence is a failure: a CI whose reference could not be mounted, or
 * whose clients could not be installed, must not go green on skips.
 *
 * Only helpers: this module has no side effects when loaded (node --test
 * also loads every .js file under build/test/ as a test file).
 */
import assert from "node:assert/strict";

/** What a test may find missing, and the variable that makes its absence a failure. */
export const REQUIREMENTS = {
  /** The 2020 reference script, with-store (unshare, namespaces), the CPython interpreters. */
  reference: "SLI_REQUIRE_REFERENCE",
  /** skopeo, bsdtar, podman (able to load), script, git, setpriv, the npm registry. */
  clients: "SLI_REQUIRE_CLIENTS",
  /** Root: fixture entries only root can make (devices, other owners), podman as root, setpriv to nobody. */
  privilege: "SLI_REQUIRE_PRIVILEGE",
  /** A real Nix (nix-build, nix-store, nix copy) to build test/nix/closure.nix. */
  nix: "SLI_REQUIRE_NIX",
} as const;
// The current-generation oracle (SLI_CURRENT_REFERENCE) is optional on
// purpose and has no entry here: CI never requires it (skipOptional).

export type Requirement = keyof typeof REQUIREMENTS;

/** Whether the environment (CI) demands `kind`: its variable is set to 1. */
export function isRequired(kind: Requirement, env: NodeJS.ProcessEnv = process.env): boolean {
  return env[REQUIREMENTS[kind]] === "1";
}

/** The message of a skip or of the failure that replaces it. */
export function missingMessage(kind: Requirement, why: string, env: NodeJS.ProcessEnv = process.env): string {
  const what = why.replace(/^SKIPPED: /, "");
  return isRequired(kind, env) ? `${what} (${REQUIREMENTS[kind]}=1: required here, so this fails instead of skipping)` : `SKIPPED: ${what}`;
}

/**
 * `why` explains what is missing.  Skips the test with that reason, or, when
 * the requirement's variable is set, fails it.  `loud`: also print the skip
 * on stderr, so that it is seen in a passing run (for the few tests whose
 * whole point is the missing thing).
 */
export function skipOrFail(t: { skip(message?: string): void }, kind: Requirement, why: string, loud = false): void {
  const message = missingMessage(kind, why);
  if (isRequired(kind)) assert.fail(message);
  if (loud) process.stderr.write(`\n*** ${message} ***\n`);
  t.skip(message);
}

/**
 * For what no run requires, not even CI (the current-generation oracle named
 * by SLI_CURRENT_REFERENCE): always a skip with the reason.
 */
export function skipOptional(t: { skip(message?: string): void }, why: string, loud = false): void {
  const message = `SKIPPED: ${why.replace(/^SKIPPED: /, "")}`;
  if (loud) process.stderr.write(`\n*** ${message} ***\n`);
  t.skip(message);
}
