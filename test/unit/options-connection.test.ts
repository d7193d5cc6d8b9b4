import { describe, expect, it } from 'vitest';
import { resolvePubArgs } from '../../src/commands/pub.js';
import { errorText, scratchDir, testContext, writeFile } from './options-fixtures.js';

// The shared groups (connection, TLS, will, -D) seen through `mqtt pub -t a -m x …`.
const ctx = testContext();
const pub = (...extra: string[]) => resolvePubArgs(['-t', 'a', '-m', 'x', ...extra], ctx);
const pubError = (...extra: string[]) => errorText(() => pub(...extra), 'pub');
const hint = "\nUse 'mqtt pub --help' to see usage.";

const file = scratchDir();
const CA = writeFile(file('ca.pem'), 'ca');
const CERT = writeFile(file('cert.pem'), 'cert');
const KEY = writeFile(file('key.pem'), 'key');
const CAPATH = file();

describe('connection defaults (mosquitto init_config)', () => {
  it('are localhost:1883, MQTT 3.1.1, no client id, keepalive 60, clean session, 20 in flight', async () => {
    const cfg = await pub();
    expect(cfg.client).toEqual({
      endpoint: { scheme: 'mqtt', host: 'localhost', port: 1883 },
      protocolVersion: 4,
      clientId: '',
      keepalive: 60,
      cleanSession: true,
      properties: {},
      maxInflight: 20,
      nodelay: false,
      debug: false,
      quiet: false,
    });
  });
});

describe('each connection option', () => {
  const cases: Array<[string, string[], object]> = [
    ['-h', ['-h', 'broker.example'], { endpoint: { scheme: 'mqtt', host: 'broker.example', port: 1883 } }],
    ['--host', ['--host', 'b'], { endpoint: { host: 'b' } }],
    ['-p', ['-p', '1884'], { endpoint: { scheme: 'mqtt', port: 1884 } }],
    ['--port=', ['--port=1885'], { endpoint: { port: 1885 } }],
    ['-p 0 is a unix socket named like the host (libmosquitto)', ['-h', '/tmp/s', '-p', '0'], { endpoint: { scheme: 'unix', path: '/tmp/s', port: 0 } }],
    ['-p with no digits is atoi 0', ['-p', 'abc'], { endpoint: { scheme: 'unix', path: 'localhost' } }],
    ['--unix', ['--unix', '/run/m.sock'], { endpoint: { scheme: 'unix', host: '/run/m.sock', port: 0, path: '/run/m.sock' } }],
    ['--unix then -p goes back to TCP, in order', ['--unix', 'h', '-p', '1883'], { endpoint: { scheme: 'mqtt', host: 'h', port: 1883 } }],
    ['-u -P', ['-u', 'me', '-P', 'pw'], { username: 'me', password: Buffer.from('pw') }],
    ['--username --pw', ['--username', 'me', '--pw', 'pw'], { username: 'me', password: Buffer.from('pw') }],
    ['-P takes a value starting with a dash only as --pw=', ['-u', 'me', '--pw=-x'], { password: Buffer.from('-x') }],
    ['-i', ['-i', 'client-1'], { clientId: 'client-1' }],
    ['--id', ['--id', 'c'], { clientId: 'c' }],
    ['-I is prefix + pid', ['-I', 'pre-'], { clientId: 'pre-4242' }],
    ['--id-prefix', ['--id-prefix', 'p'], { clientId: 'p4242' }],
    ['-k 5', ['-k', '5'], { keepalive: 5 }],
    ['--keepalive 65535', ['--keepalive', '65535'], { keepalive: 65535 }],
    ['-c with -i', ['-c', '-i', 'me'], { cleanSession: false }],
    ['--disable-clean-session', ['--disable-clean-session', '-i', 'me'], { cleanSession: false }],
    ['-V 5 -c: session never expires', ['-V', '5', '-c', '-i', 'me'], { protocolVersion: 5, sessionExpiry: 0xffffffff }],
    ['-V 5 -c -x 60', ['-V', '5', '-c', '-i', 'me', '-x', '60'], { sessionExpiry: 60 }],
    ['-x is strtol base 0: hex', ['-V', '5', '-x', '0x10'], { sessionExpiry: 16 }],
    ['-x is strtol base 0: octal', ['-V', '5', '-x', '010'], { sessionExpiry: 8 }],
    ['-x 4294967294', ['-V', '5', '-x', '4294967294'], { sessionExpiry: 4294967294 }],
    ['-x -1 with -i is never', ['-V', '5', '-x', '-1', '-i', 'me'], { sessionExpiry: 0xffffffff }],
    ['-x ∞ with -i is never', ['-V', '5', '-x', '∞', '-i', 'me'], { sessionExpiry: 0xffffffff }],
    ['-V mqttv31: libmosquitto generates mosq- + 18 alnum', ['-V', 'mqttv31'], { protocolVersion: 3, clientId: 'mosq-777777777777777777' }],
    ['-V 31', ['-V', '31'], { protocolVersion: 3 }],
    ['-V 311', ['-V', '311'], { protocolVersion: 4 }],
    ['-V mqttv311', ['-V', 'mqttv311'], { protocolVersion: 4 }],
    ['-V 5: empty id, the broker assigns one', ['-V', '5'], { protocolVersion: 5, clientId: '' }],
    ['--protocol-version mqttv5', ['--protocol-version', 'mqttv5'], { protocolVersion: 5 }],
    ['-A', ['-A', '127.0.0.2'], { bindAddress: '127.0.0.2' }],
    ['--nodelay', ['--nodelay'], { nodelay: true }],
    ['-M', ['-M', '1'], { maxInflight: 1 }],
    ['-d', ['-d'], { debug: true }],
    ['--debug', ['--debug'], { debug: true }],
    ['--quiet', ['--quiet'], { quiet: true }],
    ['-D switches to v5', ['-D', 'publish', 'user-property', 'k', 'v'], { protocolVersion: 5, properties: { publish: { userProperties: { k: 'v' } } } }],
    ['--property with 3 words', ['--property', 'connect', 'receive-maximum', '10'], { properties: { connect: { receiveMaximum: 10 } } }],
    ['--property=words', ['--property=publish content-type text/plain'], { properties: { publish: { contentType: 'text/plain' } } }],
    ['-D words may start with a dash', ['-D', 'publish', 'user-property', '-k', '-v'], { properties: { publish: { userProperties: { '-k': '-v' } } } }],
    ['a later -V after -D wins, as in mosquitto', ['-D', 'connect', 'receive-maximum', '10', '-V', '311'], { protocolVersion: 4 }],
  ];
  it.each(cases)('%s', async (_name, argv, expected) => {
    expect((await pub(...argv)).client).toMatchObject(expected);
  });
});

