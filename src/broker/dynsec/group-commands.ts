import { roleListFrom, page } from './client-commands.js';
import { logLine, reply, replyData, requiredName, type CommandContext, type CommandHandler } from './command-context.js';
import { roleRefsOut } from './dynsec-file.js';
import { arrayItems, boolField, intField, item, stringField, text, type Out } from './json.js';
import { addRoleRef, removeRoleRef, type Group } from './model.js';

/** The group commands of the plugin's control API (groups.c), with its error texts and kicks. */

/** Disconnects a group's members, and every anonymous client when it is the anonymous group. */
export function kickGroup(ctx: CommandContext, group: Group): void {
  if (ctx.state.anonymousGroup === group) ctx.kick(null);
  for (const m of ctx.state.membersOf(group)) ctx.kick(m.username);
}

function groupOut(ctx: CommandContext, g: Group): Out {
  const out: { [key: string]: Out } = { groupname: g.name };
  if (g.textName !== undefined) out.textname = g.textName;
  if (g.textDescription !== undefined) out.textdescription = g.textDescription;
  out.clients = ctx.state.membersOf(g).map((m) => ({ username: m.username }));
  out.roles = roleRefsOut(g.roles);
  return out;
}

const createGroup: CommandHandler = (ctx, command, cd) => {
  const name = 'createGroup';
  const groupname = requiredName(ctx, command, name, 'groupname', 'Group name', cd);
  if (groupname === undefined) return;
  const textName = stringField(command, 'textname', true);
  if (!textName.ok) return reply(ctx, name, 'Invalid/missing textname', cd);
  const textDescription = stringField(command, 'textdescription', true);
  if (!textDescription.ok) return reply(ctx, name, 'Invalid/missing textdescription', cd);
  const { state } = ctx;
  if (state.groups.has(groupname)) return reply(ctx, name, 'Group already exists', cd);
  const roles = roleListFrom(state, command);
  if (roles === 'not-found') return reply(ctx, name, 'Role not found', cd);
  if (roles === 'invalid') return reply(ctx, name, 'Internal error', cd);
  state.groups.set(groupname, {
    name: groupname,
    textName: textName.value,
    textDescription: textDescription.value,
    roles: roles === 'absent' ? [] : roles.roles,
    clients: new Map(),
  });
  state.changed();
  logLine(ctx, name, `groupname=${groupname}`);
  ctx.save();
  reply(ctx, name, undefined, cd);
};

const deleteGroup: CommandHandler = (ctx, command, cd) => {
  const name = 'deleteGroup';
  const groupname = requiredName(ctx, command, name, 'groupname', 'Group name', cd);
  if (groupname === undefined) return;
  const { state } = ctx;
  const group = state.groups.get(groupname);
  if (!group) return reply(ctx, name, 'Group not found', cd);
  // Mosquitto 2.0.21's answer (2.0.11 deleted it and kept using the freed group)
  if (state.anonymousGroup === group) return reply(ctx, name, 'Deleting the anonymous group is forbidden', cd);
  kickGroup(ctx, group);
  state.groups.delete(groupname);
  state.changed();
  ctx.save();
  reply(ctx, name, undefined, cd);
  logLine(ctx, name, `groupname=${groupname}`);
};

const addGroupClient: CommandHandler = (ctx, command, cd) => {
  const name = 'addGroupClient';
  const username = requiredName(ctx, command, name, 'username', 'Username', cd);
  if (username === undefined) return;
  const groupname = requiredName(ctx, command, name, 'groupname', 'Group name', cd);
  if (groupname === undefined) return;
  const priority = intField(command, 'priority', -1);
  const { state } = ctx;
  const group = state.groups.get(groupname);
  if (!state.clients.has(username)) reply(ctx, name, 'Client not found', cd);
  else if (!group) reply(ctx, name, 'Group not found', cd);
  else if (group.clients.has(username)) reply(ctx, name, 'Client is already in this group', cd);
  else {
    group.clients.set(username, priority);
    state.changed();
    ctx.save();
    logLine(ctx, name, `groupname=${groupname} | username=${username} | priority=${priority}`);
    reply(ctx, name, undefined, cd);
  }
  ctx.kick(username);
};

const removeGroupClient: CommandHandler = (ctx, command, cd) => {
  const name = 'removeGroupClient';
  const username = requiredName(ctx, command, name, 'username', 'Username', cd);
  if (username === undefined) return;
  const groupname = requiredName(ctx, command, name, 'groupname', 'Group name', cd);
  if (groupname === undefined) return;
  const { state } = ctx;
  const group = state.groups.get(groupname);
  if (!state.clients.has(username)) reply(ctx, name, 'Client not found', cd);
  else if (!group) reply(ctx, name, 'Group not found', cd);
  else {
    group.clients.delete(username);
    state.changed();
    ctx.save();
    logLine(ctx, name, `groupname=${groupname} | username=${username}`);
    reply(ctx, name, undefined, cd);
  }
  ctx.kick(username);
};

const getGroup: CommandHandler = (ctx, command, cd) => {
  const name = 'getGroup';
  const groupname = requiredName(ctx, command, name, 'groupname', 'Group name', cd);
  if (groupname === undefined) return;
  const group = ctx.state.groups.get(groupname);
  if (!group) return reply(ctx, name, 'Group not found', cd);
  replyData(ctx, name, { group: groupOut(ctx, group) }, cd);
  logLine(ctx, name, `groupname=${groupname}`);
};

