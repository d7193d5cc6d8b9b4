// `npm run perf`: start-up and throughput of `mqtt pub` / `mqtt sub` against mosquitto_pub /
// mosquitto_sub and `node -e 0`, side by side in one run against one local Mosquitto.
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuTimeCommand, fmt, median, startMosquitto, timeCommand } from './lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MQTT = [process.execPath, path.join(root, 'bin/mqtt')];
const STARTUP_RUNS = Number(process.env.PERF_STARTUP_RUNS ?? 60);
const LINES = Number(process.env.PERF_LINES ?? 100_000);
const ROUNDS = Number(process.env.PERF_ROUNDS ?? 3);

/**
 * The single executable, built for this run into a temporary folder (scripts/build-binary.mjs,
 * 5-10 s; without cap.node, which start-up never loads), or PERF_BINARY=<file>; PERF_BINARY=0
 * leaves it out. Undefined when it cannot be built here.
 */
let binaryDir;
function singleExecutable() {
  if (process.env.PERF_BINARY === '0') return undefined;
  if (process.env.PERF_BINARY) return process.env.PERF_BINARY;
  binaryDir = mkdtempSync(path.join(tmpdir(), 'mqtt-perf-binary-'));
  const out = path.join(binaryDir, 'mqtt');
  try {
    execFileSync(process.execPath, [path.join(root, 'scripts/build-binary.mjs'), '--out', out, '--without-cap'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    return out;
  } catch {
    return undefined;
  }
}

const broker = await startMosquitto(['max_queued_messages 0']);
const port = String(broker.port);
const results = [];

try {
  // --- start-up: alternate the commands so machine noise hits all alike; compared by CPU time
  const binary = singleExecutable();
  const pubArgs = ['pub', '-p', port, '-t', 'perf/one', '-m', 'x'];
  const startup = {
    'node -e 0': [process.execPath, ['-e', '0']],
    'mqtt --version': [MQTT[0], [MQTT[1], '--version']],
    'mqtt pub (one-shot)': [MQTT[0], [MQTT[1], ...pubArgs]],
    ...(binary ? { 'single executable pub': [binary, pubArgs] } : {}),
    'mosquitto_pub (one-shot)': ['mosquitto_pub', ['-p', port, '-t', 'perf/one', '-m', 'x']],
  };
  const times = Object.fromEntries(Object.keys(startup).map((k) => [k, { cpu: [], ms: [] }]));
  for (let i = 0; i < STARTUP_RUNS; i++) {
    for (const [name, [cmd, args]] of Object.entries(startup)) {
      const r = await cpuTimeCommand(cmd, args);
      if (r.code !== 0) throw new Error(`${name} exited ${r.code}: ${r.err}`);
      times[name].cpu.push(r.cpu);
      times[name].ms.push(r.ms);
    }
  }
  const nodeCpu = median(times['node -e 0'].cpu);
  const nodeWall = median(times['node -e 0'].ms);
  console.log(`\nStart-up, median of ${STARTUP_RUNS} runs alternating: CPU time (user+sys) and wall time (ms):`);
  for (const [name, { cpu, ms }] of Object.entries(times)) {
    const c = median(cpu);
    const w = median(ms);
    console.log(`  ${name.padEnd(26)} CPU ${fmt(c).padStart(7)}  x${fmt(c / nodeCpu, 2)} of node -e 0    wall ${fmt(w).padStart(7)}  x${fmt(w / nodeWall, 2)}`);
    results.push({ metric: `startup: ${name}`, cpuMs: c, ms: w, cpuRatio: c / nodeCpu });
  }
  if (!binary) console.log('  (single executable: not measured, PERF_BINARY=0 or it cannot be built here)');

  // --- throughput: LINES lines through `pub -l`, and into `sub -C LINES`
  const dir = mkdtempSync(path.join(tmpdir(), 'mqtt-perf-lines-'));
  const file = path.join(dir, 'lines.txt');
  writeFileSync(file, Array.from({ length: LINES }, (_, i) => `message ${i} ${'x'.repeat(40)}`).join('\n') + '\n');

  const pubRates = { mqtt: [], mosquitto: [] };
  const subRates = { mqtt: [], mosquitto: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const who of ['mqtt', 'mosquitto']) {
      const [cmd, pre] = who === 'mqtt' ? [MQTT[0], [MQTT[1], 'pub']] : ['mosquitto_pub', []];
      const r = await timeCommand(cmd, [...pre, '-p', port, '-t', `perf/pub/${who}`, '-l'], { stdinFile: createReadStream(file) });
      if (r.code !== 0) throw new Error(`${who} pub -l exited ${r.code}: ${r.err}`);
      pubRates[who].push(LINES / (r.ms / 1000));
    }
    for (const who of ['mqtt', 'mosquitto']) {
      subRates[who].push(await subThroughput(who, port, file));
    }
  }
  console.log(`\nThroughput, ${LINES.toLocaleString()} QoS 0 messages, median of ${ROUNDS} rounds (msgs/s):`);
  const row = (label, rates) => {
    const a = median(rates.mqtt);
    const b = median(rates.mosquitto);
    console.log(`  ${label.padEnd(10)} mqtt ${fmt(a, 0).padStart(10)}   mosquitto ${fmt(b, 0).padStart(10)}   ratio ${fmt(a / b, 2)}`);
    results.push({ metric: `${label} msgs/s`, mqtt: a, mosquitto: b, ratio: a / b });
  };
  row('pub -l', pubRates);
  row('sub', subRates);
  console.log(`\nTargets: one-shot pub <= 1.25x node -e 0 (single executable <= 1.10x), in CPU time; pub -l and sub >= 0.8x Mosquitto's clients.`);
  if (process.env.PERF_JSON) console.log(JSON.stringify(results));
} finally {
  await broker.stop();
  if (binaryDir) rmSync(binaryDir, { recursive: true, force: true });
}

/**
 * Subscriber receives LINES messages published by mosquitto_pub -l; the rate runs from the start
 * of publishing to the subscriber's exit. A probe message, re-sent until the subscriber prints
 * it, shows that its subscription is in place.
 */
async function subThroughput(who, port, file) {
  const [cmd, pre] = who === 'mqtt' ? [MQTT[0], [MQTT[1], 'sub']] : ['mosquitto_sub', []];
  const topic = `perf/sub/${who}/${Math.random().toString(36).slice(2)}`;
  const sub = spawn(cmd, [...pre, '-p', port, '-t', topic, '-C', String(LINES + 1)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let seenProbe = false;
  let head = '';
  sub.stdout.on('data', (d) => {
    if (!seenProbe) {
      head += d.toString();
      seenProbe = head.startsWith('probe\n');
    }
  });
  const exited = new Promise((r) => sub.on('close', r));
  while (!seenProbe) {
    await timeCommand('mosquitto_pub', ['-p', port, '-t', topic, '-m', 'probe']);
    if (!seenProbe) await new Promise((r) => setTimeout(r, 50));
    if (head.length > 0 && !seenProbe) throw new Error(`unexpected output from ${who} sub: ${head.slice(0, 80)}`);
  }
  const t0 = process.hrtime.bigint();
  await timeCommand('mosquitto_pub', ['-p', port, '-t', topic, '-l'], { stdinFile: createReadStream(file) });
  const code = await exited;
  if (code !== 0) throw new Error(`${who} sub exited ${code}`);
  return LINES / (Number(process.hrtime.bigint() - t0) / 1e9);
}
