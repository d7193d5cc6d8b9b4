import { validateTopicFilter } from '../../core/topic/validate.js';
import type { CJson } from '../../output/cjson.js';
import { page } from './client-commands.js';
import { logLine, reply, replyData, requiredName, type CommandContext, type CommandHandler } from './command-context.js';
import { aclsFromJson, roleOut } from './dynsec-file.js';
import { kickGroup } from './group-commands.js';
import { arrayItems, boolField, intField, item, stringField, text } from './json.js';
import { aclTypeNamed, insertAcl, removeRoleRef, type Acl, type AclType, type Role } from './model.js';

/** The role commands of the plugin's control API (roles.c), with its error texts and kicks. */

/** role__kick_all: everyone holding the role directly or through a group. */
function kickRole(ctx: CommandContext, role: Role): void {
  const { clients, groups } = ctx.state.holdersOf(role);
  for (const c of clients) ctx.kick(c.username);
  for (const g of groups) kickGroup(ctx, g);
}

const createRole: CommandHandler = (ctx, command, cd) => {
  const name = 'createRole';
  const rolename = requiredName(ctx, command, name, 'rolename', 'Role name', cd);
  if (rolename === undefined) return;
  const textName = stringField(command, 'textname', true);
  if (!textName.ok) return reply(ctx, name, 'Invalid/missing textname', cd);
  const textDescription = stringField(command, 'textdescription', true);
  if (!textDescription.ok) return reply(ctx, name, 'Invalid/missing textdescription', cd);
  const { state } = ctx;
  if (state.roles.has(rolename)) return reply(ctx, name, 'Role already exists', cd);
  state.roles.set(rolename, { name: rolename, textName: textName.value, textDescription: textDescription.value, acls: aclsFromJson(item(command, 'acls')) });
  state.changed();
  ctx.save();
  reply(ctx, name, undefined, cd);
  logLine(ctx, name, `rolename=${rolename}`);
};

const deleteRole: CommandHandler = (ctx, command, cd) => {
  const name = 'deleteRole';
  const rolename = requiredName(ctx, command, name, 'rolename', 'Role name', cd);
  if (rolename === undefined) return;
  const { state } = ctx;
  const role = state.roles.get(rolename);
  if (!role) return reply(ctx, name, 'Role not found', cd);
  kickRole(ctx, role);
  const { clients, groups } = state.holdersOf(role);
  for (const c of clients) removeRoleRef(c.roles, rolename);
  for (const g of groups) removeRoleRef(g.roles, rolename);
  state.roles.delete(rolename);
  state.changed();
  ctx.save();
  reply(ctx, name, undefined, cd);
  logLine(ctx, name, `rolename=${rolename}`);
};

const getRole: CommandHandler = (ctx, command, cd) => {
  const name = 'getRole';
  const rolename = requiredName(ctx, command, name, 'rolename', 'Role name', cd);
  if (rolename === undefined) return;
  const role = ctx.state.roles.get(rolename);
  if (!role) return reply(ctx, name, 'Role not found', cd);
  replyData(ctx, name, { role: roleOut(role) }, cd);
};

const listRoles: CommandHandler = (ctx, command, cd) => {
  const verbose = boolField(command, 'verbose', false);
  const all = ctx.state.sortedRoles();
  const roles = page(all, command).map((r) => (verbose ? roleOut(r) : r.name));
  replyData(ctx, 'listRoles', { totalCount: all.length, roles }, cd);
  logLine(ctx, 'listRoles', `verbose=${verbose} | count=${intField(command, 'count', -1)} | offset=${intField(command, 'offset', 0)}`);
};

