import { describe, expect, it } from 'vitest';
import { parseMosquittoConf } from '../../src/broker/config/mosquitto-conf.js';
import { ConfigFileError } from '../../src/broker/config/config-error.js';
import { bridgeTopic, parseBridgeTopic, remapIn, remapOut, BridgeTopicError } from '../../src/broker/bridge/topic-map.js';
import { nextRestartMs } from '../../src/broker/bridge/backoff.js';
import { hostname } from 'node:os';

const parse = (text: string) => parseMosquittoConf(text, 'mosquitto.conf', { readIncludeDir: () => [] });
const bridges = (text: string) => parse(text).config.bridges;
function error(text: string): string {
  try {
    parse(text);
  } catch (err) {
    if (err instanceof ConfigFileError) return err.message;
    throw err;
  }
  throw new Error('no error');
}

describe('topic remapping: the table of mosquitto.conf(5) "topic"', () => {
  // [pattern, local prefix, remote prefix, full local topic, full remote topic] — '""' is the empty marker
  const valid: Array<[string, string, string, string, string]> = [
    ['pattern', 'L/', 'R/', 'L/pattern', 'R/pattern'],
    ['pattern', 'L/', '""', 'L/pattern', 'pattern'],
    ['pattern', '""', 'R/', 'pattern', 'R/pattern'],
    ['pattern', '""', '""', 'pattern', 'pattern'],
    ['""', 'local', 'remote', 'local', 'remote'],
  ];
  it.each(valid)('topic %s both 0 %s %s: %s <-> %s', (pattern, local, remote, fullLocal, fullRemote) => {
    const t = parseBridgeTopic([pattern, 'both', '0', local, remote]);
    expect([t.localTopic, t.remoteTopic]).toEqual([fullLocal, fullRemote]);
    // "if you publish to L/topic on the local broker, then the remote broker will receive a message on the topic R/topic"
    expect(remapOut([t], fullLocal)).toBe(fullRemote);
    expect(remapIn([t], fullRemote)).toBe(fullLocal);
  });

  const invalid: Array<[string, string, string]> = [
    ['""', 'local', '""'],
    ['""', '""', 'remote'],
    ['""', '""', '""'],
  ];
  it.each(invalid)('topic %s both 0 %s %s is invalid', (pattern, local, remote) => {
    expect(() => parseBridgeTopic([pattern, 'both', '0', local, remote])).toThrow('Invalid bridge remapping.');
  });

  it('remaps a whole tree: topic # both 2 local/topic/ remote/topic/', () => {
    const t = parseBridgeTopic(['#', 'both', '2', 'local/topic/', 'remote/topic/']);
    expect(t.qos).toBe(2);
    expect(remapOut([t], 'local/topic/a/b')).toBe('remote/topic/a/b');
    expect(remapIn([t], 'remote/topic/a/b')).toBe('local/topic/a/b');
  });

  it("the man page's example: topic clients/total in 0 test/mosquitto/org/ $SYS/broker/", () => {
    const t = parseBridgeTopic(['clients/total', 'in', '0', 'test/mosquitto/org/', '$SYS/broker/']);
    expect(t.remoteTopic).toBe('$SYS/broker/clients/total');
    expect(remapIn([t], '$SYS/broker/clients/total')).toBe('test/mosquitto/org/clients/total');
    // an `in` line never renames what goes out
    expect(remapOut([t], 'test/mosquitto/org/clients/total')).toBe('test/mosquitto/org/clients/total');
  });

  it('defaults: direction out, QoS 0; no prefix, no renaming; the first matching prefixed line decides', () => {
    const plain = parseBridgeTopic(['a/#']);
    expect([plain.direction, plain.qos, plain.localTopic, plain.remoteTopic]).toEqual(['out', 0, 'a/#', 'a/#']);
    const first = bridgeTopic('x/#', 'out', 1, 'L/', 'R1/');
    const second = bridgeTopic('#', 'out', 1, 'L/', 'R2/');
    expect(remapOut([plain, first, second], 'L/x/1')).toBe('R1/x/1');
    expect(remapOut([plain, first, second], 'L/y')).toBe('R2/y');
    expect(remapOut([plain, first, second], 'a/b')).toBe('a/b');
  });

  it('bad lines, in Mosquitto\'s words', () => {
    const message = (words: string[]) => {
      try {
        parseBridgeTopic(words);
      } catch (err) {
        expect(err).toBeInstanceOf(BridgeTopicError);
        return (err as Error).message;
      }
      return 'no error';
    };
    expect(message(['a', 'sideways'])).toBe("Invalid bridge topic direction 'sideways'.");
    expect(message(['a', 'out', '3'])).toBe("Invalid bridge QoS level '3'.");
    expect(message(['a', 'out', '0', 'L/+/'])).toBe("Invalid bridge topic local prefix 'L/+/'.");
    expect(message(['a', 'out', '0', 'L/', 'R/#/'])).toBe("Invalid bridge topic remote prefix 'R/#/'.");
    expect(message(['a#', 'out', '0', 'L/', 'R/'])).toBe("Invalid bridge topic local prefix and pattern combination 'L/a#'.");
    // a comment after the direction ends the line
    expect(parseBridgeTopic(['a', 'IN', '1', '#', 'comment']).direction).toBe('in');
  });
});

