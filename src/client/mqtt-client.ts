import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type {
  IAuthPacket,
  IConnackPacket,
  IConnectPacket,
  IPublishPacket,
  ISubackPacket,
  ISubscription,
  IUnsubackPacket,
  Packet,
} from 'mqtt-packet';
import { Connection, ConnectionState } from '../core/connection/connection.js';
import { clientFirstMessage, encodeClientFirst, newNonce } from '../core/auth/scram.js';
import { ProtocolError } from '../core/protocol/errors.js';
import { openTransport } from '../core/transport/open.js';
import { describeSocketError } from '../core/transport/transport-error.js';
import type { ClientConfig } from './config.js';
import type { Properties, QoS } from '../core/protocol/types.js';
import { describeIncoming, describeOutgoing } from './debug-log.js';
import { ConnectError, ConnectionLostError, QosNotSupportedError } from './errors.js';
import { RC } from '../core/protocol/reason-codes.js';
import { Resend } from '../core/session/outgoing-flow.js';
import { FifoQueue } from '../core/collections/fifo-queue.js';
import { ClientSession, TaggedPublish, type OutgoingPublish, type PublishListener, type PublishResult } from './client-session.js';
import type { ClientContext } from './handlers/context.js';
import { handlePacket } from './handlers/dispatch.js';
import { connackFailure, serverLimits, type ServerLimits } from './handlers/connack.js';
import { answerScramChallenge, type ScramExchange } from './handlers/auth.js';

export type { PublishResult } from './client-session.js';

export interface PublishOptions {
  qos: QoS;
  retain: boolean;
  properties?: Properties;
}

/** For a client living inside the broker (a bridge): where its bytes go, and how it announces itself. */
export interface ClientHooks {
  /** opens the stream instead of the endpoint's transport (an in-memory pair to the local broker) */
  openStream?: () => Promise<Duplex>;
  /** sets the top bit of the CONNECT protocol level, Mosquitto's try_private bridge convention */
  bridgeMode?: boolean;
  /**
   * called on a successful CONNACK before the session's messages are resent, so that what it
   * sends (a bridge's SUBSCRIBEs, as Mosquitto's bridge__on_connect) goes first
   */
  connected?: (connack: IConnackPacket) => void;
  /**
   * after a reconnect, resend what is in flight as if the server had kept the session (PUBLISH
   * with DUP, PUBREL as PUBREL) whatever CONNACK says, as libmosquitto and Mosquitto's bridges do
   */
  resendAlways?: boolean;
  /**
   * when set, a PUBACK for a QoS 2 PUBLISH still waiting for its PUBREC completes it and this is
   * called: the server downgraded the message to QoS 1 (RabbitMQ's MQTT plugin does, and keeps
   * it); unset, that PUBACK is a protocol error, as in libmosquitto
   */
  qos2Puback?: () => void;
  /**
   * PUBREL to a PUBREC whose id is not in flight without a reason code, as Mosquitto's bridges
   * send it (v5 otherwise says 0x92 Packet Identifier not found)
   */
  plainPubrelNotFound?: boolean;
  /**
   * on a protocol violation by the server, close without a v5 DISCONNECT first (sending one is
   * optional, MQTT 5 section 4.13; Mosquitto's bridges close without a word: 06-bridge-remap-receive-wildcard)
   */
  closeWithoutDisconnect?: boolean;
}

export interface ClientEvents {
  message: [packet: IPublishPacket];
  /** the connection closed after CONNACK; `err` says why unless we closed it ourselves */
  'connection-lost': [err: ConnectionLostError];
  /** a line of libmosquitto-style debug output (only when config.debug) */
  debug: [line: string];
  /**
   * every SUBACK, synchronously (before the subscribe() promise settles), so a caller can react
   * as libmosquitto's callback does: a DISCONNECT sent from here goes out before the next packet
   * of the same read is looked at
   */
  suback: [packet: ISubackPacket];
}

/**
 * An MQTT 3.1/3.1.1/5 client session over one connection at a time: CONNECT/CONNACK, keepalive,
 * QoS 1 and 2 in both directions with an in-flight window, topic aliases, and resending in-flight
 * messages after a reconnect to a present session [MQTT-4.4.0-1].
 */
