import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Packet } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, closedOrAlive } from '../helpers/broker.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { runMqtt } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';

/**
 * SIGHUP reads the -c file again, as Mosquitto 2.0's config__read(reload=true): the security
 * options it names apply at once (connected clients re-checked), a file that cannot be read keeps
 * what was loaded, and options that wait for a restart say so.
 */

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'mqtt-reload-config-'));
  // Mosquitto reads the files after dropping root to its own user
  chmodSync(scratch, 0o755);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function passwordFile(name: string, users: Record<string, string>): Promise<string> {
  const file = path.join(scratch, name);
  writeFileSync(file, '');
  chmodSync(file, 0o644);
  for (const [user, pw] of Object.entries(users)) {
    const r = await runMqtt(['passwd', '-b', file, user, pw]);
    expect(r.code, r.stderr).toBe(0);
  }
  return file;
}

interface Peer {
  port: number;
  /** rewrites the configuration file with these lines (the listener line first) and sends SIGHUP; resolves once reloaded */
  reloadWith(lines: string[]): Promise<void>;
}

const RELOADED = 'Reloaded password and ACL files.';

function ours(b: BrokerProcess): Peer {
  let reloads = 0;
  return {
    port: b.port,
    async reloadWith(lines) {
      writeFileSync(path.join(b.dir, 'broker.conf'), [`listener ${b.port} 127.0.0.1`, ...lines].join('\n') + '\n');
      b.proc.proc.kill('SIGHUP');
      const nth = ++reloads;
      await b.proc.waitForStderr((s) => s.split(RELOADED).length > nth);
    },
  };
}

function theirs(m: Mosquitto): Peer {
  let reloads = 0;
  return {
    port: m.port,
    async reloadWith(lines) {
      writeFileSync(
        path.join(m.dir, 'mosquitto.conf'),
        ['log_dest stderr', 'log_type all', 'persistence false', `listener ${m.port} 127.0.0.1`, ...lines].join('\n') + '\n',
      );
      m.proc.kill('SIGHUP');
      const nth = ++reloads;
      await m.waitForLog({ test: (s: string) => s.split('Reloading config.').length > nth } as unknown as RegExp);
      // Mosquitto logs that line before it reads the file, in the same turn of its loop: a CONNACK
      // after it means the reload is done
      (await connect(m.port, 4)).c.end();
    },
  };
}

async function connect(port: number, version: 4 | 5, username?: string, password?: string) {
  const c = await RawClient.connect(port, version);
  const ack = await c.handshake({ clientId: `c${Math.random().toString(16).slice(2, 8)}`, username, password: password === undefined ? undefined : Buffer.from(password) });
  return { c, code: version === 5 ? ack.reasonCode : ack.returnCode };
}

/** allow_anonymous true -> false with an anonymous client connected: what happens to it and to a new one. */
async function anonymousTurnedOff(peer: Peer, pwfile: string) {
  const anon = await connect(peer.port, 4);
  const alice = await connect(peer.port, 4, 'alice', 'apw');
  expect([anon.code, alice.code]).toEqual([0, 0]);
  await peer.reloadWith(['allow_anonymous false', `password_file ${pwfile}`]);
  const result = {
    anonymousDisconnected: await closedOrAlive(anon.c),
    aliceDisconnected: await closedOrAlive(alice.c),
    newAnonymous: (await connect(peer.port, 4)).code,
  };
  anon.c.end();
  alice.c.end();
  return result;
}

