import type { OutgoingLimits } from '../../core/session/outgoing-flow.js';
import type { DeliveryJournal } from '../broker-api.js';
import type { Delivery, Session, StoredMessages } from '../session.js';
import type { DurableStore } from './durable-store.js';
import { restoreDeliveries } from './delivery-journal.js';

/**
 * The messages of a session restored at start-up, left in the store until its client returns:
 * a restart with a million queued messages reads none of them (start-up stays fast, memory does not
 * hold the payloads of clients that may never come back), and the session that reconnects reads
 * its own, a few hundred at most under the default max_queued_messages. New deliveries meanwhile
 * are stored behind them and not kept in memory, so the order stays the store's.
 *
 * Queue bounds count what the store holds for the session, in flight at the stop included (the
 * count is read from the B-tree the first time a bound is checked; bytes read the payloads, only
 * with max_queued_bytes).
 */
export class StoredBacklog implements StoredMessages {
  private count: number | undefined;
  private bytes: number | undefined;
  /**
   * Deliveries added whose write may not be committed yet: a read of the store does not see a
   * write until its transaction commits, so a client returning within that time (publishers
   * resending right after a restart) would not get them. Kept until a sync after them.
   */
  private unsettled: Delivery[] = [];
  private settling = false;

  constructor(
    private readonly session: Session,
    private readonly store: DurableStore,
    private readonly journal: DeliveryJournal,
    private readonly limits: OutgoingLimits<Delivery>,
    /** a session whose records cannot be read: the broker logs it and carries on */
    private readonly onError: (message: string) => void,
  ) {}

  full(): boolean {
    const { maxQueued, maxQueuedBytes } = this.limits;
    const clientId = this.session.clientId;
    if (maxQueued > 0 && (this.count ??= this.store.queuedCount(clientId)) >= maxQueued) return true;
    return maxQueuedBytes > 0 && (this.bytes ??= this.store.queuedBytes(clientId)) >= maxQueuedBytes;
  }

  size(): { count: number; bytes?: number } {
    return { count: (this.count ??= this.store.queuedCount(this.session.clientId)), bytes: this.bytes };
  }

  add(delivery: Delivery): void {
    this.journal.added(this.session, delivery, 0);
    this.unsettled.push(delivery);
    this.settle();
    if (this.count !== undefined) this.count++;
    if (this.bytes !== undefined) this.bytes += delivery.message.payload.length;
  }

  /** Forgets the deliveries added before a sync once it is done; again while more came meanwhile. */
  private settle(): void {
    if (this.settling) return;
    this.settling = true;
    const before = this.unsettled.length;
    void this.store
      .sync()
      .catch(() => {})
      .then(() => {
        this.settling = false;
        this.unsettled.splice(0, before);
        if (this.unsettled.length > 0) this.settle();
      });
  }

  load(now: number): void {
    try {
      restoreDeliveries(this.session, this.store, now, this.unsettled);
      this.unsettled = [];
    } catch (err) {
      // records that cannot be decoded: this session gets none of them; the broker carries on
      this.onError(
        `Error: the messages stored for client ${this.session.clientId} in ${this.store.file} could not be read (${String((err as Error)?.message ?? err).split('\n')[0]}); they stay in the store and are not sent.`,
      );
    }
  }
}
