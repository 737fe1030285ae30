import { archivePathsTo } from "../../src/layer/layer.ts";
import { BufferSink, Sha256Sink } from "../../src/layer/sinks.ts";
import type { PythonVersion } from "../../src/py/version.ts";

export async function ourLayer(paths: readonly string[], mtime: string, root: string, python: PythonVersion): Promise<Buffer> {
  const sink = new BufferSink();
  await archivePathsTo(sink, paths, BigInt(mtime), { root, python });
  return sink.toBuffer();
}

export async function ourLayerDigest(paths: readonly string[], mtime: string, root: string, python: PythonVersion): Promise<{ sha256: string; size: number }> {
  const sink = new Sha256Sink();
  await archivePathsTo(sink, paths, BigInt(mtime), { root, python });
  return sink.extract();
}
