/**
 * `mqtt ctrl dynsec …`: the words of mosquitto_ctrl 2.0's dynsec module (apps/mosquitto_ctrl/
 * dynsec*.c) turned into one $CONTROL/dynamic-security/v1 command, and its response printed as
 * mosquitto_ctrl prints it.
 */

/** A JSON command object, keys in mosquitto_ctrl's order. */
export type CtrlCommand = Record<string, string | number | boolean | Array<Record<string, string | boolean>>>;

/** A password to ask for before sending (mosquitto_ctrl's get_password). */
export interface PasswordAsk {
  /** printed on stdout before the prompts (createClient) */
  intro?: string;
  prompt: string;
  verify: string;
  /** an empty answer means "no password" instead of an error (createClient) */
  emptyMeansNone: boolean;
}

export type DynsecPlan =
  | { kind: 'help' }
  | { kind: 'init'; file: string; admin: string; password?: string }
  | { kind: 'send'; command: CtrlCommand; ask?: PasswordAsk & { field: string } }
  /** mosquitto_ctrl's words and exit status: 3 bad arguments (MOSQ_ERR_INVAL), 13 unknown command */
  | { kind: 'error'; message: string; code: number };

const ACL_TYPES = ['publishClientSend', 'publishClientReceive', 'subscribeLiteral', 'subscribePattern', 'unsubscribeLiteral', 'unsubscribePattern'];
const DEFAULT_ACCESS_TYPES = ['publishClientSend', 'publishClientReceive', 'subscribe', 'unsubscribe'];
const INVALID = 'Error: Invalid function arguments provided.';

/** C's atoi: leading blanks, a sign, digits; anything else stops it (0 when nothing is read). */
export function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  if (!m) return 0;
  const n = Number(m[1]);
  return Math.max(-2147483648, Math.min(2147483647, n));
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const oneOf = (word: string, list: string[]) => list.some((x) => same(x, word));

class Invalid extends Error {}

/** One name argument: `<command> <name>` exactly. */
function single(args: string[], command: string, field: string): CtrlCommand {
  if (args.length !== 1) throw new Invalid();
  return { command, [field]: args[0]! };
}

/** `[count [offset]]`: sent only when above 0, as mosquitto_ctrl does. */
function list(args: string[], command: string): CtrlCommand {
  if (args.length > 2) throw new Invalid();
  const out: CtrlCommand = { command };
  const count = args.length > 0 ? atoi(args[0]!) : -1;
  const offset = args.length > 1 ? atoi(args[1]!) : -1;
  if (count > 0) out.count = count;
  if (offset > 0) out.offset = offset;
  return out;
}

/** `<a> <b> [priority]` with the command name as typed (add/remove role, group client). */
function pairWithPriority(args: string[], command: string, first: string, second: string, priorityAllowed: boolean): CtrlCommand {
  if (args.length !== 2 && !(priorityAllowed && args.length === 3)) throw new Invalid();
  const out: CtrlCommand = { command, [first]: args[0]!, [second]: args[1]! };
  const priority = args.length === 3 ? atoi(args[2]!) : -1;
  if (priority !== -1) out.priority = priority;
  return out;
}

function createClient(args: string[]): DynsecPlan {
  if (args.length === 0) throw new Invalid();
  const username = args[0]!;
  let clientId: string | undefined;
  let password: string | undefined;
  for (let i = 1; i < args.length; i++) {
    if (args[i] === '-c') {
      if (i + 1 === args.length) return { kind: 'error', message: 'Error: -c argument given, but no clientid provided.\n' + INVALID, code: 3 };
      clientId = args[++i];
    } else if (args[i] === '-p') {
      if (i + 1 === args.length) return { kind: 'error', message: 'Error: -p argument given, but no password provided.\n' + INVALID, code: 3 };
      password = args[++i];
    }
  }
  const command: CtrlCommand = { command: 'createClient', username };
  if (clientId !== undefined) command.clientid = clientId;
  if (password !== undefined) {
    command.password = password;
    return { kind: 'send', command };
  }
  return {
    kind: 'send',
    command,
    ask: {
      field: 'password',
      intro: `Enter new password for ${username}. Press return for no password (user will be unable to login).\n`,
      prompt: `New password for ${username}: `,
      verify: `Reenter password for ${username}: `,
      emptyMeansNone: true,
    },
  };
}

