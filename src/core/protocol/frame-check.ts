import { validateTopicFilter, validateUtf8 } from '../topic/validate.js';
import { MALFORMED_PACKET, PROTOCOL_ERROR, ProtocolError } from './errors.js';
import { PROPERTY_BY_ID, type PropertyPacket } from './properties.js';

/**
 * A strict walk over one whole packet a client sent to a server, field by field as the spec lays
 * it out, before anything acts on it. mqtt-packet's parser is lenient where the spec says
 * malformed: a string or property whose length runs past the packet becomes `null` and parsing
 * carries on, a repeated property becomes an array, ill-formed UTF-8 becomes U+FFFD, and a QoS 1
 * PUBLISH too short for its packet identifier passes. Such a packet must close the connection
 * (Mosquitto's packet__read_* and property__read_all do the same), so a broker never stores or
 * forwards a value it could not encode again.
 *
 * Reason codes follow the spec: 0x81 Malformed Packet for anything that does not parse, 0x82
 * Protocol Error where the spec names it (a repeated property, a value out of range).
 * Returns undefined when the packet is well formed.
 */
export function checkClientFrame(frame: Buffer, version: number): ProtocolError | undefined {
  try {
    new FrameReader(frame, version).check();
    return undefined;
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw err;
  }
}

const malformed = (why: string) => new ProtocolError(why, MALFORMED_PACKET);

// Properties with a value range the spec makes a Protocol Error to leave (table 2-4 notes):
// Request Problem/Response Information 0 or 1 [MQTT-3.1.2 (3.1.2.11.6, 3.1.2.11.7)], Receive
// Maximum and Maximum Packet Size not 0 (3.1.2.11.3, 3.1.2.11.4), Subscription Identifier not 0
// (3.3.2.3.8, 3.8.2.1.2). Payload Format Indicator has only the values 0 and 1 (3.3.2.3.2,
// 3.1.3.2.3); Mosquitto (2.0.20 on) calls any other a Protocol Error too.
const ZERO_OR_ONE = new Set([0x01, 0x17, 0x19]);
const NOT_ZERO = new Set([0x21, 0x27, 0x0b]);

class FrameReader {
  private pos: number;
  /** where reading stops: the packet's end, or a property section's while inside one */
  private end: number;
  private readonly first: number;

  constructor(
    private readonly buf: Buffer,
    private version: number,
  ) {
    this.first = buf[0]!;
    let i = 1;
    while (buf[i]! & 0x80) i++;
    this.pos = i + 1;
    this.end = buf.length;
  }

  check(): void {
    switch (this.first >> 4) {
      case 1:
        return this.connect();
      case 3:
        return this.publish();
      case 4:
      case 5:
      case 6:
      case 7:
        return this.ack((['puback', 'pubrec', 'pubrel', 'pubcomp'] as const)[(this.first >> 4) - 4]);
      case 8:
        return this.subscribe();
      case 10:
        return this.unsubscribe();
      case 14:
        return this.disconnect();
      case 15:
        return this.auth();
      default:
        // PINGREQ carries nothing; the rest are not a client's to send and are refused by type
        return;
    }
  }