export class MqttClient extends EventEmitter<ClientEvents> {
  /** the client identifier in use (the server may assign one in v5) */
  id: string;
  connack?: IConnackPacket;
  private conn?: Connection;
  /** QoS flows, packet ids and topic aliases, on the core session engine */
  private readonly session: ClientSession;
  /** waitForCapacity() callers, until the window has a free slot */
  private readonly capacityWaiters = new FifoQueue<() => void>();
  /** what the packet handlers see of this client */
  private readonly ctx: ClientContext;
  private limits: ServerLimits;
  private keepaliveTimer?: NodeJS.Timeout;
  private pingTimer?: NodeJS.Timeout;
  private lastSent = 0;
  private closingByUs = false;
  private handshake?: { resolve: (c: IConnackPacket) => void; reject: (e: Error) => void };

  constructor(
    readonly config: ClientConfig,
    private readonly hooks: ClientHooks = {},
  ) {
    super();
    this.id = config.clientId;
    this.limits = this.defaultLimits();
    this.session = new ClientSession(config.maxInflight || 0);
    this.ctx = {
      protocolVersion: config.protocolVersion,
      session: this.session,
      send: (packet) => void this.send(packet),
      logIncoming: (packet) => {
        if (this.config.debug) this.debugLines(describeIncoming(this.id, packet));
      },
      deliver: (packet) => void this.emit('message', packet),
      onSuback: (packet) => void this.emit('suback', packet),
      slotFreed: () => this.releaseSlot(),
      pingAnswered: () => {
        clearTimeout(this.pingTimer);
        this.pingTimer = undefined;
      },
      serverDisconnected: (reasonCode) => {
        this.serverDisconnectReason = reasonCode;
        this.conn?.destroy();
      },
      protocolViolation: (reasonCode) => this.protocolViolation(reasonCode),
      qos2Puback: hooks.qos2Puback,
      plainPubrelNotFound: hooks.plainPubrelNotFound === true,
    };
  }

  get connected(): boolean {
    return this.conn?.state === ConnectionState.Open && this.connack !== undefined;
  }

  get protocolVersion() {
    return this.config.protocolVersion;
  }

  /** Number of QoS 1/2 messages sent and not yet completed. */
  get inflight(): number {
    return this.session.outgoing.inflight.size;
  }

  /** Opens the transport, sends CONNECT and resolves with a successful CONNACK. */
  async connect(): Promise<IConnackPacket> {
    const cfg = this.config;
    let stream;
    try {
      stream = this.hooks.openStream ? await this.hooks.openStream() : await openTransport({
        endpoint: cfg.endpoint,
        tls: cfg.tls,
        bindAddress: cfg.bindAddress,
        nodelay: cfg.nodelay,
      });
    } catch (err) {
      throw new ConnectError((err as Error).message, 'transport');
    }
    const conn = new Connection(stream, { protocolVersion: cfg.protocolVersion, answerEachRead: cfg.answerEachRead });
    this.conn = conn;
    this.connack = undefined;
    this.closingByUs = false;
    this.session.newConnection();
    this.limits = this.defaultLimits();

    return new Promise<IConnackPacket>((resolve, reject) => {
      const timeout = setTimeout(
        () => {
          conn.destroy();
          reject(new ConnectError('Timed out waiting for CONNACK.', 'timeout'));
        },
        Math.max(cfg.keepalive, 10) * 1500,
      );
      timeout.unref();
      this.handshake = {
        resolve: (connack) => {
          clearTimeout(timeout);
          resolve(connack);
        },
        reject: (err) => {
          clearTimeout(timeout);
          conn.destroy();
          reject(err);
        },
      };
      // one permanent listener: packets that arrive in the same chunk as CONNACK (a queued
      // session's messages) must not slip past between the handshake and the session
      conn.on('packet', (p) => this.onPacket(p));
      conn.on('close', (err) => this.onClose(err));
      this.send(this.connectPacket());
    });
  }

  /** SCRAM state of the CONNECT under way: client-first-message, then the signature to expect. */
  private scram?: ScramExchange;

  /** The server's AUTH during CONNECT: answered by the SCRAM exchange, or the connect attempt fails. */
  private async onAuthChallenge(packet: IAuthPacket): Promise<void> {
    const method = this.config.authMethod!;
    try {
      const answer = await answerScramChallenge(packet, method, this.config.password ?? Buffer.alloc(0), this.scram!);
      if (this.handshake) this.send(answer);
    } catch (err) {
      this.handshake?.reject(new ConnectError(`${method} authentication failed: ${(err as Error).message}.`, 'protocol'));
      this.handshake = undefined;
    }
  }