function setClientPassword(args: string[]): DynsecPlan {
  if (args.length !== 1 && args.length !== 2) throw new Invalid();
  const [username, password] = args as [string, string | undefined];
  const command: CtrlCommand = { command: 'setClientPassword', username };
  if (password !== undefined) return { kind: 'send', command: { ...command, password } };
  return { kind: 'send', command, ask: { field: 'password', prompt: `New password for ${username}: `, verify: `Reenter password for ${username}: `, emptyMeansNone: false } };
}

function setClientId(args: string[]): CtrlCommand {
  if (args.length !== 1 && args.length !== 2) throw new Invalid();
  const out: CtrlCommand = { command: 'setClientId', username: args[0]! };
  if (args.length === 2) out.clientid = args[1]!;
  return out;
}

function setDefaultACLAccess(args: string[]): DynsecPlan {
  if (args.length !== 2 || !oneOf(args[0]!, DEFAULT_ACCESS_TYPES)) throw new Invalid();
  const [acltype, access] = args as [string, string];
  if (!same(access, 'allow') && !same(access, 'deny')) {
    return { kind: 'error', message: 'Error: access must be "allow" or "deny".\n' + INVALID, code: 3 };
  }
  // mosquitto_ctrl 2.0.11 sends {"access": "deny"}, which the plugin does not read (it reads a
  // boolean "allow"), so the command has no effect there; both are sent here, and it works
  return { kind: 'send', command: { command: 'setDefaultACLAccess', acls: [{ acltype, access, allow: same(access, 'allow') }] } };
}

function addRoleACL(args: string[]): CtrlCommand {
  if (args.length !== 4 && args.length !== 5) throw new Invalid();
  const [rolename, acltype, topic, action] = args as [string, string, string, string];
  if (!oneOf(acltype, ACL_TYPES)) throw new Invalid();
  if (!same(action, 'allow') && !same(action, 'deny')) throw new Invalid();
  const out: CtrlCommand = { command: 'addRoleACL', rolename, acltype, topic, allow: same(action, 'allow') };
  const priority = args.length === 5 ? atoi(args[4]!) : -1;
  if (priority !== -1) out.priority = priority;
  return out;
}

function removeRoleACL(args: string[]): CtrlCommand {
  if (args.length !== 3 || !oneOf(args[1]!, ACL_TYPES)) throw new Invalid();
  return { command: 'removeRoleACL', rolename: args[0]!, acltype: args[1]!, topic: args[2]! };
}

function init(args: string[]): DynsecPlan {
  if (args.length < 2) return { kind: 'error', message: 'dynsec init: Not enough arguments - filename, or admin-user missing.\n' + INVALID, code: 3 };
  if (args.length > 3) return { kind: 'error', message: 'dynsec init: Too many arguments.\n' + INVALID, code: 3 };
  return { kind: 'init', file: args[0]!, admin: args[1]!, password: args[2] };
}

const PLANS: Record<string, (args: string[], typed: string) => DynsecPlan | CtrlCommand> = {
  setDefaultACLAccess,
  getDefaultACLAccess: () => ({ command: 'getDefaultACLAccess' }),
  createClient,
  deleteClient: (a) => single(a, 'deleteClient', 'username'),
  getClient: (a) => single(a, 'getClient', 'username'),
  listClients: (a) => list(a, 'listClients'),
  setClientId,
  setClientPassword,
  addClientRole: (a, typed) => pairWithPriority(a, typed, 'username', 'rolename', true),
  removeClientRole: (a, typed) => pairWithPriority(a, typed, 'username', 'rolename', true),
  enableClient: (a, typed) => single(a, typed, 'username'),
  disableClient: (a, typed) => single(a, typed, 'username'),
  createGroup: (a) => single(a, 'createGroup', 'groupname'),
  deleteGroup: (a) => single(a, 'deleteGroup', 'groupname'),
  getGroup: (a) => single(a, 'getGroup', 'groupname'),
  listGroups: (a) => list(a, 'listGroups'),
  addGroupRole: (a, typed) => pairWithPriority(a, typed, 'groupname', 'rolename', true),
  removeGroupRole: (a, typed) => pairWithPriority(a, typed, 'groupname', 'rolename', true),
  addGroupClient: (a, typed) => pairWithPriority(a, typed, 'groupname', 'username', true),
  removeGroupClient: (a, typed) => pairWithPriority(a, typed, 'groupname', 'username', true),
  setAnonymousGroup: (a) => single(a, 'setAnonymousGroup', 'groupname'),
  getAnonymousGroup: () => ({ command: 'getAnonymousGroup' }),
  createRole: (a) => single(a, 'createRole', 'rolename'),
  deleteRole: (a) => single(a, 'deleteRole', 'rolename'),
  getRole: (a) => single(a, 'getRole', 'rolename'),
  listRoles: (a) => list(a, 'listRoles'),
  addRoleACL,
  removeRoleACL,
};

