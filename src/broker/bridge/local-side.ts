/**
 * A bridge's local side: a session of this broker like any client's (subscriptions in the
 * broker's table, an outgoing flow with its in-flight window and bounded queue, persisted with
 * the others when local_cleansession is false), attached to a client that lives inside the
 * broker, as Mosquitto's bridge is one context of its own. The router hands it each message
 * object (SessionClient.direct): no PUBLISH is encoded for it, decoded again and acknowledged
 * over an in-memory connection. A QoS 1/2 delivery stays in the session (in flight) until the
 * remote broker has acknowledged it, so what the remote has not got survives a reconnect and,
 * with persistence, a restart.
 */
import type { Packet } from 'mqtt-packet';
import type { Connection } from '../../core/connection/connection.js';
import type { QoS } from '../../core/protocol/types.js';
import type { Broker } from '../broker.js';
import { ClientState, type ConnectionInfo } from '../client-state.js';
import type { BrokerMessage } from '../message.js';
import { SessionState, type DirectDelivery, type Session, type SessionClient, type Subscription } from '../session.js';

export interface LocalTopic {
  filter: string;
  qos: QoS;
}

/** Where the local side's deliveries go: the bridge's remote side. */
export interface LocalSideOwner {
  forward(message: BrokerMessage, qos: QoS, retain: boolean, packetId: number, dup: boolean): void;
  readonly congested: boolean;
}

export class BridgeLocalClient implements SessionClient, DirectDelivery {
  /** Connected while the remote is: otherwise QoS 1/2 wait in the session's queue and QoS 0 is dropped */
  state = ClientState.AwaitingConnect;
  readonly info: ConnectionInfo;
  readonly address = 'bridge';
  username?: string;
  protocolVersion = 5 as const;
  isBridge = true;
  keepalive = 0;
  session?: Session;
  /** local_cleansession, and the local topics of the `topic` lines (see attach) */
  private clean = true;
  private topics: readonly LocalTopic[] = [];
  will = undefined;
  receiveMaximum = 65535;
  maximumPacketSize = Number.MAX_SAFE_INTEGER;
  aliasesIn = undefined;
  readonly connectedAt = Date.now();
  lastActivity = Date.now();
  normalDisconnect = false;
  readonly direct = this;

  constructor(
    public clientId: string,
    name: string,
    private readonly broker: Broker,
    private readonly owner: LocalSideOwner,
  ) {
    this.info = { remoteAddress: 'bridge', remotePort: 0, listener: { port: 0, protocol: 'mqtt', name: `bridge ${name}` } };
  }

  get conn(): Connection {
    throw new Error(`bridge ${this.clientId} has no connection of its own`);
  }

  /**
   * Takes the session of its client id, as a CONNECT would: a present one (restored from the
   * store) with its queue when `clean` is false, a new one otherwise; then the subscriptions are
   * those of the `topic` lines, as Mosquitto cleans and redoes its bridge's local subscriptions on
   * each start. Retained messages matching them are queued for the remote as Mosquitto does.
   */
  attach(clean: boolean, topics: readonly LocalTopic[]): void {
    this.clean = clean;
    this.topics = topics;
    const broker = this.broker;
    const existing = broker.sessions.get(this.clientId);
    if (existing?.client) {
      // a client that took the bridge's local id before the bridge started
      const old = existing.client;
      existing.client = undefined;
      old.normalDisconnect = true;
      old.close();
    }
    const { session } = broker.takeSession(this, clean, clean ? 0 : 0xffffffff, 5);
    for (const filter of [...session.subscriptions.keys()]) broker.removeSubscription(session, filter);
    this.subscribe();
  }

  /** the `topic` lines' local subscriptions, each followed by its retained messages for the remote */
  private subscribe(): void {
    const broker = this.broker;
    const session = this.session!;
    const now = Date.now();
    for (const t of this.topics) {
      broker.log.debug(`Bridge ${this.clientId} doing local SUBSCRIBE on topic ${t.filter}`);
      const sub: Subscription = { session, filter: t.filter, topicFilter: t.filter, qos: t.qos, noLocal: true, retainAsPublished: true, retainHandling: 0 };
      broker.addSubscription(sub);
      for (const message of broker.retained.matching(t.filter, now)) {
        broker.deliver(session, { message, qos: Math.min(message.qos, t.qos) as QoS, retain: true });
      }
    }
  }

