import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, RawClient, type TestBroker } from '../helpers/broker.js';

let tb: TestBroker;
beforeAll(async () => {
  tb = await startTestBroker();
});
afterAll(async () => {
  await tb.stop();
});

const uid = () => Math.random().toString(36).slice(2, 10);

for (const version of [4, 5] as const) {
  describe(`broker, MQTT ${version === 5 ? '5' : '3.1.1'}`, () => {
    it('[MQTT-3.1.0-1] a first packet other than CONNECT closes the connection', async () => {
      const c = await RawClient.connect(tb.port, version);
      c.send({ cmd: 'pingreq' });
      await c.waitClosed();
    });

    it('[MQTT-3.1.0-2] a second CONNECT is a protocol violation', async () => {
      const c = await RawClient.connect(tb.port, version);
      await c.handshake();
      c.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: version, clientId: 'x', clean: true, keepalive: 10 } as never);
      await c.waitClosed();
    });

    it('[MQTT-3.2.2-1] CONNACK accepts and session present is 0 for a clean session', async () => {
      const c = await RawClient.connect(tb.port, version);
      const ack = await c.handshake();
      expect(version === 5 ? ack.reasonCode : ack.returnCode).toBe(0);
      expect(ack.sessionPresent).toBe(false);
      c.end();
    });

    it.each([0, 1, 2] as const)('routes QoS %i and completes the acknowledgement flow', async (qos) => {
      const topic = `core/${version}/${qos}/${uid()}`;
      const sub = await RawClient.connect(tb.port, version);
      await sub.handshake();
      sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 2 }] });
      const suback = await sub.next('suback');
      expect(suback.granted).toEqual([2]);

      const pub = await RawClient.connect(tb.port, version);
      await pub.handshake();
      pub.send({ cmd: 'publish', topic, payload: Buffer.from('hello'), qos, retain: false, dup: false, messageId: qos ? 7 : undefined });
      if (qos === 1) expect((await pub.next('puback')).messageId).toBe(7);
      if (qos === 2) {
        expect((await pub.next('pubrec')).messageId).toBe(7);
        pub.send({ cmd: 'pubrel', messageId: 7 });
        expect((await pub.next('pubcomp')).messageId).toBe(7);
      }
      const msg = await sub.next('publish');
      expect(msg.topic).toBe(topic);
      expect(msg.payload.toString()).toBe('hello');
      // [MQTT-3.3.5-1] delivered at the publish QoS, capped by the subscription
      expect(msg.qos).toBe(qos);
      if (qos === 1) sub.send({ cmd: 'puback', messageId: msg.messageId! });
      if (qos === 2) {
        sub.send({ cmd: 'pubrec', messageId: msg.messageId! });
        expect((await sub.next('pubrel')).messageId).toBe(msg.messageId);
        sub.send({ cmd: 'pubcomp', messageId: msg.messageId! });
      }
      sub.end();
      pub.end();
    });

    it('[MQTT-4.3.3-9] a resent QoS 2 PUBLISH (same id, before PUBREL) is delivered once', async () => {
      const topic = `dedupe/${version}/${uid()}`;
      const sub = await RawClient.connect(tb.port, version);
      await sub.handshake();
      sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 0 }] });
      await sub.next('suback');
      const pub = await RawClient.connect(tb.port, version);
      await pub.handshake();
      const p = { cmd: 'publish' as const, topic, payload: Buffer.from('once'), qos: 2 as const, retain: false, dup: false, messageId: 3 };
      pub.send(p);
      await pub.next('pubrec');
      pub.send({ ...p, dup: true });
      await pub.next('pubrec');
      pub.send({ cmd: 'pubrel', messageId: 3 });
      await pub.next('pubcomp');
      // a marker proves everything before it has been routed
      pub.send({ cmd: 'publish', topic, payload: Buffer.from('marker'), qos: 0, retain: false, dup: false });
      expect((await sub.next('publish')).payload.toString()).toBe('once');
      expect((await sub.next('publish')).payload.toString()).toBe('marker');
      sub.end();
      pub.end();
    });

    it('[MQTT-3.3.5-1] overlapping subscriptions deliver one copy at the highest QoS', async () => {
      const base = `overlap/${version}/${uid()}`;
      const sub = await RawClient.connect(tb.port, version);
      await sub.handshake();
      sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `${base}/#`, qos: 0 }, { topic: `${base}/+`, qos: 1 }] });
      await sub.next('suback');
      const pub = await RawClient.connect(tb.port, version);
      await pub.handshake();
      pub.send({ cmd: 'publish', topic: `${base}/x`, payload: Buffer.from('a'), qos: 1, retain: false, dup: false, messageId: 1 });
      pub.send({ cmd: 'publish', topic: `${base}/x`, payload: Buffer.from('marker'), qos: 0, retain: false, dup: false });
      const first = await sub.next('publish');
      expect(first.qos).toBe(1);
      expect((await sub.next('publish')).payload.toString()).toBe('marker');
      sub.end();
      pub.end();
    });

    it('[MQTT-3.3.1-6] [MQTT-3.3.1-8] retained messages reach new subscribers with retain set; empty payload deletes [MQTT-3.3.1-10]', async () => {
      const topic = `retained/${version}/${uid()}`;
      const pub = await RawClient.connect(tb.port, version);
      await pub.handshake();
      pub.send({ cmd: 'publish', topic, payload: Buffer.from('kept'), qos: 1, retain: true, dup: false, messageId: 1 });
      await pub.next('puback');
      const sub = await RawClient.connect(tb.port, version);
      await sub.handshake();
      sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] });
      await sub.next('suback');
      const m = await sub.next('publish');
      expect(m.retain).toBe(true);
      expect(m.payload.toString()).toBe('kept');
      // [MQTT-3.3.1-9] a live message to an existing subscriber is not marked retained
      pub.send({ cmd: 'publish', topic, payload: Buffer.from('live'), qos: 0, retain: true, dup: false });
      const live = await sub.next('publish');
      expect(live.retain).toBe(false);
      pub.send({ cmd: 'publish', topic, payload: Buffer.alloc(0), qos: 1, retain: true, dup: false, messageId: 2 });
      await pub.next('puback');
      const sub2 = await RawClient.connect(tb.port, version);
      await sub2.handshake();
      sub2.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] });
      await sub2.next('suback');
      pub.send({ cmd: 'publish', topic, payload: Buffer.from('marker'), qos: 0, retain: false, dup: false });
      expect((await sub2.next('publish')).payload.toString()).toBe('marker');
      for (const c of [pub, sub, sub2]) c.end();
    });

    it('[MQTT-4.7.2-1] # does not match topics beginning with $', async () => {
      const sub = await RawClient.connect(tb.port, version);
      await sub.handshake();
      sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '#', qos: 0 }] });
      await sub.next('suback');
      const pub = await RawClient.connect(tb.port, version);
      await pub.handshake();
      const marker = `dollar-marker/${uid()}`;
      pub.send({ cmd: 'publish', topic: `$internal/${uid()}`, payload: Buffer.from('no'), qos: 0, retain: false, dup: false });
      pub.send({ cmd: 'publish', topic: marker, payload: Buffer.from('yes'), qos: 0, retain: false, dup: false });
      let m = await sub.next('publish');
      while (m.topic !== marker) {
        expect(m.topic.startsWith('$')).toBe(false);
        m = await sub.next('publish');
      }
      sub.end();
      pub.end();
    });

    it('[MQTT-3.3.2-2] a wildcard in a PUBLISH topic closes the connection', async () => {
      const c = await RawClient.connect(tb.port, version);
      await c.handshake();
      c.sendBytes(Buffer.from([0x30, version === 5 ? 6 : 5, 0x00, 0x03, 0x61, 0x2f, 0x23, ...(version === 5 ? [0] : [])]));
      if (version === 5) expect((await c.next('disconnect')).reasonCode).toBe(0x90);
      await c.waitClosed();
    });

    it('a well-formed filter the broker cannot take gets a failure return code, the others succeed', async () => {
      const c = await RawClient.connect(tb.port, version);
      await c.handshake();
      // [MQTT-4.8.2-1] an empty share name
      c.send({ cmd: 'subscribe', messageId: 5, subscriptions: [{ topic: 'ok/+', qos: 1 }, { topic: '$share//x', qos: 1 }] } as never);
      const ack = await c.next('suback');
      expect(ack.granted).toEqual([1, version === 5 ? 0x8f : 0x80]);
      c.end();
    });

    it('[MQTT-4.7.1-2] [MQTT-4.7.3-1] a filter with a misplaced wildcard, or an empty one, is malformed: closed (v5 DISCONNECT 0x81), as Mosquitto', async () => {
      for (const topic of ['bad/#/x', 'a+/b', '']) {
        const c = await RawClient.connect(tb.port, version);
        await c.handshake();
        c.send({ cmd: 'subscribe', messageId: 5, subscriptions: [{ topic: 'ok/+', qos: 1 }, { topic, qos: 1 }] } as never);
        if (version === 5) expect((await c.next('disconnect')).reasonCode).toBe(0x81);
        await c.waitClosed();
        expect(c.packets.filter((p) => p.cmd === 'suback')).toHaveLength(0);
      }
    });

    it('[MQTT-3.14.4-3] a will is published on an abnormal close, not after DISCONNECT', async () => {
      const topic = `will/${version}/${uid()}`;
      const watcher = await RawClient.connect(tb.port, version);
      await watcher.handshake();
      watcher.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 0 }] });
      await watcher.next('suback');
      const polite = await RawClient.connect(tb.port, version);
      await polite.handshake({ will: { topic, payload: Buffer.from('polite'), qos: 0, retain: false } });
      polite.send({ cmd: 'disconnect' });
      await polite.waitClosed();
      const rude = await RawClient.connect(tb.port, version);
      await rude.handshake({ will: { topic, payload: Buffer.from('rude'), qos: 0, retain: false } });
      rude.end();
      expect((await watcher.next('publish')).payload.toString()).toBe('rude');
      watcher.end();
    });

    it('[MQTT-3.1.2-4] persistent session keeps subscriptions and queues QoS 1 while offline; in-flight resent with DUP [MQTT-4.4.0-1]', async () => {
      const clientId = `persist-${version}-${uid()}`;
      const topic = `persist/${version}/${uid()}`;
      const connectFields = version === 5 ? { clientId, clean: false, properties: { sessionExpiryInterval: 60 } } : { clientId, clean: false };
      const a = await RawClient.connect(tb.port, version);
      await a.handshake(connectFields);
      a.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] });
      await a.next('suback');
      const pub = await RawClient.connect(tb.port, version);
      await pub.handshake();
      pub.send({ cmd: 'publish', topic, payload: Buffer.from('first'), qos: 1, retain: false, dup: false, messageId: 1 });
      await pub.next('puback');
      const unacked = await a.next('publish');
      expect(unacked.payload.toString()).toBe('first');
      a.end(); // no PUBACK: it stays in flight
      await a.waitClosed();
      pub.send({ cmd: 'publish', topic, payload: Buffer.from('second'), qos: 1, retain: false, dup: false, messageId: 2 });
      await pub.next('puback');
      const b = await RawClient.connect(tb.port, version);
      const ack = await b.handshake(connectFields);
      expect(ack.sessionPresent).toBe(true);
      const resent = await b.next('publish');
      expect(resent.payload.toString()).toBe('first');
      expect(resent.dup).toBe(true);
      b.send({ cmd: 'puback', messageId: resent.messageId! });
      const queued = await b.next('publish');
      expect(queued.payload.toString()).toBe('second');
      b.send({ cmd: 'puback', messageId: queued.messageId! });
      b.send({ cmd: 'disconnect' });
      pub.end();
    });

    it('[MQTT-3.1.4-3] a second connection with the same client id takes over the session', async () => {
      const clientId = `takeover-${version}-${uid()}`;
      const a = await RawClient.connect(tb.port, version);
      await a.handshake({ clientId });
      const b = await RawClient.connect(tb.port, version);
      await b.handshake({ clientId });
      if (version === 5) expect((await a.next('disconnect')).reasonCode).toBe(0x8e);
      await a.waitClosed();
      b.send({ cmd: 'pingreq' });
      await b.next('pingresp');
      b.end();
    });

    it('UNSUBSCRIBE stops delivery and is acknowledged', async () => {
      const topic = `unsub/${version}/${uid()}`;
      const c = await RawClient.connect(tb.port, version);
      await c.handshake();
      c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 0 }, { topic: `${topic}/marker`, qos: 0 }] });
      await c.next('suback');
      c.send({ cmd: 'unsubscribe', messageId: 2, unsubscriptions: [topic, 'never/subscribed'] });
      const ack = await c.next('unsuback');
      expect(ack.messageId).toBe(2);
      if (version === 5) expect(ack.granted).toEqual([0x00, 0x11]);
      const pub = await RawClient.connect(tb.port, version);
      await pub.handshake();
      pub.send({ cmd: 'publish', topic, payload: Buffer.from('gone'), qos: 0, retain: false, dup: false });
      pub.send({ cmd: 'publish', topic: `${topic}/marker`, payload: Buffer.from('marker'), qos: 0, retain: false, dup: false });
      expect((await c.next('publish')).topic).toBe(`${topic}/marker`);
      c.end();
      pub.end();
    });
  });
}

