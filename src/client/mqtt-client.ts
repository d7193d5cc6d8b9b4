import { EventEmitter } from 'node:events';
import type {
  IConnackPacket,
  IConnectPacket,
  IPublishPacket,
  ISubackPacket,
  ISubscription,
  IUnsubackPacket,
  Packet,
} from 'mqtt-packet';
import { Connection, ConnectionState } from '../core/connection/connection.js';
import {
  clientFinalMessage,
  clientFirstMessage,
  encodeClientFirst,
  newNonce,
  parseServerFirst,
  SCRAM_METHODS,
  verifyServerFinal,
  type ClientFirst,
} from '../core/auth/scram.js';
import { ProtocolError } from '../core/protocol/errors.js';
import { describeSocketError, openTransport } from '../core/transport/open.js';
import type { ClientConfig } from './config.js';
import type { Properties, QoS } from '../core/protocol/types.js';
import { describeIncoming, describeOutgoing } from './debug-log.js';
import { ConnectError, ConnectionLostError } from './errors.js';
import { PacketIdAllocator } from '../core/session/packet-ids.js';

export interface PublishOptions {
  qos: QoS;
  retain: boolean;
  properties?: Properties;
}

export interface PublishResult {
  /** v5 PUBACK/PUBREC reason code (0 for QoS 0 and 3.1.1) */
  reasonCode: number;
  properties?: Properties;
}

interface OutgoingPublish {
  packet: IPublishPacket;
  stage: 'puback' | 'pubrec' | 'pubcomp';
  result?: PublishResult;
  resolve: (r: PublishResult) => void;
  reject: (e: Error) => void;
}

interface PendingAck<T> {
  resolve: (p: T) => void;
  reject: (e: Error) => void;
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

/** What the server told us in CONNACK that limits what we may send. */
interface ServerLimits {
  receiveMaximum: number;
  topicAliasMaximum: number;
  maximumPacketSize?: number;
  maximumQoS: QoS;
  keepalive: number;
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
  private readonly ids = new PacketIdAllocator();
  private readonly outgoing = new Map<number, OutgoingPublish>();
  private readonly waitingForSlot: Array<() => void> = [];
  private readonly subacks = new Map<number, PendingAck<ISubackPacket>>();
  private readonly unsubacks = new Map<number, PendingAck<IUnsubackPacket>>();
  /**
   * QoS 2 packet ids received and answered with PUBREC, until PUBREL [MQTT-4.3.3-2], with the
   * message while it is still held (null once delivered). Like libmosquitto a message reaches
   * the application at PUBREL, after PUBCOMP is sent; but a later PUBLISH delivers the held ones
   * first, so a slow PUBREL never reorders messages.
   */
  private readonly incomingQos2 = new Map<number, IPublishPacket | null>();
  private aliasesIn = new Map<number, string>();
  private aliasesOut = new Map<number, string>();
  private limits: ServerLimits;
  private keepaliveTimer?: NodeJS.Timeout;
  private pingTimer?: NodeJS.Timeout;
  private lastSent = 0;
  private closingByUs = false;
  private handshake?: { resolve: (c: IConnackPacket) => void; reject: (e: Error) => void };

  constructor(readonly config: ClientConfig) {
    super();
    this.id = config.clientId;
    this.limits = this.defaultLimits();
  }

  get connected(): boolean {
    return this.conn?.state === ConnectionState.Open && this.connack !== undefined;
  }

  get protocolVersion() {
    return this.config.protocolVersion;
  }

  /** Number of QoS 1/2 messages sent and not yet completed. */
  get inflight(): number {
    return this.outgoing.size;
  }

