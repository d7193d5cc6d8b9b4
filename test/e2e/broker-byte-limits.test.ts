import { afterEach, describe, expect, it } from 'vitest';
import type { IPublishPacket, Packet } from 'mqtt-packet';
import { RawClient, startTestBroker } from '../helpers/broker.js';
import { startBrokerProcess } from '../helpers/broker-process.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';

/**
 * max_inflight_bytes and max_queued_bytes (mosquitto.conf(5)), checked side by side: the same
 * configuration lines and the same conversation against `mqtt broker` and a real Mosquitto, and
 * the same packets expected from both. Scenarios after Mosquitto's own 02-subpub-qos2-max-inflight-bytes
 * and 03-publish-qos1-queued-bytes.
 */

interface Target {
  port: number;
  stop(): Promise<void>;
}

const TARGETS: Record<string, (lines: string[]) => Promise<Target>> = {
  ours: async (lines) => {
    const b = await startBrokerProcess((_dir, port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous true', ...lines]);
    return { port: b.port, stop: () => b.stop() };
  },
  mosquitto: async (lines) => {
    const m = await startMosquitto({ config: lines });
    return { port: m.port, stop: () => m.stop() };
  },
};

let running: Target[] = [];
let clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients) c.end();
  clients = [];
  await Promise.all(running.map((t) => t.stop()));
  running = [];
});

async function start(name: string, lines: string[]): Promise<Target> {
  const t = await TARGETS[name]!(lines);
  running.push(t);
  return t;
}

async function connect(port: number, version: 4 | 5, fields: Partial<Extract<Packet, { cmd: 'connect' }>> = {}): Promise<RawClient> {
  const c = await RawClient.connect(port, version);
  clients.push(c);
  const ack = await c.handshake(fields);
  expect(ack.reasonCode ?? ack.returnCode).toBe(0);
  return c;
}

async function subscribe(c: RawClient, topic: string, qos: 1 | 2): Promise<void> {
  c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos }], ...(c.version === 5 ? { properties: {} } : {}) } as Packet);
  await c.next('suback');
}

/** Publishes and waits until the broker has routed it: PUBACK for QoS 1, PUBCOMP for QoS 2 (Mosquitto routes at PUBREL). */
async function publish(c: RawClient, topic: string, payload: string, qos: 1 | 2, messageId: number): Promise<void> {
  c.send({ cmd: 'publish', topic, payload: Buffer.from(payload), qos, messageId, retain: false, dup: false } as Packet);
  if (qos === 1) {
    await c.next('puback');
    return;
  }
  await c.next('pubrec');
  c.send({ cmd: 'pubrel', messageId } as Packet);
  await c.next('pubcomp');
}

/** What the subscriber has been sent so far: a PINGREQ's answer comes after anything the broker wrote before it. */
async function settled(c: RawClient): Promise<string[]> {
  c.send({ cmd: 'pingreq' } as Packet);
  await c.waitFor(() => c.packets.some((p) => p.cmd === 'pingresp'));
  const payloads: string[] = [];
  for (let p = c.packets.shift(); p && p.cmd !== 'pingresp'; p = c.packets.shift()) {
    if (p.cmd === 'publish') payloads.push(String((p as IPublishPacket).payload));
  }
  return payloads;
}

