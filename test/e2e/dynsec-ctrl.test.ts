/**
 * `mqtt ctrl` against a real Mosquitto with its dynamic security plugin and against our broker:
 * the same output as mosquitto_ctrl for the same words, an init file Mosquitto loads, and
 * mosquitto_ctrl's argument errors.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startBrokerProcess } from '../helpers/broker-process.js';
import { runCmd, runMqtt, type RunResult } from '../helpers/cli.js';
import { DYNSEC_SCRIPT, dynsecPlugin } from '../helpers/dynsec.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';

const PLUGIN = dynsecPlugin();
const scratch = mkdtempSync(path.join(tmpdir(), 'mqtt-ctrl-'));
chmodSync(scratch, 0o755);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** No defaults file from this machine: ~/.config/mosquitto_ctrl or mqtt/ctrl. */
const ENV = { XDG_CONFIG_HOME: scratch, HOME: scratch };
const at = (port: number) => ['-h', '127.0.0.1', '-p', String(port), '-u', 'admin', '-P', 'adminpw'];

function ours(args: string[], input = ''): Promise<RunResult> {
  return runMqtt(['ctrl', ...args], { env: ENV, input });
}
function theirs(args: string[], input = ''): Promise<RunResult> {
  return runCmd('mosquitto_ctrl', args, { env: ENV, input });
}

/** Output to compare: the program's name in the warning is its own. */
const shown = (r: RunResult) => ({ stdout: r.stdout.toString(), stderr: r.stderr.replace('running mqtt ctrl', 'running mosquitto_ctrl') });

const withPlugin = (file: string) => (port: number) => ['user root', `listener ${port} 127.0.0.1`, `plugin ${PLUGIN}`, `plugin_opt_config_file ${file}`];

