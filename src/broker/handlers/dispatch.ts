import type { Packet } from 'mqtt-packet';
import { ProtocolError } from '../../core/protocol/errors.js';
import type { HandlerClient } from '../broker-api.js';
import { ClientState } from '../client-state.js';
import { authPending, handleAuth } from './auth.js';
import { handlePuback, handlePubcomp, handlePubrec, handlePubrel } from './acks.js';
import { handleConnect, refuse } from './connect.js';
import { handleDisconnect } from './disconnect.js';
import { handlePublish } from './publish.js';
import { handleSubscribe } from './subscribe.js';
import { handleUnsubscribe } from './unsubscribe.js';
import { RC } from '../../core/protocol/reason-codes.js';

type Handler<P extends Packet = Packet> = (client: HandlerClient, packet: P) => void;

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

export function handlePacket(client: HandlerClient, packet: Packet): void {
  if (client.state === ClientState.AwaitingConnect) {
    // enhanced authentication: only AUTH continues the exchange CONNECT started [MQTT-4.12.0-3];
    // anything else then (a second CONNECT included [MQTT-3.1.0-2]) is a Protocol Error, told
    // with CONNACK 0x82 since no CONNACK was sent yet
    if (authPending(client)) {
      try {
        if (packet.cmd !== 'auth') throw new ProtocolError(`${packet.cmd.toUpperCase()} during enhanced authentication`, RC.ProtocolError);
        return handleAuth(client, packet);
      } catch (err) {
        if (err instanceof ProtocolError) return refuse(client, err.reasonCode, err.message);
        throw err;
      }
    }
    // [MQTT-3.1.0-1] the first packet must be CONNECT
    if (packet.cmd !== 'connect') throw new ProtocolError(`${packet.cmd.toUpperCase()} before CONNECT`, RC.ProtocolError);
    return handleConnect(client, packet);
  }
  if (client.state !== ClientState.Connected) return;
  if (packet.cmd === 'connect') return handleConnect(client, packet);
  const handler = HANDLERS[packet.cmd] as Handler | undefined;
  if (!handler) throw new ProtocolError(`unexpected ${packet.cmd.toUpperCase()} from a client`, RC.ProtocolError);
  handler(client, packet);
}
