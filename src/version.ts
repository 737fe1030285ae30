/**
 * The package version, kept in the source so that `--version` works from a
 * dist/ copied alone, without package.json (test/package.test.ts
 * checks that it equals package.json's).
 */
export const VERSION = "0.1.0";