/** The module's command names, for help and completion. */
export const DYNSEC_COMMANDS: readonly string[] = ['init', 'help', ...Object.keys(PLANS)];

/** What `dynsec WORDS…` asks for: command names match ignoring case, as in mosquitto_ctrl. */
export function planDynsec(words: string[]): DynsecPlan {
  const [name, ...args] = words;
  if (name === undefined) return { kind: 'help' };
  if (same(name, 'help')) return { kind: 'help' };
  if (same(name, 'init')) return init(args);
  const key = Object.keys(PLANS).find((k) => same(k, name));
  if (!key) return { kind: 'error', message: `Command '${name}' not recognised.`, code: 13 };
  try {
    const plan = PLANS[key]!(args, name);
    return 'kind' in plan ? (plan as DynsecPlan) : { kind: 'send', command: plan };
  } catch (err) {
    if (err instanceof Invalid) return { kind: 'error', message: INVALID, code: 3 };
    throw err;
  }
}

export const DYNSEC_USAGE = `
Dynamic Security module
=======================

Initialisation
--------------
Create a new configuration file with an admin user:
    mqtt ctrl dynsec init <new-config-file> <admin-username> [admin-password]

General
-------
Get ACL default access:          getDefaultACLAccess
Set ACL default access:          setDefaultACLAccess <acltype> allow|deny
Get group for anonymous clients: getAnonymousGroup
Set group for anonymous clients: setAnonymousGroup   <groupname>

Clients
-------
Create a new client:         createClient      <username> [-c clientid] [-p password]
Delete a client:             deleteClient      <username>
Set a client password:       setClientPassword <username> [password]
Set a client id:             setClientId       <username> [clientid]
Add a role to a client:      addClientRole     <username> <rolename> [priority]
    Higher priority (larger numerical value) roles are evaluated first.
Remove role from a client:   removeClientRole  <username> <rolename>
Get client information:      getClient         <username>
List all clients:            listClients       [count [offset]]
Enable client:               enableClient      <username>
Disable client:              disableClient     <username>

Groups
------
Create a new group:          createGroup       <groupname>
Delete a group:              deleteGroup       <groupname>
Add a role to a group:       addGroupRole      <groupname> <rolename> [priority]
    Higher priority (larger numerical value) roles are evaluated first.
Remove role from a group:    removeGroupRole   <groupname> <rolename>
Add client to a group:       addGroupClient    <groupname> <username> [priority]
    Priority sets the group priority for the given client only.
    Higher priority (larger numerical value) groups are evaluated first.
Remove client from a group:  removeGroupClient <groupname> <username>
Get group information:       getGroup          <groupname>
List all groups:             listGroups        [count [offset]]

Roles
------
Create a new role:           createRole        <rolename>
Delete a role:               deleteRole        <rolename>
Add an ACL to a role:        addRoleACL        <rolename> <aclspec> [priority]
    Higher priority (larger numerical value) ACLs are evaluated first.
Remove ACL from a role:      removeRoleACL     <rolename> <aclspec>
Get role information:        getRole           <rolename>
List all roles:              listRoles         [count [offset]]

aclspec:                     <acltype> <topicFilter> allow|deny
acltype:                     publishClientSend|publishClientReceive
                              |subscribeLiteral|subscribePattern
                              |unsubscribeLiteral|unsubscribePattern

For more information see:
    https://mosquitto.org/documentation/dynamic-security/

`;
