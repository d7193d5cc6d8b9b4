import type { IPublishPacket } from 'mqtt-packet';
import type { ReceivedMessage } from './message.js';

/** A PUBLISH as the printers take it, stamped with the time it was handed to us. */
export function receivedMessage(packet: IPublishPacket): ReceivedMessage {
  const now = performance.timeOrigin + performance.now();
  const epochMs = Math.floor(now);
  return {
    topic: packet.topic,
    payload: typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload,
    qos: packet.qos,
    retain: packet.retain,
    mid: packet.messageId ?? 0,
    properties: packet.properties as Record<string, unknown> | undefined,
    receivedAt: { epochMs, nanos: Math.floor((now % 1000) * 1e6) },
  };
}
