// Benchmark for `mqtt sniff -r`: a capture of N QoS 0 PUBLISH packets (default 1,000,000, about
// 3.6 per 64 KiB-ish frame like a real `mosquitto_pub -l` burst on lo) decoded by us and by tshark,
// alternating A B A B. Reports MQTT packets/s and peak RSS (from /usr/bin/time).
// Usage: npm run build && node scripts/perf/sniff.mjs [packets] [runs]
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, median } from './lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PACKETS = Number(process.argv[2] ?? 1_000_000);
const RUNS = Number(process.argv[3] ?? 3);
const PER_FRAME = [1, 2, 3, 5, 8]; // packets per segment, cycled: some frames carry one, some many
const file = path.join(tmpdir(), `sniff-bench-${PACKETS}.pcap`);

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

async function writeCapture() {
  if (existsSync(file)) return;
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

function timed(cmd, args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'ignore', 'pipe'] });
  const [secs, kb] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { secs, rssMb: kb / 1024 };
}

await writeCapture();
console.log(`capture: ${PACKETS.toLocaleString('en-US')} PUBLISH, ${fmt(statSync(file).size / 1e6)} MB (${file})`);
const ours = [];
const theirs = [];
const hasTshark = spawnSync('sh', ['-c', 'command -v tshark']).status === 0;
// check both decode every packet before timing
const summary = JSON.parse(execFileSync(path.join(ROOT, 'bin/mqtt'), ['sniff', '-r', file, '-q', '--summary', '--json'], { encoding: 'utf8' })).summary;
if (summary.byType.PUBLISH.c2s !== PACKETS) throw new Error(`we decoded ${summary.byType.PUBLISH.c2s} PUBLISH, not ${PACKETS}`);
for (let run = 0; run < RUNS; run++) {
  ours.push(timed(path.join(ROOT, 'bin/mqtt'), ['sniff', '-r', file, '--json']));
  if (hasTshark) theirs.push(timed('tshark', ['-r', file, '-Y', 'mqtt', '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'mqtt.msgtype', '-e', 'mqtt.topic']));
}
const report = (name, xs) => {
  const s = median(xs.map((x) => x.secs));
  const rss = Math.max(...xs.map((x) => x.rssMb));
  console.log(`${name.padEnd(34)} ${fmt(s, 2)} s  ${fmt(PACKETS / s / 1000, 0)}k MQTT packets/s  peak RSS ${fmt(rss, 0)} MB`);
  return s;
};
const a = report('mqtt sniff -r --json', ours);
if (hasTshark) {
  const b = report('tshark -Y mqtt -T fields', theirs);
  console.log(`speed ratio (tshark time / ours): ${fmt(b / a, 2)}`);
}
if (process.env.SNIFF_BENCH_KEEP !== '1') rmSync(file, { force: true });
