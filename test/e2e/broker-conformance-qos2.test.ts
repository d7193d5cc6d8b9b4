import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, startTestBroker, type TestBroker } from '../helpers/broker.js';

/**
 * QoS 2 from a client, as Mosquitto's newer broker tests (02-subpub-qos2, 03-publish-qos2-dup)
 * expect it: PUBREC before the copy a client subscribed to its own topic gets, and a second resend
 * of the same PUBLISH before PUBREL is a protocol error. And to a client (02-subpub-qos2-bad-pubcomp):
 * a PUBCOMP where PUBREC is due closes the connection.
 */

let tb: TestBroker;
beforeAll(async () => {
  tb = await startTestBroker();
});
afterAll(async () => {
  await tb.stop();
});

const uid = () => Math.random().toString(36).slice(2, 10);

for (const version of [4, 5] as const) {
  describe(`QoS 2 from a client, MQTT ${version === 5 ? '5' : '3.1.1'}`, () => {
    it('PUBREC comes before the onward delivery to the publisher itself (MQTT 5 figure 4.3: either order is allowed)', async () => {
      const topic = `conf/qos2/${version}/${uid()}`;
      const c = await RawClient.connect(tb.port, version);
      await c.handshake();
      c.send({ cmd: 'subscribe', messageId: 530, subscriptions: [{ topic, qos: 2 }] });
      await c.next('suback');
      c.send({ cmd: 'publish', topic, payload: Buffer.from('message'), qos: 2, retain: false, dup: false, messageId: 301 });
      await c.waitFor(() => c.packets.length >= 2);
      expect(c.packets.map((p) => p.cmd)).toEqual(['pubrec', 'publish']);
      expect(c.packets[0]).toMatchObject({ cmd: 'pubrec', messageId: 301 });
      const copy = c.packets[1] as Extract<typeof c.packets[number], { cmd: 'publish' }>;
      c.packets.length = 0;
      c.send({ cmd: 'pubrel', messageId: 301 });
      expect((await c.next('pubcomp')).messageId).toBe(301);
      // and the copy's own flow completes [MQTT-4.3.3-1]
      c.send({ cmd: 'pubrec', messageId: copy.messageId! });
      expect((await c.next('pubrel')).messageId).toBe(copy.messageId);
      c.send({ cmd: 'pubcomp', messageId: copy.messageId! });
      c.end();
    });

    it('[MQTT-4.3.3-9] one resend before PUBREL gets PUBREC again; [MQTT-4.4.0-1] a second one closes the connection', async () => {
      const topic = `conf/qos2dup/${version}/${uid()}`;
      const sub = await RawClient.connect(tb.port, version);
      await sub.handshake();
      sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 0 }] });
      await sub.next('suback');
      const c = await RawClient.connect(tb.port, version);
      await c.handshake();
      const p = { cmd: 'publish' as const, topic, payload: Buffer.from('message'), qos: 2 as const, retain: false, dup: true, messageId: 1 };
      c.send(p);
      expect((await c.next('pubrec')).messageId).toBe(1);
      c.send(p);
      expect((await c.next('pubrec')).messageId).toBe(1);
      c.send(p);
      if (version === 5) expect((await c.next('disconnect')).reasonCode).toBe(0x82);
      await c.waitClosed();
      // routed once, whatever the resends: a marker proves nothing else came before it
      const marker = await RawClient.connect(tb.port, version);
      await marker.handshake();
      marker.send({ cmd: 'publish', topic, payload: Buffer.from('marker'), qos: 0, retain: false, dup: false });
      expect((await sub.next('publish')).payload.toString()).toBe('message');
      expect((await sub.next('publish')).payload.toString()).toBe('marker');
      sub.end();
      marker.end();
    });

    it('a resend after a reconnect is let through again, and PUBREL completes the flow', async () => {
      const topic = `conf/qos2re/${version}/${uid()}`;
      const clientId = `qos2re-${uid()}`;
      const session = version === 5 ? { clean: false, properties: { sessionExpiryInterval: 60 } } : { clean: false };
      const p = { cmd: 'publish' as const, topic, payload: Buffer.from('m'), qos: 2 as const, retain: false, dup: false, messageId: 9 };
      const first = await RawClient.connect(tb.port, version);
      await first.handshake({ clientId, ...session });
      first.send(p);
      await first.next('pubrec');
      first.send({ ...p, dup: true });
      await first.next('pubrec');
      first.end();
      const again = await RawClient.connect(tb.port, version);
      expect((await again.handshake({ clientId, ...session })).sessionPresent).toBe(true);
      again.send({ ...p, dup: true });
      expect((await again.next('pubrec')).messageId).toBe(9);
      again.send({ cmd: 'pubrel', messageId: 9 });
      expect((await again.next('pubcomp')).messageId).toBe(9);
      again.end();
    });

    it('[MQTT-4.3.3-11] a PUBCOMP for a QoS 2 PUBLISH still waiting for PUBREC closes the connection (no DISCONNECT, as Mosquitto)', async () => {
      const topic = `conf/badpubcomp/${version}/${uid()}`;
      const sub = await RawClient.connect(tb.port, version);
      await sub.handshake();
      sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 2 }] });
      await sub.next('suback');
      const pub = await RawClient.connect(tb.port, version);
      await pub.handshake();
      pub.send({ cmd: 'publish', topic, payload: Buffer.from('message'), qos: 2, retain: false, dup: false, messageId: 1 });
      const m = await sub.next('publish');
      sub.send({ cmd: 'pubcomp', messageId: m.messageId! });
      await sub.waitClosed();
      expect(sub.packets.map((p) => p.cmd)).toEqual([]);
      pub.end();
    });
  });
}

describe('QoS 2 from an MQTT 3.1 client', () => {
  it('a PUBREL resent with DUP after a reconnect (0x6A, allowed in 3.1) is answered with PUBCOMP (03-publish-c2b-disconnect-qos2)', async () => {
    const clientId = `pubrel31-${uid()}`;
    const first = await RawClient.connect(tb.port, 3);
    await first.handshake({ clientId, clean: false });
    first.send({ cmd: 'publish', topic: `conf/31/${uid()}`, payload: Buffer.from('m'), qos: 2, retain: false, dup: false, messageId: 1 });
    await first.next('pubrec');
    first.send({ cmd: 'pubrel', messageId: 1 });
    await first.next('pubcomp');
    first.end();
    // pretend the PUBCOMP was lost: the PUBREL again, flagged DUP as 3.1 clients do
    const again = await RawClient.connect(tb.port, 3);
    await again.handshake({ clientId, clean: false });
    again.sendBytes([0x6a, 0x02, 0x00, 0x01]);
    expect((await again.next('pubcomp')).messageId).toBe(1);
    again.end();
  });
});
