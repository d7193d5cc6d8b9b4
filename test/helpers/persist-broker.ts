import { rmSync } from 'node:fs';
import { afterEach } from 'vitest';
import { brokerWorkerPid } from './broker-process.js';
import type { RawClient } from './broker.js';
import { spawnMqtt, type Running } from './cli.js';

/**
 * What a test file's cases make, ended after each case: raw clients closed, broker processes
 * killed (and awaited), store directories removed.
 */
export function endedAfterEach(): { dirs: string[]; procs: Running[]; clients: RawClient[] } {
  const made = { dirs: [] as string[], procs: [] as Running[], clients: [] as RawClient[] };
  afterEach(async () => {
    for (const c of made.clients.splice(0)) c.end();
    for (const p of made.procs.splice(0)) {
      p.kill('SIGKILL');
      await p.done;
    }
    for (const d of made.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return made;
}

export interface PersistBroker {
  proc: Running;
  port: number;
}

/**
 * `mqtt broker -p 0 --persist DIR` as a real process: ready once it printed its port (it opened
 * the store and restored it before listening). `single`: without the launcher process
 * (MQTT_BROKER_HEAP=keep), so one kill -9 ends the process that holds the store at once.
 */
export async function startPersistBroker(dir: string, opts: { single?: boolean; args?: string[] } = {}): Promise<PersistBroker> {
  const proc = spawnMqtt(['broker', '-p', '0', '--persist', dir, ...(opts.args ?? [])], {
    timeoutMs: 120_000,
    env: opts.single ? { MQTT_BROKER_HEAP: 'keep' } : {},
  });
  const out = await Promise.race([
    proc.waitForStdout(/^\d+\n/, 30_000),
    proc.done.then((r) => {
      throw new Error(`broker exited ${r.code}: ${r.stderr}`);
    }),
  ]);
  return { proc, port: Number(out.trim()) };
}

/** SIGTERM: a clean stop (exit 0 required). SIGKILL: the process that holds the store dies at once, then its launcher. */
export async function stopPersistBroker(proc: Running, how: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  if (how === 'SIGKILL') {
    const worker = brokerWorkerPid(proc.proc.pid!);
    if (worker !== proc.proc.pid) process.kill(worker, 'SIGKILL');
  }
  proc.kill(how);
  const r = await proc.done;
  if (how === 'SIGTERM' && r.code !== 0) throw new Error(`broker exited ${r.code} on SIGTERM: ${r.stderr}`);
}
