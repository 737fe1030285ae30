/**
 * Which `--python` profile would have written an image: the config member's
 * name is the sha256 of a JSON that lists every layer's diff_id, so equal
 * config names mean equal images.  Profiles often agree, so they are grouped.
 */
import { prepareImage } from "../image.js";
import { PYTHON_VERSIONS, type PythonVersion } from "../profile.js";
import type { ImageConf } from "../conf.js";
import type { MicrosecondClock } from "../py/datetime.js";

export interface ProfileOutcome {
  /** Profiles that give the same result. */
  readonly versions: readonly PythonVersion[];
  /** The config member name they produce, or undefined when they reject the conf. */
  readonly config: string | undefined;
  /** Why they reject the conf (a `created` 3.8 cannot parse, ...). */
  readonly error: string | undefined;
}

export interface ProfileOptions {
  readonly root?: string;
  readonly now?: MicrosecondClock;
  /** A profile whose config name is already known (the one just verified against). */
  readonly known?: { readonly python: PythonVersion; readonly config: string };
}

/** Runs the hash passes of every profile (none streamed) and groups them by the config they give. */
export function profileOutcomes(confFor: (python: PythonVersion) => ImageConf, options: ProfileOptions = {}): ProfileOutcome[] {
  const groups = new Map<string, { versions: PythonVersion[]; config: string | undefined; error: string | undefined }>();
  for (const python of PYTHON_VERSIONS) {
    let config: string | undefined;
    let error: string | undefined;
    if (options.known?.python === python) config = options.known.config;
    else {
      try {
        config = prepareImage(confFor(python), { python, root: options.root, now: options.now }).configName;
      } catch (caught) {
        error = (caught as Error).message;
      }
    }
    const key = config ?? `error:${error}`;
    const group = groups.get(key) ?? { versions: [], config, error };
    group.versions.push(python);
    groups.set(key, group);
  }
  return [...groups.values()];
}
