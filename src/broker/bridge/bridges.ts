import type { SessionClient } from '../session.js';
import type { Broker } from '../broker.js';
import type { BrokerHooks } from '../hooks.js';
import type { BridgeConfig } from '../config/bridge-config.js';
import { Bridge } from './bridge.js';

/**
 * The broker's bridges. Their local connections are the broker's own: like Mosquitto's bridge
 * contexts they are neither authenticated nor held to ACLs (a password file or an ACL written for
 * clients must not cut a bridge off). Recognised by the connection object itself, never by a
 * client id a client could choose.
 */
export class Bridges {
  private readonly bridges: Bridge[];
  private readonly own = new WeakSet<SessionClient>();

  constructor(configs: readonly BridgeConfig[], broker: Broker) {
    this.bridges = configs.map((c) => new Bridge(c, broker, (client) => this.own.add(client)));
  }

  get list(): readonly Bridge[] {
    return this.bridges;
  }

  /** `hooks` with the bridges' local connections let through. */
  exempt(hooks: BrokerHooks): BrokerHooks {
    const own = this.own;
    if (this.bridges.length === 0) return hooks;
    return {
      ...hooks,
      authenticate: (req) => (own.has(req.client) ? 0 : hooks.authenticate(req)),
      authorizePublish: (client, topic) => own.has(client) || hooks.authorizePublish(client, topic),
      authorizeSubscribe: (client, filter) => own.has(client) || hooks.authorizeSubscribe(client, filter),
      authorizeRead: (session, topic) => (session.client !== undefined && own.has(session.client)) || hooks.authorizeRead(session, topic),
      authorizeUnsubscribe: hooks.authorizeUnsubscribe
        ? (client, filter) => own.has(client) || hooks.authorizeUnsubscribe!(client, filter)
        : undefined,
    };
  }

  async start(): Promise<void> {
    await Promise.all(this.bridges.map((b) => b.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.bridges.map((b) => b.stop()));
  }
}
