import mqttPacket, { type Packet } from 'mqtt-packet';
import type { ProtocolVersion } from './types.js';
import { MALFORMED_PACKET, PACKET_TOO_LARGE, ProtocolError, ProtocolErrorKind } from './errors.js';
import { keepUserPropertyOrder, packetForEncoding } from './user-properties.js';
import { validateUtf8 } from '../topic/validate.js';
import { checkClientFrame } from './frame-check.js';

export type { Packet };

// mqtt-packet otherwise builds, on its first encode, a cache of 65,536 two-byte buffers for
// packet ids (about 8 MB of heap, a fixed cost larger than a thousand idle broker connections);
// the packets we still encode with it are not frequent enough to need it.
(mqttPacket.writeToStream as unknown as { cacheNumbers: boolean }).cacheNumbers = false;

/** The largest Remaining Length a varint can carry (268,435,455): MQTT's own packet size cap. */
export const MAX_REMAINING_LENGTH = 268_435_455;

/**
 * Encodes one packet for the given protocol version.
 * mqtt-packet reads the version from its options, not from the packet, and silently drops v5
 * properties when it is missing; `generate` throws on an invalid packet (where `writeToStream`
 * would destroy the socket), so the caller gets a ProtocolError and decides.
 */
export function encodePacket(packet: Packet, protocolVersion: ProtocolVersion): Buffer {
  const ack = ACK_TYPES[packet.cmd];
  if (ack !== undefined) {
    const fast = encodeAck(ack, packet as Packet & { messageId?: number; reasonCode?: number; properties?: object }, protocolVersion);
    if (fast) return fast;
  }
  if (packet.cmd === 'connack') {
    const fast = encodeConnack(packet, protocolVersion);
    if (fast) return fast;
  }
  if (packet.cmd === 'disconnect' && protocolVersion === 5) {
    const fast = encodeDisconnect5(packet);
    if (fast) return fast;
  }
  try {
    return mqttPacket.generate(packetForEncoding(packet), { protocolVersion });
  } catch (err) {
    throw new ProtocolError(`cannot encode ${packet.cmd.toUpperCase()}: ${(err as Error).message}`, MALFORMED_PACKET);
  }
}

/** First byte of each acknowledgement (PUBREL has its mandatory flags 0010 [MQTT-3.6.1-1]). */
const ACK_TYPES: Partial<Record<Packet['cmd'], number>> = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 };

/**
 * A PUBACK/PUBREC/PUBREL/PUBCOMP without properties in the shortest form, as Mosquitto sends it:
 * 3.1.1 ignores the reason code; v5 writes 2 bytes for success (no or zero reason code) and 3 for
 * a failure, leaving out the empty property length [MQTT-3.4.2-1]. A broker answers every QoS 1/2
 * PUBLISH with one of these, so they skip the general encoder. Undefined for anything invalid.
 */
function encodeAck(first: number, p: { messageId?: number; reasonCode?: number; properties?: object }, version: ProtocolVersion): Buffer | undefined {
  const id = p.messageId;
  if (p.properties !== undefined || typeof id !== 'number' || !(id >= 1 && id <= 0xffff) || (id | 0) !== id) return undefined;
  const rc = p.reasonCode;
  if (version !== 5 || rc === 0 || rc === undefined) return Buffer.from([first, 2, id >> 8, id & 0xff]);
  if (!(typeof rc === 'number' && rc >= 0 && rc <= 0xff && (rc | 0) === rc)) return undefined;
  return Buffer.from([first, 3, id >> 8, id & 0xff, rc]);
}

/** CONNACK without properties in mqtt-packet's bytes (v5 adds an empty property length). */
function encodeConnack(p: { sessionPresent?: boolean; returnCode?: number; reasonCode?: number; properties?: object }, version: ProtocolVersion): Buffer | undefined {
  const rc = version === 5 ? p.reasonCode : p.returnCode;
  if (typeof rc !== 'number' || !(rc >= 0 && rc <= 0xff) || (rc | 0) !== rc || p.properties !== undefined) return undefined;
  const flags = p.sessionPresent ? 1 : 0;
  return version === 5 ? Buffer.from([0x20, 3, flags, rc, 0]) : Buffer.from([0x20, 2, flags, rc]);
}

