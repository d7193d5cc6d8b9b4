import { CliError, UsageError } from '../errors.js';
import type { OptionState } from './state.js';

const NEVER_EXPIRES = 0xffffffff;
const ALPHANUM = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * The session rules of client_config_load: under MQTT v5, -c without -x means a session that
 * never expires, and a never-expiring session needs a real -i; under 3.x, -c needs a real -i.
 * (-I does not count: its id changes with every run.) -x is only sent with v5.
 * Returns the session expiry interval to put in CONNECT, if any.
 */
export function checkSession(state: OptionState): number | undefined {
  const { conn } = state;
  const withoutFixedId = conn.idPrefix !== undefined || conn.id === undefined;
  if (conn.protocolVersion !== 5) {
    if (!conn.cleanSession && withoutFixedId) throw new UsageError('You must provide a client id if you are using the -c option.');
    return undefined;
  }
  const expiry = conn.sessionExpiry ?? (conn.cleanSession ? undefined : NEVER_EXPIRES);
  if (expiry === undefined || expiry === 0) return undefined;
  if (expiry === NEVER_EXPIRES && withoutFixedId) {
    throw new UsageError('You must provide a client id if you are using an infinite session expiry interval.');
  }
  return expiry;
}

/**
 * The client id libmosquitto ends up sending: -I prefix + pid, -i as given, else for MQTT 3.1
 * "mosq-" and 18 random letters/digits (3.1 brokers refuse an empty id) and for 3.1.1 and 5 an
 * empty id, which the broker replaces. libmosquitto refuses an empty -i, and no id at all with
 * a persistent session (e.g. v5 -c -x 60), as "Invalid id".
 */
export function resolveClientId(state: OptionState, pid: number, random: (n: number) => Buffer): string {
  const { conn } = state;
  const invalid = () => new CliError(conn.quiet ? '' : state.kind === 'pub' ? 'Error: Invalid id.' : 'Error: Invalid id and/or clean_session.', 1);
  if (conn.idPrefix !== undefined) return `${conn.idPrefix}${pid}`;
  if (conn.id === '') throw invalid();
  if (conn.id !== undefined) return conn.id;
  if (!conn.cleanSession) throw invalid();
  if (conn.protocolVersion === 3) return `mosq-${Array.from(random(18), (b) => ALPHANUM[(b & 0x7f) % ALPHANUM.length]).join('')}`;
  return '';
}
