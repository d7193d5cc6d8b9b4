import type { PacketProperties } from '../../client/config.js';
import { CliError } from '../errors.js';
import { finishPropertyOptions, parsePropertyOption, PropertyOptionError } from '../property-option.js';
import type { OptionGroup } from './option-command.js';
import { splitPropertyWords } from './property-argv.js';
import type { OptionState } from './state.js';

export const propertiesGroup: OptionGroup = {
  heading: 'MQTT v5 properties:',
  specs: [
    {
      flags: '-D, --property <words>',
      description:
        'MQTT v5 property, as "-D <command> <property> <value>" or "-D <command> user-property <key> <value>"; repeatable; switches to MQTT v5 (properties per command below)',
      missing: '--property argument given but not enough arguments specified.',
      apply: (s, v) => {
        s.propertyEntries.push(mosquittoLines(s, () => parsePropertyOption(splitPropertyWords(v!))));
        s.conn.protocolVersion = 5;
      },
    },
  ],
};

/**
 * The end-of-options property checks, with -x's session expiry counted as mosquitto counts it
 * (so -x and -D connect session-expiry-interval together are a duplicate).
 */
export function resolveProperties(state: OptionState, sessionExpiry: number | undefined): PacketProperties {
  return mosquittoLines(state, () => finishPropertyOptions(state.propertyEntries, { sessionExpiryInterval: sessionExpiry }));
}

/**
 * A few of mosquitto's -D lines have no "Error: " prefix ("Error in CONNECT properties: …",
 * "Error adding property …") or are empty: print them as they are, then the usage hint;
 * --quiet silences them as mosquitto's err_printf does.
 */
function mosquittoLines<T>(state: OptionState, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (!(err instanceof PropertyOptionError) || err.line.startsWith('Error: ')) throw err;
    const line = state.conn.quiet || err.line === '' ? '' : `${err.line}\n`;
    throw new CliError(`${line}Use 'mqtt ${state.kind} --help' to see usage.`, 1);
  }
}
