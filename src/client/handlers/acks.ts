import type { IPubackPacket, IPubcompPacket, IPubrecPacket, IPubrelPacket } from 'mqtt-packet';
import { RC } from '../../core/protocol/reason-codes.js';
import { AckAction, type AckResult } from '../../core/session/outgoing-flow.js';
import type { OutgoingPublish } from '../client-session.js';
import type { ClientContext } from './context.js';

/**
 * The end of one of our QoS 1/2 flows resolves its publish() with the reason code that ended it;
 * the wrong acknowledgement for a message in flight is a protocol error (libmosquitto closes too).
 */
function settle(ctx: ClientContext, r: AckResult<OutgoingPublish>, reasonCode: number, properties: IPubackPacket['properties']): void {
  if (typeof r !== 'number') {
    r.resolve({ reasonCode, properties });
    return ctx.slotFreed();
  }
  if (r === AckAction.Close) ctx.protocolViolation(RC.ProtocolError);
}

/**
 * PUBACK completes a QoS 1 publish [MQTT-4.3.2-3]. For a QoS 2 one it is the wrong
 * acknowledgement, unless the client accepts a server's downgrade (ClientHooks.qos2Puback).
 */
export function handlePuback(ctx: ClientContext, packet: IPubackPacket): void {
  const id = packet.messageId!;
  let r = ctx.session.outgoing.puback(id);
  if (r === AckAction.Close && ctx.qos2Puback && ctx.session.outgoing.inflight.get(id)?.stage === 'ack') {
    r = ctx.session.outgoing.complete(id)!;
    ctx.qos2Puback();
  }
  settle(ctx, r, packet.reasonCode ?? 0, packet.properties);
}

/**
 * PUBREC: PUBREL follows [MQTT-4.3.3-4], and PUBREC's reason code is what publish() resolves with
 * at PUBCOMP; a failure code ends the flow at once [MQTT-4.4.0-2]. For an id not in flight PUBREL
 * is still sent so the server can finish its side (v5 with Packet Identifier not found).
 */
export function handlePubrec(ctx: ClientContext, packet: IPubrecPacket): void {
  const id = packet.messageId!;
  const code = packet.reasonCode ?? 0;
  const r = ctx.session.outgoing.pubrec(id, code);
  if (r === AckAction.SendPubrel) {
    ctx.session.outgoing.inflight.get(id)!.result = { reasonCode: code, properties: packet.properties };
    ctx.send({ cmd: 'pubrel', messageId: id });
  } else if (r === AckAction.PubrelNotFound) {
    ctx.send({ cmd: 'pubrel', messageId: id, ...(ctx.protocolVersion === 5 && !ctx.plainPubrelNotFound ? { reasonCode: RC.PacketIdentifierNotFound } : {}) });
  } else settle(ctx, r, code, packet.properties);
}

/** PUBCOMP completes a QoS 2 publish [MQTT-4.3.3-5], with the reason code its PUBREC had. */
export function handlePubcomp(ctx: ClientContext, packet: IPubcompPacket): void {
  const r = ctx.session.outgoing.pubcomp(packet.messageId!);
  const result = typeof r === 'number' ? undefined : r.result;
  settle(ctx, r, result?.reasonCode ?? 0, result?.properties);
}

/**
 * PUBREL for a QoS 2 message we received: PUBCOMP [MQTT-4.3.3-11] (always without a reason code,
 * as libmosquitto), then the message held since its PUBLISH reaches the application.
 */
export function handlePubrel(ctx: ClientContext, packet: IPubrelPacket): void {
  const held = ctx.session.incomingQos2.release(packet.messageId!);
  ctx.send({ cmd: 'pubcomp', messageId: packet.messageId! });
  if (held) ctx.deliver(held);
}
