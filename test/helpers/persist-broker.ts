import { brokerWorkerPid } from './broker-process.js';
import { spawnMqtt, type Running } from './cli.js';

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
