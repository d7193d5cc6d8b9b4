/**
 * `-D/--property`, reproducing mosquitto 2.0's client/client_props.c and the property checks at the
 * end of client_config_load(): the same accepted commands, the same check order, atol() number
 * parsing, and the same error texts.
 */
import { orderedUserProperties } from '../core/protocol/user-properties.js';
import type { PacketProperties } from '../client/config.js';
import type { Properties } from '../core/protocol/types.js';
import { UsageError } from './errors.js';
import { asciiLower, propertyByName, PROPERTIES, type PropertyInfo, type PropertyPacket } from '../core/protocol/properties.js';
import { MOSQ_ERR, mosquittoStrerror } from '../core/protocol/reason-codes.js';
import { validateUtf8 } from '../core/topic/validate.js';

export type PropertyCommand = keyof PacketProperties;

/**
 * A -D error. `message` is what follows "Error: " in mosquitto's output; `line` is the whole line
 * mosquitto prints, which for a few errors has no "Error: " prefix ("Error adding property …",
 * "Error in CONNECT properties: …") or is empty (`-D connack …`, where mosquitto prints nothing).
 */
export class PropertyOptionError extends UsageError {
  constructor(readonly line: string) {
    super(line.startsWith('Error: ') ? line.slice('Error: '.length) : line);
    this.name = 'PropertyOptionError';
  }
}

/** One parsed -D group, in command-line order. */
export interface PropertyOptionEntry {
  readonly command: PropertyCommand;
  readonly info: PropertyInfo;
  /** number for integer types, string for strings, Buffer for binary, [key, value] for user-property */
  readonly value: number | string | Buffer | readonly [string, string];
}

// mosquitto_string_to_command() knows these; the ones -D cannot use are refused further on.
const KNOWN_COMMANDS = new Set([
  'connect', 'connack', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp',
  'subscribe', 'unsubscribe', 'disconnect', 'auth', 'will',
]);
const ACCEPTED: ReadonlySet<string> = new Set<PropertyCommand>(['connect', 'publish', 'subscribe', 'unsubscribe', 'disconnect', 'will']);

/** mosquitto_property_check_command(): table 2-4, except that it lets a will carry reason-string. */
function allowedFor(command: PropertyPacket, info: PropertyInfo): boolean {
  return info.packets.has(command) || (command === 'will' && info.key === 'reasonString');
}

// MQTT_PROP_TYPE_* numbers, printed by "Error adding property %s %d".
const MOSQ_PROP_TYPE: Record<PropertyInfo['type'], number> = {
  'byte': 1, 'two-byte-int': 2, 'four-byte-int': 3, 'varint': 4, 'binary': 5, 'utf8-string': 6, 'string-pair': 7,
};
const MAX_BY_TYPE: Partial<Record<PropertyInfo['type'], bigint>> = {
  'byte': 0xffn, 'two-byte-int': 0xffffn, 'four-byte-int': 0xffffffffn, 'varint': 0xffffffffn,
};
const LONG_MAX = 2n ** 63n - 1n;
const LONG_MIN = -(2n ** 63n);

/** C atol() as glibc does it (strtol base 10): leading space, sign, digits, saturating on overflow. */
export function atol(s: string): bigint {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d*)/.exec(s)!;
  if (m[2] === '') return 0n;
  const v = m[1] === '-' ? -BigInt(m[2]) : BigInt(m[2]);
  return v > LONG_MAX ? LONG_MAX : v < LONG_MIN ? LONG_MIN : v;
}

const fail = (line: string): never => {
  throw new PropertyOptionError(line);
};
const NOT_ENOUGH = 'Error: --property argument given but not enough arguments specified.';

/**
 * How many command-line words the -D starting at `args[start]` takes (the words after "-D"):
 * 4 for user-property, else 3. The caller slices that many (or what is left) for parsePropertyOption.
 */
export function propertyOptionArity(args: readonly string[], start = 0): number {
  return asciiLower(args[start + 1] ?? '') === 'user-property' ? 4 : 3;
}

/** Parses one -D group (`[command, property, value]` or `[command, 'user-property', key, value]`). */
export function parsePropertyOption(group: readonly string[]): PropertyOptionEntry {
  if (group.length < 3) fail(NOT_ENOUGH);
  const [cmdname, propname] = group;
  const command = asciiLower(cmdname);
  if (!KNOWN_COMMANDS.has(command)) fail(`Error: Invalid command ${cmdname} given in --property argument.`);
  const info = propertyByName(propname) ?? fail(`Error: Invalid property name ${propname} given in --property argument.`);
  if (!allowedFor(command as PropertyPacket, info)) {
    fail(`Error: ${propname} property not allowed for ${cmdname} in --property argument.`);
  }
  if (info.type === 'string-pair' && group.length < 4) fail(NOT_ENOUGH);
  const notSupported = `Error: ${propname} property not supported for ${cmdname} in --property argument.`;
  if (command === 'publish' && info.key === 'subscriptionIdentifier') fail(notSupported);
  if (command === 'connack') fail(''); // mosquitto returns an error here without printing anything
  if (!ACCEPTED.has(command)) fail(notSupported);
  return { command: command as PropertyCommand, info, value: parseValue(info, propname, group) };
}

