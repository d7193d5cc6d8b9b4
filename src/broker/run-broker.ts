import { Broker } from './broker.js';
import type { BrokerLimits } from './limits.js';
import { ALL_LOG_TYPES, type BrokerConfig, type ListenerConfig } from './config/broker-config.js';
import { startListener, type RunningListener } from './listeners.js';
import { BrokerLog, stderrSink } from './log.js';
import { logSinksFrom, type TopicSink } from './log-destinations.js';
import { createSecurity, recheckClients, type Security } from './security.js';
import { securityHost } from './security-host.js';
import { startPersistence } from './persistence/broker-persistence.js';
import { SysTopics } from './sys-topics.js';
import { Bridges } from './bridge/bridges.js';
import { TlsListenerState, type TlsListenerSetup } from './tls-context.js';
import { applyReloadedConfig } from './config-reload.js';

/** The configuration file as it reads now (SIGHUP); undefined when there is none (no -c). */
export type ConfigRereader = () => Promise<{ config: BrokerConfig; warnings: string[] } | undefined>;

export interface RunningBroker {
  broker: Broker;
  listeners: RunningListener[];
  /** reads the configuration file again and reloads password, ACL and TLS files (SIGHUP) */
  reload(): Promise<void>;
  close(): Promise<void>;
}

/** Limits in the broker's terms from Mosquitto's settings. */
export function limitsFrom(config: BrokerConfig): Partial<BrokerLimits> {
  return {
    maxPacketSize: config.maxPacketSize > 0 ? config.maxPacketSize : undefined,
    messageSizeLimit: config.messageSizeLimit,
    maxInflightMessages: config.maxInflightMessages,
    maxQueuedMessages: config.maxQueuedMessages,
    queueQos0Messages: config.queueQos0Messages,
    maxInflightBytes: config.maxInflightBytes,
    maxQueuedBytes: config.maxQueuedBytes,
    maxKeepalive: config.maxKeepalive,
    retainAvailable: config.retainAvailable,
    upgradeOutgoingQos: config.upgradeOutgoingQos,
    persistentClientExpiration: config.persistentClientExpiration,
    memoryLimit: config.memoryLimit,
  };
}

/**
 * The broker's log as log_dest, log_type, log_timestamp(_format) and connection_messages say
 * (-v: every type). A log file that cannot be opened leaves what Mosquitto leaves: errors on
 * stderr.
 */
export function logFrom(config: BrokerConfig): { log: BrokerLog; topic?: TopicSink; fallback: boolean } {
  let fileFailed = false;
  const { sinks, topic, warnings } = logSinksFrom(config.log, (message) => {
    fileFailed = true;
    process.stderr.write(`${message}\n`);
  });
  const log = fileFailed
    ? new BrokerLog({ ...logOptionsFrom(config), types: ['error'], sinks: [stderrSink] })
    : new BrokerLog({ ...logOptionsFrom(config), sinks });
  for (const w of warnings) log.warning(w);
  return { log, topic: fileFailed ? undefined : topic, fallback: fileFailed };
}

/** What of the log a reload can change (BrokerLog.configure): not where it goes. */
function logOptionsFrom(config: BrokerConfig) {
  return {
    types: config.verbose ? ALL_LOG_TYPES : config.log.types,
    timestamp: config.log.timestamp,
    timestampFormat: config.log.timestampFormat,
    connectionMessages: config.log.connectionMessages,
  };
}

/**
 * Starts a broker with its listeners as configured. At least one listener must bind; in
 * local-only mode one of the 127.0.0.1 / ::1 pair may fail (a host without IPv6), as in Mosquitto.
 */
