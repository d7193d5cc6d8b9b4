import { defaultBrokerConfig, type BrokerConfig } from './broker-config.js';
import { applyCommandLine } from './command-line.js';
import { ConfigFileError } from './config-error.js';
import { ConfigError } from '../../core/errors/input-errors.js';
import { loadMosquittoConf } from './mosquitto-conf.js';

export interface BrokerCliOptions {
  configFile?: string;
  port?: number[];
  bind?: string;
  verbose?: boolean;
  persist?: string;
}

/**
 * The configuration `mqtt broker` runs with: the file (Mosquitto's format) or local-only mode,
 * then -p / --bind / -v as Mosquitto 2.0's -p works. Warnings go to stderr; a bad file ends the
 * command with exit 3 (Mosquitto's MOSQ_ERR_INVAL is 3 as well).
 */
export async function resolveBrokerConfig(opts: BrokerCliOptions): Promise<BrokerConfig> {
  if (opts.persist === '') throw new ConfigError('Error: --persist needs a directory.');
  let config: BrokerConfig = defaultBrokerConfig();
  if (opts.configFile) {
    try {
      const parsed = await loadMosquittoConf(opts.configFile);
      for (const w of parsed.warnings) process.stderr.write(`${w}\n`);
      config = parsed.config;
    } catch (err) {
      if (err instanceof ConfigFileError) throw new ConfigError(err.message);
      if ((err as NodeJS.ErrnoException).code) throw new ConfigError(`Error: Unable to open config file ${opts.configFile}: ${(err as Error).message}`);
      throw err;
    }
  }
  const merged = applyCommandLine(config, { port: opts.port, bind: opts.bind, verbose: opts.verbose, persist: opts.persist });
  for (const w of merged.warnings) process.stderr.write(`${w}\n`);
  return merged.config;
}

/**
 * The configuration as the file says now, for a reload (SIGHUP): the same reading and command
 * line as at start, the warnings returned rather than printed (the broker logs them). Undefined
 * without -c: there is nothing to read again. Throws ConfigFileError, with Mosquitto's lines,
 * when the file cannot be read or is refused.
 */
export async function rereadBrokerConfig(opts: BrokerCliOptions): Promise<{ config: BrokerConfig; warnings: string[] } | undefined> {
  if (!opts.configFile) return undefined;
  const parsed = await loadMosquittoConf(opts.configFile);
  const merged = applyCommandLine(parsed.config, { port: opts.port, bind: opts.bind, verbose: opts.verbose, persist: opts.persist });
  return { config: merged.config, warnings: [...parsed.warnings, ...merged.warnings] };
}
