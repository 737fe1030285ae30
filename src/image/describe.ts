/**
 * What the image says about itself: the layers in manifest order (base,
 * store, customisation), the config JSON with its history comments, and
 * manifest.json, dumped byte for byte as the reference's `main()` does.
 */
import { createHash } from "node:crypto";
import type { ImageConf } from "../conf/validate.ts";
import type { CustomisationLayer } from "../layer/customisation-layer.ts";
import type { BaseImage } from "../base-image/base-image.ts";
import type { HashedLayer } from "../passes/hash-passes.ts";
import type { PythonVersion } from "../profile/python.ts";
import { isoformat, type PyDateTime } from "../py/datetime/datetime.ts";
import { dumpsPythonJson } from "../py/json/json.ts";
import { reprList, strValue } from "../py/repr.ts";
import type { PyDict, PyValue } from "../py/value.ts";
import type { ImageDescription, ImageLayer } from "./types.ts";

/** `str(store_layer)`: how print() and the history comment show layer `num` as the conf gives it (a list, a dict, ""). */
export function layerText(conf: ImageConf, num: number, python: PythonVersion): string {
  return strValue(conf.storeLayerValues?.[num] ?? [...conf.storeLayers[num]!], python);
}

/** The image's layers as the manifest lists them: the base image's first, as the script's add_base_layers writes them, then the store layers, then the customisation layer. */
export function imageLayers(conf: ImageConf, base: BaseImage | undefined, hashed: readonly HashedLayer[], customisation: CustomisationLayer): ImageLayer[] {
  const baseLayers: ImageLayer[] = (base?.layers ?? []).map((layer) => ({
    sha256: layer.sha256,
    size: Number(layer.header.size),
    path: layer.path,
    storePaths: [layer.path],
    kind: "base" as const,
    customisation: false,
  }));
  const layers: ImageLayer[] = [
    ...baseLayers,
    ...hashed.map(({ sha256, size }, num) => ({
      sha256,
      size,
      path: `${sha256}/layer.tar`,
      storePaths: conf.storeLayers[num]!,
      kind: "store" as const,
      customisation: false,
    })),
  ];
  layers.push({
    sha256: customisation.checksum,
    size: customisation.size,
    path: `${customisation.checksum}/layer.tar`,
    storePaths: [conf.customisationLayer],
    kind: "customisation",
    customisation: true,
  });
  return layers;
}

/** The config JSON and manifest.json exactly as the reference's `main()` dumps them. */
export function describeImage(conf: ImageConf, python: PythonVersion, created: PyDateTime, mtime: bigint, layers: ImageLayer[], config: PyValue = conf.config): ImageDescription {
  const baseCount = layers.filter((layer) => layer.kind === "base").length;
  const createdText = isoformat(created);
  const configJson: PyDict = new Map<string, PyValue>([
    ["created", createdText],
    ["architecture", conf.architecture],
    ["os", "linux"],
    ["config", config],
    [
      "rootfs",
      new Map<string, PyValue>([
        ["diff_ids", layers.map((layer) => `sha256:${layer.sha256}`)],
        ["type", "layers"],
      ]),
    ],
    [
      "history",
      layers.map(
        (layer, num) =>
          new Map<string, PyValue>([
            ["created", createdText],
            ["comment", `store paths: ${layer.kind === "store" ? layerText(conf, num - baseCount, python) : reprList([...layer.storePaths], python)}`],
          ]),
      ),
    ],
  ]);
  const configBytes = Buffer.from(dumpsPythonJson(configJson, 4, { profile: python }), "utf8");
  const configName = `${createHash("sha256").update(configBytes).digest("hex")}.json`;
  const manifest: PyValue = [
    new Map<string, PyValue>([
      ["Config", configName],
      ["RepoTags", [conf.repoTag]],
      ["Layers", layers.map((layer) => layer.path)],
    ]),
  ];
  const manifestBytes = Buffer.from(dumpsPythonJson(manifest, 4, { profile: python }), "utf8");
  return { mtime, layers, configName, configBytes, manifestBytes };
}