describe('connection sections', () => {
  it("reads every option; defaults are Mosquitto's: remote id <hostname>.<name>, local id local.<remote id>", () => {
    const [b] = bridges('connection edge\naddress broker.example.com\ntopic # both 0');
    expect(b).toMatchObject({
      name: 'edge',
      addresses: [{ host: 'broker.example.com', port: 1883 }],
      remoteClientId: `${hostname()}.edge`,
      localClientId: `local.${hostname()}.edge`,
      cleanSession: false,
      localCleanSession: false,
      protocolVersion: 4,
      tryPrivate: true,
      attemptUnsubscribe: true,
      outgoingRetain: true,
      keepalive: 60,
      startType: 'automatic',
      restartTimeout: 5,
      backoffCap: 30,
      threshold: 10,
      idleTimeout: 60,
      notifications: true,
      notificationTopic: `$SYS/broker/connection/${hostname()}.edge/state`,
    });
    const [c] = bridges(
      [
        'connection c',
        'addresses a.example:1884 [::1]:1885 b.example',
        'round_robin true',
        'topic x in 2',
        'topic y out 1 L/ R/',
        'remote_clientid rid',
        'remote_username ru',
        'remote_password rp',
        'local_clientid lid',
        'cleansession true',
        'local_cleansession false',
        'bridge_protocol_version mqttv50',
        'try_private false',
        'bridge_attempt_unsubscribe false',
        'bridge_outgoing_retain false',
        'bridge_max_packet_size 1000',
        'keepalive_interval 30',
        'start_type once',
        'restart_timeout 20',
        'notifications_local_only true',
        'notification_topic bridges/c',
        'bridge_cafile /ca.pem',
        'bridge_insecure true',
        'bridge_tls_version tlsv1.3',
      ].join('\n'),
    );
    expect(c).toMatchObject({
      addresses: [
        { host: 'a.example', port: 1884 },
        { host: '::1', port: 1885 },
        { host: 'b.example', port: 1883 },
      ],
      roundRobin: true,
      remoteClientId: 'rid',
      remoteUsername: 'ru',
      remotePassword: 'rp',
      localClientId: 'lid',
      cleanSession: true,
      localCleanSession: false,
      protocolVersion: 5,
      tryPrivate: false,
      attemptUnsubscribe: false,
      outgoingRetain: false,
      maxPacketSize: 1000,
      keepalive: 30,
      startType: 'once',
      restartTimeout: 20,
      backoffCap: 0,
      notificationsLocalOnly: true,
      notificationTopic: 'bridges/c',
      tls: { caFile: '/ca.pem', insecure: true, version: 'tlsv1.3' },
    });
    expect(c!.topics.map((t) => [t.direction, t.qos, t.localTopic, t.remoteTopic])).toEqual([
      ['in', 2, 'x', 'x'],
      ['out', 1, 'L/y', 'R/y'],
    ]);
  });

  it('start_type lazy with its threshold and idle_timeout (Mosquitto: values below 1 become 1, with a notice)', () => {
    expect(bridges('connection a\naddress h\ntopic a\nstart_type lazy\nthreshold 3\nidle_timeout 7')[0]).toMatchObject({ startType: 'lazy', threshold: 3, idleTimeout: 7 });
    expect(bridges('connection a\naddress h\ntopic a\nstart_type lazy\nthreshold 0\nidle_timeout 0')[0]).toMatchObject({ threshold: 1, idleTimeout: 1 });
  });

  it('several bridges; a bridge option outside a section; unique local ids', () => {
    expect(bridges('connection a\naddress h1\ntopic a\nconnection b\naddress h2\ntopic b').map((b) => b.name)).toEqual(['a', 'b']);
    expect(error('address h1')).toBe('Error: Invalid bridge configuration.\nError found at mosquitto.conf:1.');
    expect(error('connection a\naddress h\ntopic a\nlocal_clientid x\nconnection b\naddress h\ntopic b\nlocal_clientid x')).toContain(
      "Error: Bridge local_clientid 'x' is not unique.",
    );
  });

  // an option we accept either works or stops the broker with a reason
  const refused: Array<[string, string]> = [
    ['idle_timeout 30', 'only applies to start_type lazy (this bridge is automatic)'],
    ['threshold 5', 'only applies to start_type lazy'],
    ['start_type lazy\nlocal_cleansession true', 'start_type lazy needs local_cleansession false'],
    ['bridge_cafile /ca\nbridge_require_ocsp true', 'OCSP is not checked'],
    ['bridge_certfile /c.pem', 'TLS options need bridge_cafile'],
    ['bridge_ciphers HIGH', 'Unsupported bridge option "bridge_ciphers"'],
    ['bridge_no_such_thing 1', 'Unknown configuration variable "bridge_no_such_thing"'],
    ['restart_timeout 30 10', 'backoff cap is lower than the base in restart_timeout.'],
    ['keepalive_interval 2', 'the minimum is 5 seconds'],
    ['bridge_protocol_version mqttv6', 'Invalid bridge_protocol_version value (mqttv6).'],
    ['remote_password p', 'remote_password needs remote_username'],
  ];
  it.each(refused)('%j is a start-up error', (option, words) => {
    expect(error(`connection a\naddress h\ntopic a\n${option}`)).toContain(words);
  });
  it('[extra] ws:// and wss:// addresses: the remote over WebSocket (ports 80/443, path /mqtt by default)', () => {
    const [b] = bridges('connection w\naddresses ws://h1 wss://h2:8443/ws h3:1884 ws://[::1]:9001/\ntopic a');
    expect(b!.addresses).toEqual([
      { host: 'h1', port: 80, webSocket: { secure: false, path: '/mqtt' } },
      { host: 'h2', port: 8443, webSocket: { secure: true, path: '/ws' } },
      { host: 'h3', port: 1884 },
      { host: '::1', port: 9001, webSocket: { secure: false, path: '/' } },
    ]);
    expect(b!.tls).toBeUndefined();
    expect(error('connection w\naddress ws://user:pw@h/mqtt\ntopic a')).toContain('remote_username');
    expect(error('connection w\naddress ws://h/mqtt?x=1\ntopic a')).toContain('query');
    expect(error('connection w\naddress ws://:80\ntopic a')).toContain('Invalid bridge address');
    // TLS asked for, and an address in the clear: refused, never half-applied
    expect(error('connection w\naddress ws://h\ntopic a\nbridge_cafile ca.crt')).toContain('use wss://');
    expect(error('connection w\naddress wss://h\ntopic a\nbridge_identity i\nbridge_psk 0a')).toContain('not available over WebSocket');
    expect(bridges('connection w\naddress wss://h\ntopic a\nbridge_cafile ca.crt')[0]!.tls).toMatchObject({ caFile: 'ca.crt' });
  });
  it('a section without address or topic is an error', () => {
    expect(error('connection a\ntopic a')).toContain('has no address');
    expect(error('connection a\naddress h')).toContain('has no topic lines');
  });
});

describe('restart_timeout: constant, or decorrelated jitter between base and cap', () => {
  it('constant', () => {
    expect(nextRestartMs({ restartTimeout: 20, backoffCap: 0 }, undefined)).toBe(20_000);
    expect(nextRestartMs({ restartTimeout: 20, backoffCap: 0 }, 20_000)).toBe(20_000);
  });
  it('backoff: in [base, 3 x previous), capped', () => {
    const policy = { restartTimeout: 5, backoffCap: 30 };
    expect(nextRestartMs(policy, undefined, () => 0)).toBe(5_000);
    expect(nextRestartMs(policy, 5_000, () => 0.999999)).toBe(14_999);
    expect(nextRestartMs(policy, 14_999, () => 0.999999)).toBe(30_000);
    let previous: number | undefined;
    for (let i = 0; i < 200; i++) {
      const next = nextRestartMs(policy, previous);
      expect(next).toBeGreaterThanOrEqual(5_000);
      expect(next).toBeLessThanOrEqual(30_000);
      previous = next;
    }
  });
});