/**
 * A v5 DISCONNECT without properties in the shortest form, as Mosquitto (2.0.12 on) sends it:
 * no variable header for Normal disconnection (MQTT 5 section 3.14.2.1), the reason code alone
 * otherwise (a Remaining Length below 2 means a property length of 0, section 3.14.2.2.1);
 * mqtt-packet always writes both.
 */
function encodeDisconnect5(p: { reasonCode?: number; properties?: object }): Buffer | undefined {
  const rc = p.reasonCode ?? 0;
  if (p.properties !== undefined || !(typeof rc === 'number' && rc >= 0 && rc <= 0xff && (rc | 0) === rc)) return undefined;
  return rc === 0 ? Buffer.from([0xe0, 0]) : Buffer.from([0xe0, 1, rc]);
}

export interface DecoderOptions {
  /** undefined on a server before CONNECT: mqtt-packet learns it from the CONNECT itself */
  protocolVersion?: ProtocolVersion;
  /** refuse a packet whose announced size exceeds this, before buffering its body */
  maxPacketSize?: number;
  /**
   * A server's decoder: every packet the fast paths do not take is walked strictly as a client's
   * packet (checkClientFrame) before it is handed on, so a malformed one ends the stream.
   */
  fromClients?: boolean;
  onPacket: (packet: Packet, size: number) => void;
  onError: (err: ProtocolError) => void;
}

/** What mqtt-packet's parser reads from its settings: the version, and 3.1 bridge mode. */
interface ParserSettings {
  protocolVersion?: number;
  bridgeMode?: boolean;
}

type MqttParser = ReturnType<typeof mqttPacket.parser> & {
  settings: ParserSettings;
  error: Error | null;
  _list: { length: number };
  _stateCounter: number;
  _pos: number;
  _resetState(): void;
};

/**
 * One mqtt-packet parser for every decoder in the process. Each decoder hands it exactly one whole
 * frame at a time, so the parser ends every call with nothing buffered, and only the settings
 * (the protocol version it learns from CONNECT) belong to a connection: those are swapped in and
 * out around each call. A parser per connection cost about 2 KB of heap (it is a stream with its
 * own buffer list) on every idle connection. The result is read after parse() returns, so a
 * handler that feeds another decoder synchronously does not re-enter the parser.
 */
const shared: { parser: MqttParser | undefined; packet: Packet | undefined; error: Error | undefined } = {
  parser: undefined,
  packet: undefined,
  error: undefined,
};

function sharedParser(): MqttParser {
  if (shared.parser) return shared.parser;
  const parser = mqttPacket.parser({}) as MqttParser;
  keepUserPropertyOrder(parser);
  parser.on('packet', (packet: Packet) => (shared.packet = packet));
  parser.on('error', (err: Error) => (shared.error ??= err));
  return (shared.parser = parser);
}

/** One settings object per (version, bridge mode): decoders point at these instead of at their CONNECT. */
const SETTINGS = new Map<number, ParserSettings>();
function settingsFor(protocolVersion: number | undefined, bridgeMode: boolean | undefined): ParserSettings {
  const key = (protocolVersion ?? 0) * 2 + (bridgeMode ? 1 : 0);
  let s = SETTINGS.get(key);
  if (!s) SETTINGS.set(key, (s = protocolVersion === undefined ? {} : bridgeMode ? { protocolVersion, bridgeMode } : { protocolVersion }));
  return s;
}

/**
 * Splits a byte stream into MQTT packets. We frame packets ourselves so the announced size is
 * checked as soon as the fixed header is complete (mqtt-packet would buffer a 256 MB body first),
 * and so that a parse error stops the stream for good: after one, the decoder ignores everything
 * (the owner closes the connection). PUBLISH without v5 properties and the 2-byte acknowledgements,
 * nearly all of a busy connection's traffic, are decoded here directly into the objects
 * mqtt-packet would make; every other packet, and anything unusual about these, goes to
 * mqtt-packet so its checks and quirks stay the reference.
 */
export class PacketDecoder {
  /**
   * The bytes of a packet not yet whole, as they arrived: joined once, when the packet is complete,
   * so a large packet costs one copy rather than one per chunk (concatenating on every chunk made
   * a 20 MB PUBLISH quadratic: seconds of CPU while every other client waited).
   */
  private chunks: Buffer[] | null = null;
  private pendingBytes = 0;
  /** the whole size of the pending packet once its fixed header is known, else 0 */
  private needed = 0;
  private failed = false;
  private settings: ParserSettings;

