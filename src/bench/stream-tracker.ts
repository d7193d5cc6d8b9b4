/**
 * Loss, duplicate and out-of-order accounting for the messages one subscriber receives from one
 * publisher (a "stream": run id + publisher index). Exact rather than estimated: every sequence
 * number seen is kept in a bitmap grown in 64 Ki-message blocks, so a duplicate is told apart from
 * a late message however far back it is (memory: one bit per message received).
 */

const BLOCK_BITS = 16;
const BLOCK_SIZE = 1 << BLOCK_BITS;

export interface StreamCounts {
  received: number;
  /** distinct sequence numbers received */
  unique: number;
  duplicates: number;
  /** first arrivals whose sequence number is lower than one already seen */
  outOfOrder: number;
  /** highest sequence number seen + 1 (0 when nothing arrived) */
  next: number;
}

export class StreamTracker implements StreamCounts {
  received = 0;
  unique = 0;
  duplicates = 0;
  outOfOrder = 0;
  next = 0;
  private readonly blocks: Array<Uint8Array | undefined> = [];

  /** Returns false for a duplicate. */
  record(seq: number): boolean {
    this.received++;
    const blockIndex = seq >>> BLOCK_BITS;
    let block = this.blocks[blockIndex];
    if (!block) {
      block = new Uint8Array(BLOCK_SIZE / 8);
      this.blocks[blockIndex] = block;
    }
    const bit = seq & (BLOCK_SIZE - 1);
    const byte = bit >>> 3;
    const mask = 1 << (bit & 7);
    if (block[byte]! & mask) {
      this.duplicates++;
      return false;
    }
    block[byte]! |= mask;
    this.unique++;
    if (seq < this.next) this.outOfOrder++;
    else this.next = seq + 1;
    return true;
  }

  /** Messages missing so far: gaps below the highest sequence seen (the tail is unknowable here). */
  get gaps(): number {
    return this.next - this.unique;
  }

  counts(): StreamCounts {
    return { received: this.received, unique: this.unique, duplicates: this.duplicates, outOfOrder: this.outOfOrder, next: this.next };
  }
}
