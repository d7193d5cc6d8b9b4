import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMqtt } from '../helpers/cli.js';
import { FIXTURE_DIR } from '../helpers/sniff-run.js';

const fixture = (f: string) => path.join(FIXTURE_DIR, f);
const UTC = { TZ: 'UTC' };

describe('mqtt sniff command line', () => {
  it('prints one line per packet: time, who to whom, type and its facts', async () => {
    const r = await runMqtt(['sniff', '-r', fixture('v311-session.pcap')], { env: UTC });
    expect(r.code).toBe(0);
    const lines = r.stdout.toString().split('\n');
    expect(lines[0]).toBe('22:13:20.003000 127.0.0.1:40001 > 127.0.0.1:1883 CONNECT v4 client-id="sniff-test" keepalive=30 clean user="u" will="w/t" q1 r');
    expect(lines).toContain('22:13:20.005000 127.0.0.1:40001 > 127.0.0.1:1883 SUBSCRIBE "a/#" q1, "b/+" q2 id=1');
    expect(lines).toContain('22:13:20.008000 127.0.0.1:40001 > 127.0.0.1:1883 PUBLISH q1 r id=2 "a/y" (8 bytes)');
    expect(lines).toContain('22:13:20.010000 127.0.0.1:40001 > 127.0.0.1:1883 PUBLISH q2 dup id=3 "a/z" (5 bytes)');
    expect(lines.filter(Boolean)).toHaveLength(18);
  });

  it('v5: reason codes by name, properties with -v', async () => {
    const r = await runMqtt(['sniff', '-r', fixture('v5-properties.pcapng'), '-v'], { env: UTC });
    const out = r.stdout.toString();
    expect(out).toContain('PUBACK id=6 rc=0x10 (No matching subscribers) props={"reasonString":"nobody listens"}');
    expect(out).toContain('SUBACK [2, 0x87] id=1');
    expect(out).toMatch(/\[::1\]:40002 > \[::1\]:1883 PUBLISH q1 id=5 "v5\/t" \(7 bytes\) props=\{.*"topicAlias":1.*\} payload="\{\\"v\\":1\}"/);
    expect(out).toContain('-- connection closed (FIN both ways)');
  });

  it('-c stops after n packets; --json lines carry the exact capture time', async () => {
    const r = await runMqtt(['sniff', '-r', fixture('v5-properties.pcapng'), '--json', '-c', '3']);
    const rows = r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => x.type)).toEqual(['CONNECT', 'CONNACK', 'SUBSCRIBE']);
    // nanosecond pcapng: all nine digits
    expect(rows[0].ts).toBe('1700000000.003703701');
    expect(rows[2].subscriptions[0]).toEqual({ topic: 'v5/#', qos: 2, nl: true, rap: true, rh: 1 });
  });

  it('-r - reads the capture from stdin', async () => {
    const r = await runMqtt(['sniff', '-r', '-', '--json'], { input: readFileSync(fixture('bursts.pcap')) });
    expect(r.code).toBe(0);
    expect(r.stdout.toString().trim().split('\n')).toHaveLength(505);
  });

  it('--summary counts packets per type and direction; -q leaves only it', async () => {
    const r = await runMqtt(['sniff', '-r', fixture('real-mosquitto.pcap'), '--summary', '-q', '--json']);
    const { summary } = JSON.parse(r.stdout.toString());
    expect(summary.packets).toBe(243);
    expect(summary.byType.PUBLISH).toEqual({ c2s: 105, s2c: 105 });
    expect(summary.mqttConnections).toBe(7);
    expect(summary.clients).toContain('real-sub');
  });

  it('--check exits 2 on violations and 0 on a clean capture', async () => {
    const bad = await runMqtt(['sniff', '-r', fixture('violations.pcap'), '--check', '-q']);
    expect(bad.code).toBe(2);
    expect(bad.stdout.toString().split('\n').filter(Boolean)).toHaveLength(10);
    const good = await runMqtt(['sniff', '-r', fixture('real-mosquitto.pcap'), '--check', '-q']);
    expect([good.code, good.stdout.toString()]).toEqual([0, '']);
  });

  it('says clearly what is wrong with the input', async () => {
    const missing = await runMqtt(['sniff', '-r', '/nonexistent.pcap']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^Error: cannot read \/nonexistent.pcap: .*no such file/i);
    const notPcap = await runMqtt(['sniff', '-r', '-'], { input: 'hello world, not a capture' });
    expect([notPcap.code, notPcap.stderr]).toEqual([1, 'Error: not a pcap or pcapng capture file (unknown magic number)\n']);
    const badCount = await runMqtt(['sniff', '-r', fixture('bursts.pcap'), '-c', 'x']);
    expect(badCount.code).toBe(1);
    expect(badCount.stderr).toContain("count must be a positive integer, not 'x'");
  });

  it('warns about a capture cut off inside a record, and keeps what came before', async () => {
    const bytes = readFileSync(fixture('v311-session.pcap'));
    const r = await runMqtt(['sniff', '-r', '-', '--json'], { input: bytes.subarray(0, bytes.length - 10) });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^Warning: the capture ends inside a record/);
    expect(r.stdout.toString().trim().split('\n')).toHaveLength(18);
  });

  it('no colour codes when not on a terminal', async () => {
    const r = await runMqtt(['sniff', '-r', fixture('malformed.pcap'), '--check'], { env: { NO_COLOR: undefined, FORCE_COLOR: undefined } });
    expect(r.stdout.toString()).not.toMatch(/\x1b\[/);
    expect(r.stdout.toString()).toContain('SUBSCRIBE MALFORMED');
  });
});
