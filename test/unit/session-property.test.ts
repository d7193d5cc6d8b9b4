/**
 * Property-style tests of the session engine: a sender's OutgoingFlow and a receiver's
 * IncomingQos2 talk over two lossy-on-disconnect FIFO links (TCP: in order while connected, what is
 * in transit is lost when the connection drops). Random interleavings of publishes, deliveries,
 * disconnects and reconnects (seeded, so a failure names the seed that reproduces it) must never
 * lose a message, never deliver a QoS 2 message twice, never complete a flow twice, and never
 * have more in flight than the window [MQTT-4.9.0-2].
 */
import { describe, expect, it } from 'vitest';
import { prng } from '../../scripts/fuzz/fuzz-lib.js';
import type { QoS } from '../../src/core/protocol/types.js';
import { IncomingQos2 } from '../../src/core/session/incoming-qos2.js';
import { AckAction, OutgoingFlow, Resend, type OutgoingItem } from '../../src/core/session/outgoing-flow.js';

interface Msg extends OutgoingItem {
  n: number;
  bytes: number;
  /** the receiver refuses it with PUBREC 0x87 (QoS 2) */
  refused: boolean;
}

type Wire =
  | { cmd: 'publish'; id: number; msg: Msg; dup: boolean }
  | { cmd: 'pubrel'; id: number }
  | { cmd: 'puback' | 'pubcomp'; id: number }
  | { cmd: 'pubrec'; id: number; rc: number };

interface Options {
  seed: number;
  /** the receiver delivers QoS 2 at PUBREL (client, libmosquitto) rather than at PUBLISH (broker) */
  deliverAtPubrel: boolean;
  /** a reconnect may find no session: then QoS 2 is at least once, not exactly once */
  sessionLoss: boolean;
  byteBound: boolean;
}