  constructor(private readonly opts: DecoderOptions) {
    this.settings = settingsFor(opts.protocolVersion, undefined);
  }

  /** For a client that learns the version late (never needed when given up front). */
  setProtocolVersion(version: ProtocolVersion): void {
    this.settings = settingsFor(version, this.settings.bridgeMode);
  }

  get broken(): boolean {
    return this.failed;
  }

  /**
   * Decodes nothing more, from this call on: the owner is closing the connection because of a
   * packet already decoded, and nothing that follows it (even in the same read) may be acted on.
   */
  stop(): void {
    this.failed = true;
    this.chunks = null;
    this.pendingBytes = 0;
  }

  push(chunk: Buffer): void {
    if (this.failed) return;
    let buf = chunk;
    if (this.chunks !== null) {
      this.chunks.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes < this.needed) return;
      buf = Buffer.concat(this.chunks, this.pendingBytes);
      this.chunks = null;
      this.pendingBytes = 0;
    }
    this.needed = 0;
    let offset = 0;
    while (offset < buf.length && !this.failed) {
      const frame = frameLength(buf, offset);
      if (frame === -1) break; // fixed header incomplete
      if (frame === -2) return this.fail(new ProtocolError('malformed Remaining Length', MALFORMED_PACKET));
      const max = this.opts.maxPacketSize;
      if (max !== undefined && frame > max) {
        return this.fail(new ProtocolError(`packet of ${frame} bytes exceeds the maximum packet size ${max}`, PACKET_TOO_LARGE));
      }
      if (offset + frame > buf.length) {
        this.needed = frame;
        break;
      }
      let packet = decodeFast(buf, offset, frame, this.settings.protocolVersion === 5);
      if (packet === undefined && buf[offset] === 0x6a && frame === 4 && this.settings.protocolVersion === 3) {
        // MQTT 3.1 set DUP on a resent PUBREL (0x6A); 3.1.1 fixed its flags to 0010 [MQTT-3.6.1-1]
        packet = decodeFast(Buffer.from([0x62, 2, buf[offset + 2]!, buf[offset + 3]!]), 0, 4, false);
      }
      if (packet === undefined && buf[offset] === 0x10) {
        packet = decodeConnect311(buf, offset, frame);
        // what the parser would have learnt from this CONNECT
        if (packet) this.settings = settingsFor((packet as { protocolVersion: number }).protocolVersion, undefined);
      }
      if (packet === undefined) {
        const bytes = buf.subarray(offset, offset + frame);
        packet = this.parseSlow(bytes);
        if (packet !== undefined && this.opts.fromClients) {
          const err = checkClientFrame(bytes, this.settings.protocolVersion ?? 4);
          if (err) {
            this.fail(err);
            return;
          }
        }
      }
      offset += frame;
      if (packet) this.opts.onPacket(packet, frame);
    }
    if (offset < buf.length && !this.failed) {
      // the start of the next packet: a copy when it is a slice, so a whole read buffer is not
      // kept alive for a few bytes
      this.chunks = [offset === 0 ? buf : Buffer.from(buf.subarray(offset))];
      this.pendingBytes = buf.length - offset;
    }
  }

  private parseSlow(frame: Buffer): Packet | undefined {
    const parser = sharedParser();
    parser.settings = this.settings;
    shared.packet = undefined;
    shared.error = undefined;
    try {
      parser.parse(frame);
    } catch (err) {
      // a throw instead of an 'error' event is still this frame's fault: the cleanup below must
      // run, the shared parser serves every connection
      shared.error ??= err as Error;
    }
    // read through a function: TypeScript would keep the narrowing from the assignments above
    const { packet, error } = takeShared();
    // CONNECT replaces the parser's settings with the packet itself: keep only what it reads
    if (parser.settings !== this.settings) this.settings = settingsFor(parser.settings.protocolVersion, parser.settings.bridgeMode);
    // leave it clean for the next decoder, whatever the frame did to it
    if (parser.error || parser._list.length !== 0 || parser._stateCounter !== 0) parser._resetState();
    // _resetState leaves the read position, which the next length parse would start from
    parser._pos = 0;
    parser.settings = SETTINGS_NONE;
    if (error) {
      this.fail(new ProtocolError(error.message, MALFORMED_PACKET, unsupportedLevel(frame) ? ProtocolErrorKind.UnsupportedProtocolVersion : ProtocolErrorKind.Violation));
      return undefined;
    }
    return packet;
  }

  private fail(err: ProtocolError): void {
    if (this.failed) return;
    this.stop();
    this.opts.onError(err);
  }
}

