import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAclChecker, dollarTopicAllows } from '../../src/broker/auth/acl-checker.js';
import { parseAclFile } from '../../src/broker/auth/acl-file.js';
import { AclStore } from '../../src/broker/auth/acl-store.js';
import { ConfigFileError } from '../../src/broker/config/config-error.js';
import { runCmd, spawnCmd } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import { useScratch } from '../helpers/passwd-files.js';

/** One file with every kind of rule; the binary comparison below runs Mosquitto on the same text. */
const ACL = `# anonymous clients: the lines before the first user line
topic read public/#
topic write anon/in
  topic deny public/secret

user alice
topic readwrite alice/#
topic deny alice/private/#
topic read $SYS/broker/uptime
topic read shared/+/status
topic everything

user bob
topic write alice/inbox
    topic read bob/#

user root
topic readwrite #

user sys
topic readwrite $SYS/#
topic deny #

user alice
topic read later/#

pattern readwrite clients/%c/#
pattern read users/%u/#
pattern deny clients/%c/locked
pattern write %u/%c/out
pattern read marker/%c
`;

const { acl, warnings } = parseAclFile(ACL, 'acl');
const checker = createAclChecker(acl);

type Who = [clientId: string, username: string | undefined];
const ANON: Who = ['anon-1', undefined];
const ALICE: Who = ['alice-1', 'alice'];
const BOB: Who = ['bob-1', 'bob'];
const ROOT: Who = ['root-1', 'root'];
const SYS: Who = ['sys-1', 'sys'];
const EVE: Who = ['eve-1', 'eve'];

/**
 * [why, who, access, topic, allowed, observable]: all are checked against a real Mosquitto below
 * except the unobservable ones (nobody may publish on $SYS to test reading it, and user sys may
 * not read the marker that shows a delivery is over).
 */
const DECISIONS: Array<[string, Who, 'read' | 'write', string, boolean, observable?: false]> = [
  ['anonymous section: read-only topic is readable', ANON, 'read', 'public/news', true],
  ['anonymous section: read-only topic is not writable', ANON, 'write', 'public/news', false],
  ['anonymous section: write-only topic is writable', ANON, 'write', 'anon/in', true],
  ['anonymous section: write-only topic is not readable', ANON, 'read', 'anon/in', false],
  ['anonymous section: deny beats an earlier read grant', ANON, 'read', 'public/secret', false],
  ['anonymous section does not apply to users', ALICE, 'read', 'public/news', false],
  ['user section: readwrite reads', ALICE, 'read', 'alice/notes', true],
  ['user section: readwrite writes', ALICE, 'write', 'alice/notes', true],
  ['user section: deny beats readwrite', ALICE, 'read', 'alice/private/diary', false],
  ['user section: deny covers writes too', ALICE, 'write', 'alice/private/diary', false],
  ['user section: "topic NAME" without access is readwrite', ALICE, 'write', 'everything', true],
  ['user section: a second section of the same user adds to it', ALICE, 'read', 'later/x', true],
  ['user section: + in a rule', ALICE, 'read', 'shared/kitchen/status', true],
  ['user section: + matches one level only', ALICE, 'read', 'shared/kitchen/oven/status', false],
  ['user section: write-only', BOB, 'write', 'alice/inbox', true],
  ['user section: write-only is not readable', BOB, 'read', 'alice/inbox', false],
  ['user section: indented rule', BOB, 'read', 'bob/x', true],
  ['a user without a section gets nothing from topic lines', EVE, 'read', 'public/news', false],
  ['$SYS: a $ rule grants it', ALICE, 'read', '$SYS/broker/uptime', true, false],
  ['$SYS: only what the rule names', ALICE, 'read', '$SYS/broker/load', false, false],
  ['$SYS: # does not reach $ topics', ROOT, 'read', '$SYS/broker/load', false, false],
  ['$SYS: a $SYS/# rule does', SYS, 'read', '$SYS/broker/load', true, false],
  ['$SYS: never writable, even with readwrite $SYS/#', SYS, 'write', '$SYS/broker/uptime', false],
  ['$SYS: a deny on # does not cover $ topics', SYS, 'read', '$SYS/broker/uptime', true, false],
  ['deny # still denies the rest', SYS, 'read', 'public/news', false, false],
  ['readwrite #', ROOT, 'write', 'any/thing', true],
  ['pattern %c for anonymous clients', ANON, 'write', 'clients/anon-1/x', true],
  ['pattern %c: not another client id', ANON, 'read', 'clients/anon-2/x', false],
  ['pattern %c for users without a section', EVE, 'read', 'clients/eve-1/x', true],
  ['pattern %u', EVE, 'read', 'users/eve/inbox', true],
  ['pattern %u: not for anonymous clients', ANON, 'read', 'users/anon-1/inbox', false],
  ['pattern deny beats pattern readwrite', EVE, 'write', 'clients/eve-1/locked', false],
  ['pattern %u and %c together', EVE, 'write', 'eve/eve-1/out', true],
  ['patterns apply after a user section that does not decide', ALICE, 'write', 'clients/alice-1/x', true],
  ['a user section deny is final, patterns are not consulted', ALICE, 'read', 'alice/private/x', false],
];

