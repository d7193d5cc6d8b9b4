import { randomUUID } from 'node:crypto';
import type { IConnackPacket, IConnectPacket } from 'mqtt-packet';
import type { Properties, ProtocolVersion, QoS } from '../../core/protocol/types.js';
import { ConnectionState } from '../../core/connection/connection.js';
import { encodePacket } from '../../core/protocol/codec.js';
import { ProtocolError } from '../../core/protocol/errors.js';
import { validateTopicName } from '../../core/topic/validate.js';
import type { HandlerClient } from '../broker-api.js';
import { ClientState, type PendingWill } from '../client-state.js';
import { ownBytes } from '../message.js';
import { messageFromPublishProperties } from './publish-properties.js';
import { startAuth, supportsMethod } from './auth.js';
import { CONNACK_RC, RC } from '../../core/protocol/reason-codes.js';

/** v5 reason codes and their 3.1.1 CONNACK return code equivalents. */
const V3_EQUIVALENT: Record<number, number> = {
  [RC.ClientIdentifierNotValid]: CONNACK_RC.IdentifierRejected,
  [RC.BadUserNameOrPassword]: CONNACK_RC.BadUserNameOrPassword,
  [RC.NotAuthorized]: CONNACK_RC.NotAuthorized,
  [RC.ServerUnavailable]: CONNACK_RC.ServerUnavailable,
  [RC.UnsupportedProtocolVersion]: CONNACK_RC.UnacceptableProtocolVersion,
  [RC.BadAuthenticationMethod]: CONNACK_RC.NotAuthorized,
};

/**
 * CONNECT [MQTT-3.1]: validate, authenticate, take over or create the session, answer CONNACK
 * with properties that tell the truth about what we support, then resume the session.
 */