const SETTINGS_NONE: ParserSettings = {};

function takeShared(): { packet: Packet | undefined; error: Error | undefined } {
  const taken = { packet: shared.packet, error: shared.error };
  shared.packet = shared.error = undefined;
  return taken;
}

/**
 * Whether a CONNECT frame the parser refused names MQTT or MQIsdp with a protocol level other
 * than 3, 4 or 5 (the bridge bit 0x80 aside): the parser checks those two fields first, in that
 * order, so its error was about the level, and the frame deserves CONNACK 0x01 [MQTT-3.1.2-2].
 */
function unsupportedLevel(frame: Buffer): boolean {
  if (frame[0] !== 0x10) return false;
  let pos = 1;
  while (pos < frame.length && frame[pos]! & 0x80) pos++;
  pos++;
  if (pos + 2 > frame.length) return false;
  const nameLen = (frame[pos]! << 8) | frame[pos + 1]!;
  pos += 2;
  const named = (nameLen === 4 && bytesAre(frame, pos, MQTT)) || (nameLen === 6 && bytesAre(frame, pos, MQISDP));
  if (!named || pos + nameLen >= frame.length) return false;
  const level = frame[pos + nameLen]! & 0x7f;
  return level !== 3 && level !== 4 && level !== 5;
}

const MQTT = [0x4d, 0x51, 0x54, 0x54];
const MQISDP = [0x4d, 0x51, 0x49, 0x73, 0x64, 0x70];
function bytesAre(buf: Buffer, at: number, expected: number[]): boolean {
  for (let i = 0; i < expected.length; i++) if (buf[at + i] !== expected[i]) return false;
  return true;
}

/**
 * A 3.1 or 3.1.1 CONNECT without a will, as mqtt-packet would parse it: every connection starts
 * with one, and mqtt-packet's general parser made it a fifth of the broker's cost of a connect.
 * Anything else, and anything it would refuse, is left to the general path (undefined).
 */
export function decodeConnect311(buf: Buffer, offset: number, size: number): Packet | undefined {
  const headerLen = buf[offset + 1]! < 0x80 ? 2 : buf[offset + 2]! < 0x80 ? 3 : buf[offset + 3]! < 0x80 ? 4 : 5;
  const start = offset + headerLen;
  const end = offset + size;
  let pos = start;
  const idLen = end - pos >= 2 ? (buf[pos]! << 8) | buf[pos + 1]! : -1;
  let protocolId: string;
  if (idLen === 4 && pos + 6 <= end && bytesAre(buf, pos + 2, MQTT)) protocolId = 'MQTT';
  else if (idLen === 6 && pos + 8 <= end && bytesAre(buf, pos + 2, MQISDP)) protocolId = 'MQIsdp';
  else return undefined;
  pos += 2 + idLen;
  if (pos + 4 > end) return undefined;
  const protocolVersion = buf[pos]!;
  const flags = buf[pos + 1]!;
  // versions 3 and 4 only (not bridge mode), reserved bit 0, no will flag nor will QoS/retain
  if ((protocolVersion !== 3 && protocolVersion !== 4) || (flags & 0x3d) !== 0) return undefined;
  const keepalive = (buf[pos + 2]! << 8) | buf[pos + 3]!;
  pos += 4;
  // the next length-prefixed field, as [fieldStart, pos); false when it runs past the packet
  let fieldStart = 0;
  const field = (): boolean => {
    if (pos + 2 > end) return false;
    fieldStart = pos + 2;
    const fieldEnd = fieldStart + ((buf[pos]! << 8) | buf[pos + 1]!);
    if (fieldEnd > end) return false;
    pos = fieldEnd;
    return true;
  };
  // strings that are not acceptable go to the general path, which refuses them
  if (!field() || !acceptableString(buf, fieldStart, pos)) return undefined;
  const clientId = buf.toString('utf8', fieldStart, pos);
  let username: string | undefined;
  let password: Buffer | undefined;
  if (flags & 0x80) {
    if (!field() || !acceptableString(buf, fieldStart, pos)) return undefined;
    username = buf.toString('utf8', fieldStart, pos);
  }
  if (flags & 0x40) {
    if (!field()) return undefined;
    password = buf.subarray(fieldStart, pos);
  }
  // trailing bytes: mqtt-packet ignores them; rare enough to leave to it
  if (pos !== end) return undefined;
  const packet: Record<string, unknown> = {
    cmd: 'connect',
    retain: false,
    qos: 0,
    dup: false,
    length: size - headerLen,
    topic: null,
    payload: null,
    protocolId,
    protocolVersion,
    clean: (flags & 0x02) !== 0,
    keepalive,
    clientId,
  };
  if (username !== undefined) packet.username = username;
  if (password !== undefined) packet.password = password;
  return packet as unknown as Packet;
}

