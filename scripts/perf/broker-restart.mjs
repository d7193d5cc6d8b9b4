// Restart of a persistent broker with a large store (issue 12), ours and Mosquitto side by side:
// SESSIONS offline persistent sessions (clean session 0, subscribed at QoS 1) each hold PER_SESSION
// queued QoS 1 messages (1,000,000 by default). The store is written by the broker itself through
// MQTT (so it is the real format): the sessions subscribe and go away, one publisher sends
// PER_SESSION messages to their topic, the broker is stopped with SIGTERM (Mosquitto writes its
// mosquitto.db then). Each round restarts from a copy of that store and measures: time from spawn
// to the port accepting connections; to one session's client having all its messages back
// (reconnect, every message PUBACKed); optionally to every session drained; the peak resident
// memory of the broker's processes during the restart (sampled, all processes of the tree: our
// store check runs in a child) and the worker's own VmHWM.
//
// Environment: PERF_RESTART_SESSIONS (10000), PERF_RESTART_PER_SESSION (100),
// PERF_RESTART_ROUNDS (3), PERF_RESTART_TARGETS (ours,mosquitto), PERF_RESTART_DRAIN (sessions
// whose messages are all fetched after the first one, 0 = none; default 0), PERF_BROKER_ONLY (run by
// `npm run perf:broker`: skipped unless the list names `restart`), PERF_RESTART_REUSE
// (a directory where the built stores are kept and reused by later runs; delete it after a format change), PERF_JSON.
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import mqttPacket from 'mqtt-packet';
import { brokerWorkerPid, fmt, freePort, median } from './lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SESSIONS = Number(process.env.PERF_RESTART_SESSIONS ?? 10_000);
const PER_SESSION = Number(process.env.PERF_RESTART_PER_SESSION ?? 100);
const ROUNDS = Number(process.env.PERF_RESTART_ROUNDS ?? 3);
const TARGETS = (process.env.PERF_RESTART_TARGETS ?? 'ours,mosquitto').split(',');
const DRAIN = Number(process.env.PERF_RESTART_DRAIN ?? 0);
/** a session's messages: at most this long (a stuck broker fails the run instead of waiting for ever) */
const FETCH_MS = Number(process.env.PERF_RESTART_FETCH_MS ?? 120_000);
/** a directory kept between runs: the stores are built there once (per kind) and reused */
const REUSE = process.env.PERF_RESTART_REUSE;
const TOPIC = 'perf/restart';
const PAYLOAD = 64;
const HANDSHAKES_IN_FLIGHT = 100;
const PUBLISH_AHEAD = 20;
const log = (s) => process.stderr.write(`${s}\n`);

// ---------------------------------------------------------------- /proc

