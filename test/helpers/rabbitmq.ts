/**
 * A real RabbitMQ node with its MQTT plugin (Debian's rabbitmq-server, MQTT 3.1.1), the clustered
 * broker a user bridges into when one machine is not enough. Each node is the test's own: free
 * ports, its data, logs, config and Erlang cookie (HOME) in a temp dir, its own epmd on a free port
 * (ERL_EPMD_PORT), so it touches neither system paths nor a system RabbitMQ service or epmd.
 *
 * Debian's /usr/sbin/rabbitmq-server wrapper switches to the rabbitmq user and logs to
 * /var/log/rabbitmq: we run the script it wraps, /usr/lib/rabbitmq/bin/rabbitmq-server, as
 * ourselves. Start-up takes seconds (the MQTT plugin waits 3-6 s on a fresh node for cluster
 * peers before electing its Raft leader): start one node per test file.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './ports.js';

export const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
/** the peer list for describeIfTool: the script we run and the epmd we stop */
export const RABBITMQ_PEERS = [RABBITMQ_SERVER, 'epmd'];

export interface RabbitMqOptions {
  /** extra rabbitmq.conf lines (the new-style key = value format) */
  config?: string[];
  /** how long start-up may take (default 90 s: a loaded 2-core machine) */
  startTimeoutMs?: number;
}

export interface RabbitMq {
  /** the MQTT listener's port on 127.0.0.1 */
  port: number;
  url: string;
  dir: string;
  proc: ChildProcess;
  /** everything the node logged so far (its console log) */
  log(): string;
  /** resolves when the log contains the text (event-driven, with a deadline) */
  waitForLog(text: string | RegExp, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

let nodes = 0;

/** Starts a RabbitMQ node with rabbitmq_mqtt on free ports; resolves once its MQTT listener runs. */
export async function startRabbitMq(opts: RabbitMqOptions = {}): Promise<RabbitMq> {
  // a port taken by someone else between freePort() and the node's bind: one more try on new ports
  try {
    return await startOnce(opts);
  } catch (err) {
    if (!(err instanceof PortTaken)) throw err;
    return startOnce(opts);
  }
}

class PortTaken extends Error {}

async function startOnce(opts: RabbitMqOptions): Promise<RabbitMq> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mqtt-rabbitmq-'));
  const [port, amqpPort, distPort, epmdPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const home = path.join(dir, 'home');
  for (const d of ['home', 'mnesia', 'log']) mkdirSync(path.join(dir, d));
  const conf = path.join(dir, 'rabbitmq.conf');
  writeFileSync(
    conf,
    [
      `listeners.tcp.default = 127.0.0.1:${amqpPort}`,
      `mqtt.listeners.tcp.default = 127.0.0.1:${port}`,
      'mqtt.allow_anonymous = true',
      // the console log is what waitForLog reads; nothing goes to files
      'log.console = true',
      'log.console.level = info',
      'log.file = false',
      ...(opts.config ?? []),
    ].join('\n') + '\n',
  );
  writeFileSync(path.join(dir, 'enabled_plugins'), '[rabbitmq_mqtt].\n');
  // an empty rabbitmq-env.conf of ours: /etc/rabbitmq's is not read
  writeFileSync(path.join(dir, 'rabbitmq-env.conf'), '');
  const nodeName = `mqtt-test-${process.pid}-${++nodes}-${path.basename(dir).slice(-6)}@localhost`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    LANG: 'C.UTF-8',
    // the Erlang cookie is made in $HOME
    HOME: home,
    RABBITMQ_CONF_ENV_FILE: path.join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: conf,
    RABBITMQ_ADVANCED_CONFIG_FILE: path.join(dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(dir, 'log'),
    RABBITMQ_PID_FILE: path.join(dir, 'rabbitmq.pid'),
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(distPort),
    ERL_EPMD_PORT: String(epmdPort),
  };
  // its own process group: the start script and the Erlang VM it runs can be stopped together
  // if this process ends without stop() (a crashed or interrupted test run)
  const proc = spawn(RABBITMQ_SERVER, [], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const orphaned = () => {
    try {
      process.kill(-proc.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', orphaned);
  let log = '';
  const waiters: Array<() => void> = [];
  const onData = (d: string) => {
    log += d;
    for (const w of [...waiters]) w();
  };
  proc.stdout!.setEncoding('utf8').on('data', onData);
  proc.stderr!.setEncoding('utf8').on('data', onData);
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  const running = () => proc.exitCode === null && proc.signalCode === null;

  const waitForLog = (text: string | RegExp, timeoutMs = 10_000) =>
    new Promise<void>((resolve, reject) => {
      const has = () => (typeof text === 'string' ? log.includes(text) : text.test(log));
      if (has()) return resolve();
      const done = () => {
        clearTimeout(timer);
        waiters.splice(waiters.indexOf(check), 1);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`RabbitMQ's log never showed ${text} within ${timeoutMs} ms; log:\n${tail(log)}`));
      }, timeoutMs);
      const check = () => {
        if (has()) {
          done();
          resolve();
        } else if (!running()) {
          done();
          reject(new Error(`RabbitMQ exited (${proc.exitCode ?? proc.signalCode}) before its log showed ${text}; log:\n${tail(log)}`));
        }
      };
      waiters.push(check);
      proc.once('exit', () => check());
    });

  /** Stops the node by its PID (the start script passes SIGTERM on to the Erlang VM), then our epmd. */
  const stop = async () => {
    if (running()) {
      proc.kill('SIGTERM');
      const killed = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killed);
    }
    process.removeListener('exit', orphaned);
    // the epmd this node started on its own port (not a system one): ask it to stop
    spawnSync('epmd', ['-port', String(epmdPort), '-kill'], { stdio: 'ignore', timeout: 5000 });
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    // the MQTT listener starts last, after the plugin's Raft cluster is up
    await waitForLog(new RegExp(`started MQTT TCP listener on 127\\.0\\.0\\.1:${port}`), opts.startTimeoutMs ?? 90_000);
  } catch (err) {
    await stop();
    if (/eaddrinuse/i.test(log)) throw new PortTaken(String(err));
    throw err;
  }
  return { port, url: `mqtt://127.0.0.1:${port}`, dir, proc, log: () => log, waitForLog, stop };
}

function tail(log: string): string {
  return log.split('\n').slice(-40).join('\n');
}
