import { describe, expect, it } from 'vitest';
import { aclCoversFilter, checkAcl } from '../../src/broker/dynsec/acl-check.js';
import { runControl } from '../../src/broker/dynsec/control.js';
import { parseDynsecFile, serializeDynsec } from '../../src/broker/dynsec/dynsec-file.js';
import { hashDynsecPassword } from '../../src/broker/dynsec/dynamic-security.js';
import type { DynsecState } from '../../src/broker/dynsec/model.js';

describe('subscribePattern matching (the plugin\'s sub_acl_check test vectors)', () => {
  it.each([
    ['foo/+/bar', 'foo/#', false],
    ['foo/+/ba℞/#', 'foo/baz/ba℞', true],
    ['foo/+/ba℞/#', 'foo/baz/ba℞/+', true],
    ['foo/+/ba℞/#', 'foo/baz/ba℞/#', true],
    ['foo/+/ba℞/#', 'foo/baz/+/#', false],
    ['/+//#', '/foo///#', true],
    ['#', '#', true],
    ['#', '+', true],
    ['/#', '+', false],
    ['/#', '/+', true],
    ['/+', '#', false],
    ['/+', '+', false],
    ['+/+', 'topic/topic', true],
    ['+/+', 'topic/topic/', false],
    ['+', '#', false],
    ['+', '+', true],
    ['a/b/c/d/e', 'a/b/c/d/e', true],
    ['a/b/ /d/e', 'a/b/c/d/e', false],
  ] as const)('%s covers %s: %s', (acl, sub, expected) => {
    expect(aclCoversFilter(acl, sub)).toBe(expected);
  });
});

const FILE = 'dyn.json';
const load = (tree: object, warnings: string[] = []): DynsecState => parseDynsecFile(Buffer.from(JSON.stringify(tree)), FILE, (w) => warnings.push(w));

describe('the dynamic-security.json file', () => {
  const pw = hashDynsecPassword('pw', Buffer.alloc(12, 7));
  const tree = {
    defaultACLAccess: { publishClientSend: false, publishClientReceive: true, subscribe: false, unsubscribe: true },
    clients: [
      // keys are matched ignoring case, as cJSON_GetObjectItem does (mosquitto_ctrl writes "textName")
      { username: 'zed', textName: 'Z', password: pw.hash.toString('base64'), salt: pw.salt.toString('base64'), iterations: 101, roles: [{ rolename: 'low', priority: 1 }, { rolename: 'high', priority: 9 }, { rolename: 'ghost' }] },
      { username: 'amy', disabled: true },
      { username: 'broken', password: 'AAAA', salt: 'AAAA', iterations: 101 },
    ],
    groups: [{ groupname: 'g', roles: [{ rolename: 'low' }], clients: [{ username: 'amy', priority: 4 }, { username: 'nobody' }] }],
    roles: [
      { rolename: 'low', acls: [{ acltype: 'publishClientSend', topic: 'a/#', allow: true }] },
      { rolename: 'high', acls: [{ acltype: 'PUBLISHCLIENTSEND', topic: 'a/b', allow: false, priority: 2 }, { acltype: 'publishClientSend', topic: 'a/+', allow: true, priority: 5 }] },
    ],
    anonymousGroup: 'g',
  };

  it('loads what the plugin loads, and says what it drops', () => {
    const warnings: string[] = [];
    const state = load(tree, warnings);
    expect([...state.clients.keys()]).toEqual(['zed', 'amy']);
    expect(warnings).toEqual([expect.stringContaining('client "broken" has an unreadable password')]);
    const zed = state.clients.get('zed')!;
    expect(zed.textName).toBe('Z');
    // unknown roles dropped; priority order, highest first
    expect(zed.roles.map((r) => r.role.name)).toEqual(['high', 'low']);
    // a group member must exist
    expect([...state.groups.get('g')!.clients.keys()]).toEqual(['amy']);
    expect(state.anonymousGroup?.name).toBe('g');
  });

  it('ACL checks: roles by priority, then ACLs by priority; default access never covers $CONTROL', () => {
    const state = load(tree);
    // high (priority 9) is checked first; within it a/+ (priority 5) comes before the deny (2)
    expect(checkAcl(state, 'zed', 'publishClientSend', 'a/b')).toBe('allow');
    expect(checkAcl(state, 'zed', 'publishClientSend', 'a/b/c')).toBe('allow');
    expect(checkAcl(state, 'zed', 'publishClientSend', 'b')).toBe('defer');
    expect(checkAcl(state, 'zed', 'publishClientReceive', 'b')).toBe('allow');
    expect(checkAcl(state, 'zed', 'publishClientReceive', '$CONTROL/dynamic-security/v1')).toBe('defer');
    expect(checkAcl(state, 'stranger', 'publishClientReceive', 'b')).toBe('defer');
    // anonymous clients get the anonymous group's roles
    expect(checkAcl(state, undefined, 'publishClientSend', 'a/x')).toBe('allow');
  });

  it('writes what it read, in the plugin\'s key order and cJSON_Print layout, and reads it back the same', () => {
    const text = serializeDynsec(load(tree));
    expect(text.startsWith('{\n\t"defaultACLAccess":\t{\n\t\t"publishClientSend":\tfalse,')).toBe(true);
    expect(text).toContain('"roles":\t[{\n\t\t\t\t\t"rolename":\t"high",\n\t\t\t\t\t"priority":\t9\n\t\t\t\t}, {');
    expect(serializeDynsec(parseDynsecFile(Buffer.from(text), FILE, () => {}))).toBe(text);
  });

  it.each([
    ['', /is not valid JSON/],
    ['[]', /is not valid JSON/],
    ['{"roles": 5}', /"roles" is not an array/],
  ])('%j is refused: %s', (text, message) => {
    expect(() => parseDynsecFile(Buffer.from(text), FILE, () => {})).toThrow(message);
  });
});

