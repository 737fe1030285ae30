/**
 * --output FILE.  A file (or a name not yet taken) gets the whole image or
 * stays untouched: the image goes to a temporary file beside it, renamed
 * over it only once complete.  Something that is not a regular file (a
 * device such as /dev/null, a FIFO, /dev/stdout) is written in place, as
 * stdout would be: renaming over it would replace the device itself.
 */
import { closeSync, createWriteStream, fsyncSync, openSync, realpathSync, renameSync, rmSync, statSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";
import type { Writable } from "node:stream";

/** --output FILE cannot be written: a bad-input error, found before any hashing. */
export class OutputFileError extends Error {}

export interface Output {
  /** Streams the image into it; on any failure nothing is left that looks complete (where that can be helped). */
  write(fill: (stream: Writable) => Promise<void>): Promise<void>;
  /** Gives up before writing: a temporary file is removed. */
  discard(): void;
}

function openFailure(target: string, error: unknown, doing: string): OutputFileError {
  const { code, message } = error as NodeJS.ErrnoException;
  return new OutputFileError(`Cannot write --output ${JSON.stringify(target)}: ${code ?? message} ${doing}`, { cause: error });
}

/** Streams the image into `fd` and ends the stream (the descriptor stays open). */
async function streamInto(fd: number, fill: (stream: Writable) => Promise<void>): Promise<void> {
  const stream = createWriteStream("", { fd, autoClose: false });
  // Failures reach the caller through the write callbacks; the event would crash.
  stream.on("error", () => {});
  await fill(stream);
  await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

/** Opens --output FILE up front (a missing or read-only directory is bad input, reported before the hash passes). */
export function openOutput(target: string): Output {
  let existing;
  try {
    existing = statSync(target);
  } catch {
    return ReplacedFile.create(target, target);
  }
  if (existing.isDirectory()) throw new OutputFileError(`Cannot write --output ${JSON.stringify(target)}: it is a directory`);
  // Through a symlink, the file it names is replaced, and the link kept.
  if (existing.isFile()) return ReplacedFile.create(target, realpathSync(target));
  try {
    return new InPlace(openSync(target, "w"));
  } catch (error) {
    throw openFailure(target, error, "opening it");
  }
}

/** A device or FIFO: written like stdout; a failure midway leaves what was written. */
class InPlace implements Output {
  private readonly fd: number;
  private closed = false;

  constructor(fd: number) {
    this.fd = fd;
  }

  async write(fill: (stream: Writable) => Promise<void>): Promise<void> {
    try {
      await streamInto(this.fd, fill);
    } finally {
      this.discard();
    }
  }

  discard(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** A temporary file beside the target, renamed over it only once the image is complete. */
class ReplacedFile implements Output {
  private readonly target: string;
  private readonly temporary: string;
  private readonly fd: number;
  /** Closed already: the number may belong to another file by now, so never close it twice. */
  private closed = false;

  private constructor(target: string, temporary: string, fd: number) {
    this.target = target;
    this.temporary = temporary;
    this.fd = fd;
  }

  static create(shownAs: string, target: string): ReplacedFile {
    const temporary = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
    try {
      return new ReplacedFile(target, temporary, openSync(temporary, "wx", 0o644));
    } catch (error) {
      throw openFailure(shownAs, error, `creating ${JSON.stringify(temporary)}`);
    }
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  async write(fill: (stream: Writable) => Promise<void>): Promise<void> {
    try {
      await streamInto(this.fd, fill);
      fsyncSync(this.fd);
      this.close();
      renameSync(this.temporary, this.target);
    } catch (error) {
      this.discard();
      throw error;
    }
  }

  discard(): void {
    try {
      this.close();
    } finally {
      rmSync(this.temporary, { force: true });
    }
  }
}
