import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MqttClient } from '../../src/client/mqtt-client.js';
import type { QoS } from '../../src/core/protocol/types.js';
import { testClientConfig } from './client-config.js';
import { Inbox } from './inbox.js';
import { freePort } from './ports.js';

export interface MosquittoOptions {
  /** extra mosquitto.conf lines, appended after the default listener */
  config?: string[];
  /** lines that replace the default `listener PORT 127.0.0.1` + `allow_anonymous true` */
  listenerConfig?: (port: number, dir: string) => string[];
}

export interface Mosquitto {
  port: number;
  dir: string;
  url: string;
  proc: ChildProcess;
  /** everything mosquitto logged so far */
  log(): string;
  /** resolves when the log contains the text (event-driven, no sleeps) */
  waitForLog(text: string | RegExp, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a real Mosquitto on a free port with its config in a temp dir; resolves once it runs. */
export async function startMosquitto(opts: MosquittoOptions = {}): Promise<Mosquitto> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mqtt-mosq-'));
  const port = await freePort();
  const lines = [
    'log_dest stderr',
    'log_type all',
    'persistence false',
    ...(opts.listenerConfig ? opts.listenerConfig(port, dir) : [`listener ${port} 127.0.0.1`, 'allow_anonymous true']),
    ...(opts.config ?? []),
  ];
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(conf, lines.join('\n') + '\n');
  const proc = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const waiters: Array<() => void> = [];
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (d: string) => {
    log += d;
    for (const w of [...waiters]) w();
  });
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));

  const waitForLog = (text: string | RegExp, timeoutMs = 10_000) =>
    new Promise<void>((resolve, reject) => {
      const has = () => (typeof text === 'string' ? log.includes(text) : text.test(log));
      if (has()) return resolve();
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(check), 1);
        reject(new Error(`mosquitto log never showed ${text}; log:\n${log}`));
      }, timeoutMs);
      const check = () => {
        if (has()) {
          clearTimeout(timer);
          waiters.splice(waiters.indexOf(check), 1);
          resolve();
        }
      };
      waiters.push(check);
      proc.once('exit', () => check());
    });

  await Promise.race([
    waitForLog(/running/),
    exited.then(() => {
      throw new Error(`mosquitto exited at start:\n${log}`);
    }),
  ]);
  return {
    port,
    dir,
    url: `mqtt://127.0.0.1:${port}`,
    proc,
    log: () => log,
    waitForLog,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A Mosquitto on a given port (a bridge's remote that comes up late), anonymous, with a 3.1.1
 * subscriber to `filter` in place and what it receives; stop() ends the subscriber, then Mosquitto.
 */
export async function startSubscribedMosquitto(port: number, filter: string, qos: QoS): Promise<{ remote: Mosquitto; inbox: Inbox; stop(): Promise<void> }> {
  const remote = await startMosquitto({ listenerConfig: () => [`listener ${port} 127.0.0.1`, 'allow_anonymous true'] });
  const sub = new MqttClient(testClientConfig(port, 4));
  const inbox = new Inbox(sub);
  try {
    await sub.connect();
    await sub.subscribe([{ topic: filter, qos }]);
  } catch (err) {
    sub.destroy();
    await remote.stop();
    throw err;
  }
  return {
    remote,
    inbox,
    async stop() {
      await sub.disconnect().catch(() => undefined);
      await remote.stop();
    },
  };
}
