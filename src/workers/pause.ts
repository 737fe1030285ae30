/**
 * One pipeline, two ways to wait.  The hash and stream passes are written as
 * generators that yield a Pause wherever they would have to wait (for a hash
 * worker's free slot or its result) and after every chunk of work.  The
 * synchronous API runs them blocking (Atomics.wait, as before); the
 * asynchronous API awaits the same pauses, so the caller's event loop runs
 * between chunks and a worker's 'error'/'exit' events can end the wait.
 */
import { setImmediate as nextTurn } from "node:timers/promises";

export interface Pause {
  /** Blocks the thread until the pipeline may go on. */
  waitSync(): void;
  /** Resolves when the pipeline may go on; the event loop runs meanwhile. */
  waitAsync(): Promise<void>;
}

/**
 * After each chunk of work: nothing to wait for, but the async driver lets
 * the event loop turn (timers, I/O, other requests of a server embedding the
 * library).  One turn per chunk of at most 1 MiB keeps every gap short
 * without measuring time, and costs microseconds per MiB.
 */
export const YIELD: Pause = {
  waitSync: () => {},
  waitAsync: async () => {
    await nextTurn();
  },
};

/** Atomics.waitAsync is in Node 20's V8 but not in TypeScript's ES2022 lib. */
type WaitAsync = (array: Int32Array, index: number, value: number) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/**
 * Waits while `array[index]` still holds `seen` (another thread changes it
 * and notifies): blocking in slices of a second, so a missed wake-up cannot
 * hang a thread that also reads a failure flag; or awaited alongside
 * `ended`, which settles when that thread fails or exits.
 */
export function pauseWhile(array: Int32Array, index: number, seen: number, ended: Promise<unknown>): Pause {
  return {
    waitSync: () => {
      Atomics.wait(array, index, seen, 1000);
    },
    waitAsync: async () => {
      const wait = waitAsync(array, index, seen);
      if (wait.async) await Promise.race([wait.value, ended]);
    },
  };
}

/** Runs steps to their result, blocking at each pause. */
export function runSync<T>(steps: Generator<Pause, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    step.value.waitSync();
  }
}

/** Runs steps to their result, awaiting each pause. */
export async function runAsync<T>(steps: Generator<Pause, T>): Promise<T> {
  try {
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
      await step.value.waitAsync();
    }
  } finally {
    // A rejected wait leaves the generator suspended: close its files and hashers.
    steps.return(undefined as T);
  }
}

/** The chunks of a stream of chunks and pauses, blocking at each pause. */
export function* chunksSync(items: Generator<Buffer | Pause, void>): Generator<Buffer, void> {
  try {
    for (const item of items) {
      if (Buffer.isBuffer(item)) yield item;
      else item.waitSync();
    }
  } finally {
    items.return();
  }
}

/** The chunks of a stream of chunks and pauses, awaiting each pause. */
export async function* chunksAsync(items: Generator<Buffer | Pause, void>): AsyncGenerator<Buffer, void> {
  try {
    for (;;) {
      const item = items.next();
      if (item.done) return;
      if (Buffer.isBuffer(item.value)) yield item.value;
      else await item.value.waitAsync();
    }
  } finally {
    items.return();
  }
}

/**
 * Steps that wait for `promise` and return its value (or throw its error):
 * for the asynchronous driver only, since a promise settles only when this
 * thread's event loop runs (the synchronous driver throws at once).
 */
export function* awaiting<T>(promise: Promise<T>): Generator<Pause, T> {
  type Outcome = { settled: false } | { settled: true; value: T } | { settled: true; error: unknown };
  let state = { settled: false } as Outcome;
  const done = promise.then(
    (value) => void (state = { settled: true, value }),
    (error: unknown) => void (state = { settled: true, error }),
  );
  const pause: Pause = {
    waitSync: () => {
      throw new Error("this step waits for a promise: run it with the asynchronous API");
    },
    waitAsync: () => done,
  };
  while (!state.settled) yield pause;
  if ("error" in state) throw state.error;
  return state.value;
}
