/**
 * `mqtt test`: what a broker accepts and its limits, per protocol version. On a terminal a table
 * (one row per probe, one column per version); with --json one object:
 *   { "broker": "mqtt://host:port", "results": { "3.1.1": { probe: value, … }, "5": { … } } }
 * A value is true/false (works or not), a number (a limit, in the unit the probe names), a
 * string saying what happened instead ("refused (0x87)", "not delivered", ">= 65535"), or null
 * (the broker did not say).
 */
export type ProbeValue = boolean | number | string | null;

export interface TestReport {
  broker: string;
  results: Record<string, Record<string, ProbeValue>>;
}

function cell(v: ProbeValue | undefined): string {
  if (v === undefined) return '';
  if (v === true) return 'yes';
  if (v === false) return 'no';
  if (v === null) return '-';
  return String(v);
}

/** A plain-text table: probes down, versions across. */
export function testTable(report: TestReport): string {
  const versions = Object.keys(report.results);
  const probes: string[] = [];
  for (const v of versions) for (const p of Object.keys(report.results[v]!)) if (!probes.includes(p)) probes.push(p);
  const rows = [['', ...versions.map((v) => `MQTT ${v}`)], ...probes.map((p) => [p, ...versions.map((v) => cell(report.results[v]![p]))])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [`Broker ${report.broker}`, '', line(rows[0]!), ...rows.slice(1).map(line), ''].join('\n');
}
