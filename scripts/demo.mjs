// `npm start`: the main job on a fresh machine — start the embedded broker on a free port, then a
// publish/subscribe round trip through it with `mqtt sub` and `mqtt pub`, and stop.
//
// Every wait has a deadline and names what it waits for; on failure (or Ctrl-C) the children are
// killed before the demo exits 1. Each child's exit is watched from the moment it is spawned:
// `mqtt sub -C 3` may well exit before the last `mqtt pub` has, and an exit listener attached
// only afterwards would wait forever for an event already gone.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEADLINE_MS = Number(process.env.MQTT_DEMO_DEADLINE_MS) || 20_000;
const children = new Set();

/** A running `mqtt` child: its stdout so far, and a promise of its exit code. */
function mqtt(args, stdio = ['ignore', 'pipe', 'inherit']) {
  const proc = spawn(process.execPath, [path.join(root, 'bin/mqtt'), ...args], { stdio });
  const child = { name: `mqtt ${args[0]}`, proc, out: '', listeners: new Set() };
  children.add(child);
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (d) => {
    child.out += d;
    for (const l of child.listeners) l();
  });
  child.exited = new Promise((resolve) => {
    proc.on('error', (err) => resolve(`failed to start: ${err.message}`));
    proc.on('close', (code, signal) => {
      children.delete(child);
      resolve(code ?? signal);
      for (const l of child.listeners) l();
    });
  });
  return child;
}

/** Resolves with what `test(out)` returns once it is truthy; fails when the child ends first or time runs out. */
function waitForOutput(child, what, test) {
  return withDeadline(
    what,
    new Promise((resolve, reject) => {
      const check = () => {
        const found = test(child.out);
        if (found) {
          child.listeners.delete(check);
          resolve(found);
        } else if (child.proc.exitCode !== null || child.proc.signalCode !== null) {
          child.listeners.delete(check);
          reject(new Error(`${child.name} exited before printing ${what}`));
        }
      };
      child.listeners.add(check);
      check();
    }),
  );
}

function withDeadline(what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${DEADLINE_MS / 1000} s waiting for ${what}`)), DEADLINE_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function killChildren() {
  for (const c of children) c.proc.kill('SIGKILL');
}

async function demo() {
  const broker = mqtt(['broker', '--port', '0'], ['ignore', 'pipe', 'ignore']);
  const port = await waitForOutput(broker, 'the broker to print its port', (out) => /^(\d+)\n/.exec(out)?.[1]);
  console.log(`$ mqtt broker --port 0          # listening on 127.0.0.1:${port}`);

  const sub = mqtt(['sub', '-p', port, '-t', 'demo/#', '-v', '-C', '3', '-d']);
  await waitForOutput(sub, "mqtt sub's SUBACK (Subscribed)", (out) => out.includes('Subscribed'));
  console.log(`$ mqtt sub -p ${port} -t 'demo/#' -v -C 3 &`);
  const messages = [
    ['demo/temperature', '25.5', '0'],
    ['demo/humidity', '40', '1'],
    ['demo/door', 'open', '2'],
  ];
  for (const [topic, payload, qos] of messages) {
    console.log(`$ mqtt pub -p ${port} -t ${topic} -m ${payload} -q ${qos}`);
    const code = await withDeadline(`mqtt pub -t ${topic} to exit`, mqtt(['pub', '-p', port, '-t', topic, '-m', payload, '-q', qos]).exited);
    if (code !== 0) throw new Error(`mqtt pub -t ${topic} exited ${code}`);
  }
  const subCode = await withDeadline('mqtt sub -C 3 to exit after its third message', sub.exited);
  const printed = sub.out.split('\n').filter((l) => !l.startsWith('Client ') && !l.startsWith('Subscribed') && l);
  console.log('\nmqtt sub printed:');
  for (const l of printed) console.log(`  ${l}`);
  broker.proc.kill('SIGTERM');
  await withDeadline('the broker to exit after SIGTERM', broker.exited);
  const ok = subCode === 0 && printed.length === 3;
  console.log(ok ? '\nRound trip OK: 3 messages published and received through the embedded broker.' : `\nRound trip FAILED (mqtt sub exited ${subCode})`);
  return ok;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    killChildren();
    process.exit(1);
  });
}
try {
  process.exitCode = (await demo()) ? 0 : 1;
} catch (err) {
  console.error(`demo: ${err.message}`);
  for (const c of children) if (c.out) console.error(`demo: ${c.name} printed so far:\n${c.out.replace(/^/gm, '  ')}`);
  process.exitCode = 1;
} finally {
  killChildren();
}
