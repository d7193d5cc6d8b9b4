import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect, enc } from '../../scripts/sniff/fixtures.js';
import { MQTT_BIN, ROOT, runCmd, runMqtt, type RunResult } from '../helpers/cli.js';
import { captureDir, stagedCapture } from '../helpers/sniff-files.js';
import { FIXTURE_DIR } from '../helpers/sniff-run.js';

const fixture = (f: string) => path.join(FIXTURE_DIR, f);
const files = captureDir();
const stdoutLines = (r: RunResult) => r.stdout.toString().split('\n').filter(Boolean);

/** One clear line on stderr (the usage hint aside) and the exit status of its class. */
function failure(r: RunResult): [number | null, string] {
  const errors = r.stderr.split('\n').filter((l) => l && !l.startsWith('Use '));
  expect(errors).toHaveLength(1);
  return [r.code, errors[0]!];
}

function capLoads(): boolean {
  try {
    createRequire(import.meta.url)('cap');
    return true;
  } catch {
    return false;
  }
}

/** bin/mqtt and its bundle alone in a folder, with `capModule` as node_modules/cap/index.js if given. */
function isolatedMqtt(name: string, capModule?: string): string {
  const dir = path.dirname(files(`${name}/x`));
  mkdirSync(path.join(dir, 'bin'), { recursive: true });
  mkdirSync(path.join(dir, 'dist'), { recursive: true });
  copyFileSync(MQTT_BIN, path.join(dir, 'bin/mqtt'));
  copyFileSync(path.join(ROOT, 'dist/mqtt.cjs'), path.join(dir, 'dist/mqtt.cjs'));
  if (capModule) {
    mkdirSync(path.join(dir, 'node_modules/cap'), { recursive: true });
    writeFileSync(path.join(dir, 'node_modules/cap/index.js'), capModule);
  }
  return path.join(dir, 'bin/mqtt');
}

describe('mqtt sniff on a bad capture file: one clear line, exit 3', () => {
  it('a file that does not exist', async () => {
    const [code, line] = failure(await runMqtt(['sniff', '-r', '/nonexistent.pcap']));
    expect(code).toBe(3);
    expect(line).toMatch(/^Error: cannot read \/nonexistent.pcap: .*no such file/i);
  });

  it('a wrong magic number, and a file too short to have one', async () => {
    expect(failure(await runMqtt(['sniff', '-r', '-'], { input: 'hello world, not a capture' }))).toEqual([
      3,
      'Error: not a pcap or pcapng capture file (unknown magic number)',
    ]);
    expect(failure(await runMqtt(['sniff', '-r', '-'], { input: 'ab' }))).toEqual([3, 'Error: not a pcap or pcapng capture file (too short)']);
  });

  it('a corrupt record header: what came before is printed, then the error', async () => {
    const good = readFileSync(fixture('v311-session.pcap'));
    const bad = Buffer.concat([good, Buffer.from('00000000000000000000ff7f00000000', 'hex')]);
    const r = await runMqtt(['sniff', '-r', files('corrupt.pcap', bad), '-q']);
    expect(failure(r)).toEqual([3, 'Error: corrupt pcap record: 2147418112 bytes captured']);
    expect(stdoutLines(r)).toHaveLength(18);
  });

  it('-w to a file that cannot be written', async () => {
    const [code, line] = failure(await runMqtt(['sniff', '-i', 'lo', '-w', '/nonexistent/dir/x.pcap']));
    expect(code).toBe(3);
    expect(line).toMatch(/^Error: cannot write \/nonexistent\/dir\/x.pcap: /);
  });
});

