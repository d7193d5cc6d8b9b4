import type { DeliveryJournal } from '../broker-api.js';
import type { Delivery, Session } from '../session.js';
import type { AckGate, GatedCopy } from './ack-gate.js';
import type { DurableStore, QueueKey } from './durable-store.js';
import { fromStoredMessage, toStoredMessage, type OutgoingInflightRecord, type QueuedRecord } from './records.js';

/**
 * Where a delivery of a persistent session is in the store (its `storeKey`): its queue record,
 * until the flow completes or (QoS 2) PUBREC comes; and the packet id of its inflight record,
 * when it has one (sent after being queued, or at the PUBREL stage).
 */
export class StoredDelivery implements GatedCopy {
  inQueue = true;
  /** durable mode: the ack that may go once this copy is delivered (see AckGate) */
  gate?: GatedCopy['gate'];
  /** packet id of its inflight/<client>\0o<id> record; 0 none */
  pointer = 0;
  /** restoring: the id it was queued with (QueuedRecord.reservedId); 0 none */
  reservedId = 0;
  constructor(readonly key: QueueKey) {}
}

/**
 * Journals a persistent session's QoS 1/2 state in both directions. Every write goes through
 * `written` (the ack gate and the autosave count); what one PUBLISH causes is written in the same
 * event-loop turn, so it lands in one LMDB transaction (lmdb's event-turn batching): a crash keeps
 * all of it or none.
 */
export function deliveryJournal(
  store: DurableStore,
  written: (p: Promise<void>, kind?: 'copy' | 'harmless') => void,
  gate?: AckGate,
): DeliveryJournal {
  return {
    added(session, delivery, packetId) {
      const record = queuedRecord(delivery);
      // sent at once (the usual case): one record says both what and under which id
      if (packetId !== 0) record.packetId = packetId;
      else if (delivery.packetId !== undefined) record.reservedId = delivery.packetId;
      const { key, written: w } = store.enqueue(session.clientId, record);
      const stored = new StoredDelivery(key);
      delivery.storeKey = stored;
      written(w, 'copy');
      gate?.copyStored(stored);
    },
    sent(session, delivery, packetId) {
      const stored = delivery.storeKey as StoredDelivery;
      stored.pointer = packetId;
      // lost in a crash, the message goes again as a new one: nobody's ack vouches for the id
      written(store.putOutgoing(session.clientId, { packetId, seq: stored.key[1], stage: 'ack' }), 'harmless');
    },
    released(session, delivery, packetId) {
      const stored = delivery.storeKey as StoredDelivery;
      // both in one transaction: the PUBREL stage replaces the message
      written(store.putOutgoing(session.clientId, { packetId, seq: stored.key[1], stage: 'pubcomp' }));
      if (stored.inQueue) {
        stored.inQueue = false;
        written(store.dequeue(stored.key));
      }
      stored.pointer = packetId;
    },
    removed(delivery) {
      const stored = delivery.storeKey as StoredDelivery;
      delivery.storeKey = undefined;
      // lost in a crash, the delivery comes once more (QoS 1), or its PUBREL (QoS 2)
      if (stored.inQueue) written(store.dequeue(stored.key), 'harmless');
      if (stored.pointer !== 0) written(store.deleteOutgoing(stored.key[0], stored.pointer), 'harmless');
      gate?.copyGone(stored);
    },
    incomingQos2(session, packetId) {
      written(store.putIncomingQos2(session.clientId, packetId));
    },
    incomingQos2Released(session, packetId) {
      written(store.deleteIncomingQos2(session.clientId, packetId));
    },
  };
}

function queuedRecord(d: Delivery): QueuedRecord {
  const r: QueuedRecord = { message: toStoredMessage(d.message), qos: d.qos, retain: d.retain };
  if (d.subscriptionIds !== undefined) r.subscriptionIds = d.subscriptionIds;
  return r;
}

