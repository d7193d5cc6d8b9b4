import { afterEach, describe, expect, it } from 'vitest';
import { BrokerLog } from '../../src/broker/log.js';
import { RawClient, startTestBroker } from '../helpers/broker.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { runCmd } from '../helpers/cli.js';
import { describeIfTool } from '../helpers/peers.js';

// Node's setTimeout clamps any delay above 2^31-1 ms (24.8 days) to 1 ms and prints
// TimeoutOverflowWarning: every interval a client gives in 32-bit seconds must outlive that.
const JUST_OVER_2_31_MS = Math.ceil((2 ** 31 + 1000) / 1000); // seconds: >= 2^31 ms + 1 s
const LONGEST_FINITE = 0xfffffffe; // seconds; 0xFFFFFFFF means "never expires" [MQTT-3.1.2-11 (v5)]

const uid = () => Math.random().toString(36).slice(2, 10);
let broker: BrokerProcess | undefined;
afterEach(async () => {
  await broker?.stop();
  broker = undefined;
});

async function start(): Promise<BrokerProcess> {
  broker = await startBrokerProcess((_dir, port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous true'], ['-v']);
  return broker;
}

function expectNoTimerWarning(b: BrokerProcess): void {
  expect(b.proc.stderr).not.toMatch(/TimeoutOverflowWarning/);
}

describe('long intervals from clients outlive setTimeout (issue 10)', () => {
  for (const [name, seconds] of [
    ['2^31 ms + 1 s', JUST_OVER_2_31_MS],
    ['0xFFFFFFFE s', LONGEST_FINITE],
  ] as const) {
    it(`[MQTT-3.1.2-23 (v5)] session expiry ${name}: the session outlives the connection and gets its queued QoS 1 message`, async () => {
      const b = await start();
      const clientId = `long-${uid()}`;
      const topic = `long/${uid()}`;
      const sub = await RawClient.connect(b.port, 5);
      const first = await sub.handshake({ clientId, clean: false, properties: { sessionExpiryInterval: seconds } });
      expect(first.reasonCode ?? 0).toBe(0);
      sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] });
      await sub.next('suback');
      sub.send({ cmd: 'disconnect', reasonCode: 0 });
      await sub.waitClosed();
      await b.proc.waitForStderr(new RegExp(`Client ${clientId} disconnected`));

      const pub = await RawClient.connect(b.port, 5);
      await pub.handshake();
      pub.send({ cmd: 'publish', topic, payload: Buffer.from('kept'), qos: 1, retain: false, dup: false, messageId: 7 });
      // 0x10 would mean no subscription matched: the session had already gone
      expect((await pub.next('puback')).reasonCode ?? 0).toBe(0);
      pub.end();

      const back = await RawClient.connect(b.port, 5);
      const ack = await back.handshake({ clientId, clean: false, properties: { sessionExpiryInterval: seconds } });
      expect(ack.sessionPresent).toBe(true);
      const msg = await back.next('publish');
      expect(msg.payload.toString()).toBe('kept');
      expect(msg.qos).toBe(1);
      back.send({ cmd: 'puback', messageId: msg.messageId! });
      back.send({ cmd: 'disconnect', reasonCode: 0 });
      await back.waitClosed();
      expectNoTimerWarning(b);
    });

    it(`[MQTT-3.1.3-9] will delay ${name}: the will waits, and a reconnect cancels it`, async () => {
      const b = await start();
      const clientId = `longwill-${uid()}`;
      const topic = `longwill/${uid()}`;
      const watcher = await RawClient.connect(b.port, 5);
      await watcher.handshake();
      watcher.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 0 }] });
      await watcher.next('suback');
      const connect = {
        clientId,
        clean: false,
        properties: { sessionExpiryInterval: 0xffffffff },
        will: { topic, payload: Buffer.from('will'), qos: 0 as const, retain: false, properties: { willDelayInterval: seconds } },
      };
      const c = await RawClient.connect(b.port, 5);
      await c.handshake(connect);
      c.end(); // abnormal: the will is due, after its delay
      await b.proc.waitForStderr(new RegExp(`Client ${clientId} closed its connection`));
      // a message published after the close arrives first: the will did not go out at once
      const pub = await RawClient.connect(b.port, 5);
      await pub.handshake();
      pub.send({ cmd: 'publish', topic, payload: Buffer.from('marker'), qos: 1, retain: false, dup: false, messageId: 1 });
      await pub.next('puback');
      expect((await watcher.next('publish')).payload.toString()).toBe('marker');
      const again = await RawClient.connect(b.port, 5);
      await again.handshake({ ...connect, will: undefined });
      // still nothing but the marker: a round trip through the broker after the reconnect
      pub.send({ cmd: 'publish', topic, payload: Buffer.from('marker2'), qos: 1, retain: false, dup: false, messageId: 2 });
      await pub.next('puback');
      expect((await watcher.next('publish')).payload.toString()).toBe('marker2');
      for (const x of [watcher, pub, again]) x.end();
      expectNoTimerWarning(b);
    });
  }

  it('persistent_client_expiration 1y (longer than setTimeout can wait) keeps a 3.1.1 persistent session', async () => {
    const b = (broker = await startBrokerProcess((_dir, port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistent_client_expiration 1y'], ['-v']));
    const clientId = `pce-${uid()}`;
    const topic = `pce/${uid()}`;
    const sub = await RawClient.connect(b.port, 4);
    await sub.handshake({ clientId, clean: false });
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] });
    await sub.next('suback');
    sub.send({ cmd: 'disconnect' });
    await sub.waitClosed();
    await b.proc.waitForStderr(new RegExp(`Client ${clientId} disconnected`));
    const pub = await RawClient.connect(b.port, 4);
    await pub.handshake();
    pub.send({ cmd: 'publish', topic, payload: Buffer.from('kept'), qos: 1, retain: false, dup: false, messageId: 1 });
    await pub.next('puback');
    const back = await RawClient.connect(b.port, 4);
    expect((await back.handshake({ clientId, clean: false })).sessionPresent).toBe(true);
    expect((await back.next('publish')).payload.toString()).toBe('kept');
    for (const x of [pub, back]) x.end();
    expect(b.proc.stderr).not.toMatch(/Expiring client/);
    expectNoTimerWarning(b);
  });

  it('persistent_client_expiration caps what a client asked for: a never-expiring session ends after it, as Mosquitto', async () => {
    const lines: string[] = [];
    let onLine = () => {};
    const log = new BrokerLog({ types: ['notice'], sinks: [{ write: (_t, _l, m) => (lines.push(m), onLine()) }] });
    const tb = await startTestBroker({ limits: { persistentClientExpiration: 1 }, log });
    try {
      const clientId = `pcecap-${uid()}`;
      const c = await RawClient.connect(tb.port, 5);
      await c.handshake({ clientId, clean: false, properties: { sessionExpiryInterval: 0xffffffff } });
      c.send({ cmd: 'disconnect', reasonCode: 0 });
      await c.waitClosed();
      const expired = `Expiring client ${clientId} due to timeout.`;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "${expired}" within 5 s; log: ${lines.join(' | ')}`)), 5000);
        onLine = () => lines.includes(expired) && (clearTimeout(timer), resolve());
        onLine();
      });
      expect(tb.broker.sessions.has(clientId)).toBe(false);
    } finally {
      await tb.stop();
    }
  });

  it('[MQTT-3.3.2-5] message expiry 0xFFFFFFFE s: a queued message is still delivered, with its interval counting down', async () => {
    const b = await start();
    const clientId = `longexp-${uid()}`;
    const topic = `longexp/${uid()}`;
    const sub = await RawClient.connect(b.port, 5);
    await sub.handshake({ clientId, clean: false, properties: { sessionExpiryInterval: 600 } });
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] });
    await sub.next('suback');
    sub.send({ cmd: 'disconnect', reasonCode: 0 });
    await sub.waitClosed();
    const pub = await RawClient.connect(b.port, 5);
    await pub.handshake();
    pub.send({ cmd: 'publish', topic, payload: Buffer.from('x'), qos: 1, retain: false, dup: false, messageId: 1, properties: { messageExpiryInterval: LONGEST_FINITE } });
    expect((await pub.next('puback')).reasonCode ?? 0).toBe(0);
    const back = await RawClient.connect(b.port, 5);
    expect((await back.handshake({ clientId, clean: false, properties: { sessionExpiryInterval: 600 } })).sessionPresent).toBe(true);
    const msg = await back.next('publish');
    expect(msg.payload.toString()).toBe('x');
    const left = msg.properties?.messageExpiryInterval ?? 0;
    expect(left).toBeGreaterThan(LONGEST_FINITE - 60);
    expect(left).toBeLessThanOrEqual(LONGEST_FINITE);
    for (const x of [pub, back]) x.end();
    expectNoTimerWarning(b);
  });
});

describeIfTool(['mosquitto_sub', 'mosquitto_pub'], 'long session expiry with mosquitto_sub -x 3000000 -c (issue 10)', () => {
  it('a QoS 1 message published while the session is offline is delivered on reconnect', async () => {
    const b = await start();
    const id = `mosq-long-${uid()}`;
    const topic = `mosqlong/${uid()}`;
    const common = ['-h', '127.0.0.1', '-p', String(b.port), '-V', 'mqttv5', '-i', id, '-c', '-x', '3000000', '-q', '1', '-t', topic];
    const subscribed = await runCmd('mosquitto_sub', [...common, '-E']);
    expect(subscribed.code).toBe(0);
    const pub = await runCmd('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(b.port), '-V', 'mqttv5', '-q', '1', '-t', topic, '-m', 'while away']);
    expect(pub.code).toBe(0);
    const back = await runCmd('mosquitto_sub', [...common, '-C', '1', '-W', '5']);
    expect(back.code).toBe(0);
    expect(back.stdout.toString()).toBe('while away\n');
    expectNoTimerWarning(b);
  });
});
