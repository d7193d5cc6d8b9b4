import type { QoS } from '../protocol/types.js';
import { FifoQueue } from '../collections/fifo-queue.js';
import { RC } from '../protocol/reason-codes.js';
import { PacketIdAllocator } from './packet-ids.js';

/** PUBLISH sent, waiting for PUBACK/PUBREC ('ack'); PUBREL sent, waiting for PUBCOMP ('pubcomp'). */
export type OutgoingStage = 'ack' | 'pubcomp';

/**
 * What the flow needs of a message it carries: its QoS (1 or 2) and a field for the stage of its
 * flow, which the flow writes. Everything else (a shared pre-encoded frame, a promise to settle)
 * is the caller's: the flow stores the caller's own objects, so it costs no allocation per message.
 */
export interface OutgoingItem {
  readonly qos: QoS;
  stage?: OutgoingStage;
}

/** Bounds of one direction's outgoing QoS 1/2 traffic; 0 means no bound (Mosquitto's convention). */
export interface OutgoingLimits<T> {
  /** messages in flight at once (max_inflight_messages); the peer's receive maximum bounds it too */
  maxInflight: number;
  /** payload bytes in flight (max_inflight_bytes): another message goes while fewer are in flight */
  maxInflightBytes: number;
  /** messages waiting behind the window (max_queued_messages) */
  maxQueued: number;
  /** payload bytes waiting behind the window (max_queued_bytes) */
  maxQueuedBytes: number;
  /** the bytes an item counts for; needed only with a byte bound, and must not change while held */
  sizeOf?: (item: T) => number;
}

export const NO_OUTGOING_LIMITS: OutgoingLimits<never> = Object.freeze({
  maxInflight: 0,
  maxInflightBytes: 0,
  maxQueued: 0,
  maxQueuedBytes: 0,
});

/**
 * What an acknowledgement asks of the caller when it did not complete a flow (a completed flow
 * returns the item itself; an item is an object, so `typeof result === 'number'` tells them apart).
 */
export const AckAction = {
  /** PUBACK or PUBCOMP for an identifier not in flight: nothing to do */
  None: 0,
  /** PUBREC accepted: send PUBREL (no reason code) and wait for PUBCOMP [MQTT-4.3.3-4] */
  SendPubrel: 1,
  /** PUBREC for an identifier not in flight: answer PUBREL anyway, v5 with RC.PacketIdentifierNotFound */
  PubrelNotFound: 2,
  /** the wrong acknowledgement for what is in flight under that identifier: close the connection */
  Close: 3,
} as const;
export type AckAction = (typeof AckAction)[keyof typeof AckAction];
/** The completed item, or what to do instead. */
export type AckResult<T> = T | AckAction;

/** What `resume` asks the caller to do with one in-flight item. */
export const Resend = {
  /** PUBLISH again, DUP set when the session survived [MQTT-4.4.0-1] */
  Publish: 0,
  /** PUBREL again: once PUBREL is sent the PUBLISH is never re-sent [MQTT-4.3.3-6] */
  Pubrel: 1,
  /** the flow is complete (no session: the peer holds the message already); the item left the flow */
  Completed: 2,
} as const;
export type Resend = (typeof Resend)[keyof typeof Resend];

/**
 * One direction of outgoing QoS 1/2 messages: the in-flight window (packet id -> item, in send
 * order) and the FIFO queue behind it. Plain state and transitions: the caller does the I/O with
 * what each method returns. No timers, no sockets.
 *
 * The window is the smaller of our maximum and the peer's receive maximum [MQTT-4.9.0-1]; while
 * it is full no further QoS 1/2 PUBLISH is sent [MQTT-4.9.0-2], the item waits in the queue.
 */
/** never pushed to: only read through the `queue` getter's narrower type */
const NOTHING_WAITING = new FifoQueue<unknown>();
const NOTHING_IN_FLIGHT: ReadonlyMap<number, unknown> = new Map<number, unknown>();

