import type { QoS } from '../core/protocol/types.js';
import { PacketIdAllocator } from '../core/session/packet-ids.js';
import { FifoQueue } from '../core/collections/fifo-queue.js';
import type { LongTimeout } from '../core/timers/long-timeout.js';
import type { BrokerClient } from './broker-client.js';
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
}

export enum SessionState {
  Online = 'online',
  /** clean session false / session expiry > 0, waiting for its client to come back */
  Offline = 'offline',
  Ended = 'ended',
}

/**
 * What the broker keeps for one client identifier: subscriptions, QoS 1/2 state in both
 * directions and the queue of messages waiting for a free in-flight slot or for the client.
 */
export class Session {
  state = SessionState.Online;
  client?: BrokerClient;
  /** outgoing QoS 1/2 by packet id, in send order */
  readonly inflight = new Map<number, Delivery>();
  readonly queue = new FifoQueue<Delivery>();
  // made on first use: most idle connections never subscribe or use QoS 2, and every byte per
  // connection counts with thousands of them
  private subs?: Map<string, Subscription>;
  private qos2In?: Set<number>;
  private idAllocator?: PacketIdAllocator;

  /** Whether it has any subscription, without making the map (for $SYS counts over every session). */
  get hasSubscriptions(): boolean {
    return this.subs !== undefined && this.subs.size > 0;
  }

  get subscriptions(): Map<string, Subscription> {
    return (this.subs ??= new Map());
  }

  /** incoming QoS 2 packet ids answered with PUBREC and waiting for PUBREL [MQTT-4.3.3-2] */
  get incomingQos2(): Set<number> {
    return (this.qos2In ??= new Set());
  }

  get ids(): PacketIdAllocator {
    return (this.idAllocator ??= new PacketIdAllocator());
  }
  /** seconds; 0 ends the session with the connection, 0xFFFFFFFF never */
  expiryInterval = 0;
  expiryTimer?: LongTimeout;
  droppedMessages = 0;
  /** publishers whose acks wait for this session's queue to drain (see FlowControl) */
  waitingPublishers?: Set<BrokerClient>;
  /** PUBACK/PUBCOMP received: the flow control's sign that the client still reads */
  acksReceived = 0;
  acksAtSweep = 0;
  quietSweeps = 0;
  /** congested and acknowledging nothing: overflow is dropped rather than held against publishers */
  stalled = false;
  /** user name of the last client on this session, for read ACLs while it is offline */
  username?: string;

  constructor(readonly clientId: string) {}

  /** The client is back (or the broker stops): the session no longer counts down to its end. */
  cancelExpiry(): void {
    this.expiryTimer?.clear();
    this.expiryTimer = undefined;
  }
}