export function handleConnect(client: HandlerClient, packet: IConnectPacket): void {
  const broker = client.broker;
  if (client.state !== ClientState.AwaitingConnect) {
    // [MQTT-3.1.0-2] a second CONNECT is a protocol violation that closes the connection; like
    // Mosquitto, without a DISCONNECT (the spec names none for an error in a CONNECT)
    broker.log.notice(`Bad client ${client.clientId} sending multiple CONNECT messages.`);
    client.close();
    return;
  }
  const version = (packet.protocolVersion ?? 4) as ProtocolVersion;
  client.protocolVersion = version;
  client.conn.protocolVersion = version;
  client.isBridge = (packet as IConnectPacket & { bridgeMode?: boolean }).bridgeMode === true;
  // a CONNECT that does not conform closes the connection without CONNACK [MQTT-3.1.4-1]
  // (v5 allows a CONNACK first; Mosquitto, like us, just closes)
  checkConnectPacket(packet, version);
  const props = (packet.properties ?? {}) as Properties;
  const security = client.info.listener.security;
  let clientId = packet.clientId ?? '';
  const clean = packet.clean !== false;
  let assigned: string | undefined;

  if (clientId === '') {
    if (version === 3 || (version === 4 && !clean)) {
      // [MQTT-3.1.3-8] a zero-length id needs clean session (and 3.1 requires an id)
      return refuse(client, RC.ClientIdentifierNotValid, 'empty client id');
    }
    // allow_zero_length_clientid false: Mosquitto answers 2 (identifier rejected), v5 0x80
    if (security && !security.allowZeroLengthClientId) return refuse(client, RC.UnspecifiedError, 'empty client id not allowed', CONNACK_RC.IdentifierRejected);
    clientId = assigned = `${security?.autoIdPrefix ?? 'auto-'}${randomUUID().toUpperCase()}`;
  }
  const method = packet.properties?.authenticationMethod;
  // a method we do not implement: 0x8C Bad authentication method, and close [MQTT-4.12.0-1]
  if (method !== undefined && !supportsMethod(method)) return refuse(client, RC.BadAuthenticationMethod, `authentication method ${method} is not supported`);

  let will: PendingWill | undefined;
  if (packet.will) {
    const topicError = validateTopicName(packet.will.topic);
    if (topicError !== null) throw new ProtocolError(`invalid will topic: ${topicError}`, topicError.includes('U+0000') ? RC.MalformedPacket : RC.TopicNameInvalid);
    // $CONTROL/ is the broker's own API, never a will's topic: closed without CONNACK, as Mosquitto
    // does since 2.0.16 (its 07-will-control)
    if (packet.will.topic.startsWith('$CONTROL/')) throw new ProtocolError('will topic on $CONTROL/', RC.NotAuthorized);
    const willProps = (packet.will.properties ?? {}) as Properties;
    if ((packet.will.qos ?? 0) > 2) throw new ProtocolError('will QoS 3', RC.MalformedPacket);
    // a will QoS above the listener's max_qos: the connection is rejected [MQTT-3.2.2-12], in v5
    // with CONNACK 0x9B QoS not supported; 3.1.1 has no code for it, so, as Mosquitto, just closed
    const maxQos = client.info.listener.maxQos ?? 2;
    if ((packet.will.qos ?? 0) > maxQos) {
      if (version === 5) return refuse(client, RC.QoSNotSupported, `will QoS ${packet.will.qos} is above max_qos ${maxQos}`);
      throw new ProtocolError(`will QoS ${packet.will.qos} is above max_qos ${maxQos}`, RC.QoSNotSupported);
    }
    if (packet.will.retain && !broker.limits.retainAvailable) return refuse(client, RC.RetainNotSupported, 'retain not supported');
    // kept for the whole connection: its own bytes, not a view of the read buffer
    const payload = Buffer.isBuffer(packet.will.payload) ? ownBytes(packet.will.payload) : Buffer.from(packet.will.payload ?? '');
    // message_size_limit applies to wills as to PUBLISH payloads (Mosquitto: 0x95, 3.1.1 code 5)
    if (broker.limits.messageSizeLimit > 0 && payload.length > broker.limits.messageSizeLimit) {
      return refuse(client, RC.PacketTooLarge, `will payload of ${payload.length} bytes is above message_size_limit`);
    }
    will = {
      message: {
        topic: packet.will.topic,
        payload,
        qos: (packet.will.qos ?? 0) as QoS,
        retain: !!packet.will.retain,
        senderId: clientId,
        ...messageFromPublishProperties(willProps),
      },
      delaySeconds: typeof willProps.willDelayInterval === 'number' ? willProps.willDelayInterval : 0,
    };
  }

  if (method !== undefined) {
    // SCRAM: CONNACK waits for the client's AUTH (handlers/auth.ts)
    return startAuth(client, method, packet.properties?.authenticationData, (code, serverFinal, username) => {
      if (code !== RC.Success) return refuse(client, code, `${method} authentication failed`);
      accept(client, packet, 0, { clientId, assigned, clean, will, props, auth: { method, data: serverFinal!, username } });
    });
  }
  const authCode = broker.hooks.authenticate({ client, clientId, username: packet.username, password: packet.password });
  if (typeof authCode === 'number') return accept(client, packet, authCode, { clientId, assigned, clean, will, props });
  // password hashing runs off the event loop: hold this client's later packets until it is done
  client.hold();
  // outside the packet handler's try/catch: what these throw ends this connection, not the process
  authCode.then(
    (code) => {
      try {
        accept(client, packet, code, { clientId, assigned, clean, will, props });
        client.release();
      } catch (err) {
        client.failed(err, 'completing CONNECT');
      }
    },
    (err: Error) => {
      broker.log.error(`Authentication of ${clientId} failed: ${err.message}`);
      try {
        accept(client, packet, RC.UnspecifiedError, { clientId, assigned, clean, will, props });
        client.release();
      } catch (e) {
        client.failed(e, 'refusing CONNECT');
      }
    },
  );
}

