import type { Packet } from 'mqtt-packet';
import { expect, it } from 'vitest';
import { RawClient } from '../helpers/broker.js';
import { startBrokerProcess } from '../helpers/broker-process.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';

/**
 * 20 clients with wills: 3.1.1 and v5, some with a will delay (60 s), some with a session that
 * outlives the connection; a watcher subscribed to will/# at QoS 1. Then `stop` (SIGTERM) and
 * the will topics the watcher got before the broker closed it, sorted.
 */
async function willsAtShutdown(port: number, stop: () => void): Promise<string[]> {
  const watcher = await RawClient.connect(port, 5);
  expect((await watcher.handshake({ clientId: 'watcher' })).reasonCode).toBe(0);
  watcher.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'will/#', qos: 1 }], properties: {} } as Packet);
  await watcher.next('suback');
  const clients: RawClient[] = [];
  for (let i = 0; i < 20; i++) {
    const v5 = i % 2 === 1;
    const c = await RawClient.connect(port, v5 ? 5 : 4);
    const will = {
      topic: `will/${i}`,
      payload: Buffer.from(`gone ${i}`),
      qos: (i % 3) as 0 | 1 | 2,
      retain: false,
      ...(v5 && i % 4 === 1 ? { properties: { willDelayInterval: 60 } } : {}),
    };
    const ack = await c.handshake({ clientId: `c${i}`, will, ...(v5 && i % 4 === 3 ? { properties: { sessionExpiryInterval: 120 } } : {}) });
    expect(v5 ? ack.reasonCode : ack.returnCode).toBe(0);
    clients.push(c);
  }
  stop();
  await watcher.waitClosed(10_000);
  for (const c of clients) c.end();
  return watcher.packets
    .filter((p) => p.cmd === 'publish')
    .map((p) => (p as { topic: string }).topic)
    .sort();
}

const ALL = Array.from({ length: 20 }, (_, i) => `will/${i}`).sort();

it('SIGTERM with clients connected: every will reaches the other subscribers, then exit 0 quickly', async () => {
  const b = await startBrokerProcess();
  const started = Date.now();
  let stoppedAt = 0;
  const wills = await willsAtShutdown(b.port, () => {
    stoppedAt = Date.now();
    b.proc.proc.kill('SIGTERM');
  });
  const r = await b.proc.done;
  expect(wills).toEqual(ALL);
  expect(r.code).toBe(0);
  expect(Date.now() - stoppedAt, `started ${started}`).toBeLessThan(3000);
  await b.stop();
});

it('SIGINT does the same', async () => {
  const b = await startBrokerProcess();
  const wills = await willsAtShutdown(b.port, () => b.proc.proc.kill('SIGINT'));
  expect(wills).toEqual(ALL);
  expect((await b.proc.done).code).toBe(0);
  await b.stop();
});

it('a client that never reads cannot hold the exit up', async () => {
  const b = await startBrokerProcess();
  const stuck = await RawClient.connect(b.port, 4);
  await stuck.handshake({ clientId: 'stuck' });
  stuck.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'flood', qos: 0 }] } as Packet);
  await stuck.next('suback');
  // it stops reading; then enough is published to fill its socket both ways
  stuck.socket.pause();
  const pub = await RawClient.connect(b.port, 4);
  await pub.handshake({ clientId: 'flooder' });
  const payload = Buffer.alloc(64 * 1024, 0x61);
  for (let i = 0; i < 200; i++) pub.send({ cmd: 'publish', topic: 'flood', payload, qos: 0, retain: false, dup: false } as Packet);
  // a PINGRESP after the 200 PUBLISHes: the broker has routed them all
  pub.send({ cmd: 'pingreq' });
  await pub.next('pingresp', 20_000);
  const stoppedAt = Date.now();
  b.proc.proc.kill('SIGTERM');
  const r = await b.proc.done;
  expect(r.code).toBe(0);
  expect(Date.now() - stoppedAt).toBeLessThan(5000);
  stuck.end();
  pub.end();
  await b.stop();
});

describeIfTool(['mosquitto'], 'shutdown: the same wills as Mosquitto', () => {
  it('20 of 20 from both', async () => {
    const mosq = await startMosquitto();
    const theirs = await willsAtShutdown(mosq.port, () => mosq.proc.kill('SIGTERM'));
    await mosq.stop();
    const b = await startBrokerProcess();
    const ours = await willsAtShutdown(b.port, () => b.proc.proc.kill('SIGTERM'));
    await b.stop();
    expect(ours).toEqual(theirs);
  });
});

/** A will waiting out its delay (its client gone) when the broker stops: sent at shutdown, as Mosquitto does. */
async function delayedWillAtShutdown(port: number, stop: () => void, logged: (text: string) => Promise<unknown>): Promise<string[]> {
  const watcher = await RawClient.connect(port, 5);
  await watcher.handshake({ clientId: 'watcher' });
  watcher.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'will/#', qos: 1 }], properties: {} } as Packet);
  await watcher.next('suback');
  const gone = await RawClient.connect(port, 5);
  await gone.handshake({
    clientId: 'gone',
    properties: { sessionExpiryInterval: 120 },
    will: { topic: 'will/delayed', payload: Buffer.from('late'), qos: 1, retain: false, properties: { willDelayInterval: 60 } },
  });
  gone.end();
  // its will now waits out the delay
  await logged('Client gone closed its connection.');
  expect(watcher.packets.filter((p) => p.cmd === 'publish')).toEqual([]);
  stop();
  await watcher.waitClosed(10_000);
  return watcher.packets.filter((p) => p.cmd === 'publish').map((p) => (p as { topic: string }).topic);
}

it('a will still waiting out its delay goes out at shutdown', async () => {
  const b = await startBrokerProcess();
  const wills = await delayedWillAtShutdown(b.port, () => b.proc.proc.kill('SIGTERM'), (text) => b.proc.waitForStderr((s) => s.includes(text)));
  expect(wills).toEqual(['will/delayed']);
  expect((await b.proc.done).code).toBe(0);
  await b.stop();
});

describeIfTool(['mosquitto'], 'shutdown: a delayed will, as Mosquitto', () => {
  it('sent by both', async () => {
    const mosq = await startMosquitto();
    const theirs = await delayedWillAtShutdown(mosq.port, () => mosq.proc.kill('SIGTERM'), (text) => mosq.waitForLog(text));
    await mosq.stop();
    expect(theirs).toEqual(['will/delayed']);
  });
});
