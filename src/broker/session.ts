import type { Packet } from 'mqtt-packet';
import type { ProtocolVersion, QoS } from '../core/protocol/types.js';
import type { Connection } from '../core/connection/connection.js';
import { IncomingQos2 } from '../core/session/incoming-qos2.js';
import { OutgoingFlow, type OutgoingLimits } from '../core/session/outgoing-flow.js';
import type { InboundTopicAliases } from '../core/session/topic-aliases.js';
import type { LongTimeout } from '../core/timers/long-timeout.js';
import type { ClientState, ConnectionInfo, PendingWill } from './client-state.js';
import type { BrokerMessage } from './message.js';

export interface Subscription {
  session: Session;
  /** the filter as the client sent it, $share/… included: the key for unsubscribe */
  filter: string;
  /** the filter that is matched against topics */
  topicFilter: string;
  shareName?: string;
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: number;
  subscriptionId?: number;
}

/** A QoS 1/2 delivery to this session: sent and waiting for acks, or queued. */
export interface Delivery {
  message: BrokerMessage;
  qos: QoS;
  retain: boolean;
  subscriptionIds?: number[];
  /** PUBLISH sent, waiting PUBACK/PUBREC; or PUBREL sent, waiting PUBCOMP */
  stage?: 'ack' | 'pubcomp';
  /** persistence: the key of its copy in the store, until it is delivered */
  storeKey?: unknown;
  /**
   * the packet id it was given when queued for an offline persistent session (as Mosquitto numbers
   * a message when it queues it), held in the session's allocator until it is sent under it
   */
  packetId?: number;
}

/**
 * Persistence: the messages of a session restored at start-up (queued and in flight) while they
 * are still only in the store, to be read when its client returns: start-up does not read them and
 * memory does not hold them. Until then, new deliveries join them in the store, behind them.
 */
export interface StoredMessages {
  /** whether one more would go past max_queued_messages / max_queued_bytes */
  full(): boolean;
  /** how many messages the store holds for the session (counted without reading them), and their payload bytes once known */
  size(): { count: number; bytes?: number };
  /** stores a new delivery behind them (not kept in memory) */
  add(delivery: Delivery): void;
  /** reads them into the session's flow, in flight and queued, in order (the client is back) */
  load(now: number): void;
}

export enum SessionState {
  Online = 'online',
  /** clean session false / session expiry > 0, waiting for its client to come back */
  Offline = 'offline',
  Ended = 'ended',
}

/**
 * The connection a session is attached to, as the broker, its hooks and its packet handlers use
 * it (BrokerClient is the one implementation). An interface, so that sessions, hooks and handlers
 * do not import the class that dispatches packets to them.
 */
export interface SessionClient {
  state: ClientState;
  readonly conn: Connection;
  readonly info: ConnectionInfo;
  /** remote address:port, for the log */
  readonly address: string;
  clientId: string;
  username?: string;
  protocolVersion: ProtocolVersion;
  /**
   * CONNECT had Mosquitto's bridge flag (protocol level | 0x80, try_private): like Mosquitto, its
   * subscriptions never get back what it published and keep the retain flag as published
   */
  isBridge?: boolean;
  keepalive: number;
  session?: Session;
  will?: PendingWill;
  /** the client's receive maximum: how many QoS 1/2 we may have in flight to it */
  receiveMaximum: number;
  /** the client's maximum packet size: larger PUBLISHes are not sent to it [MQTT-3.1.2-25] */
  maximumPacketSize: number;
  /** inbound topic aliases [MQTT-3.3.2-7]; made on the first one, since most clients never use them */
  aliasesIn: InboundTopicAliases | undefined;
  readonly connectedAt: number;
  lastActivity: number;
  /** set when the close is a normal DISCONNECT (no will) */
  normalDisconnect: boolean;
  send(packet: Packet): boolean;
  sendRaw(bytes: Buffer): boolean;
  /**
   * A client inside the broker (a bridge's local side): it is given each message object instead
   * of an encoded PUBLISH, and has no connection of its own (`conn` is not to be used).
   */
  direct?: DirectDelivery;
  /** ends the connection because of something the client did (v5: DISCONNECT with the code first) */
  disconnect(reasonCode: number, reasonString?: string): void;
  close(): void;
  /** holds incoming packets back (in order) while an asynchronous step such as auth runs */
  hold(): void;
  release(): void;
  /** ends this connection for an exception thrown on its behalf */
  failed(err: unknown, doing: string): void;
}

