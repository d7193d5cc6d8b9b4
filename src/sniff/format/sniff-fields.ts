import type { Packet } from '../../core/protocol/codec.js';
import { packetTypeName } from '../mqtt-header.js';
import { rawFields } from '../raw-fields.js';
import type { PacketEvent } from '../sniff-events.js';

export interface SubscriptionFields {
  topic: string;
  qos: number;
  nl?: boolean;
  rap?: boolean;
  rh?: number;
}

/**
 * The facts of one captured MQTT packet in a flat, version-independent shape: what the one-line and
 * JSON outputs print, and what tests compare with tshark's fields.
 */
export interface PacketFields {
  type: string;
  /** whole packet on the wire, fixed header included */
  size: number;
  qos?: number;
  retain?: boolean;
  dup?: boolean;
  packetId?: number;
  topic?: string;
  /** v5: the Topic Alias the PUBLISH carried (`topic` is then what it stands for) */
  topicAlias?: number;
  payloadLength?: number;
  /** CONNACK return/reason code, SUBACK/UNSUBACK per-filter codes, v5 ack/DISCONNECT/AUTH reason code */
  reasonCodes?: number[];
  /** CONNECT */
  clientId?: string;
  protocolName?: string;
  keepalive?: number;
  clean?: boolean;
  username?: string;
  /** raw bytes: never printed as they are unless the user asks (--show-passwords) */
  password?: Buffer;
  will?: { topic: string; qos: number; retain: boolean; payloadLength: number };
  sessionPresent?: boolean;
  subscriptions?: SubscriptionFields[];
  unsubscriptions?: string[];
  properties?: Record<string, unknown>;
  error?: string;
}

function byteLength(payload: Buffer | string | undefined): number {
  if (payload === undefined) return 0;
  return typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
}

function typeSpecific(packet: Packet, f: PacketFields): void {
  switch (packet.cmd) {
    case 'connect':
      f.clientId = packet.clientId;
      f.protocolName = packet.protocolId;
      f.keepalive = packet.keepalive;
      f.clean = packet.clean;
      if (packet.username !== undefined) f.username = packet.username;
      if (packet.password !== undefined) f.password = Buffer.from(packet.password);
      if (packet.will) {
        const w = packet.will;
        f.will = { topic: w.topic, qos: w.qos ?? 0, retain: w.retain ?? false, payloadLength: byteLength(w.payload) };
      }
      break;
    case 'connack': {
      f.sessionPresent = packet.sessionPresent;
      const code = packet.reasonCode ?? packet.returnCode;
      if (code !== undefined) f.reasonCodes = [code];
      break;
    }
    case 'publish':
      f.qos = packet.qos;
      f.retain = packet.retain;
      f.dup = packet.dup;
      f.topic = packet.topic;
      f.payloadLength = byteLength(packet.payload);
      break;
    case 'subscribe':
      f.subscriptions = packet.subscriptions.map((s) => ({ ...s }));
      break;
    case 'suback':
    case 'unsuback':
      if (packet.granted) f.reasonCodes = (packet.granted as unknown[]).map((g) => (typeof g === 'number' ? g : Number((g as { qos?: number }).qos)));
      break;
    case 'unsubscribe':
      f.unsubscriptions = [...packet.unsubscriptions];
      break;
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
    case 'disconnect':
    case 'auth':
      // v5 only: 3.1.1 acks carry no reason code (the codec leaves it undefined)
      if (packet.reasonCode !== undefined) f.reasonCodes = [packet.reasonCode];
      break;
  }
}

/** What the bytes of a packet the codec rejected still say (tshark shows these too). */
function malformedFields(ev: PacketEvent, f: PacketFields): PacketFields {
  const first = ev.raw[0]!;
  const raw = rawFields(ev.raw, ev.conn.protocolVersion);
  if (raw.id !== undefined) f.packetId = raw.id;
  if (first >> 4 === 3) {
    f.qos = (first >> 1) & 3;
    f.retain = (first & 1) === 1;
    f.dup = (first & 8) === 8;
    if (raw.topic) f.topic = raw.topic.toString('utf8');
    if (raw.payloadLength !== undefined) f.payloadLength = raw.payloadLength;
  }
  f.error = ev.error ?? 'malformed';
  return f;
}

export function packetFields(ev: PacketEvent): PacketFields {
  const f: PacketFields = { type: packetTypeName(ev.raw[0]!), size: ev.raw.length };
  const packet = ev.packet;
  if (!packet) return malformedFields(ev, f);
  if (packet.messageId !== undefined && !(packet.cmd === 'publish' && packet.qos === 0)) f.packetId = packet.messageId;
  typeSpecific(packet, f);
  const props = (packet as { properties?: Record<string, unknown> }).properties;
  if (packet.cmd === 'publish' && packet.properties?.topicAlias !== undefined) {
    f.topicAlias = packet.properties.topicAlias;
    // an alias the capture never saw set leaves the (empty) topic as it was on the wire
    if (ev.aliasTopic !== undefined) f.topic = ev.aliasTopic;
  }
  if (props && Object.keys(props).length > 0) f.properties = props;
  return f;
}