const listGroups: CommandHandler = (ctx, command, cd) => {
  const verbose = boolField(command, 'verbose', false);
  const all = ctx.state.sortedGroups();
  const groups = page(all, command).map((g) => (verbose ? groupOut(ctx, g) : g.name));
  replyData(ctx, 'listGroups', { totalCount: all.length, groups }, cd);
  logLine(ctx, 'listGroups', `verbose=${verbose} | count=${intField(command, 'count', -1)} | offset=${intField(command, 'offset', 0)}`);
};

function groupRoleChange(add: boolean): CommandHandler {
  return (ctx, command, cd) => {
    const name = add ? 'addGroupRole' : 'removeGroupRole';
    const groupname = requiredName(ctx, command, name, 'groupname', 'Group name', cd);
    if (groupname === undefined) return;
    const rolename = requiredName(ctx, command, name, 'rolename', 'Role name', cd);
    if (rolename === undefined) return;
    const priority = intField(command, 'priority', -1);
    const { state } = ctx;
    const group = state.groups.get(groupname);
    if (!group) return reply(ctx, name, 'Group not found', cd);
    const role = state.roles.get(rolename);
    if (!role) return reply(ctx, name, 'Role not found', cd);
    if (add) {
      if (!addRoleRef(group.roles, role, priority)) return reply(ctx, name, 'Group is already in this role', cd);
      logLine(ctx, name, `groupname=${groupname} | rolename=${rolename} | priority=${priority}`);
    } else {
      removeRoleRef(group.roles, rolename);
    }
    state.changed();
    ctx.save();
    reply(ctx, name, undefined, cd);
    kickGroup(ctx, group);
    if (!add) logLine(ctx, name, `groupname=${groupname} | rolename=${rolename}`);
  };
}

const modifyGroup: CommandHandler = (ctx, command, cd) => {
  const name = 'modifyGroup';
  const groupname = requiredName(ctx, command, name, 'groupname', 'Group name', cd);
  if (groupname === undefined) return;
  const { state } = ctx;
  const group = state.groups.get(groupname);
  if (!group) return reply(ctx, name, 'Group not found', cd);
  // everything is checked before anything changes, as Mosquitto 2.0.21 does
  const roles = roleListFrom(state, command);
  if (roles === 'not-found') return reply(ctx, name, 'Role not found', cd);
  if (roles === 'invalid') return reply(ctx, name, "'roles' not an array or missing/invalid rolename", cd);
  const clients = arrayItems(item(command, 'clients'));
  for (const c of clients ?? []) {
    if (c.kind !== 'object') continue;
    const username = text(item(c, 'username'));
    if (username === undefined) return reply(ctx, name, "'clients' contains an object with an invalid 'username'", cd);
    if (!state.clients.has(username)) return reply(ctx, name, "'clients' contains an object with a 'username' that does not exist", cd);
  }
  const textName = stringField(command, 'textname', false);
  if (textName.ok && textName.value !== undefined) group.textName = textName.value;
  const textDescription = stringField(command, 'textdescription', false);
  if (textDescription.ok && textDescription.value !== undefined) group.textDescription = textDescription.value;
  if (roles !== 'absent') group.roles = roles.roles;
  if (clients) {
    // the members leaving are disconnected too, not only those who stay or join
    kickGroup(ctx, group);
    group.clients.clear();
    for (const c of clients) {
      if (c.kind !== 'object') continue;
      const username = text(item(c, 'username'));
      if (username !== undefined && state.clients.has(username) && !group.clients.has(username)) {
        group.clients.set(username, intField(c, 'priority', -1));
      }
    }
  }
  state.changed();
  ctx.save();
  reply(ctx, name, undefined, cd);
  kickGroup(ctx, group);
  logLine(ctx, name, `groupname=${groupname}`);
};

const setAnonymousGroup: CommandHandler = (ctx, command, cd) => {
  const name = 'setAnonymousGroup';
  const groupname = requiredName(ctx, command, name, 'groupname', 'Group name', cd);
  if (groupname === undefined) return;
  const group = ctx.state.groups.get(groupname);
  if (!group) return reply(ctx, name, 'Group not found', cd);
  ctx.state.anonymousGroup = group;
  ctx.state.changed();
  ctx.save();
  reply(ctx, name, undefined, cd);
  ctx.kick(null);
  logLine(ctx, name, `groupname=${groupname}`);
};

const getAnonymousGroup: CommandHandler = (ctx, _command, cd) => {
  replyData(ctx, 'getAnonymousGroup', { group: { groupname: ctx.state.anonymousGroup?.name ?? '' } }, cd);
  logLine(ctx, 'getAnonymousGroup', '');
};

export const GROUP_COMMANDS: Record<string, CommandHandler> = {
  addGroupClient,
  createGroup,
  deleteGroup,
  getGroup,
  listGroups,
  modifyGroup,
  removeGroupClient,
  addGroupRole: groupRoleChange(true),
  removeGroupRole: groupRoleChange(false),
  setAnonymousGroup,
  getAnonymousGroup,
};
