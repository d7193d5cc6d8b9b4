/** Allocates MQTT packet identifiers 1..65535, skipping the ones still in use [MQTT-2.2.1-3]. */
export class PacketIdAllocator {
  private next = 1;
  private readonly used = new Set<number>();

  allocate(): number {
    if (this.used.size >= 65535) throw new Error('no free packet identifier');
    while (this.used.has(this.next)) this.next = this.next === 65535 ? 1 : this.next + 1;
    const id = this.next;
    this.used.add(id);
    this.next = id === 65535 ? 1 : id + 1;
    return id;
  }

  /**
   * Consumes the next identifier without reserving it: libmosquitto numbers QoS 0 publishes from
   * the same counter (its -d lines show "m1", "m2" … although QoS 0 carries no identifier).
   */
  skip(): number {
    const id = this.next;
    this.next = id === 65535 ? 1 : id + 1;
    return id;
  }

  /**
   * Marks an identifier as in use without allocating it: a flow restored from a store keeps the id
   * it had [MQTT-4.4.0-1]; the next allocations continue after it.
   */
  reserve(id: number): void {
    this.used.add(id);
    this.next = id === 65535 ? 1 : id + 1;
  }

  /** The identifier the next allocation starts from (Mosquitto keeps it with a session: last_mid). */
  get nextId(): number {
    return this.next;
  }

  /** Goes on from `id` (a session read back from a store), skipping those in use as always. */
  resumeAt(id: number): void {
    if (Number.isInteger(id) && id >= 1 && id <= 65535) this.next = id;
  }

  release(id: number): void {
    this.used.delete(id);
  }

  get inUse(): number {
    return this.used.size;
  }
}
