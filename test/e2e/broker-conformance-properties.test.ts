import { afterAll, beforeAll, expect, it } from 'vitest';
import { RawClient, startTestBroker, type TestBroker } from '../helpers/broker.js';
import { connectBytes, props, publishBytes } from '../helpers/frames.js';

/**
 * A Payload Format Indicator other than 0 or 1 (MQTT 5 3.3.2.3.2 defines only those) is a
 * Protocol Error, as in Mosquitto 2.0.20 on (its 12-prop-subpub-payload-format): DISCONNECT 0x82,
 * nothing forwarded. 0 and 1 are forwarded unchanged [MQTT-3.3.2-4].
 */

let tb: TestBroker;
beforeAll(async () => {
  tb = await startTestBroker();
});
afterAll(async () => {
  await tb.stop();
});

const uid = () => Math.random().toString(36).slice(2, 10);

it('PUBLISH with Payload Format Indicator 0xED: DISCONNECT e0 01 82, close, nothing forwarded', async () => {
  const topic = `pfi/${uid()}`;
  const sub = await RawClient.connect(tb.port, 5);
  await sub.handshake();
  sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 0 }] });
  await sub.next('suback');

  const pub = await RawClient.connect(tb.port, 5);
  await pub.handshake();
  const bytes: Buffer[] = [];
  pub.socket.on('data', (d: Buffer) => bytes.push(d));
  pub.sendBytes(publishBytes({ topic, properties: props(Buffer.from([0x01, 0xed])), payload: Buffer.from('message') }));
  await pub.waitClosed();
  expect(Buffer.concat(bytes).toString('hex')).toBe('e00182');

  // a valid indicator still goes through, and is the first thing the subscriber sees
  const ok = await RawClient.connect(tb.port, 5);
  await ok.handshake();
  ok.sendBytes(publishBytes({ topic, properties: props(Buffer.from([0x01, 0x01])), payload: Buffer.from('text') }));
  const m = await sub.next('publish');
  expect(m.payload.toString()).toBe('text');
  expect(m.properties?.payloadFormatIndicator).toBe(true);
  sub.end();
  ok.end();
});

it('a will with Payload Format Indicator 2 is refused: the CONNECT is a Protocol Error', async () => {
  const c = await RawClient.connect(tb.port, 5);
  c.sendBytes(connectBytes({ version: 5, clientId: `pfiwill-${uid()}`, will: { topic: 'w', payload: Buffer.from('x'), properties: props(Buffer.from([0x01, 0x02])) } }));
  await c.waitClosed();
  // closed without accepting it (whether a CONNACK 0x82 comes first is the CONNECT handler's choice)
  const accepted = c.packets.filter((p) => p.cmd === 'connack' && !(p as { reasonCode?: number }).reasonCode);
  expect(accepted).toEqual([]);
});