describe('broker, MQTT 3.1.1 specifics', () => {
  it('[MQTT-3.1.3-8] empty client id with clean session 0 is refused with return code 2', async () => {
    const c = await RawClient.connect(tb.port, 4);
    // mqtt-packet refuses to encode this CONNECT, so the bytes are written by hand
    c.sendBytes([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x00, 0x00, 0x3c, 0x00, 0x00]);
    const ack = await c.next('connack');
    expect(ack.returnCode).toBe(2);
    await c.waitClosed();
  });

  it('[MQTT-3.1.2-2] an unsupported protocol level gets return code 1 and the connection closes', async () => {
    const c = await RawClient.connect(tb.port, 4);
    // CONNECT "MQTT" level 6
    c.sendBytes([0x10, 0x0d, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x06, 0x02, 0x00, 0x3c, 0x00, 0x01, 0x61]);
    const ack = await c.next('connack');
    expect(ack.returnCode).toBe(1);
    await c.waitClosed();
  });

  it('MQTT 3.1 (MQIsdp) clients connect and publish', async () => {
    const c = await RawClient.connect(tb.port, 3);
    const ack = await c.handshake({ clientId: 'old-client' });
    expect(ack.returnCode).toBe(0);
    c.send({ cmd: 'pingreq' });
    await c.next('pingresp');
    c.end();
  });
});

