import type { IPublishPacket } from 'mqtt-packet';
import type { ClientContext } from './context.js';
import { RC } from '../../core/protocol/reason-codes.js';

/**
 * PUBLISH from the server: resolve its topic alias, then acknowledge in libmosquitto's order:
 * QoS 1 is acknowledged before the application sees the message [MQTT-4.3.2-4], QoS 2 is answered
 * with PUBREC and held until PUBREL [MQTT-4.3.3-8], a resend of one still held is not delivered
 * twice [MQTT-4.3.3-10]. A later PUBLISH delivers the held ones first, so a slow PUBREL never
 * reorders messages.
 */
export function handlePublish(ctx: ClientContext, packet: IPublishPacket): void {
  const alias = packet.properties?.topicAlias;
  if (alias !== undefined) {
    const topic = ctx.session.aliasesIn.resolve(alias, packet.topic);
    // 0x94 for alias 0, 0x82 for an alias we were never told about
    if (typeof topic === 'number') return ctx.protocolViolation(topic);
    packet.topic = topic;
  }
  // [MQTT-3.3.2-2] no wildcards in a topic name: the packet is malformed, as libmosquitto judges it
  if (packet.topic.includes('+') || packet.topic.includes('#')) return ctx.protocolViolation(RC.TopicNameInvalid);
  ctx.logIncoming(packet);
  const incoming = ctx.session.incomingQos2;
  if (packet.qos === 2) {
    const id = packet.messageId!;
    if (!incoming.has(id)) incoming.takeHeld(ctx.deliver);
    // a resent PUBLISH replaces a held copy; one already delivered is not delivered again
    incoming.receive(id, packet);
    ctx.send({ cmd: 'pubrec', messageId: id });
    return;
  }
  incoming.takeHeld(ctx.deliver);
  if (packet.qos === 1) ctx.send({ cmd: 'puback', messageId: packet.messageId! });
  ctx.deliver(packet);
}
