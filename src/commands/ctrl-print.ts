import { arrayItems, isBool, item, text } from '../broker/dynsec/json.js';
import type { CJson } from '../output/cjson.js';
import { parseCJson } from '../output/cjson.js';

/**
 * A $CONTROL/dynamic-security/v1 response printed as mosquitto_ctrl 2.0 prints it
 * (dynsec__payload_callback): lists one name per line, get* as aligned fields, an error as
 * "<command>: Error: <error>" on stderr, other successes silently.
 */
export interface Printed {
  stdout: string;
  stderr: string;
  /** the broker answered with an error, or the answer could not be read */
  failed: boolean;
}

/** printf's %-Ns: pads by bytes, as C counts them. */
function padRight(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - Buffer.byteLength(s, 'utf8')));
}

function priority(v: CJson | undefined): string {
  return ` (priority: ${v?.kind === 'number' ? Math.trunc(v.value) : -1})`;
}

const INVALID = 'Error: Invalid response from server.\n';

class Bad extends Error {}

function dataOf(response: CJson, key?: string): CJson {
  const data = item(response, 'data');
  if (data?.kind !== 'object') throw new Bad();
  if (key === undefined) return data;
  const inner = item(data, key);
  if (inner?.kind !== 'object') throw new Bad();
  return inner;
}

function roles(v: CJson | undefined, width: number): string {
  const items = arrayItems(v);
  if (!items) return 'Roles:\n';
  let out = '';
  let first = true;
  for (const r of items) {
    const name = text(item(r, 'rolename'));
    if (name === undefined) continue;
    out += `${padRight(first ? 'Roles:' : '', width)} ${name}${priority(item(r, 'priority'))}\n`;
    first = false;
  }
  return out;
}

function list(response: CJson, arrayName: string, keyName: string): string {
  const data = item(response, 'data');
  if (data === undefined) throw new Bad();
  const items = arrayItems(item(data, arrayName));
  if (!items) throw new Bad();
  let out = '';
  for (const e of items) {
    const name = e.kind === 'object' ? text(item(e, keyName)) : text(e);
    if (name !== undefined) out += `${name}\n`;
  }
  return out;
}

function client(response: CJson): string {
  const c = dataOf(response, 'client');
  const username = text(item(c, 'username'));
  if (username === undefined) throw new Bad();
  let out = `Username: ${username}\n`;
  const clientId = text(item(c, 'clientid'));
  out += clientId !== undefined ? `Clientid: ${clientId}\n` : 'Clientid:\n';
  const disabled = item(c, 'disabled');
  if (isBool(disabled)) out += `Disabled: ${disabled!.kind}\n`;
  out += roles(item(c, 'roles'), 'Username:'.length);
  const groups = arrayItems(item(c, 'groups'));
  if (!groups) return out + 'Groups:\n';
  let first = true;
  for (const g of groups) {
    const name = text(item(g, 'groupname'));
    if (name === undefined) continue;
    out += `${first ? 'Groups:   ' : '          '}${name}${priority(item(g, 'priority'))}\n`;
    first = false;
  }
  return out;
}

function group(response: CJson): string {
  const g = dataOf(response, 'group');
  const name = text(item(g, 'groupname'));
  if (name === undefined) throw new Bad();
  let out = `Groupname: ${name}\n` + roles(item(g, 'roles'), 'Groupname:'.length);
  let first = true;
  for (const c of arrayItems(item(g, 'clients')) ?? []) {
    const username = text(item(c, 'username'));
    if (username === undefined) continue;
    out += `${first ? 'Clients:   ' : '           '}${username}\n`;
    first = false;
  }
  return out;
}

function role(response: CJson): string {
  const r = dataOf(response, 'role');
  const name = text(item(r, 'rolename'));
  if (name === undefined) throw new Bad();
  let out = `Rolename: ${name}\n`;
  let first = true;
  for (const a of arrayItems(item(r, 'acls')) ?? []) {
    const type = text(item(a, 'acltype'));
    if (type === undefined) continue;
    out += `${first ? 'ACLs:     ' : '          '}${padRight(type, 20)}`;
    first = false;
    const allow = item(a, 'allow');
    if (isBool(allow)) out += ` : ${allow!.kind === 'true' ? 'allow' : 'deny '}`;
    const topic = text(item(a, 'topic'));
    if (topic !== undefined) out += ` : ${topic}`;
    out += `${priority(item(a, 'priority'))}\n`;
  }
  return out;
}

function anonymousGroup(response: CJson): string {
  const name = text(item(dataOf(response, 'group'), 'groupname'));
  if (name === undefined) throw new Bad();
  return `${name}\n`;
}

function defaultAccess(response: CJson): string {
  const acls = arrayItems(item(dataOf(response), 'acls'));
  if (!acls) throw new Bad();
  let out = '';
  for (const a of acls) {
    const type = text(item(a, 'acltype'));
    const allow = item(a, 'allow');
    // mosquitto_ctrl stops at the first bad entry, keeping what it printed
    if (type === undefined || !isBool(allow)) throw Object.assign(new Bad(), { partial: out });
    out += `${padRight(type, 20)} : ${allow!.kind === 'true' ? 'allow' : 'deny'}\n`;
  }
  return out;
}

const PRINTERS: Record<string, (response: CJson) => string> = {
  listclients: (r) => list(r, 'clients', 'username'),
  listgroups: (r) => list(r, 'groups', 'groupname'),
  listroles: (r) => list(r, 'roles', 'rolename'),
  getclient: client,
  getgroup: group,
  getrole: role,
  getdefaultaclaccess: defaultAccess,
  getanonymousgroup: anonymousGroup,
};

export function printResponse(payload: Buffer): Printed {
  const tree = parseCJson(payload);
  if (tree === undefined) return { stdout: '', stderr: 'Error: Payload not JSON.\n', failed: true };
  const first = arrayItems(item(tree, 'responses'))?.[0];
  const command = first === undefined ? undefined : item(first, 'command');
  if (first === undefined || command === undefined) return { stdout: '', stderr: 'Error: Payload missing data.\n', failed: true };
  const name = text(command) ?? '(null)';
  const error = item(first, 'error');
  if (error !== undefined) return { stdout: '', stderr: `${name}: Error: ${text(error) ?? '(null)'}\n`, failed: true };
  const printer = PRINTERS[name.toLowerCase()];
  if (!printer) return { stdout: '', stderr: '', failed: false };
  try {
    return { stdout: printer(first), stderr: '', failed: false };
  } catch (err) {
    if (!(err instanceof Bad)) throw err;
    return { stdout: (err as Bad & { partial?: string }).partial ?? '', stderr: INVALID, failed: true };
  }
}
