import type { DurableAcks } from '../broker-api.js';

/** The acks one client waits to send, oldest first. */
interface Waiting {
  client: object;
  send: () => void;
  /** the transaction it waits for (the latest when it was asked for) */
  batch: number;
  /** the writes made for it (its PUBLISH's stored copies), when any */
  group: Group | undefined;
  /** it stored copies, and nothing else that its ack vouches for: it may go once they are delivered */
  early: boolean;
  next: Waiting | undefined;
}

/** What the writes since the last ack asked for were: a PUBLISH's stored copies, or more. */
interface Group {
  copies: number;
  remaining: number;
  dirty: boolean;
  waiting: Waiting | undefined;
}

/** A stored copy of a message (the journal's StoredDelivery): the group it belongs to. */
export interface GatedCopy {
  gate?: Group;
}

/**
 * Ack-after-durable: a PUBACK or PUBREC leaves only once the writes its PUBLISH caused (and every
 * write before them) are committed and synced. The store batches the writes of one event-loop
 * turn into one transaction, so the acks of a turn wait for one sync together (group commit).
 * A client's acks leave in the order they were asked for [MQTT-4.6.0-2]: one that needs no wait
 * still queues behind that client's earlier ones. When a write fails (a full disk) the acks behind
 * it are never sent: the clients send those messages again when they reconnect.
 *
 * Or sooner: when every copy a QoS 1 PUBLISH stored for persistent sessions has been delivered
 * (the subscribers' PUBACKs came before the commit did), nothing is left that a crash could lose,
 * and its PUBACK goes then. This holds only when the PUBLISH wrote nothing else (a retained
 * message, a QoS 2 id: those wait for the commit). An online subscriber usually acknowledges
 * within a loopback round trip, well before a synced commit (tens of ms on a loaded machine).
 *
 * Every write of one transaction shares one promise, so this keeps a number per transaction, not
 * a promise per write or per ack (a promise chain per ack was most of the broker's garbage).
 */
export class AckGate implements DurableAcks {
  private latest: Promise<unknown> | undefined;
  /** the number of the latest transaction noted, and the one up to which all are durable */
  private issued = 0;
  private settled = 0;
  private failed = false;
  /** the writes since the last ack was asked for */
  private group: Group | undefined;
  /** each client's waiting acks: first and last */
  private readonly heads = new Map<object, Waiting>();
  private readonly tails = new Map<object, Waiting>();

  /**
   * Every store write goes through here (the promise the store returned for it). `kind`: 'copy'
   * for a copy stored for a session (then `copyStored`), 'harmless' for one no ack vouches for
   * (a delivery's removal or its packet id: lost, a QoS 1 message comes once more).
   */
  noteWrite(written: Promise<unknown>, kind?: 'copy' | 'harmless'): void {
    if (kind === undefined) (this.group ??= newGroup()).dirty = true;
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

  /** A copy was stored for a session (after noteWrite(…, 'copy')): the next ack may wait for its delivery instead. */
  copyStored(copy: GatedCopy): void {
    const g = (this.group ??= newGroup());
    g.copies++;
    g.remaining++;
    copy.gate = g;
  }

  /** That copy was delivered (or dropped): it no longer needs the disk. */
  copyGone(copy: GatedCopy): void {
    const g = copy.gate;
    if (g === undefined) return;
    copy.gate = undefined;
    if (--g.remaining === 0 && g.waiting !== undefined && g.waiting.early) this.flush(g.waiting.client);
  }

  after(client: object, send: () => void): void {
    const g = this.group;
    this.group = undefined;
    if (!this.heads.has(client) && this.settled === this.issued) {
      if (!this.failed) send();
      return;
    }
    const w: Waiting = {
      client,
      send,
      batch: this.issued,
      group: g,
      early: g !== undefined && g.copies > 0 && !g.dirty,
      next: undefined,
    };
    if (g !== undefined) g.waiting = w;
    const tail = this.tails.get(client);
    if (tail) tail.next = w;
    else this.heads.set(client, w);
    this.tails.set(client, w);
    if (w.early && g!.remaining === 0) this.flush(client);
  }

  /** Sends the client's acks from the oldest while they may go. */
  private flush(client: object): void {
    let w = this.heads.get(client);
    while (w !== undefined && (w.batch <= this.settled || (w.early && w.group!.remaining === 0))) {
      if (!this.failed) w.send();
      w = w.next;
    }
    if (w === undefined) {
      this.heads.delete(client);
      this.tails.delete(client);
    } else this.heads.set(client, w);
  }

  /** Transaction `n` is durable (LMDB commits in order: so is every one before it). */
  private settle(n: number): void {
    if (n > this.settled) this.settled = n;
    for (const client of [...this.heads.keys()]) this.flush(client);
  }
}

function newGroup(): Group {
  return { copies: 0, remaining: 0, dirty: false, waiting: undefined };
}
