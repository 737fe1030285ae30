/** StreamSink never leaves the producer waiting on a stream that went away. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { StreamClosedError, StreamSink } from "../src/layer/sinks.ts";

/** A stream that never drains: every write is left pending. */
function stuck(): Writable {
  return new Writable({ highWaterMark: 1, write: () => {} });
}

test("a stream destroyed without an error while the sink waits for 'drain': the wait rejects", async () => {
  const stream = stuck();
  const sink = new StreamSink(stream);
  const wait = sink.write(Buffer.from("more than the high water mark"));
  assert.ok(wait instanceof Promise, "backpressure: the sink must wait");
  stream.destroy();
  await assert.rejects(wait, StreamClosedError);
});

test("a stream destroyed with an error while waiting: the error", async () => {
  const stream = stuck();
  const sink = new StreamSink(stream);
  const wait = sink.write(Buffer.from("more than the high water mark"));
  stream.destroy(new Error("broken pipe"));
  await assert.rejects(wait as Promise<void>, /broken pipe/);
});

test("writing to a stream already closed throws at once", () => {
  const stream = stuck();
  stream.destroy();
  assert.throws(() => new StreamSink(stream).write(Buffer.from("x")), StreamClosedError);
});

test("a stream that drains: the wait resolves", async () => {
  let release: (() => void) | undefined;
  const stream = new Writable({ highWaterMark: 1, write: (_chunk, _encoding, done) => (release = done) });
  const wait = new StreamSink(stream).write(Buffer.from("xx"));
  release!();
  await wait;
});
