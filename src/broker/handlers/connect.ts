import { randomUUID } from 'node:crypto';
import type { IConnackPacket, IConnectPacket } from 'mqtt-packet';
import type { Properties, ProtocolVersion, QoS } from '../../client/config.js';
import { ProtocolError } from '../../core/protocol/errors.js';
import { validateTopicName } from '../../core/topic/validate.js';
import { ClientState, type BrokerClient } from '../broker-client.js';
import { Session, SessionState } from '../session.js';
import { messageFromPublishProperties } from './publish-properties.js';

/** v5 reason codes and their 3.1.1 CONNACK return code equivalents. */
const V3_EQUIVALENT: Record<number, number> = { 0x85: 2, 0x86: 4, 0x87: 5, 0x88: 3, 0x84: 1, 0x8c: 5 };

/**
 * CONNECT [MQTT-3.1]: validate, authenticate, take over or create the session, answer CONNACK
 * with properties that tell the truth about what we support, then resume the session.
 */
export function handleConnect(client: BrokerClient, packet: IConnectPacket): void {
  const broker = client.broker;
  if (client.state !== ClientState.AwaitingConnect) {
    // [MQTT-3.1.0-2] a second CONNECT is a protocol violation
    throw new ProtocolError('second CONNECT', 0x82);
  }
  const version = (packet.protocolVersion ?? 4) as ProtocolVersion;
  client.protocolVersion = version;
  client.conn.protocolVersion = version;
  const props = (packet.properties ?? {}) as Properties;
  let clientId = packet.clientId ?? '';
  const clean = packet.clean !== false;
  let assigned: string | undefined;

  if (clientId === '') {
    if (version === 3 || (version === 4 && !clean)) {
      // [MQTT-3.1.3-8] a zero-length id needs clean session (and 3.1 requires an id)
      return refuse(client, 0x85, 'empty client id');
    }
    clientId = assigned = `auto-${randomUUID().toUpperCase()}`;
  }
  if (props.authenticationMethod !== undefined) return refuse(client, 0x8c, 'extended authentication is not supported');

  let will: BrokerClient['will'];
  if (packet.will) {
    if (validateTopicName(packet.will.topic) !== null) return refuse(client, 0x90, 'invalid will topic');
    const willProps = (packet.will.properties ?? {}) as Properties;
    if ((packet.will.qos ?? 0) > 2) throw new ProtocolError('will QoS 3', 0x81);
    if (packet.will.retain && !broker.limits.retainAvailable) return refuse(client, 0x9a, 'retain not supported');
    will = {
      message: {
        topic: packet.will.topic,
        payload: Buffer.isBuffer(packet.will.payload) ? packet.will.payload : Buffer.from(packet.will.payload ?? ''),
        qos: (packet.will.qos ?? 0) as QoS,
        retain: !!packet.will.retain,
        senderId: clientId,
        ...messageFromPublishProperties(willProps),
      },
      delaySeconds: typeof willProps.willDelayInterval === 'number' ? willProps.willDelayInterval : 0,
    };
  }

  const authCode = broker.hooks.authenticate({ client, clientId, username: packet.username, password: packet.password });
  if (typeof authCode === 'number') return accept(client, packet, authCode, { clientId, assigned, clean, will, props });
  // password hashing runs off the event loop: hold this client's later packets until it is done
  client.hold();
  authCode.then(
    (code) => {
      accept(client, packet, code, { clientId, assigned, clean, will, props });
      client.release();
    },
    (err: Error) => {
      broker.log.error(`Authentication of ${clientId} failed: ${err.message}`);
      accept(client, packet, 0x80, { clientId, assigned, clean, will, props });
      client.release();
    },
  );
}

interface ConnectFacts {
  clientId: string;
  assigned?: string;
  clean: boolean;
  will: BrokerClient['will'];
  props: Properties;
}