  /**
   * The remote connection is being made (CONNECT on its way): deliveries are taken from here on,
   * as Mosquitto queues them for a bridge whose socket is open; the owner holds them until CONNACK.
   */
  connecting(): void {
    const session = this.session;
    if (!session || session.client !== this) return;
    // local_cleansession: subscribed again at each connect, as Mosquitto's bridge__connect does
    if (this.clean && session.subscriptions.size === 0) this.subscribe();
    this.state = ClientState.Connected;
  }

  /** The remote is connected: what is in flight and queued goes to it. */
  online(): void {
    const session = this.session;
    if (!session || session.client !== this) return;
    this.state = ClientState.Connected;
    this.broker.resumeSession(session, this);
  }

  /**
   * start_type lazy, the remote is down: deliveries are still taken (QoS 1/2 wait in flight, then
   * queued, QoS 0 with the owner), as Mosquitto queues every QoS for a lazy bridge; the bridge
   * starts again when enough of them wait.
   */
  standby(): void {
    this.connecting();
  }

  /** messages of the session waiting for the remote: in flight and queued */
  get waiting(): number {
    const out = this.session?.out;
    return out === undefined ? 0 : out.inflight.size + out.queue.length;
  }

  /** The remote has gone: deliveries wait in the session's queue (QoS 1/2) or are dropped (QoS 0). */
  offline(): void {
    if (this.state === ClientState.Connected) this.state = ClientState.AwaitingConnect;
    const session = this.session;
    if (!this.clean || !session || session.client !== this) return;
    // local_cleansession true: Mosquitto keeps nothing for a remote that is away (its
    // db__messages_delete drops what was queued and in flight for it, db__message_insert queues
    // nothing new): the subscriptions go until the next connect, with what waited
    for (const filter of [...session.subscriptions.keys()]) this.broker.removeSubscription(session, filter);
    session.out.clear();
  }

  /** A delivery finished by the remote (PUBACK, PUBCOMP) or given up (too large): its slot is free. */
  completed(packetId: number): void {
    const session = this.session;
    if (session && session.client === this) this.broker.completeOutgoing(session, packetId);
  }

  /** The broker stops: a session that outlives its connection stays, with its queue, for the next start. */
  detach(): void {
    const session = this.session;
    this.state = ClientState.Closed;
    if (!session || session.client !== this) return;
    session.client = undefined;
    if (session.expiryInterval === 0) {
      this.broker.endSession(session);
      return;
    }
    session.state = SessionState.Offline;
    this.broker.sessionJournal?.offline(session);
  }

  deliver(message: BrokerMessage, qos: QoS, retain: boolean, packetId: number, dup: boolean): void {
    this.owner.forward(message, qos, retain, packetId, dup);
  }

  get congested(): boolean {
    return this.owner.congested;
  }

  /** local_cleansession false: what comes while the remote is away waits for it (Mosquitto's db__message_insert) */
  get queuesWhileAway(): boolean {
    return this.session !== undefined && this.session.expiryInterval !== 0;
  }

  // the packets the broker would write to a connected client: a bridge's local side has none to
  // receive (its QoS 2 flows end as a whole when the remote completes them, never at PUBREL)
  send(_packet: Packet): boolean {
    return true;
  }
  sendRaw(_bytes: Buffer): boolean {
    return true;
  }
  disconnect(): void {}
  /** taken over by a client that connected with the bridge's local client id: the bridge stops forwarding */
  close(): void {
    this.state = ClientState.Closed;
  }
  hold(): void {}
  release(): void {}
  failed(err: unknown, doing: string): void {
    this.broker.log.error(`Bridge ${this.clientId}: ${doing}: ${(err as Error)?.message ?? String(err)}`);
  }
}
