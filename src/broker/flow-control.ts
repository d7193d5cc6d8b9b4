import type { Packet } from 'mqtt-packet';
import { FifoQueue } from '../core/collections/fifo-queue.js';
import type { OutgoingFlow, OutgoingLimits } from '../core/session/outgoing-flow.js';
import type { Delivery, Session, SessionClient } from './session.js';

/**
 * With neither max_queued_messages nor max_queued_bytes (no bound), the queue length at which
 * publishers are slowed down anyway, so that memory stays bounded while nothing is dropped.
 */
export const UNLIMITED_QUEUE_BACKPRESSURE = 1000;

/**
 * A publisher's acks beyond this many held: it ignores the window its acks give it (3.1.1 has no
 * receive maximum), so its socket stops being read until the acks go out (TCP backpressure).
 */
export const HELD_ACKS_PAUSE = 256;
/**
 * Sweeps (one a second) without a single ack from a congested session's client before it counts
 * as stalled: its publishers are let go and what exceeds its queue is dropped, as Mosquitto
 * does, so a subscriber that never reads cannot hold up everyone who publishes to it.
 */
export const STALL_SWEEPS = 2;

/** What one publisher waits for: the congested sessions its messages went to, and its acks in order. */
interface Held {
  waitingOn: Set<Session>;
  /** PUBACK/PUBREC in the order their PUBLISHes arrived [MQTT-4.6.0-2] [MQTT-4.6.0-3] */
  acks: FifoQueue<Packet>;
  paused: boolean;
}

/**
 * Backpressure instead of loss. When a QoS 1/2 message goes to a session whose queue is full, the
 * message is queued anyway and its publisher's acknowledgement is held until that queue drains:
 * a publisher's window of unacknowledged messages then bounds what it can add, so publishers slow
 * down to the pace of their slowest (still reading) subscriber. Only acks are held, the socket is
 * still read, so a client that publishes to itself, or two that publish to each other, still get
 * their own acks read and cannot deadlock. Every hold ends when the session drains, goes offline,
 * ends or stalls, or when the publisher goes.
 */
export class FlowControl {
  private readonly held = new Map<SessionClient, Held>();
  /** sessions that publishers wait on, checked for stalls by the sweep */
  private readonly congested = new Set<Session>();
  /** whether the queue has a bound (count or bytes): beyond it what is not held is dropped */
  queueBounded: boolean;

  /** `limits`: the broker's outgoing limits, shared with every session's flow */
  constructor(private readonly limits: OutgoingLimits<Delivery>) {
    this.queueBounded = limits.maxQueued > 0 || limits.maxQueuedBytes > 0;
  }

  /** The limits changed (a reload): whether the queue is bounded now. */
  limitsChanged(): void {
    this.queueBounded = this.limits.maxQueued > 0 || this.limits.maxQueuedBytes > 0;
  }

  /**
   * Whether a session's queue is full: the engine's bounds (max_queued_messages/_bytes), or
   * UNLIMITED_QUEUE_BACKPRESSURE queued when there are none. A new message to it is then held
   * against its publisher or dropped (see Broker.deliver); below it, held publishers go on.
   */
  queueFull(out: OutgoingFlow<Delivery>): boolean {
    return this.queueBounded ? out.queueFull() : out.queue.length >= UNLIMITED_QUEUE_BACKPRESSURE;
  }

  /** How many publishers have acks held right now. */
  get heldPublishers(): number {
    return this.held.size;
  }

  /** True while the publisher's acks wait (every later ack then waits behind them). */
  isHolding(publisher: SessionClient): boolean {
    return this.held.size !== 0 && this.held.has(publisher);
  }

  /** The publisher's next ack, and those after it, wait until `session` drains. */
  hold(publisher: SessionClient, session: Session): void {
    let h = this.held.get(publisher);
    if (!h) {
      h = { waitingOn: new Set(), acks: new FifoQueue(), paused: false };
      this.held.set(publisher, h);
    }
    if (h.waitingOn.has(session)) return;
    h.waitingOn.add(session);
    (session.waitingPublishers ??= new Set()).add(publisher);
    if (!this.congested.has(session)) {
      this.congested.add(session);
      session.acksAtSweep = session.acksReceived;
      session.quietSweeps = 0;
    }
  }

  /** Sends an ack for a PUBLISH of this publisher now, or after the ones held before it. */
  acknowledge(publisher: SessionClient, ack: Packet): void {
    const h = this.held.size !== 0 ? this.held.get(publisher) : undefined;
    if (!h) {
      publisher.send(ack);
      return;
    }
    h.acks.push(ack);
    if (!h.paused && h.acks.length >= HELD_ACKS_PAUSE) {
      h.paused = true;
      publisher.conn.stream.pause();
    }
  }

  /** The session has room again, or no longer takes messages: its publishers stop waiting on it. */
  release(session: Session): void {
    const waiting = session.waitingPublishers;
    this.congested.delete(session);
    if (!waiting) return;
    session.waitingPublishers = undefined;
    for (const publisher of waiting) {
      const h = this.held.get(publisher);
      if (!h) continue;
      h.waitingOn.delete(session);
      if (h.waitingOn.size === 0) this.flush(publisher, h);
    }
  }

  /** Every publisher goes on (the broker is shutting down: held acks go out before the close). */
  releaseAll(): void {
    for (const session of [...this.congested]) this.release(session);
  }

  /** The publisher's connection is gone: it waits on nothing, and its held acks have no one to go to. */
  forget(publisher: SessionClient): void {
    const h = this.held.get(publisher);
    if (!h) return;
    this.held.delete(publisher);
    for (const session of h.waitingOn) {
      session.waitingPublishers?.delete(publisher);
      if (session.waitingPublishers?.size === 0) {
        session.waitingPublishers = undefined;
        this.congested.delete(session);
      }
    }
  }

  /**
   * Called once a second: a congested session whose client has acknowledged nothing for
   * STALL_SWEEPS sweeps is stalled; its publishers go on, and its overflow is dropped until it
   * acknowledges again.
   */
  sweep(): void {
    for (const session of this.congested) {
      if (session.acksReceived !== session.acksAtSweep) {
        session.acksAtSweep = session.acksReceived;
        session.quietSweeps = 0;
      } else if (++session.quietSweeps >= STALL_SWEEPS) {
        session.stalled = true;
        this.release(session);
      }
    }
  }

  private flush(publisher: SessionClient, h: Held): void {
    this.held.delete(publisher);
    for (let ack = h.acks.shift(); ack !== undefined; ack = h.acks.shift()) publisher.send(ack);
    if (h.paused) {
      // read again; packets that arrived meanwhile count as activity for keep alive
      publisher.lastActivity = Date.now();
      publisher.conn.stream.resume();
    }
  }
}
