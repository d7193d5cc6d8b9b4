/**
 * `mqtt rr --count N`: round-trip latencies of the answered requests, summarised exactly (a few
 * thousand samples at most, so sorting beats a histogram's bucket error).
 */
export interface LatencySummary {
  requests: number;
  responses: number;
  /** milliseconds, 3 decimals; absent when nothing was answered */
  latencyMs?: { min: number; p50: number; p90: number; p99: number; max: number; mean: number };
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** Nearest-rank percentile of sorted samples (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export function summarizeLatencies(requests: number, samplesMs: readonly number[]): LatencySummary {
  const summary: LatencySummary = { requests, responses: samplesMs.length };
  if (samplesMs.length === 0) return summary;
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  summary.latencyMs = {
    min: round3(sorted[0]!),
    p50: round3(percentile(sorted, 50)),
    p90: round3(percentile(sorted, 90)),
    p99: round3(percentile(sorted, 99)),
    max: round3(sorted[sorted.length - 1]!),
    mean: round3(mean),
  };
  return summary;
}

/** One human line for stderr: "10 requests, 10 responses; latency ms min 0.41 p50 0.52 …". */
export function latencyLine(s: LatencySummary): string {
  const head = `${s.requests} request${s.requests === 1 ? '' : 's'}, ${s.responses} response${s.responses === 1 ? '' : 's'}`;
  if (!s.latencyMs) return head;
  const l = s.latencyMs;
  const f = (n: number) => n.toFixed(3);
  return `${head}; latency ms: min ${f(l.min)} p50 ${f(l.p50)} p90 ${f(l.p90)} p99 ${f(l.p99)} max ${f(l.max)} mean ${f(l.mean)}`;
}
