/**
 * An HDR-style log-linear histogram of non-negative integers (we record microseconds).
 *
 * Below 128 every value has its own bucket; above, each power of two is split into 64 linear
 * buckets, so a bucket's width is at most 1/64 of its lower bound (under 1.6 % error) at any
 * magnitude. The counts live in one flat Float64Array: merging what several workers recorded is
 * an element-wise sum, and the array crosses a worker boundary by structured clone. We keep our
 * own rather than hdr-histogram-js because that package ships a WebAssembly build and a pako
 * dependency for features (encoding, auto-resize) a bench does not need.
 */

const LINEAR = 128;
const HALF = LINEAR / 2;
/** Largest recordable value: 2^31 - 1 µs is about 36 minutes; larger values are clamped. */
export const HISTOGRAM_MAX_VALUE = 0x7fffffff;
export const HISTOGRAM_BUCKETS = bucketOf(HISTOGRAM_MAX_VALUE) + 1;

function bucketOf(value: number): number {
  if (value < LINEAR) return value;
  const shift = 31 - Math.clz32(value) - 6;
  return shift * HALF + (value >>> shift);
}

/** Smallest value that lands in bucket `index`. */
export function bucketLow(index: number): number {
  if (index < LINEAR) return index;
  const shift = Math.floor(index / HALF) - 1;
  return (index - shift * HALF) * 2 ** shift;
}

/** Largest value that lands in bucket `index`. */
export function bucketHigh(index: number): number {
  return bucketLow(index + 1) - 1;
}

/** The plain-data form that crosses worker boundaries and is merged in the main thread. */
export interface HistogramData {
  counts: Float64Array;
  total: number;
  /** exact extremes and sum, so min/max/mean do not carry the bucket error */
  min: number;
  max: number;
  sum: number;
}

export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export class Histogram implements HistogramData {
  counts = new Float64Array(HISTOGRAM_BUCKETS);
  total = 0;
  min = Infinity;
  max = 0;
  sum = 0;

  static from(data: HistogramData): Histogram {
    const h = new Histogram();
    h.add(data);
    return h;
  }

  record(value: number, count = 1): void {
    const v = value <= 0 ? 0 : value >= HISTOGRAM_MAX_VALUE ? HISTOGRAM_MAX_VALUE : Math.round(value);
    this.counts[bucketOf(v)]! += count;
    this.total += count;
    this.sum += v * count;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  add(other: HistogramData): void {
    if (other.total === 0) return;
    const mine = this.counts;
    const theirs = other.counts;
    for (let i = 0; i < mine.length; i++) mine[i]! += theirs[i]!;
    this.total += other.total;
    this.sum += other.sum;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  /**
   * What was recorded since `earlier` (a snapshot of this same histogram), for per-interval
   * percentiles. Min and max of the interval are not known exactly: bucket bounds stand in.
   */
  since(earlier: HistogramData): Histogram {
    const d = new Histogram();
    let first = -1;
    let last = -1;
    for (let i = 0; i < d.counts.length; i++) {
      const c = this.counts[i]! - earlier.counts[i]!;
      if (c > 0) {
        d.counts[i] = c;
        if (first < 0) first = i;
        last = i;
      }
    }
    d.total = this.total - earlier.total;
    d.sum = this.sum - earlier.sum;
    if (first >= 0) {
      d.min = Math.max(bucketLow(first), this.min);
      d.max = Math.min(bucketHigh(last), this.max);
    }
    return d;
  }

  snapshot(): HistogramData {
    return { counts: this.counts.slice(), total: this.total, min: this.min, max: this.max, sum: this.sum };
  }

  /** Value at quantile q (0..1): the top of the bucket holding it, kept within the exact min/max. */
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(Math.max(bucketHigh(i), this.min), this.max);
    }
    return this.max;
  }

  summary(): LatencySummary {
    const empty = this.total === 0;
    return {
      count: this.total,
      min: empty ? 0 : this.min,
      mean: empty ? 0 : this.sum / this.total,
      p50: this.quantile(0.5),
      p90: this.quantile(0.9),
      p99: this.quantile(0.99),
      p999: this.quantile(0.999),
      max: this.max,
    };
  }

  /** Counts regrouped into caller-chosen bins [edges[i], edges[i+1]); values past the last edge go in the last bin. */
  binned(edges: readonly number[]): number[] {
    const bins = new Array<number>(edges.length - 1).fill(0);
    let bin = 0;
    for (let i = 0; i < this.counts.length; i++) {
      const c = this.counts[i]!;
      if (c === 0) continue;
      const low = bucketLow(i);
      while (bin < bins.length - 1 && low >= edges[bin + 1]!) bin++;
      bins[bin]! += c;
    }
    return bins;
  }
}