describeIfTool(['mosquitto'], 'max_inflight_bytes and max_queued_bytes, ours next to Mosquitto', () => {
  for (const name of Object.keys(TARGETS)) {
    it(`${name}: max_inflight_bytes 16 lets another QoS 2 message go while fewer bytes are in flight (02-subpub-qos2-max-inflight-bytes)`, async () => {
      const t = await start(name, ['max_inflight_bytes 16']);
      // receive maximum 5 bounds the count as well [MQTT-4.9.0-1]
      const sub = await connect(t.port, 5, { clientId: 'bytes-sub', properties: { receiveMaximum: 5 } });
      await subscribe(sub, 'bytes/qos2', 2);
      const pub = await connect(t.port, 4, { clientId: 'bytes-pub' });
      for (let i = 1; i <= 3; i++) await publish(pub, 'bytes/qos2', `message${i}`, 2, i);
      // 8 + 8 bytes in flight: the third waits
      expect(await settled(sub)).toEqual(['message1', 'message2']);
      // PUBREL stage still holds its bytes; PUBCOMP frees them
      sub.send({ cmd: 'pubrec', messageId: 1 } as Packet);
      await sub.next('pubrel');
      expect(await settled(sub)).toEqual([]);
      sub.send({ cmd: 'pubcomp', messageId: 1 } as Packet);
      const third = await sub.next('publish');
      expect(String(third.payload)).toBe('message3');
      // The installed Mosquitto (2.0.11) counts in-flight bytes differently from here on (it lets
      // a message go at 16 bytes in flight); 2.0.21 fixed that, and its own test of this option
      // (02-subpub-qos2-max-inflight-bytes, in the trixie suite) runs against us as expected to pass.
      if (name !== 'ours') return;
      // small messages: 16 bytes in flight (message2 and 3), so they wait too
      for (let i = 4; i <= 8; i++) await publish(pub, 'bytes/qos2', String(i), 2, i);
      expect(await settled(sub)).toEqual([]);
      sub.send({ cmd: 'pubrec', messageId: 2 } as Packet);
      await sub.next('pubrel');
      sub.send({ cmd: 'pubcomp', messageId: 2 } as Packet);
      // 8 bytes + "4".."7" stay below 16 after each: four go, and the receive maximum (5) stops the fifth
      await sub.waitFor(() => sub.packets.filter((p) => p.cmd === 'publish').length >= 4);
      expect(await settled(sub)).toEqual(['4', '5', '6', '7']);
    });

    it(`${name}: a message larger than max_inflight_bytes still goes, but alone`, async () => {
      const t = await start(name, ['max_inflight_bytes 10']);
      const sub = await connect(t.port, 4, { clientId: 'big-sub' });
      await subscribe(sub, 'bytes/big', 1);
      const pub = await connect(t.port, 4, { clientId: 'big-pub' });
      await publish(pub, 'bytes/big', 'x'.repeat(20), 1, 1);
      await publish(pub, 'bytes/big', 'y', 1, 2);
      const first = await settled(sub);
      expect(first).toEqual(['x'.repeat(20)]);
      sub.send({ cmd: 'puback', messageId: 1 } as Packet);
      expect((await sub.next('publish')).payload.toString()).toBe('y');
    });

    it(`${name}: max_queued_bytes 400 bounds an offline session's queue, the message that crosses it still queued (03-publish-qos1-queued-bytes)`, async () => {
      const t = await start(name, ['max_queued_messages 0', 'max_queued_bytes 400', 'max_inflight_messages 40']);
      const first = await connect(t.port, 4, { clientId: 'queued-sub', clean: false });
      await subscribe(first, 'bytes/queue/#', 1);
      first.send({ cmd: 'disconnect' } as Packet);
      await first.waitClosed();
      const pub = await connect(t.port, 4, { clientId: 'queued-pub' });
      let id = 0;
      for (let i = 0; i < 10; i++) await publish(pub, `bytes/queue/${i}`, 's'.repeat(10), 1, ++id);
      // 100 bytes queued; 40-byte messages are queued while fewer than 400 bytes are: 8 of them (420)
      for (let i = 0; i < 10; i++) await publish(pub, `bytes/queue/${i}`, String(i).repeat(40), 1, ++id);
      const back = await connect(t.port, 4, { clientId: 'queued-sub', clean: false });
      await back.waitFor(() => back.packets.filter((p) => p.cmd === 'publish').length >= 18, 10_000);
      const got = await settled(back);
      expect(got).toEqual([...Array(10).fill('s'.repeat(10)), ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => String(i).repeat(40))]);
    });
  }
});

describe('max_queued_bytes for a connected client that still acknowledges (our flow control, issue 10)', () => {
  it('a queue full by bytes holds the publisher\'s acks, in order [MQTT-4.6.0-2], until it drains; nothing is dropped', async () => {
    const tb = await startTestBroker({ limits: { maxQueuedMessages: 0, maxQueuedBytes: 20, maxInflightMessages: 1 } });
    running.push({ port: tb.port, stop: () => tb.stop() });
    const sub = await connect(tb.port, 4, { clientId: 'held-sub' });
    await subscribe(sub, 'bytes/held', 1);
    const pub = await connect(tb.port, 4, { clientId: 'held-pub' });
    for (let i = 1; i <= 5; i++) pub.send({ cmd: 'publish', topic: 'bytes/held', payload: Buffer.from(String(i).repeat(10)), qos: 1, messageId: i, retain: false, dup: false } as Packet);
    pub.send({ cmd: 'pingreq' } as Packet);
    await pub.waitFor(() => pub.packets.some((p) => p.cmd === 'pingresp'));
    // one in flight, 20 bytes queued: the fourth message went over it, its ack and the fifth's wait
    expect(pub.packets.filter((p) => p.cmd === 'puback').map((p) => p.messageId)).toEqual([1, 2, 3]);
    pub.packets.splice(0);
    const received: string[] = [];
    while (received.length < 5) {
      const m = await sub.next('publish');
      received.push(String(m.payload));
      sub.send({ cmd: 'puback', messageId: m.messageId! } as Packet);
    }
    expect(received).toEqual([1, 2, 3, 4, 5].map((i) => String(i).repeat(10)));
    await pub.waitFor(() => pub.packets.filter((p) => p.cmd === 'puback').length === 2);
    expect(pub.packets.filter((p) => p.cmd === 'puback').map((p) => p.messageId)).toEqual([4, 5]);
    expect(tb.broker.sessions.get('held-sub')!.droppedMessages).toBe(0);
  });
});
