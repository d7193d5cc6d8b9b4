import { EventEmitter } from 'node:events';
import { MemoryLimit } from './memory-limit.js';
import type { Duplex } from 'node:stream';
import type { QoS } from '../core/protocol/types.js';
import { SubscriptionTrie } from '../core/topic/trie.js';
import type { BrokerApi, BrokerStats, DeliveryJournal, DurableAcks, SessionJournal, WillJournal } from './broker-api.js';
import { BrokerClient } from './broker-client.js';
import { ClientState, type ConnectionInfo } from './client-state.js';
import { DEFAULT_LIMITS, type BrokerLimits } from './limits.js';
import { allowAll, type BrokerHooks } from './hooks.js';
import { FlowControl } from './flow-control.js';
import { BrokerLog } from './log.js';
import { publishLine } from './packet-log.js';
import { frameFor, type BrokerMessage } from './message.js';
import { RetainedStore } from './retained-store.js';
import { Session, SessionState, type Delivery, type SessionClient, type Subscription } from './session.js';
import { Resend, type OutgoingLimits } from '../core/session/outgoing-flow.js';
import { withPacketId, type PublishFrame } from '../core/protocol/publish-encoder.js';
import { setLongTimeout, type LongTimeout } from '../core/timers/long-timeout.js';
import { collectGarbage } from '../core/memory/full-gc.js';
import { RC } from '../core/protocol/reason-codes.js';

/**
 * A subscriber's unsent QoS 0 bytes beyond which further QoS 0 messages to it are dropped (and
 * counted): QoS 0 is never queued, and a client that does not read must not make us buffer
 * without limit. Mosquitto drops QoS 0 once max_queued_messages packets wait for the socket.
 */
export const QOS0_BACKLOG_BYTES = 1024 * 1024;
/** ids a session's queue may hold for its offline client (the rest of the id space stays for sending) */
const RESERVED_IDS_MAX = 32_768;
export { UNLIMITED_QUEUE_BACKPRESSURE } from './flow-control.js';

/**
 * Connections that must have gone (and at least half of the most there were) before a quiet broker
 * collects their garbage at once: see releaseIdleMemory.
 */
const IDLE_GC_MIN_GONE = 1000;
/** sweeps (seconds) between the two collections after a wave of disconnects */
const IDLE_GC_SECOND_AFTER = 7;

/** Topics whose routes are cached; past this the cache starts again (a broker with endless topics gains nothing from it). */
const ROUTE_CACHE_SIZE = 10_000;
/** longer topics are routed without the cache, so that it never holds more than a few MB of names */
const ROUTE_CACHE_TOPIC_LENGTH = 256;

interface RouteTarget {
  session: Session;
  qos: QoS;
  /** retain as published */
  rap: boolean;
  /** subscription identifiers to send, undefined when none */
  ids: number[] | undefined;
  /** every matching subscription of this session is no-local: not for what its own client published */
  noLocal: boolean;
}

interface Route {
  matches: Subscription[];
  /** the targets when nothing about them depends on the message or on who is online */
  targets: RouteTarget[] | undefined;
}

function collect(perSession: Map<Session, RouteTarget>, sub: Subscription): void {
  const d = perSession.get(sub.session);
  if (d) {
    if (sub.qos > d.qos) d.qos = sub.qos;
    d.rap ||= sub.retainAsPublished;
    if (sub.subscriptionId) (d.ids ??= []).push(sub.subscriptionId);
    d.noLocal &&= sub.noLocal;
  } else {
    perSession.set(sub.session, { session: sub.session, qos: sub.qos, rap: sub.retainAsPublished, ids: sub.subscriptionId ? [sub.subscriptionId] : undefined, noLocal: sub.noLocal });
  }
}

/** Whether some session has both no-local and other subscriptions among `matches`. */
function mixedNoLocal(matches: Subscription[]): boolean {
  let withNoLocal: Set<Session> | undefined;
  for (const sub of matches) if (sub.noLocal) (withNoLocal ??= new Set()).add(sub.session);
  if (withNoLocal === undefined) return false;
  return matches.some((sub) => !sub.noLocal && withNoLocal.has(sub.session));
}

export interface BrokerOptions {
  limits?: Partial<BrokerLimits>;
  hooks?: Partial<BrokerHooks>;
  log?: BrokerLog;
}

/**
 * The broker: sessions by client id, one subscription trie, retained messages, and routing.
 * Listeners hand it accepted streams; everything above the transport is the same for TCP, TLS,
 * WebSocket and unix sockets.
 */
