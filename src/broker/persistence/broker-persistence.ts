import type { Broker } from '../broker.js';
import { persistencePath, type BrokerConfig } from '../config/broker-config.js';
import type { BrokerLog } from '../log.js';
import { AckGate } from './ack-gate.js';
import { DurableStore } from './durable-store.js';
import { fromStoredMessage, toStoredMessage } from './records.js';

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
  for (const record of store.retained()) {
    const message = fromStoredMessage(record);
    if (message.expiresAt !== undefined && message.expiresAt <= now) {
      void store.deleteRetained(message.topic).catch(() => {});
      continue;
    }
    broker.retained.restore(message);
    loaded++;
  }

  // durable: PUBACK/PUBREC after the commit; autosave: at once, as Mosquitto
  const gate = durable ? new AckGate() : undefined;
  broker.durableAcks = gate;
  const written = (p: Promise<void>) => {
    p.catch(() => {});
    gate?.noteWrite(p);
    changed();
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
    put(message) {
      written(store.putRetained(toStoredMessage(message)));
    },
    delete(topic) {
      written(store.deleteRetained(topic));
    },
  };
  const timer = !durable && !config.autosaveOnChanges && config.autosaveInterval > 0 ? setInterval(sync, config.autosaveInterval * 1000) : undefined;
  timer?.unref();

  log.notice(
    `Persistence: ${store.file} (${durable ? 'durable: every change synced before it is relied on' : `autosave: synced every ${config.autosaveInterval} ${config.autosaveOnChanges ? 'changes' : 's'}`}); ${loaded} retained messages restored. Sessions, subscriptions and queued messages are kept in memory only.`,
  );
  return {
    store,
    async close() {
      if (timer) clearInterval(timer);
      broker.retained.journal = undefined;
      broker.durableAcks = undefined;
      await store.sync().catch(() => {});
      await store.close();
    },
  };
}
