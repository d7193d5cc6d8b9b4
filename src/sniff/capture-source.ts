import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { readCaptureStream, type ReadControl, type ReadResult } from './capture-file.js';
import type { FrameSink } from './frame.js';
import { LiveCapture, type LiveCaptureOptions } from './live-capture.js';

export type CaptureSource = { file: string } | { live: LiveCaptureOptions };

export interface CaptureControl extends ReadControl {
  /** resolves when the capture should end (-c reached, output closed, signal) */
  untilStopped: Promise<void>;
  /** live capture only: called once the interface is open and frames can arrive */
  onOpen?(linkType: number): void;
}

/** Opens a capture file, or stdin for "-"; rejects with the system error when it cannot. */
async function openFile(path: string): Promise<Readable> {
  if (path === '-') return process.stdin;
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  return stream;
}

/** Feeds every frame of the source to `sink` until it ends or `control.stopped`. */
export async function runCaptureSource(source: CaptureSource, sink: FrameSink, control: CaptureControl): Promise<ReadResult> {
  if ('file' in source) {
    const input = await openFile(source.file);
    // a pipe that stays open (`tcpdump -w - | mqtt sniff -r -`) must not hold a Ctrl-C back
    void control.untilStopped.then(() => input.destroy());
    try {
      return await readCaptureStream(input, sink, control);
    } finally {
      if (input !== process.stdin) input.destroy();
    }
  }
  const capture = await LiveCapture.open(source.live, sink);
  control.onOpen?.(capture.linkType);
  try {
    await control.untilStopped;
  } finally {
    capture.close();
  }
  return { truncatedBytes: 0 };
}
