import type { IPublishPacket } from 'mqtt-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { QOS0_BACKLOG_BYTES, UNLIMITED_QUEUE_BACKPRESSURE } from '../../src/broker/broker.js';
import { RawClient, startTestBroker, type TestBroker } from '../helpers/broker.js';

const uid = () => Math.random().toString(36).slice(2, 10);
let tb: TestBroker | undefined;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.end();
  await tb?.stop();
  tb = undefined;
});

async function connect(version: 4 | 5, fields: Parameters<RawClient['handshake']>[0] = {}): Promise<RawClient> {
  const c = await RawClient.connect(tb!.port, version);
  clients.push(c);
  await c.handshake(fields);
  return c;
}

async function subscribe(c: RawClient, topic: string, qos: 0 | 1 | 2): Promise<void> {
  c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos }] });
  await c.next('suback');
}

const publish = (c: RawClient, topic: string, payload: Buffer | string, qos: 0 | 1 | 2, messageId?: number) =>
  c.send({ cmd: 'publish', topic, payload: Buffer.from(payload as Buffer), qos, retain: false, dup: false, messageId });

/** A round trip that is never held: every packet sent before it has been handled when it returns. */
async function roundTrip(c: RawClient): Promise<void> {
  c.send({ cmd: 'pingreq' });
  await c.next('pingresp', 10_000);
}

/**
 * Acknowledges every QoS 1 PUBLISH as it arrives and keeps the payloads, in order; with a gate,
 * only while the gate is open (opening it handles what waited).
 */
function autoAck(c: RawClient, gate = { open: true }): string[] & { open(): void } {
  const got = [] as unknown as string[] & { open(): void };
  const handle = () => {
    if (!gate.open) return;
    for (let i = 0; i < c.packets.length; ) {
      const p = c.packets[i]!;
      if (p.cmd !== 'publish') {
        i++;
        continue;
      }
      c.packets.splice(i, 1);
      got.push((p as IPublishPacket).payload.toString());
      if (p.qos === 1) c.send({ cmd: 'puback', messageId: p.messageId! });
    }
  };
  c.socket.on('data', handle);
  got.open = () => {
    gate.open = true;
    handle();
  };
  return got;
}

/**
 * Resolves once `pred` holds, checked now and after each chunk the client reads (after the data
 * listeners the test added before, which sort what arrived); fails after `timeoutMs`.
 */
function until(c: RawClient, pred: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!pred()) return;
      clearTimeout(timer);
      c.socket.off('data', check);
      resolve();
    };
    const timer = setTimeout(() => {
      c.socket.off('data', check);
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    c.socket.on('data', check);
    check();
  });
}

const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => String(from + i));

describe('QoS 0 to a subscriber that does not read (issue 10)', () => {
  it('is dropped and counted once its unsent bytes pass the bound; the client stays connected and gets what follows', async () => {
    tb = await startTestBroker();
    const topic = `q0/${uid()}`;
    const clientId = `slow-${uid()}`;
    const slow = await connect(4, { clientId });
    await subscribe(slow, topic, 0);
    slow.socket.pause(); // reads nothing from now on
    const pub = await connect(4);
    const payload = Buffer.alloc(1024, 0x61);
    const total = 40_000; // 40 MB: far more than loopback socket buffers hold
    for (let i = 0; i < total; i++) publish(pub, topic, payload, 0);
    await roundTrip(pub);
    const session = tb.broker.sessions.get(clientId)!;
    const conn = session.client!.conn;
    expect(session.droppedMessages).toBeGreaterThan(0);
    expect(tb.broker.stats.publishDropped).toBe(session.droppedMessages);
    // what the broker holds for it: the bound, plus at most the one message that crossed it
    expect(conn.writeBacklog).toBeLessThanOrEqual(QOS0_BACKLOG_BYTES + 1100);

    // it reads again: still connected, and a message published now arrives after the backlog
    let seen = 0;
    let last = '';
    slow.socket.on('data', () => {
      for (const p of slow.packets.splice(0)) {
        if (p.cmd === 'publish') {
          seen++;
          last = p.payload.toString();
        }
      }
    });
    slow.socket.resume();
    // everything not dropped arrives; then its backlog is empty and a new message goes through
    await until(slow, () => seen === total - session.droppedMessages, 'every message that was not dropped', 20_000);
    publish(pub, topic, 'after', 0);
    await until(slow, () => last === 'after', 'the message published after the backlog');
    expect(seen + session.droppedMessages).toBe(total + 1);
    expect(slow.closed).toBe(false);
  });
});

