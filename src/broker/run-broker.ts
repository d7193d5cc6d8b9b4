import { readFileSync } from 'node:fs';
import type { TlsOptions } from 'node:tls';
import { Broker, type BrokerLimits } from './broker.js';
import type { BrokerConfig, ListenerConfig, LogType } from './config/broker-config.js';
import { startListener, type RunningListener } from './listeners.js';
import { BrokerLog, type LogLevel } from './log.js';
import { createSecurity, type Security } from './security.js';
import { SysTopics } from './sys-topics.js';

export interface RunningBroker {
  broker: Broker;
  listeners: RunningListener[];
  /** reloads password and ACL files (SIGHUP) */
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
    maxKeepalive: config.maxKeepalive,
    retainAvailable: config.retainAvailable,
  };
}

function logFrom(config: BrokerConfig): BrokerLog {
  const types = new Set<LogType>(config.verbose ? ['error', 'warning', 'notice', 'information', 'debug', 'subscribe', 'unsubscribe'] : config.log.types);
  const levels = new Set<LogLevel>([...types].filter((t): t is LogLevel => ['error', 'warning', 'notice', 'information', 'debug'].includes(t)));
  const { dest } = config.log;
  return new BrokerLog(levels, (line) => {
    if (dest.stderr) process.stderr.write(line);
    if (dest.stdout) process.stdout.write(line);
  });
}

function tlsOptionsFor(listener: ListenerConfig): TlsOptions | undefined {
  const tls = listener.tls;
  if (!tls) return undefined;
  return {
    cert: readFileSync(tls.certFile),
    key: readFileSync(tls.keyFile),
    ca: tls.caFile ? readFileSync(tls.caFile) : undefined,
    requestCert: tls.requireCertificate,
    rejectUnauthorized: tls.requireCertificate,
    minVersion: tls.minVersion,
  };
}

/**
 * Starts a broker with its listeners as configured. At least one listener must bind; in
 * local-only mode one of the 127.0.0.1 / ::1 pair may fail (a host without IPv6), as in Mosquitto.
 */
export async function startBroker(config: BrokerConfig, version: string): Promise<RunningBroker> {
  const log = logFrom(config);
  const broker = new Broker({ limits: limitsFrom(config), log });
  let security: Security = await createSecurity(config, log);
  broker.hooks = { ...broker.hooks, ...security.hooks };

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
        tls: tlsOptionsFor(l),
        name: l.origin,
        security: l.security,
        maxConnections: l.maxConnections,
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
    throw new Error(`Unable to start any listening sockets: ${errors.join('; ')}`);
  }
  for (const e of errors) log.warning(`Warning: ${e}`);

  const sys = new SysTopics(broker, version);
  sys.start(config.sysInterval);
  log.notice(`mqtt broker version ${version} running`);

  return {
    broker,
    listeners,
    async reload() {
      security = await createSecurity(config, log);
      broker.hooks = { ...broker.hooks, ...security.hooks };
      log.notice('Reloaded password and ACL files.');
    },
    async close() {
      sys.stop();
      // a listener's close waits for its open connections: stop accepting, then close the clients
      const closing = listeners.map((l) => l.close());
      await broker.close();
      await Promise.all(closing);
    },
  };
}