describe('broker, MQTT 5 specifics', () => {
  it('[MQTT-3.2.2-16] assigns a client identifier to an empty one', async () => {
    const c = await RawClient.connect(tb.port, 5);
    const ack = await c.handshake({ clientId: '' });
    expect(ack.properties?.assignedClientIdentifier).toMatch(/^auto-/);
    c.end();
  });

  it('PUBACK 0x10 when nobody is subscribed', async () => {
    const c = await RawClient.connect(tb.port, 5);
    await c.handshake();
    c.send({ cmd: 'publish', topic: `nobody/${uid()}`, payload: Buffer.from('x'), qos: 1, retain: false, dup: false, messageId: 9 });
    expect((await c.next('puback')).reasonCode).toBe(0x10);
    c.end();
  });

  it('[MQTT-3.3.2-12] inbound topic aliases resolve; an unknown alias is a protocol error', async () => {
    const topic = `alias/${uid()}`;
    const sub = await RawClient.connect(tb.port, 5);
    await sub.handshake();
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 0 }] });
    await sub.next('suback');
    const pub = await RawClient.connect(tb.port, 5);
    const ack = await pub.handshake();
    expect(ack.properties?.topicAliasMaximum).toBeGreaterThan(0);
    pub.send({ cmd: 'publish', topic, payload: Buffer.from('1'), qos: 0, retain: false, dup: false, properties: { topicAlias: 1 } });
    pub.send({ cmd: 'publish', topic: '', payload: Buffer.from('2'), qos: 0, retain: false, dup: false, properties: { topicAlias: 1 } });
    expect((await sub.next('publish')).payload.toString()).toBe('1');
    const second = await sub.next('publish');
    expect(second.topic).toBe(topic);
    expect(second.payload.toString()).toBe('2');
    pub.send({ cmd: 'publish', topic: '', payload: Buffer.from('3'), qos: 0, retain: false, dup: false, properties: { topicAlias: 2 } });
    expect((await pub.next('disconnect')).reasonCode).toBe(0x82);
    await pub.waitClosed();
    sub.end();
  });

  it('[MQTT-3.8.3-3] no local: a client does not receive its own messages', async () => {
    const topic = `nolocal/${uid()}`;
    const c = await RawClient.connect(tb.port, 5);
    await c.handshake();
    c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 0, nl: true }, { topic: `${topic}/m`, qos: 0 }] });
    await c.next('suback');
    c.send({ cmd: 'publish', topic, payload: Buffer.from('mine'), qos: 0, retain: false, dup: false });
    c.send({ cmd: 'publish', topic: `${topic}/m`, payload: Buffer.from('marker'), qos: 0, retain: false, dup: false });
    expect((await c.next('publish')).topic).toBe(`${topic}/m`);
    c.end();
  });

  it('[MQTT-3.8.3-3] no local on a cached route: own messages skipped each time, others delivered; a matching subscription without it still delivers', async () => {
    const topic = `nolocal/${uid()}`;
    const c = await RawClient.connect(tb.port, 5);
    await c.handshake();
    const other = await RawClient.connect(tb.port, 5);
    await other.handshake();
    // `${topic}/#` no-local only; `${topic}/both` also matches a plain subscription (QoS 1) of the same session
    c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `${topic}/#`, qos: 0, nl: true }, { topic: `${topic}/both`, qos: 1 }] });
    await c.next('suback');
    const send = (from: RawClient, t: string, text: string) => from.send({ cmd: 'publish', topic: `${topic}/${t}`, payload: Buffer.from(text), qos: 0, retain: false, dup: false });
    // twice each: the second goes by the route cached by the first
    for (const round of ['1', '2']) {
      send(c, 'nl', `mine${round}`);
      send(other, 'nl', `theirs${round}`);
      send(c, 'both', `mine-both${round}`);
    }
    const got: string[] = [];
    for (let i = 0; i < 4; i++) {
      const p = await c.next('publish');
      got.push(`${p.topic.slice(topic.length + 1)} ${p.payload.toString()} q${p.qos}`);
    }
    // own messages on `both` arrive through the plain subscription (two connections: any order)
    expect(got.sort()).toEqual(['both mine-both1 q0', 'both mine-both2 q0', 'nl theirs1 q0', 'nl theirs2 q0']);
    // and nothing else: a marker of its own through the plain subscription comes next
    send(c, 'both', 'marker');
    expect((await c.next('publish')).payload.toString()).toBe('marker');
    c.end();
    other.end();
  });

  it('subscription identifiers and retain-as-published are forwarded; user properties too', async () => {
    const topic = `subid/${uid()}`;
    const pub = await RawClient.connect(tb.port, 5);
    await pub.handshake();
    pub.send({ cmd: 'publish', topic, payload: Buffer.from('r'), qos: 1, retain: true, dup: false, messageId: 1, properties: { userProperties: { k: 'v' }, contentType: 'text/plain' } });
    await pub.next('puback');
    const sub = await RawClient.connect(tb.port, 5);
    await sub.handshake();
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1, rap: true }], properties: { subscriptionIdentifier: 42 } });
    await sub.next('suback');
    const m = await sub.next('publish');
    expect(m.properties?.subscriptionIdentifier).toBe(42);
    expect(m.properties?.userProperties).toEqual({ k: 'v' });
    expect(m.properties?.contentType).toBe('text/plain');
    sub.send({ cmd: 'puback', messageId: m.messageId! });
    pub.send({ cmd: 'publish', topic, payload: Buffer.from('live'), qos: 0, retain: true, dup: false });
    const live = await sub.next('publish');
    expect(live.retain).toBe(true); // retain as published
    pub.send({ cmd: 'publish', topic, payload: Buffer.alloc(0), qos: 0, retain: true, dup: false });
    pub.end();
    sub.end();
  });

  it('[MQTT-3.3.2-5] an expired message is not delivered; the remaining interval is forwarded [MQTT-3.3.2-6]', async () => {
    const topic = `expiry/${uid()}`;
    const pub = await RawClient.connect(tb.port, 5);
    await pub.handshake();
    pub.send({ cmd: 'publish', topic, payload: Buffer.from('long'), qos: 1, retain: true, dup: false, messageId: 1, properties: { messageExpiryInterval: 100 } });
    await pub.next('puback');
    const sub = await RawClient.connect(tb.port, 5);
    await sub.handshake();
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] });
    await sub.next('suback');
    const m = await sub.next('publish');
    expect(m.properties?.messageExpiryInterval).toBeGreaterThan(0);
    expect(m.properties?.messageExpiryInterval).toBeLessThanOrEqual(100);
    pub.end();
    sub.end();
  });

  it('[MQTT-4.8.2-3] a shared subscription delivers each message to one member of the group', async () => {
    const topic = `shared/${uid()}`;
    const members = await Promise.all([RawClient.connect(tb.port, 5), RawClient.connect(tb.port, 5)]);
    for (const m of members) {
      await m.handshake();
      m.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `$share/g/${topic}`, qos: 0 }] });
      await m.next('suback');
    }
    const pub = await RawClient.connect(tb.port, 5);
    await pub.handshake();
    for (let i = 0; i < 10; i++) pub.send({ cmd: 'publish', topic, payload: Buffer.from(String(i)), qos: 1, retain: false, dup: false, messageId: i + 1 });
    for (let i = 0; i < 10; i++) await pub.next('puback');
    const count = (m: RawClient) => m.packets.filter((p) => p.cmd === 'publish').length;
    await Promise.race(members.map((m) => m.waitFor(() => count(members[0]!) + count(members[1]!) === 10)));
    const counts = members.map(count);
    expect(counts[0]! + counts[1]!).toBe(10);
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts[1]).toBeGreaterThan(0);
    for (const c of [...members, pub]) c.end();
  });

  it('DISCONNECT 0x04 publishes the will', async () => {
    const topic = `will04/${uid()}`;
    const watcher = await RawClient.connect(tb.port, 5);
    await watcher.handshake();
    watcher.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 0 }] });
    await watcher.next('suback');
    const c = await RawClient.connect(tb.port, 5);
    await c.handshake({ will: { topic, payload: Buffer.from('bye'), qos: 0, retain: false } });
    c.send({ cmd: 'disconnect', reasonCode: 0x04 });
    expect((await watcher.next('publish')).payload.toString()).toBe('bye');
    watcher.end();
  });
});