export async function startBroker(config: BrokerConfig, version: string, reread?: ConfigRereader): Promise<RunningBroker> {
  const { log, topic, fallback: logFallback } = logFrom(config);
  const broker = new Broker({ limits: limitsFrom(config), log });
  if (topic) topic.broker = broker;
  const host = securityHost(broker);
  let security: Security = await createSecurity(config, log, undefined, host);
  const bridges = new Bridges(config.bridges, broker);
  broker.hooks = bridges.exempt({ ...broker.hooks, ...security.hooks });

  // the store is read before any socket opens: a client never sees the broker without its retained
  // messages, and a store the broker cannot use stops it, naming the file
  const persistence = await startPersistence(broker, config, version, log);

  // TLS files are read before any socket opens: a wrong one stops the broker, naming the file
  const tlsSetups = new Map<ListenerConfig, TlsListenerSetup>();
  for (const l of config.listeners) {
    if (l.tls) tlsSetups.set(l, await TlsListenerState.create(l.tls, l.security, l.origin, log));
  }

  const listeners: RunningListener[] = [];
  const errors: string[] = [];
  const boundPorts = new Map<number, number>();
  for (const l of config.listeners) {
    try {
      // a pair in local-only mode with port 0 shares the port the first one got
      const port = l.port === 0 && !l.socketPath && boundPorts.has(0) ? boundPorts.get(0)! : l.port;
      const running = await startListener(broker, {
        port,
        host: l.host,
        socketPath: l.socketPath,
        protocol: l.protocol,
        tls: tlsSetups.get(l)?.options,
        tlsState: tlsSetups.get(l)?.state,
        name: l.origin,
        security: l.security,
        maxConnections: l.maxConnections,
        maxQos: l.maxQos,
        maxTopicAlias: l.maxTopicAlias,
        noDelay: config.setTcpNodelay,
      });
      if (l.port === 0 && !l.socketPath && !boundPorts.has(0)) boundPorts.set(0, running.port);
      listeners.push(running);
    } catch (err) {
      errors.push(`${l.socketPath ?? `${l.host ?? '*'}:${l.port}`}: ${(err as Error).message}`);
    }
  }
  const required = config.localOnly ? 1 : config.listeners.length;
  if (listeners.length < required || listeners.length === 0) {
    await Promise.all(listeners.map((l) => l.close()));
    await broker.close();
    await persistence?.close();
    throw new Error(`Unable to start any listening sockets: ${errors.join('; ')}`);
  }
  for (const e of errors) log.warning(`Warning: ${e}`);

  const sys = new SysTopics(broker, version);
  sys.start(config.sysInterval);
  // information, as Mosquitto logs "mosquitto version … running" and "… terminating"
  log.info(`mqtt broker version ${version} running`);
  await bridges.start();

  /**
   * The file read again and applied to `config` in place (config-reload.ts). One that cannot be
   * read or is refused leaves everything as loaded before, as in Mosquitto, which logs the same
   * lines. Resolves with why every client is to be refused, when the file's security cannot be
   * applied to the running listeners.
   */
  async function rereadConfig(): Promise<string | undefined> {
    if (!reread) return undefined;
    let next: Awaited<ReturnType<ConfigRereader>>;
    try {
      next = await reread();
    } catch (err) {
      for (const line of (err as Error).message.split('\n')) log.error(line.startsWith('Error') ? line : `Error: ${line}`);
      log.error('Error: the configuration file could not be reloaded: the broker runs on with the settings loaded before.');
      return undefined;
    }
    if (!next) return undefined;
    for (const w of next.warnings) log.warning(w);
    const interval = config.sysInterval;
    const outcome = applyReloadedConfig(config, next.config);
    for (const w of outcome.warnings) log.warning(w);
    broker.applyLimits(limitsFrom(config));
    // a log file that could not be opened at start keeps Mosquitto's errors-only stderr
    if (!logFallback) log.configure(logOptionsFrom(config));
    if (config.sysInterval !== interval) {
      sys.stop();
      sys.start(config.sysInterval);
    }
    if (outcome.blocked) log.error(`Error: ${outcome.blocked}.`);
    return outcome.blocked;
  }

  /** One SIGHUP: the file read again, then the password, ACL and TLS files, then the clients re-checked. */
  async function reloadOnce(): Promise<void> {
    // logrotate moved the log file away: write to a new one at the same path
    log.reopen();
    log.info('Reloading config.');
    // retained messages for new subscriptions wait from the signal on: the file may change the ACL
    const swapped = (async () => {
      const blocked = await rereadConfig();
      security = await createSecurity(config, log, security, host, blocked);
      broker.hooks = bridges.exempt({ ...broker.hooks, ...security.hooks });
    })();
    const settled = swapped.catch(() => undefined);
    broker.securityReload = settled;
    try {
      await swapped;
    } finally {
      if (broker.securityReload === settled) broker.securityReload = undefined;
    }
    // certificates, CRLs and psk_file: a listener whose files cannot be read keeps what it had
    for (const { state } of tlsSetups.values()) {
      await state.reload().catch((err: Error) => log.error(`Error: TLS reload of listener ${state.origin} failed: ${err.message.replace(/^Error: /, '')}`));
    }
    log.notice('Reloaded password and ACL files.');
    // the new files apply to clients already connected too
    await recheckClients(broker, security);
  }
  let reloading: Promise<unknown> = Promise.resolve();

  return {
    broker,
    listeners,
    reload() {
      // one after the other: two SIGHUPs in a row must not apply the files in the wrong order
      const run = reloading.then(reloadOnce);
      reloading = run.catch(() => undefined);
      return run;
    },
    async close() {
      log.info(`mqtt broker version ${version} terminating`);
      sys.stop();
      await bridges.stop();
      // a listener's close waits for its open connections: stop accepting, then send the wills,
      // flush and end the connections (within a deadline)
      const closing = listeners.map((l) => l.close());
      await broker.shutdown();
      await Promise.all(closing);
      // changes made just before the stop reach the file
      await Promise.all([...security.dynsec.values()].map((d) => d.flush()));
      // after the wills: a retained will is kept too
      await persistence?.close().catch((err: Error) => log.error(`Error: ${err.message}`));
      log.close();
    },
  };
}
