import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { brokerWorkerPid } from '../helpers/broker-process.js';
import { runMqtt, spawnMqtt, type Running } from '../helpers/cli.js';

// `mqtt broker --persist DIR` / `persistence true` as real processes, stopped with SIGTERM and
// killed with SIGKILL, then started again on the same store.

const dirs: string[] = [];
const running: Running[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    r.kill('SIGKILL');
    await r.done;
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'mqtt-persist-'));
  dirs.push(d);
  return d;
}

async function startBroker(args: string[], cwd?: string): Promise<{ proc: Running; port: number }> {
  const proc = spawnMqtt(['broker', '-p', '0', ...args], { timeoutMs: 120_000, cwd });
  running.push(proc);
  const out = await Promise.race([
    proc.waitForStdout(/^\d+\n/, 30_000),
    proc.done.then((r) => {
      throw new Error(`broker exited ${r.code}: ${r.stderr}`);
    }),
  ]);
  return { proc, port: Number(out.trim()) };
}

/** SIGTERM: a clean stop. SIGKILL: the process that holds the store dies at once, then its launcher. */
async function stop(proc: Running, how: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  if (how === 'SIGKILL') {
    const worker = brokerWorkerPid(proc.proc.pid!);
    if (worker !== proc.proc.pid) process.kill(worker, 'SIGKILL');
  }
  proc.kill(how);
  const r = await proc.done;
  running.splice(running.indexOf(proc), 1);
  if (how === 'SIGTERM') expect(r.code).toBe(0);
}

const pub = async (port: number, version: string, args: string[]) => {
  const r = await runMqtt(['pub', '-p', String(port), '-V', version, ...args]);
  expect(r.code, r.stderr).toBe(0);
};

describe.each([
  ['mqttv311', 'SIGTERM'],
  ['mqttv311', 'SIGKILL'],
  ['mqttv5', 'SIGTERM'],
  ['mqttv5', 'SIGKILL'],
] as const)('retained messages survive a restart (%s, %s)', (version, how) => {
  it('kept with their v5 properties and remaining expiry; a cleared one stays cleared; the PUBACK meant it was on disk', async () => {
    const dir = tempDir();
    const a = await startBroker(['--persist', dir]);
    const v5 = version === 'mqttv5';
    const props = v5 ? ['-D', 'publish', 'content-type', 'text/kept', '-D', 'publish', 'message-expiry-interval', '3600'] : [];
    await pub(a.port, version, ['-t', 'p/keep', '-m', 'kept', '-r', '-q', '1', ...props]);
    await pub(a.port, version, ['-t', 'p/gone', '-m', 'soon cleared', '-r', '-q', '2']);
    await pub(a.port, version, ['-t', 'p/gone', '-n', '-r', '-q', '1']);
    // right after the last PUBACK: with kill -9 nothing after it may be relied on
    await stop(a.proc, how);

    const b = await startBroker(['--persist', dir]);
    const sub = spawnMqtt(['sub', '-p', String(b.port), '-V', version, '-t', 'p/#', '-C', '2', '-v', '-F', v5 ? '%t %p %C %E' : '%t %p'], { timeoutMs: 30_000 });
    running.push(sub);
    await sub.waitForStdout(/p\/keep/);
    // a marker published after the subscription: the retained messages came before it
    await pub(b.port, version, ['-t', 'p/marker', '-m', 'm']);
    const r = await sub.done;
    running.splice(running.indexOf(sub), 1);
    const lines = r.stdout.toString().trim().split('\n');
    expect(lines[1]!.trimEnd()).toBe('p/marker m');
    if (v5) {
      const [topic, payload, type, expiry] = lines[0]!.split(' ');
      expect([topic, payload, type]).toEqual(['p/keep', 'kept', 'text/kept']);
      // [MQTT-3.3.2-6] the interval left, counted down across the restart
      expect(Number(expiry)).toBeGreaterThan(3500);
      expect(Number(expiry)).toBeLessThanOrEqual(3600);
    } else expect(lines[0]).toBe('p/keep kept');
    await stop(b.proc, 'SIGTERM');
  });
});

