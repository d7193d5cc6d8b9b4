import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCmd, runMqtt, spawnCmd, spawnMqtt } from '../helpers/cli.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { describeIfTool } from '../helpers/peers.js';

const uid = () => Math.random().toString(36).slice(2, 10);

/** mosquitto_sub's -d lines are stdio-buffered on a pipe: line-buffer them so "Subscribed" shows at once. */
const mosquittoSub = (args: string[]) => spawnCmd('stdbuf', ['-oL', 'mosquitto_sub', ...args]);

describeIfTool(['mosquitto_pub', 'mosquitto_sub', 'mosquitto_rr'], "our broker with Mosquitto's clients", () => {
  let b: BrokerProcess;
  beforeAll(async () => {
    b = await startBrokerProcess();
  });
  afterAll(async () => {
    await b?.stop();
  });

  for (const v of ['mqttv311', 'mqttv5'] as const) {
    it.each(['0', '1', '2'])(`mosquitto_pub -> mosquitto_sub, ${v}, QoS %s`, async (qos) => {
      const topic = `interop/${v}/${qos}/${uid()}`;
      const sub = mosquittoSub(['-p', String(b.port), '-V', v, '-t', topic, '-q', qos, '-C', '2', '-v', '-d']);
      await sub.waitForStdout(/Subscribed/);
      for (const m of ['one', 'two']) {
        const r = await runCmd('mosquitto_pub', ['-p', String(b.port), '-V', v, '-t', topic, '-m', m, '-q', qos]);
        expect(r.code).toBe(0);
      }
      const r = await sub.done;
      expect(r.code).toBe(0);
      const lines = r.stdout.toString().split('\n').filter((l) => l.startsWith(topic));
      expect(lines).toEqual([`${topic} one`, `${topic} two`]);
    });
  }

  it('retained message delivered to a later mosquitto_sub, cleared with -r -n', async () => {
    const topic = `interop/retained/${uid()}`;
    await runCmd('mosquitto_pub', ['-p', String(b.port), '-t', topic, '-m', 'kept', '-r', '-q', '1']);
    const got = await runCmd('mosquitto_sub', ['-p', String(b.port), '-t', topic, '-C', '1', '-F', '%r %p']);
    expect(got.stdout.toString()).toBe('1 kept\n');
    await runCmd('mosquitto_pub', ['-p', String(b.port), '-t', topic, '-r', '-n']);
    const none = await runCmd('mosquitto_sub', ['-p', String(b.port), '-t', topic, '-W', '1']);
    expect(none.code).toBe(27);
    expect(none.stdout.length).toBe(0);
  });

  it('mosquitto_rr gets its response through our broker (v5 response topic forwarded)', async () => {
    const req = `interop/rr/req/${uid()}`;
    const responder = mosquittoSub(['-p', String(b.port), '-V', 'mqttv5', '-t', req, '-C', '1', '-F', '%R', '-d']);
    await responder.waitForStdout(/Subscribed/);
    const rr = spawnCmd('mosquitto_rr', ['-p', String(b.port), '-t', req, '-e', `${req}/resp`, '-m', 'ping', '-W', '5']);
    const out = (await responder.done).stdout.toString();
    const responseTopic = out.split('\n').find((l) => l.endsWith('/resp'));
    expect(responseTopic).toBe(`${req}/resp`);
    await runCmd('mosquitto_pub', ['-p', String(b.port), '-t', responseTopic!, '-m', 'pong']);
    const r = await rr.done;
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe('pong\n');
  });

  it('mqtt pub -> mosquitto_sub and mosquitto_pub -> mqtt sub', async () => {
    const topic = `interop/mixed/${uid()}`;
    const sub = mosquittoSub(['-p', String(b.port), '-t', topic, '-C', '1', '-d']);
    await sub.waitForStdout(/Subscribed/);
    expect((await runMqtt(['pub', '-p', String(b.port), '-t', topic, '-m', 'from-mqtt', '-q', '1'])).code).toBe(0);
    expect((await sub.done).stdout.toString()).toContain('from-mqtt\n');
    const ours = spawnMqtt(['sub', '-p', String(b.port), '-t', topic, '-C', '1', '-d']);
    await ours.waitForStdout(/Subscribed/);
    await runCmd('mosquitto_pub', ['-p', String(b.port), '-t', topic, '-m', 'from-mosquitto']);
    const r = await ours.done;
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toContain('from-mosquitto\n');
  });
});

