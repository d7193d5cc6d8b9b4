import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { enc } from '../../scripts/sniff/fixtures.js';
import { runCmd, runMqtt, spawnMqtt, MQTT_BIN } from '../helpers/cli.js';
import { captureDir, stagedCapture } from '../helpers/sniff-files.js';
import { FIXTURE_DIR } from '../helpers/sniff-run.js';
import { timeLiteral } from '../helpers/sniff-rows.js';

const fixture = (f: string) => path.join(FIXTURE_DIR, f);
const UTC = { TZ: 'UTC' };
const saved = captureDir();
const lines = (out: Buffer | string) => out.toString().split('\n').filter(Boolean);
const jsonRows = (out: Buffer) => lines(out).map((l) => JSON.parse(l) as Record<string, unknown>);

/** The keys issue 6 requires on every packet object, in the order they come. */
const REQUIRED = ['time', 'src', 'dst', 'type', 'qos', 'retain', 'dup', 'packetId', 'topic', 'payloadLength', 'version', 'clientId', 'reasonCodes'];

describe('mqtt sniff: one line per packet', () => {
  it('time, src > dst, client id once known, type and its facts; passwords masked; payload preview', async () => {
    const r = await runMqtt(['sniff', '-r', fixture('v311-session.pcap'), '-q'], { env: UTC });
    expect([r.code, r.stderr]).toEqual([0, '']);
    const out = lines(r.stdout);
    const at = (t: string) => `22:13:20.${t} 127.0.0.1:40001 > 127.0.0.1:1883 [sniff-test]`;
    expect(out[0]).toBe(`${at('003000')} CONNECT v3.1.1 keepalive=30 clean user="u" password=**** will="w/t" q1 r (3 bytes)`);
    expect(out[1]).toBe('22:13:20.004000 127.0.0.1:1883 > 127.0.0.1:40001 [sniff-test] CONNACK rc=0 (Connection Accepted)');
    expect(out).toContain(`${at('005000')} SUBSCRIBE id=1 "a/#" q1, "b/+" q2`);
    expect(out).toContain('22:13:20.006000 127.0.0.1:1883 > 127.0.0.1:40001 [sniff-test] SUBACK id=1 [1, 2]');
    expect(out).toContain(`${at('008000')} PUBLISH q1 r id=2 "a/y" (8 bytes) "retained"`);
    expect(out).toContain(`${at('010000')} PUBLISH q2 dup id=3 "a/z" (5 bytes) "twice"`);
    // a long payload is cut to its start
    expect(out).toContain(`22:13:20.014000 127.0.0.1:1883 > 127.0.0.1:40001 [sniff-test] PUBLISH q1 id=7 "b/z" (300 bytes) "${'A'.repeat(40)}"…`);
    expect(out).toHaveLength(18);
  });

  it('--show-passwords prints the password', async () => {
    const r = await runMqtt(['sniff', '-r', fixture('v311-session.pcap'), '-q', '--show-passwords', '-c', '1']);
    expect(r.stdout.toString()).toContain('user="u" password="p" will=');
  });

  it('binary payloads preview as hex', async () => {
    const file = saved('binary.pcap', stagedCapture((c) => {
      c.send(true, enc({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 0, clientId: 'bin' }));
      c.send(true, enc({ cmd: 'publish', topic: 'b', payload: Buffer.from([0, 1, 0xfe, 0xff]), qos: 0, retain: false, dup: false }));
    }));
    const r = await runMqtt(['sniff', '-r', file, '-q']);
    expect(lines(r.stdout)[1]).toMatch(/\[bin\] PUBLISH q0 "b" \(4 bytes\) 0x0001feff$/);
  });

  it('v5 with -v: reason codes by name, subscription options, properties, ack latency, whole payload', async () => {
    const r = await runMqtt(['sniff', '-r', fixture('v5-properties.pcapng'), '-v', '-q'], { env: UTC });
    const out = r.stdout.toString();
    expect(out).toContain('[::1]:40002 > [::1]:1883 [v5-client] SUBSCRIBE id=1 "v5/#" q2 nl rap rh=1, "denied" q0 props={"subscriptionIdentifier":42}');
    expect(out).toContain('SUBACK id=1 [2, 0x87 (Not authorized)]');
    expect(out).toContain('PUBACK id=6 rc=0x10 (No matching subscribers) latency=1.235ms props={"reasonString":"nobody listens"}');
    expect(out).toContain('[v5-client] PUBCOMP id=9 rc=0x00 (Success) latency=3.704ms');
    expect(out).toMatch(/\[::1\]:40002 > \[::1\]:1883 \[v5-client\] PUBLISH q1 id=5 "v5\/t" alias=1 \(7 bytes\) props=\{.*"topicAlias":1.*\} payload="\{\\"v\\":1\}"/);
    expect(out).toContain('-- connection closed (FIN both ways)');
  });

  it('colours by packet type on a terminal only, and never with NO_COLOR or --no-color', async () => {
    const tty = (env: string, args = '') =>
      runCmd('script', ['-qec', `${env} ${process.execPath} ${MQTT_BIN} sniff -q -c 4 -r ${fixture('v311-session.pcap')} ${args}`, '/dev/null'], {
        env: { NO_COLOR: undefined },
      });
    const coloured = (await tty('')).stdout.toString();
    expect(coloured).toMatch(/\x1b\[32mCONNECT\x1b\[39m/);
    expect(coloured).toMatch(/\x1b\[35mSUBSCRIBE\x1b\[39m/);
    expect((await tty('NO_COLOR=1')).stdout.toString()).not.toMatch(/\x1b\[/);
    expect((await tty('', '--no-color')).stdout.toString()).not.toMatch(/\x1b\[/);
    const piped = await runMqtt(['sniff', '-r', fixture('malformed.pcap'), '--check'], { env: { NO_COLOR: undefined, FORCE_COLOR: undefined } });
    expect(piped.stdout.toString()).not.toMatch(/\x1b\[/);
    expect(piped.stdout.toString()).toContain('SUBSCRIBE MALFORMED');
  });
});

describe('mqtt sniff --json', () => {
  it('every packet has the issue\'s fields, named and ordered as documented, null where they do not apply', async () => {
    const r = await runMqtt(['sniff', '-r', fixture('v311-session.pcap'), '--json', '-q']);
    const rows = jsonRows(r.stdout);
    expect(rows).toHaveLength(18);
    for (const row of rows) expect(Object.keys(row).slice(0, REQUIRED.length)).toEqual(REQUIRED);
    expect(rows[5]).toMatchObject({
      time: 1700000000.008, src: '127.0.0.1:40001', dst: '127.0.0.1:1883', type: 'PUBLISH', qos: 1, retain: true, dup: false,
      packetId: 2, topic: 'a/y', payloadLength: 8, version: 4, clientId: 'sniff-test', reasonCodes: null, dir: 'c2s',
    });
    expect(rows[0]).toMatchObject({ type: 'CONNECT', qos: null, packetId: null, topic: null, password: '****', username: 'u', keepalive: 30 });
    // the client id is on every packet, the server's included
    expect(rows.every((x) => x.clientId === 'sniff-test')).toBe(true);
    expect(rows.filter((x) => x.dir === 's2c')).toHaveLength(8);
    expect(rows[1]).toMatchObject({ type: 'CONNACK', reasonCodes: [0] });
    expect(rows[3]).toMatchObject({ type: 'SUBACK', packetId: 1, reasonCodes: [1, 2] });
    expect(rows.find((x) => x.type === 'PUBACK')).toMatchObject({ reasonCodes: null, latencyMs: 1 });
    expect(rows.find((x) => x.type === 'PUBCOMP')).toMatchObject({ packetId: 3, latencyMs: 3 });
  });

  it('time keeps every digit the capture holds; IPv6 endpoints are bracketed; v5 reason codes are arrays', async () => {
    const r = await runMqtt(['sniff', '-r', fixture('v5-properties.pcapng'), '--json', '-q']);
    const text = lines(r.stdout);
    // nanosecond pcapng: nine digits in the JSON text; a double keeps the microseconds
    expect(timeLiteral(text[0]!)).toBe('1700000000.003703701');
    const rows = text.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows[0]!.time).toBeCloseTo(1700000000.003703701, 6);
    expect(rows[0]).toMatchObject({ src: '[::1]:40002', dst: '[::1]:1883', version: 5, clientId: 'v5-client' });
    expect(rows.find((x) => x.type === 'SUBACK')).toMatchObject({ reasonCodes: [2, 0x87] });
    expect(rows.filter((x) => x.type === 'PUBACK').map((x) => x.reasonCodes)).toEqual([[0], [0x10]]);
    expect(rows.find((x) => x.type === 'DISCONNECT')).toMatchObject({ reasonCodes: [0] });
    expect(rows[2]!.subscriptions).toEqual([{ topic: 'v5/#', qos: 2, nl: true, rap: true, rh: 1 }, { topic: 'denied', qos: 0, nl: false, rap: false, rh: 0 }]);
    // the alias-only PUBLISH shows the topic the alias stands for
    expect(rows.filter((x) => x.type === 'PUBLISH' && x.dir === 'c2s').map((x) => [x.topic, x.topicAlias])).toEqual([['v5/t', 1], ['v5/t', 1]]);
  });

  it('a client id the server assigned (v5, empty CONNECT id) is known from the CONNACK on', async () => {
    const file = saved('assigned.pcap', stagedCapture((c) => {
      c.send(true, enc({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, keepalive: 0, clientId: '' }, 5));
      c.send(false, enc({ cmd: 'connack', sessionPresent: false, reasonCode: 0, properties: { assignedClientIdentifier: 'auto-7' } }, 5));
      c.send(true, enc({ cmd: 'pingreq' }, 5));
    }));
    const rows = jsonRows((await runMqtt(['sniff', '-r', file, '--json', '-q'])).stdout);
    expect(rows.map((x) => x.clientId)).toEqual(['', 'auto-7', 'auto-7']);
  });

  it('-c stops after n packets; --payload adds the payload in base64', async () => {
    const r = await runMqtt(['sniff', '-r', fixture('v311-session.pcap'), '--json', '-q', '-c', '5', '--payload']);
    const rows = jsonRows(r.stdout);
    expect(rows.map((x) => x.type)).toEqual(['CONNECT', 'CONNACK', 'SUBSCRIBE', 'SUBACK', 'PUBLISH']);
    expect(Buffer.from(String(rows[4]!.payload), 'base64').toString()).toBe('hi');
  });
});

describe('mqtt sniff sources and options', () => {
  it('-r - reads a capture piped into stdin, as from tcpdump -w -', async () => {
    const r = await runCmd('sh', ['-c', `cat "${fixture('bursts.pcap')}" | "${process.execPath}" "${MQTT_BIN}" sniff -r - --json -q`]);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toHaveLength(505);
    const viaInput = await runMqtt(['sniff', '-r', '-', '-q'], { input: readFileSync(fixture('v311-session.pcap')) });
    expect(lines(viaInput.stdout)).toHaveLength(18);
  });

  it('--mqtt-version (alias -V) decodes a capture that started after the CONNECT', async () => {
    // v5 PUBLISH with properties, no handshake, no CONNECT: read as 3.1.1 the properties would be payload
    const file = saved('late-v5.pcap', stagedCapture((c) => {
      c.send(true, enc({ cmd: 'publish', topic: 'late', payload: Buffer.from('abc'), qos: 1, messageId: 3, retain: false, dup: false, properties: { contentType: 'text/plain' } }, 5));
      c.send(false, enc({ cmd: 'puback', messageId: 3, reasonCode: 0x10 }, 5));
    }, { handshake: false }));
    const asDefault = jsonRows((await runMqtt(['sniff', '-r', file, '--json', '-q'])).stdout);
    expect(asDefault[0]).toMatchObject({ version: 4, payloadLength: 17, clientId: null });
    for (const flag of ['--mqtt-version', '-V', '--protocol-version']) {
      const rows = jsonRows((await runMqtt(['sniff', '-r', file, '--json', '-q', flag, '5'])).stdout);
      expect(rows[0]).toMatchObject({ version: 5, payloadLength: 3, properties: { contentType: 'text/plain' } });
      expect(rows[1]).toMatchObject({ type: 'PUBACK', reasonCodes: [0x10] });
    }
    const bad = await runMqtt(['sniff', '-r', file, '--mqtt-version', '4.0']);
    expect([bad.code, bad.stderr.split('\n')[0]]).toEqual([1, "Error: unknown MQTT version '4.0' (use 3.1, 3.1.1 or 5)"]);
  });

  it('--port adds ports to 1883 for captures that start mid-connection', async () => {
    const midStream = (port: number) =>
      stagedCapture((c) => c.send(true, enc({ cmd: 'publish', topic: `p/${port}`, payload: Buffer.from('x'), qos: 0, retain: false, dup: false })), {
        handshake: false,
        server: { host: '127.0.0.1', port },
      });
    const file = saved('ports.pcap', Buffer.concat([midStream(1883), midStream(18830).subarray(24)]));
    const topics = async (...args: string[]) => jsonRows((await runMqtt(['sniff', '-r', file, '--json', '-q', ...args])).stdout).map((x) => x.topic);
    expect(await topics()).toEqual(['p/1883']);
    expect(await topics('--port', '18830')).toEqual(['p/1883', 'p/18830']);
    expect(await topics('-p', '8883,18830')).toEqual(['p/1883', 'p/18830']);
  });

  it('a capture filter is for live capture; -w saves live captures only', async () => {
    const filter = await runMqtt(['sniff', '-r', fixture('bursts.pcap'), 'port', '1883']);
    expect(filter.code).toBe(1);
    expect(filter.stderr).toContain('a capture filter applies to live capture only');
    const write = await runMqtt(['sniff', '-r', fixture('bursts.pcap'), '-w', '/tmp/x.pcap']);
    expect([write.code, write.stderr.split('\n')[0]]).toEqual([1, 'Error: -w saves a live capture; with -r the file is already saved']);
  });

  it('--help documents the JSON schema and the exit statuses', async () => {
    const help = (await runMqtt(['sniff', '--help'])).stdout.toString();
    for (const key of REQUIRED) expect(help).toContain(key);
    for (const code of ['0  done', '2  --check', '3  the capture file', '4  live capture unavailable', '5  live capture not permitted', '6  no such interface', '7  the capture file ends']) {
      expect(help).toContain(code);
    }
    expect(help).toMatch(/\[filter\.\.\.\]/);
    expect(help).toContain('--mqtt-version');
  });
});

describe('mqtt sniff summary', () => {
  it('on stderr by default: packets per type, connections, bytes, malformed, gaps, latency', async () => {
    const r = await runMqtt(['sniff', '-r', fixture('v311-session.pcap')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^Summary\n/);
    expect(r.stderr).toContain('24 frames (1,751 bytes), 24 TCP segments, 1 connection (1 MQTT)');
    expect(r.stderr).toContain('18 MQTT packets (455 bytes), 0 malformed');
    expect(r.stderr).toMatch(/PUBLISH +4 +\(client->server 3, server->client 1\)/);
    expect(r.stderr).toContain('0 gaps (0 bytes not captured)');
    expect(r.stderr).toContain('PUBLISH->PUBACK  2 acks: p50 1.000 ms, p99 1.000 ms');
    expect(lines(r.stdout)).toHaveLength(18);
  });

  it('-q and --no-summary leave it out; --summary puts it on stdout, as JSON with --json', async () => {
    for (const flag of ['-q', '--no-summary']) expect((await runMqtt(['sniff', '-r', fixture('gap-midstream.pcap'), flag])).stderr).not.toContain('Summary');
    const r = await runMqtt(['sniff', '-r', fixture('real-mosquitto.pcap'), '--summary', '--no-packets', '--json']);
    expect(r.stderr).toBe('');
    const { summary } = JSON.parse(r.stdout.toString());
    expect(summary.packets).toBe(243);
    expect(summary.byType.PUBLISH).toEqual({ c2s: 105, s2c: 105 });
    expect(summary.mqttConnections).toBe(7);
    expect(summary.clients).toContain('real-sub');
    expect(summary.latencyMs.puback).toMatchObject({ count: expect.any(Number), p50: expect.any(Number), p99: expect.any(Number) });
    expect(summary.latencyMs.pubcomp.count).toBeGreaterThan(0);
  });

  it('gaps are said where they happen and counted', async () => {
    const r = await runMqtt(['sniff', '-r', fixture('gap-midstream.pcap')]);
    expect(r.stdout.toString()).toContain('-- 22 bytes not captured (a gap in the TCP stream)');
    expect(r.stderr).toContain('2 gaps (118 bytes not captured)');
  });

  it('on Ctrl-C: a capture still arriving on stdin ends with the summary, exit 0', async () => {
    const bytes = readFileSync(fixture('v311-session.pcap'));
    const sniff = spawnMqtt(['sniff', '-r', '-']);
    // half the file, and the pipe stays open like a running tcpdump's
    sniff.proc.stdin!.write(bytes.subarray(0, 1000));
    await sniff.waitForStdout(/SUBSCRIBE/);
    sniff.kill('SIGINT');
    const r = await sniff.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^Summary\n/);
    expect(r.stderr).toMatch(/\d+ MQTT packets/);
  });

  it('a large file read with stderr on a terminal shows a progress line there, erased before the summary', async () => {
    const big = saved('big.pcap', stagedCapture((c) => {
      c.send(true, enc({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 0, clientId: 'big' }));
      const publish = enc({ cmd: 'publish', topic: 'big', payload: Buffer.alloc(60_000, 0x61), qos: 0, retain: false, dup: false });
      for (let i = 0; i < 150; i++) c.send(true, publish);
    }));
    const run = (redirect: string) => runCmd('script', ['-qec', `${process.execPath} ${MQTT_BIN} sniff -r ${big} ${redirect}`, '/dev/null']);
    const shown = (await run('> /dev/null')).stdout.toString();
    expect(shown).toMatch(/\r\x1b\[K +\d+% [\d.]+ MB of 9\.\d MB, [\d,]+ MQTT packets/);
    expect(shown).toMatch(/\r\x1b\[KSummary/);
    // packet lines on the same terminal: no progress line to tear them
    expect((await run('-c 3')).stdout.toString()).not.toMatch(/MB of/);
    // -q: nothing on stderr
    expect((await run('-q > /dev/null')).stdout.toString()).toBe('');
  });

  it('--check exits 2 on violations and 0 on a clean capture; --no-packets leaves the violations', async () => {
    const bad = await runMqtt(['sniff', '-r', fixture('violations.pcap'), '--check', '--no-packets', '-q']);
    expect(bad.code).toBe(2);
    expect(lines(bad.stdout)).toHaveLength(10);
    const good = await runMqtt(['sniff', '-r', fixture('real-mosquitto.pcap'), '--check', '--no-packets', '-q']);
    expect([good.code, good.stdout.toString()]).toEqual([0, '']);
  });
});
