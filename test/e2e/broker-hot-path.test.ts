import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePacket } from '../../src/core/protocol/codec.js';
import { RawClient, startTestBroker, type TestBroker } from '../helpers/broker.js';

// The broker's hot path: packets queued per connection and written as one buffer per event-loop
// turn, and routes cached per topic until a subscription changes. Nothing queued may be lost or
// reordered at the edges of that batching, and every subscription change must show at once.
let tb: TestBroker;
beforeAll(async () => {
  tb = await startTestBroker();
});
afterAll(async () => {
  await tb.stop();
});

async function subscriber(filter: string, qos: 0 | 1 = 0): Promise<RawClient> {
  const c = await RawClient.connect(tb.port, 4);
  await c.handshake();
  c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: filter, qos }] });
  await c.next('suback');
  return c;
}

describe('broker write batching', () => {
  it('answers a client that half-closes right after its last packet (CONNACK and PUBACK, then FIN)', async () => {
    const socket = net.connect(tb.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (d) => chunks.push(d));
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.end(
      Buffer.concat([
        encodePacket({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 10, clientId: 'half-close' }, 4),
        encodePacket({ cmd: 'publish', topic: 'batch/half-close', payload: Buffer.from('x'), qos: 1, dup: false, retain: false, messageId: 7 }, 4),
      ]),
    );
    await new Promise<void>((r) => socket.once('close', () => r()));
    expect(Buffer.concat(chunks).toString('hex')).toBe('20020000' + '40020007');
  });

  it('keeps the order of many packets queued in one turn, across the one-buffer limit', async () => {
    const topic = 'batch/order';
    const sub = await subscriber(topic);
    const pub = await RawClient.connect(tb.port, 4);
    await pub.handshake();
    // 300 messages of 1 KB in one write: more than the one-buffer limit on the way out
    const frames = Array.from({ length: 300 }, (_, i) =>
      encodePacket({ cmd: 'publish', topic, payload: Buffer.alloc(1000, i % 256), qos: 0, dup: false, retain: false }, 4),
    );
    pub.socket.write(Buffer.concat(frames));
    for (let i = 0; i < 300; i++) {
      const p = await sub.next('publish');
      expect(p.payload[0]).toBe(i % 256);
    }
    sub.end();
    pub.end();
  });
});

const publish = (pub: RawClient, topic: string, text: string) =>
  pub.send({ cmd: 'publish', topic, payload: Buffer.from(text), qos: 0, dup: false, retain: false });

describe('route cache', () => {
  it('a subscription added, upgraded, removed or ended after a topic was routed takes effect for the next message', async () => {
    const topic = 'cache/a/b';
    const pub = await RawClient.connect(tb.port, 4);
    await pub.handshake();
    const first = await subscriber(topic);
    publish(pub, topic, '1');
    expect((await first.next('publish')).payload.toString()).toBe('1');

    // added: a wildcard subscriber joins the cached route
    const second = await subscriber('cache/+/b');
    publish(pub, topic, '2');
    expect((await first.next('publish')).payload.toString()).toBe('2');
    expect((await second.next('publish')).payload.toString()).toBe('2');

    // replaced: the same filter again at QoS 1 is what the next message gets
    second.send({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'cache/+/b', qos: 1 }] });
    await second.next('suback');
    pub.send({ cmd: 'publish', topic, payload: Buffer.from('3'), qos: 1, dup: false, retain: false, messageId: 1 });
    await pub.next('puback');
    const upgraded = await second.next('publish');
    expect([upgraded.payload.toString(), upgraded.qos]).toEqual(['3', 1]);
    expect((await first.next('publish')).qos).toBe(0);
    second.send({ cmd: 'puback', messageId: upgraded.messageId! });

    // removed: unsubscribed, nothing more for the first client
    first.send({ cmd: 'unsubscribe', messageId: 3, unsubscriptions: [topic] });
    await first.next('unsuback');
    // ended: the second client's clean session goes with its connection
    second.end();
    await second.waitClosed();
    const third = await subscriber('cache/#');
    publish(pub, topic, '4');
    expect((await third.next('publish')).payload.toString()).toBe('4');
    await expect(first.next('publish', 200)).rejects.toThrow();
    first.end();
    third.end();
    pub.end();
  });
});
