import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, startTestBroker, type TestBroker } from '../helpers/broker.js';

// Routes are cached per topic until a subscription changes: every change must show at once.
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
