// start_type lazy (issue 13): a bridge that stops after idle_timeout seconds without traffic and
// starts again once `threshold` messages wait for the remote, QoS 0 included (Mosquitto 2.0's
// db__message_insert queues every QoS for a lazy bridge that is down and sets lazy_reconnect at
// the threshold; bridge__new connects every bridge at start). Real processes: our broker as the
// edge, a real Mosquitto as the remote.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { MqttClient } from '../../src/client/mqtt-client.js';
import { startBrokerProcess } from '../helpers/broker-process.js';
import { runMqtt, type Running } from '../helpers/cli.js';
import { testClientConfig } from '../helpers/client-config.js';
import { Inbox } from '../helpers/inbox.js';
import { startMosquitto, startSubscribedMosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mqtt-bridge-lazy-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Our broker as the edge, `-v`, with these bridge lines; its client port. */
async function startEdge(bridgeLines: string[]): Promise<{ edge: Running; edgePort: number }> {
  const b = await startBrokerProcess((_dir, port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous true', ...bridgeLines], ['-v']);
  cleanups.push(() => b.stop());
  return { edge: b.proc, edgePort: b.port };
}

function count(text: string, re: RegExp): number {
  return text.match(new RegExp(re.source, 'g'))?.length ?? 0;
}

describeIfTool(['mosquitto'], 'bridge start_type lazy: idle_timeout stops it, threshold starts it again', () => {
  it('stops after idle_timeout, queues what comes (QoS 0 and 1), starts again at the threshold and delivers all of it in order', async () => {
    const remote = await startMosquitto();
    cleanups.push(() => remote.stop());
    const watcher = new MqttClient(testClientConfig(remote.port, 4));
    const inbox = new Inbox(watcher);
    await watcher.connect();
    cleanups.push(() => watcher.disconnect());
    await watcher.subscribe([
      { topic: 'data/#', qos: 1 },
      { topic: 'lazy/state', qos: 1 },
    ]);

    const bridgeLines = [
        'connection edge',
        `address 127.0.0.1:${remote.port}`,
        'start_type lazy',
        'threshold 5',
        'idle_timeout 1',
        'restart_timeout 1',
        'remote_clientid edge-lazy',
        'notification_topic lazy/state',
        'topic data/# out 1',
      ];
    const states = () => inbox.got.filter((p) => p.topic === 'lazy/state').map((p) => p.payload.toString());

    // connected at start, as Mosquitto 2.0 connects every bridge; then idle: stopped, state 0 at the remote
    const { edge, edgePort } = await startEdge(bridgeLines);
    await edge.waitForStderr(/Bridge edge connected to/);
    await edge.waitForStderr(/Bridge edge has been idle for 1 s, disconnecting/, 10_000);
    await inbox.until('state 0 at the remote after the idle stop', () => states().at(-1) === '0');
    await remote.waitForLog(/Client edge-lazy disconnected\./);

    const pub = new MqttClient(testClientConfig(edgePort, 4));
    await pub.connect();
    cleanups.push(() => pub.disconnect());
    // below the threshold: four messages wait at the edge, the bridge stays down
    await pub.publish('data/a', Buffer.from('1'), { qos: 1, retain: false });
    await pub.publish('data/a', Buffer.from('2'), { qos: 0, retain: false });
    await pub.publish('data/a', Buffer.from('3'), { qos: 1, retain: false });
    await pub.publish('data/a', Buffer.from('4'), { qos: 0, retain: false });
    await pub.publish('other/x', Buffer.from('not bridged'), { qos: 1, retain: false });
    expect(count(edge.stderr, /Connecting bridge edge/)).toBe(1);
    expect(inbox.got.filter((p) => p.topic.startsWith('data/'))).toEqual([]);
    // the fifth starts it; all five reach the remote, in order
    await pub.publish('data/a', Buffer.from('5'), { qos: 1, retain: false });
    await edge.waitForStderr(/5 messages waiting \(threshold 5\), starting it/);
    await inbox.until('the five queued messages at the remote', () => inbox.got.filter((p) => p.topic === 'data/a').length >= 5);
    expect(inbox.got.filter((p) => p.topic === 'data/a').map((p) => p.payload.toString())).toEqual(['1', '2', '3', '4', '5']);
    expect(count(edge.stderr, /Bridge edge connected to/)).toBe(2);
    await inbox.until('state 1 at the remote after the lazy start', () => states().at(-1) === '1');

    // idle again: stopped a second time
    await edge.waitForStderr((s) => count(s, /has been idle for 1 s, disconnecting/) === 2, 10_000);
    await inbox.until('state 0 after the second idle stop', () => states().at(-1) === '0');
  }, 60_000);

  it('with the remote down at the threshold, retries after restart_timeout when messages keep waiting, and loses no QoS 1 message', async () => {
    const remotePort = await freePort();
    const bridgeLines = [
        'connection edge',
        `address 127.0.0.1:${remotePort}`,
        'start_type lazy',
        'threshold 2',
        'restart_timeout 1',
        'notifications false',
        'topic data/# out 1',
      ];
    // nothing listens yet: the start-up attempt fails
    const { edge, edgePort } = await startEdge(bridgeLines);
    await edge.waitForStderr(/Error creating bridge edge/);
    const pub = new MqttClient(testClientConfig(edgePort, 4));
    await pub.connect();
    cleanups.push(() => pub.disconnect());
    for (let i = 1; i <= 3; i++) await pub.publish('data/b', Buffer.from(String(i)), { qos: 1, retain: false });
    await edge.waitForStderr((s) => count(s, /Error creating bridge edge/) >= 2, 10_000);

    const { inbox, stop: stopRemote } = await startSubscribedMosquitto(remotePort, 'data/#', 1);
    cleanups.push(stopRemote);
    // messages still wait above the threshold: the next check after restart_timeout connects
    await edge.waitForStderr(/Bridge edge connected to/, 15_000);
    await inbox.until('the three messages', () => inbox.got.length >= 3);
    expect(inbox.got.map((p) => p.payload.toString())).toEqual(['1', '2', '3']);
  }, 60_000);
});

it('idle_timeout and threshold without start_type lazy, and lazy with local_cleansession true, are start-up errors', async () => {
  const dir = tempDir();
  const cases: Array<[string[], RegExp]> = [
    [['idle_timeout 5'], /idle_timeout" only applies to start_type lazy/],
    [['start_type once', 'threshold 5'], /threshold" only applies to start_type lazy \(this bridge is once\)/],
    [['start_type lazy', 'local_cleansession true'], /start_type lazy needs local_cleansession false/],
    [['start_type lazy', 'cleansession true'], /start_type lazy needs local_cleansession false/],
  ];
  const port = await freePort();
  for (const [lines, error] of cases) {
    const conf = path.join(dir, 'bad.conf');
    writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'connection edge', 'address 127.0.0.1:1', 'topic a out', ...lines].join('\n') + '\n');
    const r = await runMqtt(['broker', '-c', conf], { timeoutMs: 20_000 });
    expect(r.code, `${lines.join('; ')}: ${r.stderr}`).not.toBe(0);
    expect(r.stderr).toMatch(error);
    // Mosquitto's two lines: the error, then where it was found
    expect(r.stderr).toMatch(/Error found at .*bad\.conf:\d+\./);
  }
}, 60_000);
