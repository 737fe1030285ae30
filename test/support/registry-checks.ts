/**
 * What the registry tests check with: whether they can run here (a
 * registry, and skopeo to read back what it holds), skopeo run to success,
 * and the one line a failing CLI run prints.
 */
import assert from "node:assert/strict";
import { runTool, toolMissing } from "./client-tools.ts";
import { registryMissing } from "./registry.ts";

/** Why the registry tests cannot run here, or undefined. */
export function registryTestsMissing(): string | undefined {
  return registryMissing() ?? toolMissing("skopeo")?.replace(/^SKIPPED: /, "");
}

export function skopeo(args: string[]): string {
  const result = runTool("skopeo", args);
  assert.equal(result.status, 0, `skopeo ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/** The one error line, and nothing else, on stderr (the CLI ran with --quiet). */
export function oneLine(stderr: string): string {
  const lines = stderr.split("\n").filter((line) => line !== "");
  assert.equal(lines.length, 1, `one line expected: ${stderr}`);
  return lines[0]!;
}
