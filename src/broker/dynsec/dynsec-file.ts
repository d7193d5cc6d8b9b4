import { ConfigFileError } from '../config/config-error.js';
import type { CJson } from '../../output/cjson.js';
import { parseCJson } from '../../output/cjson.js';
import { arrayItems, boolField, cInt, intField, isObject, item, printPretty, text, type Out } from './json.js';
import {
  ACL_TYPES,
  DynsecState,
  aclTypeNamed,
  addRoleRef,
  emptyAcls,
  insertAcl,
  type Acl,
  type AclType,
  type Client,
  type DefaultAccess,
  type Group,
  type Role,
  type RoleRef,
} from './model.js';

/**
 * A dynamic security file that cannot be used: a configuration error like an unreadable
 * password or ACL file (exit 3), its message naming the file.
 */
export class DynsecFileError extends ConfigFileError {
  constructor(reason: string, file: string) {
    super(`Error: ${reason}`, { file, line: 0 });
    this.name = 'DynsecFileError';
  }
}

const HASH_BYTES = 64;

/** Base64 as OpenSSL's BIO decodes it for the plugin; undefined when it is not base64. */
function base64(s: string | undefined): Buffer | undefined {
  if (s === undefined || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
  const b = Buffer.from(s, 'base64');
  return b.length > 0 ? b : undefined;
}

/** acls: [{acltype, topic, priority, allow}]; entries without a known type or a topic are skipped. */
export function aclsFromJson(v: CJson | undefined): Record<AclType, Acl[]> {
  const acls = emptyAcls();
  for (const a of arrayItems(v) ?? []) {
    const type = text(item(a, 'acltype'));
    // the acltype is matched ignoring case, like every other name the plugin reads
    const known = type === undefined ? undefined : aclTypeNamed(type);
    const topic = text(item(a, 'topic'));
    if (known === undefined || topic === undefined) continue;
    insertAcl(acls[known], { topic, priority: intField(a, 'priority', 0), allow: boolField(a, 'allow', false) });
  }
  return acls;
}

function rolesFrom(state: DynsecState, v: CJson | undefined): RoleRef[] {
  const list: RoleRef[] = [];
  for (const r of arrayItems(v) ?? []) {
    const role = state.roles.get(text(item(r, 'rolename')) ?? '');
    // a role that does not exist is dropped, as the plugin drops it
    if (role) addRoleRef(list, role, intField(r, 'priority', -1));
  }
  return list;
}

function optionalText(obj: CJson, name: string): string | undefined {
  return text(item(obj, name));
}

/**
 * Loads a dynamic-security.json as the plugin's config load does (plugin.c, roles.c, clients.c,
 * groups.c): roles first, then clients, then groups and the anonymous group; entries it would
 * skip (no name, a password it cannot read) are skipped with a warning. Unlike the plugin, a file
 * that is not JSON or whose clients/groups/roles are not arrays is an error, not an empty or
 * half-loaded configuration: the broker must not run more open than the file says.
 */
export function parseDynsecFile(data: Buffer, file: string, warn: (message: string) => void): DynsecState {
  const tree = parseCJson(data);
  if (!isObject(tree)) throw new DynsecFileError(`Dynamic security file "${file}" is not valid JSON.`, file);
  const state = new DynsecState();

  const defaults = item(tree, 'defaultACLAccess');
  if (isObject(defaults)) {
    const access: DefaultAccess = { publishClientSend: false, publishClientReceive: false, subscribe: false, unsubscribe: false };
    for (const key of Object.keys(access) as Array<keyof DefaultAccess>) access[key] = item(defaults, key)?.kind === 'true';
    state.defaultAccess = access;
  }

  const list = (name: string): CJson[] => {
    const v = item(tree, name);
    if (v === undefined) return [];
    const items = arrayItems(v);
    if (!items) throw new DynsecFileError(`Dynamic security file "${file}": "${name}" is not an array.`, file);
    return items.filter(isObject);
  };

  for (const r of list('roles')) {
    const name = text(item(r, 'rolename'));
    if (name === undefined) {
      warn(`Warning: Dynamic security file "${file}": a role without a "rolename" string (ignored).`);
      continue;
    }
    const role: Role = { name, textName: optionalText(r, 'textname'), textDescription: optionalText(r, 'textdescription'), acls: aclsFromJson(item(r, 'acls')) };
    state.roles.set(name, role);
  }

  for (const c of list('clients')) {
    const username = text(item(c, 'username'));
    if (username === undefined) {
      warn(`Warning: Dynamic security file "${file}": a client without a "username" string (ignored).`);
      continue;
    }
    const client: Client = {
      username,
      disabled: item(c, 'disabled')?.kind === 'true',
      clientId: optionalText(c, 'clientid'),
      textName: optionalText(c, 'textname'),
      textDescription: optionalText(c, 'textdescription'),
      roles: [],
    };
    const salt = item(c, 'salt');
    const password = item(c, 'password');
    const iterations = item(c, 'iterations');
    if (salt?.kind === 'string' && password?.kind === 'string' && iterations?.kind === 'number') {
      const rounds = cInt(iterations.value);
      const saltBytes = base64(text(salt));
      const hash = base64(text(password));
      if (rounds < 1 || !saltBytes || !hash || hash.length !== HASH_BYTES) {
        // the plugin drops such a client entirely; say so, since the user can no longer log in
        warn(`Warning: Dynamic security file "${file}": client "${username}" has an unreadable password (salt, hash or iterations), client ignored.`);
        continue;
      }
      client.password = { hash, salt: saltBytes, iterations: rounds };
    }
    client.roles = rolesFrom(state, item(c, 'roles'));
    state.clients.set(username, client);
  }

  for (const g of list('groups')) {
    const name = text(item(g, 'groupname'));
    if (name === undefined) {
      warn(`Warning: Dynamic security file "${file}": a group without a "groupname" string (ignored).`);
      continue;
    }
    const group: Group = {
      name,
      textName: optionalText(g, 'textname'),
      textDescription: optionalText(g, 'textdescription'),
      roles: rolesFrom(state, item(g, 'roles')),
      clients: new Map(),
    };
    state.groups.set(name, group);
    for (const m of arrayItems(item(g, 'clients')) ?? []) {
      const username = text(item(m, 'username'));
      if (username !== undefined && state.clients.has(username) && !group.clients.has(username)) {
        group.clients.set(username, intField(m, 'priority', -1));
      }
    }
  }

  const anonymous = text(item(tree, 'anonymousGroup'));
  if (anonymous !== undefined) state.anonymousGroup = state.groups.get(anonymous);
  return state;
}

/** {KEY: name, priority}; a priority of -1 means none was given and is left out, as the plugin does. */
export function nameWithPriority(key: string, name: string, priority: number): Out {
  const out: { [key: string]: Out } = { [key]: name };
  if (priority !== -1) out.priority = priority;
  return out;
}

export function roleRefsOut(list: RoleRef[]): Out[] {
  return list.map((r) => nameWithPriority('rolename', r.role.name, r.priority));
}

function withText(out: { [key: string]: Out }, textName: string | undefined, textDescription: string | undefined): void {
  if (textName !== undefined) out.textname = textName;
  if (textDescription !== undefined) out.textdescription = textDescription;
}

export function aclsOut(role: Role): Out[] {
  const out: Out[] = [];
  for (const type of ACL_TYPES) {
    for (const acl of role.acls[type]) out.push({ acltype: type, topic: acl.topic, priority: acl.priority, allow: acl.allow });
  }
  return out;
}

/** A role as getRole, listRoles verbose and the file show it. */
export function roleOut(role: Role): { [key: string]: Out } {
  const out: { [key: string]: Out } = { rolename: role.name };
  withText(out, role.textName, role.textDescription);
  out.acls = aclsOut(role);
  return out;
}

/** The file's content, in the plugin's key order, printed as cJSON_Print prints it. */
export function serializeDynsec(state: DynsecState): string {
  const tree: { [key: string]: Out } = { defaultACLAccess: { ...state.defaultAccess } };
  tree.clients = state.sortedClients().map((c) => {
    const out: { [key: string]: Out } = { username: c.username };
    if (c.clientId !== undefined) out.clientid = c.clientId;
    withText(out, c.textName, c.textDescription);
    if (c.disabled) out.disabled = true;
    out.roles = roleRefsOut(c.roles);
    if (c.password) {
      out.password = c.password.hash.toString('base64');
      out.salt = c.password.salt.toString('base64');
      out.iterations = c.password.iterations;
    }
    return out;
  });
  tree.groups = state.sortedGroups().map((g) => {
    const out: { [key: string]: Out } = { groupname: g.name };
    withText(out, g.textName, g.textDescription);
    out.roles = roleRefsOut(g.roles);
    out.clients = state.membersOf(g).map((m) => nameWithPriority('username', m.username, m.priority));
    return out;
  });
  if (state.anonymousGroup) tree.anonymousGroup = state.anonymousGroup.name;
  tree.roles = state.sortedRoles().map(roleOut);
  return printPretty(tree);
}