  /** The CONNACK answer to our CONNECT: accept the session or reject the connect() call. */
  private onConnack(connack: IConnackPacket): void {
    const handshake = this.handshake!;
    this.handshake = undefined;
    const assigned = connack.properties?.assignedClientIdentifier;
    if (assigned) this.id = assigned;
    this.debugLines(describeIncoming(this.id, connack));
    const failure = connackFailure(connack, this.config.authMethod, this.scram?.serverSignature, this.scram !== undefined);
    if (failure) return handshake.reject(failure);
    this.connack = connack;
    this.limits = serverLimits(connack, this.config.keepalive);
    this.session.outgoing.setReceiveMaximum(this.limits.receiveMaximum);
    this.session.aliasesOut.maximum = this.limits.topicAliasMaximum;
    // without a session the server forgot its QoS 2 state, so must we [MQTT-4.1.0-1]
    if (!connack.sessionPresent) this.session.incomingQos2.clear();
    this.startKeepalive();
    this.hooks.connected?.(connack);
    this.resendInflight(connack.sessionPresent || this.hooks.resendAlways === true);
    handshake.resolve(connack);
  }

  /**
   * Publishes one message. QoS 0 resolves once handed to the socket; QoS 1/2 resolve when the
   * flow completes (PUBACK / PUBCOMP), waiting for a free in-flight slot first. A QoS above
   * the server's Maximum QoS rejects with QosNotSupportedError, nothing sent (checkPublishQos).
   */
  async publish(topic: string, payload: Buffer, opts: PublishOptions): Promise<PublishResult> {
    this.checkPublishQos(opts.qos);
    const packet = this.publishPacket(topic, payload, opts);
    if (opts.qos === 0) {
      this.send(packet, this.session.ids.skip());
      return { reasonCode: 0 };
    }
    // after the caller's synchronous code, as before: a publish() followed at once by disconnect()
    // finds the connection closing and fails rather than going out after the DISCONNECT
    await undefined;
    this.assertConnected();
    return new Promise<PublishResult>((resolve, reject) => this.submitPublish({ qos: opts.qos, packet, resolve, reject }));
  }

  /**
   * Throws QosNotSupportedError, nothing sent, for a QoS above the server's Maximum QoS: the
   * client must not send it [MQTT-3.2.2-11] (the server would end the connection with DISCONNECT
   * 0x9B, 3.3.1.2). A will above it needs no check here: the server refuses the CONNECT, CONNACK
   * 0x9B [MQTT-3.2.2-12]. publish() checks it; a caller reading its input as it goes (`pub -l`) calls
   * it first so that it stops reading, as libmosquitto's clients stop at the failed publish.
   */
  checkPublishQos(qos: QoS): void {
    if (qos > this.limits.maximumQoS) throw new QosNotSupportedError(qos, this.limits.maximumQoS);
  }

  /**
   * A QoS 1/2 publish for a caller that forwards many (the broker's bridge): written now (or
   * queued behind a full window) in call order with QoS 0 publish() calls, and its end reported
   * to `listener` with `tag`, without a promise, closure or microtask per message. False, with
   * nothing sent, when the connection is not open.
   */
  publishTagged(topic: string, payload: Buffer, opts: PublishOptions & { qos: 1 | 2 }, listener: PublishListener, tag: number): boolean {
    if (!this.isOpen()) return false;
    this.submitPublish(new TaggedPublish(opts.qos, this.publishPacket(topic, payload, opts), listener, tag));
    return true;
  }

  /** A PUBLISH for publish() and publishTagged(), its topic alias applied. */
  private publishPacket(topic: string, payload: Buffer, opts: PublishOptions): IPublishPacket {
    // messageId from the start (set when sent): adding it later would change the object's shape per message
    const packet: IPublishPacket = { cmd: 'publish', topic, payload, qos: opts.qos, retain: opts.retain, dup: false, messageId: undefined };
    if (opts.properties && this.config.protocolVersion === 5) packet.properties = { ...opts.properties };
    this.applyOutgoingAlias(packet);
    return packet;
  }

  /** Sends a QoS 1/2 publish, or queues it behind a full window [MQTT-4.9.0-2], sent in order as acks free slots (see releaseSlot). */
  private submitPublish(item: OutgoingPublish): void {
    const id = this.session.outgoing.submit(item);
    if (id !== 0) this.sendPublish(item, id);
  }

