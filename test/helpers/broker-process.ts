import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnMqtt, type Running } from './cli.js';
import { freePort } from './ports.js';

export interface BrokerProcess {
  port: number;
  dir: string;
  proc: Running;
  stop(): Promise<void>;
}

/**
 * `mqtt broker -c <conf>` as a real process, its config in a temp dir; the config gets a free
 * port (in mosquitto.conf, `listener 0` means a unix socket). Ready when it logs "running".
 */
export async function startBrokerProcess(
  configLines: (dir: string, port: number) => string[] = (_dir, port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous true'],
  extraArgs: string[] = [],
): Promise<BrokerProcess> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mqtt-broker-'));
  const port = await freePort();
  const conf = path.join(dir, 'broker.conf');
  writeFileSync(conf, configLines(dir, port).join('\n') + '\n');
  const proc = spawnMqtt(['broker', '-c', conf, ...extraArgs], { timeoutMs: 120_000 });
  await Promise.race([
    proc.waitForStderr(/ running\n/),
    proc.done.then((r) => {
      throw new Error(`broker exited ${r.code}: ${r.stderr}`);
    }),
  ]);
  return {
    port,
    dir,
    proc,
    async stop() {
      proc.kill('SIGTERM');
      await proc.done;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