describe('acl_file parsing', () => {
  it('puts rules in sections: anonymous before the first user, users merged by name, patterns anywhere', () => {
    expect(acl.anonymous.map((r) => [r.access, r.topic, r.line])).toEqual([
      ['read', 'public/#', 2],
      ['write', 'anon/in', 3],
      ['deny', 'public/secret', 4],
    ]);
    expect([...acl.users.keys()]).toEqual(['alice', 'bob', 'root', 'sys']);
    expect(acl.users.get('alice')!.map((r) => r.topic)).toEqual(['alice/#', 'alice/private/#', '$SYS/broker/uptime', 'shared/+/status', 'everything', 'later/#']);
    expect(acl.users.get('alice')![4]!.access).toBe('readwrite');
    expect(acl.patterns.map((r) => [r.access, r.topic])).toEqual([
      ['readwrite', 'clients/%c/#'],
      ['read', 'users/%u/#'],
      ['deny', 'clients/%c/locked'],
      ['write', '%u/%c/out'],
      ['read', 'marker/%c'],
    ]);
    expect(warnings).toEqual([]);
  });

  it('takes indented comments, tabs between words and tab indentation, which Mosquitto 2.0 refuses', () => {
    const parsed = parseAclFile('  # comment\n\tuser\tann\n\ttopic\tread\tx/#\n', 'acl').acl;
    expect(parsed.users.get('ann')).toEqual([{ access: 'read', topic: 'x/#', line: 3 }]);
  });

  it('keeps spaces inside usernames and topics, and reads CRLF files', () => {
    const parsed = parseAclFile('user bob smith\r\ntopic read  a topic with spaces  \r\ntopic x\r\n', 'acl').acl;
    expect(parsed.users.get('bob smith')!.map((r) => [r.access, r.topic])).toEqual([
      ['read', 'a topic with spaces'],
      ['readwrite', 'x'],
    ]);
  });

  it('warns where Mosquitto warns, and where a line reads differently than it looks', () => {
    expect(parseAclFile('pattern read sensors/#\ntopic read\n', 'acl').warnings).toEqual([
      "Warning: ACL pattern 'sensors/#' at acl:1 does not contain '%c' or '%u'.",
      'Warning: ACL topic "read" at acl:2 has no access type, so it grants readwrite on a topic named "read".',
    ]);
  });

  const errors: Array<[string, string]> = [
    ['topic read a\ntopic', 'Error: Empty topic in acl_file "acl".\nError found at acl:2.'],
    ['topic sometimes a', 'Error: Invalid topic access type "sometimes" in acl_file "acl".\nError found at acl:1.'],
    ['\ntopic read a/#/b', 'Error: Invalid ACL topic "a/#/b" in acl_file "acl".\nError found at acl:2.'],
    ['pattern read a+', 'Error: Invalid ACL topic "a+" in acl_file "acl".\nError found at acl:1.'],
    ['user', 'Error: Missing username in acl_file "acl".\nError found at acl:1.'],
    ['user alice\nbogus line', 'Error: Invalid line in acl_file "acl": bogus.\nError found at acl:2.'],
    ['TOPIC read a', 'Error: Invalid line in acl_file "acl": TOPIC.\nError found at acl:1.'],
  ];
  it.each(errors)('refuses %j', (text, message) => {
    expect(() => parseAclFile(text, 'acl')).toThrow(ConfigFileError);
    expect(() => parseAclFile(text, 'acl')).toThrow(message);
  });
});

