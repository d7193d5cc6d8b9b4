import { CliError } from '../../cli/errors.js';
import { defaultBrokerConfig, localOnlyListeners, LOCAL_ONLY_HOSTS, type BrokerConfig } from './broker-config.js';
import { ConfigFileError } from './config-error.js';
import { loadMosquittoConf } from './mosquitto-conf.js';

export interface BrokerCliOptions {
  configFile?: string;
  port?: number[];
  bind?: string;
  verbose?: boolean;
}

/**
 * The configuration `mqtt broker` runs with: the file (Mosquitto's format) or local-only mode,
 * then -p / --bind / -v from the command line. Warnings go to stderr; errors end the command.
 */
export async function resolveBrokerConfig(opts: BrokerCliOptions): Promise<BrokerConfig> {
  let config: BrokerConfig;
  if (opts.configFile) {
    try {
      const parsed = await loadMosquittoConf(opts.configFile);
      for (const w of parsed.warnings) process.stderr.write(`${w}\n`);
      config = parsed.config;
    } catch (err) {
      if (err instanceof ConfigFileError || (err as NodeJS.ErrnoException).code) throw new CliError(`Error: ${(err as Error).message}`, 3);
      throw err;
    }
  } else {
    config = defaultBrokerConfig();
  }
  if (opts.port && opts.port.length > 0) {
    // Mosquitto: -p replaces the default listener; with --bind the given address is used instead
    // of the local-only pair, and anonymous clients stay allowed (an explicit command line)
    const hosts = opts.bind ? [opts.bind] : LOCAL_ONLY_HOSTS;
    if (opts.configFile) config.listeners = [...config.listeners, ...localOnlyListeners(opts.port, hosts, config.security)];
    else config.listeners = localOnlyListeners(opts.port, hosts, config.security);
  } else if (opts.bind && !opts.configFile) {
    config.listeners = localOnlyListeners([1883], [opts.bind], config.security);
  }
  if (opts.verbose) config.verbose = true;
  return config;
}
