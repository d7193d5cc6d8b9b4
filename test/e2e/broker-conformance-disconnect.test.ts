import { afterAll, beforeAll, expect, it } from 'vitest';
import { RawClient, startTestBroker, type TestBroker } from '../helpers/broker.js';

/**
 * The v5 DISCONNECT the broker sends, byte for byte as Mosquitto 2.0.12+ sends it and its newer
 * tests (01-connect-take-over, 02-subpub-qos0-topic-alias-unknown, 03-publish-invalid-utf8, ...)
 * expect: without properties, the reason code alone (Remaining Length 1: the property length is
 * left out, MQTT 5 section 3.14.2.2.1).
 */

let tb: TestBroker;
beforeAll(async () => {
  tb = await startTestBroker();
});
afterAll(async () => {
  await tb.stop();
});

/** Every byte the broker sends on this connection from now on. */
function recordBytes(c: RawClient): Buffer[] {
  const chunks: Buffer[] = [];
  c.socket.on('data', (d: Buffer) => chunks.push(d));
  return chunks;
}

it('an unknown topic alias (a Protocol Error, MQTT 5 section 3.3.2.3.4): DISCONNECT e0 01 82, then close', async () => {
  const c = await RawClient.connect(tb.port, 5);
  await c.handshake();
  const bytes = recordBytes(c);
  c.send({ cmd: 'publish', topic: '', payload: Buffer.from('x'), qos: 0, retain: false, dup: false, properties: { topicAlias: 1 } });
  await c.waitClosed();
  expect(Buffer.concat(bytes).toString('hex')).toBe('e00182');
});

it('[MQTT-3.1.4-3] a session taken over: the old connection gets DISCONNECT e0 01 8e', async () => {
  const clientId = `takeover-${Math.random().toString(36).slice(2, 8)}`;
  const first = await RawClient.connect(tb.port, 5);
  await first.handshake({ clientId });
  const bytes = recordBytes(first);
  const second = await RawClient.connect(tb.port, 5);
  await second.handshake({ clientId });
  await first.waitClosed();
  expect(Buffer.concat(bytes).toString('hex')).toBe('e0018e');
  second.end();
});