interface ConnectFacts {
  clientId: string;
  assigned?: string;
  clean: boolean;
  will: PendingWill | undefined;
  props: Properties;
  /** enhanced authentication that succeeded: CONNACK carries the method and server-final-message [MQTT-4.12.0-5] */
  auth?: { method: string; data: Buffer; username?: string };
}

/** The rest of CONNECT once authentication has answered. */
function accept(client: HandlerClient, packet: IConnectPacket, authCode: number, facts: ConnectFacts): void {
  const broker = client.broker;
  // closed while authenticating, or closing: a packet held behind this CONNECT was malformed
  if (client.state !== ClientState.AwaitingConnect || client.conn.state !== ConnectionState.Open) return;
  if (authCode !== RC.Success) return refuse(client, authCode, 'not authorised');
  const { clientId, assigned, clean, will, props } = facts;
  const version = client.protocolVersion;
  client.clientId = clientId;
  if (facts.auth?.username !== undefined) {
    // the SCRAM identity is the client's; a CONNECT user name naming someone else is refused
    if (packet.username !== undefined && packet.username !== facts.auth.username) return refuse(client, RC.NotAuthorized, 'CONNECT user name is not the authenticated one');
    client.username = facts.auth.username;
  }
  client.username ??= packet.username;
  // who publishes it, as known now that authentication is over (check_retain_source)
  if (will) will.message.willSource = { username: client.username, listener: client.info.listener };
  client.will = will;
  client.keepalive = packet.keepalive ?? 0;
  let serverKeepAlive: number | undefined;
  if ((client.keepalive === 0 || client.keepalive > broker.limits.maxKeepalive) && broker.limits.maxKeepalive < 65535) {
    // v5 is told the keep alive to use (Server Keep Alive [MQTT-3.2.2-21]); 3.1.1 has no way to
    // be told, and Mosquitto (2.0.21, its 01-connect-max-keepalive) refuses it: identifier rejected
    if (version !== 5) return refuse(client, RC.ClientIdentifierNotValid, `keep alive ${client.keepalive} is not within max_keepalive ${broker.limits.maxKeepalive}`, CONNACK_RC.IdentifierRejected);
    serverKeepAlive = client.keepalive = broker.limits.maxKeepalive;
  }
  if (version === 5) {
    client.receiveMaximum = typeof props.receiveMaximum === 'number' ? props.receiveMaximum : 65535;
    if (typeof props.maximumPacketSize === 'number') client.maximumPacketSize = props.maximumPacketSize;
  }

  const connack: IConnackPacket = { cmd: 'connack', sessionPresent: false };
  if (version === 5) {
    connack.reasonCode = RC.Success;
    // Mosquitto's order (properties are written in insertion order), which byte-exact clients and
    // test suites see: 2.0.21's, Server Keep Alive first (2.0.11 put it after Topic Alias Maximum;
    // MQTT sets no order); Receive Maximum is left out when unlimited, its default being 65535
    const cp: NonNullable<IConnackPacket['properties']> = {};
    if (serverKeepAlive !== undefined) cp.serverKeepAlive = serverKeepAlive;
    // max_topic_alias 0: no aliases, and no Topic Alias Maximum (absent or 0: the client sends none [MQTT-3.2.2-18])
    const aliasMaximum = client.info.listener.maxTopicAlias ?? broker.limits.topicAliasMaximum;
    if (aliasMaximum > 0) cp.topicAliasMaximum = aliasMaximum;
    if (assigned) cp.assignedClientIdentifier = assigned;
    if (!broker.limits.retainAvailable) cp.retainAvailable = false;
    if (broker.limits.maxPacketSize !== undefined) cp.maximumPacketSize = broker.limits.maxPacketSize;
    if (broker.limits.maxInflightMessages > 0) cp.receiveMaximum = broker.limits.maxInflightMessages;
    // max_qos below 2 (Mosquitto's place for it: after Receive Maximum) [MQTT-3.2.2-9]
    const maxQos = client.info.listener.maxQos ?? 2;
    if (maxQos < 2) cp.maximumQoS = maxQos;
    if (facts.auth) {
      cp.authenticationMethod = facts.auth.method;
      cp.authenticationData = facts.auth.data;
    }
    connack.properties = cp;
    // [MQTT-3.1.2-24] nothing larger than the client's Maximum Packet Size, the CONNACK included:
    // when even that does not fit, close before the session is touched (Mosquitto does the same)
    if (client.maximumPacketSize < MAX_CONNACK_SIZE && encodePacket(connack, 5).length > client.maximumPacketSize) {
      broker.log.notice(`Client ${client.address} refused: its Maximum Packet Size (${client.maximumPacketSize}) cannot hold a CONNACK.`);
      client.state = ClientState.Closed;
      void client.conn.end();
      return;
    }
  } else {
    connack.returnCode = CONNACK_RC.Accepted;
  }

  // session takeover [MQTT-3.1.4-3]: the old connection goes, with 0x8E for a v5 client
  const existing = broker.sessions.get(clientId);
  if (existing?.client) {
    const old = existing.client;
    existing.client = undefined;
    // the old session ends here when the new connection starts clean or when it was to last only
    // as long as its connection (expiry 0, or clean session in 3.1.1): then the old will goes out
    // now; when the session carries on, the will is moot (Mosquitto does the same)
    const sessionEnds = clean || existing.expiryInterval === 0;
    old.normalDisconnect = sessionEnds;
    old.disconnect(RC.SessionTakenOver, 'Session taken over');
    old.close();
    if (old.will && sessionEnds) broker.scheduleWill(old.clientId, old.will, 0);
    old.will = undefined;
  }
  broker.cancelWill(clientId);

  const expiryInterval = version === 5 ? (typeof props.sessionExpiryInterval === 'number' ? props.sessionExpiryInterval : 0) : clean ? 0 : 0xffffffff;
  const { session, present: sessionPresent } = broker.takeSession(client, clean, expiryInterval, version);
  // what this listener allows is what the session is sent from now on (Mosquitto: context->max_qos)
  session.maxQos = client.info.listener.maxQos ?? 2;
  client.state = ClientState.Connected;
  broker.stats.clientsTotalEver++;
  broker.stats.clientsMaximum = Math.max(broker.stats.clientsMaximum, broker.connectedCount);

  // MQTT 3.1 has no session present flag: its CONNACK's first byte is reserved, always 0
  connack.sessionPresent = sessionPresent && version !== 3;
  // the common answer is the same 4 bytes for every client: one shared buffer, not one made per
  // connect (the debug log wants the packet, so it goes the general way)
  if (version !== 5 && !broker.log.debugOn) client.sendRaw(CONNACK_ACCEPTED[connack.sessionPresent ? 1 : 0]!);
  else client.send(connack);
  if (broker.log.connectionsOn) {
    const logUser = facts.auth?.username ?? packet.username;
    broker.log.connection(
      `New ${client.isBridge ? 'bridge' : 'client'} connected from ${client.info.remoteAddress}:${client.info.remotePort} as ${clientId} (p${version === 5 ? 5 : version === 4 ? 2 : 1}, c${clean ? 1 : 0}, k${client.keepalive}${logUser ? `, u'${logUser}'` : ''}).`,
    );
  }
  if (sessionPresent) broker.resumeSession(session, client);
}

