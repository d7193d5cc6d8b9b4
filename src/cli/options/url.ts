import { UsageError } from '../errors.js';
import { intArg } from './int-arg.js';
import type { OptionState } from './state.js';
import { addTopic } from './topic-args.js';

interface SchemeDefaults {
  port: number;
  transport: 'tcp' | 'ws';
  tls: boolean;
}

// mosquitto 2.0 knows mqtt:// and mqtts://; ws:// and wss:// are ours (2.1 added them too, with
// 1883/8883 as defaults; we use the WebSocket ports everybody else uses).
const SCHEMES: Record<string, SchemeDefaults> = {
  'mqtt://': { port: 1883, transport: 'tcp', tls: false },
  'mqtts://': { port: 8883, transport: 'tcp', tls: true },
  'ws://': { port: 80, transport: 'ws', tls: false },
  'wss://': { port: 443, transport: 'ws', tls: true },
};

/**
 * -L scheme://[user[:password]@]host[:port]/topic, split the way mosquitto splits it: the scheme
 * is case-insensitive, the path is the topic (mandatory; for sub one more subscription), no
 * percent-decoding, no [IPv6], host and port split at the first ':'. A TLS scheme also trusts
 * the OS certificate store, as mosquitto does for mqtts://.
 */
export function applyUrl(state: OptionState, url: string): void {
  const prefix = Object.keys(SCHEMES).find((p) => url.slice(0, p.length).toLowerCase() === p);
  if (!prefix) throw new UsageError('unsupported URL scheme.');
  const scheme = SCHEMES[prefix];
  const rest = url.slice(prefix.length);
  const slash = rest.indexOf('/');
  if (slash === -1) throw new UsageError('Invalid URL for -L argument specified - topic missing.');
  addTopic(state, rest.slice(slash + 1), '-L topic');

  let authority = rest.slice(0, slash);
  const at = authority.indexOf('@');
  if (at !== -1) {
    const userinfo = authority.slice(0, at);
    const colon = userinfo.indexOf(':');
    if (colon !== -1) {
      state.conn.password = userinfo.slice(colon + 1);
      state.conn.passwordFromEnv = false;
      state.conn.passwordPrompt = false;
    }
    state.conn.username = colon === -1 ? userinfo : userinfo.slice(0, colon);
    authority = authority.slice(at + 1);
  }
  const colon = authority.indexOf(':');
  state.conn.host = colon === -1 ? authority : authority.slice(0, colon);
  // unlike mosquitto, which would try to connect to it, refuse a port out of range here too
  state.conn.port = colon === -1 ? scheme.port : checkPort(authority.slice(colon + 1));
  state.conn.transport = scheme.transport;
  if (scheme.tls) state.tls.useOsCerts = true;
}

/** -p and the port of -L: 0 is allowed and means a unix socket named like the host (libmosquitto). */
export function checkPort(text: string): number {
  return intArg(text, 0, 65535, (n) => `Invalid port given: ${n}`);
}
