import { describe, expect, it } from 'vitest';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { runMqtt } from '../helpers/cli.js';
import { useScratch, H6, snapshot, expectUnchanged, verifiesWith } from '../helpers/passwd-files.js';

const ARGON = '$argon2i$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g';
const LINE_7 = /^\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/;

const scratch = useScratch();

const text = (file = scratch.pwfile) => readFileSync(file, 'latin1');
const mode = (file = scratch.pwfile) => statSync(file).mode & 0o7777;

describe('mqtt passwd: creating and updating', () => {
  it('-c -b creates a 0600 file with one $7$ line that --check accepts', async () => {
    const r = await runMqtt(['passwd', '-c', '-b', scratch.pwfile, 'alice', 'password']);
    expect([r.code, r.stderr, r.stdout.length]).toEqual([0, '', 0]);
    expect(mode()).toBe(0o600);
    const [user, field] = text().replace(/\n$/, '').split(':') as [string, string];
    expect(user).toBe('alice');
    expect(field).toMatch(LINE_7);
    expect(await verifiesWith(scratch.pwfile, 'alice', 'password')).toBe(true);
    expect((await runMqtt(['passwd', '--check', '-b', scratch.pwfile, 'alice', 'password'])).code).toBe(0);
  });

  it('--check: 2 and one line for a wrong password, 3 for an unknown user', async () => {
    await runMqtt(['passwd', '-c', '-b', scratch.pwfile, 'alice', 'password']);
    const wrong = await runMqtt(['passwd', '--check', '-b', scratch.pwfile, 'alice', 'nope']);
    expect([wrong.code, wrong.stderr]).toEqual([2, 'Error: Wrong password for user alice.\n']);
    const unknown = await runMqtt(['passwd', '--check', '-b', scratch.pwfile, 'zoe', 'x']);
    expect([unknown.code, unknown.stderr]).toEqual([3, 'Warning: User zoe not found in password file.\n']);
    const prompted = await runMqtt(['passwd', '--check', scratch.pwfile, 'alice'], { input: 'password\n' });
    expect([prompted.code, prompted.stderr]).toEqual([0, 'Password: \n']);
  });

  it('prompts Password: / Reenter password: on stderr and reads them from a non-terminal stdin', async () => {
    const r = await runMqtt(['passwd', '-c', scratch.pwfile, 'bob'], { input: 'pa ss\npa ss\n' });
    expect([r.code, r.stderr, r.stdout.length]).toEqual([0, 'Password: \nReenter password: \n', 0]);
    expect(await verifiesWith(scratch.pwfile, 'bob', 'pa ss')).toBe(true);
  });

  it('updates a user in place and appends a new one, every other byte kept (comments, blank lines, CRLF)', async () => {
    const before = `# managed by hand\r\nalice:${H6}\r\n\r\nbob:old\r\n  # indented comment\r\ncarol:${H6}`;
    writeFileSync(scratch.pwfile, before, 'latin1');
    chmodSync(scratch.pwfile, 0o640);
    expect((await runMqtt(['passwd', '-b', scratch.pwfile, 'bob', 'new'])).code).toBe(0);
    expect((await runMqtt(['passwd', '-b', scratch.pwfile, 'dave', 'd'])).code).toBe(0);
    const lines = text().split('\r\n');
    expect(lines).toHaveLength(8);
    expect(lines[3]).toMatch(/^bob:\$7\$101\$/);
    expect(lines[6]).toMatch(/^dave:\$7\$101\$/);
    expect(lines[7]).toBe('');
    expect([lines[0], lines[1], lines[2], lines[4], lines[5]].join('\r\n')).toBe(`# managed by hand\r\nalice:${H6}\r\n\r\n  # indented comment\r\ncarol:${H6}`);
    expect(mode()).toBe(0o640);
    expect(await verifiesWith(scratch.pwfile, 'bob', 'new')).toBe(true);
    expect(await verifiesWith(scratch.pwfile, 'dave', 'd')).toBe(true);
  });

  it('-c replaces an existing file with just the one user, keeping its mode', async () => {
    writeFileSync(scratch.pwfile, `alice:${H6}\nbob:${H6}\n`);
    chmodSync(scratch.pwfile, 0o640);
    expect((await runMqtt(['passwd', '-c', '-b', scratch.pwfile, 'carol', 'c'])).code).toBe(0);
    expect(text()).toMatch(/^carol:\$7\$[^\n]+\n$/);
    expect(mode()).toBe(0o640);
  });

  it('-D deletes the user and nothing else', async () => {
    writeFileSync(scratch.pwfile, `alice:${H6}\n# x\nbob:${H6}\n`);
    expect((await runMqtt(['passwd', '-D', scratch.pwfile, 'alice'])).code).toBe(0);
    expect(text()).toBe(`# x\nbob:${H6}\n`);
  });

  it('-H, -I, --compat 2.1 and --salt-bytes choose the line written', async () => {
    const line = async (...args: string[]) => (await runMqtt(['passwd', ...args, '-c', '-b', '-', 'u', 'p'])).stdout.toString();
    expect(await line('-H', 'sha512')).toMatch(/^u:\$6\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==\n$/);
    expect(await line('-I', '5000')).toMatch(/^u:\$7\$5000\$[A-Za-z0-9+/]{16}\$/);
    // mosquitto_passwd 2.1's default: argon2id, t=1, m=47104 KiB, p=1, 64-byte salt and hash
    const ARGON2_21 = /^u:\$argon2id\$v=19\$m=47104,t=1,p=1\$[A-Za-z0-9+/]{86}\$[A-Za-z0-9+/]{86}\n$/;
    expect(await line('--compat', '2.1')).toMatch(ARGON2_21);
    expect(await line('-H', 'argon2id')).toMatch(ARGON2_21);
    expect(await line('--compat', '2.1', '-H', 'sha512-pbkdf2')).toMatch(/^u:\$7\$1000\$[A-Za-z0-9+/]{86}==\$[A-Za-z0-9+/]{86}==\n$/);
    expect(await line('--compat', '2.0')).toMatch(/^u:\$7\$101\$[A-Za-z0-9+/]{16}\$/);
    expect(await line('--salt-bytes', '64', '-I', '101')).toMatch(/^u:\$7\$101\$[A-Za-z0-9+/]{86}==\$/);
  });

  it('--stdout prints the updated file and leaves it alone; -c - prints one line and creates nothing', async () => {
    writeFileSync(scratch.pwfile, `alice:${H6}\n`);
    const before = snapshot(scratch.pwfile);
    const r = await runMqtt(['passwd', '--stdout', '-b', scratch.pwfile, 'bob', 'b']);
    expect(r.code).toBe(0);
    const [first, second, end] = r.stdout.toString().split('\n');
    expect([first, end]).toEqual([`alice:${H6}`, '']);
    expect(second).toMatch(/^bob:\$7\$101\$/);
    expectUnchanged(scratch.pwfile, before);
    const dash = await runMqtt(['passwd', '-c', '-b', '-', 'eve', 'e'], { cwd: scratch.dir });
    expect(dash.code).toBe(0);
    expect(dash.stdout.toString()).toMatch(/^eve:\$7\$101\$[^\n]+\n$/);
    expect(existsSync(scratch.file('-'))).toBe(false);
  });

  it('-b takes a password that starts with a dash, as mosquitto_passwd does', async () => {
    expect((await runMqtt(['passwd', '-c', '-b', scratch.pwfile, 'u', '-secret'])).code).toBe(0);
    expect(await verifiesWith(scratch.pwfile, 'u', '-secret')).toBe(true);
  });

  it('-U hashes plain-text lines; run twice, the second run changes no byte', async () => {
    writeFileSync(scratch.pwfile, `# plain\r\nalice:one\r\nbob:${H6}\r\ncarol: two \r\n`);
    expect((await runMqtt(['passwd', '-U', scratch.pwfile])).code).toBe(0);
    const once = readFileSync(scratch.pwfile);
    const lines = once.toString().split('\r\n');
    expect(lines).toHaveLength(5);
    expect([lines[0], lines[2], lines[4]]).toEqual(['# plain', `bob:${H6}`, '']);
    expect(lines[1]).toMatch(/^alice:\$7\$101\$[^\n]+$/);
    expect(lines[3]).toMatch(/^carol:\$7\$101\$[^\n]+$/);
    expect(await verifiesWith(scratch.pwfile, 'alice', 'one')).toBe(true);
    expect(await verifiesWith(scratch.pwfile, 'carol', 'two')).toBe(true);
    expect((await runMqtt(['passwd', '-U', scratch.pwfile])).code).toBe(0);
    expect(readFileSync(scratch.pwfile).equals(once)).toBe(true);
  });

  it('reports an $argon2i$ line by number, keeps it, and --check says it cannot verify it', async () => {
    writeFileSync(scratch.pwfile, `alice:${H6}\n# not a hash Mosquitto writes\ncarol:${ARGON}\n`);
    const r = await runMqtt(['passwd', '-b', scratch.pwfile, 'bob', 'b']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('Warning: line 3: user carol has an unsupported $argon2i$ hash; kept as it is.\n');
    expect(text()).toContain(`\ncarol:${ARGON}\nbob:$7$`);
    const check = await runMqtt(['passwd', '--check', '-b', scratch.pwfile, 'carol', 'x']);
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/^Error: User carol has a \$argon2i\$ hash, which neither mqtt nor Mosquitto can verify\.\n$/);
  });

  it('with no arguments prints the usage on stderr and exits 1, like mosquitto_passwd', async () => {
    const r = await runMqtt(['passwd']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Usage: mqtt passwd /);
    expect(r.stdout.length).toBe(0);
  });
});
