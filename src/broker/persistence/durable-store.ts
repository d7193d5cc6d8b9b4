import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Database, RootDatabase } from 'lmdb';
import { checkStoreFile } from './file-check.js';
import { loadLmdb } from './lmdb-binding.js';
import {
  FORMAT_VERSION,
  type FormatRecord,
  type IncomingQos2Record,
  type OutgoingInflightRecord,
  type QueuedRecord,
  type SessionRecord,
  type StoredMessage,
  type SubscriptionRecord,
  type WillRecord,
} from './records.js';
import { describeIoFailure, StoreError } from './store-error.js';

export interface DurableStoreOptions {
  /** the store file (LMDB keeps a `<file>-lock` beside it) */
  file: string;
  /**
   * true (the default): every commit is synced before its promise resolves, so what was
   * acknowledged after it survives a crash of the machine too. false: commits reach the page
   * cache only (they survive the process being killed, not a power cut) and are synced by sync().
   */
  sync?: boolean;
  /** "mqtt 0.1.0", recorded in a new store */
  writer: string;
}

const DATABASES = ['meta', 'retained', 'sessions', 'subscriptions', 'queue', 'inflight', 'wills'] as const;
type Name = (typeof DATABASES)[number];

/** Separates a client id from the rest of a key: MQTT strings never hold U+0000 [MQTT-1.5.4-2]. */
const SEP = '\u0000';
const prefixRange = (clientId: string) => ({ start: `${clientId}${SEP}`, end: `${clientId}\u0001` });
const MAX_SEQ = Number.MAX_SAFE_INTEGER;
const SEQ_BLOCK = 1_000_000;

/**
 * The durable broker's store: one LMDB file with a database per record kind. Writes return a
 * promise that resolves once the write is committed (and synced, by default); the writes made
 * in one event-loop turn share one transaction and one sync (lmdb's event-turn batching), which
 * is the group commit that lets a PUBACK wait for durability without costing throughput.
 * Reads are synchronous (a memory-mapped B-tree).
 */
export class DurableStore {
  private readonly dbs: Record<Name, Database<any, any>>;
  private seq: number;
  /** seqs below this are promised to no later start (meta/seq) */
  private reserved: number;
  private failure: StoreError | undefined;
  /** the promise lmdb gave the latest write, and what write() made of it */
  private lastDone: Promise<unknown> | undefined;
  private lastWritten: Promise<void> | undefined;
  /** called once, with the first failed write (a full disk): the broker logs it */
  onWriteError: (err: StoreError) => void = () => {};

  private constructor(
    readonly file: string,
    private readonly env: RootDatabase,
    readonly format: FormatRecord,
  ) {
    this.dbs = Object.fromEntries(DATABASES.map((name) => [name, env.openDB({ name })])) as Record<Name, Database>;
    // queue keys sort by (client id, seq): a restart continues above every seq used before it,
    // even when the clock went back
    const floor = (this.dbs.meta.get('seq') as number | undefined) ?? 0;
    this.seq = this.reserved = Math.max(Date.now() * 1000, floor);
  }

  static async open(options: DurableStoreOptions): Promise<DurableStore> {
    const { file } = options;
    const loaded = await loadLmdb(file);
    const { lmdb } = loaded;
    try {
      mkdirSync(dirname(file), { recursive: true });
    } catch (err) {
      throw describeIoFailure(err, file, 'make the directory of');
    }
    const existed = checkStoreFile(file, loaded, DATABASES, 'queue');
    let env: RootDatabase;
    try {
      env = lmdb.open({
        path: file,
        noSubdir: true,
        maxDbs: 16,
        compression: false,
        // the promise of a write means synced, not only committed (see `sync`). (overlappingSync,
        // which syncs after the commit, was tried: on a full disk its flush can neither resolve
        // nor reject, and a commit failure surfaced as an unhandled rejection)
        overlappingSync: false,
        noSync: options.sync === false,
      });
    } catch (err) {
      throw describeIoFailure(err, file, 'open');
    }
    try {
      const meta = env.openDB({ name: 'meta' });
      let format = meta.get('format') as FormatRecord | undefined;
      if (format === undefined) {
        if (existed && DATABASES.some((name) => name !== 'meta' && env.openDB({ name }).getKeysCount({ limit: 1 }) > 0))
          throw new StoreError(`the persistence store ${file} has records but no format version: move it away to start empty, or restore it from a backup`, file);
        format = { version: FORMAT_VERSION, writer: options.writer, created: Date.now() };
        await meta.put('format', format);
      } else if (typeof format.version !== 'number' || format.version > FORMAT_VERSION) {
        throw new StoreError(
          `the persistence store ${file} was written by a newer version (${format.writer ?? '?'}, store format ${format.version}; this ${options.writer} reads format ${FORMAT_VERSION} and below): run that version, or move the file away to start empty`,
          file,
        );
      }
      // a read-only file or a full disk shows here, before the broker accepts anyone
      await meta.put('opened', Date.now());
      return new DurableStore(file, env, format);
    } catch (err) {
      await env.close().catch(() => {});
      throw err instanceof StoreError ? err : describeIoFailure(err, file, 'write');
    }
  }

