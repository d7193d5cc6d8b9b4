import type { ISubscribePacket } from 'mqtt-packet';
import type { QoS } from '../../core/protocol/types.js';
import { ProtocolError } from '../../core/protocol/errors.js';
import { parseSharedSubscription, validateTopicFilter } from '../../core/topic/validate.js';
import type { HandlerClient } from '../broker-api.js';
import { SessionState, type Session, type Subscription } from '../session.js';
import { RC, SUBACK_FAILURE } from '../../core/protocol/reason-codes.js';

/**
 * SUBSCRIBE [MQTT-3.8]: one return code per filter, SUBACK first, then the retained messages
 * the retain-handling option asks for [MQTT-3.3.1-6].
 */
export function handleSubscribe(client: HandlerClient, packet: ISubscribePacket): void {
  const broker = client.broker;
  const session = client.session!;
  const v5 = client.protocolVersion === 5;
  const subscriptionId = typeof packet.properties?.subscriptionIdentifier === 'number' ? packet.properties.subscriptionIdentifier : undefined;
  // [MQTT-2.3.1-1] (v5 [MQTT-2.2.1-3]) a non-zero packet identifier; Mosquitto calls 0 malformed
  if (!packet.messageId) throw new ProtocolError('SUBSCRIBE with packet identifier 0', RC.MalformedPacket);
  // [MQTT-3.8.3-3] at least one filter
  if (!packet.subscriptions || packet.subscriptions.length === 0) throw new ProtocolError('SUBSCRIBE without filters', RC.ProtocolError);
  // [MQTT-1.5.4-2] a UTF-8 string with U+0000 makes the packet malformed: close, not a failure code
  for (const s of packet.subscriptions) if (s.topic.includes('\u0000')) throw new ProtocolError('topic filter contains U+0000', RC.MalformedPacket);

  const granted: number[] = [];
  const retainedToSend: Array<{ sub: Subscription }> = [];
  for (const s of packet.subscriptions) {
    const shared = parseSharedSubscription(s.topic);
    if (shared && 'error' in shared) {
      granted.push(v5 ? RC.TopicFilterInvalid : SUBACK_FAILURE);
      continue;
    }
    const topicFilter = shared ? shared.filter : s.topic;
    if (validateTopicFilter(topicFilter) !== null) {
      granted.push(v5 ? RC.TopicFilterInvalid : SUBACK_FAILURE);
      continue;
    }
    // [MQTT-3.8.3-4] no local on a shared subscription is a protocol error
    if (shared && s.nl) throw new ProtocolError('no local on a shared subscription', RC.ProtocolError);
    if (!broker.hooks.authorizeSubscribe(client, s.topic)) {
      granted.push(v5 ? RC.NotAuthorized : SUBACK_FAILURE);
      continue;
    }
    // granted at most the listener's max_qos, as Mosquitto does; any requested QoS is still accepted [MQTT-3.2.2-10]
    const qos = Math.min(s.qos, client.info.listener.maxQos ?? 2) as QoS;
    const sub: Subscription = {
      session,
      filter: s.topic,
      topicFilter,
      shareName: shared ? shared.shareName : undefined,
      qos,
      noLocal: (v5 && !!s.nl) || client.isBridge === true,
      retainAsPublished: (v5 && !!s.rap) || client.isBridge === true,
      retainHandling: v5 ? (s.rh ?? 0) : 0,
      subscriptionId,
    };
    const isNew = broker.addSubscription(sub);
    granted.push(qos);
    // log_type subscribe, in Mosquitto's words: "<client id> <QoS> <filter>"
    broker.log.subscribe(`${client.clientId} ${qos} ${s.topic}`);
    // retained messages: not for shared subscriptions; rh 1 only when new; rh 2 never
    if (!shared && (sub.retainHandling === 0 || (sub.retainHandling === 1 && isNew))) retainedToSend.push({ sub });
  }
  const suback = { cmd: 'suback', messageId: packet.messageId!, granted, ...(v5 ? { properties: {} } : {}) } as never;
  // persistence (durable mode): SUBACK once the subscriptions are on disk, and the retained
  // messages after it, as always
  const durable = broker.durableAcks;
  if (durable) durable.after(client, () => sendSuback(client, suback, retainedToSend));
  else sendSuback(client, suback, retainedToSend);
}

function sendSuback(client: HandlerClient, suback: never, retainedToSend: Array<{ sub: Subscription }>): void {
  const broker = client.broker;
  const session = client.session!;
  // the wait for the disk outlasted the session (a takeover with clean start)
  if (session.state === SessionState.Ended) return;
  client.send(suback);
  if (retainedToSend.length === 0) return;
  const reload = broker.securityReload;
  if (reload !== undefined) void reload.then(() => sendRetained(client, session, retainedToSend));
  else sendRetained(client, session, retainedToSend);
}

function sendRetained(client: HandlerClient, session: Session, retainedToSend: Array<{ sub: Subscription }>): void {
  const broker = client.broker;
  // the session may have ended while a reload was read
  if (session.state === SessionState.Ended) return;
  const now = Date.now();
  const sourceCheck = broker.hooks.authorizeRetainSource;
  for (const { sub } of retainedToSend) {
    for (const entry of broker.retained.entries(sub.topicFilter, now)) {
      const message = entry.message;
      if (!broker.hooks.authorizeRead(session, message.topic)) continue;
      // check_retain_source: its publisher may have lost the right to write it since (Mosquitto retain__process)
      if (sourceCheck !== undefined && !sourceCheck(entry)) continue;
      // retained messages sent because of a subscription keep retain = 1 [MQTT-3.3.1-8]
      broker.deliver(session, {
        message,
        // upgrade_outgoing_qos: at the subscription's QoS, as Mosquitto's retain.c does
        qos: broker.limits.upgradeOutgoingQos ? sub.qos : (Math.min(message.qos, sub.qos) as QoS),
        retain: true,
        subscriptionIds: sub.subscriptionId ? [sub.subscriptionId] : undefined,
      });
    }
  }
}
