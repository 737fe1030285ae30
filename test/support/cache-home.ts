/**
 * Imported for its effect: points `$XDG_CACHE_HOME` of this test process,
 * and of every CLI it starts, at a temporary directory removed at exit.
 * The image command, streamImage, writeImage, digest, verify, diff, push
 * and oci keep a digest cache there by default, and no test may read or
 * fill the user's.  Support modules that run the CLI or stream an image
 * import it, so a test file that uses them is covered without a word; a
 * test that wants its own empty home still calls useTemporaryCacheHome().
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const home = mkdtempSync(join(tmpdir(), "sli-cache-home-"));
process.env["XDG_CACHE_HOME"] = home;
process.on("exit", () => rmSync(home, { recursive: true, force: true }));

/** The digest cache directory the CLI and the library use by default in this process (while no test moved $XDG_CACHE_HOME). */
export const TEST_DIGEST_CACHE = join(home, "stream-layered-image", "digests");
