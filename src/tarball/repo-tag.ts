/**
 * Whether a docker-archive's RepoTags entry is the NAME:TAG asked for,
 * compared as Docker normalises names: `hello` is
 * `docker.io/library/hello:latest`, a first component without "." or ":"
 * (and not localhost) is a Docker Hub namespace.  So `hello:v1` finds
 * skopeo's `docker.io/library/hello:v1`, and `localhost/app:1` podman's.
 */

/** `hello` → `docker.io/library/hello:latest`. */
export function normaliseRepoTag(text: string): string {
  const slash = text.lastIndexOf("/");
  const colon = text.lastIndexOf(":");
  const name = colon > slash ? text.slice(0, colon) : text;
  const tag = colon > slash ? text.slice(colon + 1) : "latest";
  const first = name.split("/")[0]!;
  const hasHost = name.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  const full = hasHost ? name : `docker.io/${name.includes("/") ? name : `library/${name}`}`;
  return `${full}:${tag}`;
}

export function repoTagsMatch(listed: string, wanted: string): boolean {
  return listed === wanted || normaliseRepoTag(listed) === normaliseRepoTag(wanted);
}
