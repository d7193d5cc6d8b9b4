import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FromLane } from '../../src/bench/lane-protocol.js';
import { resolvePlan } from '../../src/bench/plan-options.js';
import { splitPlan } from '../../src/bench/plan.js';
import { LANE_WORKER_MARK } from '../../src/bench/worker-entry.js';
import { WORKER_THREAD_ARG } from '../../src/core/runtime/worker-script.js';
import type { BenchResult } from '../../src/bench/result.js';
import { BENCH_RESULT_SCHEMA } from '../../src/bench/report-schema.js';
import { checkSchema } from '../helpers/bench-schema.js';
import { ROOT, runMqtt, spawnMqtt } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';

/** Runs `mqtt bench …--json --quiet`, checks the output against the schema, returns it parsed. */
async function bench(args: string[]): Promise<{ code: number | null; r: BenchResult; stderr: string }> {
  const run = await runMqtt(['bench', ...args, '--json', '--quiet'], { timeoutMs: 20_000 });
  expect({ code: run.code, signal: run.signal, stderr: run.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
  const r = JSON.parse(run.stdout.toString()) as BenchResult;
  expect(checkSchema(BENCH_RESULT_SCHEMA, r)).toEqual([]);
  return { code: run.code, r, stderr: run.stderr };
}

describeIfTool(['mosquitto'], 'mqtt bench against a real Mosquitto', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    // unlimited queues: with its defaults Mosquitto drops QoS 1/2 messages for slow subscribers
    broker = await startMosquitto({ config: ['max_inflight_messages 0', 'max_queued_messages 0'] });
  });
  afterAll(async () => {
    await broker?.stop();
  });

  for (const [qos, version] of [[0, '311'], [1, '311'], [2, '311'], [1, '5']] as const) {
    it(`pubsub delivers exact counts at QoS ${qos}, MQTT ${version}`, async () => {
      const { code, r } = await bench(['pubsub', '-p', String(broker.port), '-V', version, '-q', String(qos), '--publishers', '2', '--subscribers', '2', '-n', '150', '-t', `exact/${qos}/${version}/%i`]);
      expect(code).toBe(0);
      expect(r.publish).toMatchObject({ sent: 300, acked: qos ? 300 : 0, unacked: 0 });
      expect(r.receive).toMatchObject({ received: 600, unique: 600, lost: 0, lostExact: true, duplicates: 0, outOfOrder: 0, foreign: 0 });
      expect(r.streams.map((s) => [s.publisher, s.sent, s.unique, s.lost])).toEqual([[0, 150, 300, 0], [1, 150, 300, 0]]);
      expect(r.latency.endToEnd?.count).toBe(600);
      if (qos) expect(r.latency.ack?.count).toBe(300);
      expect(r.connections).toMatchObject({ attempted: 4, connected: 4, failed: 0, lost: 0 });
    });
  }

  it('runs its clients on the main thread or across two workers with the same counts', async () => {
    for (const workers of ['0', '2']) {
      const { r } = await bench(['pubsub', '-p', String(broker.port), '-w', workers, '--publishers', '3', '--subscribers', '2', '-n', '100', '-t', `workers/${workers}/%i`]);
      expect(r.config.workers).toBe(Number(workers));
      expect(r.receive).toMatchObject({ unique: 600, lost: 0, duplicates: 0 });
    }
  });

  it('runs a lane in a worker evaluated from the bundle text, as a single executable does', async () => {
    const plan = resolvePlan('conn', { port: String(broker.port), clients: '3' });
    const source = readFileSync(path.join(ROOT, 'dist/mqtt.cjs'), 'utf8');
    const worker = new Worker(source, { eval: true, argv: [WORKER_THREAD_ARG], workerData: { [LANE_WORKER_MARK]: true, init: { lanePlan: splitPlan(plan, 1)[0] } } });
    try {
      const final = await new Promise<Extract<FromLane, { type: 'final' }>>((resolve, reject) => {
        worker.on('error', reject);
        worker.on('message', (m: FromLane) => {
          if (m.type === 'ready') worker.postMessage({ type: 'finish' });
          if (m.type === 'final') resolve(m);
        });
      });
      expect(final.stats.connections).toMatchObject({ attempted: 3, connected: 3, failed: 0 });
    } finally {
      await worker.terminate();
    }
  });

  it('conn reaches the requested number of connections', async () => {
    const { code, r } = await bench(['conn', '-p', String(broker.port), '-c', '60', '--concurrency', '20']);
    expect(code).toBe(0);
    expect(r.connections).toMatchObject({ attempted: 60, connected: 60, failed: 0 });
    expect(r.latency.connect?.count).toBe(60);
    expect(r.connections.perSecond).toBeGreaterThan(0);
  });

  it('pub holds a fixed rate and sub counts the streams it sees', async () => {
    const sub = spawnMqtt(['bench', 'sub', '-p', String(broker.port), '-t', 'split/#', '-n', '300', '--json', '--quiet'], { timeoutMs: 20_000 });
    await broker.waitForLog(/Received SUBSCRIBE from mb\d+-s0[\s\S]*split\/#/);
    const { code, r } = await bench(['pub', '-p', String(broker.port), '-t', 'split/%i', '-c', '3', '-n', '100', '-r', '600']);
    expect(code).toBe(0);
    expect(r.publish).toMatchObject({ sent: 300, targetRate: 600 });
    // 300 messages at 600/s take half a second; the schedule allows no burst beyond 100 ms
    expect(r.publish!.seconds).toBeGreaterThan(0.3);
    const done = await sub.done;
    expect(done.code).toBe(0);
    const s = JSON.parse(done.stdout.toString()) as BenchResult;
    expect(checkSchema(BENCH_RESULT_SCHEMA, s)).toEqual([]);
    expect(s.receive).toMatchObject({ received: 300, unique: 300, lost: 0, lostExact: false });
    expect(s.streams.map((x) => [x.runId, x.publisher, x.unique])).toEqual([0, 1, 2].map((p) => [r.runId, p, 100]));
  });

  it('reports overrun when the rate asked for cannot be held', async () => {
    // one QoS 1 message in flight at a time cannot reach 50,000/s: the schedule sheds the excess
    const { code, r } = await bench(['pub', '-p', String(broker.port), '-q', '1', '--inflight', '1', '-r', '50000', '-d', '1', '-t', 'overrun/%i']);
    expect(code).toBe(0);
    expect(r.publish!.overrun).toBeGreaterThan(0);
    expect(r.publish!.sent).toBeLessThan(50_000);
    expect(r.publish!.acked).toBe(r.publish!.sent);
  });

  it('prints a readable summary with status lines on stderr', async () => {
    const run = await runMqtt(['bench', 'pubsub', '-p', String(broker.port), '-n', '2000', '-r', '1500', '-t', 'text/%i'], { timeoutMs: 20_000 });
    expect(run.code).toBe(0);
    const out = run.stdout.toString();
    expect(out).toMatch(/^mqtt bench pubsub: 1 publisher -> 1 subscriber, QoS 0, 64-byte payloads/);
    expect(out).toMatch(/^ {2}published\s+2,000\s+[\d,]+$/m);
    expect(out).toMatch(/^ {2}lost\s+0$/m);
    expect(out).toMatch(/end-to-end latency distribution/);
    expect(run.stderr).toMatch(/^\s+1s {2}sent [\d,]+\/s {2}recv [\d,]+\/s/m);
  });
});
