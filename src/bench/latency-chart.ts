import type { LatencyResult } from './result.js';

const BAR_WIDTH = 40;

function edgeLabel(ms: number): string {
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}

/**
 * A small horizontal bar chart of a latency distribution, one row per 1-2-5 bin, bars scaled to
 * the fullest bin so the shape shows even when one bin holds nearly everything.
 */
export function latencyChart(lat: LatencyResult): string[] {
  const peak = Math.max(1, ...lat.bins.map((b) => b.count));
  const labels = lat.bins.map((b) => `< ${edgeLabel(b.le)}`);
  const width = Math.max(...labels.map((l) => l.length));
  return lat.bins.map((b, i) => {
    const filled = Math.round((b.count / peak) * BAR_WIDTH);
    const bar = '#'.repeat(b.count > 0 ? Math.max(1, filled) : 0).padEnd(BAR_WIDTH);
    const pct = ((100 * b.count) / lat.count).toFixed(1).padStart(5);
    return `  ${labels[i]!.padStart(width)} |${bar}| ${pct}%  ${b.count.toLocaleString('en-US')}`;
  });
}
