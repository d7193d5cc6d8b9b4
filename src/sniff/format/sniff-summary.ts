import type { ChalkInstance } from 'chalk';
import { PACKET_TYPE_NAMES } from '../mqtt-header.js';
import type { CaptureCounters } from '../sniffer.js';
import type { LatencyTotals, SniffSummary } from '../summary.js';

const n = (x: number) => x.toLocaleString('en-US');
const plural = (x: number, one: string, many = `${one}s`) => `${n(x)} ${x === 1 ? one : many}`;

function latencyLine(name: string, l: LatencyTotals | null): string | null {
  if (!l) return null;
  return `  ${name.padEnd(16)} ${plural(l.count, 'ack')}: p50 ${l.p50.toFixed(3)} ms, p99 ${l.p99.toFixed(3)} ms (min ${l.min.toFixed(3)}, max ${l.max.toFixed(3)})`;
}

/** The summary in text form: on stderr at exit and on Ctrl-C, unless -q. */
export function summaryText(summary: SniffSummary, counters: CaptureCounters, chalk: ChalkInstance): string {
  const lines: string[] = [chalk.bold('Summary')];
  const mqttConns = counters.mqttConnections;
  lines.push(
    `  ${plural(counters.frames, 'frame')} (${plural(counters.bytes, 'byte')}), ${plural(counters.tcpSegments, 'TCP segment')}, ` +
      `${plural(counters.connections, 'connection')} (${n(mqttConns)} MQTT${summary.notMqtt ? `, ${n(summary.notMqtt)} not MQTT on an MQTT port` : ''})`,
  );
  lines.push(`  ${plural(summary.packets, 'MQTT packet')} (${plural(summary.mqttBytes, 'byte')}), ${n(summary.malformed)} malformed`);
  for (const type of PACKET_TYPE_NAMES) {
    const row = summary.byType.get(type);
    if (row) lines.push(`    ${type.padEnd(12)} ${n(row.c2s + row.s2c).padStart(11)}  (client->server ${n(row.c2s)}, server->client ${n(row.s2c)})`);
  }
  lines.push(
    `  ${plural(counters.gaps, 'gap')} (${plural(counters.gapBytes, 'byte')} not captured), ${plural(counters.retransmittedSegments, 'retransmitted segment')}, ` +
      `${plural(summary.skippedBytes, 'byte')} skipped, ${plural(counters.truncatedFrames, 'frame')} cut short`,
  );
  const json = summary.toJSON(counters) as { latencyMs: { puback: LatencyTotals | null; pubcomp: LatencyTotals | null } };
  const latency = [latencyLine('PUBLISH->PUBACK', json.latencyMs.puback), latencyLine('PUBLISH->PUBCOMP', json.latencyMs.pubcomp)].filter((l) => l !== null);
  if (latency.length) lines.push('  latency', ...latency.map((l) => `  ${l}`));
  if (summary.clients.size > 0) lines.push(`  clients ${[...summary.clients].slice(0, 20).map((c) => JSON.stringify(c)).join(', ')}${summary.clients.size > 20 ? `, … (${n(summary.clients.size)})` : ''}`);
  if (summary.topics.size > 0) {
    const top = [...summary.topics].sort((a, b) => b[1] - a[1]).slice(0, 10);
    lines.push(`  ${plural(summary.topics.size, 'topic')}, ${plural(summary.payloadBytes, 'PUBLISH payload byte')}; busiest:`);
    for (const [topic, count] of top) lines.push(`    ${n(count).padStart(11)}  ${JSON.stringify(topic)}`);
  }
  const violations = summary.violationCount();
  if (violations > 0) {
    lines.push(chalk.yellow(`  ${plural(violations, 'protocol violation')}:`));
    for (const [what, count] of summary.violations) lines.push(`    ${n(count).padStart(11)}  ${what}`);
  }
  return lines.join('\n') + '\n';
}