describe('session expiry is left out', () => {
  const cases: Array<[string, string[]]> = [
    ['with -c under MQTT 3.1.1', ['-c', '-i', 'me']],
    ['with -x 0', ['-V', '5', '-x', '0']],
    ['with -x under MQTT 3.1.1 (mosquitto ignores it)', ['-x', '60']],
    ['by default', []],
  ];
  it.each(cases)('%s', async (_name, argv) => {
    expect((await pub(...argv)).client.sessionExpiry).toBeUndefined();
  });
});

describe('-L URLs', () => {
  const cases: Array<[string, object, string?]> = [
    ['mqtt://host:1884/a/b', { endpoint: { scheme: 'mqtt', host: 'host', port: 1884 } }, 'a/b'],
    ['mqtt://host/t', { endpoint: { scheme: 'mqtt', host: 'host', port: 1883 } }, 't'],
    ['MQTTS://u:p@host/t', { endpoint: { scheme: 'mqtts', host: 'host', port: 8883 }, username: 'u', password: Buffer.from('p'), tls: { useOsCerts: true } }, 't'],
    ['mqtt://u@host/t', { username: 'u' }],
    ['mqtt://u:p:q@host/t', { username: 'u', password: Buffer.from('p:q') }],
    ['mqtt://host:8883/t', { endpoint: { scheme: 'mqtts', port: 8883 }, tls: { useOsCerts: true } }],
    ['ws://host/t', { endpoint: { scheme: 'ws', host: 'host', port: 80, path: '/mqtt' } }],
    ['wss://host/t', { endpoint: { scheme: 'wss', host: 'host', port: 443, path: '/mqtt' }, tls: { useOsCerts: true } }],
    ['ws://host:9001/t', { endpoint: { scheme: 'ws', port: 9001 } }],
    ['mqtt://host/', { endpoint: { host: 'host' } }],
  ];
  it.each(cases)('%s', async (url, expected, topic) => {
    const argv = url.endsWith('/') ? ['-L', url, '-t', 'x', '-m', 'm'] : ['-L', url, '-m', 'm'];
    if (url.endsWith('/')) return expect(await errorText(() => resolvePubArgs(argv, ctx), 'pub')).toBe(`Error: Invalid publish topic '', a topic must not be empty.${hint}`);
    const cfg = await resolvePubArgs(argv, ctx);
    expect(cfg.client).toMatchObject(expected);
    if (topic) expect(cfg.topic).toBe(topic);
  });
  it('--ws-path sets the WebSocket path', async () => {
    expect((await resolvePubArgs(['-L', 'wss://h/t', '--ws-path', '/ws', '-n'], ctx)).client.endpoint).toEqual({ scheme: 'wss', host: 'h', port: 443, path: '/ws' });
  });
  it('a later -P overrides the URL password, a later -t the URL topic', async () => {
    const cfg = await resolvePubArgs(['-L', 'mqtt://u:p@h/t', '-P', 'other', '-t', 'later', '-n'], ctx);
    expect(cfg.client.password).toEqual(Buffer.from('other'));
    expect(cfg.topic).toBe('later');
  });
});