function run({ seed, deliverAtPubrel, sessionLoss, byteBound }: Options): void {
  const rnd = prng(seed);
  let mayLoseSession = sessionLoss;
  const pick = (n: number) => Math.floor(rnd() * n);
  const maxInflightBytes = byteBound ? 40 : 0;
  const sender = new OutgoingFlow<Msg>({
    maxInflight: 1 + pick(6),
    maxInflightBytes,
    maxQueued: 0,
    maxQueuedBytes: 0,
    sizeOf: byteBound ? (m) => m.bytes : undefined,
  });
  sender.setReceiveMaximum(1 + pick(8));
  const receiver = new IncomingQos2<Msg>();
  let toReceiver: Wire[] = [];
  let toSender: Wire[] = [];
  let connected = true;
  const messages: Msg[] = [];
  const delivered = new Map<number, number>();
  const completed = new Map<number, number>();
  const inc = (m: Map<number, number>, k: number) => m.set(k, (m.get(k) ?? 0) + 1);
  const deliver = (m: Msg) => inc(delivered, m.n);

  const sendPublish = (item: Msg) => {
    // the window holds before every send [MQTT-4.9.0-2]
    expect(sender.hasSlot(), `seed ${seed}: send with a full window`).toBe(true);
    const id = sender.send(item);
    expect(sender.inflight.size).toBeLessThanOrEqual(sender.window);
    if (connected) toReceiver.push({ cmd: 'publish', id, msg: item, dup: false });
  };
  const drain = () => {
    if (!connected) return;
    for (let item = sender.nextQueued(); item !== undefined; item = sender.nextQueued()) sendPublish(item);
  };
  const done = (r: Msg | AckAction) => {
    if (typeof r === 'number') {
      expect(r, `seed ${seed}: unexpected ack action`).not.toBe(AckAction.Close);
      return r;
    }
    inc(completed, r.n);
    drain();
    return undefined;
  };

  const atReceiver = (p: Wire) => {
    if (p.cmd === 'publish') {
      const { id, msg } = p;
      if (msg.qos === 1) {
        deliver(msg);
        return toSender.push({ cmd: 'puback', id });
      }
      if (msg.refused) {
        // [MQTT-4.3.3-9] after a failed PUBREC the id is new again: nothing is remembered
        return toSender.push({ cmd: 'pubrec', id, rc: 0x87 });
      }
      if (deliverAtPubrel) {
        if (!receiver.has(id)) receiver.takeHeld(deliver);
        receiver.receive(id, msg);
      } else if (receiver.receive(id)) deliver(msg);
      return toSender.push({ cmd: 'pubrec', id, rc: 0 });
    }
    if (p.cmd === 'pubrel') {
      const held = receiver.release(p.id);
      if (held) deliver(held);
      return toSender.push({ cmd: 'pubcomp', id: p.id });
    }
  };
  const atSender = (p: Wire) => {
    if (p.cmd === 'puback') done(sender.puback(p.id));
    else if (p.cmd === 'pubcomp') done(sender.pubcomp(p.id));
    else if (p.cmd === 'pubrec') {
      const r = done(sender.pubrec(p.id, p.rc));
      expect(r, `seed ${seed}: PUBREC for an id not in flight`).not.toBe(AckAction.PubrelNotFound);
      if (r === AckAction.SendPubrel) toReceiver.push({ cmd: 'pubrel', id: p.id });
    }
  };
  const reconnect = () => {
    const present = !mayLoseSession || rnd() < 0.7;
    connected = true;
    sender.setReceiveMaximum(1 + pick(8));
    if (!present) {
      // what we answered with PUBREC is ours: delivered, not dropped with the session
      if (deliverAtPubrel) receiver.takeHeld(deliver);
      receiver.clear();
    }
    sender.resume(present, (id, item, what) => {
      if (what === Resend.Publish) toReceiver.push({ cmd: 'publish', id, msg: item, dup: present });
      else if (what === Resend.Pubrel) toReceiver.push({ cmd: 'pubrel', id });
      else inc(completed, item.n);
    });
    drain();
  };

  for (let step = 0; step < 400; step++) {
    const r = rnd();
    if (r < 0.25 && messages.length < 150) {
      const qos = (1 + pick(2)) as QoS;
      const item: Msg = { qos, n: messages.length, bytes: 1 + pick(30), refused: qos === 2 && rnd() < 0.1 };
      messages.push(item);
      if (connected && sender.canSendNow()) sendPublish(item);
      else sender.enqueue(item);
    } else if (r < 0.5 && connected && toReceiver.length > 0) atReceiver(toReceiver.shift()!);
    else if (r < 0.8 && connected && toSender.length > 0) atSender(toSender.shift()!);
    else if (r < 0.85 && connected) {
      connected = false;
      toReceiver = [];
      toSender = [];
    } else if (!connected && r < 0.95) reconnect();
  }
  // settle: a last reconnect with the session, then the links run dry
  if (!connected) {
    mayLoseSession = false;
    reconnect();
  }
  while (toReceiver.length + toSender.length > 0) {
    if (toReceiver.length > 0) atReceiver(toReceiver.shift()!);
    if (toSender.length > 0) atSender(toSender.shift()!);
  }
  if (deliverAtPubrel) receiver.takeHeld(deliver);

  expect(sender.inflight.size, `seed ${seed}: flows left in flight`).toBe(0);
  expect(sender.queue.length, `seed ${seed}: messages left queued`).toBe(0);
  expect(sender.ids.inUse, `seed ${seed}: packet ids not released`).toBe(0);
  expect(sender.inflightBytes + sender.queuedBytes).toBe(0);
  for (const m of messages) {
    expect(completed.get(m.n), `seed ${seed}: message ${m.n} completed`).toBe(1);
    const times = delivered.get(m.n) ?? 0;
    if (m.refused) expect(times, `seed ${seed}: refused message ${m.n} delivered`).toBe(0);
    else if (m.qos === 2 && !sessionLoss) expect(times, `seed ${seed}: QoS 2 message ${m.n} delivered`).toBe(1);
    else expect(times, `seed ${seed}: message ${m.n} (QoS ${m.qos}) lost`).toBeGreaterThanOrEqual(1);
  }
}

describe('session engine under random interleavings', () => {
  for (const deliverAtPubrel of [false, true]) {
    for (const byteBound of [false, true]) {
      it(`[MQTT-4.4.0-1] [MQTT-4.3.3-10] present sessions: QoS 2 exactly once, QoS 1 at least once (${deliverAtPubrel ? 'delivered at PUBREL' : 'routed at PUBLISH'}${byteBound ? ', byte-bounded window' : ''})`, () => {
        for (let seed = 1; seed <= 150; seed++) {
          run({ seed, deliverAtPubrel, sessionLoss: false, byteBound });
        }
      });
    }
  }

  it('reconnects that lose the session: nothing lost, every flow completes once, ids all released', () => {
    for (let seed = 1000; seed < 1150; seed++) {
      run({ seed, deliverAtPubrel: seed % 2 === 0, sessionLoss: true, byteBound: seed % 3 === 0 });
    }
  });
});
