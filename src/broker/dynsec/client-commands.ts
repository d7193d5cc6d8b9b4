import type { CJson } from '../../output/cjson.js';
import { logLine, reply, replyData, requiredName, type CommandContext, type CommandHandler } from './command-context.js';
import { nameWithPriority, roleRefsOut } from './dynsec-file.js';
import { arrayItems, boolField, intField, item, stringField, text, type Out } from './json.js';
import { addRoleRef, removeRoleRef, type Client, type DynsecState, type RoleRef } from './model.js';

/**
 * The client commands of the plugin's control API (clients.c): the same checks in the same
 * order, the same error texts, and a kick of the client's connections whenever what it may do
 * has changed.
 */

/** roles: [{rolename, priority}] of a create/modify command (dynsec_rolelist__load_from_json). */
export function roleListFrom(state: DynsecState, command: CJson): { roles: RoleRef[] } | 'absent' | 'not-found' | 'invalid' {
  const v = item(command, 'roles');
  if (v === undefined) return 'absent';
  const items = arrayItems(v);
  if (!items) return 'invalid';
  const roles: RoleRef[] = [];
  for (const r of items) {
    const name = text(item(r, 'rolename'));
    if (name === undefined) return 'invalid';
    const role = state.roles.get(name);
    if (!role) return 'not-found';
    addRoleRef(roles, role, intField(r, 'priority', -1));
  }
  return { roles };
}

/** groups: [{groupname, priority}], applied to a client that exists (dynsec_groups__add_client). */
function joinGroups(state: DynsecState, username: string, command: CJson, stopOnMissing: boolean): 'ok' | 'group-not-found' {
  for (const g of arrayItems(item(command, 'groups')) ?? []) {
    if (g.kind !== 'object') continue;
    const name = text(item(g, 'groupname'));
    if (name === undefined) continue;
    const group = state.groups.get(name);
    if (!group) {
      if (stopOnMissing) return 'group-not-found';
      continue;
    }
    if (!group.clients.has(username)) group.clients.set(username, intField(g, 'priority', -1));
  }
  return 'ok';
}

export function clientOut(state: DynsecState, c: Client): Out {
  const out: { [key: string]: Out } = { username: c.username };
  if (c.clientId !== undefined) out.clientid = c.clientId;
  if (c.textName !== undefined) out.textname = c.textName;
  if (c.textDescription !== undefined) out.textdescription = c.textDescription;
  if (c.disabled) out.disabled = true;
  out.roles = roleRefsOut(c.roles);
  out.groups = state.groupsOf(c.username).map((g) => nameWithPriority('groupname', g.group.name, g.priority));
  return out;
}

const createClient: CommandHandler = (ctx, command, cd) => {
  const name = 'createClient';
  const username = requiredName(ctx, command, name, 'username', 'Username', cd);
  if (username === undefined) return;
  const password = stringField(command, 'password', true);
  if (!password.ok) return reply(ctx, name, 'Invalid/missing password', cd);
  const clientId = stringField(command, 'clientid', true);
  if (!clientId.ok) return reply(ctx, name, 'Invalid/missing client id', cd);
  if (clientId.value !== undefined && !clientId.utf8) return reply(ctx, name, 'Client ID not valid UTF-8', cd);
  const textName = stringField(command, 'textname', true);
  if (!textName.ok) return reply(ctx, name, 'Invalid/missing textname', cd);
  const textDescription = stringField(command, 'textdescription', true);
  if (!textDescription.ok) return reply(ctx, name, 'Invalid/missing textdescription', cd);
  const { state } = ctx;
  if (state.clients.has(username)) return reply(ctx, name, 'Client already exists', cd);

  const roles = roleListFrom(state, command);
  if (roles === 'not-found') return reply(ctx, name, 'Role not found', cd);
  if (roles === 'invalid') return reply(ctx, name, "'roles' not an array or missing/invalid rolename", cd);
  const client: Client = {
    username,
    textName: textName.value,
    textDescription: textDescription.value,
    disabled: false,
    clientId: clientId.value ? clientId.value : undefined,
    password: password.value !== undefined ? ctx.hashPassword(password.value) : undefined,
    roles: roles === 'absent' ? [] : roles.roles,
  };
  state.clients.set(username, client);
  if (joinGroups(state, username, command, true) === 'group-not-found') {
    state.leaveAllGroups(username);
    state.clients.delete(username);
    state.changed();
    return reply(ctx, name, 'Group not found', cd);
  }
  state.changed();
  ctx.save();
  reply(ctx, name, undefined, cd);
  logLine(ctx, name, `username=${username} | password=${password.value !== undefined ? '*****' : 'no password'}`);
};

