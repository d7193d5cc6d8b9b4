#!/usr/bin/env node
/**
 * Differential fuzzing: the same single mutated packets (every type a client sends, MQTT 3.1.1
 * and 5) against `mqtt broker` and a real Mosquitto, each on a free loopback port, and a count of
 * how their reactions compare. The class that matters is "we carry on where Mosquitto closes".
 *
 *   node scripts/fuzz/differential.mjs [--count N] [--seed S] [--jobs J] [--timeout MS] [--examples K] [--json] [--mqtt PATH]
 *
 *   --count N     cases (default 4000)          --seed S     PRNG seed (default 1)
 *   --jobs J      cases at once (default 16)    --timeout MS per-case deadline (default 1500)
 *   --examples K  cases shown per mismatch group (default 3)
 *   --json        one JSON document on stdout
 *   --mqtt PATH   the bin/mqtt to test (default this checkout's), e.g. another checkout's for a before/after
 *
 * Needs a build (`npm run build`) and `mosquitto` on PATH. Exit 0 when our broker stayed up,
 * 1 when it died, 2 on bad arguments. The TypeScript part (fuzz-lib.ts) is bundled on the fly
 * with esbuild, as scripts/sniff/make-fixtures.mjs does.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

function parseArgs(argv) {
  const o = { count: 4000, seed: 1, jobs: 16, timeout: 1500, examples: 3, json: false, mqtt: path.join(root, 'bin/mqtt') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith(' *')).map((l) => l.slice(3)).join('\n') + '\n');
      process.exit(0);
    } else if (a === '--json') o.json = true;
    else if (a === '--mqtt') o.mqtt = path.resolve(argv[++i] ?? usage('--mqtt needs a path'));
    else if (['--count', '--seed', '--jobs', '--timeout', '--examples'].includes(a)) {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) usage(`${a} needs a whole number`);
      o[a.slice(2)] = v;
    } else usage(`unknown argument ${a}`);
  }
  return o;
}
function usage(msg) {
  process.stderr.write(`Error: ${msg}\n`);
  process.exit(2);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts a broker process with a config on a free port; resolves when it logs that it runs. */
async function startBroker(kind, dir, opts) {
  const port = await freePort();
  const conf = path.join(dir, `${kind}.conf`);
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stderr', 'log_type error', 'log_type warning'].join('\n') + '\n');
  const proc =
    kind === 'mosquitto'
      ? spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(process.execPath, [opts.mqtt, 'broker', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => {
    log += d;
    if (log.length > 1_000_000) log = log.slice(-500_000);
  });
  // only errors are logged (thousands of connections otherwise): ready when the port accepts
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${kind} exited ${proc.exitCode} at start: ${log}`);
    if (await accepts(port)) break;
    if (Date.now() > deadline) throw new Error(`${kind} did not listen on ${port} within 15 s: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { kind, port, proc, log: () => log };
}

function accepts(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

const opts = parseArgs(process.argv.slice(2));
const dir = mkdtempSync(path.join(tmpdir(), 'mqtt-fuzz-'));
const bundle = path.join(dir, 'fuzz-lib.mjs');
await build({
  entryPoints: [path.join(here, 'fuzz-lib.ts')], outfile: bundle, bundle: true, platform: 'node', format: 'esm', logLevel: 'warning',
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
});
const lib = await import(bundle);

const ours = await startBroker('mqtt', dir, opts);
const mosq = await startBroker('mosquitto', dir, opts);
let oursDied = null;
ours.proc.on('exit', (code, signal) => (oursDied = `exit ${code ?? signal}`));

const tally = new Map();
const groups = new Map();
const t0 = Date.now();
await lib.pool(lib.cases(opts.count, opts.seed, String(process.pid)), opts.jobs, async (c) => {
  if (oursDied) return;
  const [a, b] = await Promise.all([lib.probe(ours.port, c, opts.timeout), lib.probe(mosq.port, c, opts.timeout)]);
  const key = a === b ? `both ${a}` : `ours ${a}, mosquitto ${b}`;
  tally.set(key, (tally.get(key) ?? 0) + 1);
  if (a !== b) {
    const g = `${key} | ${c.seed.name}`;
    const list = groups.get(g) ?? [];
    list.push({ index: c.index, mutation: c.mutation, hex: c.bytes.toString('hex') });
    groups.set(g, list);
  }
});
const seconds = (Date.now() - t0) / 1000;
const rssMB = (proc) => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))[1]) / 1024;
  } catch {
    return NaN;
  }
};
const rss = { ours: rssMB(ours.proc), mosquitto: rssMB(mosq.proc) };
ours.proc.kill('SIGTERM');
mosq.proc.kill('SIGTERM');
rmSync(dir, { recursive: true, force: true });

const weCarryOn = [...tally].filter(([k]) => /^ours open, mosquitto closed/.test(k)).reduce((n, [, v]) => n + v, 0);
const summary = {
  cases: opts.count,
  seed: opts.seed,
  seconds,
  oursDied,
  rssMBAtEnd: rss,
  outcomes: Object.fromEntries([...tally].sort((x, y) => y[1] - x[1])),
  weCarryOnWhereMosquittoCloses: weCarryOn,
  mismatches: Object.fromEntries(
    [...groups].sort((x, y) => y[1].length - x[1].length).map(([g, list]) => [g, { count: list.length, examples: list.slice(0, opts.examples) }]),
  ),
};
if (opts.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
else {
  console.log(`${opts.count} cases (seed ${opts.seed}) in ${seconds.toFixed(1)} s${oursDied ? `; OUR BROKER DIED (${oursDied})` : ''}`);
  console.log(`RSS at the end: ours ${rss.ours.toFixed(1)} MB, Mosquitto ${rss.mosquitto.toFixed(1)} MB`);
  for (const [k, v] of Object.entries(summary.outcomes)) console.log(`  ${String(v).padStart(6)}  ${k}`);
  console.log(`we carry on where Mosquitto closes: ${weCarryOn}`);
  for (const [g, { count, examples }] of Object.entries(summary.mismatches)) {
    console.log(`\n${count}  ${g}`);
    for (const e of examples) console.log(`    #${e.index} ${e.mutation}: ${e.hex}`);
  }
}
process.exit(oursDied ? 1 : 0);
