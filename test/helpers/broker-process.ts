import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * The process that runs the broker of a `mqtt broker` started with this pid: `mqtt broker` starts
 * it as its one child (src/commands/broker-heap.ts), unless it was opted out (MQTT_BROKER_HEAP).
 * Its CPU, memory and syslog tag are the broker's.
 */
export function brokerWorkerPid(launcherPid: number): number {
  try {
    const children = readFileSync(`/proc/${launcherPid}/task/${launcherPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    if (children.length === 1) return Number(children[0]);
  } catch {
    // gone, or no such file on this kernel: the launcher is all there is
  }
  return launcherPid;
}