describe('SIGHUP reads the configuration file again', () => {
  it('allow_anonymous true -> false: connected anonymous clients are disconnected, new ones refused', async () => {
    const pwfile = await passwordFile('anon.pw', { alice: 'apw' });
    const b = await startBrokerProcess((_d, port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous true', `password_file ${pwfile}`]);
    try {
      expect(await anonymousTurnedOff(ours(b), pwfile)).toEqual({ anonymousDisconnected: true, aliceDisconnected: false, newAnonymous: 5 });
      expect(b.proc.stderr).toContain('Reloading config.');
    } finally {
      await b.stop();
    }
  });

  it('a new password_file path is used: users of the old file are disconnected, those of the new one get in', async () => {
    const oldFile = await passwordFile('old.pw', { alice: 'apw' });
    const newFile = await passwordFile('new.pw', { bob: 'bpw' });
    const b = await startBrokerProcess((_d, port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous false', `password_file ${oldFile}`]);
    try {
      const peer = ours(b);
      const alice = await connect(b.port, 5, 'alice', 'apw');
      expect(alice.code).toBe(0);
      expect((await connect(b.port, 4, 'bob', 'bpw')).code).toBe(5);
      await peer.reloadWith(['allow_anonymous false', `password_file ${newFile}`]);
      await alice.c.waitClosed();
      expect((await connect(b.port, 4, 'alice', 'apw')).code).toBe(5);
      const bob = await connect(b.port, 4, 'bob', 'bpw');
      expect(bob.code).toBe(0);
      bob.c.end();
    } finally {
      await b.stop();
    }
  });

  it('a new password_file that others may write refuses everyone: nothing was read from it before (fail closed)', async () => {
    const oldFile = await passwordFile('kept.pw', { alice: 'apw' });
    const open = await passwordFile('open.pw', { alice: 'apw' });
    chmodSync(open, 0o666);
    const b = await startBrokerProcess((_d, port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous false', `password_file ${oldFile}`]);
    try {
      const alice = await connect(b.port, 4, 'alice', 'apw');
      expect(alice.code).toBe(0);
      await ours(b).reloadWith(['allow_anonymous false', `password_file ${open}`]);
      await alice.c.waitClosed();
      expect((await connect(b.port, 4, 'alice', 'apw')).code).toBe(5);
    } finally {
      await b.stop();
    }
  });

  it('a new acl_file path is used; one that cannot be read denies everything (fail closed)', async () => {
    const aclA = path.join(scratch, 'a.acl');
    const aclB = path.join(scratch, 'b.acl');
    writeFileSync(aclA, 'topic readwrite a/#\ntopic readwrite m/#\n');
    writeFileSync(aclB, 'topic readwrite b/#\ntopic readwrite m/#\n');
    const b = await startBrokerProcess((_d, port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous true', `acl_file ${aclA}`]);
    try {
      const peer = ours(b);
      const sub = await connect(b.port, 4);
      const pub = await connect(b.port, 4);
      sub.c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a/#', qos: 0 }, { topic: 'b/#', qos: 0 }, { topic: 'm/#', qos: 0 }] } as Packet);
      await sub.c.next('suback');
      /** what the subscriber receives of a/1 and b/1, the marker m/1 closing the round (one publisher: in order) */
      const delivered = async () => {
        for (const topic of ['a/1', 'b/1', 'm/1']) pub.c.send({ cmd: 'publish', topic, payload: Buffer.from(topic), qos: 0, retain: false, dup: false } as Packet);
        const got: string[] = [];
        for (;;) {
          const topic = ((await sub.c.next('publish')) as { topic: string }).topic;
          if (topic === 'm/1') return got;
          got.push(topic);
        }
      };
      expect(await delivered()).toEqual(['a/1']);
      await peer.reloadWith(['allow_anonymous true', `acl_file ${aclB}`]);
      expect(await delivered()).toEqual(['b/1']);
      const missing = path.join(scratch, 'missing.acl');
      await peer.reloadWith(['allow_anonymous true', `acl_file ${missing}`]);
      expect(b.proc.stderr).toContain(`Error: every access that the ACL file ${missing} governs is denied until a reload reads it.`);
      pub.c.end();
      sub.c.end();
    } finally {
      await b.stop();
    }
  });

  it('a file that cannot be parsed keeps the settings loaded before and logs Mosquitto\'s error lines', async () => {
    const b = await startBrokerProcess((_d, port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous true']);
    try {
      const peer = ours(b);
      await peer.reloadWith(['allow_anonymous false', 'max_inflight_messages 70000']);
      expect(b.proc.stderr).toContain('Error: max_inflight_messages must be <= 65535.');
      expect(b.proc.stderr).toMatch(/Error found at .*broker\.conf:3\./);
      const anon = await connect(b.port, 4);
      expect(anon.code).toBe(0);
      expect(await closedOrAlive(anon.c)).toBe(false);
      anon.c.end();
    } finally {
      await b.stop();
    }
  });

  it('a listener added or removed in the file waits for a restart, with a warning; the security options still apply', async () => {
    const b = await startBrokerProcess((_d, port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous true']);
    try {
      const peer = ours(b);
      const socket = path.join(b.dir, 'extra.sock');
      await peer.reloadWith(['allow_anonymous false', `listener 0 ${socket}`]);
      expect(b.proc.stderr).toContain(`Warning: listener ${socket} is not running: it starts at restart.`);
      expect((await connect(b.port, 4)).code).toBe(5);
    } finally {
      await b.stop();
    }
  });

  it('a changed per_listener_settings waits for a restart and refuses every client until then (fail closed)', async () => {
    const b = await startBrokerProcess((_d, port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous true']);
    try {
      const peer = ours(b);
      const anon = await connect(b.port, 4);
      expect(anon.code).toBe(0);
      await peer.reloadWith(['per_listener_settings true', 'allow_anonymous true']);
      await anon.c.waitClosed();
      expect(b.proc.stderr).toContain('Warning: per_listener_settings changed: it takes effect at restart.');
      expect((await connect(b.port, 4)).code).toBe(5);
      // the former value again: clients get in
      await peer.reloadWith(['allow_anonymous true']);
      const back = await connect(b.port, 4);
      expect(back.code).toBe(0);
      back.c.end();
    } finally {
      await b.stop();
    }
  });

  it('a new psk_file path is used by a TLS-PSK listener', async () => {
    const key = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
    const pskA = path.join(scratch, 'a.psk');
    const pskB = path.join(scratch, 'b.psk');
    writeFileSync(pskA, `old-id:${key}\n`, { mode: 0o644 });
    writeFileSync(pskB, `new-id:${key}\n`, { mode: 0o644 });
    const lines = (psk: string) => ['psk_hint h', 'use_identity_as_username true', 'allow_anonymous true', `psk_file ${psk}`];
    const b = await startBrokerProcess((_d, port) => [`listener ${port} 127.0.0.1`, ...lines(pskA)]);
    const pub = async (identity: string) => (await runMqtt(['pub', '-p', String(b.port), '--psk', key, '--psk-identity', identity, '-t', 'psk/t', '-m', 'x'])).code;
    try {
      expect(await pub('old-id')).toBe(0);
      await ours(b).reloadWith(lines(pskB));
      expect(await pub('new-id')).toBe(0);
      expect(await pub('old-id')).not.toBe(0);
    } finally {
      await b.stop();
    }
  });

  it('log_type and connection_messages are taken over, as Mosquitto reloads them', async () => {
    const b = await startBrokerProcess((_d, port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous true']);
    try {
      const subscribeAs = async (clientId: string) => {
        const c = await RawClient.connect(b.port, 4);
        expect((await c.handshake({ clientId })).returnCode).toBe(0);
        c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'logged/t', qos: 1 }] } as Packet);
        await c.next('suback');
        c.end();
      };
      await subscribeAs('before-reload');
      expect(b.proc.stderr).toContain('New client connected from');
      expect(b.proc.stderr).not.toContain('before-reload 1 logged/t');
      await ours(b).reloadWith(['allow_anonymous true', 'log_type all', 'connection_messages false']);
      const connectsBefore = b.proc.stderr.split('New client connected from').length;
      await subscribeAs('after-reload');
      await b.proc.waitForStderr(/after-reload 1 logged\/t/);
      expect(b.proc.stderr.split('New client connected from').length).toBe(connectsBefore);
    } finally {
      await b.stop();
    }
  });

  it('a changed max_queued_messages applies to sessions already there; a changed listener option waits for restart, with a warning', async () => {
    /** QoS 1 messages an offline persistent session gets of 10 published while it was away */
    const queuedOf10 = async (port: number, beforePublishing: () => Promise<void>) => {
      const first = await RawClient.connect(port, 4);
      expect((await first.handshake({ clientId: 'keeper', clean: false })).returnCode).toBe(0);
      first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q/#', qos: 1 }] } as Packet);
      await first.next('suback');
      first.send({ cmd: 'disconnect' });
      await first.waitClosed();
      await beforePublishing();
      const pub = await connect(port, 4);
      for (let i = 0; i < 10; i++) {
        pub.c.send({ cmd: 'publish', topic: `q/${i}`, payload: Buffer.from(String(i)), qos: 1, messageId: i + 1, retain: false, dup: false } as Packet);
      }
      await pub.c.waitFor(() => pub.c.packets.filter((p) => p.cmd === 'puback').length === 10);
      pub.c.end();
      const back = await RawClient.connect(port, 4);
      expect((await back.handshake({ clientId: 'keeper', clean: false })).sessionPresent).toBe(true);
      // each PUBACK lets the next queued message go before the PINGREQ after it is answered
      let got = 0;
      for (;;) {
        back.send({ cmd: 'pingreq' });
        const p = await back.next();
        if (p.cmd === 'pingresp') break;
        expect(p.cmd).toBe('publish');
        got++;
        await back.next('pingresp');
        back.send({ cmd: 'puback', messageId: (p as { messageId: number }).messageId } as Packet);
      }
      back.end();
      return got;
    };
    const fixed = await startBrokerProcess((_d, port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'max_queued_messages 2', 'max_inflight_messages 1']);
    const reloaded = await startBrokerProcess((_d, port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'max_queued_messages 1000', 'max_inflight_messages 1']);
    try {
      const baseline = await queuedOf10(fixed.port, async () => {});
      expect(baseline).toBeLessThan(10);
      const peer = ours(reloaded);
      const got = await queuedOf10(reloaded.port, () => peer.reloadWith(['allow_anonymous true', 'max_queued_messages 2', 'max_inflight_messages 1', 'max_connections 5']));
      expect(got).toBe(baseline);
      expect(reloaded.proc.stderr).toContain(`Warning: max_connections of listener ${reloaded.port} 127.0.0.1 changed: it takes effect at restart.`);
    } finally {
      await fixed.stop();
      await reloaded.stop();
    }
  });
});

describeIfTool(['mosquitto'], 'SIGHUP re-reads the configuration file: the same as Mosquitto', () => {
  it('allow_anonymous true -> false disconnects and refuses anonymous clients in both', async () => {
    const pwMosq = await passwordFile('mosq-anon.pw', { alice: 'apw' });
    const pwOurs = await passwordFile('ours-anon.pw', { alice: 'apw' });
    const mosq = await startMosquitto({ listenerConfig: (port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous true', `password_file ${pwMosq}`] });
    // Mosquitto reads the file again as its own user, after dropping root
    chmodSync(mosq.dir, 0o755);
    const b = await startBrokerProcess((_d, port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous true', `password_file ${pwOurs}`]);
    try {
      const their = await anonymousTurnedOff(theirs(mosq), pwMosq);
      const mine = await anonymousTurnedOff(ours(b), pwOurs);
      expect(mine).toEqual(their);
    } finally {
      await mosq.stop();
      await b.stop();
    }
  });

  it('a file with a refused value changes nothing and logs the same error lines in both', async () => {
    const mosq = await startMosquitto();
    chmodSync(mosq.dir, 0o755);
    const b = await startBrokerProcess();
    /** an anonymous client, then allow_anonymous false in a file Mosquitto refuses */
    const keptOpen = async (peer: Peer) => {
      const anon = await connect(peer.port, 4);
      await peer.reloadWith(['allow_anonymous false', 'max_inflight_messages 70000']);
      const result = { stillConnected: !(await closedOrAlive(anon.c)), newAnonymous: (await connect(peer.port, 4)).code };
      anon.c.end();
      return result;
    };
    try {
      const their = await keptOpen(theirs(mosq));
      const mine = await keptOpen(ours(b));
      expect(mine).toEqual(their);
      expect(mine).toEqual({ stillConnected: true, newAnonymous: 0 });
      expect(mosq.log()).toContain('Error: max_inflight_messages must be <= 65535.');
      expect(mosq.log()).toMatch(/Error found at .*mosquitto\.conf:6\./);
      expect(b.proc.stderr).toContain('Error: max_inflight_messages must be <= 65535.');
      expect(b.proc.stderr).toMatch(/Error found at .*broker\.conf:3\./);
    } finally {
      await mosq.stop();
      await b.stop();
    }
  });
});