  /** Opens the transport, sends CONNECT and resolves with a successful CONNACK. */
  async connect(): Promise<IConnackPacket> {
    const cfg = this.config;
    let stream;
    try {
      stream = await openTransport({
        endpoint: cfg.endpoint,
        tls: cfg.tls,
        bindAddress: cfg.bindAddress,
        nodelay: cfg.nodelay,
      });
    } catch (err) {
      throw new ConnectError((err as Error).message, 'transport');
    }
    const conn = new Connection(stream, { protocolVersion: cfg.protocolVersion });
    this.conn = conn;
    this.connack = undefined;
    this.closingByUs = false;
    this.aliasesIn = new Map();
    this.aliasesOut = new Map();
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
  private scram?: { first: ClientFirst; serverSignature?: Buffer };

  /** The server's AUTH 0x18 with server-first-message: answer with client-final-message [MQTT-4.12.0-3]. */
  private async onAuthChallenge(packet: Extract<Packet, { cmd: 'auth' }>): Promise<void> {
    const scram = this.scram!;
    const method = this.config.authMethod!;
    const fail = (why: string) => {
      this.handshake?.reject(new ConnectError(`${method} authentication failed: ${why}.`, 'protocol'));
      this.handshake = undefined;
    };
    if (packet.reasonCode !== 0x18 || packet.properties?.authenticationMethod !== method || scram.serverSignature) {
      return fail(`unexpected AUTH 0x${(packet.reasonCode ?? 0).toString(16)}`);
    }
    try {
      const server = parseServerFirst(packet.properties?.authenticationData, scram.first.nonce);
      const final = await clientFinalMessage(SCRAM_METHODS[method], this.config.password ?? Buffer.alloc(0), scram.first, server);
      if (!this.handshake) return;
      scram.serverSignature = final.serverSignature;
      this.send({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: method, authenticationData: final.message } });
    } catch (err) {
      fail((err as Error).message);
    }
  }

  /** The CONNACK answer to our CONNECT: accept the session or reject the connect() call. */
  private onConnack(connack: IConnackPacket): void {
    const handshake = this.handshake!;
    this.handshake = undefined;
    const props = connack.properties ?? {};
    if (props.assignedClientIdentifier) this.id = props.assignedClientIdentifier;
    this.debugLines(describeIncoming(this.id, connack));
    const code = connack.reasonCode ?? connack.returnCode ?? 0;
    if (code !== 0) {
      handshake.reject(new ConnectError(`CONNACK refused: ${code}`, 'refused', code));
      return;
    }
    if (this.scram) {
      // the server proves it knows the password too: a CONNACK without that proof is refused
      try {
        if (!this.scram.serverSignature) throw new Error('CONNACK before the SCRAM exchange ended');
        if (props.authenticationMethod !== this.config.authMethod) throw new Error('CONNACK without the Authentication Method');
        verifyServerFinal(props.authenticationData, this.scram.serverSignature);
      } catch (err) {
        handshake.reject(new ConnectError(`${this.config.authMethod} authentication failed: ${(err as Error).message}.`, 'protocol'));
        return;
      }
    }
    this.connack = connack;
    this.limits = {
      receiveMaximum: props.receiveMaximum ?? 65535,
      topicAliasMaximum: props.topicAliasMaximum ?? 0,
      maximumPacketSize: props.maximumPacketSize,
      maximumQoS: (props.maximumQoS ?? 2) as QoS,
      keepalive: props.serverKeepAlive ?? this.config.keepalive,
    };
    // without a session the server forgot its QoS 2 state, so must we [MQTT-4.1.0-1]
    if (!connack.sessionPresent) this.incomingQos2.clear();
    this.startKeepalive();
    this.resendInflight(connack.sessionPresent);
    handshake.resolve(connack);
  }

  /**
   * Publishes one message. QoS 0 resolves once handed to the socket; QoS 1/2 resolve when the
   * flow completes (PUBACK / PUBCOMP), waiting for a free in-flight slot first.
   */
  async publish(topic: string, payload: Buffer, opts: PublishOptions): Promise<PublishResult> {
    const packet: IPublishPacket = {
      cmd: 'publish',
      topic,
      payload,
      qos: opts.qos,
      retain: opts.retain,
      dup: false,
    };
    if (opts.properties && this.config.protocolVersion === 5) packet.properties = { ...opts.properties };
    this.applyOutgoingAlias(packet);
    if (opts.qos === 0) {
      this.send(packet, this.ids.skip());
      return { reasonCode: 0 };
    }
    await this.waitForSlot();
    this.assertConnected();
    const messageId = this.ids.allocate();
    packet.messageId = messageId;
    return new Promise<PublishResult>((resolve, reject) => {
      this.outgoing.set(messageId, { packet, stage: opts.qos === 1 ? 'puback' : 'pubrec', resolve, reject });
      this.send(packet);
    });
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
    for (let i = 0; i < count; i++) this.ids.skip();
    this.lastSent = Date.now();
    return this.conn.sendRaw(frames);
  }

  /** Whether another message may be sent now without waiting (socket not backed up, a free slot). */
  hasCapacity(): boolean {
    return !!this.conn && !this.conn.needsDrain() && this.outgoing.size < this.maxInflight();
  }

  /** Resolves when another QoS 1/2 message may be sent and the socket is not backed up. */
  async waitForCapacity(): Promise<void> {
    await this.conn?.drained();
    if (this.outgoing.size >= this.maxInflight()) await new Promise<void>((r) => this.waitingForSlot.push(r));
  }