describe('will', () => {
  const cases: Array<[string[], object | undefined]> = [
    [[], undefined],
    [['--will-topic', 'w'], { topic: 'w', payload: Buffer.alloc(0), qos: 0, retain: false }],
    [['--will-topic', 'w', '--will-payload', 'bye', '--will-qos', '2', '--will-retain'], { topic: 'w', payload: Buffer.from('bye'), qos: 2, retain: true }],
    [['--will-topic', 'w', '-D', 'will', 'content-type', 'x'], { topic: 'w', properties: { contentType: 'x' } }],
  ];
  it.each(cases)('%j', async (argv, expected) => {
    const cfg = await pub(...argv);
    if (expected === undefined) expect(cfg.client.will).toBeUndefined();
    else expect(cfg.client.will).toMatchObject(expected);
  });
});

describe('TLS (the 8883 rules of client_connect and client_tls_opts_set)', () => {
  const cases: Array<[string, string[], object, object | undefined]> = [
    ['--cafile: TLS on 8883', ['--cafile', CA], { scheme: 'mqtts', port: 8883 }, { caFile: CA, useOsCerts: false }],
    ['--capath: TLS on 8883', ['--capath', CAPATH], { scheme: 'mqtts', port: 8883 }, { caPath: CAPATH }],
    ['--cafile with -p keeps the port', ['--cafile', CA, '-p', '8884'], { scheme: 'mqtts', port: 8884 }, { caFile: CA }],
    ['-p 8883 alone: TLS with the OS store', ['-p', '8883'], { scheme: 'mqtts', port: 8883 }, { useOsCerts: true }],
    ['--tls-use-os-certs keeps 1883', ['--tls-use-os-certs'], { scheme: 'mqtts', port: 1883 }, { useOsCerts: true }],
    ['--insecure alone stays plain', ['--insecure'], { scheme: 'mqtt', port: 1883 }, undefined],
    ['--cert/--key alone stay plain (mosquitto #3178)', ['--cert', CERT, '--key', KEY], { scheme: 'mqtt' }, undefined],
    [
      'every TLS option',
      ['--cafile', CA, '--cert', CERT, '--key', KEY, '--keyform', 'PEM', '--tls-version', 'TLSv1.3', '--ciphers', 'HIGH', '--tls-alpn', 'mqtt', '--insecure'],
      { scheme: 'mqtts', port: 8883 },
      { caFile: CA, certFile: CERT, keyFile: KEY, version: 'tlsv1.3', ciphers: 'HIGH', alpn: 'mqtt', insecure: true },
    ],
    ['--psk', ['--psk', 'C0FFEE', '--psk-identity', 'me'], { scheme: 'mqtts', port: 8883 }, { psk: { identity: 'me', keyHex: 'C0FFEE' } }],
  ];
  it.each(cases)('%s', async (_name, argv, endpoint, tls) => {
    const cfg = await pub(...argv);
    expect(cfg.client.endpoint).toMatchObject(endpoint);
    if (tls === undefined) expect(cfg.client.tls).toBeUndefined();
    else expect(cfg.client.tls).toMatchObject(tls);
  });
});

