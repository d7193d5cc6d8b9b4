// Shared helpers for the benchmarks: a Mosquitto on a free port, timing of whole commands,
// medians. Benchmarks report ratios against a reference measured in the same run, alternating
// A B A B, because absolute numbers move by ±30 % on these shared 2-core machines.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export async function startMosquitto(extra = [], binary = 'mosquitto') {
  const dir = mkdtempSync(path.join(tmpdir(), 'mqtt-perf-'));
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'log_dest stderr', 'log_type error', 'log_type information', 'persistence false', ...extra].join('\n') + '\n');
  const { stop, pid } = await spawnUntil(binary, ['-c', conf], 'running', dir);
  return { port, stop, pid };
}

/**
 * Starts a process and resolves once its stderr shows `ready`; stop() ends it and removes its
 * directory (the exit is watched from the start: one that already died must not leave stop() waiting).
 */
export async function spawnUntil(cmd, args, ready, dir) {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise((r) => proc.once('exit', r));
  let log = '';
  await new Promise((resolve, reject) => {
    proc.stderr.on('data', (d) => {
      log += d;
      if (log.includes(ready)) resolve();
    });
    proc.on('exit', () => reject(new Error(`${cmd} exited: ${log}`)));
  });
  return {
    pid: proc.pid,
    stop: async () => {
      proc.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs a command to completion under bash and resolves with the CPU time (user+sys, ms) it used,
 * from bash's `times` (its children's line), its wall milliseconds and exit code. CPU time is
 * what start-up is compared by: on a machine loaded by other work wall times move too much.
 */
export function cpuTimeCommand(cmd, args) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const script = '"$@" </dev/null >/dev/null; code=$?; times >&2; exit $code';
    const proc = spawn('bash', ['-c', script, 'bash', cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    proc.stderr.on('data', (d) => (err += d));
    proc.on('error', reject);
    proc.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      // two lines: the shell's own times, then its children's
      const children = /\d+m[\d.]+s \d+m[\d.]+s\n(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(err);
      if (!children) return reject(new Error(`no CPU times from bash for ${cmd}: ${err}`));
      const cpu = (Number(children[1]) * 60 + Number(children[2]) + Number(children[3]) * 60 + Number(children[4])) * 1000;
      resolve({ cpu, ms, code, err: err.slice(0, children.index) });
    });
  });
}

/** Runs a command to completion; resolves with wall milliseconds, exit code and stdout size. */
export function timeCommand(cmd, args, { input, stdinFile } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const proc = spawn(cmd, args, { stdio: [input !== undefined || stdinFile ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let out = 0;
    let err = '';
    proc.stdout.on('data', (d) => (out += d.length));
    proc.stderr.on('data', (d) => (err += d));
    proc.on('error', reject);
    proc.on('close', (code) => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, code, out, err }));
    if (stdinFile) stdinFile.pipe(proc.stdin);
    else if (input !== undefined) proc.stdin.end(input);
  });
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function fmt(n, digits = 1) {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/**
 * The process that runs a `mqtt broker` started as `pid`: its one child (src/commands/broker-heap.ts),
 * or the process itself (Mosquitto, or a broker started with its own --max-semi-space-size).
 */
export function brokerWorkerPid(pid) {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    if (children.length === 1) return Number(children[0]);
  } catch {
    // no children file: the process itself
  }
  return pid;
}

/** CPU time of every thread of a process so far, in ns (schedstat: ns resolution, where stat has 10 ms). */
export function cpuNs(pid) {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // a thread that ended between the listing and the read
    }
  }
  return total;
}
