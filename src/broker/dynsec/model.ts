/**
 * Mosquitto's dynamic security model (plugins/dynamic-security in Mosquitto 2.0): clients,
 * groups and roles, each role holding ACLs of six types. Lists keep Mosquitto's orders, which
 * decide ACL checks: a role's ACLs by priority (highest first, equal ones in the order added),
 * role and group lists by priority then name, clients, groups and roles by name (byte order).
 */

export const ACL_TYPES = [
  'publishClientSend',
  'publishClientReceive',
  'subscribeLiteral',
  'subscribePattern',
  'unsubscribeLiteral',
  'unsubscribePattern',
] as const;
export type AclType = (typeof ACL_TYPES)[number];

export interface Acl {
  topic: string;
  priority: number;
  allow: boolean;
}

export interface Role {
  name: string;
  textName?: string;
  textDescription?: string;
  acls: Record<AclType, Acl[]>;
}

/** A role held by a client or a group; priority -1 is "not given" and is not printed. */
export interface RoleRef {
  role: Role;
  priority: number;
}

/** PBKDF2-SHA512 as the plugin stores it: 64-byte hash, salt, iteration count. */
export interface DynsecPassword {
  hash: Buffer;
  salt: Buffer;
  iterations: number;
}

export interface Client {
  username: string;
  /** when set, the client may connect only with this client id */
  clientId?: string;
  textName?: string;
  textDescription?: string;
  disabled: boolean;
  /** undefined: no password, so this plugin never authenticates the client */
  password?: DynsecPassword;
  roles: RoleRef[];
}

export interface Group {
  name: string;
  textName?: string;
  textDescription?: string;
  roles: RoleRef[];
  /** members by username, with the priority given when added */
  clients: Map<string, number>;
}

/** setDefaultACLAccess: what happens when no ACL of a client's roles matches. */
export interface DefaultAccess {
  publishClientSend: boolean;
  publishClientReceive: boolean;
  subscribe: boolean;
  unsubscribe: boolean;
}

/** strcmp order on the UTF-8 bytes, which is code point order */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function emptyAcls(): Record<AclType, Acl[]> {
  return {
    publishClientSend: [],
    publishClientReceive: [],
    subscribeLiteral: [],
    subscribePattern: [],
    unsubscribeLiteral: [],
    unsubscribePattern: [],
  };
}

/** The ACL type named, matched as Mosquitto does (strcasecmp). */
export function aclTypeNamed(name: string): AclType | undefined {
  const lower = name.toLowerCase();
  return ACL_TYPES.find((t) => t.toLowerCase() === lower);
}

/** Inserts keeping priority order; equal priorities stay in insertion order (HASH_ADD_INORDER). */
export function insertAcl(list: Acl[], acl: Acl): void {
  let i = list.findIndex((x) => x.priority < acl.priority);
  if (i === -1) i = list.length;
  list.splice(i, 0, acl);
}

/** Adds a role to a role list in Mosquitto's order; false when the role is already there. */
export function addRoleRef(list: RoleRef[], role: Role, priority: number): boolean {
  if (list.some((r) => r.role.name === role.name)) return false;
  list.push({ role, priority });
  list.sort((a, b) => b.priority - a.priority || byteOrder(a.role.name, b.role.name));
  return true;
}

export function removeRoleRef(list: RoleRef[], name: string): boolean {
  const i = list.findIndex((r) => r.role.name === name);
  if (i === -1) return false;
  list.splice(i, 1);
  return true;
}

/**
 * All of it, with the lookups the ACL check needs cached per username: every change goes
 * through `changed()`, which drops the cache.
 */
export class DynsecState {
  readonly clients = new Map<string, Client>();
  readonly groups = new Map<string, Group>();
  readonly roles = new Map<string, Role>();
  defaultAccess: DefaultAccess = { publishClientSend: false, publishClientReceive: false, subscribe: false, unsubscribe: false };
  anonymousGroup?: Group;
  private roleListCache = new Map<string | null, RoleRef[][] | null>();

  changed(): void {
    this.roleListCache.clear();
  }

  sortedClients(): Client[] {
    return [...this.clients.values()].sort((a, b) => byteOrder(a.username, b.username));
  }

  sortedGroups(): Group[] {
    return [...this.groups.values()].sort((a, b) => byteOrder(a.name, b.name));
  }

  sortedRoles(): Role[] {
    return [...this.roles.values()].sort((a, b) => byteOrder(a.name, b.name));
  }

  /** The groups a client is in, in the order its ACLs are checked: priority, then name. */
  groupsOf(username: string): Array<{ group: Group; priority: number }> {
    const out: Array<{ group: Group; priority: number }> = [];
    for (const group of this.groups.values()) {
      const priority = group.clients.get(username);
      if (priority !== undefined) out.push({ group, priority });
    }
    return out.sort((a, b) => b.priority - a.priority || byteOrder(a.group.name, b.group.name));
  }

  /** Members of a group in name order. */
  membersOf(group: Group): Array<{ username: string; priority: number }> {
    return [...group.clients].map(([username, priority]) => ({ username, priority })).sort((a, b) => byteOrder(a.username, b.username));
  }

  /**
   * The role lists an ACL check walks, in order: the client's own roles, then each of its
   * groups' roles; for a client without a username, the anonymous group's. null: a username
   * this plugin does not know (the check defers).
   */
  roleListsFor(username: string | undefined): RoleRef[][] | null {
    const key = username ?? null;
    const cached = this.roleListCache.get(key);
    if (cached !== undefined) return cached;
    let lists: RoleRef[][] | null;
    if (username === undefined) {
      lists = this.anonymousGroup ? [this.anonymousGroup.roles] : [];
    } else {
      const client = this.clients.get(username);
      lists = client ? [client.roles, ...this.groupsOf(username).map((g) => g.group.roles)] : null;
    }
    this.roleListCache.set(key, lists);
    return lists;
  }

  /** Removes a client from every group it is in. */
  leaveAllGroups(username: string): void {
    for (const group of this.groups.values()) group.clients.delete(username);
  }

  /** Clients holding the role directly, and groups holding it. */
  holdersOf(role: Role): { clients: Client[]; groups: Group[] } {
    return {
      clients: [...this.clients.values()].filter((c) => c.roles.some((r) => r.role === role)),
      groups: [...this.groups.values()].filter((g) => g.roles.some((r) => r.role === role)),
    };
  }
}
