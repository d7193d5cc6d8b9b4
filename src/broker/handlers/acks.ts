import type { IPubackPacket, IPubcompPacket, IPubrecPacket, IPubrelPacket } from 'mqtt-packet';
import type { HandlerClient } from '../broker-api.js';
import { RC } from '../../core/protocol/reason-codes.js';

/** PUBACK for a QoS 1 delivery we sent [MQTT-4.3.2]. */
export function handlePuback(client: HandlerClient, packet: IPubackPacket): void {
  const session = client.session!;
  const d = session.inflight.get(packet.messageId!);
  // the wrong acknowledgement for a message in flight: Mosquitto closes the connection, no DISCONNECT
  if (d && d.qos !== 1) return client.close();
  if (d && d.stage === 'ack') client.broker.completeOutgoing(session, packet.messageId!);
}

/** PUBREC for a QoS 2 delivery: answer PUBREL and wait for PUBCOMP [MQTT-4.3.3]. */
export function handlePubrec(client: HandlerClient, packet: IPubrecPacket): void {
  const session = client.session!;
  const id = packet.messageId!;
  const d = session.inflight.get(id);
  if (d && d.qos !== 2) return client.close();
  if (!d) {
    if (client.protocolVersion === 5) client.send({ cmd: 'pubrel', messageId: id, reasonCode: RC.PacketIdentifierNotFound });
    else client.send({ cmd: 'pubrel', messageId: id });
    return;
  }
  // a failure reason code ends the flow here [MQTT-4.3.3-4 (v5)]
  if ((packet.reasonCode ?? 0) >= RC.UnspecifiedError) return client.broker.completeOutgoing(session, id);
  d.stage = 'pubcomp';
  client.send({ cmd: 'pubrel', messageId: id });
}

/** PUBCOMP for our PUBREL: the QoS 2 delivery is complete [MQTT-4.3.3-5]. */
export function handlePubcomp(client: HandlerClient, packet: IPubcompPacket): void {
  const session = client.session!;
  const d = session.inflight.get(packet.messageId!);
  // a PUBCOMP only answers a PUBREL [MQTT-4.3.3-11]: one for a QoS 1 message, or for a QoS 2
  // PUBLISH still waiting for its PUBREC, is the wrong acknowledgement (Mosquitto closes, no DISCONNECT)
  if (d && (d.qos !== 2 || d.stage !== 'pubcomp')) return client.close();
  if (d) client.broker.completeOutgoing(session, packet.messageId!);
}

/** PUBREL for a QoS 2 message we received: forget the id, PUBCOMP [MQTT-4.3.3-11]. */
export function handlePubrel(client: HandlerClient, packet: IPubrelPacket): void {
  const session = client.session!;
  const known = session.incomingQos2.delete(packet.messageId!);
  if (client.protocolVersion === 5 && !known) client.send({ cmd: 'pubcomp', messageId: packet.messageId!, reasonCode: RC.PacketIdentifierNotFound });
  else client.send({ cmd: 'pubcomp', messageId: packet.messageId! });
}
