// Benchmark for `mqtt sniff -r` (issue 6): captures of N QoS 0 PUBLISH packets (default 1,000,000)
// decoded by us, one line per packet and --json, both to /dev/null, and by `tshark -Y mqtt -T fields`,
// alternating A B C A B C. Reports MQTT packets/s by wall and by CPU time, and peak RSS (from /usr/bin/time).
//   real       recorded by scripts/sniff/record-bench.sh: `mosquitto_pub -l` to a Mosquitto, captured
//              with tcpdump in a private network namespace, lo at MTU 1500 (needs root, unshare,
//              tcpdump, mosquitto; skipped, said out loud, where they are missing)
//   synthetic  written here: 1, 2, 3, 5 or 8 packets per frame, about 263k frames, like the 277k of
//              the reference capture: the case where the per-frame cost counts most
// Usage: npm run perf:sniff [-- packets [runs]]     (SNIFF_BENCH_KEEP=1 keeps the captures in the temp dir)
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, median } from './lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MQTT = path.join(ROOT, 'bin/mqtt');
const PACKETS = Number(process.argv[2] ?? 1_000_000);
const RUNS = Number(process.argv[3] ?? 3);
const PER_FRAME = [1, 2, 3, 5, 8]; // packets per segment, cycled: some frames carry one, some many
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

function publish(i) {
  const topic = Buffer.from(`bench/${i % 100}`);
  const payload = Buffer.from(`message ${i}`);
  const rl = 2 + topic.length + payload.length;
  return Buffer.concat([Buffer.from([0x30, rl, topic.length >> 8, topic.length & 0xff]), topic, payload]);
}

function frame(seq, payload, fromClient) {
  const ip = Buffer.alloc(20);
  const tcp = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(40 + payload.length, 2);
  ip[8] = 64;
  ip[9] = 6;
  Buffer.from([127, 0, 0, 1]).copy(ip, 12);
  Buffer.from([127, 0, 0, 1]).copy(ip, 16);
  tcp.writeUInt16BE(fromClient ? 40000 : 1883, 0);
  tcp.writeUInt16BE(fromClient ? 1883 : 40000, 2);
  tcp.writeUInt32BE(seq >>> 0, 4);
  tcp[12] = 0x50;
  tcp[13] = payload.length ? 0x18 : (fromClient ? 0x02 : 0x12);
  const eth = Buffer.from('00000000000000000000000008 00'.replace(/ /g, ''), 'hex');
  return Buffer.concat([eth, ip, tcp, payload]);
}

async function writeSynthetic(file) {
  const out = createWriteStream(file);
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(1, 20);
  out.write(header);
  let usec = 0;
  const put = (data) => {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1_700_000_000 + Math.floor(usec / 1e6), 0);
    rec.writeUInt32LE(usec % 1e6, 4);
    rec.writeUInt32LE(data.length, 8);
    rec.writeUInt32LE(data.length, 12);
    usec += 3;
    return out.write(Buffer.concat([rec, data]));
  };
  let cseq = 1000;
  put(frame(cseq++, Buffer.alloc(0), true));
  put(frame(50000, Buffer.alloc(0), false));
  const connect = Buffer.from('100c00044d5154540402003c0000', 'hex');
  put(frame(cseq, connect, true));
  cseq += connect.length;
  put(frame(50001, Buffer.from('20020000', 'hex'), false));
  let i = 0;
  let k = 0;
  while (i < PACKETS) {
    const n = Math.min(PER_FRAME[k++ % PER_FRAME.length], PACKETS - i);
    const seg = Buffer.concat(Array.from({ length: n }, () => publish(i++)));
    if (!put(frame(cseq, seg, true))) await new Promise((r) => out.once('drain', r));
    cseq += seg.length;
  }
  await new Promise((r) => out.end(r));
}

