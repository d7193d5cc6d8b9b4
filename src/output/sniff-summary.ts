import type { ChalkInstance } from 'chalk';
import { PACKET_TYPE_NAMES } from '../sniff/mqtt-header.js';
import type { CaptureCounters } from '../sniff/sniffer.js';
import type { SniffSummary } from '../sniff/summary.js';

/** The `--summary` block in text form. */
export function summaryText(summary: SniffSummary, counters: CaptureCounters, chalk: ChalkInstance): string {
  const lines: string[] = [chalk.bold('Summary')];
  lines.push(`  frames ${counters.frames}, TCP segments ${counters.tcpSegments}, connections ${counters.connections} (MQTT ${counters.mqttConnections})`);
  lines.push(`  MQTT packets ${summary.packets}${summary.malformed ? `, malformed ${summary.malformed}` : ''}`);
  for (const type of PACKET_TYPE_NAMES) {
    const row = summary.byType.get(type);
    if (row) lines.push(`    ${type.padEnd(12)} ${String(row.c2s + row.s2c).padStart(9)}  (client->server ${row.c2s}, server->client ${row.s2c})`);
  }
  if (summary.clients.size > 0) lines.push(`  clients ${[...summary.clients].map((c) => JSON.stringify(c)).join(', ')}`);
  if (summary.topics.size > 0) {
    const top = [...summary.topics].sort((a, b) => b[1] - a[1]).slice(0, 10);
    lines.push(`  topics ${summary.topics.size}, PUBLISH payload bytes ${summary.payloadBytes}; busiest:`);
    for (const [topic, n] of top) lines.push(`    ${String(n).padStart(9)}  ${JSON.stringify(topic)}`);
  }
  lines.push(`  retransmitted segments ${counters.retransmittedSegments}, bytes not captured ${counters.gapBytes}, bytes skipped ${summary.skippedBytes}`);
  const violations = summary.violationCount();
  if (violations > 0) {
    lines.push(chalk.yellow(`  protocol violations ${violations}:`));
    for (const [what, n] of summary.violations) lines.push(`    ${String(n).padStart(9)}  ${what}`);
  }
  return lines.join('\n') + '\n';
}
