import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Session } from '../../src/broker/session.js';
import { RawClient, startTestBroker, type TestBroker } from '../helpers/broker.js';

/**
 * Read access is checked again when a queued message is sent, as Mosquitto does (its 09-acl-change
 * test): a message queued for an offline session is not delivered once the session may no longer
 * read its topic (an ACL reloaded by SIGHUP, here a hook whose answer changes).
 */

let tb: TestBroker;
const denied = new Set<string>();
beforeAll(async () => {
  tb = await startTestBroker({ hooks: { authorizeRead: (_s: Session, topic: string) => !denied.has(topic) } });
});
afterAll(async () => {
  await tb.stop();
});

it('a queued QoS 1 message whose topic became unreadable is dropped at delivery; the others arrive', async () => {
  const base = `acl/${Math.random().toString(36).slice(2, 8)}`;
  const clientId = `acl-${Math.random().toString(36).slice(2, 8)}`;
  const sub = await RawClient.connect(tb.port, 4);
  await sub.handshake({ clientId, clean: false });
  sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `${base}/one`, qos: 1 }, { topic: `${base}/two`, qos: 1 }] });
  await sub.next('suback');
  sub.send({ cmd: 'disconnect' });
  await sub.waitClosed();

  const pub = await RawClient.connect(tb.port, 4);
  await pub.handshake();
  for (const [i, t] of ['one', 'two', 'one'].entries()) {
    pub.send({ cmd: 'publish', topic: `${base}/${t}`, payload: Buffer.from(`m${i + 1}`), qos: 1, retain: false, dup: false, messageId: i + 1 });
    await pub.next('puback');
  }
  pub.end();

  denied.add(`${base}/two`);
  const again = await RawClient.connect(tb.port, 4);
  expect((await again.handshake({ clientId, clean: false })).sessionPresent).toBe(true);
  const got: string[] = [];
  for (let i = 0; i < 2; i++) {
    const m = await again.next('publish');
    got.push(`${m.topic.slice(base.length + 1)}:${m.payload.toString()}`);
    again.send({ cmd: 'puback', messageId: m.messageId! });
  }
  expect(got).toEqual(['one:m1', 'one:m3']);
  // nothing after them: a PINGRESP comes next
  again.send({ cmd: 'pingreq' });
  expect((await again.next()).cmd).toBe('pingresp');
  again.end();
});
