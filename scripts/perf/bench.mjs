// `node scripts/perf/bench.mjs` (after `npm run build`): how fast `mqtt bench pub` pushes QoS 0
// messages, next to a minimal hand-written raw-socket publisher (the floor for one Node process),
// into two targets on 127.0.0.1:
//   1. a discard sink written below (answers CONNECT, then reads and drops everything), so the
//      publisher alone is measured;
//   2. a real Mosquitto, with a raw subscriber counting what it delivers.
// Runs alternate (A B A B …) and medians are reported, because these shared 2-core machines move
// by ±30 %. Rates and CPU are taken over a steady window inside each run (after a warm-up), CPU
// from /proc/PID/stat (all threads of the process) and the machine's busy time from /proc/stat.
//
// The same file is also the sink, the raw publisher and the raw subscriber (`--role`), started
// as child processes so that each one's CPU can be read separately.
import { execSync, fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, median, startMosquitto } from './lib.mjs';

const SELF = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(SELF), '../..');
const MQTT = path.join(ROOT, 'bin/mqtt');
const TOPIC = 'bench/0';
const PAYLOAD = 64;
const ROUNDS = Number(process.env.PERF_ROUNDS ?? 3);
const WARMUP_MS = Number(process.env.PERF_WARMUP_MS ?? 1000);
const WINDOW_MS = Number(process.env.PERF_WINDOW_MS ?? 2000);
const RUN_SECONDS = (WARMUP_MS + WINDOW_MS) / 1000 + 1;

// ---------------------------------------------------------------- MQTT bytes, by hand
function remainingLength(n) {
  const out = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

function connectFrame(clientId) {
  const id = Buffer.from(clientId);
  const body = Buffer.concat([Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 60, id.length >> 8, id.length & 0xff]), id]);
  return Buffer.concat([Buffer.from([0x10, ...remainingLength(body.length)]), body]);
}

function publishFrame(topic, payloadSize) {
  const t = Buffer.from(topic);
  const body = Buffer.concat([Buffer.from([t.length >> 8, t.length & 0xff]), t, Buffer.alloc(payloadSize, 0x2e)]);
  return Buffer.concat([Buffer.from([0x30, ...remainingLength(body.length)]), body]);
}

/** Length of the frame at `offset`, -1 if incomplete. */
function frameAt(buf, offset) {
  let mult = 1;
  let len = 0;
  for (let i = 1; i <= 4; i++) {
    if (offset + i >= buf.length) return -1;
    const b = buf[offset + i];
    len += (b & 0x7f) * mult;
    if ((b & 0x80) === 0) return offset + 1 + i + len <= buf.length ? 1 + i + len : -1;
    mult *= 128;
  }
  throw new Error('bad remaining length');
}

// ---------------------------------------------------------------- child roles
/** Discard sink: CONNACK to the first packet of each connection, then count bytes and drop them. */
function runSink() {
  let bytes = 0;
  const server = net.createServer((s) => {
    let greeted = false;
    s.on('data', (d) => {
      if (!greeted) {
        greeted = true;
        s.write(Buffer.from([0x20, 0x02, 0x00, 0x00]));
      }
      bytes += d.length;
    });
    s.on('error', () => {});
  });
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('message', (m) => m === 'count' && process.send({ bytes }));
}

/** Raw subscriber: CONNECT, SUBSCRIBE bench/#, then count PUBLISH frames. */
function runRawSub(port) {
  let publishes = 0;
  let pending = Buffer.alloc(0);
  let subscribed = false;
  const s = net.connect({ host: '127.0.0.1', port, noDelay: true }, () => {
    s.write(connectFrame(`perf-sub-${process.pid}`));
    const f = Buffer.from('bench/#');
    s.write(Buffer.from([0x82, 2 + 2 + f.length + 1, 0, 1, 0, f.length, ...f, 0]));
  });
  s.on('data', (d) => {
    const buf = pending.length ? Buffer.concat([pending, d]) : d;
    let off = 0;
    for (;;) {
      const n = frameAt(buf, off);
      if (n < 0) break;
      const type = buf[off] >> 4;
      if (type === 3) publishes++;
      else if (type === 9 && !subscribed) {
        subscribed = true;
        process.send({ ready: true });
      }
      off += n;
    }
    pending = off < buf.length ? Buffer.from(buf.subarray(off)) : Buffer.alloc(0);
  });
  process.on('message', (m) => m === 'count' && process.send({ publishes }));
}

/**
 * The floor: one socket, pre-built batches of identical frames in which only a sequence number
 * is patched per message. It keeps writing while the socket is below its high-water mark and
 * yields between bursts; waiting for 'drain' after write() returns false instead lets the socket
 * buffer run empty before each refill, which halves the rate (measured here).
 */
function runRawPub(port, seconds) {
  const frame = publishFrame(TOPIC, PAYLOAD);
  const BATCH = 64;
  const pool = [];
  const s = net.connect({ host: '127.0.0.1', port, noDelay: true });
  let seq = 0;
  const end = Date.now() + seconds * 1000;
  const pump = () => {
    if (Date.now() >= end) return s.end(() => process.exit(0));
    for (let burst = 0; burst < 4; burst++) {
      if (s.writableNeedDrain) return s.once('drain', pump);
      const buf = pool.pop() ?? Buffer.concat(Array.from({ length: BATCH }, () => frame));
      for (let i = 0; i < BATCH; i++) buf.writeUInt32BE(seq++ >>> 0, i * frame.length + frame.length - PAYLOAD);
      s.write(buf, () => pool.push(buf));
    }
    setImmediate(pump);
  };
  s.once('connect', () => s.write(connectFrame(`perf-raw-${process.pid}`)));
  s.once('data', pump); // CONNACK
  s.on('error', (e) => {
    console.error(e.message);
    process.exit(1);
  });
}