describe('decisions (Mosquitto 2.0 security_default.c)', () => {
  it.each(DECISIONS)('%s', (_why, [clientId, username], access, topic, allowed) => {
    const can = access === 'read' ? checker.canRead : checker.canWrite;
    expect(can(clientId, username, topic)).toBe(allowed);
    const client = checker.forClient(clientId, username);
    expect(access === 'read' ? client.canRead(topic) : client.canWrite(topic)).toBe(allowed);
  });

  it('grants every subscription, wildcards included: delivery is filtered by the read check', () => {
    for (const filter of ['#', '+/+', 'alice/private/#', 'nothing/allowed', '$SYS/#', '$share/group/alice/#']) {
      expect(checker.canSubscribe('eve-1', 'eve', filter)).toBe(true);
    }
    // what `#` then delivers to alice
    const alice = checker.forClient('alice-1', 'alice');
    const topics = ['alice/a', 'alice/private/b', 'public/news', 'clients/alice-1/c', 'bob/d', '$SYS/broker/uptime'];
    expect(topics.filter((t) => alice.canRead(t))).toEqual(['alice/a', 'clients/alice-1/c', '$SYS/broker/uptime']);
  });

  it('refuses pattern access to client ids and usernames with + # or /, and says so once', () => {
    const notices: string[] = [];
    const c = createAclChecker(acl, { notice: (m) => notices.push(m) });
    // "+" would make clients/%c/# a wildcard over every client
    expect(c.canRead('+', undefined, 'clients/victim/x')).toBe(false);
    expect(c.canRead('eve-1', '#', 'users/victim/x')).toBe(false);
    // Mosquitto 2.0 lets "a/b" through (see the comparison below); here it is refused like 1.x did
    const slash = c.forClient('a/b', undefined);
    expect(slash.canWrite('clients/a/b/x')).toBe(false);
    expect(slash.canWrite('clients/a/b/y')).toBe(false);
    expect(notices).toEqual([
      'ACL denying access to client with dangerous client id "+"',
      'ACL denying access to client with dangerous username "#"',
      'ACL denying access to client with dangerous client id "a/b"',
    ]);
    // the user's own section still applies
    expect(c.canRead('a/b', 'alice', 'alice/x')).toBe(true);
  });

  it('$ rules apply without an acl_file: no publishing to $SYS or $share, $share is never read', () => {
    const open = createAclChecker(undefined);
    expect(open.canWrite('c', undefined, 'any/topic')).toBe(true);
    expect(open.canRead('c', undefined, '$SYS/broker/uptime')).toBe(true);
    expect(open.canWrite('c', undefined, '$SYS/broker/uptime')).toBe(false);
    expect(open.canWrite('c', undefined, '$SYSTEM/x')).toBe(false);
    expect(open.canWrite('c', undefined, '$SYS/broker/connection/bridge1/state')).toBe(true);
    expect(open.canWrite('c', undefined, '$share/g/t')).toBe(false);
    expect(open.canRead('c', undefined, '$share/g/t')).toBe(false);
    expect(open.canSubscribe('c', undefined, '$share/g/t')).toBe(true);
    expect(open.canWrite('c', undefined, '$other/t')).toBe(true);
    expect(dollarTopicAllows('$share/g/t', 'subscribe')).toBe(true);
    // and with one, for users whose rules would allow it
    expect(checker.canWrite(...ROOT, '$share/g/t')).toBe(false);
  });

  it('an acl_file with no rules denies everything', () => {
    const empty = createAclChecker(parseAclFile('# nothing yet\n', 'acl').acl);
    expect(empty.canRead('c', undefined, 'a')).toBe(false);
    expect(empty.canWrite('c', 'alice', 'a')).toBe(false);
    expect(empty.canSubscribe('c', 'alice', 'a')).toBe(true);
  });

  it('substitutes %c and %u as text, even inside a level, like Mosquitto', () => {
    const c = createAclChecker(parseAclFile('pattern read dev-%c/%u-inbox\n', 'acl').acl);
    expect(c.canRead('k1', 'ann', 'dev-k1/ann-inbox')).toBe(true);
    expect(c.canRead('k1', 'ann', 'dev-k2/ann-inbox')).toBe(false);
    expect(c.canRead('$1', 'a$&b', 'dev-$1/a$&b-inbox')).toBe(true);
  });
});

