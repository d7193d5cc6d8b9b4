import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chownSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { runCmd, runMqtt, type RunResult } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';
import { useScratch, verifiesWith } from '../helpers/passwd-files.js';

const REFUSED = 'Connection error: Connection Refused: not authorised.';

/**
 * Mosquitto started as root drops to the `mosquitto` user before reading password_file, so (as an
 * admin would) the 0600 file is given to that user; returns its uid, or undefined when not root.
 */
function handToBrokerUser(file: string): number | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'mosquitto']).toString());
  const gid = Number(execFileSync('id', ['-g', 'mosquitto']).toString());
  chownSync(file, uid, gid);
  return uid;
}

async function mqttPasswd(args: string[], input?: string): Promise<void> {
  const r = await runMqtt(['passwd', ...args], input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`mqtt passwd ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
}

async function mosquittoPasswd(args: string[]): Promise<void> {
  const r = await runCmd('mosquitto_passwd', args);
  if (r.code !== 0) throw new Error(`mosquitto_passwd ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
}

describeIfTool(['mosquitto', 'mosquitto_pub', 'mosquitto_sub'], 'a Mosquitto broker reads files written by mqtt passwd', () => {
  const scratch = useScratch('all');
  let pwfile: string;
  let broker: Mosquitto;
  let brokerUid: number | undefined;
  const pub = (user: string | undefined, password: string | undefined, ...extra: string[]): Promise<RunResult> =>
    runCmd('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(broker.port), '-t', 'passwd/test', '-m', 'hello', ...(user ? ['-u', user] : []), ...(password ? ['-P', password] : []), ...extra]);

  beforeAll(async () => {
    pwfile = scratch.pwfile;
    await mqttPasswd(['-c', '-b', pwfile, 'alice', 'alice-pw']);
    await mqttPasswd(['-H', 'sha512', '-b', pwfile, 'bob', 'bob-pw']);
    await mqttPasswd(['-I', '1000', '-b', pwfile, 'carol', 'carol-pw']);
    await mqttPasswd([pwfile, 'erin'], 'erin pw\nerin pw\n');
    await mqttPasswd(['--compat', '2.1', '-b', pwfile, 'frank', 'frank-pw']);
    // a plain-text line turned into a hash by -U, after a comment and a CRLF line
    writeFileSync(pwfile, `${readFileSync(pwfile, 'latin1')}# plain text below\r\ndave:dave-pw\r\n`, 'latin1');
    await mqttPasswd(['-U', pwfile]);
    brokerUid = handToBrokerUser(pwfile);
    broker = await startMosquitto({
      listenerConfig: (port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous false', `password_file ${pwfile}`],
    });
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it.each([
    ['alice', 'alice-pw', '$7$ default'],
    ['bob', 'bob-pw', '-H sha512'],
    ['carol', 'carol-pw', '-I 1000'],
    ['dave', 'dave-pw', '-U of a plain-text CRLF line'],
    ['erin', 'erin pw', 'typed at the prompts'],
  ])('mosquitto_pub authenticates as %s (%s)', async (user, password) => {
    const r = await pub(user, password);
    expect([r.code, r.stderr]).toEqual([0, '']);
  });

  it.each([
    ['a wrong password', 'alice', 'wrong'],
    ['an unknown user', 'zoe', 'alice-pw'],
    ['no credentials', undefined, undefined],
    ['a --compat 2.1 line (argon2id, which 2.0 brokers reject)', 'frank', 'frank-pw'],
  ])('refuses %s with CONNACK 5 (exit 5)', async (_, user, password) => {
    const r = await pub(user, password);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(REFUSED);
  });

  it('mosquitto_sub authenticates and receives a retained message', async () => {
    expect((await pub('alice', 'alice-pw', '-r', '-q', '1')).code).toBe(0);
    const r = await runCmd('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(broker.port), '-u', 'carol', '-P', 'carol-pw', '-t', 'passwd/test', '-C', '1', '-W', '10']);
    expect([r.code, r.stdout.toString()]).toEqual([0, 'hello\n']);
  });

  it('after an update and SIGHUP the broker takes the new password and refuses the old one', async () => {
    await mqttPasswd(['-b', pwfile, 'alice', 'alice-new']);
    // root updated it, yet it must stay the broker's, or the reload could not read it
    if (brokerUid !== undefined) expect(statSync(pwfile).uid).toBe(brokerUid);
    const reloads = broker.log().split('Reloading config.').length; // occurrences + 1
    broker.proc.kill('SIGHUP');
    await broker.waitForLog(new RegExp(`(?:Reloading config\\.[\\s\\S]*){${reloads}}`));
    expect((await pub('alice', 'alice-new')).code).toBe(0);
    expect((await pub('alice', 'alice-pw')).code).toBe(5);
    expect((await pub('bob', 'bob-pw')).code).toBe(0);
  });
});

describeIfTool(['mosquitto_passwd'], 'files written by mosquitto_passwd verify with our module', () => {
  const scratch = useScratch('all');
  let pwfile: string;

  beforeAll(async () => {
    pwfile = scratch.pwfile;
    await mosquittoPasswd(['-c', '-b', pwfile, 'pbkdf2', 'pw-one']);
    await mosquittoPasswd(['-H', 'sha512-pbkdf2', '-b', pwfile, 'explicit', 'pw-two']);
    await mosquittoPasswd(['-H', 'sha512', '-b', pwfile, 'sha512', 'pw-three']);
    await mosquittoPasswd(['-I', '5000', '-b', pwfile, 'iter5000', 'pw-four']);
  });

  it.each([
    ['pbkdf2', 'pw-one', /^\$7\$101\$/],
    ['explicit', 'pw-two', /^\$7\$101\$/],
    ['sha512', 'pw-three', /^\$6\$/],
    ['iter5000', 'pw-four', /^\$7\$5000\$/],
  ])('%s verifies in-process and with mqtt passwd --check', async (user, password, shape) => {
    expect(readFileSync(pwfile, 'utf8')).toMatch(new RegExp(`^${user}:${shape.source.slice(1)}`, 'm'));
    expect(await verifiesWith(pwfile, user, password)).toBe(true);
    expect(await verifiesWith(pwfile, user, `${password}x`)).toBe(false);
    expect((await runMqtt(['passwd', '--check', '-b', pwfile, user, password])).code).toBe(0);
    expect((await runMqtt(['passwd', '--check', '-b', pwfile, user, 'nope'])).code).toBe(2);
  });

  it('a plain-text file hashed by mosquitto_passwd -U verifies', async () => {
    const plain = scratch.file('plain');
    writeFileSync(plain, 'u1:first\nu2:second\n');
    await mosquittoPasswd(['-U', plain]);
    expect(await verifiesWith(plain, 'u1', 'first')).toBe(true);
    expect(await verifiesWith(plain, 'u2', 'second')).toBe(true);
  });

  it('mosquitto_passwd goes on editing a file after mqtt passwd changed it, and our lines survive', async () => {
    await mqttPasswd(['-b', pwfile, 'ours', 'our-pw']);
    const ourLine = readFileSync(pwfile, 'utf8').split('\n').find((l) => l.startsWith('ours:'));
    await mosquittoPasswd(['-b', pwfile, 'theirs', 'their-pw']);
    await mosquittoPasswd(['-D', pwfile, 'explicit']);
    const lines = readFileSync(pwfile, 'utf8').split('\n');
    expect(lines).toContain(ourLine);
    expect(await verifiesWith(pwfile, 'ours', 'our-pw')).toBe(true);
    expect(await verifiesWith(pwfile, 'theirs', 'their-pw')).toBe(true);
  });
});
