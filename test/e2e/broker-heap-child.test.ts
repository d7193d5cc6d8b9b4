import { readFileSync } from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { brokerWorkerPid } from '../helpers/broker-process.js';
import { spawnMqtt } from '../helpers/cli.js';

// `mqtt broker` runs the broker in a child Node with a 1 MB young generation (issue 16: RSS per
// idle connection); see src/commands/broker-heap.ts

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });
}

async function waitUntil(what: string, test: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!(await test())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function start() {
  const b = spawnMqtt(['broker', '--port', '0'], { timeoutMs: 60_000 });
  const port = Number((await b.waitForStdout(/^\d+\n/)).trim());
  const child = brokerWorkerPid(b.proc.pid!);
  return { b, port, child };
}

describe('the broker runs in a child with a small young generation', () => {
  it('the child has the flag; SIGTERM to the launcher stops it and the exit status is the broker\'s', async () => {
    const { b, port, child } = await start();
    expect(child).not.toBe(b.proc.pid);
    const env = readFileSync(`/proc/${child}/environ`, 'utf8').split('\0');
    expect(env).toContain('MQTT_BROKER_HEAP=child');
    expect(env.find((e) => e.startsWith('NODE_OPTIONS='))).toMatch(/--max-semi-space-size=1/);
    // one malloc arena: less RSS per idle connection (src/commands/broker-heap.ts)
    expect(env).toContain('MALLOC_ARENA_MAX=1');
    b.kill('SIGTERM');
    const r = await b.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/terminating/);
    expect(await refused(port)).toBe(true);
    await waitUntil(`child ${child} to end`, () => !alive(child));
  });

  it('SIGTERM to launcher and broker at once (systemd signals the whole group): one clean stop, status 0', async () => {
    const { b, child } = await start();
    // the broker gets it twice (its own, then the launcher's): the second must not end it mid-stop
    process.kill(child, 'SIGTERM');
    b.kill('SIGTERM');
    const r = await b.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.match(/terminating/g)?.length).toBe(1);
  });

  it('a launcher killed with SIGKILL takes the broker with it (no orphan holding the port)', async () => {
    const { b, port, child } = await start();
    b.kill('SIGKILL');
    await waitUntil(`port ${port} to close`, () => refused(port));
    await waitUntil(`child ${child} to end`, () => !alive(child));
    // the output pipes close once the child, which held them too, has gone
    await b.done;
  });

  it('MQTT_BROKER_HEAP=keep runs the broker in the first process', async () => {
    const b = spawnMqtt(['broker', '--port', '0'], { timeoutMs: 60_000, env: { ...process.env, MQTT_BROKER_HEAP: 'keep' } });
    await b.waitForStdout(/^\d+\n/);
    expect(brokerWorkerPid(b.proc.pid!)).toBe(b.proc.pid);
    b.kill('SIGTERM');
    expect((await b.done).code).toBe(0);
  });
});