  /** The first write that failed, if any: later writes are not attempted. */
  get failed(): StoreError | undefined {
    return this.failure;
  }

  // ---- writes: each promise resolves once the write is durable ----

  putRetained(message: StoredMessage): Promise<void> {
    return this.write('retained', message.topic, message);
  }

  deleteRetained(topic: string): Promise<void> {
    return this.write('retained', topic, undefined);
  }

  putSession(record: SessionRecord): Promise<void> {
    return this.write('sessions', record.clientId, record);
  }

  /** The session and everything it holds. */
  deleteSession(clientId: string): Promise<void> {
    const range = prefixRange(clientId);
    const writes = [this.write('sessions', clientId, undefined), this.write('wills', clientId, undefined)];
    for (const name of ['subscriptions', 'inflight'] as const) {
      for (const key of this.dbs[name].getKeys(range)) writes.push(this.write(name, key, undefined));
    }
    for (const key of this.dbs.queue.getKeys({ start: [clientId, 0], end: [clientId, MAX_SEQ] })) writes.push(this.write('queue', key, undefined));
    return Promise.all(writes).then(() => {});
  }

  putSubscription(clientId: string, record: SubscriptionRecord): Promise<void> {
    return this.write('subscriptions', `${clientId}${SEP}${record.filter}`, record);
  }

  deleteSubscription(clientId: string, filter: string): Promise<void> {
    return this.write('subscriptions', `${clientId}${SEP}${filter}`, undefined);
  }

  /** Appends to the session's queue; the returned key removes it (dequeue). */
  enqueue(clientId: string, record: QueuedRecord): { key: QueueKey; written: Promise<void> } {
    if (this.seq >= this.reserved) {
      // in the same transaction as this record: a restart starts above every seq in the file
      this.reserved = this.seq + SEQ_BLOCK;
      void this.write('meta', 'seq', this.reserved).catch(() => {});
    }
    const key: QueueKey = [clientId, this.seq++];
    return { key, written: this.write('queue', key, record) };
  }

  dequeue(key: QueueKey): Promise<void> {
    return this.write('queue', key, undefined);
  }

  putOutgoing(clientId: string, record: OutgoingInflightRecord): Promise<void> {
    return this.write('inflight', `${clientId}${SEP}o${record.packetId}`, record);
  }

  deleteOutgoing(clientId: string, packetId: number): Promise<void> {
    return this.write('inflight', `${clientId}${SEP}o${packetId}`, undefined);
  }

  putIncomingQos2(clientId: string, packetId: number): Promise<void> {
    return this.write('inflight', `${clientId}${SEP}i${packetId}`, { packetId } satisfies IncomingQos2Record);
  }

  deleteIncomingQos2(clientId: string, packetId: number): Promise<void> {
    return this.write('inflight', `${clientId}${SEP}i${packetId}`, undefined);
  }

  putWill(clientId: string, record: WillRecord): Promise<void> {
    return this.write('wills', clientId, record);
  }

  deleteWill(clientId: string): Promise<void> {
    return this.write('wills', clientId, undefined);
  }

  // ---- reads ----

