import type { DurableAcks } from '../broker-api.js';

/**
 * Ack-after-durable: a PUBACK or PUBREC leaves only once the writes its PUBLISH caused (and every
 * write before them) are committed and synced. The store batches the writes of one event-loop
 * turn into one transaction, so the acks of a turn wait for one sync together (group commit).
 * A client's acks keep their order [MQTT-4.6.0-2]: one that needs no wait still queues behind
 * that client's earlier ones. When a write fails (a full disk) the acks behind it are never sent:
 * the clients send those messages again when they reconnect.
 */
export class AckGate implements DurableAcks {
  /** the latest write, until it settles */
  private latest: Promise<unknown> | undefined;
  private failed = false;
  private readonly chains = new WeakMap<object, Promise<void>>();

  /** Every store write goes through here (the promise the store returned for it). */
  noteWrite(written: Promise<unknown>): void {
    const settled = written.then(
      () => {},
      () => {
        this.failed = true;
      },
    );
    this.latest = settled;
    void settled.then(() => {
      if (this.latest === settled) this.latest = undefined;
    });
  }

  after(client: object, send: () => void): void {
    const previous = this.chains.get(client);
    const waitFor = this.latest;
    if (!previous && !waitFor) {
      if (!this.failed) send();
      return;
    }
    const chain = Promise.all([previous, waitFor]).then(() => {
      if (!this.failed) send();
      if (this.chains.get(client) === chain) this.chains.delete(client);
    });
    this.chains.set(client, chain);
  }
}
