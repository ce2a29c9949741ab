// A growable (x, y) series in typed arrays: the full data stays here, Chart.js only ever gets the
// few points per pixel column that min-max decimation picks.

export class SeriesBuffer {
  xs = new Float64Array(1024);
  ys = new Float64Array(1024);
  length = 0;

  push(x: number, y: number): void {
    if (this.length === this.xs.length) {
      const grow = (a: Float64Array) => {
        const next = new Float64Array(a.length * 2);
        next.set(a);
        return next;
      };
      this.xs = grow(this.xs);
      this.ys = grow(this.ys);
    }
    this.xs[this.length] = x;
    this.ys[this.length] = y;
    this.length++;
  }

  clear(): void {
    this.length = 0;
  }
}

export interface Point {
  x: number;
  y: number;
}

/** What decimation reads: a SeriesBuffer, or a run's packed SampleLog (state/sample-log.ts). */
export interface Series {
  readonly xs: Float64Array;
  readonly ys: Float64Array;
  readonly length: number;
}

/** Output point = ((x − x0) / xPer, y / yPer): e.g. ms since the epoch → s since the run started, bytes → MiB. */
export interface Scale {
  x0: number;
  xPer: number;
  yPer: number;
}
const IDENTITY: Scale = { x0: 0, xPer: 1, yPer: 1 };

/** Index of the last point with x ≤ `x` (-1 when there is none). Input sorted by x. */
export function indexAtOrBefore(series: Series, x: number): number {
  let lo = 0;
  let hi = series.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (series.xs[mid]! <= x) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * Min/max per pixel column: for each of `columns` equal slices of [xMin, xMax], keep the first,
 * lowest, highest and last point, in x order. Unlike LTTB it keeps every spike's envelope.
 * Points outside the range are skipped, but for one on each side so the line reaches the edges
 * (a zoomed view). Input must be sorted by x.
 */
export function decimateMinMax(series: Series, xMin: number, xMax: number, columns: number, scale: Scale = IDENTITY): Point[] {
  const { xs, ys } = series;
  const { x0, xPer, yPer } = scale;
  const point = (k: number): Point => ({ x: (xs[k]! - x0) / xPer, y: ys[k]! / yPer });
  const start = Math.max(0, indexAtOrBefore(series, xMin));
  const end = Math.min(series.length, indexAtOrBefore(series, xMax) + 2); // exclusive
  if (end - start <= columns * 4 || xMax <= xMin) {
    const out: Point[] = new Array(Math.max(0, end - start));
    for (let i = start; i < end; i++) out[i - start] = point(i);
    return out;
  }
  const out: Point[] = [];
  const width = (xMax - xMin) / columns;
  let i = start;
  while (i < end) {
    const column = Math.floor((xs[i]! - xMin) / width);
    const first = i;
    let lo = i;
    let hi = i;
    for (i++; i < end && Math.floor((xs[i]! - xMin) / width) === column; i++) {
      if (ys[i]! < ys[lo]!) lo = i;
      if (ys[i]! > ys[hi]!) hi = i;
    }
    const last = i - 1;
    out.push(point(first));
    const a = Math.min(lo, hi);
    const b = Math.max(lo, hi);
    if (a !== first) out.push(point(a));
    if (b !== a && b !== first) out.push(point(b));
    if (last !== b && last !== first) out.push(point(last));
  }
  return out;
}