function statusKb(pid, field) {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The process and all its descendants. */
function tree(pid) {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const tid of readdirSync(`/proc/${out[i]}/task`)) {
        const kids = readFileSync(`/proc/${out[i]}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
        out.push(...kids);
      }
    } catch {
      // gone
    }
  }
  return out;
}

/**
 * Samples the summed RSS of a process tree until stopped; returns the peaks in KB: all of it, and
 * its anonymous part (RssAnon: the heap; the rest is mapped files, such as LMDB's pages read, which
 * the kernel can drop and read again).
 */
function rssSampler(pid) {
  let peak = 0;
  let peakAnon = 0;
  const sample = () => {
    let sum = 0;
    let anon = 0;
    for (const p of tree(pid)) {
      sum += statusKb(p, 'VmRSS');
      anon += statusKb(p, 'RssAnon');
    }
    if (sum > peak) peak = sum;
    if (anon > peakAnon) peakAnon = anon;
  };
  sample();
  const timer = setInterval(sample, 10);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { peak, peakAnon };
    },
  };
}

// ---------------------------------------------------------------- raw MQTT 3.1.1

/** A minimal MQTT 3.1.1 connection: packets framed by hand, handed over as (type, flags, body). */
class Raw {
  constructor(port, clientId, clean) {
    this.socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    this.socket.on('error', () => {});
    this.pending = undefined;
    this.onPacket = () => {};
    this.closed = new Promise((r) => this.socket.once('close', r));
    this.socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean, keepalive: 600, clientId }));
    this.connack = new Promise((resolve, reject) => {
      // apart from onPacket: what follows CONNACK in the same read goes to the handler set before it
      this.onConnack = (body) => {
        if (body[1] !== 0) reject(new Error(`${clientId}: CONNACK ${body[1]}`));
        else resolve({ sessionPresent: (body[0] & 1) === 1 });
      };
      this.socket.once('close', () => reject(new Error(`${clientId}: closed before CONNACK`)));
    });
    this.connack.catch(() => {});
    this.socket.on('data', (chunk) => {
      let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
      this.pending = undefined;
      let off = 0;
      while (off + 2 <= buf.length) {
        let len = 0;
        let mul = 1;
        let i = off + 1;
        let done = false;
        for (; i < buf.length && i < off + 5; i++) {
          len += (buf[i] & 0x7f) * mul;
          mul *= 128;
          if ((buf[i] & 0x80) === 0) {
            done = true;
            break;
          }
        }
        if (!done || i + 1 + len > buf.length) break;
        const type = buf[off] >> 4;
        if (type === 2) this.onConnack(buf.subarray(i + 1, i + 1 + len));
        else this.onPacket(type, buf[off] & 15, buf.subarray(i + 1, i + 1 + len));
        off = i + 1 + len;
      }
      if (off < buf.length) this.pending = Buffer.from(buf.subarray(off));
    });
  }

  /** Resolves with the packet of `type` that `pred` accepts, within `ms`. */
  waitFor(what, ms, pred) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
      this.onPacket = (type, flags, body) => {
        if (pred(type, flags, body)) {
          clearTimeout(timer);
          resolve();
        }
      };
    });
  }

  async subscribe(topic, qos) {
    const got = this.waitFor('SUBACK', 60_000, (type) => type === 9);
    this.socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos }] }));
    await got;
  }

  async disconnect() {
    this.socket.end(Buffer.from([0xe0, 0x00]));
    await this.closed;
  }

  close() {
    this.socket.destroy();
  }
}

const clientId = (i) => `restart-${String(i).padStart(6, '0')}`;

/** Runs `fn(i)` for 0..n-1 with `parallel` at once. */
async function pool(n, parallel, fn) {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, worker));
}

/**
 * Reconnects a session (clean session 0) and PUBACKs its QoS 1 messages until it has
 * `expected` distinct ones (by the sequence number in the payload); resolves with how many it got
 * and how many were duplicates.
 */
async function fetchSession(port, id, expected, ms) {
  const c = new Raw(port, clientId(id), false);
  const seen = new Uint8Array(expected);
  let distinct = 0;
  let duplicates = 0;
  const acks = [];
  let flush = false;
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${clientId(id)}: ${distinct} of ${expected} messages within ${ms} ms`)), ms);
    c.onPacket = (type, flags, body) => {
      if (type !== 3) return;
      const topicLen = body.readUInt16BE(0);
      const pid = body.readUInt16BE(2 + topicLen);
      const seq = body.readUInt32LE(4 + topicLen);
      acks.push(pid);
      if (!flush) {
        flush = true;
        queueMicrotask(() => {
          flush = false;
          const out = Buffer.allocUnsafe(4 * acks.length);
          for (let k = 0; k < acks.length; k++) {
            out[4 * k] = 0x40;
            out[4 * k + 1] = 2;
            out.writeUInt16BE(acks[k], 4 * k + 2);
          }
          acks.length = 0;
          c.socket.write(out);
        });
      }
      if (seq < expected && !seen[seq]) {
        seen[seq] = 1;
        if (++distinct === expected) {
          clearTimeout(timer);
          resolve();
        }
      } else duplicates++;
    };
    c.connack.then(({ sessionPresent }) => sessionPresent || reject(new Error(`${clientId(id)}: session not present after the restart`)), reject);
  });
  await c.disconnect();
  return { distinct, duplicates };
}

// ---------------------------------------------------------------- brokers

function confLines(kind, port, dir) {
  const lines = [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'connection_messages false', 'log_dest stderr', 'log_type error', 'persistence true', `persistence_location ${dir}/`];
  // Mosquitto's default max_queued_messages (1000) keeps the 100 per session; both use defaults
  return lines;
}

