import { RC } from '../core/protocol/reason-codes.js';
import type { ScramCredentials, ScramDigest } from '../core/auth/scram.js';
import type { Session, SessionClient } from './session.js';
import type { RetainedEntry } from './retained-store.js';

export interface AuthenticateRequest {
  client: SessionClient;
  clientId: string;
  username?: string;
  password?: Buffer;
}

/**
 * Authentication and authorisation in one place, so a password file, an ACL file and later
 * plugins plug in without the packet handlers knowing which.
 */
export interface BrokerHooks {
  /** 0 to accept, else a v5 CONNACK reason code (0x86 bad user name or password, 0x87 not authorised) */
  authenticate(req: AuthenticateRequest): number | Promise<number>;
  /** SCRAM credentials of a user for MQTT 5 enhanced authentication; undefined: none (the exchange fails) */
  scramCredentials?(client: SessionClient, username: string, digest: ScramDigest): ScramCredentials | undefined;
  authorizePublish(client: SessionClient, topic: string): boolean;
  authorizeSubscribe(client: SessionClient, filter: string): boolean;
  /** checked per delivery, like Mosquitto's read ACL */
  authorizeRead(session: Session, topic: string): boolean;
  /**
   * check_retain_source: may the publisher of a retained message (its client id, username and
   * listener as when it published) still write its topic? Asked before the message goes to a new
   * subscriber, after authorizeRead; false: not sent (it stays retained). Absent when there is
   * nothing to check against (no acl_file, no dynamic security, or the option off): nothing is
   * asked, nothing allocated.
   */
  authorizeRetainSource?(entry: RetainedEntry): boolean;
  /** UNSUBSCRIBE of a filter; when false the subscription stays (v5: UNSUBACK 0x87) */
  authorizeUnsubscribe?(client: SessionClient, filter: string): boolean;
  /**
   * A PUBLISH to $CONTROL/... that passed authorizePublish: never routed to subscribers (as in
   * Mosquitto); a handler such as the dynamic security API may act on it.
   */
  control?(client: SessionClient, topic: string, payload: Buffer): void;
}

export const allowAll: BrokerHooks = {
  authenticate: () => RC.Success,
  authorizePublish: () => true,
  authorizeSubscribe: () => true,
  authorizeRead: () => true,
};
