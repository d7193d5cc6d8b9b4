import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCmd, runMqtt, spawnCmd, spawnMqtt, type Running } from '../helpers/cli.js';
import { brokerWorkerPid } from '../helpers/broker-process.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'mqtt-ops-log-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const running: Running[] = [];
afterAll(async () => {
  for (const r of running) r.proc.kill('SIGKILL');
});

/** A broker on a free port with these extra lines; resolves once its port accepts connections. */
async function broker(name: string, lines: string[], env?: Record<string, string>): Promise<{ b: Running; port: number; conf: string }> {
  const port = await freePort();
  const conf = path.join(scratch, `${name}.conf`);
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', ...lines].join('\n') + '\n');
  const b = spawnMqtt(['broker', '-c', conf], { env });
  running.push(b);
  await waitForPort(port, b);
  return { b, port, conf };
}

/** Resolves once something listens on the port; fails when the broker exits first or after 10 s. */
async function waitForPort(port: number, b: Running): Promise<void> {
  const deadline = Date.now() + 10_000;
  let exited = false;
  void b.done.then(() => (exited = true));
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (exited) throw new Error(`broker exited before listening on ${port}: ${b.stderr}`);
    if (Date.now() > deadline) throw new Error(`nothing listened on port ${port} within 10 s; stderr: ${b.stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until the file exists and its text passes the test (the broker writes it; no other event to wait on). */
async function waitForFile(file: string, test: RegExp, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (test.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`${file} never matched ${test}; it holds:\n${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stop(b: Running): Promise<void> {
  b.proc.kill('SIGTERM');
  expect((await b.done).code).toBe(0);
}

describe('log_dest file, log_timestamp_format, SIGHUP reopens the file', () => {
  it('lines go to the file with the formatted time; after logrotate moves it and SIGHUP, a new file', async () => {
    const file = path.join(scratch, 'broker.log');
    const { b } = await broker('file', ['log_dest stderr', `log_dest file ${file}`, 'log_timestamp_format %Y-%m-%dT%H:%M:%S']);
    await b.waitForStderr(/ running\n/);
    await waitForFile(file, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d: mqtt broker version \S+ running$/m);
    renameSync(file, `${file}.1`);
    b.proc.kill('SIGHUP');
    await b.waitForStderr(/Reloaded/);
    const fresh = await waitForFile(file, /Reloaded/);
    expect(fresh).not.toMatch(/running/);
    expect(readFileSync(`${file}.1`, 'utf8')).toMatch(/running/);
    await stop(b);
  });

  it('log_timestamp false: bare lines', async () => {
    const { b } = await broker('nots', ['log_timestamp false']);
    await b.waitForStderr(/running\n/);
    expect(b.stderr).toMatch(/^mqtt broker version \S+ running$/m);
    await stop(b);
  });

  it('a log file that cannot be opened: Mosquitto\'s error on stderr, then errors only, and the broker runs', async () => {
    const file = path.join(scratch, 'no-such-dir', 'x.log');
    const { b, port } = await broker('badfile', [`log_dest file ${file}`]);
    expect(b.stderr).toContain(`Error: Unable to open log file ${file} for writing.`);
    const pub = await runMqtt(['pub', '-p', String(port), '-t', 't', '-m', 'm']);
    expect(pub.code, pub.stderr).toBe(0);
    expect(b.stderr).not.toMatch(/New connection/);
    await stop(b);
  });
});

describe('log_type filters and connection_messages', () => {
  it('log_type subscribe alone: the subscribe line in Mosquitto\'s words, no notices', async () => {
    const { b, port } = await broker('types', ['log_type subscribe', 'log_type unsubscribe']);
    const sub = await runMqtt(['sub', '-p', String(port), '-t', 'a/#', '-i', 'watcher', '-E']);
    expect(sub.code, sub.stderr).toBe(0);
    await b.waitForStderr(/watcher 0 a\/#\n/);
    expect(b.stderr).not.toMatch(/running|New connection|New client/);
    await stop(b);
  });

  it('connection_messages false: no connect or disconnect lines, other notices stay', async () => {
    const { b, port } = await broker('noconn', ['connection_messages false', 'log_type all']);
    await b.waitForStderr(/running\n/);
    const pub = await runMqtt(['pub', '-p', String(port), '-t', 't', '-m', 'm', '-i', 'quiet']);
    expect(pub.code, pub.stderr).toBe(0);
    const sub = await runMqtt(['sub', '-p', String(port), '-t', 'x', '-i', 'marker', '-E']);
    expect(sub.code, sub.stderr).toBe(0);
    await b.waitForStderr(/marker 0 x\n/);
    expect(b.stderr).not.toMatch(/New connection|New client connected|Client quiet disconnected|closed its connection/);
    await stop(b);
  });

  it('connection_messages true (default): Mosquitto\'s three lines', async () => {
    const { b, port } = await broker('conn', []);
    const pub = await runMqtt(['pub', '-p', String(port), '-t', 't', '-m', 'm', '-i', 'loud']);
    expect(pub.code, pub.stderr).toBe(0);
    await b.waitForStderr(/Client loud disconnected\.\n/);
    expect(b.stderr).toMatch(/New connection from 127\.0\.0\.1:\d+ on port \d+\./);
    expect(b.stderr).toMatch(/New client connected from 127\.0\.0\.1:\d+ as loud \(p2, c1, k60\)\./);
    await stop(b);
  });
});

/** Topic and payload (time stamp and ephemeral details replaced) of `sub -v` lines. */
function logLines(stdout: string): string[] {
  return stdout
    .trim()
    .split('\n')
    .map((l) => l.replace(/ \d+: /, ' T: ').replace(/127\.0\.0\.1:\d+/g, 'ADDR').replace(/port \d+/g, 'port P'));
}

describeIfTool(['mosquitto'], 'log_dest topic: $SYS/broker/log/<level> as Mosquitto publishes them', () => {
  it('the same topics and words for a subscribe and a client coming and going', async () => {
    const scenario = async (port: number) => {
      const sub = spawnMqtt(['sub', '-p', String(port), '-t', '$SYS/broker/log/#', '-v', '-C', '4', '-i', 'logwatch', '-W', '10']);
      await sub.waitForStdout(/M\/subscribe/);
      const pub = await runMqtt(['pub', '-p', String(port), '-t', 't', '-m', 'm', '-i', 'visitor']);
      expect(pub.code, pub.stderr).toBe(0);
      const r = await sub.done;
      expect(r.code, r.stderr).toBe(0);
      return logLines(r.stdout.toString());
    };
    const lines = ['log_dest topic', 'log_type notice', 'log_type subscribe'];
    const mosq = await startMosquitto({ config: lines });
    const { b, port } = await broker('topic', ['log_dest topic', 'log_dest stderr', 'log_type notice', 'log_type subscribe']);
    try {
      const theirs = await scenario(mosq.port);
      const ours = await scenario(port);
      expect(ours[0]).toBe('$SYS/broker/log/M/subscribe T: logwatch 0 $SYS/broker/log/#');
      expect(ours).toEqual(theirs);
    } finally {
      await mosq.stop();
      await stop(b);
    }
  });
});

describe('log_dest syslog', () => {
  it('without a syslog socket the broker says so at start and runs', async () => {
    const missing = path.join(scratch, 'no-syslog.sock');
    const { b } = await broker('nosyslog', ['log_dest syslog', 'log_dest stderr'], { MQTT_SYSLOG_SOCKET: missing });
    await b.waitForStderr(/running\n/);
    expect(b.stderr).toContain(`Warning: log_dest syslog: there is no syslog socket at ${missing} on this system; nothing is logged to syslog.`);
    await stop(b);
  });
});

describeIfTool(['python3', 'logger'], 'log_dest syslog with a syslog socket', () => {
  it('lines arrive with their priority (log_facility 2: local2), tagged mqtt[pid]', async () => {
    const socket = path.join(scratch, 'syslog.sock');
    // a datagram receiver like syslogd's /dev/log (Node cannot bind unix datagram sockets)
    const receiver = spawnCmd('python3', [
      '-c',
      `import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint('ready',flush=True)\nwhile True:\n  print(s.recv(65536).decode(),flush=True)`,
      socket,
    ]);
    running.push(receiver);
    await receiver.waitForStdout(/ready/);
    const { b } = await broker('syslog', ['log_dest syslog', 'log_facility 2'], { MQTT_SYSLOG_SOCKET: socket });
    const text = await receiver.waitForStdout(/running/);
    // local2 = 18, information = 6: 18 * 8 + 6
    expect(text).toMatch(new RegExp(`<150>.* mqtt\\[${brokerWorkerPid(b.proc.pid!)}\\]: \\d+: mqtt broker version \\S+ running`));
    await stop(b);
    receiver.proc.kill('SIGTERM');
  });
});

/** The packet lines (log_type debug) of a log, time stamps dropped, sorted. */
function packetLines(log: string): string[] {
  return log
    .split('\n')
    .map((l) => l.replace(/^\d+: /, ''))
    .filter((l) => /^(Received|Sending) [A-Z]+ |^\t|^Will message|^No will/.test(l))
    // mosquitto_sub -C 1 -U may close before its DISCONNECT is written (a race in the client)
    .filter((l) => l !== 'Received DISCONNECT from unsub')
    .sort();
}

describeIfTool(['mosquitto', 'mosquitto_sub', 'mosquitto_pub'], '-v: packet lines in Mosquitto\'s words', () => {
  it('subscribe, QoS 1 and 2 both ways, retain, a will, unsubscribe, disconnect: the same lines as mosquitto -v', async () => {
    const scenario = async (port: number, logged: (line: string) => Promise<unknown>) => {
      const p = String(port);
      const sub = spawnCmd('mosquitto_sub', ['-p', p, '-t', 'd/#', '-q', '1', '-i', 'dsub', '-V', '5', '-C', '2']);
      running.push(sub);
      // the subscription is in place once the broker logs it (log_type subscribe)
      await logged('dsub 1 d/#\n');
      const q2 = await runCmd('mosquitto_pub', ['-p', p, '-t', 'd/1', '-m', 'hello', '-q', '2', '-i', 'dpub2', '--will-topic', 'w/x', '--will-payload', 'bye', '--will-qos', '1']);
      expect(q2.code, q2.stderr).toBe(0);
      const q1 = await runCmd('mosquitto_pub', ['-p', p, '-t', 'd/2', '-m', 'hi', '-q', '1', '-i', 'dpub1', '-V', '5']);
      expect(q1.code, q1.stderr).toBe(0);
      const r = await sub.done;
      expect(r.code, r.stderr).toBe(0);
      // a retained message ends the unsubscriber cleanly (-C 1), whatever the order of its packets
      const retained = await runCmd('mosquitto_pub', ['-p', p, '-t', 'u', '-m', 'kept', '-r', '-i', 'upub']);
      expect(retained.code, retained.stderr).toBe(0);
      const unsub = await runCmd('mosquitto_sub', ['-p', p, '-t', 'u', '-U', 'u', '-i', 'unsub', '-C', '1']);
      expect(unsub.code, unsub.stderr).toBe(0);
    };
    const mosq = await startMosquitto();
    const { b, port } = await broker('verbose', ['log_type all']);
    try {
      await scenario(mosq.port, (line) => mosq.waitForLog(line));
      await mosq.waitForLog('Sending UNSUBACK to unsub');
      await scenario(port, (line) => b.waitForStderr((s) => s.includes(line)));
      await b.waitForStderr(/Sending UNSUBACK to unsub\n/);
      expect(packetLines(mosq.log()).length).toBeGreaterThan(20);
      expect(packetLines(b.stderr)).toEqual(packetLines(mosq.log()));
    } finally {
      await mosq.stop();
      await stop(b);
    }
  });
});