describe('password: -P, the prompt and MQTT_PASSWORD', () => {
  it('-P without a value asks, last, and the answer is the password', async () => {
    const asked: string[] = [];
    const prompt = async () => (asked.push('asked'), 'typed');
    const cfg = await resolvePubArgs(['-u', 'me', '-P', '-q', '1', '-t', 'a', '-m', 'x'], testContext({ promptPassword: prompt }));
    expect(cfg.client.password).toEqual(Buffer.from('typed'));
    expect(cfg.qos).toBe(1);
    expect(asked).toHaveLength(1);
  });
  it('does not ask when another option is wrong', async () => {
    let asked = false;
    const c = testContext({ promptPassword: async () => ((asked = true), 'x') });
    await expect(resolvePubArgs(['-u', 'me', '-P', '-t', 'a'], c)).rejects.toThrow('Both topic and message');
    expect(asked).toBe(false);
  });
  it('without a terminal to ask on, a bare -P is mosquitto’s missing-password error', async () => {
    expect(await pubError('-u', 'me', '-P')).toBe(`Error: -P argument given but no password specified.${hint}`);
  });
  const env = (over: Record<string, string>) => testContext({ env: over });
  const cases: Array<[string, string[], Buffer | undefined]> = [
    ['MQTT_PASSWORD with -u', ['-u', 'me'], Buffer.from('envpw')],
    ['MQTT_PASSWORD needs a username', [], undefined],
    ['-P beats MQTT_PASSWORD', ['-u', 'me', '-P', 'argv'], Buffer.from('argv')],
    ['a -L password beats MQTT_PASSWORD', ['-L', 'mqtt://u:url@h/t'], Buffer.from('url')],
    ['a -L user takes MQTT_PASSWORD', ['-L', 'mqtt://u@h/t'], Buffer.from('envpw')],
  ];
  it.each(cases)('%s', async (_name, argv, expected) => {
    const cfg = await resolvePubArgs([...argv, '-t', 't', '-m', 'x'], env({ MQTT_PASSWORD: 'envpw' }));
    expect(cfg.client.password).toEqual(expected);
  });
});

