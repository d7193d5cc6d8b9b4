import { describe, expect, it } from 'vitest';
import type { QoS } from '../../src/core/protocol/types.js';
import { AckAction, OutgoingFlow, Resend, type OutgoingItem, type OutgoingLimits } from '../../src/core/session/outgoing-flow.js';

interface Msg extends OutgoingItem {
  name: string;
  bytes: number;
}

const msg = (name: string, qos: QoS, bytes = 10): Msg => ({ name, qos, bytes });

function flow(limits: Partial<OutgoingLimits<Msg>> = {}): OutgoingFlow<Msg> {
  return new OutgoingFlow<Msg>({ maxInflight: 0, maxInflightBytes: 0, maxQueued: 0, maxQueuedBytes: 0, ...limits });
}

describe('OutgoingFlow: QoS 1', () => {
  it('[MQTT-4.3.2-1] [MQTT-4.3.2-3] a new message takes an unused id, PUBACK completes it and frees the id', () => {
    const f = flow();
    const a = msg('a', 1);
    const id = f.send(a);
    expect(id).toBe(1);
    expect(a.stage).toBe('ack');
    expect(f.send(msg('b', 1))).toBe(2);
    expect(f.puback(id)).toBe(a);
    expect(f.inflight.has(id)).toBe(false);
    expect(f.ids.inUse).toBe(1);
  });

  it('[MQTT-4.4.0-2] PUBACK with a failure reason code also ends the flow (no reason code is read)', () => {
    const f = flow();
    const a = msg('a', 1);
    const id = f.send(a);
    expect(f.puback(id)).toBe(a);
  });

  it('a PUBACK for an unknown id does nothing; a second PUBACK for a completed one neither', () => {
    const f = flow();
    const id = f.send(msg('a', 1));
    expect(f.puback(99)).toBe(AckAction.None);
    f.puback(id);
    expect(f.puback(id)).toBe(AckAction.None);
  });

  it('a PUBACK for a QoS 2 message is the wrong acknowledgement: close, the flow stays', () => {
    const f = flow();
    const id = f.send(msg('a', 2));
    expect(f.puback(id)).toBe(AckAction.Close);
    expect(f.inflight.size).toBe(1);
  });
});

describe('OutgoingFlow: QoS 2', () => {
  it('[MQTT-4.3.3-1] [MQTT-4.3.3-4] [MQTT-4.3.3-5] PUBREC below 0x80 asks for PUBREL, PUBCOMP completes', () => {
    const f = flow();
    const a = msg('a', 2);
    const id = f.send(a);
    expect(f.pubrec(id, 0)).toBe(AckAction.SendPubrel);
    expect(a.stage).toBe('pubcomp');
    expect(f.inflight.get(id)).toBe(a);
    expect(f.pubcomp(id)).toBe(a);
    expect(f.inflight.size).toBe(0);
    expect(f.ids.inUse).toBe(0);
  });

  it('PUBREC 0x10 (no matching subscribers) is a success: PUBREL follows', () => {
    const f = flow();
    const id = f.send(msg('a', 2));
    expect(f.pubrec(id, 0x10)).toBe(AckAction.SendPubrel);
  });

  it('[MQTT-4.3.3-4] [MQTT-4.4.0-2] PUBREC with a failure reason code (>= 0x80) ends the flow: no PUBREL', () => {
    const f = flow();
    const a = msg('a', 2);
    const id = f.send(a);
    expect(f.pubrec(id, 0x87)).toBe(a);
    expect(f.inflight.size).toBe(0);
    expect(f.ids.inUse).toBe(0);
  });

  it('[MQTT-4.3.3-4] a failure PUBREC after our PUBREL is a protocol violation: close (as Mosquitto)', () => {
    const f = flow();
    const id = f.send(msg('a', 2));
    expect(f.pubrec(id)).toBe(AckAction.SendPubrel);
    expect(f.pubrec(id, 0x80)).toBe(AckAction.Close);
  });

  it('a repeated PUBREC gets PUBREL again', () => {
    const f = flow();
    const id = f.send(msg('a', 2));
    f.pubrec(id);
    expect(f.pubrec(id)).toBe(AckAction.SendPubrel);
  });

  it('PUBREC for an id not in flight: PUBREL anyway (v5 with 0x92, the caller adds it)', () => {
    expect(flow().pubrec(7)).toBe(AckAction.PubrelNotFound);
  });

  it('PUBREC for a QoS 1 message is the wrong acknowledgement: close', () => {
    const f = flow();
    const id = f.send(msg('a', 1));
    expect(f.pubrec(id)).toBe(AckAction.Close);
  });

  it('[MQTT-4.3.3-5] PUBCOMP answers only a PUBREL: for a PUBLISH still waiting for PUBREC, or a QoS 1 message, close', () => {
    const f = flow();
    const q2 = f.send(msg('a', 2));
    const q1 = f.send(msg('b', 1));
    expect(f.pubcomp(q2)).toBe(AckAction.Close);
    expect(f.pubcomp(q1)).toBe(AckAction.Close);
    expect(f.pubcomp(50)).toBe(AckAction.None);
    expect(f.inflight.size).toBe(2);
  });
});

