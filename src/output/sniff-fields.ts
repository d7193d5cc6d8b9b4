import type { Packet } from '../core/protocol/codec.js';
import { packetTypeName } from '../sniff/mqtt-header.js';
import { rawFields } from '../sniff/raw-fields.js';
import type { PacketEvent } from '../sniff/sniff-events.js';

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
  id?: number;
  topic?: string;
  /** v5: the Topic Alias the PUBLISH carried (`topic` is then what it stands for) */
  topicAlias?: number;
  payloadLength?: number;
  clientId?: string;
  protocolVersion?: number;
  keepalive?: number;
  clean?: boolean;
  username?: string;
  will?: { topic: string; qos: number; retain: boolean };
  sessionPresent?: boolean;
  reasonCode?: number;
  /** SUBACK/UNSUBACK per-filter codes */
  reasonCodes?: number[];
  subscriptions?: Array<{ topic: string; qos: number; nl?: boolean; rap?: boolean; rh?: number }>;
  unsubscriptions?: string[];
  properties?: Record<string, unknown>;
  error?: string;
}

function reasonOf(p: { reasonCode?: number; returnCode?: number }): number | undefined {
  return p.reasonCode ?? p.returnCode;
}

function typeSpecific(packet: Packet, f: PacketFields): void {
  switch (packet.cmd) {
    case 'connect':
      f.protocolVersion = packet.protocolVersion;
      f.clientId = packet.clientId;
      f.keepalive = packet.keepalive;
      f.clean = packet.clean;
      if (packet.username !== undefined) f.username = packet.username;
      if (packet.will) f.will = { topic: packet.will.topic, qos: packet.will.qos ?? 0, retain: packet.will.retain ?? false };
      break;
    case 'connack':
      f.sessionPresent = packet.sessionPresent;
      f.reasonCode = reasonOf(packet);
      break;
    case 'publish':
      f.qos = packet.qos;
      f.retain = packet.retain;
      f.dup = packet.dup;
      f.topic = packet.topic;
      f.payloadLength = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length;
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
      if (packet.reasonCode !== undefined) f.reasonCode = packet.reasonCode;
      break;
  }
}

export function packetFields(ev: PacketEvent): PacketFields {
  const first = ev.raw[0]!;
  const f: PacketFields = { type: packetTypeName(first), size: ev.raw.length };
  const packet = ev.packet;
  if (!packet) {
    // the header byte still says what it claimed to be
    const raw = rawFields(ev.raw, ev.conn.protocolVersion);
    if (raw.id !== undefined) f.id = raw.id;
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
  if (packet.messageId !== undefined && !(packet.cmd === 'publish' && packet.qos === 0)) f.id = packet.messageId;
  typeSpecific(packet, f);
  if (ev.aliasTopic !== undefined) {
    f.topicAlias = (packet as { properties?: { topicAlias?: number } }).properties?.topicAlias;
    f.topic = ev.aliasTopic;
  }
  const props = (packet as { properties?: Record<string, unknown> }).properties;
  if (props && Object.keys(props).length > 0) f.properties = props;
  return f;
}