describe('AclStore', () => {
  const dir = useScratch();

  it('reloads: new rules replace the old at once; a broken file keeps the old rules', async () => {
    const file = dir.file('acl');
    writeFileSync(file, 'topic read a\n', { mode: 0o600 });
    const { store } = await AclStore.load(file);
    expect(store.canRead('c', undefined, 'a')).toBe(true);
    const before = store.forClient('c', undefined);

    writeFileSync(file, 'topic read b\npattern read x\n');
    expect(await store.reload()).toEqual([`Warning: ACL pattern 'x' at ${file}:2 does not contain '%c' or '%u'.`]);
    expect([store.canRead('c', undefined, 'a'), store.canRead('c', undefined, 'b')]).toEqual([false, true]);
    // made before the reload: the old rules, as documented
    expect(before.canRead('a')).toBe(true);

    writeFileSync(file, 'topic read b\ntopic maybe c\n');
    await expect(store.reload()).rejects.toThrow(`Error: Invalid topic access type "maybe" in acl_file "${file}".\nError found at ${file}:2.`);
    expect(store.canRead('c', undefined, 'b')).toBe(true);
    await expect(AclStore.load(dir.file('missing'))).rejects.toThrow(`Error: Unable to open acl_file "${dir.file('missing')}".`);
  });
});

/**
 * The same acl_file in a real Mosquitto: listener `acl` applies it to clients with the
 * identities above, listener `open` has no ACL and observes or feeds the traffic.
 */
