import { parseSharedSubscription } from '../../core/topic/validate.js';
import type { Broker } from '../broker.js';
import type { Session, StoredMessages, Subscription } from '../session.js';
import { persistencePath, type BrokerConfig } from '../config/broker-config.js';
import type { BrokerLog } from '../log.js';
import { AckGate } from './ack-gate.js';
import { DurableStore } from './durable-store.js';
import { deliveryJournal } from './delivery-journal.js';
import { StoredBacklog } from './stored-backlog.js';
import { fromStoredMessage, storedSource, toStoredMessage, type SessionRecord, type SubscriptionRecord } from './records.js';
import type { SourceListener } from '../retained-store.js';

export interface RunningPersistence {
  store: DurableStore;
  /** syncs what is not on disk yet and closes the store (after the broker's own shutdown) */
  close(): Promise<void>;
}

/**
 * Opens the store `persistence true` / --persist names, puts its retained messages back into the
 * broker and journals every later change. Without persistence nothing here runs and nothing
 * touches the disk. In durable mode each commit is synced (group commit, one per event-loop turn);
 * in autosave mode commits reach the page cache at once (a killed broker loses nothing, a machine
 * crash what was not synced yet) and are synced every autosave_interval seconds or changes.
 */
export async function startPersistence(broker: Broker, config: BrokerConfig, version: string, log: BrokerLog): Promise<RunningPersistence | undefined> {
  if (!config.persistence) return undefined;
  const durable = config.persistenceMode === 'durable';
  const store = await DurableStore.open({ file: persistencePath(config), writer: `mqtt ${version}`, sync: durable });
  store.onWriteError = (err) => log.error(`Error: ${err.message}`);

  const now = Date.now();
  let loaded = 0;
  const listeners = listenersByPort(config);
  for (const record of store.retained()) {
    const message = fromStoredMessage(record);
    if (message.expiresAt !== undefined && message.expiresAt <= now) {
      void store.deleteRetained(message.topic).catch(() => {});
      continue;
    }
    const source = storedSource(record, listeners);
    broker.retained.restore(message, source.username, source.listener);
    loaded++;
  }

  // durable: PUBACK/PUBREC after the commit; autosave: at once, as Mosquitto
  const gate = durable ? new AckGate() : undefined;
  broker.durableAcks = gate;
  let lastWritten: Promise<void> | undefined;
  const written = (p: Promise<void>, kind?: 'copy' | 'harmless') => {
    // the writes of one transaction share one promise: handled once
    if (p !== lastWritten) {
      lastWritten = p;
      p.catch(() => {});
    }
    gate?.noteWrite(p, kind);
    changed();
  };

  const journal = deliveryJournal(store, written, gate);
  const sessions = restoreSessions(broker, store, now, (session) => new StoredBacklog(session, store, journal, broker.outgoing, (m) => log.error(m)));
  // a session outlives its connection when its expiry is not 0 (3.1.1: clean session 0)
  const sessionRecord = (session: Session, protocolVersion: number, disconnectedAt?: number): SessionRecord => {
    const r: SessionRecord = { clientId: session.clientId, protocolVersion, expiryInterval: session.expiryInterval };
    if (disconnectedAt !== undefined) {
      r.disconnectedAt = disconnectedAt;
      r.nextPacketId = session.out.ids.nextId;
    }
    if (session.username !== undefined) r.username = session.username;
    return r;
  };
  const versions = new WeakMap<Session, number>();
  broker.sessionJournal = {
    online(session, protocolVersion) {
      versions.set(session, protocolVersion);
      if (session.expiryInterval > 0) written(store.putSession(sessionRecord(session, protocolVersion)));
      else if (store.session(session.clientId)) written(store.deleteSession(session.clientId));
    },
    subscribed(sub) {
      if (sub.session.expiryInterval > 0) written(store.putSubscription(sub.session.clientId, subscriptionRecord(sub)));
    },
    unsubscribed(session, filter) {
      if (session.expiryInterval > 0) written(store.deleteSubscription(session.clientId, filter));
    },
    offline(session) {
      written(store.putSession(sessionRecord(session, versions.get(session) ?? store.session(session.clientId)?.protocolVersion ?? 4, Date.now())));
    },
    ended(session) {
      if (store.session(session.clientId)) written(store.deleteSession(session.clientId));
    },
  };

  broker.deliveryJournal = journal;

  broker.willJournal = {
    pending(clientId, message, sendAt) {
      written(store.putWill(clientId, { message: toStoredMessage(message), sendAt }));
    },
    gone(clientId) {
      if (store.will(clientId) !== undefined) written(store.deleteWill(clientId));
    },
  };

  let changes = 0;
  let syncing = false;
  const sync = () => {
    if (syncing) return;
    syncing = true;
    changes = 0;
    store
      .sync()
      .catch(() => {})
      .finally(() => (syncing = false));
  };
  const changed = () => {
    if (!durable && config.autosaveOnChanges && config.autosaveInterval > 0 && ++changes >= config.autosaveInterval) sync();
  };
  broker.retained.journal = {
    // $SYS/... is the broker's own, made again every sys_interval: not worth a disk write
    put(entry) {
      if (!entry.message.topic.startsWith('$SYS/')) written(store.putRetained(toStoredMessage(entry.message, entry)));
    },
    delete(topic) {
      if (!topic.startsWith('$SYS/')) written(store.deleteRetained(topic));
    },
  };
  const timer = !durable && !config.autosaveOnChanges && config.autosaveInterval > 0 ? setInterval(sync, config.autosaveInterval * 1000) : undefined;
  timer?.unref();

  // last, with every journal in place: a will already due goes to the restored sessions' queues
  // (and, retained, to the store) as any message would
  let wills = 0;
  for (const { clientId, record } of store.wills()) {
    const message = fromStoredMessage(record.message);
    const source = storedSource(record.message, listeners);
    if (source.listener !== undefined) message.willSource = source;
    broker.restoreWill(clientId, message, record.sendAt);
    wills++;
  }
  log.notice(
    `Persistence: ${store.file} (${durable ? 'durable: every change synced before it is relied on' : `autosave: synced every ${config.autosaveInterval} ${config.autosaveOnChanges ? 'changes' : 's'}`}); ${loaded} retained messages, ${sessions.sessions} sessions, ${sessions.queued} queued messages and ${wills} delayed wills restored (each session's messages are read when its client returns).`,
  );
  return {
    store,
    async close() {
      if (timer) clearInterval(timer);
      broker.retained.journal = undefined;
      broker.durableAcks = undefined;
      broker.sessionJournal = undefined;
      broker.deliveryJournal = undefined;
      broker.willJournal = undefined;
      await store.sync().catch(() => {});
      await store.close();
    },
  };
}

