/**
 * Incoming QoS 2 packet ids answered with PUBREC and not yet released by PUBREL: a PUBLISH with
 * one of them again is a resend, acknowledged but not delivered again [MQTT-4.3.3-10]; after
 * PUBREL (and our PUBCOMP) the id means a new message [MQTT-4.3.3-12].
 *
 * Each id may hold a value until the caller takes it: the client keeps the message there, to
 * deliver at PUBREL as libmosquitto does; the broker, which routes at PUBLISH, holds nothing.
 * The map is made on first use: most connections never receive QoS 2.
 */
export class IncomingQos2<T = never> {
  private ids?: Map<number, T | null>;

  get size(): number {
    return this.ids === undefined ? 0 : this.ids.size;
  }

  /** Whether `id` waits for its PUBREL (a PUBLISH with it now is a resend). */
  has(id: number): boolean {
    return this.ids !== undefined && this.ids.has(id);
  }

  /**
   * A QoS 2 PUBLISH arrived and is answered with PUBREC [MQTT-4.3.3-8]. Returns true when it is
   * new (deliver or route it), false for a resend of one still waiting for PUBREL [MQTT-4.3.3-10].
   * `held`: a value kept with a new id; a resend replaces a value not yet taken.
   */
  receive(id: number, held: T | null = null): boolean {
    const ids = (this.ids ??= new Map());
    const known = ids.get(id);
    if (known === undefined) {
      ids.set(id, held);
      return true;
    }
    if (known !== null && held !== null) ids.set(id, held);
    return false;
  }

  /**
   * PUBREL: forgets the id [MQTT-4.3.3-11]. Returns undefined for an id we do not know (v5 answers
   * PUBCOMP with RC.PacketIdentifierNotFound), else the value still held (null when none or taken).
   */
  release(id: number): T | null | undefined {
    const ids = this.ids;
    if (ids === undefined) return undefined;
    const held = ids.get(id);
    if (held !== undefined) ids.delete(id);
    return held;
  }

  /** Takes every value still held, oldest first; their ids keep waiting for PUBREL. */
  takeHeld(visit: (held: T) => void): void {
    if (this.ids === undefined) return;
    for (const [id, held] of this.ids) {
      if (held === null) continue;
      this.ids.set(id, null);
      visit(held);
    }
  }

  /** The peer forgot its side (no session present): so do we [MQTT-4.1.0-1]. */
  clear(): void {
    this.ids?.clear();
  }

  keys(): IterableIterator<number> {
    return (this.ids ??= new Map()).keys();
  }
}