/** The real capture, or null (and why) where it cannot be recorded here. */
function recordReal(file) {
  const missing = ['unshare', 'tcpdump', 'mosquitto', 'mosquitto_pub'].filter((c) => !has(c));
  if (process.getuid?.() !== 0) return 'not root';
  if (missing.length) return `${missing.join(', ')} missing`;
  const r = spawnSync('unshare', ['--net', 'sh', path.join(ROOT, 'scripts/sniff/record-bench.sh'), file, String(PACKETS)], { encoding: 'utf8' });
  if (r.status !== 0) return `recording failed: ${r.stderr.trim()}`;
  return null;
}

/** Wall and CPU (user + system) seconds, peak RSS: on a shared machine CPU time is the steadier figure. */
function timed(cmd, args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  const [secs, user, sys, kb] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { secs, cpu: user + sys, rssMb: kb / 1024 };
}

/** Both decoders must see every packet before their times mean anything. */
function checkCounts(file) {
  const summary = JSON.parse(execFileSync(MQTT, ['sniff', '-r', file, '--no-packets', '--summary', '--json'], { encoding: 'utf8' })).summary;
  if (summary.byType.PUBLISH?.c2s !== PACKETS) throw new Error(`we decoded ${summary.byType.PUBLISH?.c2s} PUBLISH, not ${PACKETS}`);
  return summary.frames;
}

function bench(name, file) {
  const frames = checkCounts(file);
  console.log(`\n${name}: ${PACKETS.toLocaleString('en-US')} PUBLISH in ${frames.toLocaleString('en-US')} frames, ${fmt(statSync(file).size / 1e6)} MB`);
  const runners = [
    ['mqtt sniff -r (lines)', () => timed(MQTT, ['sniff', '-r', file, '-q'])],
    ['mqtt sniff -r --json', () => timed(MQTT, ['sniff', '-r', file, '--json', '-q'])],
  ];
  if (has('tshark')) {
    runners.push(['tshark -Y mqtt -T fields', () => timed('tshark', ['-r', file, '-Y', 'mqtt', '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'mqtt.msgtype', '-e', 'mqtt.topic'])]);
  }
  const results = runners.map(() => []);
  for (let run = 0; run < RUNS; run++) runners.forEach(([, fn], i) => results[i].push(fn()));
  const medians = runners.map(([label], i) => {
    const s = median(results[i].map((x) => x.secs));
    const cpu = median(results[i].map((x) => x.cpu));
    const rss = Math.max(...results[i].map((x) => x.rssMb));
    const rate = (t) => `${fmt(PACKETS / t / 1000, 0).padStart(5)}k/s`;
    console.log(`  ${label.padEnd(26)} wall ${fmt(s, 2).padStart(6)} s ${rate(s)}   cpu ${fmt(cpu, 2).padStart(6)} s ${rate(cpu)}   peak RSS ${fmt(rss, 0)} MB`);
    return { s, cpu };
  });
  const ratio = (a, b) => `${fmt(b.s / a.s, 1)}x wall, ${fmt(b.cpu / a.cpu, 1)}x cpu`;
  if (medians.length === 3) console.log(`  packets/s vs tshark: lines ${ratio(medians[0], medians[2])}; --json ${ratio(medians[1], medians[2])}`);
  else console.log('  tshark not installed: no comparison');
}

const keep = process.env.SNIFF_BENCH_KEEP === '1';
const real = path.join(tmpdir(), `sniff-bench-real-${PACKETS}.pcap`);
const synthetic = path.join(tmpdir(), `sniff-bench-synthetic-${PACKETS}.pcap`);
try {
  const why = existsSync(real) ? null : recordReal(real);
  if (why) console.log(`real capture skipped: ${why}`);
  else bench('real (mosquitto_pub -l, tcpdump, lo MTU 1500)', real);
  if (!existsSync(synthetic)) await writeSynthetic(synthetic);
  bench('synthetic (1-8 packets per frame)', synthetic);
} finally {
  if (!keep) for (const f of [real, synthetic]) rmSync(f, { force: true });
}
