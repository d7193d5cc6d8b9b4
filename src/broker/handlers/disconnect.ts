import type { IDisconnectPacket } from 'mqtt-packet';
import { ProtocolError } from '../../core/protocol/errors.js';
import type { HandlerClient } from '../broker-api.js';
import { RC } from '../../core/protocol/reason-codes.js';

/**
 * DISCONNECT from the client: a normal one discards the will [MQTT-3.14.4-3]; v5 reason 0x04
 * asks for the will anyway. v5 may change the session expiry, but not from 0 [MQTT-3.14.2-2].
 */
export function handleDisconnect(client: HandlerClient, packet: IDisconnectPacket): void {
  const session = client.session!;
  const expiry = packet.properties?.sessionExpiryInterval;
  if (typeof expiry === 'number') {
    if (session.expiryInterval === 0 && expiry !== 0) throw new ProtocolError('session expiry changed from 0', RC.ProtocolError);
    session.expiryInterval = expiry;
  }
  client.normalDisconnect = (packet.reasonCode ?? 0) !== RC.DisconnectWithWillMessage;
  void client.conn.end();
}