export class Broker extends EventEmitter implements BrokerApi {
  readonly limits: BrokerLimits;
  readonly memoryLimit?: MemoryLimit;
  hooks: BrokerHooks;
  readonly log: BrokerLog;
  readonly sessions = new Map<string, Session>();
  readonly subscriptions = new SubscriptionTrie<Subscription>();
  readonly retained = new RetainedStore();
  durableAcks?: DurableAcks;
  /**
   * Set while a reload (SIGHUP) reads the security files: retained messages for a new
   * subscription wait for it, so that they are checked against the files the signal asked for
   * (Mosquitto reloads between two packets; ours reads the files asynchronously).
   */
  securityReload?: Promise<void>;
  sessionJournal?: SessionJournal;
  /** persistence: wills waiting out their delay are kept in the store until sent or cancelled */
  willJournal?: WillJournal;
  deliveryJournal?: DeliveryJournal;
  readonly clients = new Set<BrokerClient>();
  /** holds publishers' acks while the queues they feed are full */
  readonly flow: FlowControl;
  /** the bounds of every session's outgoing flow: one object, shared */
  readonly outgoing: OutgoingLimits<Delivery>;
  readonly stats: BrokerStats = {
    startedAt: Date.now(),
    messagesReceived: 0,
    messagesSent: 0,
    publishReceived: 0,
    publishSent: 0,
    publishDropped: 0,
    clientsTotalEver: 0,
    clientsMaximum: 0,
    publishBytesReceived: 0,
    publishBytesSent: 0,
    socketsAccepted: 0,
    clientsExpired: 0,
  };
  /** the most connections since the last idle collection, and closes since the last sweep */
  private connectionsPeak = 0;
  private closedSinceSweep = 0;
  /** sweeps until the second collection of a wave (0: none due) */
  private secondCollectionIn = 0;
  /** bytes of connections already closed; live ones are summed on demand */
  private closedBytes = { received: 0, sent: 0 };
  private readonly shareCursor = new Map<string, number>();
  /** routes by topic; emptied whenever a subscription is added or removed */
  private readonly routes = new Map<string, Route>();
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly willTimers = new Map<string, LongTimeout>();
  /** the wills waiting out their delay, for shutdown to send at once */
  private readonly delayedWills = new Map<string, BrokerMessage>();

  constructor(opts: BrokerOptions = {}) {
    super();
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    const { maxInflightMessages, maxQueuedMessages, maxInflightBytes, maxQueuedBytes } = this.limits;
    this.outgoing = {
      maxInflight: maxInflightMessages,
      maxInflightBytes,
      maxQueued: maxQueuedMessages,
      maxQueuedBytes,
      // payload bytes, as Mosquitto counts them; only with a byte bound, so the hot path does not pay for it
      sizeOf: maxInflightBytes > 0 || maxQueuedBytes > 0 ? (d) => d.message.payload.length : undefined,
    };
    this.flow = new FlowControl(this.outgoing);
    this.hooks = { ...allowAll, ...opts.hooks };
    this.log = opts.log ?? new BrokerLog();
    if (this.limits.memoryLimit > 0) {
      this.memoryLimit = new MemoryLimit(this.limits.memoryLimit, (over, inUse) =>
        over
          ? this.log.warning(`Memory limit of ${this.limits.memoryLimit} bytes reached (${inUse} in use): refusing new messages.`)
          : this.log.notice(`Memory back under the limit of ${this.limits.memoryLimit} bytes (${inUse} in use): accepting messages again.`),
      );
    }
    // one timer for all connections: keepalive and connect timeouts cost nothing per client
    this.sweepTimer = setInterval(() => this.sweep(), 1000);
    this.sweepTimer.unref();
  }

  /** kept by BrokerClient's state setter: counting on each CONNECT made connecting O(clients) */
  connectedClients = 0;

  get connectedCount(): number {
    return this.connectedClients;
  }

  /** Takes over an accepted stream from any listener. */
  handle(stream: Duplex, info: ConnectionInfo): BrokerClient | undefined {
    if (this.limits.maxConnections >= 0 && this.clients.size >= this.limits.maxConnections) {
      this.log.notice(`Client connection from ${info.remoteAddress} denied: max_connections exceeded.`);
      stream.destroy();
      return undefined;
    }
    const client = new BrokerClient(this, stream, info);
    this.clients.add(client);
    this.stats.socketsAccepted++;
    if (this.clients.size > this.connectionsPeak) this.connectionsPeak = this.clients.size;
    if (this.log.connectionsOn) this.log.connection(`New connection from ${info.remoteAddress}:${info.remotePort} on port ${info.listener.port}.`);
    return client;
  }

