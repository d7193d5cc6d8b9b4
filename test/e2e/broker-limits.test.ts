import { afterEach, describe, expect, it } from 'vitest';
import { RawClient, startTestBroker, type TestBroker } from '../helpers/broker.js';

const uid = () => Math.random().toString(36).slice(2, 10);
let tb: TestBroker | undefined;
afterEach(async () => {
  await tb?.stop();
  tb = undefined;
});

describe('broker limits and timers', () => {
  it('a client that opens TCP and sends nothing is dropped after the connect timeout', async () => {
    tb = await startTestBroker({ limits: { connectTimeout: 1 } });
    const c = await RawClient.connect(tb.port, 4);
    await c.waitClosed(5000);
    expect(c.packets).toHaveLength(0);
  });

  it('[MQTT-3.1.2-24] keep alive: no packet within 1.5 x keepalive closes the connection and publishes the will', async () => {
    tb = await startTestBroker();
    const topic = `ka/${uid()}`;
    const watcher = await RawClient.connect(tb.port, 4);
    await watcher.handshake();
    watcher.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 0 }] });
    await watcher.next('suback');
    const silent = await RawClient.connect(tb.port, 4);
    await silent.handshake({ keepalive: 1, will: { topic, payload: Buffer.from('timed out'), qos: 0, retain: false } });
    await silent.waitClosed(5000);
    expect((await watcher.next('publish', 5000)).payload.toString()).toBe('timed out');
    watcher.end();
  });

  it('v5 maximum packet size: announced in CONNACK, a larger packet gets DISCONNECT 0x95', async () => {
    tb = await startTestBroker({ limits: { maxPacketSize: 200 } });
    const c = await RawClient.connect(tb.port, 5);
    const ack = await c.handshake();
    expect(ack.properties?.maximumPacketSize).toBe(200);
    c.send({ cmd: 'publish', topic: 'big', payload: Buffer.alloc(500), qos: 0, retain: false, dup: false });
    expect((await c.next('disconnect')).reasonCode).toBe(0x95);
    await c.waitClosed();
  });

  it("[MQTT-3.1.2-25] a message larger than the client's maximum packet size is not sent to it", async () => {
    tb = await startTestBroker();
    const topic = `maxps/${uid()}`;
    const sub = await RawClient.connect(tb.port, 5);
    await sub.handshake({ properties: { maximumPacketSize: 100 } });
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `${topic}/#`, qos: 0 }] });
    await sub.next('suback');
    const pub = await RawClient.connect(tb.port, 5);
    await pub.handshake();
    pub.send({ cmd: 'publish', topic: `${topic}/big`, payload: Buffer.alloc(300), qos: 0, retain: false, dup: false });
    pub.send({ cmd: 'publish', topic: `${topic}/small`, payload: Buffer.from('ok'), qos: 0, retain: false, dup: false });
    expect((await sub.next('publish')).topic).toBe(`${topic}/small`);
    sub.end();
    pub.end();
  });

  it('[MQTT-3.3.4-9] v5: more unacknowledged QoS 2 than our receive maximum gets DISCONNECT 0x93', async () => {
    tb = await startTestBroker({ limits: { maxInflightMessages: 2 } });
    const c = await RawClient.connect(tb.port, 5);
    const ack = await c.handshake();
    expect(ack.properties?.receiveMaximum).toBe(2);
    for (let id = 1; id <= 3; id++) c.send({ cmd: 'publish', topic: 'rm', payload: Buffer.from('x'), qos: 2, retain: false, dup: false, messageId: id });
    expect((await c.next('disconnect')).reasonCode).toBe(0x93);
    await c.waitClosed();
  });

  it("the client's receive maximum bounds our in-flight window; the rest is queued and follows each ack", async () => {
    tb = await startTestBroker();
    const topic = `window/${uid()}`;
    const sub = await RawClient.connect(tb.port, 5);
    await sub.handshake({ properties: { receiveMaximum: 2 } });
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] });
    await sub.next('suback');
    const pub = await RawClient.connect(tb.port, 5);
    await pub.handshake();
    for (let i = 1; i <= 5; i++) pub.send({ cmd: 'publish', topic, payload: Buffer.from(String(i)), qos: 1, retain: false, dup: false, messageId: i });
    for (let i = 1; i <= 5; i++) await pub.next('puback');
    const first = await sub.next('publish');
    const second = await sub.next('publish');
    expect(sub.packets.filter((p) => p.cmd === 'publish')).toHaveLength(0); // window full
    const received = [first, second];
    sub.send({ cmd: 'puback', messageId: first.messageId! });
    received.push(await sub.next('publish'));
    sub.send({ cmd: 'puback', messageId: second.messageId! });
    received.push(await sub.next('publish'));
    sub.send({ cmd: 'puback', messageId: received[2]!.messageId! });
    received.push(await sub.next('publish'));
    expect(received.map((p) => p.payload.toString())).toEqual(['1', '2', '3', '4', '5']);
    sub.end();
    pub.end();
  });

  it('max_queued_messages: an offline session keeps at most that many and counts the dropped ones', async () => {
    tb = await startTestBroker({ limits: { maxQueuedMessages: 3 } });
    const clientId = `queue-${uid()}`;
    const topic = `queue/${uid()}`;
    const a = await RawClient.connect(tb.port, 4);
    await a.handshake({ clientId, clean: false });
    a.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] });
    await a.next('suback');
    a.send({ cmd: 'disconnect' });
    await a.waitClosed();
    const pub = await RawClient.connect(tb.port, 4);
    await pub.handshake();
    for (let i = 1; i <= 5; i++) {
      pub.send({ cmd: 'publish', topic, payload: Buffer.from(String(i)), qos: 1, retain: false, dup: false, messageId: i });
      await pub.next('puback');
    }
    expect(tb.broker.sessions.get(clientId)?.droppedMessages).toBe(2);
    expect(tb.broker.stats.publishDropped).toBe(2);
    const b = await RawClient.connect(tb.port, 4);
    const ack = await b.handshake({ clientId, clean: false });
    expect(ack.sessionPresent).toBe(true);
    const got = [];
    for (let i = 0; i < 3; i++) {
      const m = await b.next('publish');
      got.push(m.payload.toString());
      b.send({ cmd: 'puback', messageId: m.messageId! });
    }
    expect(got).toEqual(['1', '2', '3']);
    b.end();
    pub.end();
  });

  it('[MQTT-3.1.3-9] v5 will delay: a reconnect within the delay cancels the will', async () => {
    tb = await startTestBroker();
    const topic = `willdelay/${uid()}`;
    const clientId = `wd-${uid()}`;
    const watcher = await RawClient.connect(tb.port, 5);
    await watcher.handshake();
    watcher.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `${topic}/#`, qos: 0 }] });
    await watcher.next('suback');
    const connect = {
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: 60 },
      will: { topic: `${topic}/will`, payload: Buffer.from('late'), qos: 0 as const, retain: false, properties: { willDelayInterval: 30 } },
    };
    const a = await RawClient.connect(tb.port, 5);
    await a.handshake(connect);
    a.end();
    await a.waitClosed();
    const b = await RawClient.connect(tb.port, 5);
    await b.handshake({ clientId, clean: false, properties: { sessionExpiryInterval: 60 } });
    b.send({ cmd: 'publish', topic: `${topic}/marker`, payload: Buffer.from('m'), qos: 0, retain: false, dup: false });
    expect((await watcher.next('publish')).topic).toBe(`${topic}/marker`);
    b.send({ cmd: 'disconnect' });
    watcher.end();
  });

  it('v5 session expiry 0 ends the session at disconnect; a positive one keeps it', async () => {
    tb = await startTestBroker();
    const id0 = `exp0-${uid()}`;
    const id60 = `exp60-${uid()}`;
    for (const [clientId, expiry] of [[id0, 0], [id60, 60]] as const) {
      const c = await RawClient.connect(tb.port, 5);
      await c.handshake({ clientId, clean: true, properties: { sessionExpiryInterval: expiry } });
      c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'x', qos: 1 }] });
      await c.next('suback');
      c.send({ cmd: 'disconnect' });
      await c.waitClosed();
    }
    const again0 = await RawClient.connect(tb.port, 5);
    expect((await again0.handshake({ clientId: id0, clean: false })).sessionPresent).toBe(false);
    const again60 = await RawClient.connect(tb.port, 5);
    expect((await again60.handshake({ clientId: id60, clean: false })).sessionPresent).toBe(true);
    again0.end();
    again60.end();
  });

  it('[MQTT-3.14.2-2] v5 DISCONNECT may not set a session expiry when CONNECT had 0', async () => {
    tb = await startTestBroker();
    const c = await RawClient.connect(tb.port, 5);
    await c.handshake();
    c.send({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 30 } });
    expect((await c.next('disconnect')).reasonCode).toBe(0x82);
    await c.waitClosed();
  });

  it('a client that never reads does not stop the broker serving others', async () => {
    tb = await startTestBroker();
    const topic = `slow/${uid()}`;
    const stuck = await RawClient.connect(tb.port, 4);
    await stuck.handshake();
    stuck.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 0 }] });
    await stuck.next('suback');
    stuck.socket.pause();
    const ok = await RawClient.connect(tb.port, 4);
    await ok.handshake();
    ok.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 0 }] });
    await ok.next('suback');
    const pub = await RawClient.connect(tb.port, 4);
    await pub.handshake();
    for (let i = 0; i < 200; i++) pub.send({ cmd: 'publish', topic, payload: Buffer.alloc(1000, i), qos: 0, retain: false, dup: false });
    await ok.waitFor(() => ok.packets.filter((p) => p.cmd === 'publish').length === 200);
    for (const c of [stuck, ok, pub]) c.end();
  });
});