describeIfTool(['mosquitto', 'mosquitto_pub', 'mosquitto_sub', 'mosquitto_passwd', 'stdbuf'], 'decisions compared with mosquitto 2.0', () => {
  let mosq: Mosquitto;
  let openPort: number;
  let dir: string;

  beforeAll(async () => {
    openPort = await freePort();
    mosq = await startMosquitto({
      listenerConfig: (port, d) => {
        dir = d;
        // readable by the user Mosquitto switches to when started as root
        chmodSync(d, 0o755);
        writeFileSync(path.join(d, 'acl'), ACL, { mode: 0o644 });
        writeFileSync(path.join(d, 'pw'), '', { mode: 0o644 });
        return [
          'per_listener_settings true',
          `listener ${port} 127.0.0.1`,
          'allow_anonymous true',
          `password_file ${path.join(d, 'pw')}`,
          `acl_file ${path.join(d, 'acl')}`,
          `listener ${openPort} 127.0.0.1`,
          'allow_anonymous true',
        ];
      },
    });
    for (const user of ['alice', 'bob', 'root', 'sys', 'eve']) {
      const r = await runCmd('mosquitto_passwd', ['-b', path.join(dir, 'pw'), user, `${user}-pw`]);
      expect(r.code).toBe(0);
    }
    chmodSync(path.join(dir, 'pw'), 0o644);
    // mosquitto reads the password file at start; SIGHUP makes it read the users just added
    mosq.proc.kill('SIGHUP');
    await mosq.waitForLog(/Reloading config/);
  });
  afterAll(() => mosq?.stop());

  const identity = ([clientId, username]: Who) => ['-i', clientId, ...(username ? ['-u', username, '-P', `${username}-pw`] : [])];
  const pub = async (port: number, who: string[], topic: string, payload: string) => {
    const r = await runCmd('mosquitto_pub', ['-p', String(port), '-V', '311', '-q', '1', ...who, '-t', topic, '-m', payload]);
    expect(r.stderr).toBe('');
  };

  /** Subscribes as `who` to '#' and '$SYS/#'; resolves once Mosquitto has granted it. */
  async function subscriber(port: number, who: string[]) {
    // line-buffered, or the -d lines wait in a pipe buffer until a message flushes them
    const sub = spawnCmd('stdbuf', ['-oL', 'mosquitto_sub', '-p', String(port), '-V', '311', '-q', '1', '-d', '-v', ...who, '-t', '#', '-t', '$SYS/#']);
    await sub.waitForStdout(/Subscribed \(mid: \d+\): 1, 1/);
    return sub;
  }

  let n = 0;
  it.each(DECISIONS.filter((d) => d[5] !== false))('%s', async (_why, who, access, topic, allowed) => {
    const payload = `m${++n}`;
    const marker = `marker-${n}`;
    if (access === 'write') {
      const observer = await subscriber(openPort, ['-i', `observer-${n}`]);
      await pub(mosq.port, identity(who), topic, payload);
      // QoS 1: once mosquitto_pub has its PUBACK the message is routed, so the marker comes after it
      await pub(openPort, [], 'marker/w', marker);
      const out = await observer.waitForStdout((s) => s.includes(marker));
      observer.kill();
      expect(out.includes(`${topic} ${payload}\n`)).toBe(allowed);
    } else {
      const reader = await subscriber(mosq.port, identity(who));
      await pub(openPort, [], topic, payload);
      // readable by every client through `pattern read marker/%c`, and queued after the message
      await pub(openPort, [], `marker/${who[0]}`, marker);
      const out = await reader.waitForStdout((s) => s.includes(marker));
      reader.kill();
      expect(out.includes(`${topic} ${payload}\n`)).toBe(allowed);
    }
  });

  it('grants the subscriptions, including ones no rule allows (SUBACK granted QoS, not 0x80)', async () => {
    const sub = spawnCmd('stdbuf', ['-oL', 'mosquitto_sub', '-p', String(mosq.port), '-V', '5', '-d', ...identity(EVE), '-t', 'nothing/allowed', '-t', 'alice/private/#']);
    await sub.waitForStdout(/Subscribed \(mid: \d+\): 0, 0/);
    sub.kill();
    expect(checker.canSubscribe(...EVE, 'nothing/allowed')).toBe(true);
  });

  it('differs on purpose for a client id with "/": Mosquitto 2.0 lets its pattern through, we do not', async () => {
    const observer = await subscriber(openPort, ['-i', 'observer-slash']);
    await pub(mosq.port, ['-i', 'a/b'], 'clients/a/b/x', 'slash');
    await pub(openPort, [], 'marker/w', 'marker-slash');
    const out = await observer.waitForStdout((s) => s.includes('marker-slash'));
    observer.kill();
    expect(out).toContain('clients/a/b/x slash\n');
    expect(checker.canWrite('a/b', undefined, 'clients/a/b/x')).toBe(false);
  });

  it('refuses the same malformed files with the same words', async () => {
    const cases = ['topic sometimes a', 'topic read a/#/b', 'user', 'bogus line', 'topic'];
    for (const text of cases) {
      const file = path.join(dir, 'bad-acl');
      writeFileSync(file, text + '\n');
      const conf = path.join(dir, 'bad.conf');
      writeFileSync(conf, `listener ${await freePort()} 127.0.0.1\nacl_file ${file}\n`);
      const r = await runCmd('mosquitto', ['-c', conf]);
      const theirs = r.stderr.split('\n').map((l) => l.replace(/^\d+: /, '')).find((l) => l.startsWith('Error: ') && l.includes('acl_file'));
      expect(theirs, r.stderr).toBeDefined();
      let ours: ConfigFileError | undefined;
      try {
        parseAclFile(text, file);
      } catch (err) {
        ours = err as ConfigFileError;
      }
      expect(ours?.reason).toBe(theirs);
    }
  });
});
