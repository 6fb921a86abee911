/**
 * Small statistics over repetitions: median and spread.
 */

/** Spread is a figure over repetitions: the median and the min–max range. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: readonly number[];
}

/** median returns the middle value (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** percentile returns the nearest-rank percentile `p` (0–100) of a sorted array. */
export function percentile(sorted: Float64Array | readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** spread summarises repetitions; NaN entries (failed runs) are left out. */
export function spread(runs: readonly number[]): Spread {
  const ok = runs.filter((r) => Number.isFinite(r));
  if (ok.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, runs };
  return { median: median(ok), min: Math.min(...ok), max: Math.max(...ok), runs };
}
