import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runMqtt, spawnMqtt } from '../helpers/cli.js';
import { startBrokerProcess } from '../helpers/broker-process.js';
import { H6 } from '../helpers/passwd-files.js';
import { freePort } from '../helpers/ports.js';

// Mosquitto 2.1 (libcommon mosquitto_fopen, restrict_read) logs this for password, ACL and
// dynamic-security files with any permission bit for others; we refuse a world-writable one.
const readable = (file: string) =>
  `Warning: File ${file} has world readable permissions. Future versions will refuse to load this file.\nTo fix this, use \`chmod 0700 ${file}\`.`;

describe('mqtt broker: permissions of password and ACL files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mqtt-perm-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const files = (pwMode: number, aclMode: number) => {
    const pw = path.join(dir, 'passwd');
    const acl = path.join(dir, 'acl');
    writeFileSync(pw, `alice:${H6}\n`);
    writeFileSync(acl, 'user alice\ntopic readwrite #\n');
    chmodSync(pw, pwMode);
    chmodSync(acl, aclMode);
    return { pw, acl };
  };

  it('warns with Mosquitto 2.1\'s words about files others may read, and says nothing for 0600', async () => {
    const { pw, acl } = files(0o644, 0o604);
    const broker = await startBrokerProcess((_d, port) => [`listener ${port} 127.0.0.1`, `password_file ${pw}`, `acl_file ${acl}`]);
    try {
      expect(broker.proc.stderr).toContain(`: ${readable(pw)}\n`);
      expect(broker.proc.stderr).toContain(`: ${readable(acl)}\n`);
      const r = await runMqtt(['pub', '-p', String(broker.port), '-u', 'alice', '-P', 'password', '-t', 't', '-m', 'm']);
      expect(r.code).toBe(0);
      chmodSync(pw, 0o600);
      chmodSync(acl, 0o600);
      const before = broker.proc.stderr.length;
      broker.proc.kill('SIGHUP');
      await broker.proc.waitForStderr(/Reloaded password and ACL files/);
      expect(broker.proc.stderr.slice(before)).not.toContain('world readable');
    } finally {
      await broker.stop();
    }
  });

  it.each([
    ['password_file', 0o666, 0o600],
    ['acl_file', 0o600, 0o602],
  ])('refuses to start with a world-writable %s (exit 3, the file named)', async (which, pwMode, aclMode) => {
    const { pw, acl } = files(pwMode, aclMode);
    const conf = path.join(dir, 'broker.conf');
    writeFileSync(conf, [`listener ${await freePort()} 127.0.0.1`, `password_file ${pw}`, `acl_file ${acl}`].join('\n') + '\n');
    const r = await runMqtt(['broker', '-c', conf]);
    const file = which === 'password_file' ? pw : acl;
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`Error: File ${file} is world writable, so anyone could change who may connect: refusing to load it.`);
  });

  it('the dynamic security file too: a warning when others may read it, refused when they may write it', async () => {
    const file = path.join(dir, 'dynsec.json');
    expect((await runMqtt(['ctrl', 'dynsec', 'init', file, 'admin', 'admin-pw'])).code).toBe(0);
    const conf = path.join(dir, 'broker.conf');
    writeFileSync(conf, [`listener ${await freePort()} 127.0.0.1`, 'plugin /usr/lib/mosquitto_dynamic_security.so', `plugin_opt_config_file ${file}`].join('\n') + '\n');
    chmodSync(file, 0o644);
    const broker = spawnMqtt(['broker', '-c', conf]);
    try {
      await broker.waitForStderr(/ running\n/);
      expect(broker.stderr).toContain(`: ${readable(file)}\n`);
    } finally {
      broker.kill('SIGTERM');
      await broker.done;
    }
    chmodSync(file, 0o646);
    const refused = await runMqtt(['broker', '-c', conf]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`File ${file} is world writable, so anyone could change who may connect: refusing to load it.`);
  });

  it('keeps the users it had when a reload finds the password file world-writable', async () => {
    const { pw, acl } = files(0o600, 0o600);
    const broker = await startBrokerProcess((_d, port) => [`listener ${port} 127.0.0.1`, `password_file ${pw}`, `acl_file ${acl}`]);
    try {
      writeFileSync(pw, `alice:${H6}\nmallory:${H6}\n`);
      chmodSync(pw, 0o666);
      broker.proc.kill('SIGHUP');
      await broker.proc.waitForStderr(/reload failed: Error: File .* is world writable/);
      const pub = (user: string) => runMqtt(['pub', '-p', String(broker.port), '-u', user, '-P', 'password', '-t', 't', '-m', 'm']);
      expect((await pub('mallory')).code).toBe(5);
      expect((await pub('alice')).code).toBe(0);
    } finally {
      await broker.stop();
    }
  });
});
