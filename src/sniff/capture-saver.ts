import { createWriteStream, type WriteStream } from 'node:fs';
import type { CapturedFrame } from './frame.js';
import { classicPcapHeader, classicPcapRecord } from './pcap-writer.js';

/** cap's snaplen: no live frame is longer */
const LIVE_SNAPLEN = 65535;

/**
 * `-w FILE`: every frame of a live capture (MQTT or not, as the filter let it through) saved as a
 * classic µs pcap, like `tcpdump -w`, so what was seen can be read again with `-r`, tshark or
 * Wireshark. Records are copied at once: cap rewrites its one frame buffer for the next packet.
 */
export class CaptureSaver {
  private started = false;

  private constructor(
    private readonly out: WriteStream,
    readonly path: string,
  ) {}

  /** Opens (creates or truncates) the file now, so a bad path fails before capturing starts. */
  static async open(path: string): Promise<CaptureSaver> {
    const out = createWriteStream(path);
    await new Promise<void>((resolve, reject) => {
      out.once('open', () => resolve());
      out.once('error', reject);
    });
    return new CaptureSaver(out, path);
  }

  /** The file header; the link type is known only once the interface is open. */
  start(linkType: number): void {
    this.out.write(classicPcapHeader({ linkType, snapLen: LIVE_SNAPLEN }));
    this.started = true;
  }

  write(frame: CapturedFrame): void {
    if (this.started) this.out.write(classicPcapRecord(frame, {}));
  }

  /** Resolves once every record is on disk; rejects with the write error, if there was one. */
  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.out.once('error', reject);
      this.out.end(() => resolve());
    });
  }
}