describeIfTool(['mosquitto_pub', 'mosquitto_passwd'], 'our broker with a password file written by mosquitto_passwd and an ACL file', () => {
  let b: BrokerProcess;
  beforeAll(async () => {
    b = await startBrokerProcess((dir, port) => {
      const pw = path.join(dir, 'passwd');
      execFileSync('mosquitto_passwd', ['-c', '-b', pw, 'alice', 'secret']);
      execFileSync('mosquitto_passwd', ['-b', pw, 'bob', 'hunter2']);
      const acl = path.join(dir, 'acl');
      writeFileSync(acl, ['user alice', 'topic readwrite a/#', 'user bob', 'topic read a/#', 'topic write b/#'].join('\n') + '\n');
      return [`listener ${port} 127.0.0.1`, 'allow_anonymous false', `password_file ${pw}`, `acl_file ${acl}`];
    });
  });
  afterAll(async () => {
    await b?.stop();
  });

  it('the right password connects', async () => {
    const r = await runCmd('mosquitto_pub', ['-p', String(b.port), '-u', 'alice', '-P', 'secret', '-t', 'a/x', '-m', 'hi']);
    expect(r.code).toBe(0);
  });

  it('a wrong password is refused with CONNACK 5 (3.1.1) and 135 (v5)', async () => {
    const v3 = await runCmd('mosquitto_pub', ['-p', String(b.port), '-u', 'alice', '-P', 'wrong', '-t', 'a/x', '-m', 'hi']);
    expect(v3.code).toBe(5);
    expect(v3.stderr).toContain('Connection Refused: not authorised.');
    const v5 = await runCmd('mosquitto_pub', ['-p', String(b.port), '-V', 'mqttv5', '-u', 'alice', '-P', 'wrong', '-t', 'a/x', '-m', 'hi']);
    expect(v5.code).toBe(135);
  });

  it('anonymous clients are refused (allow_anonymous false)', async () => {
    const r = await runCmd('mosquitto_pub', ['-p', String(b.port), '-t', 'a/x', '-m', 'hi']);
    expect(r.code).toBe(5);
  });

  it('ACL: a denied publish is dropped (v5: PUBACK 0x87 warning) and a denied read is not delivered', async () => {
    const sub = mosquittoSub(['-p', String(b.port), '-u', 'alice', '-P', 'secret', '-t', 'a/#', '-t', 'b/#', '-v', '-d']);
    await sub.waitForStdout(/Subscribed/);
    // bob may not write a/… : mosquitto_pub v5 prints the failure reason
    const denied = await runCmd('mosquitto_pub', ['-p', String(b.port), '-V', 'mqttv5', '-u', 'bob', '-P', 'hunter2', '-t', 'a/denied', '-m', 'no', '-q', '1']);
    expect(denied.stderr).toContain('Warning: Publish 1 failed: Not authorized.');
    // bob may write b/…, but alice may not read it
    await runCmd('mosquitto_pub', ['-p', String(b.port), '-u', 'bob', '-P', 'hunter2', '-t', 'b/hidden', '-m', 'no', '-q', '1']);
    await runCmd('mosquitto_pub', ['-p', String(b.port), '-u', 'alice', '-P', 'secret', '-t', 'a/visible', '-m', 'yes', '-q', '1']);
    await sub.waitForStdout(/a\/visible yes/);
    sub.kill();
    const out = (await sub.done).stdout.toString();
    expect(out).not.toContain('a/denied');
    expect(out).not.toContain('b/hidden');
  });

  it('SIGHUP reloads the password file', async () => {
    execFileSync('mosquitto_passwd', ['-b', path.join(b.dir, 'passwd'), 'carol', 'newpass']);
    b.proc.proc.kill('SIGHUP');
    await b.proc.waitForStderr(/Reloaded password and ACL files/);
    const r = await runCmd('mosquitto_pub', ['-p', String(b.port), '-u', 'carol', '-P', 'newpass', '-t', 'c', '-m', 'x']);
    expect(r.code).toBe(0);
  });
});

describeIfTool(['mosquitto_pub'], 'our broker: max_connections', () => {
  it('refuses connections beyond max_connections on a listener', async () => {
    const b = await startBrokerProcess((_dir, port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'max_connections 1']);
    try {
      const holder = spawnMqtt(['sub', '-p', String(b.port), '-t', 'hold', '-d']);
      await holder.waitForStdout(/Subscribed/);
      const second = await runCmd('mosquitto_pub', ['-p', String(b.port), '-t', 'x', '-m', 'y']);
      expect(second.code).not.toBe(0);
      holder.kill();
      await holder.done;
    } finally {
      await b.stop();
    }
  });
});
