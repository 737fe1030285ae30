/**
 * `oci-archive:FILE[:REF]`: an OCI image layout inside a tar file (skopeo
 * copy, podman save --format oci-archive), read by the one layout reader
 * over the archive's members, never unpacked.
 */
import { OciLayoutSource } from "../oci/layout-reader.ts";
import { TarFiles } from "./tar-files.ts";

export class OciArchiveSource extends OciLayoutSource {
  /** `name` is the image as the user wrote it; REF undefined or "" takes the only image. */
  constructor(name: string, file: string, ref: string | undefined) {
    super("oci-archive", name, new TarFiles(file, name), ref);
  }
}
