/**
 * Seeded random store trees for differential testing: every entry kind and
 * the name traps of TRAPS.md (lengths around 100, 255-byte components,
 * non-ASCII, raw non-UTF-8 bytes, code point order, dotfiles).
 */
import type { TreeEntry } from "./tree-spec.ts";
import { storePath } from "../fixtures/layer-fixtures.ts";
import { Prng } from "./prng.ts";

/** Prng with an inclusive integer range, which the tree shapes read best with. */
class Random extends Prng {
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }
}

/** Pieces names are made of; lone surrogates stand for raw bytes (surrogateescape). */
const NAME_PIECES = ["a", "b", "Z", "0", "-", ".", "_", "~", " ", "é", "ß", "日本", "😀", "\ue000", "\ufffd", "\ud7ff", "\udcff", "\udc80", "\udce9", "\udcc3", "x"];
const MODES = ["0644", "0755", "0600", "0444", "0555", "4755", "2755", "1777", "0000", "0777", "0640"];

function randomName(r: Random, parentLength: number): string {
  const style = r.between(0, 9);
  if (style === 0) {
    // A member name of exactly 99, 100 or 101 characters.
    const target = r.pick([98, 99, 100, 101, 102]) - parentLength - 1;
    if (target >= 1) return r.pick(["n", "é", "m"]).repeat(target);
  }
  if (style === 1 && r.chance(0.3)) return r.pick(["c", "\udcff", "d"]).repeat(r.pick([120, 254, 255]));
  let name = r.chance(0.15) ? "." : "";
  const pieces = r.between(1, 6);
  for (let i = 0; i < pieces; i++) name += r.pick(NAME_PIECES);
  return name === "." || name === ".." ? name + "x" : name;
}

function byteLength(name: string): number {
  let n = 0;
  for (const ch of name) {
    const cp = ch.codePointAt(0)!;
    n += cp >= 0xdc80 && cp <= 0xdcff ? 1 : Buffer.byteLength(ch, "utf8");
  }
  return n;
}

function randomContent(r: Random): { text: string } | { repeat: { text: string; count: number } } {
  const size = r.pick([0, 1, 100, 511, 512, 513, 1024, 1500, 4096, 10239, 10240, 10241, 20000]);
  return size < 3 ? { text: "xy".slice(0, size) } : { repeat: { text: r.pick(["abc", "é", "\n", "zz"]), count: Math.ceil(size / 3) } };
}

export interface RandomStore {
  readonly entries: TreeEntry[];
  readonly storePaths: string[];
}

/** `count` store paths of a few dozen entries each, some of them plain files or symlinks. */
export function randomStore(seed: number, count: number, allowDevices: boolean): RandomStore {
  const r = new Random(seed);
  const entries: TreeEntry[] = [];
  const storePaths: string[] = [];
  const files: string[] = [];

  const fill = (dir: string, depth: number, budget: { left: number }): void => {
    const used = new Set<string>();
    const children = r.between(0, depth === 0 ? 8 : 5);
    for (let i = 0; i < children && budget.left > 0; i++) {
      const name = randomName(r, [...dir].length);
      if (used.has(name) || byteLength(name) > 255 || byteLength(dir) + byteLength(name) > 3000) continue;
      used.add(name);
      budget.left--;
      const path = `${dir}/${name}`;
      const kind = r.between(0, 19);
      if (kind < 7) {
        entries.push({ path, type: "file", mode: r.pick(MODES), ...randomContent(r) });
        files.push(path);
      } else if (kind < 11 && depth < 4) {
        entries.push({ path, type: "dir", mode: r.pick(MODES) });
        fill(path, depth + 1, budget);
      } else if (kind < 14) {
        const target = r.pick([
          "t".repeat(r.pick([1, 99, 100, 101, 150])),
          "../" + randomName(r, 0),
          randomName(r, 0),
          r.pick(storePaths.length > 0 ? storePaths : ["/nowhere"]),
          "/nix/store/missing",
        ]);
        entries.push({ path, type: "symlink", target });
      } else if (kind < 16 && files.length > 0) {
        entries.push({ path, type: "hardlink", target: r.pick(files) });
      } else if (kind < 17) {
        entries.push({ path, type: "fifo", mode: r.pick(["0644", "0600", "4644"]) });
      } else if (kind < 18 && allowDevices) {
        entries.push({ path, type: r.pick(["char", "block"] as const), mode: "0600", major: r.pick([1, 8, 300, 4095]), minor: r.pick([0, 3, 255, 256, 70000]) });
      } else {
        entries.push({ path, type: "dir", mode: r.pick(MODES) });
      }
    }
  };

  for (let i = 0; i < count; i++) {
    // 33 bytes of hash and dash leave room for a name of at most 222 bytes.
    let name = randomName(r, 44);
    if (byteLength(name) > 200) name = name.slice(0, 60);
    const path = storePath(1000 + seed * 131 + i, name);
    if (storePaths.includes(path)) continue;
    const kind = r.between(0, 9);
    if (kind === 0) {
      entries.push({ path, type: "file", mode: r.pick(MODES), ...randomContent(r) });
      files.push(path);
    } else if (kind === 1 && storePaths.length > 0) {
      entries.push({ path, type: "symlink", target: r.pick(storePaths) });
    } else {
      entries.push({ path, type: "dir", mode: r.pick(["0555", "0755", "1777", "0000"]) });
      fill(path, 0, { left: r.between(5, 40) });
    }
    storePaths.push(path);
  }
  return { entries, storePaths };
}

const MTIMES = ["0", "-1", "1", "1600000000", String(8 ** 11 - 1), String(8 ** 11), "-99999999999", "253402300799"];

/** Layer cases drawn from a random store: 1-3 store paths each, sometimes repeated. */
export function randomLayerCases(seed: number, store: RandomStore, count: number): { paths: string[]; mtime: string }[] {
  const r = new Random(seed ^ 0x5eed);
  const cases: { paths: string[]; mtime: string }[] = [];
  for (let i = 0; i < count; i++) {
    const n = r.between(1, 3);
    const paths: string[] = [];
    for (let k = 0; k < n; k++) paths.push(r.pick(store.storePaths));
    cases.push({ paths, mtime: r.chance(0.3) ? String(r.between(-(2 ** 40), 2 ** 40)) : r.pick(MTIMES) });
  }
  return cases;
}
