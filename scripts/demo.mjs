// `npm start`: the main job on a fresh machine — start the embedded broker on a free port, then a
// publish/subscribe round trip through it with `mqtt sub` and `mqtt pub`, and stop.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const mqtt = (args, opts = {}) => spawn(process.execPath, [path.join(root, 'bin/mqtt'), ...args], { stdio: ['ignore', 'pipe', 'inherit'], ...opts });
const firstLine = (stream) =>
  new Promise((resolve, reject) => {
    let buf = '';
    stream.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    stream.on('end', () => reject(new Error('no output')));
  });
const exited = (proc) => new Promise((resolve) => proc.on('close', (code) => resolve(code)));

const broker = mqtt(['broker', '--port', '0'], { stdio: ['ignore', 'pipe', 'ignore'] });
const port = await firstLine(broker.stdout);
console.log(`$ mqtt broker --port 0          # listening on 127.0.0.1:${port}`);

const sub = mqtt(['sub', '-p', port, '-t', 'demo/#', '-v', '-C', '3', '-d']);
let out = '';
const subscribed = new Promise((resolve) =>
  sub.stdout.on('data', (d) => {
    out += d;
    if (out.includes('Subscribed')) resolve();
  }),
);
await subscribed;
console.log(`$ mqtt sub -p ${port} -t 'demo/#' -v -C 3 &`);
const messages = [
  ['demo/temperature', '25.5', '0'],
  ['demo/humidity', '40', '1'],
  ['demo/door', 'open', '2'],
];
for (const [topic, payload, qos] of messages) {
  console.log(`$ mqtt pub -p ${port} -t ${topic} -m ${payload} -q ${qos}`);
  const code = await exited(mqtt(['pub', '-p', port, '-t', topic, '-m', payload, '-q', qos]));
  if (code !== 0) throw new Error(`mqtt pub exited ${code}`);
}
const subCode = await exited(sub);
const printed = out.split('\n').filter((l) => !l.startsWith('Client ') && !l.startsWith('Subscribed') && l);
console.log('\nmqtt sub printed:');
for (const l of printed) console.log(`  ${l}`);
broker.kill('SIGTERM');
await exited(broker);
const ok = subCode === 0 && printed.length === 3;
console.log(ok ? '\nRound trip OK: 3 messages published and received through the embedded broker.' : '\nRound trip FAILED');
process.exitCode = ok ? 0 : 1;