/**
 * A 3.1/3.1.1 CONNACK accepting the connection, without and with session present. Written as they
 * are to every such client: nothing may change their bytes.
 */
const CONNACK_ACCEPTED = [Buffer.from([0x20, 0x02, 0x00, CONNACK_RC.Accepted]), Buffer.from([0x20, 0x02, 0x01, CONNACK_RC.Accepted])] as const;

/** A v5 CONNACK this size or larger is never built (properties are few): clients allowing more need no check. */
const MAX_CONNACK_SIZE = 1024;

/**
 * CONNACK with a failure code in the client's protocol, then close [MQTT-3.2.2-5]. The 3.1/3.1.1
 * code is the v5 code's equivalent unless given.
 */
export function refuse(client: HandlerClient, v5Code: number, why: string, v3Code?: number): void {
  const v5 = client.protocolVersion === 5;
  const packet: IConnackPacket = v5
    ? { cmd: 'connack', sessionPresent: false, reasonCode: v5Code }
    : { cmd: 'connack', sessionPresent: false, returnCode: v3Code ?? V3_EQUIVALENT[v5Code] ?? CONNACK_RC.NotAuthorized };
  client.send(packet);
  client.broker.log.notice(`Client ${client.address} refused: ${why}.`);
  client.state = ClientState.Closed;
  void client.conn.end();
}

