import type { Packet } from 'mqtt-packet';

/**
 * log_type debug: one line per packet in Mosquitto's words (its handle_*.c and send_*.c), so
 * `mqtt broker -v` reads like `mosquitto -v`. Callers check BrokerLog.debugOn first: building
 * these strings costs nothing when debug is off.
 */

interface Peer {
  clientId: string;
  address: string;
}

const who = (c: Peer) => c.clientId || c.address;
const bit = (b: boolean | undefined) => (b ? 1 : 0);

/** "Sending PUBLISH to c (d0, q1, r0, m3, 'a/b', ... (5 bytes))" and its Received twin. */
export function publishLine(direction: 'Sending' | 'Received', peer: Peer, p: { dup?: boolean; qos: number; retain?: boolean; messageId?: number; topic: string; bytes: number }): string {
  const toFrom = direction === 'Sending' ? 'to' : 'from';
  return `${direction} PUBLISH ${toFrom} ${who(peer)} (d${bit(p.dup)}, q${p.qos}, r${bit(p.retain)}, m${p.messageId ?? 0}, '${p.topic}', ... (${p.bytes} bytes))`;
}

const reason = (p: { reasonCode?: number }) => p.reasonCode ?? 0;

/** The lines for a packet a client sent. */
export function receivedLines(peer: Peer, packet: Packet): string[] {
  const from = who(peer);
  switch (packet.cmd) {
    case 'connect': {
      const will = packet.will;
      if (!will) return ['No will message specified.'];
      const bytes = typeof will.payload === 'string' ? Buffer.byteLength(will.payload) : (will.payload?.length ?? 0);
      return [`Will message specified (${bytes} bytes) (r${bit(will.retain)}, q${will.qos ?? 0}).`, `\t${will.topic}`];
    }
    case 'publish': {
      const bytes = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length;
      return [publishLine('Received', peer, { ...packet, bytes })];
    }
    case 'puback':
      return [`Received PUBACK from ${from} (Mid: ${packet.messageId}, RC:${reason(packet)})`];
    case 'pubrec':
      return [`Received PUBREC from ${from} (Mid: ${packet.messageId})`];
    case 'pubrel':
      return [`Received PUBREL from ${from} (Mid: ${packet.messageId})`];
    case 'pubcomp':
      return [`Received PUBCOMP from ${from} (Mid: ${packet.messageId}, RC:${reason(packet)})`];
    case 'subscribe':
      return [`Received SUBSCRIBE from ${from}`, ...(packet.subscriptions ?? []).map((s) => `\t${s.topic} (QoS ${s.qos})`)];
    case 'unsubscribe':
      return [`Received UNSUBSCRIBE from ${from}`, ...(packet.unsubscriptions ?? []).map((t) => `\t${t}`)];
    case 'pingreq':
      return [`Received PINGREQ from ${from}`];
    case 'disconnect':
      return [`Received DISCONNECT from ${from}`];
    case 'auth':
      return [`Received AUTH from ${from}`];
    default:
      return [];
  }
}

/** The line for a packet the broker sends (PUBLISH goes through publishLine). */
export function sentLine(peer: Peer, packet: Packet): string | undefined {
  const to = who(peer);
  switch (packet.cmd) {
    case 'connack':
      return `Sending CONNACK to ${to} (${bit(packet.sessionPresent)}, ${packet.reasonCode ?? packet.returnCode ?? 0})`;
    case 'puback':
      return `Sending PUBACK to ${to} (m${packet.messageId}, rc${reason(packet)})`;
    case 'pubrec':
      return `Sending PUBREC to ${to} (m${packet.messageId}, rc${reason(packet)})`;
    case 'pubrel':
      return `Sending PUBREL to ${to} (m${packet.messageId})`;
    case 'pubcomp':
      return `Sending PUBCOMP to ${to} (m${packet.messageId})`;
    case 'suback':
      return `Sending SUBACK to ${to}`;
    case 'unsuback':
      return `Sending UNSUBACK to ${to}`;
    case 'pingresp':
      return `Sending PINGRESP to ${to}`;
    case 'disconnect':
      return `Sending DISCONNECT to ${to} (rc${reason(packet)})`;
    case 'publish': {
      const bytes = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length;
      return publishLine('Sending', peer, { ...packet, bytes });
    }
    default:
      return undefined;
  }
}