function subscriptionRecord(sub: Subscription): SubscriptionRecord {
  const r: SubscriptionRecord = { filter: sub.filter, qos: sub.qos, noLocal: sub.noLocal, retainAsPublished: sub.retainAsPublished, retainHandling: sub.retainHandling };
  if (sub.subscriptionId !== undefined) r.subscriptionId = sub.subscriptionId;
  return r;
}

/**
 * The persistent sessions of the store, offline with their subscriptions, their expiry counted
 * from when their client went away (from now when the broker stopped while it was connected);
 * those whose time ran out while the broker was stopped are removed. Their messages stay in the
 * store until their client returns (`backlog`). Returns how many sessions came back, and how many
 * messages the store holds for them.
 */
function restoreSessions(broker: Broker, store: DurableStore, now: number, backlog: (session: Session) => StoredMessages): { sessions: number; queued: number } {
  let restored = 0;
  for (const record of store.sessions()) {
    const session = broker.newSession(record.clientId);
    session.expiryInterval = record.expiryInterval;
    if (record.username !== undefined) session.username = record.username;
    const subs: Subscription[] = [];
    for (const r of store.subscriptions(record.clientId)) {
      const shared = parseSharedSubscription(r.filter);
      if (shared && 'error' in shared) continue;
      subs.push({
        session,
        filter: r.filter,
        topicFilter: shared ? shared.filter : r.filter,
        shareName: shared ? shared.shareName : undefined,
        qos: r.qos,
        noLocal: r.noLocal,
        retainAsPublished: r.retainAsPublished,
        retainHandling: r.retainHandling,
        subscriptionId: r.subscriptionId,
      });
    }
    const offlineFor = record.disconnectedAt !== undefined ? Math.max(0, now - record.disconnectedAt) : 0;
    if (!broker.restoreSession(session, subs, offlineFor)) {
      void store.deleteSession(record.clientId).catch(() => {});
      continue;
    }
    restored++;
    // its messages are read when its client returns (StoredBacklog): not at start-up
    session.stored = backlog(session);
    if (record.nextPacketId !== undefined) session.out.ids.resumeAt(record.nextPacketId);
  }
  return { sessions: restored, queued: store.counts().queued };
}

/**
 * The configured listeners by port, for the sources of stored messages: the first with a port,
 * as Mosquitto's persist__msg_store_chunk_restore looks them up (unix sockets, port 0, are not
 * found). Their security options are the objects the listeners run with.
 */
function listenersByPort(config: BrokerConfig): Map<number, SourceListener> {
  const out = new Map<number, SourceListener>();
  for (const l of config.listeners) {
    if (l.port !== 0 && !l.socketPath && !out.has(l.port)) out.set(l.port, { port: l.port, security: l.security });
  }
  return out;
}