  private sendPublish(item: OutgoingPublish, id: number): void {
    item.packet.messageId = id;
    this.send(item.packet);
  }

  /**
   * Publishes QoS 0 messages to one topic from frames made by a Qos0PublishBatcher: one write, no
   * packet object or promise per message (`pub -l`). The caller keeps to what the batcher
   * encodes (no v5 properties, no topic alias) and to the slow path while debugging, whose
   * per-message lines this skips. Returns false when the caller should wait for capacity.
   */
  publishQos0Frames(frames: Buffer, count: number): boolean {
    if (!this.conn) return false;
    // QoS 0 messages still take a number, as libmosquitto's do (-d lines count them)
    for (let i = 0; i < count; i++) this.session.ids.skip();
    this.lastSent = Date.now();
    return this.conn.sendRaw(frames);
  }

  /** Bytes written to the connection that the kernel has not taken yet (0 when not connected). */
  get writeBacklog(): number {
    return this.conn?.writeBacklog ?? 0;
  }

  /** Whether another message may be sent now without waiting (socket not backed up, a free slot). */
  hasCapacity(): boolean {
    return !!this.conn && !this.conn.needsDrain() && this.session.outgoing.canSendNow();
  }

  /** Resolves when another QoS 1/2 message may be sent and the socket is not backed up. */
  async waitForCapacity(): Promise<void> {
    await this.conn?.drained();
    if (!this.session.outgoing.canSendNow()) await new Promise<void>((r) => this.capacityWaiters.push(r));
  }

  async subscribe(subscriptions: ISubscription[], properties?: Properties): Promise<ISubackPacket> {
    this.assertConnected();
    const messageId = this.session.ids.allocate();
    const packet: Packet = { cmd: 'subscribe', messageId, subscriptions };
    if (properties && this.config.protocolVersion === 5) packet.properties = properties;
    return new Promise((resolve, reject) => {
      this.session.subacks.set(messageId, { resolve, reject });
      this.send(packet);
    });
  }

  async unsubscribe(topics: string[], properties?: Properties): Promise<IUnsubackPacket> {
    this.assertConnected();
    const messageId = this.session.ids.allocate();
    const packet: Packet = { cmd: 'unsubscribe', messageId, unsubscriptions: topics };
    if (properties && this.config.protocolVersion === 5) packet.properties = properties;
    return new Promise((resolve, reject) => {
      this.session.unsubacks.set(messageId, { resolve, reject });
      this.send(packet);
    });
  }

  /** Sends DISCONNECT (v5: with a reason code) and closes the connection cleanly. */
  /** `untilSent`: resolve once DISCONNECT is written out, not when the server has closed (Connection.sent). */
  async disconnect(reasonCode = 0, properties?: Properties, untilSent = false): Promise<void> {
    const conn = this.conn;
    this.stopKeepalive();
    if (conn?.state === ConnectionState.Closing && this.closingByUs) {
      // libmosquitto logs every mosquitto_disconnect() call made before its DISCONNECT went out,
      // though only one is sent (mosquitto_sub -E with every subscription denied shows two lines)
      this.debugLines(describeOutgoing(this.id, { cmd: 'disconnect' }));
      return;
    }
    if (!conn || conn.state !== ConnectionState.Open) return;
    this.closingByUs = true;
    const packet: Packet = { cmd: 'disconnect' };
    if (this.config.protocolVersion === 5) {
      packet.reasonCode = reasonCode;
      if (properties) packet.properties = properties;
    }
    this.send(packet);
    const ended = conn.end();
    await (untilSent ? conn.sent() : ended);
  }

  /** Drops the connection without DISCONNECT (the server then publishes the will). */
  destroy(): void {
    this.closingByUs = true;
    this.stopKeepalive();
    this.conn?.destroy();
  }