const deleteClient: CommandHandler = (ctx, command, cd) => {
  const name = 'deleteClient';
  // the plugin does not check this one for UTF-8
  const username = requiredName(ctx, command, name, 'username', 'Username', cd, false);
  if (username === undefined) return;
  const { state } = ctx;
  if (!state.clients.has(username)) return reply(ctx, name, 'Client not found', cd);
  state.leaveAllGroups(username);
  state.clients.delete(username);
  state.changed();
  ctx.save();
  reply(ctx, name, undefined, cd);
  ctx.kick(username);
  logLine(ctx, name, `username=${username}`);
};

function setDisabled(disabled: boolean): CommandHandler {
  return (ctx, command, cd) => {
    const name = disabled ? 'disableClient' : 'enableClient';
    const username = requiredName(ctx, command, name, 'username', 'Username', cd);
    if (username === undefined) return;
    const client = ctx.state.clients.get(username);
    if (!client) return reply(ctx, name, 'Client not found', cd);
    client.disabled = disabled;
    if (disabled) ctx.kick(username);
    ctx.save();
    reply(ctx, name, undefined, cd);
    logLine(ctx, name, `username=${username}`);
  };
}

const setClientId: CommandHandler = (ctx, command, cd) => {
  const name = 'setClientId';
  const username = requiredName(ctx, command, name, 'username', 'Username', cd);
  if (username === undefined) return;
  const clientId = stringField(command, 'clientid', true);
  if (!clientId.ok) return reply(ctx, name, 'Invalid/missing client ID', cd);
  if (clientId.value !== undefined && !clientId.utf8) return reply(ctx, name, 'Client ID not valid UTF-8', cd);
  const client = ctx.state.clients.get(username);
  if (!client) return reply(ctx, name, 'Client not found', cd);
  client.clientId = clientId.value ? clientId.value : undefined;
  ctx.save();
  reply(ctx, name, undefined, cd);
  ctx.kick(username);
  logLine(ctx, name, `username=${username} | clientid=${client.clientId ?? '(null)'}`);
};

const setClientPassword: CommandHandler = (ctx, command, cd) => {
  const name = 'setClientPassword';
  const username = requiredName(ctx, command, name, 'username', 'Username', cd);
  if (username === undefined) return;
  const password = stringField(command, 'password', false);
  if (!password.ok || password.value === undefined) return reply(ctx, name, 'Invalid/missing password', cd);
  if (password.value === '') return reply(ctx, name, 'Empty password is not allowed', cd);
  const client = ctx.state.clients.get(username);
  if (!client) return reply(ctx, name, 'Client not found', cd);
  client.password = ctx.hashPassword(password.value);
  ctx.save();
  reply(ctx, name, undefined, cd);
  ctx.kick(username);
  logLine(ctx, name, `username=${username} | password=******`);
};