function parseValue(info: PropertyInfo, propname: string, group: readonly string[]): PropertyOptionEntry['value'] {
  const addFailed = `Error adding property ${propname} ${MOSQ_PROP_TYPE[info.type]}`;
  const max = MAX_BY_TYPE[info.type];
  if (max !== undefined) {
    const n = atol(group[2]);
    if (n < 0n || n > max) fail(`Error: Property value (${n}) out of range for property ${propname}.`);
    // mosquitto_property_add_varint() refuses what a variable byte integer cannot hold
    if (info.type === 'varint' && n > 268435455n) fail(addFailed);
    return Number(n);
  }
  if (info.type === 'binary') {
    const bytes = Buffer.from(group[2], 'utf8');
    if (bytes.length > 0xffff) fail(`Error: Property value too long for property ${propname}.`);
    return bytes;
  }
  // Strings go through mosquitto_validate_utf8(), which also refuses control characters and
  // anything over 65536 bytes. Mosquitto skips the check for a user-property's value (it passes
  // length 0) but would then truncate a value over 65535 bytes; we refuse that instead.
  const checkString = (s: string, validate: boolean): string => {
    const bytes = Buffer.from(s, 'utf8');
    if (bytes.length > 0xffff || (validate && validateUtf8(bytes, { strict: true }))) fail(addFailed);
    return s;
  };
  if (info.type === 'string-pair') return [checkString(group[2], true), checkString(group[3], false)];
  return checkString(group[2], true);
}

const LIST_LABEL: Record<PropertyCommand, string> = {
  connect: 'CONNECT', publish: 'PUBLISH', subscribe: 'SUBSCRIBE',
  unsubscribe: 'UNSUBSCRIBE', disconnect: 'DISCONNECT', will: 'Will',
};

/** mosquitto_property_check_all() on one command's list, as a MOSQ_ERR code (0 when fine). */
function checkAll(entries: readonly PropertyOptionEntry[]): number {
  for (let i = 0; i < entries.length; i++) {
    const { info, value } = entries[i];
    if (info.type === 'byte' && (value as number) > 1) return MOSQ_ERR.PROTOCOL;
    const zeroForbidden = info.key === 'maximumPacketSize' || info.key === 'receiveMaximum' || info.key === 'topicAlias';
    if (zeroForbidden && value === 0) return MOSQ_ERR.PROTOCOL;
    if (info.type !== 'string-pair' && entries.slice(i + 1).some((e) => e.info === info)) {
      return MOSQ_ERR.DUPLICATE_PROPERTY;
    }
  }
  return MOSQ_ERR.SUCCESS;
}

function toMqttPacket(entries: readonly PropertyOptionEntry[]): Properties {
  const props: Properties = {};
  const users: Array<readonly [string, string]> = [];
  for (const { info, value } of entries) {
    if (info.type === 'string-pair') {
      // the key takes its place now: mqtt-packet writes properties in key order
      props.userProperties ??= null;
      users.push(value as readonly [string, string]);
    } else props[info.key] = info.boolean ? value !== 0 : value;
  }
  // a null-prototype record (a key like "__proto__" is data) that goes out in -D order, as
  // mosquitto sends it, a repeated key included
  if (users.length > 0) props.userProperties = orderedUserProperties(users);
  return props;
}

export interface FinishOptions {
  /**
   * The session expiry interval mosquitto adds to the CONNECT list from -x/-c before checking, so
   * that `-x` together with `-D connect session-expiry-interval` is a duplicate. Used only for that
   * check; it is not copied into the result (ClientConfig.sessionExpiry carries it).
   */
  sessionExpiryInterval?: number;
}

/**
 * The checks mosquitto runs once all options are read (duplicates, 0/1 values, zeros the spec
 * forbids), then the result in mqtt-packet's shape, with only the commands that got properties.
 */
export function finishPropertyOptions(
  entries: readonly PropertyOptionEntry[],
  options: FinishOptions = {},
): PacketProperties {
  const result: PacketProperties = {};
  for (const command of Object.keys(LIST_LABEL) as PropertyCommand[]) {
    const list = entries.filter((e) => e.command === command);
    const checked = [...list];
    if (command === 'connect' && options.sessionExpiryInterval !== undefined) {
      checked.push({ command, info: propertyByName('session-expiry-interval')!, value: options.sessionExpiryInterval });
    }
    const rc = checkAll(checked);
    if (rc) fail(`Error in ${LIST_LABEL[command]} properties: ${mosquittoStrerror(rc)}`);
    if (list.length > 0) result[command] = toMqttPacket(list);
  }
  return result;
}

/** Parses every -D group in order, then runs the final checks. */
export function parsePropertyOptions(groups: readonly (readonly string[])[], options: FinishOptions = {}): PacketProperties {
  return finishPropertyOptions(groups.map(parsePropertyOption), options);
}

function namesFor(command: PropertyCommand): string {
  return PROPERTIES.filter((p) => p.packets.has(command) && !(command === 'publish' && p.key === 'subscriptionIdentifier'))
    .map((p) => p.name)
    .sort()
    .join(', ');
}

/** Lines for --help: the syntax, then the properties each command takes. */
export const PROPERTY_OPTION_HELP: readonly string[] = [
  '-D, --property <command> <property> <value>',
  '-D, --property <command> user-property <key> <value>',
  'Sets an MQTT v5 property (and switches to MQTT v5). Names are case-insensitive.',
  ...(Object.keys(LIST_LABEL) as PropertyCommand[]).map((c) => `  ${c}: ${namesFor(c)}`),
];
