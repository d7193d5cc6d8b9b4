/**
 * Mosquitto's dynamic security plugin served by `mqtt broker`, against real Mosquitto tools: a
 * file made by `mosquitto_ctrl dynsec init` loads, `mosquitto_ctrl` manages it over the
 * $CONTROL API with the same output as against Mosquitto with the real plugin, changes reach
 * connected clients at once, and the file we write loads in Mosquitto.
 */
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RawClient } from '../helpers/broker.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { runCmd, runMqtt } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import { DYNSEC_SCRIPT as SCRIPT, dynsecPlugin } from '../helpers/dynsec.js';

const PLUGIN = dynsecPlugin();
const scratch = mkdtempSync(path.join(tmpdir(), 'mqtt-dynsec-'));
chmodSync(scratch, 0o755);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const ADMIN = ['-u', 'admin', '-P', 'adminpw'];

/** `mosquitto_ctrl -h 127.0.0.1 -p PORT -u admin -P adminpw dynsec ARGS`: stdout and exit code. */
async function ctrl(port: number, args: string[]): Promise<{ code: number | null; out: string }> {
  const r = await runCmd('mosquitto_ctrl', ['-h', '127.0.0.1', '-p', String(port), ...ADMIN, 'dynsec', ...args]);
  return { code: r.code, out: r.stdout.toString() };
}

/** Sends commands on $CONTROL/dynamic-security/v1 as admin; resolves with the parsed response. */
async function control(port: number, commands: object[]): Promise<unknown> {
  const admin = await RawClient.connect(port, 4);
  try {
    await admin.handshake({ username: 'admin', password: Buffer.from('adminpw') });
    admin.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$CONTROL/dynamic-security/v1/response', qos: 0 }] } as never);
    await admin.next('suback');
    admin.send({ cmd: 'publish', topic: '$CONTROL/dynamic-security/v1', payload: Buffer.from(JSON.stringify({ commands })), qos: 0 } as never);
    return JSON.parse((await admin.next('publish')).payload.toString());
  } finally {
    admin.end();
  }
}

/** An init file as mosquitto_ctrl writes it, for admin/adminpw. */
async function initFile(name: string): Promise<string> {
  const file = path.join(scratch, name);
  const r = await runCmd('mosquitto_ctrl', ['dynsec', 'init', file, 'admin', 'adminpw']);
  expect(r.code, r.stderr).toBe(0);
  chmodSync(file, 0o644);
  return file;
}

const brokerWith = (file: string): Promise<BrokerProcess> =>
  startBrokerProcess((_dir, port) => [
    `listener ${port} 127.0.0.1`,
    `plugin ${PLUGIN ?? '/usr/lib/mosquitto_dynamic_security.so'}`,
    `plugin_opt_config_file ${file}`,
    'log_type notice',
    // "running", which startBrokerProcess waits for, is an information line (as in Mosquitto)
    'log_type information',
  ]);

