import { topicMatchesFilter } from '../../core/topic/match.js';
import type { AclFile, AclRule } from './acl-file.js';

/** What one client may do; make it once per connection with AclChecker.forClient. */
export interface ClientAcl {
  /** may a message on this topic be delivered to the client (checked per delivery and per retained message) */
  canRead(topic: string): boolean;
  /** may the client publish on this topic (also its will) */
  canWrite(topic: string): boolean;
  /** may the client subscribe to this filter (see AclChecker.canSubscribe) */
  canSubscribe(filter: string): boolean;
}

export interface AclChecker {
  forClient(clientId: string, username: string | undefined): ClientAcl;
  canRead(clientId: string, username: string | undefined, topic: string): boolean;
  canWrite(clientId: string, username: string | undefined, topic: string): boolean;
  /**
   * Always true, as in Mosquitto 2.0: its acl_file check grants every SUBSCRIBE ("FIXME -
   * implement ACL subscription strings" in security_default.c; 2.1 still does) and the read check
   * then filters each message delivered. So `#` from a user who may read only `a/#` gets SUBACK
   * 0 and then only messages on a/#, and a filter no rule allows is granted and stays silent.
   */
  canSubscribe(clientId: string, username: string | undefined, filter: string): boolean;
}

export interface AclCheckerOptions {
  /** Mosquitto logs these as notices: "ACL denying access to client with dangerous client id ..." */
  notice?: (message: string) => void;
}

type Access = 'read' | 'write';

/**
 * Mosquitto's acl__check_dollar (src/security.c), which runs before any ACL, with or without an
 * acl_file: nobody publishes to $SYS except a bridge's connection state, and $share topics are
 * only for subscribing, never a topic to publish to or receive on.
 */
export function dollarTopicAllows(topic: string, access: Access | 'subscribe'): boolean {
  if (topic.charCodeAt(0) !== 0x24 /* $ */) return true;
  // prefix tests as Mosquitto's strncmp: "$SYSTEM/x" counts as $SYS too
  if (topic.startsWith('$SYS')) return access !== 'write' || topicMatchesFilter('$SYS/broker/connection/+/state', topic);
  if (topic.startsWith('$share')) return access === 'subscribe';
  return true;
}

/**
 * With pattern lines present, Mosquitto refuses clients whose username or client id holds '+'
 * or '#', which would turn a pattern into a wildcard over other clients' topics. '/' is refused
 * too, as Mosquitto 1.x did and 2.0 no longer does: client "a/b" would otherwise get
 * "clients/a/b/#" from "clients/%c/#", inside client "a"'s "clients/a/#".
 */
const DANGEROUS = /[+#/]/;

interface Grant {
  filter: string;
  read: boolean;
  write: boolean;
}

/** A section's rules split for checking: any matching deny wins, then any matching grant. */
interface Section {
  deny: string[];
  grant: Grant[];
}

function section(rules: readonly AclRule[], topicOf: (rule: AclRule) => string | undefined): Section {
  const out: Section = { deny: [], grant: [] };
  for (const rule of rules) {
    const filter = topicOf(rule);
    if (filter === undefined) continue;
    if (rule.access === 'deny') out.deny.push(filter);
    else out.grant.push({ filter, read: rule.access !== 'write', write: rule.access !== 'read' });
  }
  return out;
}

/**
 * true or false when a rule of the section decides, undefined when none matches. In the user's
 * section Mosquitto skips rules not starting with '$' for topics that do (so `topic deny #` does
 * not cover $SYS); in patterns it does not.
 */
function decide(s: Section, topic: string, access: Access, skipDollar: boolean): boolean | undefined {
  const dollar = skipDollar && topic.charCodeAt(0) === 0x24;
  const applies = (filter: string) => !(dollar && filter.charCodeAt(0) !== 0x24) && topicMatchesFilter(filter, topic);
  if (s.deny.some(applies)) return false;
  if (s.grant.some((g) => g[access] && applies(g.filter))) return true;
  return undefined;
}

/** %c and %u replaced as Mosquitto does, anywhere in the text; undefined when %u has no username. */
function substitute(topic: string, clientId: string, username: string | undefined): string | undefined {
  if (username === undefined && topic.includes('%u')) return undefined;
  return topic.replace(/%[cu]/g, (m) => (m === '%c' ? clientId : username!));
}

/**
 * Checks following Mosquitto 2.0's default security (src/security.c mosquitto_acl_check and
 * src/security_default.c mosquitto_acl_check_default). Without an acl_file only the $ rules
 * apply. With one: the client's own section first (its username's, or the anonymous section
 * when it has none), then the patterns; a matching deny ends the check, a matching grant of the
 * access asked allows it, and anything not granted is denied. A username without a section,
 * in a file without patterns, may do nothing.
 */
export function createAclChecker(acl: AclFile | undefined, options: AclCheckerOptions = {}): AclChecker {
  const userSections = new Map<string | undefined, Section>();
  if (acl) {
    userSections.set(undefined, section(acl.anonymous, (r) => r.topic));
    for (const [name, rules] of acl.users) userSections.set(name, section(rules, (r) => r.topic));
  }

  /** the pattern lines with this client's %c and %u put in; nothing for a dangerous name */
  const patternSection = (clientId: string, username: string | undefined): Section => {
    const bad = username !== undefined && DANGEROUS.test(username) ? `username "${username}"` : DANGEROUS.test(clientId) ? `client id "${clientId}"` : undefined;
    if (bad) options.notice?.(`ACL denying access to client with dangerous ${bad}`);
    return bad ? { deny: [], grant: [] } : section(acl!.patterns, (r) => substitute(r.topic, clientId, username));
  };
  // called per message and per delivery: it allocates nothing unless patterns must be consulted
  // (`made` keeps a ClientAcl's pattern section, built on first need so the notice comes only then)
  const check = (clientId: string, username: string | undefined, topic: string, access: Access, made?: { patterns?: Section }): boolean => {
    if (!dollarTopicAllows(topic, access)) return false;
    if (!acl) return true;
    const own = userSections.get(username);
    const byOwn = own && decide(own, topic, access, true);
    if (byOwn !== undefined) return byOwn;
    if (acl.patterns.length === 0) return false;
    let patterns = made?.patterns;
    if (patterns === undefined) {
      patterns = patternSection(clientId, username);
      if (made) made.patterns = patterns;
    }
    return decide(patterns, topic, access, false) ?? false;
  };

  const forClient = (clientId: string, username: string | undefined): ClientAcl => {
    const made: { patterns?: Section } = {};
    return {
      canRead: (topic) => check(clientId, username, topic, 'read', made),
      canWrite: (topic) => check(clientId, username, topic, 'write', made),
      canSubscribe: (filter) => dollarTopicAllows(filter, 'subscribe'),
    };
  };

  return {
    forClient,
    canRead: (clientId, username, topic) => check(clientId, username, topic, 'read'),
    canWrite: (clientId, username, topic) => check(clientId, username, topic, 'write'),
    canSubscribe: (_clientId, _username, filter) => dollarTopicAllows(filter, 'subscribe'),
  };
}
