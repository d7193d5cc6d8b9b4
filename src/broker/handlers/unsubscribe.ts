import type { IUnsubscribePacket } from 'mqtt-packet';
import { ProtocolError } from '../../core/protocol/errors.js';
import type { HandlerClient } from '../broker-api.js';
import { RC } from '../../core/protocol/reason-codes.js';

/** UNSUBSCRIBE [MQTT-3.10]: v5 says per filter whether a subscription existed (0x11 if not). */
export function handleUnsubscribe(client: HandlerClient, packet: IUnsubscribePacket): void {
  const session = client.session!;
  const v5 = client.protocolVersion === 5;
  // [MQTT-2.3.1-1] (v5 [MQTT-2.2.1-3]) a non-zero packet identifier; Mosquitto calls 0 malformed
  if (!packet.messageId) throw new ProtocolError('UNSUBSCRIBE with packet identifier 0', RC.MalformedPacket);
  const filters = packet.unsubscriptions ?? [];
  if (filters.length === 0) {
    // [MQTT-3.10.3-2] at least one filter; a v5 packet that ends after its packet id lacks even the
    // property length, and is malformed rather than a protocol error
    const remaining = (packet as { length?: number }).length;
    throw new ProtocolError('UNSUBSCRIBE without filters', v5 && remaining !== undefined && remaining < 3 ? RC.MalformedPacket : RC.ProtocolError);
  }
  // [MQTT-1.5.4-2] U+0000 in a UTF-8 string makes the packet malformed
  if (filters.some((f) => f.includes('\u0000'))) throw new ProtocolError('topic filter contains U+0000', RC.MalformedPacket);
  const hooks = client.broker.hooks;
  const codes = filters.map((filter) => {
    // log_type unsubscribe, in Mosquitto's words: "<client id> <filter>"
    client.broker.log.unsubscribe(`${client.clientId} ${filter}`);
    // a filter the client may not unsubscribe from stays subscribed (Mosquitto: 0x87 for v5)
    if (hooks.authorizeUnsubscribe?.(client, filter) === false) return RC.NotAuthorized;
    return client.broker.removeSubscription(session, filter) ? RC.Success : RC.NoSubscriptionExisted;
  });
  const unsuback = (v5 ? { cmd: 'unsuback', messageId: packet.messageId!, granted: codes, properties: {} } : { cmd: 'unsuback', messageId: packet.messageId! }) as never;
  // persistence (durable mode): once the removal is on disk
  const durable = client.broker.durableAcks;
  if (durable) durable.after(client, () => client.send(unsuback));
  else client.send(unsuback);
}
