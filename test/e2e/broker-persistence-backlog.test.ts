import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runMqtt } from '../helpers/cli.js';
import { startPersistBroker, stopPersistBroker, type PersistBroker } from '../helpers/persist-broker.js';

// A restored session's messages stay in the store until its client returns (they are not read at
// start-up): what is published to it meanwhile goes behind them there, bounded by
// max_queued_messages as a queue in memory is. Real processes, the worker killed with SIGKILL.

const dirs: string[] = [];
const brokers: PersistBroker[] = [];
afterEach(async () => {
  for (const b of brokers.splice(0)) await stopPersistBroker(b.proc, 'SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function startBroker(dir: string, conf: string): Promise<PersistBroker> {
  const b = await startPersistBroker(dir, { args: ['-c', conf] });
  brokers.push(b);
  return b;
}

async function kill(b: PersistBroker): Promise<void> {
  brokers.splice(brokers.indexOf(b), 1);
  await stopPersistBroker(b.proc, 'SIGKILL');
}

const pub = async (port: number, version: string, args: string[]) => {
  const r = await runMqtt(['pub', '-p', String(port), '-V', version, ...args]);
  expect(r.code, r.stderr).toBe(0);
};

describe.each(['mqttv311', 'mqttv5'] as const)('a restored session whose client has not returned (%s)', (version) => {
  it('takes new messages behind its stored ones, up to max_queued_messages counting those; its client gets them in order, each once', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mqtt-persist-backlog-'));
    dirs.push(dir);
    const conf = path.join(dir, 'broker.conf');
    writeFileSync(conf, 'allow_anonymous true\nmax_queued_messages 3\n');
    const id = `backlog-${version}`;
    const expiry = version === 'mqttv5' ? ['-x', '3600'] : [];
    const a = await startBroker(dir, conf);
    const first = await runMqtt(['sub', '-p', String(a.port), '-V', version, '-c', '-i', id, ...expiry, '-q', '1', '-t', 'bl/#', '-E']);
    expect(first.code, first.stderr).toBe(0);
    await pub(a.port, version, ['-t', 'bl/1', '-m', 'before 1', '-q', '1']);
    await pub(a.port, version, ['-t', 'bl/2', '-m', 'before 2', '-q', '2']);
    await kill(a);

    const b = await startBroker(dir, conf);
    // the store holds 2 for it: one more fits, the next two are dropped as from a full queue
    for (const n of [3, 4, 5]) await pub(b.port, version, ['-t', `bl/${n}`, '-m', `after ${n}`, '-q', '1']);
    await kill(b);

    // and across a second restart they are all still there, none loaded in between
    const c = await startBroker(dir, conf);
    const back = await runMqtt(['sub', '-p', String(c.port), '-V', version, '-c', '-i', id, ...expiry, '-q', '1', '-t', 'unrelated', '-C', '3', '-W', '20', '-v']);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout.toString()).toBe('bl/1 before 1\nbl/2 before 2\nbl/3 after 3\n');
    // once delivered, nothing is left for it: a marker published now is the next thing it gets
    await pub(c.port, version, ['-t', 'bl/6', '-m', 'after 6', '-q', '1']);
    const again = await runMqtt(['sub', '-p', String(c.port), '-V', version, '-c', '-i', id, ...expiry, '-q', '1', '-t', 'unrelated', '-C', '1', '-W', '20', '-v']);
    expect(again.stdout.toString()).toBe('bl/6 after 6\n');
    await kill(c);
  });
});