/** The rest of CONNECT once authentication has answered. */
function accept(client: BrokerClient, packet: IConnectPacket, authCode: number, facts: ConnectFacts): void {
  const broker = client.broker;
  if (client.state !== ClientState.AwaitingConnect) return; // closed while authenticating
  if (authCode !== 0) return refuse(client, authCode, 'not authorised');
  const { clientId, assigned, clean, will, props } = facts;
  const version = client.protocolVersion;
  client.clientId = clientId;
  client.username ??= packet.username;
  client.will = will;
  client.keepalive = packet.keepalive ?? 0;
  let serverKeepAlive: number | undefined;
  if (version === 5 && (client.keepalive === 0 || client.keepalive > broker.limits.maxKeepalive) && broker.limits.maxKeepalive < 65535) {
    serverKeepAlive = client.keepalive = broker.limits.maxKeepalive;
  }
  if (version === 5) {
    client.receiveMaximum = typeof props.receiveMaximum === 'number' ? props.receiveMaximum : 65535;
    if (typeof props.maximumPacketSize === 'number') client.maximumPacketSize = props.maximumPacketSize;
  }

  // session takeover [MQTT-3.1.4-3]: the old connection goes, with 0x8E for a v5 client
  const existing = broker.sessions.get(clientId);
  if (existing?.client) {
    const old = existing.client;
    existing.client = undefined;
    old.normalDisconnect = clean; // its will is moot only when the new client resumes the session
    old.disconnect(0x8e, 'Session taken over');
    old.close();
    if (old.will && clean) broker.scheduleWill(old.clientId, old.will, 0);
    old.will = undefined;
  }
  broker.cancelWill(clientId);

  let session = existing;
  let sessionPresent = false;
  if (session && !clean && session.state !== SessionState.Ended) {
    sessionPresent = true;
    clearTimeout(session.expiryTimer);
  } else {
    if (session) broker.endSession(session);
    session = new Session(clientId);
    broker.sessions.set(clientId, session);
  }
  session.state = SessionState.Online;
  session.client = client;
  session.username = client.username;
  session.expiryInterval = version === 5 ? (typeof props.sessionExpiryInterval === 'number' ? props.sessionExpiryInterval : 0) : clean ? 0 : 0xffffffff;
  client.session = session;
  client.state = ClientState.Connected;
  broker.stats.clientsTotalEver++;
  broker.stats.clientsMaximum = Math.max(broker.stats.clientsMaximum, broker.connectedCount);

  const connack: IConnackPacket = { cmd: 'connack', sessionPresent };
  if (version === 5) {
    connack.reasonCode = 0;
    const cp: NonNullable<IConnackPacket['properties']> = {
      topicAliasMaximum: broker.limits.topicAliasMaximum,
      receiveMaximum: broker.limits.maxInflightMessages || 65535,
    };
    if (assigned) cp.assignedClientIdentifier = assigned;
    if (serverKeepAlive !== undefined) cp.serverKeepAlive = serverKeepAlive;
    if (broker.limits.maxPacketSize !== undefined) cp.maximumPacketSize = broker.limits.maxPacketSize;
    if (!broker.limits.retainAvailable) cp.retainAvailable = false;
    connack.properties = cp;
  } else {
    connack.returnCode = 0;
  }
  client.send(connack);
  broker.log.notice(
    `New client connected from ${client.info.remoteAddress}:${client.info.remotePort} as ${clientId} (p${version === 5 ? 5 : version === 4 ? 2 : 1}, c${clean ? 1 : 0}, k${client.keepalive}${packet.username ? `, u'${packet.username}'` : ''}).`,
  );
  if (sessionPresent) broker.resumeSession(session, client);
}

/** CONNACK with a failure code in the client's protocol, then close [MQTT-3.2.2-5]. */
function refuse(client: BrokerClient, v5Code: number, why: string): void {
  const v5 = client.protocolVersion === 5;
  const packet: IConnackPacket = v5
    ? { cmd: 'connack', sessionPresent: false, reasonCode: v5Code }
    : { cmd: 'connack', sessionPresent: false, returnCode: V3_EQUIVALENT[v5Code] ?? 5 };
  client.send(packet);
  client.broker.log.notice(`Client ${client.address} refused: ${why}.`);
  client.state = ClientState.Closed;
  void client.conn.end();
}
