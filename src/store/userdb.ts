/**
 * User and group names by id, as tarfile's gettarinfo asks glibc for them
 * (the customisation layer's uname/gname): /etc/passwd and /etc/group read
 * directly, no NSS modules.
 */
import { readFileSync } from "node:fs";
import { fsDecode } from "../py/fsname.ts";

/**
 * pwd.getpwuid(id)[0] / grp.getgrgid(id)[0] through glibc's "files" source:
 * the first line of /etc/passwd or /etc/group with that id; "" when there is
 * none, as tarfile leaves uname/gname empty on KeyError.
 */
function lookup(database: string, id: number): string {
  let text: Buffer;
  try {
    text = readFileSync(database);
  } catch {
    return "";
  }
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf(0x0a, start);
    if (end === -1) end = text.length;
    const line = text.subarray(start, end);
    start = end + 1;
    const fields: Buffer[] = [];
    let fieldStart = 0;
    for (let i = 0; i <= line.length && fields.length < 3; i++) {
      if (i === line.length || line[i] === 0x3a) {
        fields.push(line.subarray(fieldStart, i));
        fieldStart = i + 1;
      }
    }
    const [name, , idField] = fields;
    if (name === undefined || idField === undefined || name.length === 0) continue;
    if (idField.toString("latin1") === String(id)) return fsDecode(name);
  }
  return "";
}

export function userName(uid: number): string {
  return lookup("/etc/passwd", uid);
}

export function groupName(gid: number): string {
  return lookup("/etc/group", gid);
}