/** How the broker hands messages to a client inside it (see SessionClient.direct). */
export interface DirectDelivery {
  /** One delivery: `packetId` 0 for QoS 0; the flow ends with Broker.completeOutgoing(session, packetId). */
  deliver(message: BrokerMessage, qos: QoS, retain: boolean, packetId: number, dup: boolean): void;
  /** QoS 0 messages are dropped (and counted) while this is true, as for a subscriber that does not read */
  readonly congested: boolean;
  /** false: while not connected, QoS 1/2 messages are not queued either (a bridge with local_cleansession true) */
  readonly queuesWhileAway: boolean;
}

/**
 * What the broker keeps for one client identifier: subscriptions, and QoS 1/2 state in both
 * directions on the core session engine: the outgoing flow (in-flight window, packet ids and the
 * queue of messages waiting for a free slot or for the client) and incoming QoS 2 dedupe.
 */
export class Session {
  state = SessionState.Online;
  client?: SessionClient;
  /** outgoing QoS 1/2: in flight by packet id in send order, and queued */
  readonly out: OutgoingFlow<Delivery>;
  // made on first use: most idle connections never subscribe or use QoS 2, and every byte per
  // connection counts with thousands of them
  private subs?: Map<string, Subscription>;
  private qos2In?: IncomingQos2;

  /** Whether it has any subscription, without making the map (for $SYS counts over every session). */
  get hasSubscriptions(): boolean {
    return this.subs !== undefined && this.subs.size > 0;
  }

  get subscriptions(): Map<string, Subscription> {
    return (this.subs ??= new Map());
  }

  /** incoming QoS 2 packet ids answered with PUBREC and waiting for PUBREL [MQTT-4.3.3-8] */
  get incomingQos2(): IncomingQos2 {
    return (this.qos2In ??= new IncomingQos2());
  }
  /**
   * the highest QoS it is sent: its last listener's max_qos (Mosquitto caps each message it queues
   * for a client at this, upgrade_outgoing_qos or not)
   */
  maxQos: QoS = 2;
  /** seconds; 0 ends the session with the connection, 0xFFFFFFFF never */
  expiryInterval = 0;
  expiryTimer?: LongTimeout;
  droppedMessages = 0;
  /** publishers whose acks wait for this session's queue to drain (see FlowControl) */
  waitingPublishers?: Set<SessionClient>;
  /** PUBACK/PUBCOMP received: the flow control's sign that the client still reads */
  acksReceived = 0;
  acksAtSweep = 0;
  quietSweeps = 0;
  /** congested and acknowledging nothing: overflow is dropped rather than held against publishers */
  stalled = false;
  /** user name of the last client on this session, for read ACLs while it is offline */
  username?: string;
  /** persistence, durable mode: first PUBLISHes waiting for their record's commit (Broker.firstSend) */
  heldSends = 0;
  /** persistence: its messages are still in the store only (see StoredMessages) */
  stored?: StoredMessages;

  /** `limits`: the broker's, one object shared by every session */
  constructor(
    readonly clientId: string,
    limits: OutgoingLimits<Delivery>,
  ) {
    this.out = new OutgoingFlow(limits);
  }

  /** The client is back (or the broker stops): the session no longer counts down to its end. */
  cancelExpiry(): void {
    this.expiryTimer?.clear();
    this.expiryTimer = undefined;
  }
}
