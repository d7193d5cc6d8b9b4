import { afterAll, beforeAll, expect, it } from 'vitest';
import { RawClient, startTestBroker, type TestBroker } from '../helpers/broker.js';

/**
 * The order retained messages reach a wildcard subscriber, as Mosquitto sends them and its
 * 04-retain-clear-multiple test expects: a topic level before the levels below it, siblings in the
 * order they were first used (MQTT sets no order). Clearing one [MQTT-3.3.1-10] leaves the others.
 */

let tb: TestBroker;
beforeAll(async () => {
  tb = await startTestBroker();
});
afterAll(async () => {
  await tb.stop();
});

async function retain(topic: string, payload: string): Promise<void> {
  const c = await RawClient.connect(tb.port, 4);
  await c.handshake();
  c.send({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: true, dup: false, messageId: 1 });
  await c.next('puback');
  c.end();
}

/** Subscribes to `filter` and returns the topics of the retained messages, up to a PINGRESP. */
async function retainedTopics(filter: string): Promise<string[]> {
  const c = await RawClient.connect(tb.port, 4);
  await c.handshake();
  c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: filter, qos: 0 }] });
  await c.next('suback');
  // retained messages are sent right after SUBACK: a PINGRESP marks the end of them
  c.send({ cmd: 'pingreq' });
  await c.waitFor(() => c.packets.some((p) => p.cmd === 'pingresp'));
  const topics = c.packets.filter((p) => p.cmd === 'publish').map((p) => {
    expect(p.retain, '[MQTT-3.3.1-8] retained copies keep retain = 1').toBe(true);
    return p.topic;
  });
  c.end();
  return topics;
}

it('a level before its children, siblings in first-use order; cleared ones drop out (04-retain-clear-multiple)', async () => {
  const base = `rc${Math.random().toString(36).slice(2, 8)}`;
  for (const t of ['1/2/3/4/5/6/7', '1/2/3/4', '1']) await retain(`${base}/${t}`, 'retained message');
  expect(await retainedTopics(`${base}/#`)).toEqual([`${base}/1`, `${base}/1/2/3/4`, `${base}/1/2/3/4/5/6/7`]);
  await retain(`${base}/1/2/3/4`, '');
  expect(await retainedTopics(`${base}/#`)).toEqual([`${base}/1`, `${base}/1/2/3/4/5/6/7`]);
  await retain(`${base}/1/2/3/4/5/6/7`, '');
  expect(await retainedTopics(`${base}/+`)).toEqual([`${base}/1`]);
  await retain(`${base}/1`, '');
  expect(await retainedTopics(`${base}/#`)).toEqual([]);
});

it('[MQTT-4.7.2-1] "#" and "+" get no retained topic starting with $; a filter naming it does', async () => {
  const base = `rd${Math.random().toString(36).slice(2, 8)}`;
  await retain(`${base}/x`, 'a');
  await retain(`$${base}/x`, 'b');
  for (const filter of ['#', '+/x']) {
    const topics = await retainedTopics(filter);
    expect(topics).toContain(`${base}/x`);
    expect(topics.filter((t) => t.startsWith('$'))).toEqual([]);
  }
  expect(await retainedTopics(`$${base}/#`)).toEqual([`$${base}/x`]);
});