  async subscribe(subscriptions: ISubscription[], properties?: Properties): Promise<ISubackPacket> {
    this.assertConnected();
    const messageId = this.ids.allocate();
    const packet: Packet = { cmd: 'subscribe', messageId, subscriptions };
    if (properties && this.config.protocolVersion === 5) packet.properties = properties;
    return new Promise((resolve, reject) => {
      this.subacks.set(messageId, { resolve, reject });
      this.send(packet);
    });
  }

  async unsubscribe(topics: string[], properties?: Properties): Promise<IUnsubackPacket> {
    this.assertConnected();
    const messageId = this.ids.allocate();
    const packet: Packet = { cmd: 'unsubscribe', messageId, unsubscriptions: topics };
    if (properties && this.config.protocolVersion === 5) packet.properties = properties;
    return new Promise((resolve, reject) => {
      this.unsubacks.set(messageId, { resolve, reject });
      this.send(packet);
    });
  }

  /** Sends DISCONNECT (v5: with a reason code) and closes the connection cleanly. */
  async disconnect(reasonCode = 0, properties?: Properties): Promise<void> {
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
    await conn.end();
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

  private defaultLimits(): ServerLimits {
    return { receiveMaximum: 65535, topicAliasMaximum: 0, maximumQoS: 2, keepalive: this.config.keepalive };
  }

  private maxInflight(): number {
    return Math.max(1, Math.min(this.config.maxInflight || 65535, this.limits.receiveMaximum));
  }

  private waitForSlot(): Promise<void> {
    if (this.outgoing.size < this.maxInflight()) return Promise.resolve();
    return new Promise((resolve) => this.waitingForSlot.push(resolve));
  }

  private releaseSlot(): void {
    while (this.waitingForSlot.length > 0 && this.outgoing.size < this.maxInflight()) this.waitingForSlot.shift()!();
  }

  /**
   * With `-D publish topic-alias N`: the first publish on a connection carries topic and alias,
   * later ones with the same alias and topic send only the alias. An alias above the server's
   * Topic Alias Maximum is not sent at all [MQTT-3.3.2-9].
   */
  private applyOutgoingAlias(packet: IPublishPacket): void {
    const alias = packet.properties?.topicAlias;
    if (alias === undefined) return;
    if (alias < 1 || alias > this.limits.topicAliasMaximum) {
      delete packet.properties!.topicAlias;
      return;
    }
    if (this.aliasesOut.get(alias) === packet.topic) packet.topic = '';
    else this.aliasesOut.set(alias, packet.topic);
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
    if (packet.cmd !== 'connack' && packet.cmd !== 'publish') this.debugLines(describeIncoming(this.id, packet));
    if (this.handshake) {
      if (packet.cmd === 'connack') return this.onConnack(packet);
      if (packet.cmd === 'auth' && this.scram) return void this.onAuthChallenge(packet);
      this.handshake.reject(new ConnectError(`Protocol error: expected CONNACK, received ${packet.cmd.toUpperCase()}.`, 'protocol'));
      this.handshake = undefined;
      return;
    }
    switch (packet.cmd) {
      case 'publish':
        return this.onPublish(packet);
      case 'puback':
        return this.completeOutgoing(packet.messageId!, 'puback', packet.reasonCode, packet.properties);
      case 'pubrec': {
        const entry = this.outgoing.get(packet.messageId!);
        const code = packet.reasonCode ?? 0;
        if (!entry || entry.stage !== 'pubrec') {
          // [MQTT-4.3.3-1] still answer so the server can finish its side
          this.send({ cmd: 'pubrel', messageId: packet.messageId!, ...(this.protocolVersion === 5 ? { reasonCode: 0x92 } : {}) });
          return;
        }
        if (code >= 0x80) return this.completeOutgoing(packet.messageId!, 'pubrec', code, packet.properties);
        entry.stage = 'pubcomp';
        entry.result = { reasonCode: code, properties: packet.properties };
        this.send({ cmd: 'pubrel', messageId: packet.messageId! });
        return;
      }
      case 'pubcomp': {
        const entry = this.outgoing.get(packet.messageId!);
        if (entry?.stage === 'pubcomp') this.completeOutgoing(packet.messageId!, 'pubcomp', entry.result?.reasonCode ?? 0, entry.result?.properties);
        return;
      }
      case 'pubrel': {
        const held = this.incomingQos2.get(packet.messageId!);
        this.incomingQos2.delete(packet.messageId!);
        this.send({ cmd: 'pubcomp', messageId: packet.messageId! });
        if (held) this.emit('message', held);
        return;
      }
      case 'suback':
        this.emit('suback', packet);
        return this.settle(this.subacks, packet.messageId!, packet);
      case 'unsuback':
        return this.settle(this.unsubacks, packet.messageId!, packet);
      case 'pingresp':
        clearTimeout(this.pingTimer);
        this.pingTimer = undefined;
        return;
      case 'disconnect':
        // a DISCONNECT without a reason code means 0x00, normal disconnection (MQTT 5 §3.14.2.1)
        this.serverDisconnectReason = packet.reasonCode ?? 0;
        this.conn?.destroy();
        return;
      default:
        return;
    }
  }

  private serverDisconnectReason?: number;

  private onPublish(packet: IPublishPacket): void {
    const alias = packet.properties?.topicAlias;
    if (alias !== undefined) {
      if (packet.topic) this.aliasesIn.set(alias, packet.topic);
      else {
        const topic = this.aliasesIn.get(alias);
        if (topic === undefined) {
          // [MQTT-3.3.2-7] an alias we were never told about: protocol error 0x82
          this.protocolViolation(0x82);
          return;
        }
        packet.topic = topic;
      }
    }
    this.debugLines(describeIncoming(this.id, packet));
    // libmosquitto's order: QoS 1 is acknowledged before the application sees the message,
    // QoS 2 is held until PUBREL
    if (packet.qos === 2) {
      const id = packet.messageId!;
      const known = this.incomingQos2.has(id);
      if (!known) this.deliverHeldQos2();
      // a resent PUBLISH replaces a held copy; one already delivered is not delivered again
      if (!known || this.incomingQos2.get(id) !== null) this.incomingQos2.set(id, packet);
      this.send({ cmd: 'pubrec', messageId: id });
      return;
    }
    this.deliverHeldQos2();
    if (packet.qos === 1) this.send({ cmd: 'puback', messageId: packet.messageId! });
    this.emit('message', packet);
  }

  /** Delivers the QoS 2 messages still waiting for PUBREL, oldest first (see incomingQos2). */
  private deliverHeldQos2(): void {
    for (const [id, held] of this.incomingQos2) {
      if (!held) continue;
      this.incomingQos2.set(id, null);
      this.emit('message', held);
    }
  }

  private protocolViolation(reasonCode: number): void {
    if (this.protocolVersion === 5) this.send({ cmd: 'disconnect', reasonCode });
    this.conn?.destroy(new Error(`protocol violation by the server (reason ${reasonCode})`));
  }

  private completeOutgoing(id: number, stage: OutgoingPublish['stage'], reasonCode = 0, properties?: Properties): void {
    const entry = this.outgoing.get(id);
    if (!entry || entry.stage !== stage) return;
    this.outgoing.delete(id);
    this.ids.release(id);
    entry.resolve({ reasonCode, properties });
    this.releaseSlot();
  }

  private settle<T>(map: Map<number, PendingAck<T>>, id: number, packet: T): void {
    const pending = map.get(id);
    if (!pending) return;
    map.delete(id);
    this.ids.release(id);
    pending.resolve(packet);
  }

  /** After a reconnect: resend what was in flight, with DUP set when the session survived. */
  private resendInflight(sessionPresent: boolean): void {
    for (const entry of this.outgoing.values()) {
      if (entry.stage === 'pubcomp') {
        if (sessionPresent) this.send({ cmd: 'pubrel', messageId: entry.packet.messageId! });
        else this.completeOutgoing(entry.packet.messageId!, 'pubcomp', entry.result?.reasonCode, entry.result?.properties);
        continue;
      }
      entry.packet.dup = sessionPresent;
      this.send(entry.packet);
    }
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
    for (const map of [this.subacks, this.unsubacks]) {
      for (const [id, p] of map) {
        this.ids.release(id);
        p.reject(lost);
      }
      map.clear();
    }
    // QoS 1/2 messages stay queued: a reconnect resends them; callers that give up call failInflight()
    if (!byUs) this.emit('connection-lost', lost);
  }

  /** Rejects every pending publish (used when the caller will not reconnect). */
  failInflight(err: Error): void {
    for (const [id, entry] of this.outgoing) {
      this.ids.release(id);
      entry.reject(err);
    }
    this.outgoing.clear();
    for (const w of this.waitingForSlot.splice(0)) w();
  }

  private assertConnected(): void {
    if (!this.conn || this.conn.state !== ConnectionState.Open) throw new ConnectionLostError();
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