  private connectPacket(): IConnectPacket {
    const cfg = this.config;
    const v = cfg.protocolVersion;
    const packet: IConnectPacket = {
      cmd: 'connect',
      protocolId: v === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion: v,
      clientId: cfg.clientId,
      clean: cfg.cleanSession,
      keepalive: cfg.keepalive,
    };
    // mqtt-packet writes protocol level | 0x80 for this flag
    if (this.hooks.bridgeMode) (packet as IConnectPacket & { bridgeMode?: boolean }).bridgeMode = true;
    this.scram = undefined;
    if (cfg.authMethod !== undefined && v === 5) {
      // SCRAM: the password never goes on the wire; the user name goes in client-first-message
      this.scram = { first: clientFirstMessage(cfg.username ?? '', newNonce()) };
    } else {
      if (cfg.username !== undefined) packet.username = cfg.username;
      if (cfg.password !== undefined) packet.password = cfg.password;
    }
    if (cfg.will) {
      packet.will = { topic: cfg.will.topic, payload: cfg.will.payload, qos: cfg.will.qos, retain: cfg.will.retain };
      if (v === 5 && cfg.will.properties) packet.will.properties = cfg.will.properties;
    }
    if (v === 5) {
      const props: Properties = { ...(cfg.properties.connect ?? {}) };
      if (cfg.sessionExpiry !== undefined) props.sessionExpiryInterval = cfg.sessionExpiry;
      if (this.scram) {
        props.authenticationMethod = cfg.authMethod;
        props.authenticationData = encodeClientFirst(this.scram.first);
      }
      if (Object.keys(props).length > 0) packet.properties = props;
    }
    return packet;
  }

  /** The server's Maximum QoS (v5 CONNACK; 2 when it gives none, and before a connection). */
  get serverMaximumQoS(): QoS {
    return this.limits.maximumQoS;
  }

  private defaultLimits(): ServerLimits {
    return { receiveMaximum: 65535, topicAliasMaximum: 0, maximumQoS: 2, keepalive: this.config.keepalive };
  }

  /**
   * A QoS 1/2 flow ended: queued publishes take the free slots (only while connected: otherwise
   * they wait for the reconnect), then waitForCapacity() callers go on.
   */
  private releaseSlot(): void {
    const flow = this.session.outgoing;
    if (this.conn?.state === ConnectionState.Open) {
      for (let item = flow.nextQueued(); item !== undefined; item = flow.nextQueued()) this.sendPublish(item, flow.send(item));
    }
    while (this.capacityWaiters.length > 0 && flow.canSendNow()) this.capacityWaiters.shift()!();
  }

  /**
   * With `-D publish topic-alias N`: the first publish on a connection carries topic and alias,
   * later ones with the same alias and topic send only the alias. An alias above the server's
   * Topic Alias Maximum is not sent at all [MQTT-3.3.2-9].
   */
  private applyOutgoingAlias(packet: IPublishPacket): void {
    const alias = packet.properties?.topicAlias;
    if (alias === undefined) return;
    const topic = this.session.aliasesOut.use(alias, packet.topic);
    if (topic === undefined) delete packet.properties!.topicAlias;
    else packet.topic = topic;
  }

  /** `logMid`: the number a QoS 0 publish shows in -d lines (it has none on the wire). */
  private send(packet: Packet, logMid?: number): boolean {
    if (!this.conn) return false;
    if (this.config.debug) this.debugLines(describeOutgoing(this.id, packet, logMid));
    this.lastSent = Date.now();
    return this.conn.send(packet);
  }

  private debugLines(lines: string[]): void {
    if (!this.config.debug) return;
    for (const line of lines) this.emit('debug', line);
  }

  private onPacket(packet: Packet): void {
    // CONNACK is logged once the id the server may assign is known, PUBLISH once its topic alias
    // is resolved, as libmosquitto does
    // after our DISCONNECT libmosquitto closes the socket at once: whatever else the server had
    // sent (more messages, an UNSUBACK) is neither logged nor acted on
    if (this.closingByUs) return;
    // the line is not even made without -d: every PUBACK of a stream of messages comes here
    if (this.config.debug && packet.cmd !== 'connack' && packet.cmd !== 'publish') this.debugLines(describeIncoming(this.id, packet));
    if (this.handshake) {
      if (packet.cmd === 'connack') return this.onConnack(packet);
      if (packet.cmd === 'auth' && this.scram) return void this.onAuthChallenge(packet);
      this.handshake.reject(new ConnectError(`Protocol error: expected CONNACK, received ${packet.cmd.toUpperCase()}.`, 'protocol'));
      this.handshake = undefined;
      return;
    }
    handlePacket(this.ctx, packet);
  }

  private serverDisconnectReason?: number;