function waitForPort(port, proc, timeoutMs) {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const onExit = (code) => reject(new Error(`broker exited with ${code} before listening`));
    proc.once('exit', onExit);
    const attempt = () => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        proc.off('exit', onExit);
        resolve();
      });
      s.once('error', () => {
        if (Date.now() - t0 > timeoutMs) reject(new Error(`broker did not listen on ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 5);
      });
    };
    attempt();
  });
}

async function startBroker(kind, dir, port) {
  const conf = path.join(dir, 'broker.conf');
  writeFileSync(conf, confLines(kind, port, dir).join('\n') + '\n');
  const [cmd, args] = kind === 'mosquitto' ? ['mosquitto', ['-c', conf]] : [process.execPath, [path.join(root, 'bin/mqtt'), 'broker', '-c', conf]];
  const t0 = performance.now();
  const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir });
  let text = '';
  proc.stderr.on('data', (d) => {
    if (text.length < 20_000) text += d;
  });
  const exited = new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  const sampler = rssSampler(proc.pid);
  try {
    await waitForPort(port, proc, 300_000);
  } catch (err) {
    sampler.stop();
    proc.kill('SIGKILL');
    throw new Error(`${kind}: ${err.message}\n${text}`);
  }
  return {
    t0,
    listenMs: performance.now() - t0,
    sampler,
    workerPid: () => (kind === 'mosquitto' ? proc.pid : brokerWorkerPid(proc.pid)),
    log: () => text,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 120_000);
      const r = await exited;
      clearTimeout(timer);
      return r;
    },
  };
}

/** A directory for one broker: Mosquitto started as root runs as the user mosquitto, which must write there. */
function brokerDir(kind, what) {
  const dir = mkdtempSync(path.join(tmpdir(), `mqtt-perf-restart-${kind}-${what}-`));
  chmodSync(dir, 0o777);
  return dir;
}

function storeFile(kind, dir) {
  return path.join(dir, kind === 'mosquitto' ? 'mosquitto.db' : 'mqtt-broker.lmdb');
}

/** Builds the store through the broker; returns the directory holding it. */
async function buildStore(kind) {
  let dir;
  if (REUSE) {
    dir = path.join(REUSE, kind);
    if (existsSync(storeFile(kind, dir))) return dir;
    mkdirSync(dir, { recursive: true, mode: 0o777 });
    chmodSync(dir, 0o777);
  } else dir = brokerDir(kind, 'built');
  const port = await freePort();
  const t0 = performance.now();
  const broker = await startBroker(kind, dir, port);
  broker.sampler.stop();
  await pool(SESSIONS, HANDSHAKES_IN_FLIGHT, async (i) => {
    const c = new Raw(port, clientId(i), false);
    await c.connack;
    await c.subscribe(TOPIC, 1);
    await c.disconnect();
  });
  const tSessions = performance.now();
  const pub = new Raw(port, `restart-publisher-${process.pid}`, true);
  await pub.connack;
  let sent = 0;
  let acked = 0;
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind}: ${acked} of ${PER_SESSION} PUBACKs within 600 s`)), 600_000);
    const payload = Buffer.alloc(PAYLOAD, 0x78);
    const send = () => {
      while (sent < PER_SESSION && sent - acked < PUBLISH_AHEAD) {
        payload.writeUInt32LE(sent, 0);
        pub.socket.write(mqttPacket.generate({ cmd: 'publish', topic: TOPIC, payload, qos: 1, retain: false, dup: false, messageId: sent + 1 }));
        sent++;
      }
    };
    pub.onPacket = (type) => {
      if (type !== 4) return;
      if (++acked === PER_SESSION) {
        clearTimeout(timer);
        resolve();
      } else send();
    };
    send();
  });
  await pub.disconnect();
  const tPublished = performance.now();
  const r = await broker.stop();
  if (r.code !== 0) throw new Error(`${kind}: the broker exited with ${r.code ?? r.signal} on SIGTERM\n${broker.log()}`);
  const file = storeFile(kind, dir);
  if (!existsSync(file)) throw new Error(`${kind}: no store at ${file} after SIGTERM\n${broker.log()}`);
  log(
    `${kind}: store built in ${fmt((performance.now() - t0) / 1000, 1)} s (sessions ${fmt((tSessions - t0) / 1000, 1)} s, ` +
      `${fmt(SESSIONS * PER_SESSION, 0)} queued in ${fmt((tPublished - tSessions) / 1000, 1)} s): ${fmt(statSync(file).size / 1e6, 1)} MB`,
  );
  return dir;
}

