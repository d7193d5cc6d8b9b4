// `npm run perf:broker-memory`: does the broker give memory back once clients have left?
// (issue 10: 172 MB kept after 20,000 clients had gone, Mosquitto 22 MB). For each target, a fresh
// broker; CONNECTIONS idle clients connect (from two child processes, each its own 127.0.0.x
// source address, since one process may hold at most 20,000 descriptors here), then all leave;
// resident memory is read before, with them connected, and at intervals after they have gone.
// Targets: ours, mosquitto, and ours with extra node flags (PERF_MEMORY_VARIANTS, `;`-separated
// flag sets, default "--max-semi-space-size=1"). Machine load moves the timing, not these sizes.
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brokerWorkerPid, fmt, freePort } from './lib.mjs';

const here = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(here), '../..');

function rssMb(pid, field = 'VmRSS') {
  const m = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startBroker(kind, nodeFlags) {
  const dir = mkdtempSync(path.join(tmpdir(), `mqtt-perf-mem-${kind}-`));
  const port = await freePort();
  const conf = path.join(dir, 'broker.conf');
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'connection_messages false', 'log_dest stderr', 'log_type error', ...(kind === 'mosquitto' ? ['persistence false'] : [])].join('\n') + '\n');
  const proc =
    kind === 'mosquitto'
      ? spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] })
      : spawn(process.execPath, [...nodeFlags, path.join(root, 'bin/mqtt'), 'broker', '-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (let t0 = Date.now(); ; ) {
    const ok = await new Promise((r) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (ok) break;
    if (Date.now() - t0 > 10_000) throw new Error(`${kind} did not listen`);
    await sleep(50);
  }
  return {
    // `mqtt broker` runs the broker in a child (src/commands/broker-heap.ts): that is what is measured
    pid: kind === 'mosquitto' ? proc.pid : brokerWorkerPid(proc.pid),
    port,
    stop: async () => {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function measure(kind, nodeFlags, connections, after) {
  const b = await startBroker(kind, nodeFlags);
  await sleep(1000);
  const before = rssMb(b.pid);
  const children = [0, 1].map((k) =>
    fork(here, [], {
      env: { ...process.env, PERF_MEMORY_CONNECTOR: JSON.stringify({ port: b.port, count: Math.floor(connections / 2), from: `127.0.0.${2 + k}` }) },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    }),
  );
  await Promise.all(
    children.map(
      (c) =>
        new Promise((resolve, reject) => {
          c.once('message', resolve);
          c.once('exit', (code) => reject(new Error(`a connector exited with ${code} before its clients were connected`)));
        }),
    ),
  ).catch(async (err) => {
    await b.stop();
    throw err;
  });
  await sleep(1000);
  const connected = rssMb(b.pid);
  await Promise.all(children.map((c) => (c.send('close'), new Promise((r) => c.once('exit', r)))));
  const readings = [];
  let waited = 0;
  for (const s of after) {
    await sleep((s - waited) * 1000);
    waited = s;
    readings.push(rssMb(b.pid));
  }
  const peak = rssMb(b.pid, 'VmHWM');
  await b.stop();
  return { before, connected, peak, readings };
}

async function main() {
  const connections = Number(process.env.PERF_MEMORY_CONNECTIONS ?? 19_000);
  const after = (process.env.PERF_MEMORY_AFTER ?? '2,10,30').split(',').map(Number);
  const variants = (process.env.PERF_MEMORY_VARIANTS ?? '--max-semi-space-size=1').split(';').map((v) => v.trim().split(/\s+/).filter(Boolean));
  const targets = [
    ['ours', []],
    ...variants.map((flags) => [`ours ${flags.join(' ')}`, flags]),
    ['mosquitto', []],
  ];
  console.log(`\nBroker RSS (MB) around ${connections.toLocaleString('en-US')} idle connections that then all leave`);
  console.log(`${'target'.padEnd(40)} ${'before'.padStart(8)} ${'connected'.padStart(10)} ${'peak'.padStart(8)} ${after.map((s) => `+${s}s`.padStart(8)).join(' ')}`);
  for (const [name, flags] of targets) {
    const r = await measure(name === 'mosquitto' ? 'mosquitto' : 'ours', flags, connections, after);
    console.log(`${name.padEnd(40)} ${fmt(r.before).padStart(8)} ${fmt(r.connected).padStart(10)} ${fmt(r.peak).padStart(8)} ${r.readings.map((v) => fmt(v).padStart(8)).join(' ')}`);
  }
}

if (process.env.PERF_MEMORY_CONNECTOR) {
  // child: hold `count` connections from one source address until told to close them
  const { port, count, from } = JSON.parse(process.env.PERF_MEMORY_CONNECTOR);
  const sockets = [];
  let acked = 0;
  let started = 0;
  const open = () => {
    if (started >= count) return;
    const i = started++;
    const s = net.connect({ port, host: '127.0.0.1', localAddress: from });
    sockets.push(s);
    s.on('error', (err) => {
      process.stderr.write(`connector ${from}: ${err.message}\n`);
      process.exit(1);
    });
    const id = Buffer.from(`mem-${from}-${i}`);
    const body = Buffer.concat([Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, id.length]), id]);
    s.write(Buffer.concat([Buffer.from([0x10, body.length]), body]));
    s.once('data', () => {
      if (++acked === count) process.send('connected');
      open();
    });
  };
  for (let k = 0; k < 100; k++) open();
  process.on('message', (m) => {
    if (m !== 'close') return;
    for (const s of sockets) s.destroy();
    setTimeout(() => process.exit(0), 200);
  });
} else {
  await main();
}
