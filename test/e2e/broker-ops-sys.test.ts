import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { runCmd, runMqtt } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';

const SYS = ['allow_anonymous true', 'sys_interval 1'];

/** Topics and values of one retained snapshot of $SYS/# (the subscriber stops when the burst ends). */
async function snapshot(port: number, filter = '$SYS/#'): Promise<Map<string, string>> {
  // a tab between topic and value: "retained messages/count" has a space in its name
  const r = await runMqtt(['sub', '-p', String(port), '-t', filter, '-F', '%t\t%p', '--retained-only'], { timeoutMs: 20_000 });
  expect(r.code, r.stderr).toBe(0);
  const out = new Map<string, string>();
  for (const line of r.stdout.toString().split('\n')) {
    const [topic, value] = line.split('\t');
    if (topic && value !== undefined) out.set(topic, value);
  }
  return out;
}

/** Resolves after the broker has published `n` more uptime updates (each one is an update of the tree). */
async function updates(port: number, n: number): Promise<void> {
  const r = await runMqtt(['sub', '-p', String(port), '-t', '$SYS/broker/uptime', '-C', String(n + 1)], { timeoutMs: 20_000 });
  expect(r.code, r.stderr).toBe(0);
}

describe('$SYS: what clients publish, not what the broker publishes', () => {
  let b: BrokerProcess;
  beforeAll(async () => {
    b = await startBrokerProcess((_d, port) => [`listener ${port} 127.0.0.1`, ...SYS]);
  });
  afterAll(async () => {
    await b?.stop();
  });

  it('publish/messages/received stays 0 while only the broker publishes, then counts client PUBLISHes and their bytes', async () => {
    await updates(b.port, 2);
    const idle = await snapshot(b.port, '$SYS/broker/publish/#');
    expect(idle.get('$SYS/broker/publish/messages/received')).toBe('0');
    expect(idle.get('$SYS/broker/publish/bytes/received')).toBe('0');
    for (const m of ['one', 'two', 'three']) {
      const r = await runMqtt(['pub', '-p', String(b.port), '-t', 'counted', '-m', m]);
      expect(r.code, r.stderr).toBe(0);
    }
    await updates(b.port, 2);
    const after = await snapshot(b.port, '$SYS/broker/publish/#');
    expect(after.get('$SYS/broker/publish/messages/received')).toBe('3');
    expect(after.get('$SYS/broker/publish/bytes/received')).toBe('11');
  });

  it('load averages in Mosquitto\'s format, clients counted', async () => {
    const tree = await snapshot(b.port);
    for (const [topic, value] of tree) if (topic.includes('/load/')) expect(value, topic).toMatch(/^\d+\.\d\d$/);
    expect(tree.get('$SYS/broker/clients/connected')).toMatch(/^\d+$/);
    expect(Number(tree.get('$SYS/broker/clients/maximum'))).toBeGreaterThanOrEqual(1);
    expect(tree.get('$SYS/broker/uptime')).toMatch(/^\d+ seconds$/);
    expect(Number(tree.get('$SYS/broker/heap/current'))).toBeGreaterThan(0);
  });
});

describeIfTool(['mosquitto', 'mosquitto_sub'], '$SYS: the tree Mosquitto 2.0 publishes', () => {
  let mosq: Mosquitto;
  let b: BrokerProcess;
  beforeAll(async () => {
    mosq = await startMosquitto({ config: ['sys_interval 1'] });
    b = await startBrokerProcess((_d, port) => [`listener ${port} 127.0.0.1`, ...SYS]);
  });
  afterAll(async () => {
    await mosq?.stop();
    await b?.stop();
  });

  it('the same topic names, so dashboards made for Mosquitto read ours unchanged', async () => {
    await Promise.all([updates(mosq.port, 2), updates(b.port, 2)]);
    const [theirs, ours] = await Promise.all([snapshot(mosq.port), snapshot(b.port)]);
    expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
  });

  it('the same QoS 2 for a QoS 2 subscriber, retained', async () => {
    const get = (port: number) => runCmd('mosquitto_sub', ['-p', String(port), '-t', '$SYS/broker/uptime', '-q', '2', '-C', '1', '-F', '%q %r']);
    const [theirs, ours] = await Promise.all([get(mosq.port), get(b.port)]);
    expect(ours.stdout.toString()).toBe(theirs.stdout.toString());
    expect(ours.stdout.toString()).toBe('2 1\n');
  });
});