describeIfTool(['mosquitto', 'mosquitto_ctrl'], 'mqtt ctrl and mosquitto_ctrl', () => {
  it('dynsec init writes the file mosquitto_ctrl writes (salt and hash aside), mode 0600, never over an existing one', async () => {
    const mine = path.join(scratch, 'init-ours.json');
    const reference = path.join(scratch, 'init-theirs.json');
    const a = await ours(['dynsec', 'init', mine, 'admin', 'adminpw']);
    const b = await theirs(['dynsec', 'init', reference, 'admin', 'adminpw']);
    expect(a.code).toBe(0);
    expect(a.stdout.toString()).toBe(b.stdout.toString().replaceAll('mosquitto_ctrl <connect', 'mqtt ctrl <connect').replace(reference, mine));
    const strip = (f: string) => readFileSync(f, 'utf8').replace(/"(password|salt)":\t"[^"]*"/g, '"$1":""');
    expect(strip(mine)).toBe(strip(reference));
    expect((await import('node:fs')).statSync(mine).mode & 0o777).toBe(0o600);
    const again = await ours(['dynsec', 'init', mine, 'admin', 'x']);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`dynsec init: '${mine}' already exists. Remove the file or use a different location..\n`);
  });

  it('against Mosquitto with its plugin, every command prints what mosquitto_ctrl prints', async () => {
    if (!PLUGIN) return;
    const fileA = path.join(scratch, 'mosq-a.json');
    const fileB = path.join(scratch, 'mosq-b.json');
    // the file mqtt ctrl made is the one Mosquitto runs on, so it loads there too
    expect((await ours(['dynsec', 'init', fileA, 'admin', 'adminpw'])).code).toBe(0);
    expect((await theirs(['dynsec', 'init', fileB, 'admin', 'adminpw'])).code).toBe(0);
    chmodSync(fileA, 0o644);
    chmodSync(fileB, 0o644);
    const a: Mosquitto = await startMosquitto({ listenerConfig: withPlugin(fileA) });
    const b: Mosquitto = await startMosquitto({ listenerConfig: withPlugin(fileB) });
    try {
      for (const words of DYNSEC_SCRIPT) {
        const [x, y] = await Promise.all([ours([...at(a.port), 'dynsec', ...words]), theirs([...at(b.port), 'dynsec', ...words])]);
        expect(shown(x), words.join(' ')).toEqual(shown(y));
        // [extra] an error answer is exit 1 here, 0 from mosquitto_ctrl
        expect(x.code, words.join(' ')).toBe(y.stderr.includes(': Error: ') ? 1 : 0);
      }
      // mosquitto_ctrl 2.0.11's setDefaultACLAccess has no effect (it sends "access", the plugin reads "allow"); ours does
      expect((await ours([...at(a.port), 'dynsec', 'setDefaultACLAccess', 'publishClientSend', 'allow'])).code).toBe(0);
      expect((await ours([...at(a.port), 'dynsec', 'getDefaultACLAccess'])).stdout.toString()).toMatch(/^publishClientSend {4}: allow$/m);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  }, 120_000);

  it('against mqtt broker too, passwords asked for on stdin as mosquitto_ctrl asks', async () => {
    const file = path.join(scratch, 'ours-broker.json');
    expect((await ours(['dynsec', 'init', file, 'admin', 'adminpw'])).code).toBe(0);
    const broker = await startBrokerProcess((_dir, port) => [`listener ${port} 127.0.0.1`, 'plugin /x/mosquitto_dynamic_security.so', `plugin_opt_config_file ${file}`]);
    try {
      const base = ['-h', '127.0.0.1', '-p', String(broker.port), '-u', 'admin'];
      // -u without -P: the admin password, then createClient's new password twice
      const created = await ours([...base, 'dynsec', 'createClient', 'carol'], 'carolpw\ncarolpw\nadminpw\n');
      expect(created.code, created.stderr).toBe(0);
      expect(created.stdout.toString()).toBe(
        'Enter new password for carol. Press return for no password (user will be unable to login).\nNew password for carol: \nReenter password for carol: \nPassword for admin: \n',
      );
      const list = await ours([...at(broker.port), 'dynsec', 'listClients']);
      expect(list.stdout.toString()).toBe('admin\ncarol\n');
      // -o: options from a file, applied where -o stands (the -p after it wins)
      const options = path.join(scratch, 'ctrl-options');
      writeFileSync(options, `-h 127.0.0.1\n-p 1\n-u admin\n-P adminpw\n`);
      const viaFile = await ours(['-o', options, '-p', String(broker.port), 'dynsec', 'getClient', 'carol']);
      // empty role and group lists print nothing, as in mosquitto_ctrl
      expect(viaFile.stdout.toString()).toBe('Username: carol\nClientid:\n');
      // [extra] mqtt --profile NAME ctrl: $XDG_CONFIG_HOME/mqtt/profiles/NAME, private since it holds a password
      mkdirSync(path.join(scratch, 'mqtt', 'profiles'), { recursive: true });
      writeFileSync(path.join(scratch, 'mqtt', 'profiles', 'lab'), `-h 127.0.0.1\n-p ${broker.port}\n-u admin\n-P adminpw\n`, { mode: 0o600 });
      const viaProfile = await runMqtt(['--profile', 'lab', 'ctrl', 'dynsec', 'listClients'], { env: ENV });
      expect(viaProfile.stdout.toString()).toBe('admin\ncarol\n');
      const noFile = await ours(['-o', path.join(scratch, 'nope'), 'dynsec', 'listClients']);
      expect([noFile.code, noFile.stderr]).toEqual([1, `Error: Unable to open options file "${path.join(scratch, 'nope')}": no such file.\n`]);
      const login = await runMqtt(['pub', '-h', '127.0.0.1', '-p', String(broker.port), '-u', 'carol', '-P', 'carolpw', '-t', 't', '-m', 'x', '-V', '5']);
      // carol logs in; with no ACL her publish is refused by the default access, not her password
      expect(login.stderr).not.toMatch(/Connection error/);
      const mismatch = await ours([...at(broker.port), 'dynsec', 'setClientPassword', 'carol'], 'one\ntwo\n');
      expect(mismatch.code).toBe(1);
      expect(mismatch.stderr).toBe('Error: Passwords do not match.\n');
    } finally {
      await broker.stop();
    }
  });

  it("mosquitto_ctrl's argument errors, words and status", async () => {
    const cases: Array<[string[], number, string, string]> = [
      [['dynsec'], 1, 'stdout', 'General usage: mqtt ctrl'],
      [['other', 'x'], 10, 'stderr', "Error: Module 'other' not supported.\n"],
      [['dynsec', 'frob'], 13, 'stderr', "Command 'frob' not recognised.\n"],
      [['dynsec', 'addRoleACL', 'r', 'badType', 't', 'allow'], 3, 'stderr', 'Error: Invalid function arguments provided.\n'],
      [['dynsec', 'createClient', 'u', '-p'], 3, 'stderr', 'Error: -p argument given, but no password provided.\n'],
      [['dynsec', 'init', 'f'], 3, 'stderr', 'dynsec init: Not enough arguments - filename, or admin-user missing.\n'],
      [['dynsec', 'help'], 0, 'stdout', 'Dynamic Security module'],
    ];
    for (const [args, code, stream, text] of cases) {
      const r = await ours(args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(stream === 'stdout' ? r.stdout.toString() : r.stderr, args.join(' ')).toContain(text);
    }
  });
});
