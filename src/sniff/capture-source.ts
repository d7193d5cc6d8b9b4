import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { readCaptureStream, type ReadResult } from './capture-file.js';
import type { FrameSink } from './frame.js';
import { LiveCapture, type LiveCaptureOptions } from './live-capture.js';

export type CaptureSource = { file: string } | { live: LiveCaptureOptions };

export interface CaptureControl {
  /** set once no more frames are wanted (-c reached, output closed, signal) */
  stopped: boolean;
  /** awaited between file chunks: lets a slow output slow the reading down */
  pause(): Promise<void>;
  /** live capture only: resolves when the capture should end */
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
