#!/usr/bin/env node
/** stream-layered-image CONF: a drop-in for `python3 stream_layered_image.py CONF`. */
import { runCli } from "./cli/run.ts";

// A reader that goes away (`| head -c 100`) makes late writes fail with EPIPE;
// runCli already chose the exit code, so those errors are not news.
process.stdout.on("error", () => {});

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: (text) => process.stderr.write(text),
  // A progress line only where someone watches, and the terminal can redraw a line.
  terminal: process.stderr.isTTY === true && process.env["TERM"] !== "dumb",
  columns: process.stderr.columns,
});
