/**
 * What every capture source (pcap file, pcapng file, live libpcap) hands the decoder: one link-layer
 * frame. `data` may be a view into a buffer the source reuses, so consumers parse it synchronously
 * and copy what they keep.
 */
export interface CapturedFrame {
  /** LINKTYPE_* number of the interface the frame came from */
  readonly linkType: number;
  /** capture time: whole seconds since the epoch and nanoseconds within the second */
  readonly sec: number;
  readonly nsec: number;
  /** digits the source really has after the decimal point (6 for µs pcap, 9 for ns) */
  readonly precision: number;
  readonly data: Buffer;
  /** length on the wire; larger than data.length when the snaplen cut the frame */
  readonly origLen: number;
}

export type FrameSink = (frame: CapturedFrame) => void;

/** Timestamps travel with their precision so output can print what the capture really holds. */
export interface Timestamp {
  readonly sec: number;
  readonly nsec: number;
  readonly precision: number;
}

/** "1712345678.123456" with as many decimals as the capture has (tshark's frame.time_epoch shape). */
export function epochString(t: Timestamp): string {
  const frac = String(t.nsec).padStart(9, '0').slice(0, t.precision);
  return t.precision > 0 ? `${t.sec}.${frac}` : String(t.sec);
}

/** Seconds between two timestamps as a float (for keepalive checks and rates). */
export function secondsBetween(a: Timestamp, b: Timestamp): number {
  return b.sec - a.sec + (b.nsec - a.nsec) / 1e9;
}
