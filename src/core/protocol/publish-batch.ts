import type { ProtocolVersion } from './types.js';
import { MAX_REMAINING_LENGTH } from './codec.js';
import { varintLength } from './publish-encoder.js';

/**
 * QoS 0 PUBLISH frames for many payloads to one topic, in one buffer: `pub -l` sends a message per
 * input line, and building a packet object, a frame and a promise for each line cost it most of
 * its time. Bytes are those encodePublish makes for each message (checked in tests); without v5
 * properties only, and a payload too large for one packet is the caller's to send otherwise.
 */
export class Qos0PublishBatcher {
  /** topic length, topic, and for v5 the empty property block: the same in every frame */
  private readonly middle: Buffer;
  private readonly first: number;

  constructor(topic: string, retain: boolean, version: ProtocolVersion) {
    const topicBytes = Buffer.from(topic, 'utf8');
    this.middle = Buffer.allocUnsafe(2 + topicBytes.length + (version === 5 ? 1 : 0));
    this.middle.writeUInt16BE(topicBytes.length, 0);
    topicBytes.copy(this.middle, 2);
    if (version === 5) this.middle[this.middle.length - 1] = 0;
    this.first = 0x30 | (retain ? 1 : 0);
  }

  /** Whether this payload fits one PUBLISH. */
  fits(payload: Buffer): boolean {
    return this.middle.length + payload.length <= MAX_REMAINING_LENGTH;
  }

  /** The frames of every payload, back to back; every payload must fit. */
  encode(payloads: readonly Buffer[]): Buffer {
    const middle = this.middle;
    let total = 0;
    for (const p of payloads) {
      const remaining = middle.length + p.length;
      total += 1 + varintLength(remaining) + remaining;
    }
    const out = Buffer.allocUnsafe(total);
    let pos = 0;
    for (const p of payloads) {
      out[pos++] = this.first;
      let remaining = middle.length + p.length;
      do {
        let byte = remaining % 128;
        remaining = Math.floor(remaining / 128);
        if (remaining > 0) byte |= 0x80;
        out[pos++] = byte;
      } while (remaining > 0);
      pos += middle.copy(out, pos);
      pos += p.copy(out, pos);
    }
    return out;
  }
}