describe('OutgoingFlow: window and queue', () => {
  it('[MQTT-4.9.0-1] the window is our maximum bounded by the peer receive maximum, never 0', () => {
    const f = flow({ maxInflight: 20 });
    expect(f.window).toBe(20);
    f.setReceiveMaximum(5);
    expect(f.window).toBe(5);
    f.setReceiveMaximum(65535);
    expect(f.window).toBe(20);
    const g = flow();
    g.setReceiveMaximum(0);
    expect(g.window).toBe(65535);
  });

  it('[MQTT-4.9.0-2] a full window queues; each completion lets the oldest queued one go, in order', () => {
    const f = flow({ maxInflight: 2 });
    const ids = ['a', 'b', 'c', 'd'].map((n) => f.submit(msg(n, 1)));
    expect(ids).toEqual([1, 2, 0, 0]);
    expect(f.inflight.size).toBe(2);
    expect(f.queue.length).toBe(2);
    expect(f.nextQueued()).toBeUndefined();
    f.puback(1);
    const next = f.nextQueued()!;
    expect(next.name).toBe('c');
    expect(f.send(next)).toBe(3);
    expect(f.nextQueued()).toBeUndefined();
    // a new message never overtakes a queued one
    expect(f.canSendNow()).toBe(false);
    f.puback(2);
    expect(f.canSendNow()).toBe(false);
    expect(f.nextQueued()!.name).toBe('d');
  });

  it('max_inflight_bytes: another message goes while fewer bytes are in flight, so one larger message still goes', () => {
    const f = flow({ maxInflightBytes: 100, sizeOf: (m) => m.bytes });
    expect(f.submit(msg('big', 1, 250))).toBe(1);
    expect(f.inflightBytes).toBe(250);
    expect(f.submit(msg('small', 1, 1))).toBe(0);
    f.puback(1);
    expect(f.inflightBytes).toBe(0);
    const s = f.nextQueued()!;
    expect(f.queuedBytes).toBe(0);
    f.send(s);
    expect(f.inflightBytes).toBe(1);
    expect(f.hasSlot()).toBe(true);
  });

  it('max_queued_messages and max_queued_bytes bound the queue (0 = no bound); enqueue itself never refuses', () => {
    const count = flow({ maxInflight: 1, maxQueued: 2 });
    count.submit(msg('a', 1));
    count.submit(msg('b', 1));
    expect(count.queueFull()).toBe(false);
    count.submit(msg('c', 1));
    expect(count.queueFull()).toBe(true);
    count.enqueue(msg('d', 1));
    expect(count.queue.length).toBe(3);

    const bytes = flow({ maxInflight: 1, maxQueuedBytes: 15, sizeOf: (m) => m.bytes });
    bytes.submit(msg('a', 1));
    bytes.submit(msg('b', 1));
    expect(bytes.queueFull()).toBe(false);
    bytes.submit(msg('c', 1));
    expect(bytes.queuedBytes).toBe(20);
    expect(bytes.queueFull()).toBe(true);

    const none = flow({ maxInflight: 1 });
    for (let i = 0; i < 5000; i++) none.submit(msg(String(i), 1));
    expect(none.queueFull()).toBe(false);
  });

  it('complete ends a flow at any stage (a message the peer cannot take)', () => {
    const f = flow({ maxInflightBytes: 100, sizeOf: (m) => m.bytes });
    const a = msg('a', 2, 30);
    const id = f.send(a);
    expect(f.complete(id)).toBe(a);
    expect(f.complete(id)).toBeUndefined();
    expect(f.inflightBytes).toBe(0);
    expect(f.ids.inUse).toBe(0);
  });

  it('clear forgets everything and frees the ids', () => {
    const f = flow({ maxInflight: 1, sizeOf: (m) => m.bytes });
    f.submit(msg('a', 1));
    f.submit(msg('b', 2));
    f.clear();
    expect(f.inflight.size + f.queue.length + f.inflightBytes + f.queuedBytes + f.ids.inUse).toBe(0);
  });

  it('an allocator shared with SUBSCRIBE/UNSUBSCRIBE never hands out an id in flight [MQTT-2.2.1-3]', () => {
    const f = flow();
    const sub = f.ids.allocate();
    const id = f.send(msg('a', 1));
    expect(id).not.toBe(sub);
  });
});

