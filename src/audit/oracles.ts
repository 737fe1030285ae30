/**
 * Which oracle (script generation × `--python`, see profile/oracle.ts) would
 * have written an image: the config member's name is the sha256 of a JSON
 * that lists every layer's diff_id, so equal config names mean equal images.
 * Oracles often agree, so they are grouped: per generation, the CPython
 * versions that give one result.
 */
import { prepareImage } from "../image/image.ts";
import type { ImageOptions } from "../image/types.ts";
import type { PythonVersion } from "../profile/python.ts";
import type { ImageConf } from "../conf/validate.ts";
import type { MicrosecondClock } from "../py/datetime/datetime.ts";
import type { Generation } from "../profile/generation.ts";
import { ORACLES, type Oracle } from "../profile/oracle.ts";

/** The conf as read for one oracle; `generation` undefined: as detected (or chosen on the command line). */
export type ConfForOracle = (python: PythonVersion, generation?: Generation) => ImageConf;

/** The oracles of one generation that give the same result. */
export interface OracleOutcome {
  /** Their script generation. */
  readonly generation: Generation;
  /** Their CPython versions. */
  readonly versions: readonly PythonVersion[];
  /** The config member name they produce, or undefined when they reject the conf. */
  readonly config: string | undefined;
  /** Why they reject the conf (a `created` 3.8 cannot parse, ...). */
  readonly error: string | undefined;
}

export interface OracleSearchOptions {
  readonly root?: string;
  readonly now?: MicrosecondClock;
  /** An oracle whose config name is already known (the one just verified against). */
  readonly known?: Oracle & { readonly config: string };
  /** The digest cache of the oracles' hash passes (none when absent): its config names are only a diagnosis. */
  readonly digestCache?: ImageOptions["digestCache"];
}

/** Runs the hash passes of every oracle (none streamed) and groups them by generation and the config they give. */
export function oracleOutcomes(confFor: ConfForOracle, options: OracleSearchOptions = {}): OracleOutcome[] {
  const groups = new Map<string, { generation: Generation; versions: PythonVersion[]; config: string | undefined; error: string | undefined }>();
  for (const { generation, python } of ORACLES) {
    let config: string | undefined;
    let error: string | undefined;
    if (options.known?.python === python && options.known.generation === generation) config = options.known.config;
    else {
      try {
        const conf = confFor(python, generation);
        // A caller that hands one fixed conf cannot be asked for another generation's.
        if (conf.generation !== generation) continue;
        const image = prepareImage(conf, { python, root: options.root, now: options.now, digestCache: options.digestCache });
        image.close();
        config = image.configName;
      } catch (caught) {
        error = (caught as Error).message;
      }
    }
    const key = `${generation}:${config ?? `error:${error}`}`;
    const group = groups.get(key) ?? { generation, versions: [], config, error };
    group.versions.push(python);
    groups.set(key, group);
  }
  return [...groups.values()];
}
