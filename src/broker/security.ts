import { ClientState } from './client-state.js';
import type { SessionClient } from './session.js';
import type { Broker } from './broker.js';
import type { BrokerConfig, SecurityOptions } from './config/broker-config.js';
import { createAclChecker, dollarTopicAllows, type AclChecker } from './auth/acl-checker.js';
import { AclStore } from './auth/acl-store.js';
import { basicAuth } from './auth/basic-auth.js';
import { PasswordStore } from './auth/password-store.js';
import { worldWritableError } from './auth/secret-file.js';
import type { AclAccess } from './dynsec/acl-check.js';
import { CONTROL_TOPIC, RESPONSE_TOPIC } from './dynsec/control.js';
import { DynamicSecurity } from './dynsec/dynamic-security.js';
import type { BrokerHooks } from './hooks.js';
import type { RetainedEntry } from './retained-store.js';
import type { BrokerLog } from './log.js';
import { RC } from '../core/protocol/reason-codes.js';

/**
 * Why a connected client may stay no longer (a reason for the log), or undefined when it may.
 * The reload re-check runs every one of these on every connected client; another check (the
 * certificate revocation list, say) is one more function in Security.rechecks.
 */
export type ClientRecheck = (client: SessionClient) => string | undefined | Promise<string | undefined>;

export interface Security {
  hooks: Partial<BrokerHooks>;
  /** run on each connected client after a reload (SIGHUP): see recheckClients */
  rechecks: ClientRecheck[];
  /** @internal what a reload carries over: the passwords clients connected with */
  readonly credentials: Credentials;
  /** @internal the security as loaded, per options object, for the next reload to compare */
  readonly loaded: ReadonlyMap<SecurityOptions, LoadedSecurity>;
  /** dynamic security by file, kept across reloads (Mosquitto does not reload plugins on SIGHUP) */
  readonly dynsec: Map<string, DynamicSecurity>;
}

/** What the dynamic security API needs of the running broker. */
export interface SecurityHost {
  /** disconnects every client with this username, or every client without one for null */
  kick(username: string | null): void;
  /** publishes a broker message (QoS 0, not retained) to subscribers, read ACLs applied */
  publish(topic: string, payload: Buffer): void;
}

/**
 * The password each client connected with, kept as Mosquitto keeps it, so that a reload can tell
 * whether it still matches a changed password file.
 */
type Credentials = WeakMap<SessionClient, Buffer | undefined>;

interface LoadedSecurity {
  options: SecurityOptions;
  passwords?: PasswordStore;
  acl: AclChecker;
  /**
   * Set when a reload could not read the password file: every client of these options is refused
   * and disconnected until a later reload reads it (fail closed; Mosquitto 2.0 would let every
   * password in).
   */
  broken?: string;
  /** Mosquitto's dynamic security plugin, served natively (`plugin .../mosquitto_dynamic_security.so`) */
  dynsec?: DynamicSecurity;
  /**
   * the files as named when loaded: a reload of the -c file changes `options` in place, and what
   * was read from another file is no stand-in for a new one (see load)
   */
  files: { password?: string; acl?: string };
}

/**
 * With the dynamic security plugin, Mosquitto asks it first and falls back to the acl_file only
 * when it defers; when everything defers, the answer is no (src/security.c mosquitto_acl_check).
 */
function pluginAcl(sec: LoadedSecurity, username: string | undefined, access: AclAccess, topic: string, fileCheck: () => boolean): boolean {
  if (!sec.dynsec) return fileCheck();
  const verdict = sec.dynsec.checkAcl(username, access, topic);
  if (verdict !== 'defer') return verdict === 'allow';
  return sec.options.aclFile !== undefined && fileCheck();
}

/** Denies every access: an ACL file that a reload could not read. */
const DENY_ALL: AclChecker = {
  forClient: () => ({ canRead: () => false, canWrite: () => false, canSubscribe: () => false }),
  canRead: () => false,
  canWrite: () => false,
  canSubscribe: () => false,
};

/**
 * Loads one options object's files. At start a file that cannot be read or parsed stops the
 * broker (the error is thrown); on a reload (`reloading`) it fails closed instead, and the
 * broker runs on: a password file that is gone or unreadable refuses everyone, an ACL file
 * denies everything; a file others may now write keeps what was read from it before.
 */