export class OutgoingFlow<T extends OutgoingItem> {
  /** QoS 1/2 messages sent and not yet completed, by packet id, in send order */
  get inflight(): ReadonlyMap<number, T> {
    return this.inflightMap ?? (NOTHING_IN_FLIGHT as ReadonlyMap<number, T>);
  }
  /**
   * made on the first QoS 1/2 message: a broker holds a session per idle connection, and most
   * never see one (an empty Map is its hash table too)
   */
  private inflightMap: Map<number, T> | undefined;
  /** messages waiting for a free slot (or for the peer to connect) */
  get queue(): Iterable<T> & { readonly length: number } {
    return this.waiting ?? (NOTHING_WAITING as FifoQueue<T>);
  }
  /** made on the first message queued, as `inflightMap` */
  private waiting: FifoQueue<T> | undefined;
  /** in-flight maximum for the current connection (see `setReceiveMaximum`) */
  window: number;
  inflightBytes = 0;
  queuedBytes = 0;
  private idAllocator?: PacketIdAllocator;

  /**
   * `ids`: an allocator shared with SUBSCRIBE/UNSUBSCRIBE (a client numbers them from one pool
   * [MQTT-2.2.1-3]); made on first use otherwise.
   */
  constructor(
    readonly limits: OutgoingLimits<T> = NO_OUTGOING_LIMITS as OutgoingLimits<T>,
    ids?: PacketIdAllocator,
  ) {
    this.idAllocator = ids;
    this.window = limits.maxInflight || 65535;
  }

  get ids(): PacketIdAllocator {
    return (this.idAllocator ??= new PacketIdAllocator());
  }

  /** The window of a new connection: our maximum, bounded by the peer's receive maximum [MQTT-4.9.0-1]. */
  setReceiveMaximum(receiveMaximum: number): void {
    this.window = Math.max(1, Math.min(this.limits.maxInflight || 65535, receiveMaximum || 65535));
  }

  /** Whether the window has room for one more message (by count, and by bytes when bounded). */
  hasSlot(): boolean {
    if (this.inflight.size >= this.window) return false;
    const maxBytes = this.limits.maxInflightBytes;
    return maxBytes === 0 || this.inflightBytes < maxBytes;
  }

  /** Whether a new message may go straight out: a free slot and nobody queued ahead of it. */
  canSendNow(): boolean {
    return this.queue.length === 0 && this.hasSlot();
  }

  /** Whether the queue reached its bound (by count or by bytes); never with both bounds 0. */
  queueFull(): boolean {
    const { maxQueued, maxQueuedBytes } = this.limits;
    return (maxQueued > 0 && this.queue.length >= maxQueued) || (maxQueuedBytes > 0 && this.queuedBytes >= maxQueuedBytes);
  }

  /**
   * Puts an item in flight and returns its new packet id [MQTT-4.3.2-1] [MQTT-4.3.3-1] (or
   * `reservedId`, one taken from `ids` for it before, when it was queued); the
   * caller sends the PUBLISH with DUP 0 [MQTT-4.3.2-2] [MQTT-4.3.3-2]. Only when `hasSlot()`
   * (`canSendNow()` for a new message): the flow does not check again on the hot path.
   */
  send(item: T, reservedId = 0): number {
    // an id given to the item when it was queued (and held in the allocator since) goes with it
    const id = reservedId || this.ids.allocate();
    item.stage = 'ack';
    (this.inflightMap ??= new Map()).set(id, item);
    if (this.limits.sizeOf !== undefined) this.inflightBytes += this.limits.sizeOf(item);
    return id;
  }

  /**
   * Puts an item back in flight under the packet id and at the stage it had (a session restored
   * from a store after a restart): `resume` then sends its PUBLISH again with DUP, or its PUBREL,
   * with that id [MQTT-4.4.0-1]. Restore in send order. Returns false when the id is taken already.
   */
  restore(id: number, item: T, stage: OutgoingStage): boolean {
    if (this.inflight.has(id) || id < 1 || id > 65535) return false;
    this.ids.reserve(id);
    item.stage = stage;
    (this.inflightMap ??= new Map()).set(id, item);
    if (this.limits.sizeOf !== undefined) this.inflightBytes += this.limits.sizeOf(item);
    return true;
  }

  /** Queues an item behind the window, whatever the queue's bound (the caller decides about that). */
  enqueue(item: T): void {
    (this.waiting ??= new FifoQueue()).push(item);
    if (this.limits.sizeOf !== undefined) this.queuedBytes += this.limits.sizeOf(item);
  }

  /** Sends when it may (returns the packet id), else queues (returns 0). */
  submit(item: T): number {
    if (this.canSendNow()) return this.send(item);
    this.enqueue(item);
    return 0;
  }

