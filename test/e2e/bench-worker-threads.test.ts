import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { runMqtt } from '../helpers/cli.js';

describe('mqtt bench with worker threads', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  // Each worker opened its first connection with V8's regexp tier-up flag toggled, and V8 flags
  // are process-wide: two workers doing it at once crashed the process (SIGSEGV) in 1 run of 10.
  // Two runs at a time: many at once stagger the workers' start and hid the race.
  it('runs 24 two-worker benches without a crash: exit 0, no signal, a JSON result each', async () => {
    const runs = [];
    for (let i = 0; i < 24; i += 2) {
      const bench = (n: number) =>
        runMqtt(['bench', 'pubsub', '-p', String(broker.port), '-w', '2', '--publishers', '3', '--subscribers', '2', '-n', '50', '-t', `threads/${n}/%i`, '--json', '--quiet'], { timeoutMs: 20_000 });
      runs.push(...(await Promise.all([bench(i), bench(i + 1)])));
    }
    const outcomes = runs.map((r) => ({ code: r.code, signal: r.signal, json: r.stdout.toString().startsWith('{') }));
    expect(outcomes).toEqual(runs.map(() => ({ code: 0, signal: null, json: true })));
  });
});
