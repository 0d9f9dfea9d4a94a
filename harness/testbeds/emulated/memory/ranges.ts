/**
 * A list of byte ranges [start, end) of one process, in address order, adjacent ranges coalesced
 * (one iovec each for the copy). Kept as Numbers in a Float64Array: BigInt arithmetic per range is
 * measurably slower and user addresses are < 2^47.
 */
export class RangeList {
  private data: Float64Array;
  count = 0;
  bytes = 0;

  constructor(capacity = 1024) {
    this.data = new Float64Array(capacity * 2);
  }

  clear(): void {
    this.count = 0;
    this.bytes = 0;
  }

  push(start: number, end: number): void {
    if (end <= start) return;
    this.bytes += end - start;
    if (this.count > 0 && this.data[this.count * 2 - 1] === start) {
      this.data[this.count * 2 - 1] = end;
      return;
    }
    if (this.count * 2 === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.count * 2] = start;
    this.data[this.count * 2 + 1] = end;
    this.count++;
  }

  start(i: number): number {
    return this.data[i * 2] as number;
  }

  end(i: number): number {
    return this.data[i * 2 + 1] as number;
  }

  /** [start, end, start, end, ...] of the used part (a view, valid until the next push). */
  pairs(): Float64Array {
    return this.data.subarray(0, this.count * 2);
  }
}
