import { latencyChart } from './latency-chart.js';
import type { BenchResult, LatencyResult } from './result.js';

const n = (x: number) => Math.round(x).toLocaleString('en-US');
const plural = (count: number, word: string) => `${n(count)} ${word}${count === 1 ? '' : 's'}`;
const VERSION_NAMES: Record<number, string> = { 3: 'MQTT 3.1', 4: 'MQTT 3.1.1', 5: 'MQTT 5' };

/** What the run was, in one line a reader can check against what they meant to run. */
export function describeRun(r: BenchResult): string {
  const c = r.config;
  const where = `${r.target.url} (${VERSION_NAMES[r.target.protocolVersion] ?? r.target.protocolVersion})`;
  switch (r.mode) {
    case 'conn':
      return `${plural(c.connections, 'connection')}, ${c.concurrency} handshakes at a time, ${where}`;
    case 'sub':
      return `${plural(c.subscribers, 'subscriber')} on '${c.filter}', QoS ${c.subQos}, ${where}`;
    case 'pub':
      return `${plural(c.publishers, 'publisher')} to '${c.topic}', QoS ${c.qos}, ${c.payloadSize}-byte payloads, ${where}`;
    case 'pubsub':
      return `${plural(c.publishers, 'publisher')} -> ${plural(c.subscribers, 'subscriber')}, QoS ${c.qos}, ${c.payloadSize}-byte payloads, ${where}`;
  }
}

function limits(r: BenchResult): string {
  const c = r.config;
  const parts: string[] = [];
  if (r.mode === 'pub' || r.mode === 'pubsub') parts.push(c.rate > 0 ? `rate ${n(c.rate)} msgs/s` : 'rate unlimited');
  else if (r.mode === 'conn' && c.rate > 0) parts.push(`rate ${n(c.rate)} connects/s`);
  if (c.count > 0) parts.push(`${n(c.count)} messages per ${r.mode === 'sub' ? 'subscriber' : 'publisher'}`);
  if (c.duration > 0) parts.push(`at most ${c.duration} s`);
  if (r.mode === 'pubsub' && c.ahead > 0 && c.rate === 0) parts.push(`at most ${n(c.ahead)} ahead`);
  if (c.qos > 0 && (r.mode === 'pub' || r.mode === 'pubsub')) parts.push(`${c.inflight} in flight`);
  parts.push(plural(c.workers, 'worker'));
  return parts.join(', ');
}

function table(rows: string[][], align: Array<'l' | 'r'>): string[] {
  const widths = align.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows.map((row) => '  ' + row.map((cell, i) => (align[i] === 'l' ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('   ').trimEnd());
}

function latencyRow(name: string, l: LatencyResult | null): string[] | undefined {
  if (!l) return undefined;
  const f = (x: number) => x.toFixed(3);
  return [name, f(l.min), f(l.p50), f(l.p90), f(l.p99), f(l.p999), f(l.max), f(l.mean), n(l.count)];
}

/** The human summary printed at the end of a run (and on Ctrl-C, with what was counted so far). */
export function renderSummary(r: BenchResult): string {
  const out: string[] = [];
  out.push(`mqtt bench ${r.mode}: ${describeRun(r)}`);
  out.push(`  ${limits(r)}; ran ${r.elapsedSeconds.toFixed(2)} s${r.interrupted ? ' (interrupted: counts so far)' : ''}`);
  out.push('');

  const rows: string[][] = [['', 'count', 'per second']];
  const c = r.connections;
  if (r.mode === 'conn') rows.push(['connected', n(c.connected), n(c.perSecond)]);
  if (r.publish) {
    const p = r.publish;
    rows.push(['published', n(p.sent), n(p.rate)]);
    if (r.config.qos > 0) {
      rows.push(['acknowledged', n(p.acked), '']);
      if (p.rejected > 0) rows.push(['rejected (v5)', n(p.rejected), '']);
      rows.push(['unacknowledged', n(p.unacked), '']);
    }
    if (p.targetRate !== null) rows.push(['overrun', n(p.overrun), '']);
  }
  if (r.receive) {
    const v = r.receive;
    rows.push(['received', n(v.received), n(v.rate)]);
    rows.push([v.lostExact ? 'lost' : 'lost (gaps)', n(v.lost), '']);
    rows.push(['duplicates', n(v.duplicates), '']);
    rows.push(['out of order', n(v.outOfOrder), '']);
    if (v.foreign > 0) rows.push(['not from this run', n(v.foreign), '']);
  }
  out.push(...table(rows, ['l', 'r', 'r']));
  out.push(`  connections: ${n(c.connected)} of ${n(c.attempted)} connected, ${n(c.failed)} failed, ${n(c.lost)} lost during the run`);
  for (const e of c.errors) out.push(`    ${e.reason}: ${n(e.count)}`);
  if (r.publish && r.publish.aheadStalls > 0) {
    out.push(`  flow control: publishers went ahead of a silent subscriber ${plural(r.publish.aheadStalls, 'time')}`);
  }

  const lat = r.latency;
  const latRows = [
    latencyRow('end to end', lat.endToEnd),
    latencyRow(r.config.qos === 2 ? 'PUBCOMP' : 'PUBACK', lat.ack),
    latencyRow('connect', lat.connect),
  ].filter((row): row is string[] => row !== undefined);
  if (latRows.length > 0) {
    out.push('');
    out.push(...table([['latency (ms)', 'min', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean', 'samples'], ...latRows], ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r']));
  }
  const chartOf = lat.endToEnd ?? lat.ack ?? (r.mode === 'conn' ? lat.connect : null);
  if (chartOf) {
    const what = lat.endToEnd ? 'end-to-end' : lat.ack ? 'acknowledgement' : 'connect';
    out.push('');
    out.push(`  ${what} latency distribution`);
    out.push(...latencyChart(chartOf));
  }
  return out.join('\n') + '\n';
}
