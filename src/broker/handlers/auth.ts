import { createHmac, randomBytes } from 'node:crypto';
import type { IAuthPacket } from 'mqtt-packet';
import {
  parseClientFirst,
  scramDigest,
  ScramError,
  serverFirstMessage,
  verifyClientFinal,
  type ClientFirst,
  type ScramCredentials,
  type ScramDigest,
  type ServerFirst,
} from '../../core/auth/scram.js';
import { ProtocolError } from '../../core/protocol/errors.js';
import type { HandlerClient } from '../broker-api.js';
import { ClientState } from '../client-state.js';
import { RC } from '../../core/protocol/reason-codes.js';

/**
 * MQTT 5 enhanced authentication [MQTT-4.12] with SCRAM-SHA-256/512 (RFC 5802/7677, no channel
 * binding): CONNECT carries client-first-message, AUTH 0x18 answers server-first-message, the
 * client's AUTH 0x18 carries client-final-message, and CONNACK (or AUTH 0x00 when
 * re-authenticating) carries server-final-message. Credentials come from SCRAM lines of the
 * password file (hooks.scramCredentials).
 */

/**
 * How an exchange started from CONNECT ends: 0 with server-final-message and the user it
 * authenticated, or a CONNACK reason code.
 */
export type AuthDone = (code: number, serverFinal?: Buffer, username?: string) => void;

interface Exchange {
  method: string;
  digest: ScramDigest;
  first: ClientFirst;
  server: ServerFirst;
  /** undefined for a user without credentials: the exchange runs on and fails at the proof */
  creds?: ScramCredentials;
  /** set while CONNECT waits for the exchange; absent for re-authentication */
  done?: AuthDone;
}

/** Kept aside, not on HandlerClient: only clients using enhanced authentication pay for it. */
const exchanges = new WeakMap<HandlerClient, Exchange>();
/** the Authentication Method a connection was authenticated with at CONNECT [MQTT-4.12.1-1] */
const methods = new WeakMap<HandlerClient, string>();

/** Whether the broker implements this Authentication Method. */
export function supportsMethod(method: string): boolean {
  return scramDigest(method) !== undefined;
}

/** Whether CONNECT started an exchange that an AUTH from the client may continue. */
export function authPending(client: HandlerClient): boolean {
  return exchanges.has(client);
}

/** Per-process key for the salts of users that do not exist: the same user always gets the same one. */
const FAKE_SALT_KEY = randomBytes(32);
const FAKE_ITERATIONS = 4096;

/**
 * Starts SCRAM from CONNECT's Authentication Method and Data: AUTH 0x18 with server-first-message
 * [MQTT-4.12.0-2], or `done` with 0x87 when client-first-message does not parse.
 */
export function startAuth(client: HandlerClient, method: string, data: Buffer | undefined, done: AuthDone): void {
  methods.set(client, method);
  const exchange = begin(client, method, data);
  if (!exchange) return done(RC.NotAuthorized);
  exchange.done = done;
  exchanges.set(client, exchange);
  sendAuth(client, RC.ContinueAuthentication, method, Buffer.from(exchange.server.text, 'utf8'));
}

function begin(client: HandlerClient, method: string, data: Buffer | undefined): Exchange | undefined {
  const digest = scramDigest(method)!;
  let first: ClientFirst;
  try {
    first = parseClientFirst(data);
  } catch (err) {
    if (!(err instanceof ScramError)) throw err;
    client.broker.log.notice(`Client ${client.address} failed ${method} authentication: ${err.message}.`);
    return undefined;
  }
  const creds = client.broker.hooks.scramCredentials?.(client, first.username, digest);
  // an unknown user gets a salt like a real one, so the answer does not tell who exists (RFC 5802 §5.1)
  const salt = creds?.salt ?? createHmac('sha256', FAKE_SALT_KEY).update(`${method}\0${first.username}`).digest().subarray(0, 16);
  const server = serverFirstMessage(first.nonce, salt, creds?.iterations ?? FAKE_ITERATIONS);
  return { method, digest, first, server, creds };
}

