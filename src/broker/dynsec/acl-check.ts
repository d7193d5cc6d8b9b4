import { topicMatchesFilter } from '../../core/topic/match.js';
import type { Acl, DynsecState, RoleRef } from './model.js';

/** An ACL check's answer; `defer` leaves the decision to what comes next (and in the end denies). */
export type Verdict = 'allow' | 'deny' | 'defer';

export type AclAccess = 'publishClientSend' | 'publishClientReceive' | 'subscribe' | 'unsubscribe';

/** Splits off a trailing "#" or "/#" as hash_check does; returns the rest and whether it was there. */
function stripHash(s: string): [string, boolean] {
  if (s === '#') return ['', true];
  if (s.length > 1 && s.endsWith('/#')) return [s.slice(0, -2), true];
  return [s, false];
}

/**
 * Whether a subscribePattern/unsubscribePattern ACL covers a subscription filter (the plugin's
 * sub_acl_check): "+" in the ACL covers any one level of the filter, wildcards included; "#"
 * covers any deeper levels; a filter ending in "#" needs an ACL ending in "#".
 */
export function aclCoversFilter(acl: string, sub: string): boolean {
  if (acl === '#') return true;
  const [aclRest, aclHash] = stripHash(acl);
  const [subRest, subHash] = stripHash(sub);
  if (subHash && !aclHash) return false;
  const aclLevels = aclRest.split('/');
  const subLevels = subRest.split('/');
  if (aclLevels.length > subLevels.length) return false;
  if (subLevels.length > aclLevels.length && !aclHash) return false;
  for (let i = 0; i < subLevels.length; i++) {
    if (i < aclLevels.length) {
      if (aclLevels[i] !== '+' && aclLevels[i] !== subLevels[i]) return false;
    }
  }
  return true;
}

function firstMatch(acls: Acl[], matches: (acl: Acl) => boolean): Verdict | undefined {
  for (const acl of acls) if (matches(acl)) return acl.allow ? 'allow' : 'deny';
  return undefined;
}

/** One role list's say on an access: the first matching ACL of the first role that has one. */
function checkRoles(roles: RoleRef[], access: AclAccess, topic: string): Verdict | undefined {
  for (const { role } of roles) {
    const acls = role.acls;
    let v: Verdict | undefined;
    if (access === 'publishClientSend' || access === 'publishClientReceive') {
      v = firstMatch(acls[access], (a) => topicMatchesFilter(a.topic, topic));
    } else {
      const [literal, pattern] = access === 'subscribe' ? [acls.subscribeLiteral, acls.subscribePattern] : [acls.unsubscribeLiteral, acls.unsubscribePattern];
      // a literal ACL for exactly this filter comes before the role's patterns, whatever the priorities
      const exact = literal.find((a) => a.topic === topic);
      v = exact ? (exact.allow ? 'allow' : 'deny') : firstMatch(pattern, (a) => aclCoversFilter(a.topic, topic));
    }
    if (v !== undefined) return v;
  }
  return undefined;
}

/**
 * The plugin's ACL check (acl.c): the client's roles by priority, then its groups by priority
 * with their roles; a client without username uses the anonymous group. The first matching ACL
 * decides. Without one: the default access when it allows (never for $CONTROL topics, which must
 * be granted explicitly), else defer. A username the plugin does not know defers.
 */
export function checkAcl(state: DynsecState, username: string | undefined, access: AclAccess, topic: string): Verdict {
  const lists = state.roleListsFor(username);
  if (lists === null) return 'defer';
  for (const roles of lists) {
    const v = checkRoles(roles, access, topic);
    if (v !== undefined) return v;
  }
  if (!state.defaultAccess[access]) return 'defer';
  return topic.startsWith('$CONTROL') ? 'defer' : 'allow';
}
