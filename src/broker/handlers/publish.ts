import { dollarTopicAllows } from '../auth/acl-checker.js';
import type { IPublishPacket } from 'mqtt-packet';
import type { Properties } from '../../core/protocol/types.js';
import { ProtocolError } from '../../core/protocol/errors.js';
import { validateTopicName, validateUtf8 } from '../../core/topic/validate.js';
import type { HandlerClient } from '../broker-api.js';
import { ownBytes, type BrokerMessage } from '../message.js';
import { messageFromPublishProperties } from './publish-properties.js';
import { RC } from '../../core/protocol/reason-codes.js';
import { AliasError, InboundTopicAliases } from '../../core/session/topic-aliases.js';

/**
 * PUBLISH from a client [MQTT-3.3]: resolve topic aliases, validate, authorise, route, and
 * acknowledge according to QoS (QoS 2 is routed once and deduplicated by packet id until PUBREL).
 */
export function handlePublish(client: HandlerClient, packet: IPublishPacket): void {
  const broker = client.broker;
  const session = client.session!;
  const v5 = client.protocolVersion === 5;
  const props = (packet.properties ?? NO_PROPERTIES) as Properties;
  let topic = packet.topic;

  // above the listener's max_qos: v5 DISCONNECT 0x9B QoS not supported (spec 3.3.1.2, [MQTT-3.2.2-11]
  // is the client's side of it); 3.1.1 cannot be told, and is disconnected too, as Mosquitto does
  const maxQos = client.info.listener.maxQos;
  if (maxQos !== undefined && packet.qos > maxQos) {
    throw new ProtocolError(`PUBLISH QoS ${packet.qos} is above max_qos ${maxQos}`, RC.QoSNotSupported);
  }
  const alias = props.topicAlias;
  if (typeof alias === 'number') {
    // [MQTT-3.3.2-8] [MQTT-3.3.2-9] alias 0 or above the listener's maximum (max_topic_alias):
    // Topic Alias invalid; an empty topic with an alias never mapped on this connection: Protocol Error
    const resolved = (client.aliasesIn ??= new InboundTopicAliases(client.info.listener.maxTopicAlias ?? broker.limits.topicAliasMaximum)).resolve(alias, topic);
    if (typeof resolved === 'number') throw new ProtocolError(resolved === AliasError.Invalid ? 'topic alias invalid' : 'unknown topic alias', resolved);
    topic = resolved;
  }
  // [MQTT-3.3.2-2] no wildcards in a topic name; [MQTT-4.7.3-1] not empty
  if (!validTopics.has(topic)) {
    // U+0000 is malformed UTF-8 [MQTT-1.5.4-2] (0x81); other bad names are 0x90
    if (validateTopicName(topic) !== null) throw new ProtocolError(`invalid topic name '${topic}'`, topic.includes('\u0000') ? RC.MalformedPacket : RC.TopicNameInvalid);
    if (topic.length <= VALID_TOPIC_LENGTH) {
      if (validTopics.size >= VALID_TOPICS_SIZE) validTopics.clear();
      validTopics.add(topic);
    }
  }
  if (packet.retain && !broker.limits.retainAvailable) throw new ProtocolError('retain not supported', RC.RetainNotSupported);

  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
  // $SYS publish/messages|bytes/received count what clients send, as Mosquitto's handle__publish
  // does; the broker's own messages ($SYS, wills) are not counted
  broker.stats.publishReceived++;
  broker.stats.publishBytesReceived += payload.length;
  const id = packet.messageId ?? 0;

  if (packet.qos === 2) {
    if (session.incomingQos2.has(id)) {
      // a resend: routed already, PUBREC again [MQTT-4.3.3-9]. A PUBLISH is resent only after a
      // reconnect [MQTT-4.4.0-1]; like Mosquitto (since the CVE-2023-28366 fix) we let one resend
      // on a connection through and close on the second
      const resends = qos2Resends.get(client) ?? newResends(client);
      const count = resends.get(id) ?? 0;
      if (count >= 1) throw new ProtocolError(`QoS 2 PUBLISH ${id} resent again before PUBREL`, RC.ProtocolError);
      resends.set(id, count + 1);
      return acknowledge(client, packet.qos, id, RC.Success);
    }
    qos2Resends.get(client)?.delete(id);
    // [MQTT-3.3.4-9] more unacknowledged QoS 2 than our Receive Maximum
    if (v5 && session.incomingQos2.size >= (broker.limits.maxInflightMessages || 65535)) {
      throw new ProtocolError('receive maximum exceeded', RC.ReceiveMaximumExceeded);
    }
  }
  if (broker.limits.messageSizeLimit > 0 && payload.length > broker.limits.messageSizeLimit) {
    broker.log.notice(`Dropped too large PUBLISH from ${client.clientId} (${payload.length} bytes).`);
    return acknowledge(client, packet.qos, id, v5 ? RC.PacketTooLarge : 0);
  }
  // memory_limit: over it a new message is refused, never stored. v5 QoS 1/2 publishers hear Quota
  // exceeded (spec 3.4.2.1) and own the message still; the others are disconnected, as Mosquitto
  // does, so that a QoS 1/2 message is sent again on reconnect rather than lost
  if (broker.memoryLimit?.exceeded()) {
    if (v5 && packet.qos > 0) return acknowledge(client, packet.qos, id, RC.QuotaExceeded);
    throw new ProtocolError('memory limit reached', RC.QuotaExceeded);
  }
  // [MQTT-3.3.2-4] a payload announced as UTF-8 must be UTF-8
  if (v5 && props.payloadFormatIndicator === true && validateUtf8(payload) !== null) return acknowledge(client, packet.qos, id, RC.PayloadFormatInvalid);
  // $SYS is the broker's, except the state topics bridges report on (Mosquitto's rule)
  if (!broker.hooks.authorizePublish(client, topic) || !dollarTopicAllows(topic, 'write')) {
    if (packet.qos === 2) receivedQos2(client, id);
    return acknowledge(client, packet.qos, id, v5 ? RC.NotAuthorized : 0);
  }

  // $CONTROL/... is for the broker itself and never reaches subscribers (Mosquitto's control__process)
  if (topic.startsWith('$CONTROL/')) {
    if (packet.qos === 2) receivedQos2(client, id);
    broker.hooks.control?.(client, topic, payload);
    return acknowledge(client, packet.qos, id, RC.Success);
  }

  // one shape for every message, whichever fields it uses, so routing code sees a single hidden class
  const fromProps = v5 ? messageFromPublishProperties(props) : undefined;
  const message: BrokerMessage = {
    topic,
    // retained, queued or in flight until acknowledged: its own bytes, not a view of the read buffer
    payload: packet.retain || packet.qos > 0 ? ownBytes(payload) : payload,
    qos: packet.qos,
    retain: packet.retain,
    senderId: client.clientId,
    properties: fromProps?.properties,
    expiresAt: fromProps?.expiresAt,
    frame: undefined,
    frameKey: undefined,
    frames: undefined,
  };
  if (packet.qos === 2) {
    receivedQos2(client, id);
    // Either order of PUBREC and onward delivery is allowed (we route now, Method B of MQTT 5
    // figure 4.3); Mosquitto routes on PUBREL (Method A), so a client subscribed to its own topic
    // gets PUBREC before its copy, and Mosquitto's clients and tests expect that. Only that client
    // can tell, so only then does PUBREC go first: otherwise it follows routing, so that flow
    // control can hold it when the message fills a queue. Like Mosquitto, PUBREC never says 0x10.
    if (broker.subscriptions.match(topic).some((sub) => sub.session === session)) {
      acknowledge(client, 2, id, RC.Success);
      broker.publish(message, client);
    } else {
      broker.publish(message, client);
      acknowledge(client, 2, id, RC.Success);
    }
    return;
  }
  const matched = broker.publish(message, client);
  // v5 PUBACK 0x10: accepted, but no subscription matched
  if (packet.qos === 1) acknowledge(client, 1, id, v5 && matched === 0 ? RC.NoMatchingSubscribers : RC.Success);
}