async function load(options: SecurityOptions, log: BrokerLog, reloading: boolean, before: LoadedSecurity | undefined): Promise<LoadedSecurity> {
  const out: LoadedSecurity = { options, acl: createAclChecker(undefined), files: { password: options.passwordFile, acl: options.aclFile } };
  /**
   * a file others may write: what it says now cannot be trusted, so what was read from it before
   * stays; a file newly named in the configuration has nothing before, and fails closed
   */
  const keepsOld = (err: unknown, file: string, kind: 'password' | 'acl') => {
    if (!(err instanceof Error) || err.message !== worldWritableError(file) || !before || before.files[kind] !== file) return false;
    log.error(`Error: reload failed: ${err.message}`);
    return true;
  };
  if (options.passwordFile) {
    try {
      const r = await PasswordStore.load(options.passwordFile);
      r.warnings.forEach((w) => log.warning(w));
      out.passwords = r.store;
    } catch (err) {
      if (!reloading) throw err;
      if (keepsOld(err, options.passwordFile, 'password')) {
        out.passwords = before!.passwords;
        out.broken = before!.broken;
      } else {
        out.broken = `password file ${options.passwordFile} could not be read`;
        log.error((err as Error).message.split('\n')[0]!);
        log.error(`Error: every client that the password file ${options.passwordFile} applies to is refused until a reload reads it.`);
      }
    }
  }
  if (options.aclFile) {
    try {
      const r = await AclStore.load(options.aclFile, { notice: (m) => log.notice(m) });
      r.warnings.forEach((w) => log.warning(w));
      out.acl = r.store;
    } catch (err) {
      if (!reloading) throw err;
      if (keepsOld(err, options.aclFile, 'acl')) {
        out.acl = before!.acl;
      } else {
        out.acl = DENY_ALL;
        for (const line of (err as Error).message.split('\n')) log.error(line);
        log.error(`Error: every access that the ACL file ${options.aclFile} governs is denied until a reload reads it.`);
      }
    }
  }
  return out;
}

/**
 * Authentication and authorisation from the security options (global, or per listener with
 * per_listener_settings): allow_anonymous, password_file, acl_file, as Mosquitto 2.0 applies them.
 * Each options object is loaded once; listeners that share it share the files. With `previous`
 * (a reload) files that cannot be read fail closed, and the passwords clients connected with are
 * carried over for the re-check. With `blocked` (a reason) every client is refused and disconnected.
 */
