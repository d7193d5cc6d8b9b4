import type { IUnsubscribePacket } from 'mqtt-packet';
import type { BrokerClient } from '../broker-client.js';

/** UNSUBSCRIBE [MQTT-3.10]: v5 says per filter whether a subscription existed (0x11 if not). */
export function handleUnsubscribe(client: BrokerClient, packet: IUnsubscribePacket): void {
  const session = client.session!;
  const codes = packet.unsubscriptions.map((filter) => (client.broker.removeSubscription(session, filter) ? 0x00 : 0x11));
  if (client.protocolVersion === 5) client.send({ cmd: 'unsuback', messageId: packet.messageId!, granted: codes, properties: {} } as never);
  else client.send({ cmd: 'unsuback', messageId: packet.messageId! } as never);
}
