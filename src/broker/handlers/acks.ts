import type { IPubackPacket, IPubcompPacket, IPubrecPacket, IPubrelPacket } from 'mqtt-packet';
import { RC } from '../../core/protocol/reason-codes.js';
import { AckAction, type AckResult } from '../../core/session/outgoing-flow.js';
import type { HandlerClient } from '../broker-api.js';
import type { Delivery } from '../session.js';

/**
 * What an acknowledgement of one of our deliveries did, by the session engine's transitions: a
 * completed flow frees its slot; the wrong acknowledgement for what is in flight closes the
 * connection without DISCONNECT, as Mosquitto does.
 */
function settle(client: HandlerClient, result: AckResult<Delivery>): void {
  if (typeof result !== 'number') {
    if (result.storeKey !== undefined) client.broker.deliveryJournal?.removed(result);
    return client.broker.outgoingCompleted(client.session!);
  }
  if (result === AckAction.Close) client.close();
}

/** PUBACK for a QoS 1 delivery we sent [MQTT-4.3.2-3]. */
export function handlePuback(client: HandlerClient, packet: IPubackPacket): void {
  settle(client, client.session!.out.puback(packet.messageId!));
}

/** PUBREC for a QoS 2 delivery: answer PUBREL and wait for PUBCOMP [MQTT-4.3.3-4]. */
export function handlePubrec(client: HandlerClient, packet: IPubrecPacket): void {
  const id = packet.messageId!;
  // a failure reason code ends the flow there [MQTT-4.4.0-2 (v5)]
  const out = client.session!.out;
  const result = out.pubrec(id, packet.reasonCode ?? RC.Success);
  if (result === AckAction.SendPubrel) {
    // the client has the message: a restart must resume with PUBREL, never the PUBLISH [MQTT-4.3.3-6]
    const d = out.inflight.get(id)!;
    if (d.storeKey !== undefined) client.broker.deliveryJournal?.released(client.session!, d, id);
    afterCommit(client, { cmd: 'pubrel', messageId: id });
  }
  else if (result === AckAction.PubrelNotFound) {
    // not in flight: PUBREL all the same, so the client can finish its side
    if (client.protocolVersion === 5) client.send({ cmd: 'pubrel', messageId: id, reasonCode: RC.PacketIdentifierNotFound });
    else client.send({ cmd: 'pubrel', messageId: id });
  } else settle(client, result);
}

/** PUBCOMP for our PUBREL: the QoS 2 delivery is complete [MQTT-4.3.3-5]. */
export function handlePubcomp(client: HandlerClient, packet: IPubcompPacket): void {
  settle(client, client.session!.out.pubcomp(packet.messageId!));
}

/** PUBREL for a QoS 2 message we received: forget the id, PUBCOMP [MQTT-4.3.3-11]. */
export function handlePubrel(client: HandlerClient, packet: IPubrelPacket): void {
  const session = client.session!;
  const known = session.incomingQos2.release(packet.messageId!) !== undefined;
  if (known && session.expiryInterval !== 0) client.broker.deliveryJournal?.incomingQos2Released(session, packet.messageId!);
  if (client.protocolVersion === 5 && !known) client.send({ cmd: 'pubcomp', messageId: packet.messageId!, reasonCode: RC.PacketIdentifierNotFound });
  else afterCommit(client, { cmd: 'pubcomp', messageId: packet.messageId! });
}

/**
 * Durable mode: PUBREL and PUBCOMP also wait for the commit of what their ack changed (and keep
 * their place among this client's acks [MQTT-4.6.0-2]). The peer forgets the packet id once it
 * has our PUBREL (its PUBCOMP) or our PUBCOMP: a crash that lost the stage change would make us
 * send that PUBLISH again (a duplicate to a subscriber) or take the id's next message for a resend
 * (lost from a publisher).
 */
function afterCommit(client: HandlerClient, packet: IPubrelPacket | IPubcompPacket): void {
  const durable = client.broker.durableAcks;
  if (durable) durable.after(client, () => client.send(packet));
  else client.send(packet);
}
