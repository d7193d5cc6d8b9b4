/**
 * A set of MQTT packet ids (1..65535) as one flag per id: a bridge adds and removes one per
 * forwarded QoS 1/2 message, and a Set under that churn reallocates its table every few dozen
 * operations. 64 KB, one per bridge.
 */
export class PacketIdSet {
  private readonly flags = new Uint8Array(65536);
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(id: number): boolean {
    return this.flags[id] === 1;
  }

  add(id: number): void {
    if (this.flags[id] === 1) return;
    this.flags[id] = 1;
    this.count++;
  }

  delete(id: number): void {
    if (this.flags[id] !== 1) return;
    this.flags[id] = 0;
    this.count--;
  }
}