describe.each([
  ['mqttv311', 'SIGTERM'],
  ['mqttv311', 'SIGKILL'],
  ['mqttv5', 'SIGTERM'],
  ['mqttv5', 'SIGKILL'],
] as const)('persistent sessions survive a restart (%s, %s)', (version, how) => {
  it('[MQTT-3.1.2-4] the session, its subscription and its queued QoS 1/2 messages come back: what was queued before and published after the restart reaches the client, which subscribed to nothing new; a clean one is gone', async () => {
    const dir = tempDir();
    const a = await startBroker(['--persist', dir]);
    const id = `durable-${version}-${how}`;
    const v5 = version === 'mqttv5';
    const expiry = v5 ? ['-x', '3600'] : [];
    // -E: out once SUBACK is in; with durable persistence the subscription is on disk by then
    const first = await runMqtt(['sub', '-p', String(a.port), '-V', version, '-c', '-i', id, ...expiry, '-q', '1', '-t', 'sess/#', '-E']);
    expect(first.code, first.stderr).toBe(0);
    const clean = await runMqtt(['sub', '-p', String(a.port), '-V', version, '-i', `${id}-clean`, '-q', '1', '-t', 'sess/#', '-E']);
    expect(clean.code, clean.stderr).toBe(0);
    // queued for the offline client: the PUBACK/PUBCOMP meant its copy was on disk
    await pub(a.port, version, ['-t', 'sess/q1', '-m', 'queued qos 1', '-q', '1']);
    await pub(a.port, version, ['-t', 'sess/q2', '-m', 'queued qos 2', '-q', '2']);
    await stop(a.proc, how);

    const b = await startBroker(['--persist', dir, '-v']);
    await pub(b.port, version, ['-t', 'sess/x', '-m', 'while away', '-q', '1']);
    // the client comes back subscribing to an unrelated topic: the message can only come from the restored subscription
    const back = await runMqtt(['sub', '-p', String(b.port), '-V', version, '-c', '-i', id, ...expiry, '-q', '2', '-t', 'unrelated', '-C', '3', '-W', '20', '-v']);
    // in the order they were published, each once
    expect(back.stdout.toString()).toBe('sess/q1 queued qos 1\nsess/q2 queued qos 2\nsess/x while away\n');
    expect(b.proc.stderr).toMatch(/1 sessions, 2 queued messages and 0 delayed wills restored/);
    // delivered and acknowledged: gone from the store, a third start has nothing queued
    await stop(b.proc, 'SIGTERM');
    const c = await startBroker(['--persist', dir, '-v']);
    expect(c.proc.stderr).toMatch(/1 sessions, 0 queued messages and 0 delayed wills restored/);
    await stop(c.proc, how);
  });
});

describe('persistence: packet ids', () => {
  it("a restored session numbers its messages on from where it was, as Mosquitto's last_mid (06-bridge-clean-session)", async () => {
    const dir = tempDir();
    const a = await startBroker(['--persist', dir]);
    const sub = spawnMqtt(['sub', '-p', String(a.port), '-c', '-i', 'numbered', '-q', '1', '-t', 'ids/#', '-C', '2', '-d']);
    await sub.waitForStdout(/Subscribed/);
    await pub(a.port, 'mqttv311', ['-t', 'ids/1', '-m', 'one', '-q', '1']);
    await pub(a.port, 'mqttv311', ['-t', 'ids/2', '-m', 'two', '-q', '1']);
    const first = await sub.done;
    expect(first.stdout.toString()).toMatch(/received PUBLISH \(d0, q1, r0, m1, 'ids\/1'[\s\S]*received PUBLISH \(d0, q1, r0, m2, 'ids\/2'/);
    await stop(a.proc, 'SIGTERM');
    const b = await startBroker(['--persist', dir]);
    await pub(b.port, 'mqttv311', ['-t', 'ids/3', '-m', 'three', '-q', '1']);
    const back = await runMqtt(['sub', '-p', String(b.port), '-c', '-i', 'numbered', '-q', '1', '-t', 'unrelated', '-C', '1', '-W', '20', '-d']);
    expect(back.stdout.toString()).toMatch(/received PUBLISH \(d0, q1, r0, m3, 'ids\/3'/);
    await stop(b.proc, 'SIGTERM');
  });
});

describe('persistence: where it writes, and what it refuses', () => {
  it('without persistence nothing touches the disk', async () => {
    const dir = tempDir();
    const a = await startBroker([], dir);
    await pub(a.port, 'mqttv5', ['-t', 'r', '-m', 'x', '-r', '-q', '1']);
    await stop(a.proc, 'SIGTERM');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('persistence true + persistence_location + persistence_file in a config file', async () => {
    const dir = tempDir();
    const conf = path.join(dir, 'broker.conf');
    // no listener line: -p 0 gives local-only mode a free port
    writeFileSync(conf, `allow_anonymous true\npersistence true\npersistence_location ${dir}/data/\npersistence_file broker.db\n`);
    const a = await startBroker(['-c', conf]);
    await pub(a.port, 'mqttv311', ['-t', 'c', '-m', 'from conf', '-r', '-q', '1']);
    await stop(a.proc, 'SIGKILL');
    expect(existsSync(path.join(dir, 'data', 'broker.db'))).toBe(true);
    const b = await startBroker(['-c', conf]);
    const r = await runMqtt(['sub', '-p', String(b.port), '-t', 'c', '-C', '1', '-W', '20']);
    expect(r.stdout.toString()).toBe('from conf\n');
    await stop(b.proc, 'SIGTERM');
  });

  it('a store that is not one: exit 1, one line naming the file, the file left as it was', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'mqtt-broker.lmdb');
    const bytes = randomBytes(50_000);
    writeFileSync(file, bytes);
    const r = await runMqtt(['broker', '-p', '0', '--persist', dir], { timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([`Error: ${file} is not a persistence store this broker wrote (corrupt, or another program's file): move it away to start empty, or restore it from a backup`]);
    expect(readFileSync(file).equals(bytes)).toBe(true);
  });
});
