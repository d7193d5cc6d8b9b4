import type { SubscriptionTrie } from '../core/topic/trie.js';
import type { FlowControl } from './flow-control.js';
import type { BrokerHooks } from './hooks.js';
import type { BrokerLimits } from './limits.js';
import type { MemoryLimit } from './memory-limit.js';
import type { BrokerLog } from './log.js';
import type { BrokerMessage } from './message.js';
import type { RetainedStore } from './retained-store.js';
import type { Delivery, Session, SessionClient, Subscription } from './session.js';

export interface BrokerStats {
  startedAt: number;
  messagesReceived: number;
  messagesSent: number;
  publishReceived: number;
  publishSent: number;
  publishDropped: number;
  clientsTotalEver: number;
  clientsMaximum: number;
  /** PUBLISH payload bytes from clients and to them ($SYS publish/bytes/received|sent) */
  publishBytesReceived: number;
  publishBytesSent: number;
  /** connections accepted ($SYS load/sockets) */
  socketsAccepted: number;
  /** sessions ended by their expiry interval ($SYS clients/expired) */
  clientsExpired: number;
}

/**
 * What a connection and its packet handlers may ask of the broker (Broker is the one
 * implementation). Handlers see this, not the class, so that the broker can import what
 * dispatches packets without the handlers importing the broker back.
 */
export interface BrokerApi {
  readonly limits: BrokerLimits;
  /** memory_limit, when set */
  readonly memoryLimit?: MemoryLimit;
  readonly hooks: BrokerHooks;
  readonly log: BrokerLog;
  readonly stats: BrokerStats;
  readonly sessions: Map<string, Session>;
  readonly subscriptions: SubscriptionTrie<Subscription>;
  readonly retained: RetainedStore;
  /** holds publishers' acks while the queues they feed are full */
  readonly flow: FlowControl;
  /**
   * Persistence in durable mode: PUBACK/PUBREC wait for the commit of what their PUBLISH wrote
   * (src/broker/persistence/ack-gate.ts). Undefined without it: acks go out at once.
   */
  durableAcks?: DurableAcks;
  /** a reload reading the security files (SIGHUP): retained messages for new subscriptions wait for it */
  readonly securityReload?: Promise<void>;
  sessionJournal?: SessionJournal;
  deliveryJournal?: DeliveryJournal;
  /** kept by the client's state setter */
  connectedClients: number;
  readonly connectedCount: number;
  /** routes a message; returns how many subscriptions matched */
  publish(message: BrokerMessage, publisher?: SessionClient): number;
  /** one QoS 0/1/2 delivery to one session: sent, queued or dropped */
  deliver(session: Session, delivery: Delivery, now?: number, publisher?: SessionClient): void;
  /** a flow of `session.out` completed (PUBACK, PUBCOMP, a failed PUBREC): its slot is free */
  outgoingCompleted(session: Session): void;
  /** a session for a client id, bounded by the broker's limits (not yet registered) */
  newSession(clientId: string): Session;
  /**
   * The session a connecting client takes: its present one unless `clean` (or it was to last only
   * as long as a connection), else a new one registered under its id; online and bound to `client`.
   */
  takeSession(client: SessionClient, clean: boolean, expiryInterval: number, protocolVersion: number): { session: Session; present: boolean };
  /** after a reconnect to a present session: resend what is in flight, then drain the queue */
  resumeSession(session: Session, client: SessionClient): void;
  addSubscription(sub: Subscription): boolean;
  removeSubscription(session: Session, filter: string): boolean;
  endSession(session: Session): void;
  scheduleWill(clientId: string, will: { message: BrokerMessage; delaySeconds: number }, sessionExpiry: number): void;
  cancelWill(clientId: string): void;
  /** a connection has closed */
  clientClosed(client: SessionClient, wasConnected: boolean): void;
}

/**
 * Persistence: told of each change to what a session keeps beyond its connection (its record,
 * its subscriptions), so a restart finds it. Undefined without persistence.
 */
export interface SessionJournal {
  /** CONNECT accepted: the session's expiry and user are known */
  online(session: Session, protocolVersion: number): void;
  subscribed(sub: Subscription): void;
  unsubscribed(session: Session, filter: string): void;
  /** its connection closed and it carries on: the expiry counts from now */
  offline(session: Session): void;
  ended(session: Session): void;
}

/** Persistence: a will waiting out its delay is stored until it is sent or cancelled. */
export interface WillJournal {
  pending(clientId: string, message: BrokerMessage, sendAt: number): void;
  gone(clientId: string): void;
}

/**
 * Persistence: QoS 1/2 deliveries to a session that outlives its connection are stored from when
 * they are queued or sent until their flow completes (PUBACK, PUBCOMP), with the packet id they
 * went out under, so a restart resends them as a reconnect would; and the incoming QoS 2 ids
 * waiting for PUBREL, so a PUBLISH resent after a restart is not routed twice. Only for sessions
 * whose expiry is not 0: the callers check.
 */
export interface DeliveryJournal {
  /** queued (`packetId` 0) or sent at once under `packetId` */
  added(session: Session, delivery: Delivery, packetId: number): void;
  /** a stored delivery left the queue and was sent under `packetId`: a restart resends it with that id, DUP set */
  sent(session: Session, delivery: Delivery, packetId: number): void;
  /** PUBREC for a stored QoS 2 delivery: the message goes, the PUBREL stage stays [MQTT-4.3.3-6] */
  released(session: Session, delivery: Delivery, packetId: number): void;
  /** delivered, dropped or expired: its copy goes */
  removed(delivery: Delivery): void;
  /** a QoS 2 PUBLISH was received and is answered PUBREC: its id waits for PUBREL [MQTT-4.3.3-8] */
  incomingQos2(session: Session, packetId: number): void;
  /** PUBREL for it [MQTT-4.3.3-11] */
  incomingQos2Released(session: Session, packetId: number): void;
}

export interface DurableAcks {
  /** runs `send` once every write made so far is durable, after this client's earlier acks (in order [MQTT-4.6.0-2]) */
  after(client: object, send: () => void): void;
}

/** The client as a packet handler gets it: a session's client, and the broker it belongs to. */
export interface HandlerClient extends SessionClient {
  readonly broker: BrokerApi;
}
