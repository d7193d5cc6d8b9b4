import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/broker.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';

/**
 * check_retain_source (mosquitto.conf(5); Mosquitto's 04-retain-check-source* tests, CVE-2018-12546):
 * a retained message reaches a new subscriber only while its publisher may still write its topic.
 * The publisher loses write access by an ACL reload (SIGHUP) or across a restart with persistence;
 * the message is then not sent (it stays retained), unless `check_retain_source false`.
 */

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'mqtt-retain-source-'));
  // Mosquitto reads the files after dropping root to its own user
  chmodSync(scratch, 0o755);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const TOPIC = 'test/topic';
const READWRITE = `user alice\ntopic readwrite ${TOPIC}\n`;
const READ_ONLY = `user alice\ntopic read ${TOPIC}\n`;

function aclFile(name: string, text: string): string {
  const file = path.join(scratch, name);
  writeFileSync(file, text);
  chmodSync(file, 0o644);
  return file;
}

/** alice retains a message on TOPIC and goes; her PINGRESP says the broker has handled the PUBLISH. */
async function retain(port: number): Promise<void> {
  const c = await RawClient.connect(port, 4);
  await c.handshake({ clientId: 'retain-check', username: 'alice' });
  c.send({ cmd: 'publish', topic: TOPIC, payload: Buffer.from('retained message'), qos: 0, retain: true, dup: false });
  c.send({ cmd: 'pingreq' });
  await c.next('pingresp');
  c.end();
}

/** alice subscribes anew: the retained payload she gets before her PINGRESP, or undefined. */
async function retainedFor(port: number, version: 4 | 5 = 4): Promise<string | undefined> {
  const c = await RawClient.connect(port, version);
  await c.handshake({ clientId: 'retain-recv', username: 'alice' });
  c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: TOPIC, qos: 0 }], ...(version === 5 ? { properties: {} } : {}) } as never);
  await c.next('suback');
  c.send({ cmd: 'pingreq' });
  await c.next('pingresp');
  const got = c.packets.find((p) => p.cmd === 'publish') as { payload: Buffer } | undefined;
  c.end();
  return got?.payload.toString();
}

interface Peer {
  port: number;
  hup(): void;
  reloaded(nth: number): Promise<unknown>;
  stop(): Promise<void>;
}

function ours(b: BrokerProcess): Peer {
  return {
    port: b.port,
    hup: () => b.proc.proc.kill('SIGHUP'),
    reloaded: (nth) => b.proc.waitForStderr((s) => s.split('Reloaded password and ACL files.').length > nth),
    stop: () => b.stop(),
  };
}

function theirs(m: Mosquitto): Peer {
  return {
    port: m.port,
    hup: () => m.proc.kill('SIGHUP'),
    reloaded: (nth) => m.waitForLog({ test: (s: string) => s.split('Reloading config.').length > nth } as unknown as RegExp),
    stop: () => m.stop(),
  };
}

/** Retained before and after alice's write access is taken away by SIGHUP. */
async function beforeAndAfterRevoke(peer: Peer, acl: string): Promise<[string | undefined, string | undefined]> {
  await retain(peer.port);
  const before = await retainedFor(peer.port);
  writeFileSync(acl, READ_ONLY);
  peer.hup();
  await peer.reloaded(1);
  const after = await retainedFor(peer.port, 5);
  return [before, after];
}

const config = (acl: string, check: string | undefined) => (port: number) => [
  `listener ${port} 127.0.0.1`,
  'allow_anonymous true',
  `acl_file ${acl}`,
  ...(check === undefined ? [] : [`check_retain_source ${check}`]),
];

describe('check_retain_source after an ACL reload', () => {
  for (const check of ['true', 'false'] as const) {
    it(`check_retain_source ${check}: the retained message ${check === 'true' ? 'is no longer sent' : 'is still sent'} once its publisher may not write it`, async () => {
      const acl = aclFile(`ours-${check}.acl`, READWRITE);
      const peer = ours(await startBrokerProcess((_d, port) => config(acl, check)(port)));
      try {
        expect(await beforeAndAfterRevoke(peer, acl)).toEqual(['retained message', check === 'true' ? undefined : 'retained message']);
      } finally {
        await peer.stop();
      }
    });
  }

  it('by default (true, as mosquitto.conf(5) documents it) the message is not sent', async () => {
    const acl = aclFile('ours-default.acl', READWRITE);
    const peer = ours(await startBrokerProcess((_d, port) => config(acl, undefined)(port)));
    try {
      expect(await beforeAndAfterRevoke(peer, acl)).toEqual(['retained message', undefined]);
    } finally {
      await peer.stop();
    }
  });
});

describeIfTool(['mosquitto'], 'check_retain_source after an ACL reload, side by side with Mosquitto', () => {
  for (const check of ['true', 'false'] as const) {
    it(`check_retain_source ${check}: Mosquitto does the same`, async () => {
      const acl = aclFile(`theirs-${check}.acl`, READWRITE);
      const peer = theirs(await startMosquitto({ listenerConfig: (port) => config(acl, check)(port) }));
      try {
        expect(await beforeAndAfterRevoke(peer, acl)).toEqual(['retained message', check === 'true' ? undefined : 'retained message']);
      } finally {
        await peer.stop();
      }
    });
  }
});

describe('check_retain_source across a restart (persistence true)', () => {
  /** retains, stops the broker, writes `aclAfter`, starts it again on the same store */
  async function acrossRestart(name: string, aclAfter: string, perListener: boolean): Promise<string | undefined> {
    const acl = aclFile(`${name}.acl`, READWRITE);
    const store = mkdtempSync(path.join(scratch, `${name}-store-`));
    const lines = (port: number) => [
      ...(perListener ? ['per_listener_settings true'] : []),
      ...config(acl, 'true')(port),
      'persistence true',
      `persistence_location ${store}/`,
    ];
    const first = await startBrokerProcess((_d, port) => lines(port));
    await retain(first.port);
    expect(await retainedFor(first.port)).toBe('retained message');
    await first.stop();
    writeFileSync(acl, aclAfter);
    const second = await startBrokerProcess((_d, port) => lines(port));
    try {
      expect(second.proc.stderr).toContain('1 retained messages');
      return await retainedFor(second.port);
    } finally {
      await second.stop();
    }
  }

  it("the publisher's username is kept with the stored message: still allowed, it is sent", async () => {
    expect(await acrossRestart('restart-kept', READWRITE, false)).toBe('retained message');
  });

  it('write access taken away while the broker was stopped: not sent', async () => {
    expect(await acrossRestart('restart-revoked', READ_ONLY, false)).toBeUndefined();
  });

  it('per_listener_settings: the listener it came in on is gone (another port now): not sent, as in Mosquitto', async () => {
    expect(await acrossRestart('restart-other-port', READWRITE, true)).toBeUndefined();
  });
});
