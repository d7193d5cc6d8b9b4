import type { ClientConfig, PacketProperties } from '../../client/config.js';
import type { Endpoint, TlsConfig } from '../../core/transport/endpoint.js';
import { CliError, UsageError } from '../errors.js';
import { checkSession, resolveClientId } from './client-id.js';
import { passwordReader, PromptInterrupted } from '../../auth/password-prompt.js';
import { resolveProperties } from './properties.js';
import type { OptionState } from './state.js';
import { checkTlsPairs, hasTlsMaterial, resolveTls } from './tls.js';
import { checkWill, resolveWill } from './will.js';

/** What resolving needs from the process, injectable for tests. */
export interface ResolveContext {
  env: Readonly<Record<string, string | undefined>>;
  pid: number;
  /** asks for the password of a bare -P; absent when there is no terminal to ask on */
  promptPassword?: () => Promise<string>;
  randomBytes: (n: number) => Buffer;
}

export function processContext(): ResolveContext {
  return {
    env: process.env,
    pid: process.pid,
    // looked at only for a bare -P: making the stdin stream, or loading node:crypto (needed for
    // 3.1 client ids alone), would cost every one-shot `mqtt pub` start-up
    get promptPassword() {
      return process.stdin.isTTY ? promptPassword : undefined;
    },
    randomBytes: (n) => process.getBuiltinModule('node:crypto').randomBytes(n),
  };
}

/**
 * A bare -P on a terminal: "Password: " on stderr (stdout may be a pipe carrying messages), read
 * with echo off by the same reader as mqtt passwd's. Ctrl-C and Ctrl-D abandon it.
 */
async function promptPassword(): Promise<string> {
  const reader = passwordReader(process.stdin, process.stderr);
  try {
    const typed = await reader.read('Password: ');
    if (typed === null) throw new CliError('Error: No password given.', 1);
    return typed.toString('utf8');
  } catch (err) {
    if (err instanceof PromptInterrupted) throw new CliError('Error: No password given.', 1);
    throw err;
  } finally {
    reader.close();
  }
}

export interface CheckedClientOptions {
  sessionExpiry?: number;
  properties: PacketProperties;
}

/**
 * The cross-field checks mosquitto makes once all options are read, in its order; `between`
 * runs the command's own check that mosquitto makes before the property checks (sub's topic).
 */
export function checkClientOptions(state: OptionState, between: () => void = () => {}): CheckedClientOptions {
  checkWill(state);
  checkTlsPairs(state);
  const sessionExpiry = checkSession(state);
  between();
  return { sessionExpiry, properties: resolveProperties(state, sessionExpiry) };
}

/**
 * The connection settings, with the checks libmosquitto makes when they are set (client id,
 * username/password, TLS files); the password of a bare -P is asked for last, once all is valid.
 */
export async function resolveClientConfig(state: OptionState, checked: CheckedClientOptions, ctx: ResolveContext): Promise<ClientConfig> {
  const { conn } = state;
  const clientId = resolveClientId(state, ctx.pid, ctx.randomBytes);
  // MQTT_PASSWORD stands in for -P only together with a username (3.x forbids a password alone)
  const envPasswordUnused = conn.passwordFromEnv && conn.username === undefined;
  const password = envPasswordUnused ? undefined : conn.password;
  if (conn.protocolVersion !== 5 && conn.username === undefined && (password !== undefined || conn.passwordPrompt)) {
    throw new CliError(conn.quiet ? '' : 'Error: Problem setting username and/or password.', 1);
  }
  if (conn.authMethod !== undefined) {
    // AUTH exists in MQTT 5 only; SCRAM proves a user's password, so both are needed
    if (conn.protocolVersion !== 5) throw new UsageError('--auth-method needs MQTT v5 (-V 5).');
    if (conn.username === undefined || (password === undefined && !conn.passwordPrompt)) throw new UsageError('--auth-method needs -u and -P.');
  }
  const unix = (conn.port ?? 1883) === 0;
  const tls = unix ? undefined : resolveTls(state);
  const config: ClientConfig = {
    endpoint: resolveEndpoint(state, tls),
    protocolVersion: conn.protocolVersion,
    clientId,
    keepalive: conn.keepalive,
    cleanSession: conn.cleanSession,
    properties: checked.properties,
    maxInflight: conn.maxInflight,
    nodelay: conn.nodelay,
    debug: conn.debug,
    quiet: conn.quiet,
  };
  if (conn.bindAddress !== undefined) config.bindAddress = conn.bindAddress;
  if (checked.sessionExpiry !== undefined) config.sessionExpiry = checked.sessionExpiry;
  if (conn.username !== undefined) config.username = conn.username;
  if (conn.authMethod !== undefined) config.authMethod = conn.authMethod;
  const will = resolveWill(state, checked.properties.will);
  if (will) config.will = will;
  if (tls) config.tls = tls;
  if (conn.passwordPrompt) {
    if (!ctx.promptPassword) throw new UsageError('-P argument given but no password specified.');
    config.password = Buffer.from(await ctx.promptPassword(), 'utf8');
  } else if (password !== undefined) {
    config.password = Buffer.from(password, 'utf8');
  }
  return config;
}

/**
 * mqtt:// or mqtts:// by TLS, ws:// or wss:// after a ws(s) URL, and port 0 (--unix) a unix
 * socket named by the host, as in libmosquitto. The port defaults to 8883 with TLS material.
 */
function resolveEndpoint(state: OptionState, tls: TlsConfig | undefined): Endpoint {
  const host = state.conn.host ?? 'localhost';
  const port = state.conn.port ?? (hasTlsMaterial(state) ? 8883 : 1883);
  if (port === 0) return { scheme: 'unix', host, port, path: host };
  if (state.conn.transport === 'ws') return { scheme: tls ? 'wss' : 'ws', host, port, path: state.conn.wsPath };
  return { scheme: tls ? 'mqtts' : 'mqtt', host, port };
}
