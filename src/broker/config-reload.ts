import type { BrokerConfig, ListenerConfig, SecurityOptions } from './config/broker-config.js';

/**
 * SIGHUP with `-c FILE`: the file is read again (Mosquitto's config__read(reload=true)) and what
 * Mosquitto takes over from it is applied to the running configuration, in place: the objects
 * stay the same, so the listeners, the TLS states (psk_file) and the connected clients that hold
 * them see the new values, and createSecurity finds the previous load of each by identity.
 */

/** What a reload applied, for the log. */
export interface ReloadOutcome {
  /** one line each: options whose change waits for a restart (Mosquitto says nothing there) */
  warnings: string[];
  /**
   * Set when the security of the file cannot be mapped onto the running listeners (a changed
   * per_listener_settings): every client is then refused until a restart or a reload that
   * matches again — fail closed, where keeping the old settings could be more open than the file.
   */
  blocked?: string;
}

/** A listener's identity across reloads, as Mosquitto matches them: port and bind address, or the socket path. */
function listenerKey(l: ListenerConfig): string {
  return l.socketPath !== undefined ? `unix:${l.socketPath}` : `${l.host ?? '*'}:${l.port}`;
}

function describeListener(l: ListenerConfig): string {
  return l.socketPath !== undefined ? `listener ${l.socketPath}` : `listener ${l.port}${l.host !== undefined ? ` ${l.host}` : ''}`;
}

/** The fields of the security options Mosquitto's reload copies (config__copy, and per listener in place). */
function copySecurity(target: SecurityOptions, from: SecurityOptions): void {
  target.allowAnonymous = from.allowAnonymous;
  target.allowAnonymousSetting = from.allowAnonymousSetting;
  target.passwordFile = from.passwordFile;
  target.aclFile = from.aclFile;
  target.pskFile = from.pskFile;
  target.allowZeroLengthClientId = from.allowZeroLengthClientId;
  target.autoIdPrefix = from.autoIdPrefix;
  // plugins are not reloaded (Mosquitto: "Auth plugin not currently valid for reloading")
}

/** The security options the clients of a listener are checked with, as the file now says. */
function effectiveSecurity(config: BrokerConfig, l: ListenerConfig): SecurityOptions {
  return config.perListenerSettings ? l.security : config.security;
}

/**
 * Applies the security options of `next` (the file as read now) to `current` (what the broker
 * runs with). A listener of the file the broker does not run, or one it runs that the file no
 * longer has, waits for a restart (a warning); a running listener the file no longer names keeps
 * its options.
 */
export function applySecurity(current: BrokerConfig, next: BrokerConfig, out: ReloadOutcome): void {
  if (current.perListenerSettings !== next.perListenerSettings) {
    out.warnings.push(`Warning: per_listener_settings changed to ${next.perListenerSettings}: it takes effect at restart.`);
    out.blocked = 'per_listener_settings changed: every client is refused until the broker restarts with it (or the file says the former value again)';
    return;
  }
  copySecurity(current.security, next.security);
  const running = new Map(current.listeners.map((l) => [listenerKey(l), l]));
  const named = new Set<string>();
  for (const l of next.listeners) {
    const key = listenerKey(l);
    named.add(key);
    const mine = running.get(key);
    if (!mine) {
      out.warnings.push(`Warning: ${describeListener(l)} is not running: it starts at restart.`);
      continue;
    }
    if (current.perListenerSettings) copySecurity(mine.security, effectiveSecurity(next, l));
  }
  for (const [key, l] of running) {
    if (!named.has(key)) out.warnings.push(`Warning: ${describeListener(l)} is no longer in the configuration: it stops at restart.`);
  }
}

/** Re-reads the configuration and applies it to `current`; see applySecurity. */
export function applyReloadedConfig(current: BrokerConfig, next: BrokerConfig): ReloadOutcome {
  const out: ReloadOutcome = { warnings: [] };
  applySecurity(current, next, out);
  return out;
}