/** The role and ACL list an addRoleACL/removeRoleACL names, or undefined after the error reply. */
function roleAndType(ctx: CommandContext, command: CJson, name: string, cd: string | undefined): { role: Role; type: AclType } | undefined {
  const rolename = requiredName(ctx, command, name, 'rolename', 'Role name', cd);
  if (rolename === undefined) return undefined;
  const role = ctx.state.roles.get(rolename);
  if (!role) {
    reply(ctx, name, 'Role not found', cd);
    return undefined;
  }
  const named = text(item(command, 'acltype'));
  if (named === undefined) {
    reply(ctx, name, 'Invalid/missing acltype', cd);
    return undefined;
  }
  const type = aclTypeNamed(named);
  if (!type) {
    reply(ctx, name, 'Unknown acltype', cd);
    return undefined;
  }
  return { role, type };
}

/** The ACL's topic: valid UTF-8 and a valid topic filter (mosquitto_sub_topic_check). */
function aclTopic(ctx: CommandContext, command: CJson, name: string, cd: string | undefined): string | undefined {
  const topic = stringField(command, 'topic', false);
  if (!topic.ok || topic.value === undefined) {
    reply(ctx, name, 'Invalid/missing topic', cd);
    return undefined;
  }
  if (!topic.utf8) {
    reply(ctx, name, 'Topic not valid UTF-8', cd);
    return undefined;
  }
  if (validateTopicFilter(topic.value) !== null) {
    reply(ctx, name, 'Invalid ACL topic', cd);
    return undefined;
  }
  return topic.value;
}

const addRoleACL: CommandHandler = (ctx, command, cd) => {
  const name = 'addRoleACL';
  const target = roleAndType(ctx, command, name, cd);
  if (!target) return;
  const topic = aclTopic(ctx, command, name, cd);
  if (topic === undefined) return;
  const list = target.role.acls[target.type];
  if (list.some((a) => a.topic === topic)) return reply(ctx, name, 'ACL with this topic already exists', cd);
  const acl: Acl = { topic, priority: intField(command, 'priority', 0), allow: boolField(command, 'allow', false) };
  insertAcl(list, acl);
  ctx.state.changed();
  ctx.save();
  reply(ctx, name, undefined, cd);
  kickRole(ctx, target.role);
  logLine(ctx, name, `rolename=${target.role.name} | acltype=${text(item(command, 'acltype'))} | topic=${topic} | priority=${acl.priority} | allow=${acl.allow}`);
};

const removeRoleACL: CommandHandler = (ctx, command, cd) => {
  const name = 'removeRoleACL';
  const target = roleAndType(ctx, command, name, cd);
  if (!target) return;
  const topic = aclTopic(ctx, command, name, cd);
  if (topic === undefined) return;
  const list = target.role.acls[target.type];
  const i = list.findIndex((a) => a.topic === topic);
  if (i === -1) return reply(ctx, name, 'ACL not found', cd);
  list.splice(i, 1);
  ctx.state.changed();
  ctx.save();
  reply(ctx, name, undefined, cd);
  kickRole(ctx, target.role);
  logLine(ctx, name, `rolename=${target.role.name} | acltype=${text(item(command, 'acltype'))} | topic=${topic}`);
};

const modifyRole: CommandHandler = (ctx, command, cd) => {
  const name = 'modifyRole';
  const rolename = requiredName(ctx, command, name, 'rolename', 'Role name', cd);
  if (rolename === undefined) return;
  const role = ctx.state.roles.get(rolename);
  if (!role) return reply(ctx, name, 'Role does not exist', cd);
  const textName = stringField(command, 'textname', false);
  if (textName.ok && textName.value !== undefined) role.textName = textName.value;
  const textDescription = stringField(command, 'textdescription', false);
  if (textDescription.ok && textDescription.value !== undefined) role.textDescription = textDescription.value;
  const acls = item(command, 'acls');
  if (arrayItems(acls)) role.acls = aclsFromJson(acls);
  ctx.state.changed();
  ctx.save();
  reply(ctx, name, undefined, cd);
  // the plugin does not kick here; ACL checks read the new ACLs from the next packet on
  logLine(ctx, name, `rolename=${rolename}`);
};

export const ROLE_COMMANDS: Record<string, CommandHandler> = {
  createRole,
  getRole,
  listRoles,
  modifyRole,
  deleteRole,
  addRoleACL,
  removeRoleACL,
};
