import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchResult } from '../../src/bench/result.js';
import { BENCH_RESULT_SCHEMA } from '../../src/bench/report-schema.js';
import { startFaultyProxy, type Fault, type FaultyProxy } from '../helpers/bench-proxy.js';
import { checkSchema } from '../helpers/bench-schema.js';
import { runMqtt, spawnMqtt } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';

const parse = (stdout: Buffer) => {
  const r = JSON.parse(stdout.toString()) as BenchResult;
  expect(checkSchema(BENCH_RESULT_SCHEMA, r)).toEqual([]);
  return r;
};

describe('mqtt bench with nothing to talk to', () => {
  it('counts and shows refused connections, exit 1, no hang', async () => {
    const port = await freePort();
    const run = await runMqtt(['bench', 'pub', '-p', String(port), '-c', '3', '-n', '10'], { timeoutMs: 15_000 });
    expect(run.code).toBe(1);
    const out = run.stdout.toString();
    expect(out).toMatch(/connections: 0 of 3 connected, 3 failed/);
    expect(out).toMatch(/^ {4}Connection refused: 3$/m);
  });

  it('gives up on a server that accepts but never answers CONNECT', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const run = await runMqtt(['bench', 'conn', '-p', String(port), '-c', '4', '--connect-timeout', '0.3', '--json', '--quiet'], { timeoutMs: 15_000 });
      expect(run.code).toBe(1);
      expect(parse(run.stdout).connections).toMatchObject({ attempted: 4, connected: 0, failed: 4, errors: [{ reason: 'timed out', count: 4 }] });
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('rejects bad options with a usage error', async () => {
    const run = await runMqtt(['bench', 'pubsub', '-q', '7']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("Error: --qos must be between 0 and 2, got 7.\nUse 'mqtt bench pubsub --help' to see usage.\n");
    const unknown = await runMqtt(['bench', 'conn', '--bogus']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^Error: Unknown option '--bogus'/);
  });

  it('prints the JSON Schema of its --json output', async () => {
    const run = await runMqtt(['bench', 'schema']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout.toString())).toEqual(JSON.parse(JSON.stringify(BENCH_RESULT_SCHEMA)));
  });
});

describeIfTool(['mosquitto'], 'mqtt bench with faults injected between it and Mosquitto', () => {
  let broker: Mosquitto;
  let proxy: FaultyProxy | undefined;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await proxy?.close();
    await broker?.stop();
  });

  it('reports exactly the messages dropped, duplicated and reordered on the way', async () => {
    const fault = (k: number): Fault => (k % 10 === 0 ? 'drop' : k % 13 === 0 ? 'hold' : k % 7 === 0 ? 'duplicate' : 'pass');
    proxy = await startFaultyProxy(broker.port, fault);
    const n = 1000;
    const faults = Array.from({ length: n }, (_, i) => fault(i + 1));
    const count = (f: Fault) => faults.filter((x) => x === f).length;
    const run = await runMqtt(['bench', 'pubsub', '-p', String(proxy.port), '-n', String(n), '--drain-timeout', '0.5', '--json', '--quiet'], { timeoutMs: 20_000 });
    const r = parse(run.stdout);
    expect(run.code).toBe(0);
    expect(proxy.publishes()).toBe(n);
    expect(r.publish?.sent).toBe(n);
    expect(r.receive).toMatchObject({
      lost: count('drop'),
      lostExact: true,
      duplicates: count('duplicate'),
      outOfOrder: count('hold'),
      unique: n - count('drop'),
      received: n - count('drop') + count('duplicate'),
    });
    expect(r.streams).toEqual([expect.objectContaining({ publisher: 0, sent: n, lost: count('drop') })]);
  });

  it('prints the summary so far on Ctrl-C', async () => {
    const run = spawnMqtt(['bench', 'pubsub', '-p', String(broker.port), '-d', '60', '-r', '2000', '-t', 'sigint/%i'], { timeoutMs: 20_000 });
    await run.waitForStderr(/\d+s {2}sent [1-9][\d,]*\/s/);
    run.kill('SIGINT');
    const done = await run.done;
    expect(done.code).toBe(130);
    const out = done.stdout.toString();
    expect(out).toMatch(/\(interrupted: counts so far\)/);
    expect(out).toMatch(/^ {2}published\s+[1-9][\d,]*\s/m);
    // what was in flight when Ctrl-C came is given time to arrive, not reported lost
    expect(out).toMatch(/^ {2}lost\s+0$/m);
  });
});
