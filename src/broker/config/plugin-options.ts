import path from 'node:path';
import type { DynsecPluginConfig, SecurityOptions } from './broker-config.js';
import { ConfigFileError, describeLocation } from './config-error.js';
import type { ConfigLine } from './config-lines.js';
import { fail } from './config-values.js';

/** The one plugin served natively, recognised by its file name wherever it is installed. */
export const DYNSEC_PLUGIN = 'mosquitto_dynamic_security.so';

/** `plugin .../mosquitto_dynamic_security.so` and its plugin_opt_ lines. */

export function isPluginOption(keyword: string): boolean {
  return keyword.startsWith('plugin_opt_') || keyword.startsWith('auth_opt_');
}

/**
 * `plugin`/`auth_plugin`, `plugin_opt_*`/`auth_opt_*` and `auth_plugin_deny_special_chars` as
 * Mosquitto 2.0's conf.c reads them: a plugin line belongs to the current security options (the
 * listener's with per_listener_settings), and option lines to the last plugin line. Mosquitto's
 * dynamic security plugin is recognised by its file name and served natively; any other plugin
 * is an error, since the checks it would make could not happen.
 */
export class PluginLines {
  private current?: DynsecPluginConfig;

  plugin(line: ConfigLine, security: SecurityOptions): void {
    const file = line.rest;
    if (file === '') fail(line, `Empty ${line.keyword} value in configuration.`);
    if (path.basename(file) !== DYNSEC_PLUGIN) {
      fail(line, `Unsupported plugin "${file}": only Mosquitto's dynamic security plugin (${DYNSEC_PLUGIN}) is supported, served natively; without the plugin its checks would not happen.`);
    }
    if (security.dynsec) fail(line, `The dynamic security plugin is already loaded at ${security.dynsec.origin}.`);
    this.current = security.dynsec = { origin: describeLocation(line.loc), loc: line.loc };
  }

  option(line: ConfigLine): void {
    if (!this.current) fail(line, 'An auth_opt_ option exists in the config file without an auth_plugin.');
    const key = line.keyword.slice(line.keyword.startsWith('auth_opt_') ? 'auth_opt_'.length : 'plugin_opt_'.length);
    if (key === '') fail(line, 'Invalid auth_opt_ config option.');
    if (line.rest === '') fail(line, `Empty ${key} value in configuration.`);
    if (key.toLowerCase() !== 'config_file') {
      fail(line, `Unknown option "${line.keyword}" for the dynamic security plugin (it reads only plugin_opt_config_file).`);
    }
    // the plugin takes the first config_file it is given
    this.current.configFile ??= line.rest;
  }

  /** Has no effect on this plugin, as on Mosquitto's version 5 plugins; accepted after a plugin line. */
  denySpecialChars(line: ConfigLine): void {
    if (!this.current) fail(line, 'An auth_plugin_deny_special_chars option exists in the config file without an auth_plugin.');
  }

  /** Mosquitto runs the plugin inactive without a config_file; here it is an error, failing closed. */
  static check(security: SecurityOptions): void {
    const d = security.dynsec;
    if (d && d.configFile === undefined) {
      throw new ConfigFileError('Error: The dynamic security plugin has no plugin_opt_config_file (Mosquitto would run it inactive).', d.loc);
    }
  }
}