describeIfTool(['mosquitto', 'mosquitto_ctrl'], 'dynamic security: mqtt broker with mosquitto_ctrl', () => {
  let broker: BrokerProcess;
  let file: string;
  const ours: string[] = [];

  beforeAll(async () => {
    file = await initFile('ours.json');
    broker = await brokerWith(file);
    for (const args of SCRIPT) {
      const r = await ctrl(broker.port, args);
      ours.push(`${args.join(' ')} -> ${r.code}\n${r.out}`);
    }
  }, 60_000);
  afterAll(async () => broker?.stop());

  it('mosquitto_ctrl says the same against mqtt broker as against Mosquitto with its plugin', async () => {
    if (!PLUGIN) return;
    const theirsFile = await initFile('theirs.json');
    const mosq: Mosquitto = await startMosquitto({
      listenerConfig: (port) => ['user root', `listener ${port} 127.0.0.1`, `plugin ${PLUGIN}`, `plugin_opt_config_file ${theirsFile}`],
    });
    const theirs: string[] = [];
    try {
      for (const args of SCRIPT) {
        const r = await ctrl(mosq.port, args);
        theirs.push(`${args.join(' ')} -> ${r.code}\n${r.out}`);
      }
    } finally {
      await mosq.stop();
    }
    expect(ours).toEqual(theirs);
    // and both files hold the same, salts and hashes aside
    const strip = (f: string) => readFileSync(f, 'utf8').replace(/"(password|salt)":\t"[^"]*"/g, '"$1":""');
    expect(strip(file)).toBe(strip(theirsFile));
  }, 60_000);

  it('authenticates with the file, and applies ACLs by role and group priority', async () => {
    // [MQTT-3.1.4-2]-style refusal: wrong password, wrong client id, unknown user
    const bad = await runMqtt(['pub', '-h', '127.0.0.1', '-p', String(broker.port), '-u', 'alice', '-P', 'wrong', '-i', 'alice-id', '-t', 'x', '-m', 'x']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/not authori[sz]ed/i);
    const wrongId = await runMqtt(['pub', '-h', '127.0.0.1', '-p', String(broker.port), '-u', 'alice', '-P', 'secret', '-i', 'other', '-t', 'x', '-m', 'x']);
    expect(wrongId.code).not.toBe(0);

    const alice = await RawClient.connect(broker.port, 5);
    expect((await alice.handshake({ clientId: 'alice-id', username: 'alice', password: Buffer.from('secret') })).reasonCode).toBe(0);
    alice.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'sensors/#', qos: 0 }, { topic: 'other/#', qos: 0 }] } as never);
    // subscribePattern grants sensors/#; other/# falls to the default, which is deny
    expect((await alice.next('suback')).granted).toEqual([0, 0x87]);

    const bob = await RawClient.connect(broker.port, 5);
    expect((await bob.handshake({ username: 'bob', password: Buffer.from('bobpw') })).reasonCode).toBe(0);
    bob.send({ cmd: 'publish', topic: 'sensors/secret', payload: Buffer.from('s'), qos: 1, messageId: 1 } as never);
    bob.send({ cmd: 'publish', topic: 'sensors/a/b', payload: Buffer.from('deep'), qos: 1, messageId: 2 } as never);
    bob.send({ cmd: 'publish', topic: 'sensors/t', payload: Buffer.from('t'), qos: 1, messageId: 3 } as never);
    const acks = [await bob.next('puback'), await bob.next('puback'), await bob.next('puback')];
    // sensors/+ does not cover sensors/a/b: 0x87; the other two are accepted
    expect(acks.map((a) => a.reasonCode ?? 0)).toEqual([0, 0x87, 0]);
    // the deny for sensors/secret has the higher priority: only sensors/t reaches alice
    const got = await alice.next('publish');
    expect(got.topic).toBe('sensors/t');
    alice.end();
    bob.end();
  });

  it('disabling a connected client disconnects it at once (v5: 0x98), and it cannot come back', async () => {
    const alice = await RawClient.connect(broker.port, 5);
    expect((await alice.handshake({ clientId: 'alice-id', username: 'alice', password: Buffer.from('secret') })).reasonCode).toBe(0);
    expect((await ctrl(broker.port, ['disableClient', 'alice'])).code).toBe(0);
    expect((await alice.next('disconnect')).reasonCode).toBe(0x98);
    await alice.waitClosed();
    const again = await RawClient.connect(broker.port, 5);
    expect((await again.handshake({ clientId: 'alice-id', username: 'alice', password: Buffer.from('secret') })).reasonCode).toBe(0x87);
    again.end();
    expect((await ctrl(broker.port, ['enableClient', 'alice'])).code).toBe(0);
    const back = await RawClient.connect(broker.port, 4);
    expect((await back.handshake({ clientId: 'alice-id', username: 'alice', password: Buffer.from('secret') })).returnCode).toBe(0);
    back.end();
  });

  it('ACL changes reach connected clients: a removed ACL kicks its holders, a default-access change stops the next delivery', async () => {
    const alice = await RawClient.connect(broker.port, 4);
    await alice.handshake({ clientId: 'alice-id', username: 'alice', password: Buffer.from('secret') });
    alice.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'sensors/#', qos: 0 }] } as never);
    await alice.next('suback');
    expect((await ctrl(broker.port, ['removeRoleACL', 'reader', 'publishClientReceive', 'sensors/#'])).code).toBe(0);
    await alice.waitClosed();

    const back = await RawClient.connect(broker.port, 4);
    await back.handshake({ clientId: 'alice-id', username: 'alice', password: Buffer.from('secret') });
    back.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'sensors/#', qos: 1 }] } as never);
    await back.next('suback');
    const bob = await RawClient.connect(broker.port, 4);
    await bob.handshake({ username: 'bob', password: Buffer.from('bobpw') });
    const publish = async (topic: string, id: number) => {
      bob.send({ cmd: 'publish', topic, payload: Buffer.from('1'), qos: 1, messageId: id } as never);
      await bob.next('puback');
    };
    // no ACL of alice's matches sensors/x now: the default access (allow, from the init file) decides
    await publish('sensors/x', 1);
    expect((await back.next('publish')).topic).toBe('sensors/x');
    // a default-access change disconnects nobody (as in Mosquitto) and applies to the next delivery.
    // (mosquitto_ctrl 2.0.11 sends {"access":"deny"}, which the plugin ignores: it reads "allow")
    expect(await control(broker.port, [{ command: 'setDefaultACLAccess', acls: [{ acltype: 'publishClientReceive', allow: false }] }])).toEqual({
      responses: [{ command: 'setDefaultACLAccess' }],
    });
    await publish('sensors/y', 2);
    // a PINGRESP after the publish has been routed shows nothing was delivered before it
    back.send({ cmd: 'pingreq' } as never);
    await back.next('pingresp');
    expect(back.closed).toBe(false);
    expect(back.packets.filter((p) => p.cmd === 'publish')).toEqual([]);
    back.end();
    bob.end();
  });

  it('a reload (SIGHUP) keeps the plugin and its clients: no password file re-check throws them out', async () => {
    const alice = await RawClient.connect(broker.port, 5);
    expect((await alice.handshake({ clientId: 'alice-id', username: 'alice', password: Buffer.from('secret') })).reasonCode).toBe(0);
    broker.proc.kill('SIGHUP');
    await broker.proc.waitForStderr(/Reloaded password and ACL files/);
    alice.send({ cmd: 'pingreq' } as never);
    await alice.next('pingresp');
    expect(alice.closed).toBe(false);
    alice.end();
  });

  it('bad control payloads get error responses and the broker carries on', async () => {
    const admin = await RawClient.connect(broker.port, 4);
    await admin.handshake({ username: 'admin', password: Buffer.from('adminpw') });
    admin.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$CONTROL/dynamic-security/#', qos: 0 }] } as never);
    await admin.next('suback');
    const ask = async (payload: string) => {
      admin.send({ cmd: 'publish', topic: '$CONTROL/dynamic-security/v1', payload: Buffer.from(payload), qos: 0 } as never);
      return JSON.parse((await admin.next('publish')).payload.toString());
    };
    expect(await ask('{not json')).toEqual({ responses: [{ command: 'Unknown command', error: 'Payload not valid JSON' }] });
    expect(await ask('{"commands":{}}')).toEqual({ responses: [{ command: 'Unknown command', error: 'Invalid/missing commands' }] });
    expect(await ask('{"commands":[{"command":"frobnicate","correlationData":"7"},7]}')).toEqual({
      responses: [
        { command: 'frobnicate', error: 'Unknown command', correlationData: '7' },
        { command: 'Unknown command', error: 'Command not an object' },
      ],
    });
    expect(await ask('{"commands":[{"command":"addRoleACL","rolename":"reader","acltype":"subscribePattern","topic":"a/#/b"}]}')).toEqual({
      responses: [{ command: 'addRoleACL', error: 'Invalid ACL topic' }],
    });
    // and nobody else sees $CONTROL traffic: it is never routed
    admin.end();
  });

  it('every change is in the file, written atomically (no temporary file left), and Mosquitto loads it', async () => {
    expect(readdirSync(scratch).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved.clients.map((c: { username: string }) => c.username)).toEqual(['admin', 'alice', 'bob']);
    if (!PLUGIN) return;
    const copy = path.join(scratch, 'copy.json');
    copyFileSync(file, copy);
    const mosq = await startMosquitto({
      listenerConfig: (port) => ['user root', `listener ${port} 127.0.0.1`, `plugin ${PLUGIN}`, `plugin_opt_config_file ${copy}`],
    });
    try {
      const alice = await RawClient.connect(mosq.port, 5);
      expect((await alice.handshake({ clientId: 'alice-id', username: 'alice', password: Buffer.from('secret') })).reasonCode).toBe(0);
      alice.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'sensors/#', qos: 0 }, { topic: 'other/#', qos: 0 }] } as never);
      expect((await alice.next('suback')).granted).toEqual([0, 0x87]);
      alice.end();
    } finally {
      await mosq.stop();
    }
  });
});

