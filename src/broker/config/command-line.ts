import { isIPv4, isIPv6 } from 'node:net';
import {
  ALL_LOG_TYPES,
  DEFAULT_PORT,
  LOCAL_ONLY_HOSTS,
  defaultSecurityOptions,
  localOnlyListeners,
  resolveAllowAnonymous,
  type BrokerConfig,
} from './broker-config.js';

/** The broker's own flags: `mqtt broker [-p PORT] [--bind ADDR] [--persist DIR] [-v]`. */
export interface CommandLineOptions {
  /** one or more (Mosquitto takes -p several times); 0 asks the kernel for a free port, which Mosquitto refuses */
  port?: number | readonly number[];
  bind?: string;
  verbose?: boolean;
  /** --persist DIR [extra]: persistence on, the store in DIR (over persistence_location) */
  persist?: string;
}

export class CommandLineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandLineError';
  }
}

/** A -p/--port value: a whole number 0..65535, else Mosquitto's "Error: Invalid port specified (X)." */
export function parsePortArgument(text: string): number {
  const port = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new CommandLineError(`Error: Invalid port specified (${text}).`);
  return port;
}

export function isLoopbackAddress(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  const v4 = host.startsWith('::ffff:') ? host.slice(7) : host;
  if (isIPv4(v4)) return v4.startsWith('127.');
  return isIPv6(host) && /^(0{0,4}:){7}0{0,3}1$/.test(host);
}

/**
 * Merges the command line into a configuration the way Mosquitto 2.0's -p works: it sets the
 * ports of local-only mode and is ignored (here with a warning; Mosquitto says nothing) when the
 * configuration defines listeners. --bind, which Mosquitto lacks, likewise replaces local-only
 * mode's 127.0.0.1 and ::1; an address that is not loopback leaves local-only mode, so anonymous
 * clients are then refused unless the configuration file allows them, as on any Mosquitto 2.0
 * listener. -v turns on every log type, whatever log_type says.
 */
export function applyCommandLine(config: BrokerConfig, cli: CommandLineOptions): { config: BrokerConfig; warnings: string[] } {
  const warnings: string[] = [];
  const out: BrokerConfig = { ...config, log: { ...config.log } };
  if (cli.verbose) {
    out.verbose = true;
    out.log.types = [...ALL_LOG_TYPES];
  }
  if (cli.persist !== undefined) {
    out.persistence = true;
    out.persistenceLocation = cli.persist;
  }
  const ports = cli.port === undefined ? [] : typeof cli.port === 'number' ? [cli.port] : [...cli.port];
  if (ports.length === 0 && cli.bind === undefined) return { config: out, warnings };
  if (!config.localOnly) {
    for (const port of ports) warnings.push(`Warning: -p ${port} is ignored because the configuration defines listeners.`);
    if (cli.bind !== undefined) warnings.push(`Warning: --bind ${cli.bind} is ignored because the configuration defines listeners.`);
    return { config: out, warnings };
  }
  const hosts = cli.bind !== undefined ? [cli.bind] : LOCAL_ONLY_HOSTS;
  out.localOnly = hosts.every(isLoopbackAddress);
  // per listener, local listeners have options of their own (see ConfParser.localListeners)
  const security = config.perListenerSettings ? defaultSecurityOptions() : { ...config.security };
  resolveAllowAnonymous(security, out.localOnly);
  if (!config.perListenerSettings) out.security = security;
  if (!security.allowAnonymous && security.allowAnonymousSetting === undefined) {
    warnings.push(
      `Warning: --bind ${cli.bind} is not a loopback address, so anonymous clients are refused unless the configuration sets allow_anonymous true.`,
    );
  }
  out.listeners = localOnlyListeners(ports.length > 0 ? ports : [DEFAULT_PORT], hosts, security).map((l) => ({
    ...l,
    origin: cli.bind !== undefined ? '--bind' : '-p',
  }));
  return { config: out, warnings };
}
