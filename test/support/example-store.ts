/** The example store of `npm start` (example/), copied with Nix's modes for a test. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { copyAsNixStore, removeNixStoreCopy } from "../../src/demo/nix-store-copy.ts";
import { REPO_ROOT } from "./reference.ts";

export const EXAMPLE_DIR = join(REPO_ROOT, "example");
export const EXAMPLE_CONF = join(EXAMPLE_DIR, "conf.json");

/** The reference's stderr for the example conf (checked against the live reference when this was written). */
export const EXAMPLE_LOG = [
  "Creating layer 0 from paths: ['/nix/store/a397jcmr3wx77iwdw1awxa8qdjmb9kpm-hello-greetings-1.0']",
  "Creating layer 1 from paths: ['/nix/store/dhcb9jz9r22yrwjj82la99bbl6chybxm-hello-2.12.1']",
  "Creating the customisation layer...",
  "Adding manifests...",
  "Done.",
  "",
].join("\n");

/** The current script's stderr for example/conf-current.json (checked against it when this was written). */
export const EXAMPLE_CURRENT_LOG = [
  "No 'fromImage' provided",
  "Creating layer 1 from paths: ['/nix/store/a397jcmr3wx77iwdw1awxa8qdjmb9kpm-hello-greetings-1.0']",
  "Creating layer 2 from paths: ['/nix/store/dhcb9jz9r22yrwjj82la99bbl6chybxm-hello-2.12.1']",
  "Creating layer 3 with customisation...",
  "Adding manifests...",
  "Done.",
  "",
].join("\n");

/** example/conf-current.json's image id (the current script under CPython 3.13 wrote the same bytes). */
export const EXAMPLE_CURRENT_IMAGE = "4bfc2b314d633a55b9eb9691c3f9a4203722ab46847c1064ebaf520cde3b72ae";

/** The example's digests: its store is copied with fixed modes, so they never vary. */
export const EXAMPLE_DIGESTS = {
  image: "adbfde93515986db895219059074691928473fdabbc52b0a24c9e7d373dfed92",
  layers: [
    "545a89b0fe34f3129b6471e6897df19ca3f04468fe3827de9eb3485c0946cdcb",
    "b554fc2859118854d13f334a3cb795139d81e989ac1a7aacccd6fbd7ad3da0b1",
    "e4373af32994f7bc87ab02fdbb320fcd82d02e0e96f8e640f219b8fe5a8ee64b",
  ],
};

export interface ExampleStore {
  /** The directory to pass as --root. */
  readonly root: string;
  remove(): void;
}

export function makeExampleStore(label = "example"): ExampleStore {
  const root = mkdtempSync(join(tmpdir(), `sli-${label}-`));
  copyAsNixStore(join(EXAMPLE_DIR, "nix"), join(root, "nix"));
  return { root, remove: () => removeNixStoreCopy(root) };
}
