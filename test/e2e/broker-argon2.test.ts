import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMqtt } from '../helpers/cli.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { useScratch, verifiesWith } from '../helpers/passwd-files.js';

// written by libargon2 with Mosquitto 2.1's parameters (see test/unit/argon2.test.ts), password "password"
const LINE_21 = '$argon2id$v=19$m=47104,t=1,p=1$AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw$'
  + 'PSgS0SQP11eYoUs34zQi0HsTw/P8awxX8kf+94qyd5CziAe0af6Lr3RwOmKNdcSYBa6ZJpy4awdqw2JKUW7u4Q';
const ARGON2_21 = /^\$argon2id\$v=19\$m=47104,t=1,p=1\$[A-Za-z0-9+/]{86}\$[A-Za-z0-9+/]{86}$/;

describe('mqtt passwd: argon2id (Mosquitto 2.1)', () => {
  const scratch = useScratch();
  const field = (user: string) => readFileSync(scratch.pwfile, 'latin1').split('\n').find((l) => l.startsWith(`${user}:`))?.slice(user.length + 1);

  it('-H argon2id writes a 2.1 line that --check accepts, and refuses the wrong password', async () => {
    expect((await runMqtt(['passwd', '-H', 'argon2id', '-c', '-b', scratch.pwfile, 'alice', 's3cret'])).code).toBe(0);
    expect(field('alice')).toMatch(ARGON2_21);
    expect((await runMqtt(['passwd', '--check', '-b', scratch.pwfile, 'alice', 's3cret'])).code).toBe(0);
    const wrong = await runMqtt(['passwd', '--check', '-b', scratch.pwfile, 'alice', 'S3cret']);
    expect([wrong.code, wrong.stderr]).toEqual([2, 'Error: Wrong password for user alice.\n']);
  });

  it('--check verifies a line libargon2 wrote, and an update keeps that line byte for byte', async () => {
    writeFileSync(scratch.pwfile, `mosq21:${LINE_21}\n`, { mode: 0o600 });
    expect((await runMqtt(['passwd', '--check', '-b', scratch.pwfile, 'mosq21', 'password'])).code).toBe(0);
    const r = await runMqtt(['passwd', '--compat', '2.1', '-b', scratch.pwfile, 'bob', 'b']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(field('mosq21')).toBe(LINE_21);
    expect(field('bob')).toMatch(ARGON2_21);
    expect(await verifiesWith(scratch.pwfile, 'bob', 'b')).toBe(true);
  });

  it('--compat 2.1 -U hashes plain-text lines with argon2id', async () => {
    writeFileSync(scratch.pwfile, 'carol:plain\n', { mode: 0o600 });
    expect((await runMqtt(['passwd', '--compat', '2.1', '-U', scratch.pwfile])).code).toBe(0);
    expect(field('carol')).toMatch(ARGON2_21);
    expect(await verifiesWith(scratch.pwfile, 'carol', 'plain')).toBe(true);
  });

  it('-I and --salt-bytes are errors with argon2id, whose cost 2.1 fixes', async () => {
    for (const args of [['-H', 'argon2id', '-I', '5'], ['--compat', '2.1', '--salt-bytes', '12']]) {
      const r = await runMqtt(['passwd', ...args, '-c', '-b', scratch.pwfile, 'u', 'p']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^Error: (-I|--salt-bytes) applies to sha512-pbkdf2 only; /);
    }
  });

  it('a damaged argon2id line makes the file corrupt for an update, with the reason', async () => {
    writeFileSync(scratch.pwfile, `x:${LINE_21.replace('t=1', 't=0')}\n`, { mode: 0o600 });
    const r = await runMqtt(['passwd', '-b', scratch.pwfile, 'y', 'p']);
    expect([r.code, r.stderr]).toEqual([1, 'Error: Corrupt password file at line 1: t=0 is not from 1 to 64.\n']);
  });
});

describe('mqtt broker: argon2id users', () => {
  let broker: BrokerProcess;
  const pub = (user: string, password: string) =>
    runMqtt(['pub', '-p', String(broker.port), '-t', 'argon2/test', '-m', 'x', '-u', user, '-P', password]);

  beforeAll(async () => {
    broker = await startBrokerProcess((dir, port) => {
      const pwfile = path.join(dir, 'passwd');
      writeFileSync(pwfile, `mosq21:${LINE_21}\nbroken:${LINE_21.replace('v=19', 'v=16')}\n`, { mode: 0o600 });
      return [`listener ${port} 127.0.0.1`, 'allow_anonymous false', `password_file ${pwfile}`];
    });
    // mqtt passwd refuses to update a file with a broken line: write alice's elsewhere, then append
    const r = await runMqtt(['passwd', '-H', 'argon2id', '-c', '-b', '-', 'alice', 'alice-pw']);
    expect(r.code).toBe(0);
    appendFileSync(path.join(broker.dir, 'passwd'), r.stdout);
    broker.proc.kill('SIGHUP');
    await broker.proc.waitForStderr(/Reloaded password and ACL files/);
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('says why it drops a line it cannot use', () => {
    expect(broker.proc.stderr).toContain('Warning: Invalid password hash for user broken at');
    expect(broker.proc.stderr).toContain('(argon2 version 16 is not 19), removing entry.');
  });

  it.each([
    ['a line libargon2 wrote', 'mosq21', 'password'],
    ['a line mqtt passwd -H argon2id wrote, after SIGHUP', 'alice', 'alice-pw'],
  ])('authenticates %s', async (_, user, password) => {
    const r = await pub(user, password);
    expect([r.code, r.stderr]).toEqual([0, '']);
  });

  it('refuses a wrong password with CONNACK 5, and the argon2id user whose line it dropped', async () => {
    for (const [user, password] of [['mosq21', 'Password'], ['broken', 'password']] as const) {
      const r = await pub(user, password);
      expect(r.code).toBe(5);
    }
  });

  it('verifies several argon2id CONNECTs at once (one worker, in turn)', async () => {
    const results = await Promise.all([0, 1, 2, 3].map((i) => pub(i % 2 ? 'alice' : 'mosq21', i % 2 ? 'alice-pw' : 'password')));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
  });
});