  /** v5: DISCONNECT with the reason, flushed before the connection closes; nothing more is read. */
  private protocolViolation(reasonCode: number): void {
    if (this.protocolVersion === 5 && this.hooks.closeWithoutDisconnect !== true) this.send({ cmd: 'disconnect', reasonCode });
    void this.conn?.end(new Error(`protocol violation by the server (reason ${reasonCode})`));
  }

  /**
   * After a reconnect: resend what was in flight, with DUP set when the session survived and
   * PUBREL as PUBREL [MQTT-4.4.0-1]; without a session the flows at PUBREL are complete. Then
   * what waited for a slot.
   */
  private resendInflight(sessionPresent: boolean): void {
    this.session.outgoing.resume(sessionPresent, (id, entry, what) => {
      if (what === Resend.Publish) {
        entry.packet.dup = sessionPresent;
        this.send(entry.packet);
      } else if (what === Resend.Pubrel) this.send({ cmd: 'pubrel', messageId: id });
      else entry.resolve({ reasonCode: entry.result?.reasonCode ?? 0, properties: entry.result?.properties });
    });
    this.releaseSlot();
  }

  private startKeepalive(): void {
    const seconds = this.limits.keepalive;
    if (!seconds) return;
    const intervalMs = seconds * 1000;
    this.lastSent = Date.now();
    const tick = () => {
      if (!this.connected) return;
      const idle = Date.now() - this.lastSent;
      if (idle >= intervalMs - 50) {
        this.send({ cmd: 'pingreq' });
        // no PINGRESP within half the interval: the broker is gone (detected within 1.5x)
        this.pingTimer ??= setTimeout(() => {
          this.conn?.destroy(new Error('Keepalive: no PINGRESP from the broker.'));
        }, intervalMs / 2);
        this.keepaliveTimer = setTimeout(tick, intervalMs);
      } else {
        this.keepaliveTimer = setTimeout(tick, intervalMs - idle);
      }
    };
    this.keepaliveTimer = setTimeout(tick, intervalMs);
  }

  private stopKeepalive(): void {
    clearTimeout(this.keepaliveTimer);
    clearTimeout(this.pingTimer);
    this.keepaliveTimer = this.pingTimer = undefined;
  }

  private onClose(err?: Error): void {
    this.stopKeepalive();
    if (this.handshake) {
      this.handshake.reject(handshakeFailure(err));
      this.handshake = undefined;
      return;
    }
    const byUs = this.closingByUs;
    const reason = this.serverDisconnectReason;
    this.serverDisconnectReason = undefined;
    this.connack = undefined;
    const lost = new ConnectionLostError(err?.message ?? 'The connection was lost.', reason);
    for (const map of [this.session.subacks, this.session.unsubacks]) {
      for (const [id, p] of map as Map<number, { reject: (e: Error) => void }>) {
        this.session.ids.release(id);
        p.reject(lost);
      }
      map.clear();
    }
    // QoS 1/2 messages stay queued: a reconnect resends them; callers that give up call failInflight()
    if (!byUs) this.emit('connection-lost', lost);
  }

  /** Rejects every pending publish (used when the caller will not reconnect). */
  failInflight(err: Error): void {
    const flow = this.session.outgoing;
    for (const entry of flow.inflight.values()) entry.reject(err);
    // publishes still waiting for a slot fail as they did when they found the connection gone
    for (const entry of flow.queue) entry.reject(new ConnectionLostError());
    flow.clear();
    while (this.capacityWaiters.length > 0) this.capacityWaiters.shift()!();
  }

  private isOpen(): boolean {
    return this.conn !== undefined && this.conn.state === ConnectionState.Open;
  }

  private assertConnected(): void {
    if (!this.isOpen()) throw new ConnectionLostError();
  }
}

/**
 * Why the connection closed before CONNACK: a TLS failure (such as the server's alert for a
 * missing client certificate, which arrives after our side of the handshake) in its own words, a
 * protocol error, or else the connection was lost (closed or reset), as libmosquitto says.
 */
function handshakeFailure(err: Error | undefined): ConnectError {
  if (err instanceof ProtocolError) return new ConnectError(err.message, 'protocol');
  const socketError = (err as NodeJS.ErrnoException | undefined)?.code ? describeSocketError(err!) : undefined;
  if (socketError?.kind === 'tls') return new ConnectError(socketError.message, 'transport');
  return new ConnectError('The connection was lost.', 'lost');
}
