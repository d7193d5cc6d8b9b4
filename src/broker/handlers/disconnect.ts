import type { IDisconnectPacket } from 'mqtt-packet';
import { ProtocolError } from '../../core/protocol/errors.js';
import type { BrokerClient } from '../broker-client.js';

/**
 * DISCONNECT from the client: a normal one discards the will [MQTT-3.14.4-3]; v5 reason 0x04
 * asks for the will anyway. v5 may change the session expiry, but not from 0 [MQTT-3.14.2-2].
 */
export function handleDisconnect(client: BrokerClient, packet: IDisconnectPacket): void {
  const session = client.session!;
  const expiry = packet.properties?.sessionExpiryInterval;
  if (typeof expiry === 'number') {
    if (session.expiryInterval === 0 && expiry !== 0) throw new ProtocolError('session expiry changed from 0', 0x82);
    session.expiryInterval = expiry;
  }
  client.normalDisconnect = (packet.reasonCode ?? 0) !== 0x04;
  void client.conn.end();
}