  private get v5(): boolean {
    return this.version === 5;
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.end) throw malformed(`${what} runs past the end of the packet`);
  }

  private u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  private u16(what: string): number {
    this.need(2, what);
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  private u32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** Variable Byte Integer [MQTT-1.5.5-1]: at most 4 bytes, and (as Mosquitto) no overlong form. */
  private varint(what: string): number {
    let value = 0;
    let mult = 1;
    for (let i = 0; i < 4; i++) {
      const b = this.u8(what);
      value += (b & 0x7f) * mult;
      if ((b & 0x80) === 0) {
        if (i > 0 && b === 0) throw malformed(`${what} is an overlong Variable Byte Integer`);
        return value;
      }
      mult *= 128;
    }
    throw malformed(`${what} is longer than 4 bytes`);
  }

  private binary(what: string): void {
    const len = this.u16(`length of ${what}`);
    this.need(len, what);
    this.pos += len;
  }

  /**
   * A UTF-8 Encoded String: well formed, no U+0000 [MQTT-1.5.4-1] [MQTT-1.5.4-2], and, as
   * Mosquitto's mosquitto_validate_utf8 decides (the spec lets a receiver treat them as malformed),
   * no control characters or non-characters. Returns its byte length.
   */
  private string(what: string): number {
    const len = this.u16(`length of ${what}`);
    this.need(len, what);
    const start = this.pos;
    this.pos += len;
    for (let i = start; i < this.pos; i++) {
      const b = this.buf[i]!;
      if (b < 0x20 || b >= 0x7f) {
        const bad = validateUtf8(this.buf.subarray(start, this.pos), { strict: true });
        if (bad !== null) throw malformed(`${what} ${bad.replace(/ at offset \d+$/, '')}`);
        break;
      }
    }
    return len;
  }

  /**
   * A Topic Filter: a string at least one character long [MQTT-4.7.3-1] whose wildcards each take
   * a whole level, '#' last [MQTT-4.7.1-2] [MQTT-4.7.1-3]. A filter that breaks these is not
   * "correctly formed" (v5 keeps SUBACK 0x8F for well-formed filters a client may not use) and,
   * as Mosquitto does, closes the connection as malformed. Shared-subscription rules stay with the
   * SUBSCRIBE handler.
   */
  private topicFilter(): void {
    const start = this.pos + 2;
    const len = this.string('topic filter');
    const bad = validateTopicFilter(this.buf.toString('utf8', start, start + len));
    if (bad !== null) throw malformed(`topic filter: ${bad}`);
  }

  private done(what: string): void {
    if (this.pos !== this.end) throw malformed(`${this.end - this.pos} bytes after the ${what}`);
  }

  /** A v5 property section (2.2.2): every property known, legal for `kind`, inside the section, once. */
  private properties(kind: PropertyPacket): void {
    const length = this.varint(`property length of ${kind.toUpperCase()}`);
    this.need(length, `properties of ${kind.toUpperCase()}`);
    const end = this.pos + length;
    const seen = new Set<number>();
    const outer = this.end;
    // read inside the section only: a value running past it is malformed, whatever follows
    this.end = end;
    try {
      while (this.pos < end) {
        const id = this.varint('property identifier');
        const info = PROPERTY_BY_ID.get(id);
        // 2.2.2.2: an identifier not valid for the packet type is a Malformed Packet
        if (!info) throw malformed(`unknown property identifier 0x${id.toString(16)}`);
        if (!info.packets.has(kind)) throw malformed(`property ${info.name} is not allowed in ${kind.toUpperCase()}`);
        // "It is a Protocol Error to include <property> more than once" (table 2-4 notes;
        // User Property alone may repeat, and a client never sends more than one Subscription
        // Identifier: [MQTT-3.3.4-6] it sends none in PUBLISH, SUBSCRIBE takes one 3.8.2.1.2)
        if (info.type !== 'string-pair') {
          if (seen.has(id)) throw new ProtocolError(`property ${info.name} included more than once`, PROTOCOL_ERROR);
          seen.add(id);
        }
        let value = -1;
        switch (info.type) {
          case 'byte':
            value = this.u8(info.name);
            break;
          case 'two-byte-int':
            value = this.u16(info.name);
            break;
          case 'four-byte-int':
            value = this.u32(info.name);
            break;
          case 'varint':
            value = this.varint(info.name);
            break;
          case 'utf8-string':
            this.string(info.name);
            break;
          case 'binary':
            this.binary(info.name);
            break;
          case 'string-pair':
            this.string(`${info.name} name`);
            this.string(`${info.name} value`);
            break;
        }
        if (ZERO_OR_ONE.has(id) && value > 1) throw new ProtocolError(`${info.name} ${value}`, PROTOCOL_ERROR);
        if (NOT_ZERO.has(id) && value === 0) throw new ProtocolError(`${info.name} 0`, PROTOCOL_ERROR);
      }
    } finally {
      this.end = outer;
    }
  }

  /** CONNECT [MQTT-3.1]: every field its flags announce, then nothing more. */
  private connect(): void {
    const nameLen = this.u16('protocol name length');
    this.need(nameLen, 'protocol name');
    this.pos += nameLen;
    const level = this.u8('protocol level') & 0x7f;
    this.version = level;
    const flags = this.u8('connect flags');
    this.u16('keep alive');
    if (this.v5) this.properties('connect');
    this.string('client identifier');
    if (flags & 0x04) {
      if (this.v5) this.properties('will');
      this.string('will topic');
      this.binary('will payload');
    }
    if (flags & 0x80) this.string('user name');
    if (flags & 0x40) this.binary('password');
    this.done('CONNECT payload');
  }

  /** PUBLISH [MQTT-3.3]: topic, packet identifier when QoS > 0, properties; the rest is payload. */
  private publish(): void {
    this.string('topic name');
    if (((this.first >> 1) & 3) > 0) {
      // [MQTT-2.2.1-3] a QoS 1/2 PUBLISH has a non-zero packet identifier (Mosquitto: protocol error)
      if (this.u16('packet identifier') === 0) throw new ProtocolError('PUBLISH with packet identifier 0', PROTOCOL_ERROR);
    }
    if (this.v5) this.properties('publish');
  }

  /** PUBACK, PUBREC, PUBREL, PUBCOMP: a non-zero id, and in v5 an optional reason code and properties. */
  private ack(kind: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp'): void {
    if (this.u16('packet identifier') === 0) throw new ProtocolError(`${kind.toUpperCase()} with packet identifier 0`, PROTOCOL_ERROR);
    if (!this.v5 || this.pos === this.end) return;
    this.u8('reason code');
    if (this.pos === this.end) return;
    this.properties(kind);
  }

  /** SUBSCRIBE [MQTT-3.8]: a non-zero id (Mosquitto: malformed), properties, at least one filter. */
  private subscribe(): void {
    if (this.u16('packet identifier') === 0) throw malformed('SUBSCRIBE with packet identifier 0');
    if (this.v5) this.properties('subscribe');
    // [MQTT-3.8.3-2] at least one Topic Filter and Subscription Options pair
    if (this.pos === this.end) throw malformed('SUBSCRIBE without a topic filter');
    while (this.pos < this.end) {
      this.topicFilter();
      const options = this.u8('subscription options');
      // [MQTT-3.8.3-5] reserved bits 0 (v5: bits 7-6 and retain handling 3; 3.1.1: bits 7-2)
      if (this.v5 ? (options & 0xc0) !== 0 || (options & 0x30) === 0x30 || (options & 3) === 3 : options > 2) {
        throw malformed(`subscription options 0x${options.toString(16)}`);
      }
    }
  }

  /** UNSUBSCRIBE [MQTT-3.10]: a non-zero id, properties, at least one filter [MQTT-3.10.3-2]. */
  private unsubscribe(): void {
    if (this.u16('packet identifier') === 0) throw malformed('UNSUBSCRIBE with packet identifier 0');
    if (this.v5) this.properties('unsubscribe');
    if (this.pos === this.end) throw malformed('UNSUBSCRIBE without a topic filter');
    while (this.pos < this.end) this.topicFilter();
  }

  /** DISCONNECT: nothing in 3.1.1 (Mosquitto closes on surplus bytes); v5 reason code and properties. */
  private disconnect(): void {
    if (this.v5 && this.pos < this.end) {
      this.u8('reason code');
      if (this.pos < this.end) this.properties('disconnect');
    }
    this.done('DISCONNECT');
  }

  private auth(): void {
    if (!this.v5 || this.pos === this.end) return;
    this.u8('reason code');
    if (this.pos < this.end) this.properties('auth');
    this.done('AUTH');
  }
}
