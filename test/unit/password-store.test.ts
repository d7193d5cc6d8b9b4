import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatHash } from '../../src/auth/hash-format.js';
import { hashPassword } from '../../src/auth/hash.js';
import { basicAuth } from '../../src/broker/auth/basic-auth.js';
import { PasswordStore } from '../../src/broker/auth/password-store.js';
import { runCmd } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { H6, useScratch } from '../helpers/passwd-files.js';
import { describeIfTool } from '../helpers/peers.js';

const ARGON = '$argon2i$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g';
const pw = (s: string) => Buffer.from(s, 'utf8');

/** mosquitto_passwd 2.0, with the file then made private (2.0 leaves it to the umask: 0644 here). */
async function mosquittoPasswd(...args: string[]): Promise<void> {
  const r = await runCmd('mosquitto_passwd', args);
  expect(r.code, r.stderr).toBe(0);
  const file = args.filter((a) => !a.startsWith('-'))[args.includes('-H') ? 1 : 0]!;
  chmodSync(file, 0o600);
}

describe('PasswordStore', () => {
  const scratch = useScratch();

  it('reads what Mosquitto\'s broker reads, and warns by line about every line it leaves out', async () => {
    const file = scratch.pwfile;
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from(
          [
            '# users',
            '',
            `alice:${H6}`,
            'no colon here',
            'bob:plaintext',
            `carol:${ARGON}`,
            'dave:$7$0$AAECAwQFBgcICQoL$x',
            `  erin : ${H6}  `,
            `alice:${H6}`,
            ':nobody',
          ].join('\r\n') + '\r\n',
        ),
        Buffer.from(`caf\xe9:${H6}\n`, 'latin1'),
      ]),
      { mode: 0o600 },
    );
    const { store, warnings } = await PasswordStore.load(file);
    expect(store.size).toBe(2);
    expect(store.has('alice') && store.has('erin')).toBe(true);
    expect(await store.check('erin', pw('password'))).toBe(true);
    expect(warnings).toEqual([
      `Warning: Invalid line at ${file}:4 in password file: no ':' between username and password (ignored).`,
      `Warning: Invalid password hash type for user bob at ${file}:5 (a plain-text password: hash the file with mosquitto_passwd -U), removing entry.`,
      `Warning: Invalid password hash type for user carol at ${file}:6 ($argon2i$ is not a hash Mosquitto verifies), removing entry.`,
      `Warning: Invalid password hash for user dave at ${file}:7 (bad iteration count '0'), removing entry.`,
      `Warning: User alice at ${file}:9 repeats line 3; the later line is used.`,
      `Warning: Invalid line at ${file}:10 in password file: empty username (ignored).`,
      `Warning: Username at ${file}:11 is not valid UTF-8, removing entry.`,
    ]);
  });

  it('checks passwords: only the right one, for a user in the file, and a password must be given', async () => {
    writeFileSync(scratch.pwfile, `alice:${H6}\n`);
    const { store } = await PasswordStore.load(scratch.pwfile);
    expect(await store.check('alice', pw('password'))).toBe(true);
    expect(await store.check('alice', pw('Password'))).toBe(false);
    expect(await store.check('alice', pw(''))).toBe(false);
    expect(await store.check('alice', undefined)).toBe(false);
    expect(await store.check('bob', pw('password'))).toBe(false);
    expect(await store.check(' alice', pw('password'))).toBe(false);
    // Mosquitto hashes the password as a C string: what follows a NUL does not count
    expect(await store.check('alice', Buffer.from('password\0anything'))).toBe(true);
  });

  it('refuses a file it cannot read in Mosquitto\'s words', async () => {
    await expect(PasswordStore.load(scratch.file('missing'))).rejects.toThrow(`Error: Unable to open pwfile "${scratch.file('missing')}".`);
  });
});