/**
 * True when buf[from, to) is a string a server accepts (frame-check's rules): printable ASCII,
 * nearly every topic and client id, is checked by this loop alone; anything else by validateUtf8.
 */
function acceptableString(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const b = buf[i]!;
    if (b < 0x20 || b > 0x7e) return validateUtf8(buf.subarray(from, to), STRICT) === null;
  }
  return true;
}
const STRICT = { strict: true };

const ACK_NAMES = ['puback', 'pubrec', 'pubrel', 'pubcomp'] as const;

/**
 * The frame at `offset` (`size` bytes) as mqtt-packet would parse it, when it is a well-formed
 * PUBLISH without v5 properties or a 2-byte PUBACK/PUBREC/PUBREL/PUBCOMP; undefined for anything
 * else, which then takes the general path. Objects have mqtt-packet's fields in its order, so the
 * handlers see one shape whichever path made them.
 */
export function decodeFast(buf: Buffer, offset: number, size: number, v5: boolean): Packet | undefined {
  const first = buf[offset]!;
  const type = first >> 4;
  const headerLen = buf[offset + 1]! < 0x80 ? 2 : buf[offset + 2]! < 0x80 ? 3 : buf[offset + 3]! < 0x80 ? 4 : 5;
  const start = offset + headerLen;
  const end = offset + size;
  const length = size - headerLen;
  if (type === 3) {
    const qos = ((first >> 1) & 3) as 0 | 1 | 2;
    if ((qos as number) === 3 || length < 2) return undefined;
    const topicEnd = start + 2 + ((buf[start]! << 8) | buf[start + 1]!);
    // a topic that is not an acceptable string goes to the general path, which refuses it
    if (topicEnd > end || !acceptableString(buf, start + 2, topicEnd)) return undefined;
    let pos = topicEnd;
    let messageId = 0;
    if (qos > 0) {
      if (pos + 2 > end) return undefined;
      messageId = (buf[pos]! << 8) | buf[pos + 1]!;
      // [MQTT-2.2.1-3] packet identifier 0: refused on the general path
      if (messageId === 0) return undefined;
      pos += 2;
    }
    if (v5) {
      // a property block: the general path parses it
      if (pos >= end || buf[pos] !== 0) return undefined;
      pos++;
    }
    if (pos > end) return undefined;
    const topic = buf.toString('utf8', start + 2, topicEnd);
    const payload = buf.subarray(pos, end);
    const retain = (first & 1) !== 0;
    const dup = (first & 8) !== 0;
    if (qos === 0) return { cmd: 'publish', retain, qos, dup, length, topic, payload };
    return { cmd: 'publish', retain, qos, dup, length, topic, payload, messageId };
  }
  if (type >= 4 && type <= 7 && length === 2 && (first & 15) === (type === 6 ? 2 : 0)) {
    const messageId = (buf[start]! << 8) | buf[start + 1]!;
    if (messageId === 0) return undefined;
    const packet = {
      cmd: ACK_NAMES[type - 4]!,
      retain: false,
      qos: type === 6 ? 1 : 0,
      dup: false,
      length,
      topic: null,
      payload: null,
      messageId,
    } as unknown as Packet;
    if (v5) (packet as { reasonCode?: number }).reasonCode = 0;
    return packet;
  }
  return undefined;
}

/**
 * Whole size (fixed header + body) of the packet starting at `offset`, -1 when the fixed header
 * is not complete yet, -2 when the Remaining Length varint is longer than 4 bytes [MQTT-1.5.5-1].
 */
export function frameLength(buf: Buffer, offset: number): number {
  let multiplier = 1;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    if (offset + i >= buf.length) return -1;
    const byte = buf[offset + i]!;
    value += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return 1 + i + value;
    multiplier *= 128;
  }
  return -2;
}