  /**
   * Routes a message to every matching subscription and keeps it if retained. Returns how many
   * subscriptions matched (no-local and read-denied ones included: they still "match", which is
   * what PUBACK 0x10 is about), not how many deliveries were made.
   */
  publish(message: BrokerMessage, publisher?: SessionClient): number {
    if (message.retain) {
      // kept with it for check_retain_source; none: the broker's own or a bridge's message
      if (publisher !== undefined) this.retained.set(message, publisher.username, publisher.info.listener);
      else this.retained.set(message, message.willSource?.username, message.willSource?.listener);
    }
    const route = this.routeFor(message.topic);
    if (route.matches.length === 0) return 0;
    const now = Date.now();
    const targets = route.targets ?? this.targetsFor(route.matches, message);
    const upgrade = this.limits.upgradeOutgoingQos;
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i]!;
      // [MQTT-3.8.3-3] no local: not back to the publisher
      if (t.noLocal && message.senderId === t.session.clientId) continue;
      if (!this.hooks.authorizeRead(t.session, message.topic)) continue;
      // upgrade_outgoing_qos: the subscription's QoS; and never above what the session's listener
      // allows (a persistent session's subscriptions may come from a listener allowing more)
      let qos = (upgrade || message.qos > t.qos ? t.qos : message.qos) as QoS;
      if (qos > t.session.maxQos) qos = t.session.maxQos;
      // [MQTT-3.3.1-9] forwarded messages carry retain 0 unless retain-as-published
      const retain = t.rap ? message.retain : false;
      if (qos === 0) this.deliverQos0(t.session, message, retain, t.ids, now);
      else this.deliver(t.session, { message, qos, retain, subscriptionIds: t.ids }, now, publisher);
    }
    return route.matches.length;
  }

  /**
   * The subscriptions a topic matches, cached until the subscriptions change: most traffic goes
   * to topics seen before, and walking the trie and grouping by session was the largest cost of
   * routing a message.
   */
  private routeFor(topic: string): Route {
    const cacheable = topic.length <= ROUTE_CACHE_TOPIC_LENGTH;
    let route = cacheable ? this.routes.get(topic) : undefined;
    if (route) return route;
    const matches = this.subscriptions.match(topic);
    // shared groups depend on who is online: decided per message; so does no-local for a session
    // with both no-local and other subscriptions matching (its QoS depends on who sent). A session
    // whose matching subscriptions are all no-local (a bridge's local side) keeps the cache: its
    // target is skipped for its own messages (RouteTarget.noLocal)
    const perMessage = matches.some((sub) => sub.shareName !== undefined) || mixedNoLocal(matches);
    route = { matches, targets: perMessage ? undefined : this.targetsFor(matches, undefined) };
    if (cacheable) {
      if (this.routes.size >= ROUTE_CACHE_SIZE) this.routes.clear();
      this.routes.set(topic, route);
    }
    return route;
  }

  /**
   * One target per session at the highest matching QoS [MQTT-3.3.5-1], carrying every matching
   * subscription identifier; shared groups pick one member each [MQTT-4.8.2-3]. Without a message,
   * for a route with neither shared nor no-local subscriptions.
   */
  private targetsFor(matches: Subscription[], message: BrokerMessage | undefined): RouteTarget[] {
    const perSession = new Map<Session, RouteTarget>();
    let groups: Map<string, Subscription[]> | undefined;
    for (const sub of matches) {
      if (sub.shareName !== undefined) {
        groups ??= new Map();
        const key = `${sub.shareName}\u0000${sub.topicFilter}`;
        const list = groups.get(key);
        if (list) list.push(sub);
        else groups.set(key, [sub]);
        continue;
      }
      // [MQTT-3.8.3-3] no local: not back to the publisher
      if (sub.noLocal && message?.senderId === sub.session.clientId) continue;
      collect(perSession, sub);
    }
    if (groups) for (const [key, members] of groups) collect(perSession, this.pickShareMember(key, members));
    return [...perSession.values()];
  }

  /** Round robin within a share group, preferring members whose client is online. */
  private pickShareMember(key: string, members: Subscription[]): Subscription {
    const start = this.shareCursor.get(key) ?? 0;
    for (let i = 0; i < members.length; i++) {
      const m = members[(start + i) % members.length]!;
      if (m.session.client) {
        this.shareCursor.set(key, (start + i + 1) % members.length);
        return m;
      }
    }
    this.shareCursor.set(key, (start + 1) % members.length);
    return members[start % members.length]!;
  }

  /**
   * Sends now, or queues for a free in-flight slot or for an offline client. A full queue of an
   * online client that still acknowledges takes the message anyway and holds the acks of the
   * client that published it (`publisher`) until it drains; otherwise the message is dropped.
   */
  deliver(session: Session, delivery: Delivery, now = Date.now(), publisher?: SessionClient): void {
    if (delivery.qos === 0) return this.deliverQos0(session, delivery.message, delivery.retain, delivery.subscriptionIds, now);
    const client = session.client;
    if (delivery.message.expiresAt !== undefined && delivery.message.expiresAt <= now) return;
    this.enqueueOrSend(session, client, delivery, now, publisher);
  }

  private enqueueOrSend(session: Session, client: SessionClient | undefined, delivery: Delivery, now: number, publisher?: SessionClient): void {
    if (session.stored !== undefined) {
      // restored at start-up, its messages still in the store only: this one goes behind them there
      if (this.flow.queueBounded && session.stored.full()) this.countDropped(session);
      else session.stored.add(delivery);
      return;
    }
    const out = session.out;
    if (client && client.state === ClientState.Connected && out.canSendNow()) {
      const id = out.send(delivery);
      // stored with the id it goes out under, before it goes
      if (this.deliveryJournal !== undefined && session.expiryInterval !== 0) this.deliveryJournal.added(session, delivery, id);
      this.firstSend(session, client, delivery, id, now);
      return;
    }
    // Mosquitto's bridge with local_cleansession true keeps nothing for its remote while it is away
    if (client?.direct !== undefined && !client.direct.queuesWhileAway && client.state !== ClientState.Connected) return;
    if (this.flow.queueFull(out)) {
      if (publisher !== undefined && client !== undefined && client.state === ClientState.Connected && !session.stalled) {
        this.flow.hold(publisher, session);
        this.enqueue(session, delivery);
        return;
      }
      if (this.flow.queueBounded) {
        this.countDropped(session);
        return;
      }
    }
    this.enqueue(session, delivery);
  }

  private enqueue(session: Session, delivery: Delivery): void {
    // numbered now for a client that is away, as Mosquitto does (its tests expect those ids after
    // a restart); a long backlog past half the id space is numbered when sent
    if (delivery.qos !== 0 && session.client === undefined && session.expiryInterval !== 0 && session.out.ids.inUse < RESERVED_IDS_MAX) delivery.packetId = session.out.ids.allocate();
    if (this.deliveryJournal !== undefined && session.expiryInterval !== 0) this.deliveryJournal.added(session, delivery, 0);
    session.out.enqueue(delivery);
  }

  /** A message this session will never get: its count and $SYS publish/messages/dropped. */
  private countDropped(session: Session): void {
    session.droppedMessages++;
    this.stats.publishDropped++;
    if (session.droppedMessages === 1 || session.droppedMessages % 1000 === 0) {
      this.log.notice(`Outgoing messages are being dropped for client ${session.clientId} (${session.droppedMessages} so far).`);
    }
  }

  /**
   * QoS 0 to a connected client is sent or dropped, never queued (Mosquitto's db__ready_for_flight);
   * for an offline persistent session it is dropped, or with queue_qos0_messages queued like QoS
   * 1/2 within the queue's limits (which here count it too: Mosquitto counts only QoS 1/2 there,
   * so its QoS 0 queue has no bound) and sent as QoS 0 when the client returns.
   */
  private deliverQos0(session: Session, message: BrokerMessage, retain: boolean, subscriptionIds: number[] | undefined, now: number): void {
    if (message.expiresAt !== undefined && message.expiresAt <= now) return;
    const client = session.client;
    if (!client) {
      if (this.limits.queueQos0Messages && session.expiryInterval !== 0 && session.state === SessionState.Offline) {
        this.enqueueOrSend(session, undefined, { message, qos: 0, retain, subscriptionIds }, now);
      }
      return;
    }
    if (client.state !== ClientState.Connected) return;
    if (client.direct ? client.direct.congested : client.conn.writeBacklog >= QOS0_BACKLOG_BYTES) {
      this.countDropped(session);
      return;
    }
    this.writeFrame(client, message, 0, retain, subscriptionIds, 0, now, false);
  }

  private sendInflight(session: Session, client: SessionClient, delivery: Delivery, now: number): void {
    if (delivery.qos === 0) {
      // queued while its client was away (queue_qos0_messages): sent, and done with
      if (delivery.storeKey !== undefined) this.deliveryJournal?.removed(delivery);
      this.writeFrame(client, delivery.message, 0, delivery.retain, delivery.subscriptionIds, 0, now, false);
      return;
    }
    const id = session.out.send(delivery, delivery.packetId);
    delivery.packetId = undefined;
    if (delivery.storeKey !== undefined) this.deliveryJournal?.sent(session, delivery, id);
    this.firstSend(session, client, delivery, id, now);
  }

  /**
   * The first PUBLISH of a delivery. Persistence in durable mode: a stored delivery leaves only
   * once its record, with this packet id, is committed. The client delivers a QoS 2 message when
   * its PUBLISH arrives and then knows it by packet id only; a crash that lost the record would make
   * us route it again after the restart (its publisher resends it, having no PUBREC) and send it
   * under another id: twice to the application. QoS 1 may arrive twice anyway: it goes at once
   * (waiting for its commit cost a quarter more CPU per message and 8 % of the rate in
   * perf:broker's persistent fan-in), unless QoS 2 messages before it still wait: then it waits
   * behind them, so that it never overtakes them.
   */
  private firstSend(session: Session, client: SessionClient, d: Delivery, id: number, now: number): void {
    const durable = this.durableAcks;
    if (durable === undefined || d.storeKey === undefined || (d.qos === 1 && session.heldSends === 0)) return this.writePublish(client, d, id, now);
    session.heldSends++;
    durable.after(client, () => {
      session.heldSends--;
      // still this delivery's flow, on this connection (not completed, not resent by a reconnect)
      if (session.client === client && session.out.inflight.get(id) === d && d.stage === 'ack') this.writePublish(client, d, id, Date.now());
    });
  }

  /** Writes one PUBLISH; frames are shared between subscribers, only the packet id is patched. */
  writePublish(client: SessionClient, d: Delivery, packetId: number, now: number, dup = false): void {
    this.writeFrame(client, d.message, d.qos, d.retain, d.subscriptionIds, packetId, now, dup);
  }

  private writeFrame(
    client: SessionClient,
    message: BrokerMessage,
    qos: QoS,
    retain: boolean,
    subscriptionIds: number[] | undefined,
    packetId: number,
    now: number,
    dup: boolean,
  ): void {
    if (client.direct !== undefined) {
      // a client inside the broker takes the message itself: nothing to encode
      client.direct.deliver(message, qos, retain, packetId, dup);
      this.stats.publishSent++;
      this.stats.publishBytesSent += message.payload.length;
      return;
    }
    let frame: PublishFrame;
    try {
      frame = frameFor(message, client.protocolVersion, qos, retain, subscriptionIds, now);
    } catch (err) {
      // decoding validates what is stored, so this is our bug: this delivery is lost, the fan-out
      // (and the publisher, whose handler is on the stack) carries on
      this.log.error(`Unable to encode a message on ${message.topic} for ${client.clientId}: ${(err as Error).message}`);
      this.stats.publishDropped++;
      if (packetId) this.completeOutgoing(client.session!, packetId);
      return;
    }
    if (frame.bytes.length > client.maximumPacketSize) {
      // [MQTT-3.1.2-25] too large for this client: discard as if delivered
      this.stats.publishDropped++;
      if (packetId) this.completeOutgoing(client.session!, packetId);
      return;
    }
    client.sendRaw(qos === 0 ? frame.bytes : withPacketId(frame, packetId, dup));
    if (this.log.debugOn) {
      this.log.debug(publishLine('Sending', client, { dup, qos, retain, messageId: packetId, topic: message.topic, bytes: message.payload.length }));
    }
    this.stats.publishSent++;
    this.stats.publishBytesSent += message.payload.length;
  }

  /**
   * Ends the flow of one delivery: one that cannot go to this client at all (frame too large,
   * encoding failed), or one a client inside the broker has finished (a bridge: the remote acked).
   */
  completeOutgoing(session: Session, packetId: number): void {
    const d = session.out.complete(packetId);
    if (d === undefined) return;
    if (d.storeKey !== undefined) this.deliveryJournal?.removed(d);
    this.outgoingCompleted(session);
  }

  /** A flow completed (PUBACK, PUBCOMP, a failed PUBREC) and freed its slot: send what waits in the queue. */
  outgoingCompleted(session: Session): void {
    session.acksReceived++;
    session.stalled = false;
    this.drainQueue(session);
  }

  drainQueue(session: Session): void {
    const client = session.client;
    if (!client || client.state !== ClientState.Connected) return;
    const now = Date.now();
    const out = session.out;
    for (let d = out.nextQueued(); d !== undefined; d = out.nextQueued()) {
      // read access is checked again when a queued message is sent, as Mosquitto does: the ACL
      // may have been reloaded (SIGHUP), or another user taken the session, since it was queued
      if ((d.message.expiresAt !== undefined && d.message.expiresAt <= now) || !this.hooks.authorizeRead(session, d.message.topic)) {
        if (d.packetId !== undefined) out.ids.release(d.packetId);
        if (d.storeKey !== undefined) this.deliveryJournal?.removed(d);
        continue;
      }
      this.sendInflight(session, client, d, now);
    }
    if (session.waitingPublishers !== undefined && !this.flow.queueFull(out)) this.flow.release(session);
  }

  /** After a reconnect to a present session: resend in-flight with DUP, PUBREL as PUBREL [MQTT-4.4.0-1]. */
  resumeSession(session: Session, client: SessionClient): void {
    const now = Date.now();
    if (session.stored !== undefined) {
      // restored at start-up: its messages are read from the store now that its client is back
      const stored = session.stored;
      session.stored = undefined;
      stored.load(now);
    }
    // a new connection gets the benefit of the doubt until it proves not to read
    session.stalled = false;
    session.out.resume(true, (id, d, what) => {
      if (what === Resend.Pubrel) client.send({ cmd: 'pubrel', messageId: id });
      else this.writePublish(client, d, id, now, true);
    });
    this.drainQueue(session);
  }

  /**
   * New limits from a reloaded configuration (SIGHUP). Every session shares `outgoing`, so the
   * queue bounds apply to all at once, as Mosquitto reads max_queued_* at each message; the
   * in-flight window, max_keepalive and max_packet_size are taken at connect, so they apply to
   * connections made from now on (Mosquitto sets the window at connect too). The byte bounds
   * change only between non-zero values: whether bytes are counted at all is fixed at start
   * (config-reload.ts warns).
   */
  applyLimits(limits: Partial<BrokerLimits>): void {
    Object.assign(this.limits, limits);
    const out = this.outgoing as { -readonly [K in keyof OutgoingLimits<Delivery>]: OutgoingLimits<Delivery>[K] };
    out.maxInflight = this.limits.maxInflightMessages;
    out.maxQueued = this.limits.maxQueuedMessages;
    if (out.sizeOf !== undefined) {
      out.maxInflightBytes = this.limits.maxInflightBytes;
      out.maxQueuedBytes = this.limits.maxQueuedBytes;
    }
    this.flow.limitsChanged();
  }

  /** A session for a client id, bounded by the broker's limits (not yet registered). */
  newSession(clientId: string): Session {
    return new Session(clientId, this.outgoing);
  }

  takeSession(client: SessionClient, clean: boolean, expiryInterval: number, protocolVersion: number): { session: Session; present: boolean } {
    let session = this.sessions.get(client.clientId);
    let present = false;
    if (session && !clean && session.state !== SessionState.Ended && session.expiryInterval !== 0) {
      present = true;
      session.cancelExpiry();
    } else {
      if (session) this.endSession(session);
      session = this.newSession(client.clientId);
      this.sessions.set(client.clientId, session);
    }
    session.state = SessionState.Online;
    session.client = client;
    // the in-flight window of this connection: ours, bounded by the client's receive maximum [MQTT-4.9.0-1]
    session.out.setReceiveMaximum(client.receiveMaximum);
    session.username = client.username;
    session.expiryInterval = expiryInterval;
    client.session = session;
    this.sessionJournal?.online(session, protocolVersion);
    return { session, present };
  }

  addSubscription(sub: Subscription): boolean {
    const existing = sub.session.subscriptions.get(sub.filter);
    if (existing) this.subscriptions.remove(existing.topicFilter, existing);
    sub.session.subscriptions.set(sub.filter, sub);
    this.subscriptions.add(sub.topicFilter, sub);
    this.routes.clear();
    this.sessionJournal?.subscribed(sub);
    return existing === undefined;
  }

  removeSubscription(session: Session, filter: string): boolean {
    const sub = session.subscriptions.get(filter);
    if (!sub) return false;
    session.subscriptions.delete(filter);
    this.subscriptions.remove(sub.topicFilter, sub);
    this.routes.clear();
    this.sessionJournal?.unsubscribed(session, filter);
    return true;
  }

  /** Ends a session for good: its subscriptions go, its queue is dropped. */
  endSession(session: Session): void {
    if (session.state === SessionState.Ended) return;
    session.state = SessionState.Ended;
    session.cancelExpiry();
    // what it had in the store goes with the session's record (sessionJournal.ended)
    session.stored = undefined;
    this.sessionJournal?.ended(session);
    if (session.subscriptions.size > 0) {
      for (const sub of session.subscriptions.values()) this.subscriptions.remove(sub.topicFilter, sub);
      session.subscriptions.clear();
      this.routes.clear();
    }
    session.out.clear();
    this.flow.release(session);
    if (this.sessions.get(session.clientId) === session) this.sessions.delete(session.clientId);
  }

  /**
   * Schedules (or publishes at once) a client's will [MQTT-3.1.2-8], honouring v5 will delay: it
   * goes when the delay has passed or the session ends, whichever is first [MQTT-3.1.3-9].
   */
  scheduleWill(clientId: string, will: { message: BrokerMessage; delaySeconds: number }, sessionExpiry: number): void {
    const delay = Math.min(will.delaySeconds, sessionExpiry);
    if (delay <= 0) {
      this.publishWill(will.message);
      return;
    }
    this.cancelWill(clientId);
    const sendAt = Date.now() + delay * 1000;
    this.willJournal?.pending(clientId, will.message, sendAt);
    this.pendWill(clientId, will.message, sendAt);
  }

  /**
   * A will that was waiting out its delay when the broker stopped (persistence): it goes at the
   * time it was due, the downtime counted, or at once when that has passed.
   */
  restoreWill(clientId: string, message: BrokerMessage, sendAt: number): void {
    if (sendAt <= Date.now()) {
      this.willJournal?.gone(clientId);
      this.publishWill(message);
      return;
    }
    this.pendWill(clientId, message, sendAt);
  }

  private pendWill(clientId: string, message: BrokerMessage, sendAt: number): void {
    // up to 0xFFFFFFFF s: longer than setTimeout can wait
    const timer = setLongTimeout(
      () => {
        this.willTimers.delete(clientId);
        this.delayedWills.delete(clientId);
        this.willJournal?.gone(clientId);
        this.publishWill(message);
      },
      Math.max(0, sendAt - Date.now()),
    ).unref();
    this.willTimers.set(clientId, timer);
    this.delayedWills.set(clientId, message);
  }

  /** [MQTT-3.1.3-9] a reconnect within the will delay means the will is not sent. */
  cancelWill(clientId: string): void {
    const t = this.willTimers.get(clientId);
    if (t) {
      t.clear();
      this.willTimers.delete(clientId);
      this.delayedWills.delete(clientId);
      this.willJournal?.gone(clientId);
    }
  }

  /** Also runs from a timer, where nothing may throw: an error is logged, the broker carries on. */
  private publishWill(message: BrokerMessage): void {
    try {
      this.publish(message);
    } catch (err) {
      this.log.error(`Unable to publish the will on ${message.topic}: ${(err as Error)?.stack ?? String(err)}`);
    }
  }

  byteCounts(): { received: number; sent: number } {
    let received = this.closedBytes.received;
    let sent = this.closedBytes.sent;
    for (const c of this.clients) {
      received += c.conn.bytesIn;
      sent += c.conn.bytesOut;
    }
    return { received, sent };
  }

  /** Called by a BrokerClient when its connection has closed. */
  clientClosed(client: BrokerClient, wasConnected: boolean): void {
    this.clients.delete(client);
    this.closedSinceSweep++;
    this.closedBytes.received += client.conn.bytesIn;
    this.closedBytes.sent += client.conn.bytesOut;
    this.flow.forget(client);
    const session = client.session;
    if (!wasConnected || !session || session.client !== client) return;
    session.client = undefined;
    // offline, it takes no more messages above its limit: its publishers go on
    this.flow.release(session);
    if (this.log.connectionsOn) {
      this.log.connection(client.normalDisconnect ? `Client ${client.clientId} disconnected.` : `Client ${client.clientId} closed its connection.`);
    }
    // the will is a publish like any other: the client must be allowed to write its topic (Mosquitto context__send_will)
    if (client.will && !client.normalDisconnect && this.hooks.authorizePublish(client, client.will.message.topic)) {
      this.scheduleWill(client.clientId, client.will, session.expiryInterval);
    }
    client.will = undefined;
    if (session.expiryInterval === 0) {
      this.endSession(session);
      return;
    }
    session.state = SessionState.Offline;
    this.sessionJournal?.offline(session);
    const seconds = this.offlineLifetime(session.expiryInterval);
    // up to 0xFFFFFFFE s (136 years): longer than setTimeout can wait
    if (seconds !== undefined) session.expiryTimer = setLongTimeout(() => this.expireSession(session), seconds * 1000).unref();
  }

  /**
   * A session read back from the persistence store at start-up: offline, with the time it has
   * left counted from when its client went away (`offlineFor` ms ago). False when that time is
   * already over (the caller drops it from the store).
   */
  restoreSession(session: Session, subscriptions: Subscription[], offlineFor: number): boolean {
    const seconds = this.offlineLifetime(session.expiryInterval);
    const left = seconds === undefined ? undefined : seconds * 1000 - offlineFor;
    if (left !== undefined && left <= 0) return false;
    session.state = SessionState.Offline;
    this.sessions.set(session.clientId, session);
    for (const sub of subscriptions) {
      session.subscriptions.set(sub.filter, sub);
      this.subscriptions.add(sub.topicFilter, sub);
    }
    this.routes.clear();
    if (left !== undefined) session.expiryTimer = setLongTimeout(() => this.expireSession(session), left).unref();
    return true;
  }

  private expireSession(session: Session): void {
    this.log.notice(`Expiring client ${session.clientId} due to timeout.`);
    this.stats.clientsExpired++;
    this.endSession(session);
  }

  /**
   * Seconds an offline session lasts, undefined for ever: what its client asked for
   * (0xFFFFFFFF = never [MQTT-3.1.2-11 (v5)], as 3.1.1's clean session 0), capped by
   * persistent_client_expiration as Mosquitto caps it.
   */
  private offlineLifetime(expiryInterval: number): number | undefined {
    const cap = this.limits.persistentClientExpiration;
    if (cap > 0 && cap < expiryInterval) return cap;
    return expiryInterval === 0xffffffff ? undefined : expiryInterval;
  }

  private sweep(): void {
    const now = Date.now();
    this.flow.sweep();
    this.releaseIdleMemory();
    for (const client of this.clients) {
      if (client.state === ClientState.AwaitingConnect) {
        if (now - client.connectedAt > this.limits.connectTimeout * 1000) {
          this.log.notice(`Client ${client.address} sent no CONNECT within ${this.limits.connectTimeout} s, closing.`);
          client.close();
        }
      } else if (client.state === ClientState.Connected && client.keepalive > 0 && !client.conn.stream.isPaused()) {
        // (a publisher paused by flow control is not read: its silence is ours)
        // [MQTT-3.1.2-24] one and a half keep alive periods without a packet
        if (now - client.lastActivity > client.keepalive * 1500) {
          this.log.connection(`Client ${client.clientId} has exceeded timeout, disconnecting.`);
          client.disconnect(RC.KeepAliveTimeout, 'Keep alive timeout');
          client.close();
        }
      }
    }
  }

  /**
   * Once a wave of disconnects is over (a sweep with no close) and most of the connections there
   * were have gone, one full collection frees what they left: V8 collects when a process
   * allocates, and a broker that has gone quiet does not, so it kept its peak RSS (172 MB after
   * 20,000 clients, 75 MB with this; an idle broker is 56 MB). The pause is short because little
   * is left alive; with most connections still there, nothing is done.
   */
  private releaseIdleMemory(): void {
    const closed = this.closedSinceSweep;
    this.closedSinceSweep = 0;
    if (this.secondCollectionIn > 0) {
      // the first one freed the objects; V8 shrinks the young generation (32 MB) only in a
      // collection that sees a low allocation rate over its last 5 s, so a second one follows
      if (--this.secondCollectionIn === 0) collectGarbage();
      return;
    }
    const live = this.clients.size;
    if (closed > 0 || this.connectionsPeak - live < IDLE_GC_MIN_GONE || live * 2 > this.connectionsPeak) return;
    const gone = this.connectionsPeak - live;
    this.connectionsPeak = live;
    const t0 = performance.now();
    if (!collectGarbage()) return;
    this.secondCollectionIn = IDLE_GC_SECOND_AFTER;
    this.log.debug(`Releasing the memory of ${gone} connections that have gone (full collection, ${Math.round(performance.now() - t0)} ms).`);
  }

  /** Closes every connection and stops timers; listeners are closed by their owner. */
  /**
   * Stops as Mosquitto does on SIGTERM or SIGINT: the will of every connected client goes out,
   * then every will still waiting out its delay (the broker will not be there when the delay
   * ends, and Mosquitto sends those too); then every connection is ended once what was written to
   * it has been flushed, so the other clients get those wills. A connection still open after
   * `graceMs` (a client that does not read) is cut off, so none can hold the exit up.
   * With persistence a will with a delay is not sent but kept, waiting, for the next start (what
   * Mosquitto's own FIXME in mosquitto.c says it should do): its session outlives the stop, and
   * its client may come back within the delay.
   */
  async shutdown(graceMs = 2000): Promise<void> {
    clearInterval(this.sweepTimer);
    const keep = this.willJournal !== undefined;
    for (const client of this.clients) {
      if (client.state !== ClientState.Connected) continue;
      const will = client.normalDisconnect ? undefined : client.will;
      // the will goes out here, once: not again when the connection closes
      client.will = undefined;
      if (!will) continue;
      const expiry = client.session?.client === client ? client.session.expiryInterval : 0;
      if (keep && Math.min(will.delaySeconds, expiry) > 0) {
        if (this.hooks.authorizePublish(client, will.message.topic)) this.scheduleWill(client.clientId, will, expiry);
      } else this.publishWill(will.message);
    }
    if (!keep) {
      for (const [clientId, message] of this.delayedWills) {
        this.willTimers.get(clientId)?.clear();
        this.publishWill(message);
      }
    }
    for (const t of this.willTimers.values()) t.clear();
    this.willTimers.clear();
    this.delayedWills.clear();
    for (const s of this.sessions.values()) s.cancelExpiry();
    const ending = Promise.all([...this.clients].map((c) => c.conn.end()));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([ending, deadline]);
    clearTimeout(timer);
    await this.close();
  }

  async close(): Promise<void> {
    this.stopTimers();
    await Promise.all([...this.clients].map((c) => closed(c, () => c.close())));
  }

  /**
   * Closes every connection after what was already written to it has gone out (held acks
   * included), for a shutdown that loses nothing it has sent; a connection still open after
   * `timeoutMs` (a peer that does not read) is destroyed. Queued messages stay in their sessions,
   * and wills are not published here: a caller that sends them does so first and clears
   * `client.will`.
   */
  async flushAndClose(timeoutMs = 2000): Promise<void> {
    this.stopTimers();
    this.flow.releaseAll();
    const all = Promise.all([...this.clients].map((c) => closed(c, () => void c.conn.end())));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)));
    await Promise.race([all, late]);
    clearTimeout(timer);
    for (const c of this.clients) c.close();
    await all;
  }

  private stopTimers(): void {
    clearInterval(this.sweepTimer);
    for (const t of this.willTimers.values()) t.clear();
    this.willTimers.clear();
    this.delayedWills.clear();
    for (const s of this.sessions.values()) s.cancelExpiry();
  }
}

/** Resolves once the client's connection has closed, after `closeIt` started closing it. */
function closed(c: BrokerClient, closeIt: () => void): Promise<void> {
  closeIt();
  return new Promise<void>((r) => (c.state === ClientState.Closed ? r() : c.conn.once('close', () => r())));
}