  *retained(): Iterable<StoredMessage> {
    for (const { value } of this.dbs.retained.getRange()) yield value as StoredMessage;
  }

  *sessions(): Iterable<SessionRecord> {
    for (const { value } of this.dbs.sessions.getRange()) yield value as SessionRecord;
  }

  session(clientId: string): SessionRecord | undefined {
    return this.dbs.sessions.get(clientId) as SessionRecord | undefined;
  }

  *subscriptions(clientId: string): Iterable<SubscriptionRecord> {
    for (const { value } of this.dbs.subscriptions.getRange(prefixRange(clientId))) yield value as SubscriptionRecord;
  }

  /** The session's queue, oldest first. */
  *queued(clientId: string): Iterable<{ key: QueueKey; record: QueuedRecord }> {
    for (const { key, value } of this.dbs.queue.getRange({ start: [clientId, 0], end: [clientId, MAX_SEQ] }))
      yield { key: key as QueueKey, record: value as QueuedRecord };
  }

  /** Outgoing deliveries in flight, in packet-id order (the send order is the queue's). */
  *outgoing(clientId: string): Iterable<OutgoingInflightRecord> {
    for (const { key, value } of this.dbs.inflight.getRange(prefixRange(clientId)))
      if ((key as string)[clientId.length + 1] === 'o') yield value as OutgoingInflightRecord;
  }

  *incomingQos2(clientId: string): Iterable<number> {
    for (const { key, value } of this.dbs.inflight.getRange(prefixRange(clientId)))
      if ((key as string)[clientId.length + 1] === 'i') yield (value as IncomingQos2Record).packetId;
  }

  *wills(): Iterable<{ clientId: string; record: WillRecord }> {
    for (const { key, value } of this.dbs.wills.getRange()) yield { clientId: key as string, record: value as WillRecord };
  }

  will(clientId: string): WillRecord | undefined {
    return this.dbs.wills.get(clientId) as WillRecord | undefined;
  }

  /** How many deliveries the session has stored (queued and in flight), counted in the B-tree without reading them. */
  queuedCount(clientId: string): number {
    return this.dbs.queue.getKeysCount({ start: [clientId, 0], end: [clientId, MAX_SEQ] });
  }

  /** The payload bytes of the session's stored deliveries (reads them: for max_queued_bytes only). */
  queuedBytes(clientId: string): number {
    let bytes = 0;
    for (const { record } of this.queued(clientId)) bytes += record.message.payload.length;
    return bytes;
  }

  /** Records per kind, for the start-up log line: from the databases' headers, nothing is read. */
  counts(): Record<'retained' | 'sessions' | 'queued', number> {
    const n = (name: Name) => (this.dbs[name].getStats() as { entryCount: number }).entryCount;
    return { retained: n('retained'), sessions: n('sessions'), queued: n('queue') };
  }

  /** Resolves once everything written so far is on disk (the autosave mode's sync point). */
  async sync(): Promise<void> {
    await this.env.flushed;
    if (this.failure) throw this.failure;
  }

  async close(): Promise<void> {
    await this.env.close();
  }

  private write(name: Name, key: Key, value: unknown): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const db = this.dbs[name];
    const done: Promise<unknown> = value === undefined ? db.remove(key) : db.put(key, value);
    // lmdb gives every write of one transaction the same promise: so does this (one per commit,
    // not one per write, which under load was garbage kept alive until the sync)
    if (done === this.lastDone) return this.lastWritten!;
    this.lastDone = done;
    return (this.lastWritten = done.then(
      () => {},
      async (err: unknown) => {
        // lmdb rejects every write of a failed commit with "Commit failed" and the reason in a
        // second promise, which must be handled here (unhandled, it would end the process)
        const commitError = (err as { commitError?: Promise<unknown> })?.commitError;
        if (commitError && typeof commitError.then === 'function') err = await commitError.then(() => err, (cause: unknown) => cause);
        if (!this.failure) {
          this.failure = describeIoFailure(err, this.file, 'write to');
          this.onWriteError(this.failure);
        }
        throw this.failure;
      },
    ));
  }
}

export type QueueKey = [clientId: string, seq: number];
type Key = string | QueueKey;
