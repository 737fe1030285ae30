/**
 * The progress line drawn on a terminal: one line, redrawn in place, below
 * the reference's own lines.  `renderProgress` turns an event into text (a
 * pure function); `ProgressDisplay` decides when to draw it and clears it
 * before each log line and at the end.
 */
import type { ProgressEvent } from "../passes/progress-event.ts";

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] as const;

/** The power of 1024 for `bytes`: the largest unit it is at least one of. */
function exponentFor(bytes: number): number {
  let exponent = 0;
  while (exponent < UNITS.length - 1 && bytes >= 1024 ** (exponent + 1)) exponent++;
  return exponent;
}

/** `bytes` in the unit of `exponent`: one decimal below 10, none from 10 up (and none for bytes). */
function amount(bytes: number, exponent: number): string {
  const value = bytes / 1024 ** exponent;
  return value.toFixed(exponent === 0 || value >= 10 ? 0 : 1);
}

/** 0 → "0 B", 1536 → "1.5 KiB", 412 * 2**20 → "412 MiB". */
export function formatBytes(bytes: number): string {
  const exponent = exponentFor(bytes);
  return `${amount(bytes, exponent)} ${UNITS[exponent]}`;
}

/** Done and total in the total's unit: "300/685 MiB". */
export function formatBytesOf(done: number, total: number): string {
  const exponent = exponentFor(total);
  return `${amount(done, exponent)}/${amount(total, exponent)} ${UNITS[exponent]}`;
}

/** Seconds left, rounded up: "2s", "1m05s", "2h03m". */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.ceil(seconds));
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, "0")}s`;
  return `${Math.floor(whole / 3600)}h${String(Math.floor((whole % 3600) / 60)).padStart(2, "0")}m`;
}

/**
 * The progress line for `event`, with the rate (bytes per second) when known:
 *
 *     layer 1/3 hashing  412 MiB  180 MiB/s
 *     layer 2/3 streaming  300/685 MiB (43%)  210 MiB/s  ETA 2s
 *
 * Layers count from 1 and cover the store layers (the customisation layer
 * is a copy, written after them).  While hashing, a layer's size is not
 * known yet; while streaming, the bytes are those of all store layers.
 */
export function renderProgress(event: ProgressEvent, bytesPerSecond?: number): string {
  const layer = `layer ${event.layer + 1}/${event.layers}`;
  const rate = bytesPerSecond === undefined ? "" : `  ${formatBytes(bytesPerSecond)}/s`;
  if (event.phase === "hashing") return `${layer} hashing  ${formatBytes(event.layerBytesDone)}${rate}`;
  const { imageBytesDone: done, imageBytesTotal: total } = event;
  const percent = total === 0 ? 100 : Math.floor((done * 100) / total);
  const eta = bytesPerSecond === undefined || bytesPerSecond <= 0 ? "" : `  ETA ${formatDuration((total - done) / bytesPerSecond)}`;
  return `${layer} ${event.phase}  ${formatBytesOf(done, total)} (${percent}%)${rate}${eta}`;
}

/** Erases the current line: back to column 0, clear to its end. */
const CLEAR_LINE = "\r\x1b[K";

export interface ProgressDisplayOptions {
  /** Writes to the terminal (stderr). */
  readonly write: (text: string) => void;
  /** Milliseconds (default: performance.now). */
  readonly now?: () => number;
  /** Least time between redraws of the same layer and phase (default 100 ms: 10 a second). */
  readonly intervalMs?: number;
  /** The terminal's width: longer lines are cut, since a wrapped line cannot be redrawn. */
  readonly columns?: number;
}

/**
 * A single status line under the log lines.  Feed it every ProgressEvent
 * and every log line; call finish() at the end (or on an error) to erase it.
 */
export class ProgressDisplay {
  readonly #write: (text: string) => void;
  readonly #now: () => number;
  readonly #intervalMs: number;
  readonly #columns: number | undefined;
  /** Whether a status line is on screen (and must be erased before other output). */
  #shown = false;
  #lastDrawAt = -Infinity;
  #lastDrawn: { phase: string; layer: number } | undefined;
  /** The current phase, when it started, and the bytes it had done then. */
  #phase: { name: ProgressEvent["phase"]; startedAt: number; startBytes: number } | undefined;

  constructor(options: ProgressDisplayOptions) {
    this.#write = options.write;
    this.#now = options.now ?? (() => performance.now());
    this.#intervalMs = options.intervalMs ?? 100;
    this.#columns = options.columns !== undefined && options.columns > 1 ? options.columns : undefined;
  }

  /** Records an event; redraws when the layer or phase changed, or the interval has passed. */
  readonly event = (event: ProgressEvent): void => {
    const now = this.#now();
    const bytes = this.#phaseBytes(event);
    if (this.#phase?.name !== event.phase) this.#phase = { name: event.phase, startedAt: now, startBytes: bytes };
    const changed = this.#lastDrawn === undefined || this.#lastDrawn.phase !== event.phase || this.#lastDrawn.layer !== event.layer;
    if (!changed && now - this.#lastDrawAt < this.#intervalMs) return;
    this.#lastDrawAt = now;
    this.#lastDrawn = { phase: event.phase, layer: event.layer };
    this.#draw(renderProgress(event, this.#rate(now, bytes)));
  };

  /** Writes a log line (without its newline) above the status line, which is erased until the next event. */
  readonly log = (line: string): void => {
    this.#write(`${this.#shown ? CLEAR_LINE : ""}${line}\n`);
    this.#shown = false;
    // The next event draws at once, whatever the interval.
    this.#lastDrawn = undefined;
  };

  /** Erases the status line, if any. */
  readonly finish = (): void => {
    if (this.#shown) this.#write(CLEAR_LINE);
    this.#shown = false;
  };

  /** Bytes done in the event's phase: all layers hashed so far, or all streamed so far. */
  #phaseBytes(event: ProgressEvent): number {
    return event.imageBytesDone;
  }

  /** Bytes per second since the phase began, once it has run long enough to mean something. */
  #rate(now: number, bytes: number): number | undefined {
    if (this.#phase === undefined) return undefined;
    const seconds = (now - this.#phase.startedAt) / 1000;
    return seconds >= 0.2 ? (bytes - this.#phase.startBytes) / seconds : undefined;
  }

  #draw(text: string): void {
    const line = this.#columns !== undefined && text.length >= this.#columns ? text.slice(0, this.#columns - 1) : text;
    this.#write(`\r${line}\x1b[K`);
    this.#shown = true;
  }
}