/** One restart from a copy of the built store. */
async function restart(kind, built) {
  const dir = brokerDir(kind, 'run');
  try {
    copyFileSync(storeFile(kind, built), storeFile(kind, dir));
    // Mosquitto (run as its own user) wrote its file 0600: the copy keeps its owner
    const { uid, gid } = statSync(storeFile(kind, built));
    chownSync(storeFile(kind, dir), uid, gid);
    // the copy is in the page cache like a store the broker wrote just before stopping
    const port = await freePort();
    const broker = await startBroker(kind, dir, port);
    const first = Math.floor(SESSIONS / 2);
    const got = await fetchSession(port, first, PER_SESSION, FETCH_MS);
    const firstSessionMs = performance.now() - broker.t0;
    const { peak, peakAnon } = broker.sampler.stop();
    const peakTreeMb = peak / 1024;
    const peakAnonMb = peakAnon / 1024;
    const workerHwmMb = statusKb(broker.workerPid(), 'VmHWM') / 1024;
    let drainMs = NaN;
    let duplicates = got.duplicates;
    if (DRAIN > 0) {
      const t = performance.now();
      await pool(Math.min(DRAIN, SESSIONS - 1), 50, async (k) => {
        const id = (first + 1 + k) % SESSIONS;
        duplicates += (await fetchSession(port, id, PER_SESSION, FETCH_MS)).duplicates;
      });
      drainMs = performance.now() - t;
    }
    const r = await broker.stop();
    if (r.code !== 0) throw new Error(`${kind}: exit ${r.code ?? r.signal} on SIGTERM after the restart\n${broker.log()}`);
    return { listenMs: broker.listenMs, firstSessionMs, peakTreeMb, peakAnonMb, workerHwmMb, drainMs, duplicates };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- main

// `npm run perf:broker` runs this after broker.mjs: PERF_BROKER_ONLY without `restart` skips it
if (process.env.PERF_BROKER_ONLY && !process.env.PERF_BROKER_ONLY.split(',').includes('restart')) process.exit(0);

const loadAvg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const built = {};
const results = {};
try {
  for (const kind of TARGETS) {
    built[kind] = await buildStore(kind);
    results[kind] = [];
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of TARGETS) {
      const r = await restart(kind, built[kind]);
      results[kind].push(r);
      log(`restart ${kind} #${round + 1}: ${JSON.stringify(r, (_, v) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v))} (load ${loadAvg()})`);
    }
  }
} finally {
  if (!REUSE) for (const dir of Object.values(built)) rmSync(dir, { recursive: true, force: true });
}

const med = (kind, field) => (results[kind] ? median(results[kind].map((r) => r[field])) : NaN);
const both = TARGETS.includes('ours') && TARGETS.includes('mosquitto');
const title = `restart, ${fmt(SESSIONS * PER_SESSION, 0)} queued QoS 1 in ${fmt(SESSIONS, 0)} sessions`;
const rows = [
  [`${title}: s to accepting connections`, 'listenMs', 1 / 1000, 2],
  [`${title}: s to one session's ${PER_SESSION} messages`, 'firstSessionMs', 1 / 1000, 2, (ours) => ours < 10],
  [`${title}: peak RSS MB, all broker processes`, 'peakTreeMb', 1, 0],
  [`${title}: peak anonymous RSS MB (not mapped file pages)`, 'peakAnonMb', 1, 0],
  [`${title}: broker process VmHWM MB`, 'workerHwmMb', 1, 0],
];
if (DRAIN > 0) rows.push([`${title}: s to ${fmt(DRAIN, 0)} more sessions' messages`, 'drainMs', 1 / 1000, 2]);
const width = Math.max(...rows.map((r) => r[0].length));
console.log(`\nBroker restart with a large store: median of ${ROUNDS} alternating runs; machine load ${loadAvg()}; Mosquitto with persistence true and its defaults`);
console.log(`${'metric'.padEnd(width)}  ${'ours'.padStart(10)}  ${'mosquitto'.padStart(10)}  ${'ours/mosq'.padStart(9)}  target`);
for (const [metric, field, scale, digits, target] of rows) {
  const o = med('ours', field) * scale;
  const m = med('mosquitto', field) * scale;
  const ratio = both ? fmt(o / m, 2) + 'x' : '';
  const verdict = target && TARGETS.includes('ours') ? (target(o) ? 'met' : 'NOT met') : '';
  console.log(`${metric.padEnd(width)}  ${fmt(o, digits).padStart(10)}  ${fmt(m, digits).padStart(10)}  ${ratio.padStart(9)}  ${verdict}`);
}
const dups = TARGETS.map((k) => `${k} ${results[k].reduce((x, r) => x + r.duplicates, 0)}`).join(', ');
console.log(`duplicates (all runs): ${dups}`);
console.log('\nTarget (issue 12): one session served its queued messages within 10 s of the restart.');
if (process.env.PERF_JSON) console.log(JSON.stringify({ rounds: ROUNDS, sessions: SESSIONS, perSession: PER_SESSION, results }));
