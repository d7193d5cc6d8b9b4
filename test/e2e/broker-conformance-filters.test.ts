import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, startTestBroker, type TestBroker } from '../helpers/broker.js';

/**
 * A topic filter that breaks the syntax of section 4.7 makes a SUBSCRIBE or UNSUBSCRIBE malformed,
 * as Mosquitto treats it (13-malformed-subscribe-v5, 13-malformed-unsubscribe-v5): the connection
 * closes, v5 after DISCONNECT 0x81, and no filter of that packet takes effect. A filter that is
 * well formed but not allowed gets its failure code in SUBACK and the connection stays.
 */

let tb: TestBroker;
beforeAll(async () => {
  tb = await startTestBroker();
});
afterAll(async () => {
  await tb.stop();
});

const uid = () => Math.random().toString(36).slice(2, 10);
const BAD: Array<[string, string]> = [
  ['[MQTT-4.7.3-1] an empty filter', ''],
  ['[MQTT-4.7.1-2] "#" not last', '#/test/topic'],
  ['[MQTT-4.7.1-2] "#" not alone in its level', 'a/b#'],
  ['[MQTT-4.7.1-3] "+" not alone in its level', 'a/b+/c'],
];

for (const version of [4, 5] as const) {
  describe(`MQTT ${version === 5 ? '5' : '3.1.1'}`, () => {
    it.each(BAD)('SUBSCRIBE with %s: closed, and its valid filter in the same packet is not subscribed', async (_what, bad) => {
      const topic = `filters/${uid()}`;
      const c = await RawClient.connect(tb.port, version);
      const clientId = `bad-filter-${uid()}`;
      await c.handshake({ clientId });
      c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 0 }, { topic: bad, qos: 0 }] } as never);
      if (version === 5) expect((await c.next('disconnect')).reasonCode).toBe(0x81);
      await c.waitClosed();
      expect(c.packets.filter((p) => p.cmd === 'suback')).toEqual([]);
      expect(tb.broker.subscriptions.match(topic)).toEqual([]);
    });

    it.each(BAD)('UNSUBSCRIBE with %s: closed, the subscription stays for the session', async (_what, bad) => {
      const topic = `filters/${uid()}`;
      const clientId = `bad-unsub-${uid()}`;
      const c = await RawClient.connect(tb.port, version);
      await c.handshake({ clientId, clean: false, ...(version === 5 ? { properties: { sessionExpiryInterval: 10 } } : {}) });
      c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 0 }] });
      await c.next('suback');
      c.send({ cmd: 'unsubscribe', messageId: 2, unsubscriptions: [topic, bad] } as never);
      if (version === 5) expect((await c.next('disconnect')).reasonCode).toBe(0x81);
      await c.waitClosed();
      expect(c.packets.filter((p) => p.cmd === 'unsuback')).toEqual([]);
      expect(tb.broker.subscriptions.match(topic).map((s) => s.session.clientId)).toEqual([clientId]);
    });
  });
}

it('a valid filter that is not allowed still gets its failure code in SUBACK (0x87), the connection stays', async () => {
  const denied = await startTestBroker({ hooks: { authorizeSubscribe: (_c, filter) => filter !== 'secret/#' } });
  try {
    const c = await RawClient.connect(denied.port, 5);
    await c.handshake();
    c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'open/#', qos: 1 }, { topic: 'secret/#', qos: 1 }] });
    expect((await c.next('suback')).granted).toEqual([1, 0x87]);
    c.send({ cmd: 'pingreq' });
    await c.next('pingresp');
    c.end();
  } finally {
    await denied.stop();
  }
});