/**
 * A new QoS 2 PUBLISH, answered PUBREC: its id waits for PUBREL [MQTT-4.3.3-8]. A persistent
 * session's is stored (in the same commit as the deliveries it routes, which are written in the
 * same event-loop turn), and in durable mode the PUBREC waits for that commit: a PUBLISH resent
 * after a restart is then known and not routed again [MQTT-4.3.3-9].
 */
function receivedQos2(client: HandlerClient, id: number): void {
  const session = client.session!;
  session.incomingQos2.receive(id);
  if (session.expiryInterval !== 0) client.broker.deliveryJournal?.incomingQos2(session, id);
}

/** QoS 2 resends seen per connection and packet id while waiting for PUBREL (rare: made on use). */
const qos2Resends = new WeakMap<HandlerClient, Map<number, number>>();

function newResends(client: HandlerClient): Map<number, number> {
  const m = new Map<number, number>();
  qos2Resends.set(client, m);
  return m;
}

const NO_PROPERTIES: Properties = Object.freeze({});

/**
 * Topic names already validated: most traffic reuses a few topics, and checking every character
 * of each one again showed in profiles. Cleared when full rather than tracked per use.
 */
const validTopics = new Set<string>();
const VALID_TOPICS_SIZE = 10_000;
/** only short names are remembered, so the set never holds more than a few MB */
const VALID_TOPIC_LENGTH = 256;

/**
 * PUBACK (QoS 1) or PUBREC (QoS 2); the reason code only for v5, and only when not 0. Through the
 * broker's flow control: held, in order, while queues this client's messages went to are full.
 */
function acknowledge(client: HandlerClient, qos: number, messageId: number, reasonCode: number): void {
  // persistence (durable mode): not before what this PUBLISH wrote is on disk
  const durable = client.broker.durableAcks;
  if (durable) return durable.after(client, () => sendAck(client, qos, messageId, reasonCode));
  sendAck(client, qos, messageId, reasonCode);
}

function sendAck(client: HandlerClient, qos: number, messageId: number, reasonCode: number): void {
  const flow = client.broker.flow;
  if (qos === 1) flow.acknowledge(client, reasonCode ? { cmd: 'puback', messageId, reasonCode } : { cmd: 'puback', messageId });
  else if (qos === 2) flow.acknowledge(client, reasonCode ? { cmd: 'pubrec', messageId, reasonCode } : { cmd: 'pubrec', messageId });
}
