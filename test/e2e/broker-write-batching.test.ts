import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePacket } from '../../src/core/protocol/codec.js';
import { RawClient, startTestBroker, type TestBroker } from '../helpers/broker.js';

// The connection queues a tick's packets and writes them as one buffer at the next tick: these
// check that nothing queued is lost or reordered at the edges of that batching.
let tb: TestBroker;
beforeAll(async () => {
  tb = await startTestBroker();
});
afterAll(async () => {
  await tb.stop();
});

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

  it('keeps the order of many packets queued in one tick, across the one-buffer limit', async () => {
    const topic = 'batch/order';
    const sub = await RawClient.connect(tb.port, 4);
    await sub.handshake();
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 0 }] });
    await sub.next('suback');
    const pub = await RawClient.connect(tb.port, 4);
    await pub.handshake();
    // 300 messages of 1 KB in one write: more than one tick's coalescing limit on the way out
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
