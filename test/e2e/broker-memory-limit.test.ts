import { afterEach, describe, expect, it } from 'vitest';
import type { Packet } from 'mqtt-packet';
import { RawClient } from '../helpers/broker.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';

/**
 * memory_limit (mosquitto.conf(5): "Memory requests that exceed this value will be denied... the
 * message will be dropped and the publishing client will be disconnected"). The broker holds
 * retained messages until told otherwise, so publishing 64 KB retained messages on new topics
 * grows it steadily; past the limit new messages are refused instead of stored.
 */

const LIMIT = 60_000_000;
const PAYLOAD = Buffer.alloc(64 * 1024, 0x61);
/** 1,400 x 64 KB is 92 MB: well past the limit, whatever the broker holds idle */
const MAX_MESSAGES = 1_400;

let broker: BrokerProcess | undefined;
let client: RawClient | undefined;
afterEach(async () => {
  client?.end();
  client = undefined;
  await broker?.stop();
  broker = undefined;
});

async function start(lines: string[], version: 4 | 5): Promise<RawClient> {
  broker = await startBrokerProcess((_dir, port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous true', ...lines]);
  client = await RawClient.connect(broker.port, version);
  const ack = await client.handshake();
  expect(ack.reasonCode ?? ack.returnCode).toBe(0);
  return client;
}

/** Publishes retained QoS 1 messages one at a time until one is refused or closed; what happened to each. */
async function fill(c: RawClient): Promise<{ accepted: number; refusedWith?: number; closed: boolean }> {
  let accepted = 0;
  for (let i = 1; i <= MAX_MESSAGES; i++) {
    c.send({ cmd: 'publish', topic: `fill/${i}`, payload: PAYLOAD, qos: 1, retain: true, dup: false, messageId: i, ...(c.version === 5 ? { properties: {} } : {}) } as Packet);
    try {
      const ack = await c.next('puback', 10_000);
      if ((ack.reasonCode ?? 0) >= 0x80) return { accepted, refusedWith: ack.reasonCode, closed: false };
      accepted++;
    } catch (err) {
      if (c.closed) return { accepted, closed: true };
      throw err;
    }
  }
  return { accepted, closed: false };
}

describe('memory_limit', () => {
  it('v5: past the limit a QoS 1 PUBLISH gets PUBACK 0x97 Quota exceeded (spec 3.4.2.1), the connection stays, the broker lives and says why', async () => {
    const c = await start([`memory_limit ${LIMIT}`], 5);
    const r = await fill(c);
    expect(r.refusedWith).toBe(0x97);
    expect(r.accepted).toBeGreaterThan(0);
    expect(r.accepted * PAYLOAD.length).toBeLessThan(LIMIT);
    // still connected and answered
    c.send({ cmd: 'pingreq' });
    await c.next('pingresp');
    await broker!.proc.waitForStderr(/Memory limit of 60000000 bytes reached \(\d+ in use\): refusing new messages\./);
  }, 60_000);

  it('MQTT 3.1.1: the refused PUBLISH is not acknowledged and the publisher is disconnected (Mosquitto: dropped, client disconnected), so it sends it again later', async () => {
    const c = await start([`memory_limit ${LIMIT}`], 4);
    const r = await fill(c);
    expect(r.closed).toBe(true);
    expect(r.accepted).toBeGreaterThan(0);
    expect(r.accepted * PAYLOAD.length).toBeLessThan(LIMIT);
    // the broker itself is still up: a new client connects
    const other = await RawClient.connect(broker!.port, 4);
    try {
      expect((await other.handshake()).returnCode).toBe(0);
    } finally {
      other.end();
    }
  }, 60_000);

  it('without memory_limit the same messages are all accepted (the limit is what refused them)', async () => {
    const c = await start([], 5);
    const r = await fill(c);
    expect(r).toEqual({ accepted: MAX_MESSAGES, closed: false });
  }, 60_000);
});
