import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/broker.js';
import { MQTT_BIN, spawnCmd, type Running } from '../helpers/cli.js';
import { describeIfTool, hasTool } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';

/**
 * set_tcp_nodelay: whether the broker sets TCP_NODELAY on the sockets its listeners accept (plain,
 * TLS and WebSocket). The option is invisible on the wire, so the broker runs under strace, which
 * records its setsockopt calls (only those: --seccomp-bpf stops the process on nothing else).
 * Default true, our deliberate difference from Mosquitto (false); `false` leaves Nagle on.
 */

let dirs: string[] = [];
let procs: Running[] = [];
afterEach(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.done));
  procs = [];
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

/** ptrace may be denied (a container's policy): that is a missing peer too, said loudly. */
const straceWorks = (() => {
  try {
    return spawnSync('strace', ['-o', '/dev/null', 'true'], { stdio: 'ignore' }).status === 0;
  } catch {
    return false;
  }
})();

/** The processes strace started, and theirs: the launcher and the broker it runs (src/commands/broker-heap.ts). */
function descendants(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // gone already
  }
  return children.flatMap((c) => [c, ...descendants(c)]);
}

/** Connects to each listener as a client would and waits until the broker has answered. */
async function touchListeners(ports: { mqtt: number; tls: number; ws: number }): Promise<void> {
  const c = await RawClient.connect(ports.mqtt, 4);
  await c.handshake();
  c.end();
  await new Promise<void>((resolve, reject) => {
    const s = tls.connect({ port: ports.tls, host: '127.0.0.1', rejectUnauthorized: false }, () => {
      s.destroy();
      resolve();
    });
    s.once('error', reject);
  });
  await new Promise<void>((resolve, reject) => {
    const s = net.connect(ports.ws, '127.0.0.1', () => {
      const key = randomBytes(16).toString('base64');
      s.write(`GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n`);
    });
    let text = '';
    s.on('data', (d) => {
      text += d.toString('latin1');
      if (text.includes('\r\n\r\n')) {
        s.destroy();
        if (text.startsWith('HTTP/1.1 101')) resolve();
        else reject(new Error(`WebSocket upgrade refused: ${text}`));
      }
    });
    s.once('error', reject);
  });
}

/** Runs the broker under strace with these extra lines, touches each listener, stops it: its setsockopt lines. */
async function setsockoptCalls(extra: string[]): Promise<string[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mqtt-nodelay-'));
  dirs.push(dir);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'pipe' });
  const ports = { mqtt: await freePort(), tls: await freePort(), ws: await freePort() };
  const conf = path.join(dir, 'broker.conf');
  writeFileSync(
    conf,
    [
      `listener ${ports.mqtt} 127.0.0.1`,
      `listener ${ports.tls} 127.0.0.1`,
      `certfile ${path.join(dir, 'cert.pem')}`,
      `keyfile ${path.join(dir, 'key.pem')}`,
      `listener ${ports.ws} 127.0.0.1`,
      'protocol websockets',
      'allow_anonymous true',
      ...extra,
      '',
    ].join('\n'),
  );
  const trace = path.join(dir, 'strace.txt');
  const proc = spawnCmd('strace', ['-f', '-qq', '--seccomp-bpf', '-e', 'trace=setsockopt', '-o', trace, process.execPath, MQTT_BIN, 'broker', '-c', conf], { timeoutMs: 60_000 });
  procs.push(proc);
  await proc.waitForStderr(/ running\n/, 20_000);
  await touchListeners(ports);
  // SIGTERM to the broker's processes (not to strace, which would only detach): strace ends with them
  for (const pid of descendants(proc.proc.pid!)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const done = await proc.done;
  expect(done.code, done.stderr).toBe(0);
  return readFileSync(trace, 'utf8').split('\n').filter((l) => l.includes('setsockopt('));
}

const nodelayOn = (lines: string[]) => lines.filter((l) => /TCP_NODELAY, \[1\]/.test(l));

/** Sockets (pid and fd) whose last TCP_NODELAY call turned it on (ws turns it on when it upgrades; we turn it off again). */
function leftOn(lines: string[]): string[] {
  const last = new Map<string, string>();
  for (const l of lines) {
    const m = /^(\d+) +setsockopt\((\d+), SOL_TCP, TCP_NODELAY, \[(\d)\]/.exec(l);
    if (m) last.set(`${m[1]}:${m[2]}`, m[3]!);
  }
  return [...last].filter(([, v]) => v === '1').map(([k]) => k);
}

const title = 'set_tcp_nodelay on the sockets the listeners accept';
// strace installed but not allowed to trace (a container's seccomp or Yama policy): nothing
// .ci/run could install, so a loud skip even under MQTT_REQUIRE_PEERS, not a failure
const ptraceDenied = hasTool('strace') && !straceWorks;
if (ptraceDenied) process.stderr.write(`\n*** SKIPPING "${title}": strace is installed but may not trace here (ptrace denied) ***\n\n`);
(ptraceDenied ? describe.skip : (name: string, fn: () => void) => describeIfTool(['strace', 'openssl'], name, fn))(title, () => {
  it('by default every accepted socket gets TCP_NODELAY: plain, TLS and WebSocket listeners', async () => {
    const lines = await setsockoptCalls([]);
    expect(nodelayOn(lines).length, lines.join('\n')).toBe(3);
  }, 60_000);

  it('`set_tcp_nodelay true` is the same; `false` leaves it off on every one (Nagle on, Mosquitto\'s default)', async () => {
    expect(nodelayOn(await setsockoptCalls(['set_tcp_nodelay true'])).length).toBe(3);
    const off = await setsockoptCalls(['set_tcp_nodelay false']);
    expect(leftOn(off), off.join('\n')).toEqual([]);
  }, 90_000);
});
