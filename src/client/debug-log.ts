import type { Packet } from '../core/protocol/codec.js';

/**
 * libmosquitto's debug lines (`-d`), word for word, so scripts that grep mosquitto_pub -d output
 * keep working: "Client X sending PUBLISH (d0, q1, r0, m1, 'a', ... (5 bytes))".
 */
export function describeOutgoing(id: string, p: Packet, logMid?: number): string[] {
  const c = `Client ${id || '(null)'} sending`;
  switch (p.cmd) {
    case 'connect':
      return [`${c} CONNECT`];
    case 'publish':
      // a publish that sends only its topic alias has no topic: libmosquitto prints NULL as glibc does
      return [`${c} PUBLISH (d${p.dup ? 1 : 0}, q${p.qos}, r${p.retain ? 1 : 0}, m${p.messageId ?? logMid ?? 0}, '${p.topic || '(null)'}', ... (${payloadLength(p.payload)} bytes))`];
    case 'puback':
      return [`${c} PUBACK (m${p.messageId}, rc${p.reasonCode ?? 0})`];
    case 'pubrec':
      return [`${c} PUBREC (m${p.messageId}, rc${p.reasonCode ?? 0})`];
    case 'pubrel':
      return [`${c} PUBREL (m${p.messageId})`];
    case 'pubcomp':
      return [`${c} PUBCOMP (m${p.messageId})`];
    case 'subscribe':
      return p.subscriptions.map(
        (s) => `${c} SUBSCRIBE (Mid: ${p.messageId}, Topic: ${s.topic}, QoS: ${s.qos}, Options: 0x${subscriptionOptions(s).toString(16).padStart(2, '0')})`,
      );
    case 'unsubscribe':
      return p.unsubscriptions.map((t) => `${c} UNSUBSCRIBE (Mid: ${p.messageId}, Topic: ${t})`);
    case 'pingreq':
      return [`${c} PINGREQ`];
    case 'disconnect':
      return [`${c} DISCONNECT`];
    default:
      return [`${c} ${p.cmd.toUpperCase()}`];
  }
}

export function describeIncoming(id: string, p: Packet): string[] {
  const c = `Client ${id || '(null)'} received`;
  switch (p.cmd) {
    case 'connack':
      return [`${c} CONNACK (${p.reasonCode ?? p.returnCode ?? 0})`];
    case 'publish':
      return [`${c} PUBLISH (d${p.dup ? 1 : 0}, q${p.qos}, r${p.retain ? 1 : 0}, m${p.messageId ?? 0}, '${p.topic}', ... (${payloadLength(p.payload)} bytes))`];
    case 'puback':
    case 'pubcomp':
      return [`${c} ${p.cmd.toUpperCase()} (Mid: ${p.messageId}, RC:${p.reasonCode ?? 0})`];
    case 'pubrec':
    case 'pubrel':
      return [`${c} ${p.cmd.toUpperCase()} (Mid: ${p.messageId})`];
    case 'disconnect':
      // handle__disconnect logs without the client prefix
      return [`Received DISCONNECT (${p.reasonCode ?? 0})`];
    default:
      return [`${c} ${p.cmd.toUpperCase()}`];
  }
}

function payloadLength(payload: string | Buffer): number {
  return typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
}

/** Subscription options byte without the QoS bits, as libmosquitto prints it. */
function subscriptionOptions(s: { nl?: boolean; rap?: boolean; rh?: number }): number {
  return (s.nl ? 0x04 : 0) | (s.rap ? 0x08 : 0) | ((s.rh ?? 0) << 4);
}