// ---------------------------------------------------------------- measuring
const CLK_TCK = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;

/** CPU seconds used so far by a process (all its threads), from /proc/PID/stat. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime
}

/** Busy and total jiffies of the whole machine, from /proc/stat. */
function machineTicks() {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = cpu[3] + cpu[4];
  const total = cpu.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

function ask(child, key) {
  return new Promise((resolve) => {
    const on = (m) => {
      if (m && key in m) {
        child.off('message', on);
        resolve(m[key]);
      }
    };
    child.on('message', on);
    child.send('count');
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function startPublisher(kind, port) {
  const args =
    kind === 'mqtt bench'
      ? [MQTT, 'bench', 'pub', '-p', String(port), '-t', 'bench/%i', '-s', String(PAYLOAD), '-d', String(RUN_SECONDS), '--quiet']
      : [SELF, '--role', 'raw-pub', String(port), String(RUN_SECONDS)];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((r) => proc.on('exit', r));
  return { proc, exited };
}

/**
 * One run: start the publisher, wait out the warm-up, then count messages (via `counter`) and
 * CPU over the window. `broker` is the process whose CPU is reported beside the publisher's.
 */
async function measure(kind, port, counter, brokerPid) {
  const { proc, exited } = startPublisher(kind, port);
  await sleep(WARMUP_MS);
  const c0 = await counter();
  const p0 = cpuSeconds(proc.pid);
  const b0 = cpuSeconds(brokerPid);
  const m0 = machineTicks();
  const t0 = performance.now();
  await sleep(WINDOW_MS);
  const c1 = await counter();
  const p1 = cpuSeconds(proc.pid);
  const b1 = cpuSeconds(brokerPid);
  const m1 = machineTicks();
  const seconds = (performance.now() - t0) / 1000;
  await exited;
  const msgs = c1 - c0;
  return {
    rate: msgs / seconds,
    pubCpu: (p1 - p0) / seconds,
    pubUsPerMsg: ((p1 - p0) / Math.max(1, msgs)) * 1e6,
    brokerCpu: (b1 - b0) / seconds,
    brokerUsPerMsg: ((b1 - b0) / Math.max(1, msgs)) * 1e6,
    machineBusy: (m1.busy - m0.busy) / Math.max(1, m1.total - m0.total),
  };
}

async function scenario(title, port, counter, brokerPid, brokerLabel) {
  const kinds = ['mqtt bench', 'raw publisher'];
  const runs = Object.fromEntries(kinds.map((k) => [k, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of round % 2 ? [...kinds].reverse() : kinds) runs[kind].push(await measure(kind, port, counter, brokerPid));
  }
  const med = (kind, key) => median(runs[kind].map((r) => r[key]));
  console.log(`\n${title}: QoS 0, ${PAYLOAD}-byte payloads, one connection, median of ${ROUNDS} runs (${WINDOW_MS / 1000} s windows)`);
  console.log(`  ${'publisher'.padEnd(14)} ${'msgs/s'.padStart(10)} ${'pub CPU'.padStart(8)} ${'µs/msg'.padStart(7)} ${(brokerLabel + ' CPU').padStart(15)} ${'µs/msg'.padStart(7)} ${'machine busy'.padStart(13)}`);
  const results = {};
  for (const kind of kinds) {
    results[kind] = Object.fromEntries(Object.keys(runs[kind][0]).map((k) => [k, med(kind, k)]));
    const r = results[kind];
    console.log(
      `  ${kind.padEnd(14)} ${fmt(r.rate, 0).padStart(10)} ${(fmt(r.pubCpu * 100, 0) + ' %').padStart(8)} ${fmt(r.pubUsPerMsg, 2).padStart(7)} ${(fmt(r.brokerCpu * 100, 0) + ' %').padStart(15)} ${fmt(r.brokerUsPerMsg, 2).padStart(7)} ${(fmt(r.machineBusy * 100, 0) + ' %').padStart(13)}`,
    );
  }
  const ratio = results['mqtt bench'].rate / results['raw publisher'].rate;
  console.log(`  mqtt bench / raw publisher: x${fmt(ratio, 2)} the rate, x${fmt(results['mqtt bench'].pubUsPerMsg / results['raw publisher'].pubUsPerMsg, 2)} the CPU per message`);
  return results;
}

async function main() {
  const frameSize = publishFrame(TOPIC, PAYLOAD).length;
  const sink = fork(SELF, ['--role', 'sink'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port: sinkPort } = await new Promise((r) => sink.once('message', r));
  const broker = await startMosquitto(['max_queued_messages 0']);
  const mosquittoPid = Number(execSync(`ss -Hltnp 'sport = :${broker.port}'`).toString().match(/pid=(\d+)/)?.[1]);
  const sub = fork(SELF, ['--role', 'raw-sub', String(broker.port)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise((r) => sub.once('message', r));
  const out = {};
  try {
    out.sink = await scenario('Into a discard sink', sinkPort, async () => (await ask(sink, 'bytes')) / frameSize, sink.pid, 'sink');
    out.mosquitto = await scenario('Through Mosquitto to one raw subscriber', broker.port, () => ask(sub, 'publishes'), mosquittoPid, 'mosquitto');
  } finally {
    sink.kill();
    sub.kill();
    await broker.stop();
  }
  if (process.env.PERF_JSON) console.log(JSON.stringify(out));
}

const roleAt = process.argv.indexOf('--role');
if (roleAt > 0) {
  const [role, a, b] = process.argv.slice(roleAt + 1);
  if (role === 'sink') runSink();
  else if (role === 'raw-sub') runRawSub(Number(a));
  else if (role === 'raw-pub') runRawPub(Number(a), Number(b));
} else {
  await main();
}
