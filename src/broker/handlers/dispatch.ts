import type { Packet } from 'mqtt-packet';
import { ProtocolError } from '../../core/protocol/errors.js';
import { ClientState, type BrokerClient } from '../broker-client.js';
import { authPending, handleAuth } from './auth.js';
import { handlePuback, handlePubcomp, handlePubrec, handlePubrel } from './acks.js';
import { handleConnect } from './connect.js';
import { handleDisconnect } from './disconnect.js';
import { handlePublish } from './publish.js';
import { handleSubscribe } from './subscribe.js';
import { handleUnsubscribe } from './unsubscribe.js';

type Handler<P extends Packet = Packet> = (client: BrokerClient, packet: P) => void;

/** One handler per packet type a client may send; anything else closes that connection. */
const HANDLERS: { [C in Packet['cmd']]?: Handler<Extract<Packet, { cmd: C }>> } = {
  publish: handlePublish,
  puback: handlePuback,
  pubrec: handlePubrec,
  pubrel: handlePubrel,
  pubcomp: handlePubcomp,
  subscribe: handleSubscribe,
  unsubscribe: handleUnsubscribe,
  pingreq: (client) => client.send({ cmd: 'pingresp' }),
  disconnect: handleDisconnect,
  auth: handleAuth,
};

export function handlePacket(client: BrokerClient, packet: Packet): void {
  if (client.state === ClientState.AwaitingConnect) {
    // enhanced authentication: AUTH continues the exchange CONNECT started [MQTT-4.12.0-3]
    if (packet.cmd === 'auth' && authPending(client)) return handleAuth(client, packet);
    // [MQTT-3.1.0-1] the first packet must be CONNECT
    if (packet.cmd !== 'connect') throw new ProtocolError(`${packet.cmd.toUpperCase()} before CONNECT`, 0x82);
    return handleConnect(client, packet);
  }
  if (client.state !== ClientState.Connected) return;
  if (packet.cmd === 'connect') return handleConnect(client, packet);
  const handler = HANDLERS[packet.cmd] as Handler | undefined;
  if (!handler) throw new ProtocolError(`unexpected ${packet.cmd.toUpperCase()} from a client`, 0x82);
  handler(client, packet);
}