describe('control payloads', () => {
  const run = (payload: string | object) => {
    const state = load({ clients: [], roles: [], groups: [] });
    const kicks: Array<string | null> = [];
    const out = runControl(
      { state, admin: { clientId: 'c', username: 'admin' }, save: () => {}, kick: (u) => kicks.push(u), log: () => {}, hashPassword: (p) => hashDynsecPassword(p) },
      Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
    );
    return { responses: JSON.parse(out).responses, state, kicks };
  };

  it.each([
    ['\u0000', 'Payload not valid JSON'],
    ['{"commands":[', 'Payload not valid JSON'],
    ['"text"', 'Invalid/missing commands'],
    ['{"COMMANDS":7}', 'Invalid/missing commands'],
  ])('%j: one error response, never an exception', (payload, error) => {
    expect(run(payload).responses).toEqual([{ command: 'Unknown command', error }]);
  });

  it('runs commands in order, case-insensitive names, stops at a bad correlationData', () => {
    const { responses, state, kicks } = run({
      commands: [
        { command: 'CREATEROLE', rolename: 'r' },
        { command: 'createClient', username: 'u', password: 'p', roles: [{ rolename: 'r' }], correlationData: 'x' },
        { command: 'disableClient', username: 'u' },
        { command: 'getClient', username: 'u' },
        { command: 'listRoles', correlationData: 5 },
        { command: 'deleteRole', rolename: 'r' },
      ],
    });
    expect(responses).toEqual([
      { command: 'createRole' },
      { command: 'createClient', correlationData: 'x' },
      { command: 'disableClient' },
      { command: 'getClient', data: { client: { username: 'u', disabled: true, roles: [{ rolename: 'r' }], groups: [] } } },
      { command: 'listRoles', error: 'Invalid correlationData data type.' },
    ]);
    expect(state.roles.has('r')).toBe(true);
    expect(kicks).toEqual(['u']);
  });
});

describe('Mosquitto 2.0.21 fixes, kept', () => {
  const runOn = (state: DynsecState, commands: object[]) =>
    JSON.parse(
      runControl(
        { state, admin: { clientId: 'c', username: 'admin' }, save: () => {}, kick: () => {}, log: () => {}, hashPassword: (p) => hashDynsecPassword(p) },
        Buffer.from(JSON.stringify({ commands })),
      ),
    ).responses;

  it('modifyClient and modifyGroup check everything before changing anything', () => {
    const state = load({ clients: [{ username: 'u', textname: 'old' }], groups: [{ groupname: 'g' }], roles: [] });
    expect(runOn(state, [{ command: 'modifyClient', username: 'u', textname: 'new', groups: [{ groupname: 'nope' }] }])).toEqual([
      { command: 'modifyClient', error: "'groups' contains an object with a 'groupname' that does not exist" },
    ]);
    expect(state.clients.get('u')!.textName).toBe('old');
    expect(runOn(state, [{ command: 'modifyGroup', groupname: 'g', textname: 'x', clients: [{ username: 5 }] }])).toEqual([
      { command: 'modifyGroup', error: "'clients' contains an object with an invalid 'username'" },
    ]);
    expect(state.groups.get('g')!.textName).toBeUndefined();
  });

  it('the anonymous group cannot be deleted', () => {
    const state = load({ groups: [{ groupname: 'anon' }], anonymousGroup: 'anon' });
    expect(runOn(state, [{ command: 'deleteGroup', groupname: 'anon', correlationData: '1' }])).toEqual([
      { command: 'deleteGroup', error: 'Deleting the anonymous group is forbidden', correlationData: '1' },
    ]);
    expect(state.anonymousGroup?.name).toBe('anon');
  });
});