function sendAuth(client: HandlerClient, reasonCode: number, method: string, data: Buffer): void {
  // every AUTH carries the CONNECT's Authentication Method [MQTT-4.12.0-5]
  client.send({ cmd: 'auth', reasonCode, properties: { authenticationMethod: method, authenticationData: data } } as IAuthPacket);
}

/** The proof check: server-final-message, or undefined (logged) when it fails. */
function finish(client: HandlerClient, ex: Exchange, data: Buffer | undefined): Buffer | undefined {
  try {
    if (!ex.creds) throw new ScramError(`no ${ex.method} credentials for user ${ex.first.username}`);
    return verifyClientFinal(ex.digest, ex.creds, ex.first, ex.server, data);
  } catch (err) {
    if (!(err instanceof ScramError)) throw err;
    client.broker.log.notice(`Client ${client.clientId || client.address} failed ${ex.method} authentication as ${ex.first.username}: ${err.message}.`);
    return undefined;
  }
}

/** AUTH from a client [MQTT-3.15], during CONNECT or to re-authenticate once connected. */
export function handleAuth(client: HandlerClient, packet: IAuthPacket): void {
  const reason = packet.reasonCode ?? 0;
  const method = packet.properties?.authenticationMethod;
  const data = packet.properties?.authenticationData;
  const connectMethod = methods.get(client);
  // no Authentication Method in CONNECT: the client must not send AUTH [MQTT-4.12.0-7]
  if (connectMethod === undefined) throw new ProtocolError('AUTH without an Authentication Method in CONNECT', RC.ProtocolError);
  // the same method as in CONNECT throughout [MQTT-4.12.0-5], also to re-authenticate [MQTT-4.12.1-1]
  if (method !== connectMethod) throw new ProtocolError(`AUTH with Authentication Method ${method ?? '(none)'}, not ${connectMethod}`, RC.ProtocolError);
  const ex = exchanges.get(client);
  if (client.state === ClientState.AwaitingConnect) {
    // during CONNECT the client only continues [MQTT-4.12.0-3]
    if (!ex?.done || reason !== RC.ContinueAuthentication) throw new ProtocolError(`AUTH 0x${reason.toString(16)} during CONNECT`, RC.ProtocolError);
    exchanges.delete(client);
    const serverFinal = finish(client, ex, data);
    return ex.done(serverFinal ? RC.Success : RC.NotAuthorized, serverFinal, ex.first.username);
  }
  if (reason === RC.ReAuthenticate) {
    if (ex) throw new ProtocolError('AUTH 0x19 while a re-authentication is under way', RC.ProtocolError);
    const started = begin(client, connectMethod, data);
    if (!started) return fail(client);
    exchanges.set(client, started);
    return sendAuth(client, RC.ContinueAuthentication, connectMethod, Buffer.from(started.server.text, 'utf8'));
  }
  if (reason !== RC.ContinueAuthentication || !ex) throw new ProtocolError(`AUTH 0x${reason.toString(16)} with no exchange to continue`, RC.ProtocolError);
  exchanges.delete(client);
  const serverFinal = finish(client, ex, data);
  // re-authentication proves the same identity again; another user is not a way to switch
  if (!serverFinal || ex.first.username !== client.username) return fail(client);
  sendAuth(client, RC.Success, connectMethod, serverFinal);
}

/**
 * A failed re-authentication: DISCONNECT 0x87 and close [MQTT-4.12.1-2]; without the will, as a
 * client no longer authorised after a reload (recheckClients).
 */
function fail(client: HandlerClient): void {
  client.normalDisconnect = true;
  client.will = undefined;
  client.disconnect(RC.NotAuthorized, 're-authentication failed');
  client.close();
}