const modifyClient: CommandHandler = (ctx, command, cd) => {
  const name = 'modifyClient';
  const username = requiredName(ctx, command, name, 'username', 'Username', cd);
  if (username === undefined) return;
  const { state } = ctx;
  const client = state.clients.get(username);
  if (!client) return reply(ctx, name, 'Client not found', cd);
  // everything is checked before anything changes, as Mosquitto 2.0.21 does (2.0.11 applied the
  // fields before a bad role list and left the client half modified)
  const roles = roleListFrom(state, command);
  if (roles === 'not-found') return reply(ctx, name, 'Role not found', cd);
  if (roles === 'invalid') return reply(ctx, name, "'roles' not an array or missing/invalid rolename", cd);
  const groups = arrayItems(item(command, 'groups'));
  for (const g of groups ?? []) {
    if (g.kind !== 'object') continue;
    const groupname = text(item(g, 'groupname'));
    if (groupname === undefined) return reply(ctx, name, "'groups' contains an object with an invalid 'groupname'", cd);
    if (!state.groups.has(groupname)) return reply(ctx, name, "'groups' contains an object with a 'groupname' that does not exist", cd);
  }
  if (groups) {
    state.leaveAllGroups(username);
    joinGroups(state, username, command, false);
  }
  const password = stringField(command, 'password', false);
  if (password.ok && password.value) client.password = ctx.hashPassword(password.value);
  const clientId = stringField(command, 'clientid', false);
  if (clientId.ok && clientId.value !== undefined) client.clientId = clientId.value ? clientId.value : undefined;
  const textName = stringField(command, 'textname', false);
  if (textName.ok && textName.value !== undefined) client.textName = textName.value;
  const textDescription = stringField(command, 'textdescription', false);
  if (textDescription.ok && textDescription.value !== undefined) client.textDescription = textDescription.value;
  if (roles !== 'absent') client.roles = roles.roles;
  state.changed();
  ctx.save();
  reply(ctx, name, undefined, cd);
  ctx.kick(username);
  logLine(ctx, name, `username=${username}`);
};

const getClient: CommandHandler = (ctx, command, cd) => {
  const name = 'getClient';
  const username = requiredName(ctx, command, name, 'username', 'Username', cd);
  if (username === undefined) return;
  const client = ctx.state.clients.get(username);
  if (!client) return reply(ctx, name, 'Client not found', cd);
  replyData(ctx, name, { client: clientOut(ctx.state, client) }, cd);
  logLine(ctx, name, `username=${username}`);
};

/** count/offset paging shared by the three list commands (count <= 0 other than -1 gives one item, as in the plugin). */
export function page<T>(items: T[], command: CJson): T[] {
  let count = intField(command, 'count', -1);
  const offset = intField(command, 'offset', 0);
  const out: T[] = [];
  for (let i = Math.max(0, offset); i < items.length; i++) {
    out.push(items[i]!);
    if (count >= 0) {
      count--;
      if (count <= 0) break;
    }
  }
  return out;
}

const listClients: CommandHandler = (ctx, command, cd) => {
  const verbose = boolField(command, 'verbose', false);
  const all = ctx.state.sortedClients();
  const clients = page(all, command).map((c) => (verbose ? clientOut(ctx.state, c) : c.username));
  replyData(ctx, 'listClients', { totalCount: all.length, clients }, cd);
  logLine(ctx, 'listClients', `verbose=${verbose} | count=${intField(command, 'count', -1)} | offset=${intField(command, 'offset', 0)}`);
};

function roleChange(add: boolean): CommandHandler {
  return (ctx, command, cd) => {
    const name = add ? 'addClientRole' : 'removeClientRole';
    const username = requiredName(ctx, command, name, 'username', 'Username', cd);
    if (username === undefined) return;
    const rolename = requiredName(ctx, command, name, 'rolename', 'Role name', cd);
    if (rolename === undefined) return;
    const priority = intField(command, 'priority', -1);
    const { state } = ctx;
    const client = state.clients.get(username);
    if (!client) return reply(ctx, name, 'Client not found', cd);
    const role = state.roles.get(rolename);
    if (!role) return reply(ctx, name, 'Role not found', cd);
    if (add) {
      // the plugin's answer when the client already has the role
      if (!addRoleRef(client.roles, role, priority)) return reply(ctx, name, 'Internal error', cd);
    } else {
      removeRoleRef(client.roles, rolename);
    }
    state.changed();
    ctx.save();
    reply(ctx, name, undefined, cd);
    ctx.kick(username);
    logLine(ctx, name, add ? `username=${username} | rolename=${rolename} | priority=${priority}` : `username=${username} | rolename=${rolename}`);
  };
}

export const CLIENT_COMMANDS: Record<string, CommandHandler> = {
  createClient,
  deleteClient,
  getClient,
  listClients,
  modifyClient,
  setClientPassword,
  setClientId,
  addClientRole: roleChange(true),
  removeClientRole: roleChange(false),
  enableClient: setDisabled(false),
  disableClient: setDisabled(true),
};