  /**
   * The oldest queued item once the window has a slot, taken out of the queue (undefined
   * otherwise). The caller sends it with `send` or drops it (expired, no longer authorised) and asks again.
   */
  nextQueued(): T | undefined {
    if (this.queue.length === 0 || !this.hasSlot()) return undefined;
    const item = this.waiting!.shift()!;
    if (this.limits.sizeOf !== undefined) this.queuedBytes -= this.limits.sizeOf(item);
    return item;
  }

  /**
   * PUBACK: a QoS 1 flow is complete, its packet id free again [MQTT-4.3.2-3] (whatever the
   * reason code: a failure also ends it [MQTT-4.4.0-2]). A PUBACK for a QoS 2 message is the wrong
   * acknowledgement; one for an unknown id is ignored.
   */
  puback(id: number): AckResult<T> {
    const item = this.inflight.get(id);
    if (item === undefined) return AckAction.None;
    if (item.qos !== 1) return AckAction.Close;
    this.remove(id, item);
    return item;
  }

  /**
   * PUBREC: below 0x80 the QoS 2 flow moves on to PUBREL [MQTT-4.3.3-4] and the PUBLISH is never
   * sent again [MQTT-4.3.3-6]; a repeated PUBREC gets PUBREL again. A failure (>= 0x80) ends the
   * flow there [MQTT-4.4.0-2]. Unknown id: PUBREL all the same, so the peer can finish its side.
   */
  pubrec(id: number, reasonCode = 0): AckResult<T> {
    const item = this.inflight.get(id);
    if (item === undefined) return AckAction.PubrelNotFound;
    if (item.qos !== 2) return AckAction.Close;
    // reason codes from 0x80 (Unspecified error) up are failures
    if (reasonCode >= RC.UnspecifiedError) {
      // a failure after our PUBREL contradicts the PUBREC that asked for it: Mosquitto's
      // db__message_delete_outgoing expects the PUBREC stage and closes on a mismatch
      if (item.stage === 'pubcomp') return AckAction.Close;
      this.remove(id, item);
      return item;
    }
    item.stage = 'pubcomp';
    return AckAction.SendPubrel;
  }

  /**
   * PUBCOMP: the QoS 2 flow is complete [MQTT-4.3.3-5]. It answers only a PUBREL: one for a QoS 1
   * message, or for a QoS 2 PUBLISH still waiting for its PUBREC, is the wrong acknowledgement.
   */
  pubcomp(id: number): AckResult<T> {
    const item = this.inflight.get(id);
    if (item === undefined) return AckAction.None;
    if (item.qos !== 2 || item.stage !== 'pubcomp') return AckAction.Close;
    this.remove(id, item);
    return item;
  }

  /** Ends a flow whatever its stage (a message that cannot be sent to this peer at all). */
  complete(id: number): T | undefined {
    const item = this.inflight.get(id);
    if (item !== undefined) this.remove(id, item);
    return item;
  }

  /**
   * After a reconnect, each in-flight item in send order, with what to send. With the session
   * present [MQTT-4.4.0-1] every PUBLISH goes again (the caller sets DUP) and every PUBREL as
   * PUBREL; without it the peer forgot the flows, so those at PUBREL are complete (the peer had
   * the message) and the rest start over as new messages under their ids (DUP 0).
   */
  resume(sessionPresent: boolean, visit: (id: number, item: T, what: Resend) => void): void {
    for (const [id, item] of this.inflight) {
      if (item.stage !== 'pubcomp') visit(id, item, Resend.Publish);
      else if (sessionPresent) visit(id, item, Resend.Pubrel);
      else {
        this.remove(id, item);
        visit(id, item, Resend.Completed);
      }
    }
  }

  /** Forgets everything in flight and queued (the session ended); ids in flight are freed. */
  clear(): void {
    if (this.idAllocator !== undefined) for (const id of this.inflight.keys()) this.idAllocator.release(id);
    // cleared as well as dropped: a loop over it that led here stops, as it did on one map for good
    this.inflightMap?.clear();
    this.inflightMap = undefined;
    this.waiting?.clear();
    this.waiting = undefined;
    this.inflightBytes = 0;
    this.queuedBytes = 0;
  }

  private remove(id: number, item: T): void {
    this.inflightMap!.delete(id);
    this.idAllocator!.release(id);
    if (this.limits.sizeOf !== undefined) this.inflightBytes -= this.limits.sizeOf(item);
  }
}