describe('OutgoingFlow: resume after a reconnect', () => {
  function threeFlows() {
    const f = flow();
    const q1 = msg('q1', 1);
    const q2a = msg('q2-publish', 2);
    const q2b = msg('q2-pubrel', 2);
    f.send(q1);
    f.send(q2a);
    f.pubrec(f.send(q2b));
    return { f, q1, q2a, q2b };
  }

  it('[MQTT-4.4.0-1] [MQTT-4.3.3-6] session present: every PUBLISH again (DUP), PUBREL stays PUBREL, in send order', () => {
    const { f } = threeFlows();
    const seen: [number, string, Resend][] = [];
    f.resume(true, (id, item, what) => seen.push([id, item.name, what]));
    expect(seen).toEqual([
      [1, 'q1', Resend.Publish],
      [2, 'q2-publish', Resend.Publish],
      [3, 'q2-pubrel', Resend.Pubrel],
    ]);
    expect(f.inflight.size).toBe(3);
  });

  it('no session: flows at PUBREL are complete, the rest start over under their ids', () => {
    const { f, q2b } = threeFlows();
    const seen: [number, string, Resend][] = [];
    f.resume(false, (id, item, what) => seen.push([id, item.name, what]));
    expect(seen).toEqual([
      [1, 'q1', Resend.Publish],
      [2, 'q2-publish', Resend.Publish],
      [3, 'q2-pubrel', Resend.Completed],
    ]);
    expect(f.inflight.has(3)).toBe(false);
    expect(q2b.stage).toBe('pubcomp');
    expect(f.ids.inUse).toBe(2);
  });
});

describe('OutgoingFlow: restored from a store', () => {
  it('[MQTT-4.4.0-1] restore keeps each id and stage: resume sends PUBLISH again and PUBREL again under them, in restore order; new ids avoid them; byte counts include them', () => {
    const f = flow({ maxInflightBytes: 1000, sizeOf: (m) => m.bytes });
    const a = msg('a', 2);
    const b = msg('b', 1);
    expect(f.restore(65535, a, 'pubcomp')).toBe(true);
    expect(f.restore(7, b, 'ack')).toBe(true);
    // one id cannot hold two flows
    expect(f.restore(7, msg('c', 1), 'ack')).toBe(false);
    expect(f.restore(0, msg('d', 1), 'ack')).toBe(false);
    expect(f.inflightBytes).toBe(20);
    const seen: Array<[number, string, Resend]> = [];
    f.resume(true, (id, m, what) => seen.push([id, m.name, what]));
    expect(seen).toEqual([
      [65535, 'a', Resend.Pubrel],
      [7, 'b', Resend.Publish],
    ]);
    // allocation continues after the last restored id and skips those in use
    expect(f.send(msg('e', 1))).toBe(8);
    expect(f.pubcomp(65535)).toBe(a);
    expect(f.puback(7)).toBe(b);
    expect(f.ids.inUse).toBe(1);
  });
});