describe('QoS 1/2 overload: publishers are slowed down before anything acknowledged is lost (issue 10)', () => {
  for (const qos of [1, 2] as const) {
    it(`QoS ${qos}: a full queue holds the publisher's acks, in order [MQTT-4.6.0-2], until it drains; nothing is dropped`, async () => {
      tb = await startTestBroker({ limits: { maxQueuedMessages: 5 } });
      const topic = `held/${uid()}`;
      const clientId = `sub-${uid()}`;
      const sub = await connect(5, { clientId, properties: { receiveMaximum: 2 } });
      await subscribe(sub, topic, qos);
      const pub = await connect(5);
      for (let i = 1; i <= 20; i++) publish(pub, topic, String(i), qos, i);
      await roundTrip(pub);
      const ackCmd = qos === 1 ? 'puback' : 'pubrec';
      // 2 in flight and 5 queued are within the limits; the 8th went over it: its ack and all later ones wait
      const acks = pub.packets.filter((p) => p.cmd === ackCmd).map((p) => p.messageId);
      expect(acks).toEqual([1, 2, 3, 4, 5, 6, 7]);
      pub.packets.splice(0);
      const session = tb.broker.sessions.get(clientId)!;
      expect(session.out.queue.length).toBe(18);
      expect(tb.broker.flow.isHolding([...tb.broker.clients].find((c) => c.session !== session && c.clientId !== '')!)).toBe(true);

      const received: string[] = [];
      const acked: number[] = [];
      pub.socket.on('data', () => {
        for (const p of pub.packets.splice(0)) {
          if (p.cmd === ackCmd) {
            acked.push(p.messageId!);
            if (qos === 2) pub.send({ cmd: 'pubrel', messageId: p.messageId! });
          }
        }
      });
      while (received.length < 20) {
        const m = await sub.next('publish', 10_000);
        received.push(m.payload.toString());
        if (qos === 1) sub.send({ cmd: 'puback', messageId: m.messageId! });
        else {
          sub.send({ cmd: 'pubrec', messageId: m.messageId! });
          await sub.next('pubrel');
          sub.send({ cmd: 'pubcomp', messageId: m.messageId! });
        }
      }
      expect(received).toEqual(range(20));
      await until(pub, () => acked.length === 13, 'the 13 held acks');
      expect(acked).toEqual(range(13, 8).map(Number));
      expect(session.droppedMessages).toBe(0);
      expect(tb.broker.stats.publishDropped).toBe(0);
    });
  }

  it('a 3.1.1 publisher that does not wait for acks is paused and resumed: 3,000 QoS 1 through a queue of 10, none lost, in order', async () => {
    tb = await startTestBroker({ limits: { maxQueuedMessages: 10 } });
    const topic = `flood/${uid()}`;
    const sub = await connect(4);
    await subscribe(sub, topic, 1);
    const got = autoAck(sub, { open: false });
    const pubId = `flood-${uid()}`;
    const pub = await connect(4, { clientId: pubId });
    const onBroker = [...tb.broker.clients].find((c) => c.clientId === pubId)!.conn.stream;
    const paused = new Promise((r) => onBroker.once('pause', r));
    const resumed = new Promise((r) => onBroker.once('resume', r));
    let acks = 0;
    pub.socket.on('data', () => {
      acks += pub.packets.filter((p) => p.cmd === 'puback').length;
      pub.packets.splice(0);
    });
    for (let i = 1; i <= 3000; i++) publish(pub, topic, String(i), 1, i);
    // the subscriber acknowledges nothing yet: the publisher's held acks reach the cap, it is no longer read
    await paused;
    got.open();
    await resumed;
    await until(sub, () => got.length === 3000, 'all 3,000 messages', 15_000);
    await until(pub, () => acks === 3000, 'all 3,000 acks', 15_000);
    expect([...got]).toEqual(range(3000));
    expect(tb.broker.stats.publishDropped).toBe(0);
  });

  it(`max_queued_messages 0: nothing lost, and the queue stays near ${UNLIMITED_QUEUE_BACKPRESSURE} plus the publishers' windows`, async () => {
    tb = await startTestBroker({ limits: { maxQueuedMessages: 0 } });
    const topic = `unq/${uid()}`;
    const clientId = `sub-${uid()}`;
    const sub = await RawClient.connect(tb.port, 4);
    clients.push(sub);
    await sub.handshake({ clientId });
    await subscribe(sub, topic, 1);
    const session = tb.broker.sessions.get(clientId)!;
    let longest = 0;
    // the subscriber reads, but acks only as each chunk has been read: slower than 3 publishers
    const got = autoAck(sub);
    sub.socket.on('data', () => (longest = Math.max(longest, session.out.queue.length)));
    const window = 100;
    const perPublisher = 3000;
    const pubs = await Promise.all([0, 1, 2].map(() => connect(4)));
    pubs.forEach((pub, k) => {
      let sent = 0;
      let acked = 0;
      const top = () => {
        while (sent < perPublisher && sent - acked < window) {
          sent++;
          publish(pub, topic, `${k}:${sent}`, 1, ((sent - 1) % 65535) + 1);
        }
      };
      pub.socket.on('data', () => {
        acked += pub.packets.filter((p) => p.cmd === 'puback').length;
        pub.packets.splice(0);
        top();
      });
      top();
    });
    await until(sub, () => got.length === 3 * perPublisher, 'every message', 20_000);
    for (let k = 0; k < 3; k++) {
      const mine = got.filter((s) => s.startsWith(`${k}:`)).map((s) => s.slice(2));
      expect(mine).toEqual(range(perPublisher));
    }
    expect(tb.broker.stats.publishDropped).toBe(0);
    expect(longest).toBeLessThanOrEqual(UNLIMITED_QUEUE_BACKPRESSURE + 3 * window);
  });

  it('a client that publishes to its own subscription and never reads does not hold others up for long; its overflow is dropped', async () => {
    tb = await startTestBroker({ limits: { maxQueuedMessages: 10 } });
    const topic = `self/${uid()}`;
    const selfId = `self-${uid()}`;
    const self = await connect(4, { clientId: selfId });
    await subscribe(self, topic, 1);
    self.socket.pause();
    for (let i = 1; i <= 200; i++) publish(self, topic, `self ${i}`, 1, i);

    // another publisher to the same topic: held while the loop's queue might still drain, then let go
    const other = await connect(4);
    const reader = await connect(4);
    const got = autoAck(reader);
    await subscribe(reader, topic, 1);
    let acks = 0;
    other.socket.on('data', () => {
      acks += other.packets.filter((p) => p.cmd === 'puback').length;
      other.packets.splice(0);
    });
    for (let i = 1; i <= 50; i++) publish(other, topic, `other ${i}`, 1, i);

    // meanwhile, a topic nobody congests is served at once
    const bystander = await connect(4);
    await subscribe(bystander, `calm/${uid()}`, 1);
    publish(bystander, 'calm/x', 'x', 1, 1);
    await bystander.next('puback', 2000);

    await until(other, () => acks === 50, "the other publisher's 50 acks");
    await until(reader, () => got.filter((s) => s.startsWith('other')).length === 50, "the other publisher's 50 messages");
    expect(got.filter((s) => s.startsWith('other'))).toEqual(range(50).map((n) => `other ${n}`));
    // the loop counts as stalled now: what exceeds its queue is dropped, the others are acked at once
    const selfSession = tb.broker.sessions.get(selfId)!;
    expect(selfSession.stalled).toBe(true);
    for (let i = 51; i <= 60; i++) publish(other, topic, `other ${i}`, 1, i);
    await until(other, () => acks === 60, "the other publisher's next 10 acks", 2000);
    expect(selfSession.droppedMessages).toBe(10);
  });

  it('a publisher waiting on a subscriber goes on when that subscriber disconnects', async () => {
    tb = await startTestBroker({ limits: { maxQueuedMessages: 3 } });
    const topic = `gone/${uid()}`;
    const sub = await connect(4, { clientId: `gone-${uid()}` });
    await subscribe(sub, topic, 1);
    const pub = await connect(4);
    for (let i = 1; i <= 40; i++) publish(pub, topic, String(i), 1, i);
    await roundTrip(pub);
    const early = pub.packets.filter((p) => p.cmd === 'puback').length;
    expect(early).toBeLessThan(40);
    sub.end();
    await pub.waitFor(() => pub.packets.filter((p) => p.cmd === 'puback').length === 40, 5000);
    expect(pub.packets.filter((p) => p.cmd === 'puback').map((p) => p.messageId)).toEqual(range(40).map(Number));
  });
});

describe('flushAndClose (for shutdown)', () => {
  it('sends held acks and what was written before closing each connection', async () => {
    tb = await startTestBroker({ limits: { maxQueuedMessages: 2 } });
    const topic = `bye/${uid()}`;
    const sub = await connect(4);
    await subscribe(sub, topic, 1);
    const pub = await connect(4);
    for (let i = 1; i <= 30; i++) publish(pub, topic, String(i), 1, i);
    await roundTrip(pub);
    expect(pub.packets.filter((p) => p.cmd === 'puback').length).toBeLessThan(30);
    await tb.broker.flushAndClose();
    await pub.waitClosed();
    await sub.waitClosed();
    expect(pub.packets.filter((p) => p.cmd === 'puback').map((p) => p.messageId)).toEqual(range(30).map(Number));
    // the 20 in flight (the default window) were written and arrive; the rest stay queued in the session
    expect(sub.packets.filter((p) => p.cmd === 'publish')).toHaveLength(20);
  });
});