describeIfTool(['mosquitto_ctrl'], 'dynamic security: a file the broker cannot use stops it, naming the file', () => {
  it.each([
    ['missing', undefined, /^Error: Unable to open dynamic security file ".*missing\.json": no such file/],
    ['bad JSON', '{"clients": [', /^Error: Dynamic security file ".*bad-JSON\.json" is not valid JSON/],
    ['clients not an array', '{"clients": {}}', /"clients" is not an array/],
    ['writable by others', '{}', /is world writable, so anyone could change who may connect: refusing to load it/],
  ])('%s', async (what, content, message) => {
    const file = path.join(scratch, `${what.replace(/ /g, '-')}.json`);
    if (content !== undefined) writeFileSync(file, content, { mode: what === 'writable by others' ? 0o666 : 0o600 });
    if (what === 'writable by others') chmodSync(file, 0o666);
    const conf = path.join(scratch, `${path.basename(file)}.conf`);
    const port = await freePort();
    writeFileSync(conf, `listener ${port} 127.0.0.1\nplugin /opt/mosquitto_dynamic_security.so\nplugin_opt_config_file ${file}\n`);
    const r = await runMqtt(['broker', '-c', conf]);
    // a configuration error, as an unreadable password or ACL file is (exit 3)
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(message);
  });

  it('any other plugin is an error', async () => {
    const conf = path.join(scratch, 'other-plugin.conf');
    writeFileSync(conf, 'listener 1884\nplugin /usr/lib/mosquitto-go-auth.so\n');
    const r = await runMqtt(['broker', '-c', conf]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Unsupported plugin "\/usr\/lib\/mosquitto-go-auth.so"/);
  });
});