describe('mqtt sniff decodes what it can', () => {
  it('a truncated file: everything before the cut, a warning, exit 7 (2 with --check violations)', async () => {
    const bytes = readFileSync(fixture('v311-session.pcap'));
    const r = await runMqtt(['sniff', '-r', '-', '--json', '-q'], { input: bytes.subarray(0, bytes.length - 10) });
    expect(r.code).toBe(7);
    expect(r.stderr).toBe('Warning: the capture file ends inside a record (60 bytes ignored): was it cut off? Everything before was decoded.\n');
    expect(stdoutLines(r)).toHaveLength(18);
    const v = readFileSync(fixture('violations.pcap'));
    expect((await runMqtt(['sniff', '-r', '-', '--check', '-q'], { input: v.subarray(0, v.length - 10) })).code).toBe(2);
  });

  it('a frame cut short by the snaplen: a gap where its bytes were, a warning, exit 0', async () => {
    const r = await runMqtt(['sniff', '-r', fixture('gap-midstream.pcap'), '-q']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("Warning: 1 frame was cut short by the capture's snapshot length: the bytes lost are gaps in their TCP streams\n");
    expect(r.stdout.toString()).toContain('-- 96 bytes not captured (a gap in the TCP stream)');
  });

  it('garbage on an MQTT port: said once, in one line, and the rest of the capture decoded', async () => {
    const http = stagedCapture((c) => {
      c.send(true, Buffer.from('GET / HTTP/1.1\r\nHost: broker\r\n\r\n'));
      c.send(false, Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'));
      c.close();
    });
    const mqtt = stagedCapture((c) => {
      c.send(true, connect('after-garbage'));
      c.close();
    }, { client: { host: '127.0.0.1', port: 40002 } });
    const r = await runMqtt(['sniff', '-r', files('garbage.pcap', Buffer.concat([http, mqtt.subarray(24)])), '-q']);
    expect(r.code).toBe(0);
    expect(stdoutLines(r)).toEqual([
      expect.stringMatching(/^\S+ 127\.0\.0\.1:40001 > 127\.0\.0\.1:1883 -- not MQTT on port 1883: the client began with "GET \/ HTTP\/1\.1\\r\\nHost: br"…$/),
      expect.stringMatching(/127\.0\.0\.1:40002 > 127\.0\.0\.1:1883 \[after-garbage\] CONNECT v3\.1\.1/),
    ]);
    const summary = await runMqtt(['sniff', '-r', files('garbage.pcap'), '--no-packets']);
    expect(summary.stderr).toContain('2 connections (1 MQTT, 1 not MQTT on an MQTT port)');
  });

  it('garbage inside an MQTT stream: the bytes are reported as skipped, no packet is invented, decoding resumes', async () => {
    const file = files('garbage-inside.pcap', stagedCapture((c) => {
      c.send(true, connect('noisy'));
      c.send(true, Buffer.from([0x00, 0xff, 0xff, 0xff, 0xff, 0x7f]));
      c.send(true, enc({ cmd: 'pingreq' }));
      c.close();
    }));
    const r = await runMqtt(['sniff', '-r', file, '-q']);
    expect(r.code).toBe(0);
    expect(stdoutLines(r).map((l) => l.replace(/^\S+ \S+ > \S+ /, ''))).toEqual([
      '[noisy] CONNECT v3.1.1 keepalive=30 clean',
      '[noisy] -- 6 bytes skipped: malformed Remaining Length (more than 4 bytes)',
      '[noisy] PINGREQ',
    ]);
  });
});

describe('mqtt sniff when live capture cannot work: one clear line and a distinct exit status', () => {
  it('the libpcap binding "cap" is missing: exit 4', async () => {
    const r = await runCmd(process.execPath, [isolatedMqtt('no-cap'), 'sniff', '-i', 'lo']);
    const [code, line] = failure(r);
    expect(code).toBe(4);
    expect(line).toMatch(/^Error: live capture needs the optional libpcap binding "cap".*apt-get install libpcap-dev && npm rebuild cap/);
  });

  it('libpcap itself is missing (cap.node does not load): exit 4', async () => {
    const dlopenFailure = `const e = new Error('libpcap.so.0.8: cannot open shared object file: No such file or directory'); e.code = 'ERR_DLOPEN_FAILED'; throw e;`;
    const r = await runCmd(process.execPath, [isolatedMqtt('no-libpcap', dlopenFailure), 'sniff', '-i', 'lo']);
    expect(failure(r)).toEqual([4, 'Error: live capture needs libpcap: apt-get install libpcap0.8 (or read a capture file with -r)']);
  });

  it.runIf(capLoads())('an interface that does not exist: exit 6', async () => {
    const [code, line] = failure(await runMqtt(['sniff', '-i', 'nosuch0']));
    expect(code).toBe(6);
    expect(line).toMatch(/^Error: cannot capture on nosuch0: no such interface \(there are: .*\blo\b/);
  });

  it.runIf(capLoads())('no permission (not root, no CAP_NET_RAW): exit 5', async () => {
    // as root, the same run without CAP_NET_RAW (setpriv, util-linux); otherwise we are already unprivileged
    const unprivileged = process.getuid?.() === 0 ? ['setpriv', '--bounding-set', '-net_raw', '--inh-caps', '-net_raw'] : [];
    const [cmd, ...args] = [...unprivileged, process.execPath, MQTT_BIN, 'sniff', '-i', 'lo'];
    const [code, line] = failure(await runCmd(cmd!, args));
    expect(code).toBe(5);
    expect(line).toMatch(/^Error: cannot capture on lo: permission denied \(live capture needs root or CAP_NET_RAW/);
  });

  it.runIf(capLoads())('a filter libpcap rejects is a usage error: exit 1', async () => {
    const r = await runMqtt(['sniff', '-i', 'lo', 'port']);
    expect(failure(r)).toEqual([1, `Error: invalid capture filter "port": can't parse filter expression: syntax error`]);
  });
});