export async function createSecurity(config: BrokerConfig, log: BrokerLog, previous?: Security, host?: SecurityHost, blocked?: string): Promise<Security> {
  const loaded = new Map<SecurityOptions, LoadedSecurity>();
  const all = new Set<SecurityOptions>([config.security, ...config.listeners.map((l) => l.security)]);
  for (const options of all) loaded.set(options, await load(options, log, previous !== undefined, previous?.loaded.get(options)));
  // a reloaded configuration that cannot be applied to the running listeners: everyone is refused
  if (blocked) for (const sec of loaded.values()) sec.broken = blocked;
  // the dynamic security file is read once, at start: changes come through its $CONTROL API
  const dynsec = new Map<string, DynamicSecurity>();
  for (const sec of loaded.values()) {
    const file = sec.options.dynsec?.configFile;
    if (file === undefined) continue;
    sec.dynsec =
      dynsec.get(file) ??
      previous?.dynsec.get(file) ??
      (await DynamicSecurity.load(file, {
        kick: (username) => host?.kick(username),
        info: (m) => log.info(m),
        warning: (m) => log.warning(m),
        error: (m) => log.error(m),
      }));
    dynsec.set(file, sec.dynsec);
  }
  /** clients the plugin let in: its own changes disconnect them, a reload does not re-check them */
  const byPlugin = new WeakSet<SessionClient>();
  const credentials: Credentials = previous?.credentials ?? new WeakMap();
  const forListener = (client: SessionClient | undefined): LoadedSecurity =>
    loaded.get((config.perListenerSettings && client?.info.listener.security) || config.security) ?? loaded.get(config.security)!;
  // the client's own listener: listeners that share the global security options share that object
  const identityListener = (client: SessionClient) =>
    config.listeners.find((l) => l.origin === client.info.listener.name)?.tls?.useIdentityAsUsername ?? false;

  /** The password check for a connected client against the files as they are now. */
  const stillAllowed: ClientRecheck = (client) => {
    const sec = forListener(client);
    if (sec.broken) return `the ${sec.broken}`;
    if (byPlugin.has(client) || (previous && sec.dynsec && client.username !== undefined && sec.dynsec.state.clients.has(client.username))) return undefined;
    // a certificate identity is checked by the TLS layer (and its CRL), not the password file
    if (identityListener(client)) return undefined;
    const username = client.username;
    if (username === undefined) return sec.options.allowAnonymous ? undefined : 'anonymous clients are not allowed';
    if (!sec.passwords) return sec.options.allowAnonymous ? undefined : 'not authorised';
    const before = previous?.loaded.get(sec.options)?.passwords;
    // the same hash as when the client's password was last accepted: nothing to compute
    if (before && sec.passwords.sameEntry(username, before)) return undefined;
    if (!sec.passwords.has(username)) return `user ${username} is no longer in the password file`;
    const password = credentials.get(client);
    const verdict = basicAuth(sec.options, sec.passwords, username, password);
    const answer = (ok: boolean) => (ok ? undefined : `the password of user ${username} has changed`);
    return typeof verdict === 'boolean' ? answer(verdict) : verdict.then(answer);
  };

  /**
   * check_retain_source, as Mosquitto's retain__process: the publisher's client id, username and
   * listener (for per_listener_settings; none known: not delivered, Mosquitto's acl__find_acls
   * fails) against the write ACL as it is now, the $ rules first. Only when there is an ACL to
   * ask: without acl_file and dynamic security every write is allowed, and the subscribe path
   * asks nothing at all.
   */
  const checksSources = config.checkRetainSource && [...loaded.values()].some((sec) => sec.options.aclFile !== undefined || sec.dynsec !== undefined);
  const authorizeRetainSource = (entry: RetainedEntry): boolean => {
    const listener = entry.listener;
    if (listener === undefined) return true;
    const topic = entry.message.topic;
    if (!dollarTopicAllows(topic, 'write')) return false;
    if (config.perListenerSettings && listener === null) return false;
    const sec = loaded.get((config.perListenerSettings && listener?.security) || config.security) ?? loaded.get(config.security)!;
    const clientId = entry.message.senderId ?? '';
    if (!sec.dynsec) return sec.acl.canWrite(clientId, entry.username, topic);
    return pluginAcl(sec, entry.username, 'publishClientSend', topic, () => sec.acl.canWrite(clientId, entry.username, topic));
  };

  return {
    credentials,
    loaded,
    dynsec,
    rechecks: [stillAllowed],
    hooks: {
      // set either way: a reload's hooks replace the previous ones
      authorizeRetainSource: checksSources ? authorizeRetainSource : undefined,
      // synchronous unless a password has to be hashed: a plain number spares every connect a
      // promise and the packet hold that goes with it
      authenticate: ({ client, clientId, username, password }) => {
        const sec = forListener(client);
        if (sec.broken) return RC.NotAuthorized;
        if (identityListener(client)) {
          // the certificate's CN is the user; the CONNECT user name and password do not count.
          // No certificate (require_certificate false): Mosquitto answers "bad user name or
          // password", 0x86 (3.1.1: 4)
          if (!client.info.certificateIdentity) return RC.BadUserNameOrPassword;
          client.username = client.info.certificateIdentity;
          return RC.Success;
        }
        // Mosquitto reads a zero-length password as none, which a password-file user never passes
        // with; and it answers every authentication failure with "not authorised" (5 / 0x87)
        const given = password && password.length > 0 ? Buffer.from(password) : undefined;
        const remember = (ok: boolean) => {
          // none to remember, none to look up: an entry per connection costs the GC too
          if (ok && given !== undefined) credentials.set(client, given);
          return ok ? RC.Success : RC.NotAuthorized;
        };
        const fromFile = (): number | Promise<number> => {
          // with the plugin loaded, Mosquitto lets allow_anonymous admit only clients without a username
          if (sec.dynsec && (!sec.passwords || username === undefined)) return remember(username === undefined && sec.options.allowAnonymous);
          const verdict = basicAuth(sec.options, sec.passwords, username, given);
          return typeof verdict === 'boolean' ? remember(verdict) : verdict.then(remember);
        };
        if (!sec.dynsec) return fromFile();
        // the plugin first; the password file and allow_anonymous only when it defers
        const decide = (v: 'allow' | 'deny' | 'defer') => {
          if (v === 'defer') return fromFile();
          if (v === 'allow') byPlugin.add(client);
          return v === 'allow' ? RC.Success : RC.NotAuthorized;
        };
        const v = sec.dynsec.authenticate({ clientId, username }, given);
        return typeof v === 'string' ? decide(v) : v.then(decide);
      },
      // SCRAM lines of the password file; not on a use_identity_as_username listener (the
      // certificate is the identity there), nothing while the file is unreadable (fail closed)
      scramCredentials: (client, username, digest) => {
        const sec = forListener(client);
        if (sec.broken || identityListener(client)) return undefined;
        return sec.passwords?.scram(username, digest);
      },
      authorizePublish: (client, topic) => {
        if (!dollarTopicAllows(topic, 'write')) return false;
        const sec = forListener(client);
        // per message: no closure unless the plugin is loaded
        if (!sec.dynsec) return sec.acl.canWrite(client.clientId, client.username, topic);
        return pluginAcl(sec, client.username, 'publishClientSend', topic, () => sec.acl.canWrite(client.clientId, client.username, topic));
      },
      authorizeSubscribe: (client, filter) => {
        const sec = forListener(client);
        if (!sec.dynsec) return sec.acl.canSubscribe(client.clientId, client.username, filter);
        return dollarTopicAllows(filter, 'subscribe') && pluginAcl(sec, client.username, 'subscribe', filter, () => sec.acl.canSubscribe(client.clientId, client.username, filter));
      },
      authorizeUnsubscribe: (client, filter) => {
        const sec = forListener(client);
        // the acl_file has no say on unsubscribing (security_default.c grants it)
        return !sec.dynsec || (dollarTopicAllows(filter, 'subscribe') && pluginAcl(sec, client.username, 'unsubscribe', filter, () => true));
      },
      authorizeRead: (session, topic) => {
        if (!dollarTopicAllows(topic, 'read')) return false;
        const sec = forListener(session.client);
        if (!sec.dynsec) return sec.acl.canRead(session.clientId, session.username, topic);
        return pluginAcl(sec, session.username, 'publishClientReceive', topic, () => sec.acl.canRead(session.clientId, session.username, topic));
      },
      control: (client, topic, payload) => {
        const sec = forListener(client);
        if (!sec.dynsec || topic !== CONTROL_TOPIC) return;
        // answered once the changes are on disk, as the plugin answers after writing its file
        void sec.dynsec.control({ clientId: client.clientId, username: client.username }, payload).then((response) => {
          host?.publish(RESPONSE_TOPIC, Buffer.from(response, 'utf8'));
        });
      },
    },
  };
}

/**
 * After a reload, what Mosquitto does at reload (mosquitto_security_apply): every connected client
 * is checked again, and those no longer allowed (user removed, password changed, password file
 * gone) are disconnected: v5 clients with DISCONNECT 0x87, and without their wills, as in
 * Mosquitto. Resolves with how many were disconnected.
 */
export async function recheckClients(broker: Broker, security: Security): Promise<number> {
  let dropped = 0;
  const clients = [...broker.clients].filter((c) => c.state === ClientState.Connected);
  await Promise.all(
    clients.map(async (client) => {
      for (const check of security.rechecks) {
        const why = await check(client);
        if (why === undefined) continue;
        // it may have gone while a password was being hashed
        if (client.state !== ClientState.Connected) return;
        dropped++;
        // no will: a client no longer authorised may not publish, its will included (Mosquitto
        // sets the disconnecting state first for the same effect)
        client.normalDisconnect = true;
        client.will = undefined;
        client.disconnect(RC.NotAuthorized, `not authorised after reload: ${why}`);
        client.close();
        return;
      }
    }),
  );
  return dropped;
}