/**
 * A restored session's QoS 1/2 state: deliveries that were in flight go back in flight under the
 * packet id and at the stage they had, in send order, so that the client's reconnect gets them
 * again as after any reconnect, PUBLISH with DUP or PUBREL [MQTT-4.4.0-1]; the others go back in
 * the queue in the order they came, under the packet id they were given when queued for the absent
 * client (an expired one is dropped; one in flight is kept, as across a reconnect). Incoming QoS 2 ids waiting for PUBREL come back too, so a PUBLISH
 * resent with DUP after the restart is acknowledged and not routed twice [MQTT-4.3.3-9].
 * Returns how many messages came back.
 */
export function restoreDeliveries(session: Session, store: DurableStore, now: number, unsettled: Delivery[] = []): number {
  const clientId = session.clientId;
  const pointers = new Map<number, OutgoingInflightRecord>();
  const inflight: Array<{ seq: number; id: number; stage: 'ack' | 'pubcomp'; delivery: Delivery }> = [];
  for (const r of store.outgoing(clientId)) {
    if (r.stage === 'pubcomp') {
      // only its id matters now: PUBREL goes, PUBCOMP ends it
      const delivery: Delivery = { message: fromStoredMessage({ topic: '', payload: EMPTY, qos: 2, retain: false }), qos: 2, retain: false };
      const stored = new StoredDelivery([clientId, r.seq]);
      stored.inQueue = false;
      stored.pointer = r.packetId;
      delivery.storeKey = stored;
      inflight.push({ seq: r.seq, id: r.packetId, stage: 'pubcomp', delivery });
    } else pointers.set(r.seq, r);
  }
  const queued: Delivery[] = [];
  const reservedIds = new Set<number>();
  for (const { key, record: q } of store.queued(clientId)) {
    const pointer = pointers.get(key[1]);
    pointers.delete(key[1]);
    const message = fromStoredMessage(q.message);
    const stored = new StoredDelivery(key);
    stored.pointer = pointer?.packetId ?? 0;
    stored.reservedId = q.reservedId ?? 0;
    const d: Delivery = { message, qos: q.qos, retain: q.retain, subscriptionIds: q.subscriptionIds, storeKey: stored };
    const id = pointer?.packetId ?? q.packetId ?? 0;
    if (id !== 0 && q.qos > 0) inflight.push({ seq: key[1], id, stage: 'ack', delivery: d });
    else if (message.expiresAt !== undefined && message.expiresAt <= now) {
      void store.dequeue(key).catch(() => {});
      if (stored.pointer !== 0) void store.deleteOutgoing(clientId, stored.pointer).catch(() => {});
    } else queued.push(d);
  }
  // stored just now, and maybe not committed (then not read): behind the others, in the order they came
  if (unsettled.length > 0) {
    const read = new Set(queued.map((d) => (d.storeKey as StoredDelivery).key[1]));
    for (const d of inflight) read.add(d.seq);
    for (const d of unsettled) if (d.storeKey !== undefined && !read.has((d.storeKey as StoredDelivery).key[1])) queued.push(d);
  }
  // an 'ack' record whose message is gone (written after a completion it raced): nothing to resend
  for (const r of pointers.values()) void store.deleteOutgoing(clientId, r.packetId).catch(() => {});

  inflight.sort((a, b) => a.seq - b.seq);
  for (const f of inflight) {
    if (session.out.restore(f.id, f.delivery, f.stage)) continue;
    // two records under one id cannot both be in flight: keep the older; a message starts over
    const stored = f.delivery.storeKey as StoredDelivery;
    if (stored.pointer !== 0) void store.deleteOutgoing(clientId, stored.pointer).catch(() => {});
    stored.pointer = 0;
    if (f.stage === 'ack') queued.push(f.delivery);
  }
  for (const d of queued) {
    const reserved = (d.storeKey as StoredDelivery).reservedId;
    // the id it was queued with, unless another flow holds it now (then it is numbered when sent)
    if (reserved !== 0 && !session.out.inflight.has(reserved) && !reservedIds.has(reserved)) {
      session.out.ids.reserve(reserved);
      reservedIds.add(reserved);
      d.packetId = reserved;
    }
    session.out.enqueue(d);
  }
  for (const id of store.incomingQos2(clientId)) session.incomingQos2.receive(id);
  return session.out.inflight.size + queued.length;
}

const EMPTY = Buffer.alloc(0);
