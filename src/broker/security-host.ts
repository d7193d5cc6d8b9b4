import { ClientState } from './client-state.js';
import type { Broker } from './broker.js';
import type { SecurityHost } from './security.js';
import { RC } from '../core/protocol/reason-codes.js';

/**
 * The broker side of run-time security changes (the dynamic security API): disconnecting the
 * clients a change concerns and publishing responses, as Mosquitto's mosquitto_kick_client_by_username
 * and mosquitto_broker_publish do.
 */
export function securityHost(broker: Broker): SecurityHost {
  return {
    kick(username) {
      for (const client of [...broker.clients]) {
        if (client.state !== ClientState.Connected) continue;
        if (username === null ? client.username !== undefined : client.username !== username) continue;
        // an administrative disconnect publishes no will; v5 clients are told why, in the
        // shortest form as Mosquitto sends it: DISCONNECT 0x98 without properties
        client.will = undefined;
        if (client.protocolVersion === 5) client.sendRaw(Buffer.from([0xe0, 0x01, RC.AdministrativeAction]));
        broker.log.notice(`Client ${client.clientId} disconnected: administrative action (dynamic security).`);
        void client.conn.end();
      }
    },
    publish(topic, payload) {
      broker.publish({ topic, payload, qos: 0, retain: false });
    },
  };
}