describe('errors, with mosquitto 2.0.11’s words', () => {
  const usage: Array<[string[], string]> = [
    [['-p', '70000'], 'Invalid port given: 70000'],
    [['-p', '-1'], 'Invalid port given: -1'],
    [['-p', '2147483648'], 'Invalid port given: -2147483648'],
    [['-k', '4'], 'Invalid keepalive given, it must be between 5 and 65535 inclusive.'],
    [['-k', '65536'], 'Invalid keepalive given, it must be between 5 and 65535 inclusive.'],
    [['-k', 'abc'], 'Invalid keepalive given, it must be between 5 and 65535 inclusive.'],
    [['-M', '0'], 'Maximum inflight messages must be greater than 0.'],
    [['-V', '5.0'], 'Invalid protocol version argument given.'],
    [['-V', 'MQTTV5'], 'Invalid protocol version argument given.'],
    [['-x', 'abc'], 'session-expiry-interval not a number.'],
    [['-x', ''], 'session-expiry-interval not a number.'],
    [['-x', '0x'], 'session-expiry-interval not a number.'],
    [['-x', '5 '], 'session-expiry-interval not a number.'],
    [['-x', '4294967296'], 'session-expiry-interval out of range.'],
    [['-x', '-2'], 'session-expiry-interval out of range.'],
    [['-i', 'a', '-I', 'b'], '-i and -I argument cannot be used together.'],
    [['-I', 'b', '-i', 'a'], '-i and -I argument cannot be used together.'],
    [['-c'], 'You must provide a client id if you are using the -c option.'],
    [['-c', '-I', 'p'], 'You must provide a client id if you are using the -c option.'],
    [['-V', '5', '-c'], 'You must provide a client id if you are using an infinite session expiry interval.'],
    [['-V', '5', '-x', '-1'], 'You must provide a client id if you are using an infinite session expiry interval.'],
    [['-V', '5', '-x', '∞', '-I', 'p'], 'You must provide a client id if you are using an infinite session expiry interval.'],
    [['--will-payload', 'x'], 'Will payload given, but no will topic given.'],
    [['--will-retain'], 'Will retain given, but no will topic given.'],
    [['--will-qos', '3', '--will-topic', 'w'], 'Invalid will QoS 3.'],
    [['--will-topic', 'a/+'], "Invalid will topic 'a/+', does it contain '+' or '#'?"],
    [['--will-topic', 'a\u0001'], 'Malformed UTF-8 in --will-topic argument.'],
    [['--cert', CERT], 'Both certfile and keyfile must be provided if one of them is set.'],
    [['--key', KEY], 'Both certfile and keyfile must be provided if one of them is set.'],
    [['--keyform', 'pem'], 'If keyform is set, keyfile must be also specified.'],
    [['--psk', 'aa'], '--psk-identity required if --psk used.'],
    [['--psk', 'aa', '--psk-identity', 'i', '--cafile', CA], 'Only one of --psk or --cafile/--capath may be used at once.'],
    [['-L', 'mqtt://host'], 'Invalid URL for -L argument specified - topic missing.'],
    [['-L', 'foo://host/t'], 'unsupported URL scheme.'],
    [['-L', 'mqtt://host/a/#'], "Invalid publish topic 'a/#', does it contain '+' or '#'?"],
    [['-L', 'mqtt://host:70000/t'], 'Invalid port given: 70000'],
    [['--ws-path', 'mqtt'], "Invalid --ws-path 'mqtt', it must start with '/'."],
    [['-D', 'connect', 'foo', '1'], 'Invalid property name foo given in --property argument.'],
    [['-D', 'subscribe', 'content-type', 'x'], 'content-type property not allowed for subscribe in --property argument.'],
    [['-D', 'publish', 'user-property', 'k'], '--property argument given but not enough arguments specified.'],
    [['-S'], '-S (DNS SRV lookup) is not supported.'],
    [['--proxy', 'socks5h://localhost'], '--proxy (SOCKS5 proxy) is not supported.'],
    [['--tls-engine', 'tpm'], '--tls-engine is not supported: Node.js has no OpenSSL engine support.'],
    [['-v'], "Unknown option '-v'."],
    [['-F', '%t'], "Unknown option '-F'."],
    [['--bogus'], "Unknown option '--bogus'."],
    [['extra'], "Unknown option 'extra'."],
    [['-D'], '--property argument given but not enough arguments specified.'],
  ];
  it.each(usage)('%j', async (argv, message) => {
    expect(await pubError(...argv)).toBe(`Error: ${message}${hint}`);
  });

  // printed by libmosquitto's setters in mosquitto: no usage hint, and --quiet silences them
  const runtime: Array<[string[], string]> = [
    [['-V', '5', '-c', '-x', '60'], 'Error: Invalid id.'],
    [['-i', ''], 'Error: Invalid id.'],
    [['-P', 'secret'], 'Error: Problem setting username and/or password.'],
    [['--cafile', '/nonexistent/ca.pem'], 'Error: Problem setting TLS options: File not found.'],
    [['--cafile', CA, '--cert', '/nonexistent', '--key', KEY], 'Error: Problem setting TLS options: File not found.'],
    [['--tls-version', 'tlsv9'], 'Error: Problem setting TLS options, check the options are valid.'],
    [['--psk', 'zz', '--psk-identity', 'i'], 'Error: Problem setting TLS-PSK options.'],
    [['--cafile', CA, '--cert', CERT, '--key', KEY, '--keyform', 'der'], "Error: Problem setting key form, it must be one of 'pem' or 'engine'."],
    [['-D', 'connect', 'receive-maximum', '0'], `Error in CONNECT properties: A network protocol error occurred when communicating with the broker.${hint}`],
  ];
  it.each(runtime)('%j', async (argv, text) => {
    expect(await pubError(...argv)).toBe(text);
    expect(await pubError(...argv, '--quiet')).toBe(text.endsWith(hint) ? hint.slice(1) : '');
  });

  it('an MQTT v5 password without a username is allowed', async () => {
    expect((await pub('-V', '5', '-P', 'pw')).client.password).toEqual(Buffer.from('pw'));
  });

  it('reports the first bad option of the command line, like mosquitto', async () => {
    expect(await pubError('-q', '3', '--will-qos', '3')).toBe(`Error: Invalid QoS given: 3${hint}`);
    expect(await pubError('--will-qos', '3', '-q', '3')).toBe(`Error: Invalid will QoS 3.${hint}`);
  });

  it('makes the cross-field checks in client_config_load’s order', async () => {
    expect(await pubError('-c', '--will-payload', 'x', '--cert', CERT)).toBe(`Error: Will payload given, but no will topic given.${hint}`);
    expect(await pubError('-c', '--cert', CERT)).toBe(`Error: Both certfile and keyfile must be provided if one of them is set.${hint}`);
    // -D has switched to v5, where -c means a session that never expires
    expect(await pubError('-c', '-D', 'connect', 'receive-maximum', '0')).toBe(
      `Error: You must provide a client id if you are using an infinite session expiry interval.${hint}`,
    );
    expect(await pubError('-V', '5', '-x', '60', '-D', 'connect', 'session-expiry-interval', '5')).toBe(
      `Error in CONNECT properties: Duplicate property in property list${hint}`,
    );
  });
});
