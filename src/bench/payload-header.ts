/**
 * The first bytes of every bench payload, so a subscriber can tell whose message it is, where it
 * belongs in its stream, and how long it took, without any state shared with the publisher:
 *
 *   offset size  field
 *        0    2  magic "MB"
 *        2    1  layout version (1)
 *        3    1  reserved (0)
 *        4    4  run id: random per `mqtt bench` run, so leftovers of an earlier run are not counted
 *        8    4  publisher index within the run
 *       12    4  sequence number, 0, 1, 2 … per publisher
 *       16    4  send time, seconds of the monotonic clock
 *       20    4  send time, nanoseconds within that second
 *
 * All big-endian. The clock is process.hrtime (CLOCK_MONOTONIC on Linux), which every process on
 * one host shares, so latency is meaningful when publisher and subscriber run on the same machine
 * (threads of one `mqtt bench`, or `bench pub` and `bench sub` side by side), not across hosts.
 */

export const HEADER_SIZE = 24;
const MAGIC_0 = 0x4d; // 'M'
const MAGIC_1 = 0x42; // 'B'
const LAYOUT_VERSION = 1;

export const RUN_ID_OFFSET = 4;
export const PUBLISHER_OFFSET = 8;
export const SEQUENCE_OFFSET = 12;
export const TIME_OFFSET = 16;

/** Writes the fixed part of the header; sequence and time are patched per message. */
export function writeHeader(buf: Buffer, offset: number, runId: number, publisher: number): void {
  buf[offset] = MAGIC_0;
  buf[offset + 1] = MAGIC_1;
  buf[offset + 2] = LAYOUT_VERSION;
  buf[offset + 3] = 0;
  buf.writeUInt32BE(runId >>> 0, offset + RUN_ID_OFFSET);
  buf.writeUInt32BE(publisher >>> 0, offset + PUBLISHER_OFFSET);
}

export function isBenchPayload(buf: Buffer, offset: number, length: number): boolean {
  return length >= HEADER_SIZE && buf[offset] === MAGIC_0 && buf[offset + 1] === MAGIC_1 && buf[offset + 2] === LAYOUT_VERSION;
}

/** Monotonic now as [seconds, nanoseconds]; one call stamps a whole batch. */
export function monotonicNow(): [number, number] {
  return process.hrtime();
}

/** Microseconds from a stamped [seconds, nanoseconds] to `now`. */
export function elapsedMicros(sec: number, nsec: number, now: readonly [number, number]): number {
  return (now[0] - sec) * 1e6 + (now[1] - nsec) / 1e3;
}
