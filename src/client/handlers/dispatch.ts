import type { Packet } from 'mqtt-packet';
import { handlePuback, handlePubcomp, handlePubrec, handlePubrel } from './acks.js';
import type { ClientContext } from './context.js';
import { handlePublish } from './publish.js';
import { handleSuback, handleUnsuback } from './subacks.js';

type Handler<P extends Packet = Packet> = (ctx: ClientContext, packet: P) => void;

/**
 * One handler per packet type a server sends once connected. CONNACK and AUTH belong to the
 * handshake (see MqttClient.connect); anything else is ignored, as libmosquitto does.
 */
const HANDLERS: { [C in Packet['cmd']]?: Handler<Extract<Packet, { cmd: C }>> } = {
  publish: handlePublish,
  puback: handlePuback,
  pubrec: handlePubrec,
  pubrel: handlePubrel,
  pubcomp: handlePubcomp,
  suback: handleSuback,
  unsuback: handleUnsuback,
  pingresp: (ctx) => ctx.pingAnswered(),
  // a server should not send PINGREQ; libmosquitto answers it anyway (handle__pingreq), and a
  // broker that checks its bridges this way (Mosquitto's own tests do) gets its PINGRESP
  pingreq: (ctx) => ctx.send({ cmd: 'pingresp' }),
  // a DISCONNECT without a reason code means 0x00, normal disconnection (MQTT 5 §3.14.2.1)
  disconnect: (ctx, packet) => ctx.serverDisconnected(packet.reasonCode ?? 0),
};

export function handlePacket(ctx: ClientContext, packet: Packet): void {
  (HANDLERS[packet.cmd] as Handler | undefined)?.(ctx, packet);
}