describeIfTool(['mosquitto_passwd'], 'PasswordStore with files from mosquitto_passwd', () => {
  const scratch = useScratch();

  it('verifies $7$ (the default) and $6$ (-H sha512) hashes written by mosquitto_passwd -b', async () => {
    await mosquittoPasswd('-c', '-b', scratch.pwfile, 'seven', 's3cret pass');
    await mosquittoPasswd('-H', 'sha512', '-b', scratch.pwfile, 'six', 'pässwörd');
    const { store, warnings } = await PasswordStore.load(scratch.pwfile);
    expect(warnings).toEqual([]);
    expect(await store.check('seven', pw('s3cret pass'))).toBe(true);
    expect(await store.check('six', pw('pässwörd'))).toBe(true);
    expect(await store.check('seven', pw('s3cret pas'))).toBe(false);
    expect(await store.check('six', pw('passwort'))).toBe(false);
  });

  it('reload picks up added, changed and deleted users; an unreadable file keeps the users there were', async () => {
    await mosquittoPasswd('-c', '-b', scratch.pwfile, 'alice', 'one');
    const { store } = await PasswordStore.load(scratch.pwfile);
    await mosquittoPasswd('-b', scratch.pwfile, 'bob', 'two');
    await mosquittoPasswd('-b', scratch.pwfile, 'alice', 'uno');
    expect(await store.check('bob', pw('two'))).toBe(false);

    expect(await store.reload()).toEqual([]);
    expect(await store.check('bob', pw('two'))).toBe(true);
    expect(await store.check('alice', pw('uno'))).toBe(true);
    expect(await store.check('alice', pw('one'))).toBe(false);

    await mosquittoPasswd('-D', scratch.pwfile, 'bob');
    await store.reload();
    expect(await store.check('bob', pw('two'))).toBe(false);

    rmSync(scratch.pwfile);
    await expect(store.reload()).rejects.toThrow(`Error: Unable to open pwfile "${scratch.pwfile}".`);
    expect(await store.check('alice', pw('uno'))).toBe(true);
  });
});

/** [allow_anonymous, password_file?] x [username, password] -> accepted, as Mosquitto 2.0 decides */
const VERDICTS: Array<[boolean, boolean, string | undefined, string | undefined, boolean]> = [
  [true, true, undefined, undefined, true],
  [true, true, 'alice', 'right', true],
  [true, true, 'alice', 'wrong', false],
  [true, true, 'alice', undefined, false],
  [true, true, 'mallory', 'any', false],
  [false, true, undefined, undefined, false],
  [false, true, 'alice', 'right', true],
  [false, true, 'alice', 'wrong', false],
  [true, false, undefined, undefined, true],
  [true, false, 'anyone', 'anything', true],
  [false, false, undefined, undefined, false],
  [false, false, 'alice', 'right', false],
];

describe('basicAuth (Mosquitto 2.0 mosquitto_unpwd_check)', () => {
  const scratch = useScratch('all');
  let store: PasswordStore;
  beforeAll(async () => {
    writeFileSync(scratch.pwfile, `alice:${formatHash(await hashPassword('right'))}\n`);
    store = (await PasswordStore.load(scratch.pwfile)).store;
  });

  it.each(VERDICTS)('allow_anonymous %s, password_file %s, user %s password %s -> %s', async (allowAnonymous, withFile, user, password, accepted) => {
    expect(await basicAuth({ allowAnonymous }, withFile ? store : undefined, user, password === undefined ? undefined : pw(password))).toBe(accepted);
  });
});

describeIfTool(['mosquitto', 'mosquitto_pub', 'mosquitto_passwd'], 'basicAuth compared with mosquitto 2.0', () => {
  const scratch = useScratch('all');
  const brokers = new Map<string, Mosquitto>();
  const key = (allowAnonymous: boolean, withFile: boolean) => `${allowAnonymous}/${withFile}`;

  beforeAll(async () => {
    chmodSync(scratch.dir, 0o755);
    await mosquittoPasswd('-c', '-b', scratch.pwfile, 'alice', 'right');
    // readable by the user Mosquitto switches to when started as root
    chmodSync(scratch.pwfile, 0o644);
    for (const allowAnonymous of [true, false]) {
      for (const withFile of [true, false]) {
        const mosq = await startMosquitto({
          listenerConfig: (port) => [
            `listener ${port} 127.0.0.1`,
            `allow_anonymous ${allowAnonymous}`,
            ...(withFile ? [`password_file ${scratch.pwfile}`] : []),
          ],
        });
        brokers.set(key(allowAnonymous, withFile), mosq);
      }
    }
  });
  afterAll(() => Promise.all([...brokers.values()].map((b) => b.stop())));

  it.each(VERDICTS)('allow_anonymous %s, password_file %s, user %s password %s -> %s', async (allowAnonymous, withFile, user, password, accepted) => {
    const mosq = brokers.get(key(allowAnonymous, withFile))!;
    const args = ['-p', String(mosq.port), '-V', '311', '-t', 't', '-m', 'm'];
    if (user !== undefined) args.push('-u', user);
    if (password !== undefined) args.push('-P', password);
    const r = await runCmd('mosquitto_pub', args);
    expect(r.code === 0, r.stderr).toBe(accepted);
  });
});
