import type { DurableAcks } from '../broker-api.js';

/**
 * Ack-after-durable: a PUBACK or PUBREC leaves only once the writes its PUBLISH caused (and every
 * write before them) are committed and synced. The store batches the writes of one event-loop
 * turn into one transaction, so the acks of a turn wait for one sync together (group commit).
 * Acks leave in the order they were asked for, so a client's keep their order [MQTT-4.6.0-2]: one
 * that needs no wait still queues behind those waiting. When a write fails (a full disk) the acks
 * behind it are never sent: the clients send those messages again when they reconnect.
 *
 * Every write of one transaction shares one promise (lmdb's, passed on by the store), so this
 * keeps a number per transaction and one FIFO of waiting sends: nothing per write or per ack but
 * the send itself. (A promise chain per ack was most of the broker's garbage under QoS 1 load.)
 */
export class AckGate implements DurableAcks {
  private latest: Promise<unknown> | undefined;
  /** the number of the latest transaction noted, and the one up to which all are durable */
  private issued = 0;
  private settled = 0;
  private failed = false;
  /** waiting sends, oldest first from `head`, with the transaction each waits for */
  private sends: Array<(() => void) | undefined> = [];
  private batches: number[] = [];
  private head = 0;

  /** Every store write goes through here (the promise the store returned for it). */
  noteWrite(written: Promise<unknown>): void {
    if (written === this.latest) return;
    this.latest = written;
    const n = ++this.issued;
    written.then(
      () => this.settle(n),
      () => {
        this.failed = true;
        this.settle(n);
      },
    );
  }

  after(_client: object, send: () => void): void {
    if (this.settled === this.issued) {
      if (!this.failed) send();
      return;
    }
    this.sends.push(send);
    this.batches.push(this.issued);
  }

  /** Transaction `n` is durable (LMDB commits in order: so is every one before it). */
  private settle(n: number): void {
    if (n > this.settled) this.settled = n;
    const { sends, batches } = this;
    while (this.head < sends.length && batches[this.head]! <= this.settled) {
      const send = sends[this.head]!;
      sends[this.head++] = undefined;
      if (!this.failed) send();
    }
    if (this.head === sends.length) {
      sends.length = 0;
      batches.length = 0;
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > sends.length) {
      this.sends = sends.slice(this.head);
      this.batches = batches.slice(this.head);
      this.head = 0;
    }
  }
}
