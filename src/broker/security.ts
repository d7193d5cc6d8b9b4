import type { BrokerClient } from './broker-client.js';
import type { BrokerConfig, SecurityOptions } from './config/broker-config.js';
import { createAclChecker, dollarTopicAllows, type AclChecker } from './auth/acl-checker.js';
import { AclStore } from './auth/acl-store.js';
import { basicAuth } from './auth/basic-auth.js';
import { PasswordStore } from './auth/password-store.js';
import type { BrokerHooks } from './hooks.js';
import type { BrokerLog } from './log.js';

export interface Security {
  hooks: Partial<BrokerHooks>;
}

interface LoadedSecurity {
  options: SecurityOptions;
  passwords?: PasswordStore;
  acl: AclChecker;
}

/**
 * Authentication and authorisation from the security options (global, or per listener with
 * per_listener_settings): allow_anonymous, password_file, acl_file, as Mosquitto 2.0 applies them.
 * Each options object is loaded once; listeners that share it share the files.
 */
export async function createSecurity(config: BrokerConfig, log: BrokerLog): Promise<Security> {
  const loaded = new Map<SecurityOptions, LoadedSecurity>();
  const all = new Set<SecurityOptions>([config.security, ...config.listeners.map((l) => l.security)]);
  for (const options of all) {
    let passwords: PasswordStore | undefined;
    let acl: AclChecker = createAclChecker(undefined);
    if (options.passwordFile) {
      const r = await PasswordStore.load(options.passwordFile);
      r.warnings.forEach((w) => log.warning(w));
      passwords = r.store;
    }
    if (options.aclFile) {
      const r = await AclStore.load(options.aclFile, { notice: (m) => log.notice(m) });
      r.warnings.forEach((w) => log.warning(w));
      acl = r.store;
    }
    loaded.set(options, { options, passwords, acl });
  }
  const forListener = (client: BrokerClient | undefined): LoadedSecurity =>
    loaded.get((config.perListenerSettings && client?.info.listener.security) || config.security) ?? loaded.get(config.security)!;

  return {
    hooks: {
      // synchronous unless a password has to be hashed: a plain number spares every connect a
      // promise and the packet hold that goes with it
      authenticate: ({ client, username, password }) => {
        const sec = forListener(client);
        const tls = config.listeners.find((l) => l.security === client.info.listener.security && l.tls)?.tls;
        if (tls?.useIdentityAsUsername) {
          // the certificate's CN is the user; the CONNECT user name and password do not count.
          // No certificate (require_certificate false): Mosquitto answers "bad user name or
          // password", 0x86 (3.1.1: 4)
          if (!client.info.certificateIdentity) return 0x86;
          client.username = client.info.certificateIdentity;
          return 0;
        }
        // Mosquitto reads a zero-length password as none, which a password-file user never passes
        // with; and it answers every authentication failure with "not authorised" (5 / 0x87)
        const given = password && password.length > 0 ? password : undefined;
        const verdict = basicAuth(sec.options, sec.passwords, username, given);
        return typeof verdict === 'boolean' ? (verdict ? 0 : 0x87) : verdict.then((ok) => (ok ? 0 : 0x87));
      },
      authorizePublish: (client, topic) => dollarTopicAllows(topic, 'write') && forListener(client).acl.canWrite(client.clientId, client.username, topic),
      authorizeSubscribe: (client, filter) => forListener(client).acl.canSubscribe(client.clientId, client.username, filter),
      authorizeRead: (session, topic) => {
        if (!dollarTopicAllows(topic, 'read')) return false;
        return forListener(session.client).acl.canRead(session.clientId, session.username, topic);
      },
    },
  };
}
