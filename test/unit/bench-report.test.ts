import { describe, expect, it } from 'vitest';
import { Histogram } from '../../src/core/stats/histogram.js';
import { emptyStats } from '../../src/bench/lane-stats.js';
import { resolvePlan } from '../../src/bench/plan-options.js';
import { BENCH_RESULT_SCHEMA } from '../../src/bench/report-schema.js';
import { buildResult, RESULT_SCHEMA } from '../../src/bench/result.js';
import { renderSummary } from '../../src/bench/summary.js';
import { checkSchema } from '../helpers/bench-schema.js';

function pubsubFacts() {
  const plan = resolvePlan('pubsub', { publishers: '2', subscribers: '2', count: '100', port: '1883' });
  const stats = emptyStats();
  Object.assign(stats, { sent: 200, received: 390, unique: 385, duplicates: 5, outOfOrder: 2, subscribed: 2, sentBy: { 0: 100, 1: 100 } });
  stats.connections = { attempted: 4, connected: 4, failed: 0, lost: 0, errors: {} };
  const latency = new Histogram();
  for (let i = 0; i < 390; i++) latency.record(100 + i * 10);
  stats.latency = latency;
  const streams = [0, 1].map((publisher) => ({
    runId: plan.runId, publisher, subscribers: 2, received: 195, unique: publisher === 0 ? 200 : 185, duplicates: 5, outOfOrder: 1, next: 100, gaps: 0,
  }));
  return { plan, stats, streams, intervals: [], startedAt: new Date(0), startMs: 1000, publishEndMs: 2000, connectEndMs: 900, endMs: 3000, interrupted: false, exitCode: 0 };
}

describe('bench report', () => {
  it('computes exact loss per stream in pubsub: sent × subscribers − distinct received', () => {
    const r = buildResult(pubsubFacts());
    expect(r.streams.map((s) => [s.publisher, s.sent, s.lost])).toEqual([[0, 100, 0], [1, 100, 15]]);
    expect(r.receive).toMatchObject({ lost: 15, lostExact: true, duplicates: 5, outOfOrder: 2 });
  });

  it('matches its published JSON Schema', () => {
    expect(RESULT_SCHEMA).toBe('mqtt-bench/1');
    const r = JSON.parse(JSON.stringify(buildResult(pubsubFacts())));
    expect(checkSchema(BENCH_RESULT_SCHEMA, r)).toEqual([]);
    // the top-level shape is the contract: changing it means a new schema id
    expect(Object.keys(r)).toEqual(BENCH_RESULT_SCHEMA.required);
    expect(checkSchema(BENCH_RESULT_SCHEMA, { ...r, extra: 1 })).toEqual(["$: unexpected 'extra'"]);
  });

  it('renders a table, the latency percentiles and a chart', () => {
    const text = renderSummary(buildResult(pubsubFacts()));
    expect(text).toMatch(/^mqtt bench pubsub: 2 publishers -> 2 subscribers, QoS 0, 64-byte payloads, mqtt:\/\/localhost:1883 \(MQTT 3\.1\.1\)/);
    expect(text).toMatch(/^ {2}lost\s+15$/m);
    expect(text).toMatch(/^ {2}end to end\s+0\.100\s/m);
    expect(text).toMatch(/end-to-end latency distribution\n\s+< 0\.2 ms \|#+\s*\|/);
  });
});