/**
 * What mqtt-packet's parser lets through but the spec does not. U+0000 in the client id or user
 * name [MQTT-1.5.4-2]; a password without a user name before v5 [MQTT-3.1.2-22]; v5 Receive
 * Maximum or Maximum Packet Size 0 [MQTT-3.1.2 (protocol errors)]; and bytes the fields do not
 * account for: the parser ignores what follows the last field its flags announce (a user name
 * whose flag was cleared), replaces ill-formed UTF-8 [MQTT-1.5.4-1] and keeps one of a repeated
 * property, so the Remaining Length must be exactly what the decoded fields take.
 */
function checkConnectPacket(packet: IConnectPacket, version: ProtocolVersion): void {
  if (packet.clientId?.includes('\u0000')) throw new ProtocolError('client id contains U+0000', RC.MalformedPacket);
  if (packet.username?.includes('\u0000')) throw new ProtocolError('user name contains U+0000', RC.MalformedPacket);
  if (version !== 5 && packet.password !== undefined && packet.username === undefined) {
    throw new ProtocolError('password without user name', RC.ProtocolError);
  }
  if (version === 5) {
    const p = packet.properties;
    if (p?.receiveMaximum === 0) throw new ProtocolError('Receive Maximum 0', RC.ProtocolError);
    if (p?.maximumPacketSize === 0) throw new ProtocolError('Maximum Packet Size 0', RC.ProtocolError);
    // Authentication Data without an Authentication Method is a Protocol Error [MQTT-3.1.2.11.10]
    if (p?.authenticationData !== undefined && p.authenticationMethod === undefined) throw new ProtocolError('Authentication Data without Authentication Method', RC.ProtocolError);
  }
  const length = (packet as { length?: number }).length;
  // a v5 CONNECT reaches us only through the broker's strict decoder walk (checkClientFrame),
  // which has checked its exact layout; measuring its properties again by re-encoding them cost
  // more than the decoding itself (Mosquitto's 01-connect-575314: 5,001 user properties)
  if (typeof length !== 'number' || version === 5) return;
  const expected = connectRemainingLength(packet, version);
  if (expected !== length) {
    throw new ProtocolError(`CONNECT of ${length} bytes whose fields take ${expected}`, RC.MalformedPacket);
  }
}

/** The Remaining Length a 3.1 or 3.1.1 CONNECT with these fields has. */
function connectRemainingLength(packet: IConnectPacket, version: ProtocolVersion): number {
  const str = (s: string | undefined) => (s === undefined ? 0 : 2 + Buffer.byteLength(s));
  const bin = (b: Buffer | string | undefined) => (b === undefined ? 0 : 2 + (typeof b === 'string' ? Buffer.byteLength(b) : b.length));
  const protocolId = packet.protocolId ?? (version === 3 ? 'MQIsdp' : 'MQTT');
  let n = str(protocolId) + 4 + str(packet.clientId ?? '');
  if (packet.will) n += str(packet.will.topic) + bin(packet.will.payload);
  if (packet.username !== undefined) n += str(packet.username);
  if (packet.password !== undefined) n += bin(packet.password);
  return n;
}

