import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ALL_LOG_TYPES, defaultBrokerConfig, persistencePath, type BrokerConfig } from '../../src/broker/config/broker-config.js';
import { applyCommandLine, isLoopbackAddress, parsePortArgument } from '../../src/broker/config/command-line.js';
import { ConfigFileError } from '../../src/broker/config/config-error.js';
import { compareIncludeNames } from '../../src/broker/config/include-dir.js';
import { loadMosquittoConf, parseMosquittoConf, type ParsedConfig } from '../../src/broker/config/mosquitto-conf.js';
import { describeIfTool } from '../helpers/peers.js';

const FILE = 'mosquitto.conf';
const parse = (text: string): ParsedConfig => parseMosquittoConf(text, FILE, { readIncludeDir: () => [] });
const config = (text: string): BrokerConfig => parse(text).config;

function parseError(text: string): ConfigFileError {
  try {
    parse(text);
  } catch (err) {
    if (err instanceof ConfigFileError) return err;
    throw err;
  }
  throw new Error(`no error for:\n${text}`);
}

const scratch = mkdtempSync(path.join(tmpdir(), 'mqtt-broker-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('defaults (Mosquitto 2.0)', () => {
  it('without a configuration: local-only mode on 127.0.0.1 and ::1 port 1883, anonymous allowed', () => {
    const c = defaultBrokerConfig();
    expect(c.localOnly).toBe(true);
    expect(c.listeners.map((l) => [l.host, l.port, l.protocol, l.tls])).toEqual([
      ['127.0.0.1', 1883, 'mqtt', undefined],
      ['::1', 1883, 'mqtt', undefined],
    ]);
    expect(c.listeners.every((l) => l.security === c.security && l.security.allowAnonymous)).toBe(true);
    expect(c).toMatchObject({
      maxInflightMessages: 20,
      maxQueuedMessages: 1000,
      maxPacketSize: 0,
      messageSizeLimit: 0,
      maxKeepalive: 65535,
      retainAvailable: true,
      sysInterval: 10,
      persistence: false,
      persistenceMode: 'durable',
      autosaveInterval: 1800,
      autosaveOnChanges: false,
      perListenerSettings: false,
      verbose: false,
      log: { types: ['error', 'warning', 'notice', 'information'], dest: { stderr: true, stdout: false, topic: false }, timestamp: true, connectionMessages: true },
    });
    expect(c.security).toMatchObject({ allowZeroLengthClientId: true, autoIdPrefix: 'auto-' });
  });

  it('a file with only comments, blank lines, CRLF and stray whitespace is the default', () => {
    const { config: c, warnings } = parse('# a comment\r\n\r\n   \t\n   # indented comment\n\t\r\n');
    expect(warnings).toEqual([]);
    expect(c).toEqual(defaultBrokerConfig());
  });

  it('reads CRLF, tabs and trailing whitespace in option lines', () => {
    const c = config('listener\t1884   127.0.0.1  \r\n  allow_anonymous true\t\r\n');
    expect(c.listeners).toMatchObject([{ port: 1884, host: '127.0.0.1' }]);
    expect(c.security.allowAnonymous).toBe(true);
  });
});

describe('every supported option', () => {
  const L = 'listener 1884\n';
  const cases: Array<[string, (c: BrokerConfig) => unknown, unknown]> = [
    ['listener 1884', (c) => c.listeners.map((l) => [l.port, l.host, l.socketPath, l.origin]), [[1884, undefined, undefined, 'mosquitto.conf:1']]],
    ['listener 1884 127.0.0.1', (c) => c.listeners[0]!.host, '127.0.0.1'],
    ['listener 1884 # comment', (c) => c.listeners[0]!.host, undefined],
    ['listener 0 /run/mqtt.sock', (c) => [c.listeners[0]!.port, c.listeners[0]!.socketPath, c.listeners[0]!.host], [0, '/run/mqtt.sock', undefined]],
    ['listener 1884\nlistener 8080 ::1\nprotocol websockets', (c) => c.listeners.map((l) => [l.port, l.protocol]), [[1884, 'mqtt'], [8080, 'websockets']]],
    ['port 1885', (c) => c.listeners.map((l) => [l.port, l.host]), [[1885, undefined]]],
    ['bind_address 127.0.0.1', (c) => c.listeners.map((l) => [l.port, l.host]), [[1883, '127.0.0.1']]],
    // Mosquitto appends the default listener after the `listener` ones
    ['port 1885\nlistener 1886', (c) => c.listeners.map((l) => l.port), [1886, 1885]],
    [L + 'protocol mqtt', (c) => c.listeners[0]!.protocol, 'mqtt'],
    [L + 'socket_domain ipv4', (c) => c.listeners[0]!.socketDomain, 'ipv4'],
    [L + 'max_connections 10', (c) => c.listeners[0]!.maxConnections, 10],
    [L + 'max_connections -5', (c) => c.listeners[0]!.maxConnections, -1],
    [L + 'certfile /c.pem\nkeyfile /k.pem', (c) => c.listeners[0]!.tls, { certFile: '/c.pem', keyFile: '/k.pem', requireCertificate: false, useIdentityAsUsername: false }],
    [
      L + 'cafile /ca.pem\ncapath /certs\ncertfile /c.pem\nkeyfile /k.pem\nrequire_certificate true\nuse_identity_as_username true\ntls_version tlsv1.3',
      (c) => c.listeners[0]!.tls,
      { caFile: '/ca.pem', caPath: '/certs', certFile: '/c.pem', keyFile: '/k.pem', requireCertificate: true, useIdentityAsUsername: true, minVersion: 'TLSv1.3' },
    ],
    [L + 'certfile /my certs/c.pem\nkeyfile /k.pem', (c) => c.listeners[0]!.tls?.certFile, '/my certs/c.pem'],
    [
      L + 'certfile /c.pem\nkeyfile /k.pem\ncafile /ca.pem\nrequire_certificate true\ncrlfile /crl.pem\nciphers ECDHE-RSA-AES128-GCM-SHA256:!aNULL\nciphers_tls1.3 TLS_AES_128_GCM_SHA256\ndhparamfile /dh.pem',
      (c) => c.listeners[0]!.tls,
      {
        certFile: '/c.pem', keyFile: '/k.pem', caFile: '/ca.pem', requireCertificate: true, useIdentityAsUsername: false, crlFile: '/crl.pem',
        ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:!aNULL', ciphersTls13: 'TLS_AES_128_GCM_SHA256', dhParamFile: '/dh.pem',
      },
    ],
    // TLS-PSK alone: no certificate needed; psk_file is a security option like password_file
    [
      'psk_file /psk\n' + L + 'psk_hint my hint\nuse_identity_as_username true\nciphers PSK',
      (c) => [c.listeners[0]!.tls, c.listeners[0]!.security.pskFile],
      [{ pskHint: 'my hint', requireCertificate: false, useIdentityAsUsername: true, ciphers: 'PSK' }, '/psk'],
    ],
    [L + 'allow_anonymous true', (c) => c.security.allowAnonymous, true],
    [L + 'allow_anonymous 1', (c) => c.security.allowAnonymous, true],
    ['allow_anonymous false\n' + L, (c) => c.listeners[0]!.security.allowAnonymous, false],
    [L + 'password_file /etc/mosquitto/passwd', (c) => c.listeners[0]!.security.passwordFile, '/etc/mosquitto/passwd'],
    [L + 'acl_file /etc/mosquitto/acl', (c) => c.security.aclFile, '/etc/mosquitto/acl'],
    [L + 'allow_zero_length_clientid false', (c) => c.security.allowZeroLengthClientId, false],
    [L + 'auto_id_prefix pre-', (c) => c.security.autoIdPrefix, 'pre-'],
    ['max_inflight_messages 100', (c) => c.maxInflightMessages, 100],
    ['max_inflight_messages 0', (c) => c.maxInflightMessages, 0],
    ['max_inflight_messages -1', (c) => c.maxInflightMessages, 0],
    ['max_inflight_messages 65535', (c) => c.maxInflightMessages, 0],
    ['max_queued_messages 500', (c) => c.maxQueuedMessages, 500],
    ['max_queued_messages -1', (c) => c.maxQueuedMessages, 0],
    ['max_packet_size 20', (c) => c.maxPacketSize, 20],
    ['message_size_limit 1024', (c) => c.messageSizeLimit, 1024],
    ['max_keepalive 10', (c) => c.maxKeepalive, 10],
    ['retain_available false', (c) => c.retainAvailable, false],
    ['', (c) => c.checkRetainSource, true],
    ['check_retain_source false', (c) => c.checkRetainSource, false],
    ['check_retain_source true', (c) => c.checkRetainSource, true],
    ['sys_interval 0', (c) => c.sysInterval, 0],
    ['sys_interval 30', (c) => c.sysInterval, 30],
    ['connection_messages false', (c) => c.log.connectionMessages, false],
    ['log_timestamp false', (c) => c.log.timestamp, false],
    ['log_timestamp_format %Y-%m-%dT%H:%M:%S', (c) => c.log.timestampFormat, '%Y-%m-%dT%H:%M:%S'],
    ['log_type error\nlog_type subscribe', (c) => c.log.types, ['error', 'subscribe']],
    ['log_type all', (c) => c.log.types, ALL_LOG_TYPES],
    ['log_type all\nlog_type none\nlog_type debug', (c) => c.log.types, ['debug']],
    ['log_dest stdout', (c) => c.log.dest, { stderr: false, stdout: true, topic: false }],
    ['log_dest topic\nlog_dest file /var/log/my mosquitto.log', (c) => c.log.dest, { stderr: false, stdout: false, topic: true, file: '/var/log/my mosquitto.log' }],
    ['log_dest stderr\nlog_dest none', (c) => c.log.dest, { stderr: false, stdout: false, topic: false, file: undefined, syslog: false }],
    ['persistence false', (c) => c.persistence, false],
    ['persistence true\npersistence_location /var/lib/mosquitto/\nautosave_interval 60', (c) => c.persistence, true],
    ['persistence_location /var/lib/mosquitto/', (c) => persistencePath(c), '/var/lib/mosquitto/mqtt-broker.lmdb'],
    ['persistence_location /srv/mq\npersistence_file my store.db', (c) => persistencePath(c), '/srv/mq/my store.db'],
    ['autosave_interval 60\nautosave_on_changes true', (c) => [c.autosaveInterval, c.autosaveOnChanges], [60, true]],
    ['persistence_mode autosave', (c) => c.persistenceMode, 'autosave'],
    ['persistent_client_expiration 2h', (c) => c.persistentClientExpiration, 7200],
    ['persistent_client_expiration 1w', (c) => c.persistentClientExpiration, 604800],
    ['user mosquitto', (c) => c.user, 'mosquitto'],
  ];
  it.each(cases)('%j', (text, get, expected) => {
    expect(get(config(text))).toEqual(expected);
  });
});

describe('allow_anonymous and local-only mode', () => {
  const cases: Array<[string, string, boolean, boolean[]]> = [
    ['no listener: local-only, anonymous allowed', 'password_file /p', true, [true, true]],
    ['a listener: anonymous refused', 'listener 1884', false, [false]],
    ['old-style port: anonymous refused', 'port 1884', false, [false]],
    ['bind_address alone leaves local-only mode', 'bind_address 127.0.0.1', false, [false]],
    ['allow_anonymous true on a listener', 'listener 1884\nallow_anonymous true', false, [true]],
    // Mosquitto 2.0.11 ignores this one (its issue 3198): an explicit false is kept here
    ['explicit false in local-only mode holds', 'allow_anonymous false', true, [false, false]],
    ['per listener: each defaults to false', 'per_listener_settings true\nlistener 1\nallow_anonymous true\nlistener 2', false, [true, false]],
    ['per listener without listeners: local listeners allow anonymous', 'per_listener_settings true', true, [true, true]],
  ];
  it.each(cases)('%s', (_name, text, localOnly, anonymous) => {
    const c = config(text);
    expect(c.localOnly).toBe(localOnly);
    expect(c.listeners.map((l) => l.security.allowAnonymous)).toEqual(anonymous);
  });
});

describe('per_listener_settings', () => {
  it('false (the default): security options are global wherever they are written, and shared', () => {
    const c = config('password_file /a\nlistener 1\nacl_file /acl\nlistener 2\nallow_anonymous true');
    expect(c.security).toMatchObject({ passwordFile: '/a', aclFile: '/acl', allowAnonymous: true });
    expect(c.listeners.every((l) => l.security === c.security)).toBe(true);
  });

  it('true: each security option belongs to the listener it follows', () => {
    const c = config(
      'per_listener_settings true\nlistener 1\npassword_file /p1\nallow_anonymous true\nauto_id_prefix one-\nlistener 2\nacl_file /acl2\nallow_zero_length_clientid false',
    );
    const [one, two] = c.listeners;
    expect(one!.security).toMatchObject({ passwordFile: '/p1', allowAnonymous: true, autoIdPrefix: 'one-', allowZeroLengthClientId: true });
    expect(one!.security.aclFile).toBeUndefined();
    expect(two!.security).toMatchObject({ aclFile: '/acl2', allowAnonymous: false, autoIdPrefix: 'auto-', allowZeroLengthClientId: false });
    expect(two!.security.passwordFile).toBeUndefined();
    expect(c.security.passwordFile).toBeUndefined();
  });

  it('true: the same file may be named by two listeners; a second one in one listener is a duplicate', () => {
    expect(config('per_listener_settings true\nlistener 1\npassword_file /p\nlistener 2\npassword_file /p').listeners.map((l) => l.security.passwordFile)).toEqual(['/p', '/p']);
    expect(parseError('per_listener_settings true\nlistener 1\npassword_file /p\npassword_file /q').message).toBe(
      'Error: Duplicate password_file value in configuration.\nError found at mosquitto.conf:4.',
    );
  });

  it('true: options before the first listener go to the default listener of port/bind_address', () => {
    const c = config('per_listener_settings true\npassword_file /default\nport 1885\nlistener 1886\npassword_file /other');
    expect(c.listeners.map((l) => [l.port, l.security.passwordFile])).toEqual([[1886, '/other'], [1885, '/default']]);
  });
});

describe('warnings name the file and line', () => {
  const cases: Array<[string, string[]]> = [
    ['pid_file /run/mosquitto.pid', ['Warning: Option "pid_file" at mosquitto.conf:1 is not supported: no pid file is written (ignored).']],
    // everything it is meant to keep is kept (delayed wills included): nothing to warn about
    ['persistence true', []],
    ['allow_anonymous true yes', ['Warning: Extra text "yes" after the allow_anonymous value at mosquitto.conf:1 (ignored).']],
    ['port 1884', ['Warning: The "port" option at mosquitto.conf:1 is deprecated; use "listener" instead.']],
    [
      'certfile /c.pem\nmax_connections 3\nlistener 1884',
      [
        'Warning: "certfile" at mosquitto.conf:1 comes before any listener, and no port or bind_address line creates the default listener it would apply to (ignored).',
        'Warning: "max_connections" at mosquitto.conf:2 comes before any listener, and no port or bind_address line creates the default listener it would apply to (ignored).',
      ],
    ],
    [
      'per_listener_settings true\nallow_anonymous true\nlistener 1884',
      ['Warning: "allow_anonymous" at mosquitto.conf:2 comes before any listener, and no port or bind_address line creates the default listener it would apply to (ignored).'],
    ],
  ];
  it.each(cases)('%j', (text, warnings) => {
    expect(parse(text).warnings).toEqual(warnings);
  });
});

describe('errors name the line, in Mosquitto\'s words where it has them', () => {
  const at = (line: number) => `\nError found at mosquitto.conf:${line}.`;
  const mosquittoWords: Array<[string, string]> = [
    ['listener 70000', 'Error: Invalid port value (70000).' + at(1)],
    ['listener', 'Error: Empty listener value in configuration.' + at(1)],
    ['listener 0', 'Error: A listener with port 0 must provide a Unix socket path.' + at(1)],
    ['\n\nport 0', 'Error: Invalid port value (0).' + at(3)],
    ['allow_anonymous maybe', 'Error: Invalid allow_anonymous value (maybe).' + at(1)],
    ['persistence_mode fast', 'Error: Invalid persistence_mode value (fast).' + at(1)],
    ['autosave_interval -1', 'Error: Invalid autosave_interval value (-1).' + at(1)],
    ['persistence_location /a\npersistence_location /b', 'Error: Duplicate persistence_location value in configuration.' + at(2)],
    ['allow_anonymous', 'Error: Empty allow_anonymous value in configuration.' + at(1)],
    ['password_file', 'Error: Empty password_file value in configuration.' + at(1)],
    ['password_file /a\npassword_file /b', 'Error: Duplicate password_file value in configuration.' + at(2)],
    ['max_keepalive 5', 'Error: Invalid max_keepalive value (5).' + at(1)],
    ['max_packet_size 10', 'Error: Invalid max_packet_size value (10).' + at(1)],
    ['max_inflight_messages 70000', 'Error: max_inflight_messages must be <= 65535.' + at(1)],
    ['sys_interval 70000', 'Error: Invalid sys_interval value (70000).' + at(1)],
    ['message_size_limit 300000000', 'Error: Invalid message_size_limit value (300000000).' + at(1)],
    ['listener 1884\nprotocol mqttsn', 'Error: Invalid protocol value (mqttsn).' + at(2)],
    ['listener 1884\nsocket_domain ipv5', 'Error: Invalid socket_domain value "ipv5" in configuration.' + at(2)],
    ['log_type loud', 'Error: Invalid log_type value (loud).' + at(1)],
    ['log_dest printer', 'Error: Invalid log_dest value (printer).' + at(1)],
    ['log_dest file', 'Error: Empty "log_dest file" value in configuration.' + at(1)],
    ['persistent_client_expiration 5', 'Error: Invalid persistent_client_expiration duration in configuration.' + at(1)],
    ['allow_anonymous true\nper_listener_settings true', 'Error: per_listener_settings must be set before any other security settings.' + at(2)],
    ['address 10.0.0.1', 'Error: Invalid bridge configuration.' + at(1)],
  ];
  it.each(mosquittoWords)('%j', (text, message) => {
    expect(parseError(text).message).toBe(message);
  });

  const ours: Array<[string, number, RegExp]> = [
    ['max_queued_messages many', 1, /^Error: Invalid max_queued_messages value \(many\)\.$/],
    ['listener abc', 1, /^Error: Invalid port value \(abc\)\.$/],
    ['listener 1884\ncertfile /c\nkeyfile /k\ntls_version tlsv1.0', 4, /^Error: Unsupported tls_version "tlsv1.0"\.$/],
    ['listener 1884\nauth_plugin /usr/lib/x.so', 2, /^Error: Unsupported plugin "\/usr\/lib\/x.so": only Mosquitto's dynamic security plugin/],
    ['listener 1884\nplugin /usr/lib/mosquitto_dynamic_security.so', 2, /^Error: The dynamic security plugin has no plugin_opt_config_file/],
    ['plugin /p/mosquitto_dynamic_security.so\nplugin_opt_config_file /d.json\nplugin_opt_other x', 3, /^Error: Unknown option "plugin_opt_other" for the dynamic security plugin/],
    ['plugin /p/mosquitto_dynamic_security.so\nplugin /q/mosquitto_dynamic_security.so', 2, /^Error: The dynamic security plugin is already loaded at /],
    ['auth_opt_db_host localhost', 1, /^Error: An auth_opt_ option exists in the config file without an auth_plugin\.$/],
    ['plugin_opt_config_file /d.json', 1, /^Error: An auth_opt_ option exists in the config file without an auth_plugin\.$/],
    ['listener 1884\ncrlfile /crl.pem', 2, /^Error: crlfile needs certfile and keyfile on the same listener, or the listener would not use TLS\.$/],
    ['listener 1884\nciphers HIGH', 2, /^Error: ciphers needs certfile and keyfile on the same listener/],
    ['listener 1884\ndhparamfile /dh.pem', 2, /^Error: dhparamfile needs certfile and keyfile on the same listener/],
    ['listener 1884\npsk_hint h\nrequire_certificate true', 3, /^Error: require_certificate needs certfile and keyfile on the same listener, or the listener would not use a certificate\.$/],
    ['listener 1884\npsk_hint h\nciphers_tls1.3 HIGH', 3, /^Error: ciphers_tls1\.3 takes TLS 1\.3 ciphersuites separated by ':'/],
    ['listener 1884\npsk_hint h\nciphers TLS_AES_128_GCM_SHA256', 3, /^Error: ciphers is for TLS 1\.2 and earlier; put TLS 1\.3 ciphersuites/],
    ['listener 1884\nuse_subject_as_username true', 2, /"use_subject_as_username"/],
    ['listener 1884\nuse_username_as_clientid true', 2, /"use_username_as_clientid"/],
    ['listener 1884\nmount_point tenant/', 2, /"mount_point"/],
    ['listener 1884\nbind_interface eth0', 2, /"bind_interface"/],
    ['clientid_prefixes secure-', 1, /"clientid_prefixes"/],
    ['check_retain_source maybe', 1, /^Error: Invalid check_retain_source value \(maybe\)\.$/],
    ['listener 8883\ncertfile /c.pem', 2, /^Error: certfile needs keyfile on the same listener, or the listener would not use TLS\.$/],
    ['listener 8883\nkeyfile /k.pem', 2, /^Error: keyfile needs certfile/],
    ['listener 8883\ncafile /ca.pem', 2, /^Error: cafile needs certfile and keyfile on the same listener/],
    ['listener 8883\nrequire_certificate true', 2, /^Error: require_certificate needs certfile and keyfile/],
    ['listener 8883\ncertfile /c\nkeyfile /k\nrequire_certificate true', 4, /^Error: require_certificate needs cafile or capath/],
    ['listener 1\nlistener 2\ncertfile /c\nlistener 3\nkeyfile /k', 3, /^Error: certfile needs keyfile/],
  ];
  it.each(ours)('%j', (text, line, reason) => {
    const err = parseError(text);
    expect(err.reason).toMatch(reason);
    expect([err.file, err.line]).toEqual([FILE, line]);
  });

  it("Mosquitto's dynamic security plugin is recognised by file name, wherever it is, globally or per listener", () => {
    const global = config('listener 1884\nplugin /usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so\nplugin_opt_config_file /etc/mosquitto/dynsec.json');
    expect(global.security.dynsec?.configFile).toBe('/etc/mosquitto/dynsec.json');
    expect(global.listeners[0]!.security).toBe(global.security);
    const perListener = config(
      'per_listener_settings true\nlistener 1884\nauth_plugin ../mosquitto_dynamic_security.so\nauth_opt_config_file a.json\nauth_plugin_deny_special_chars false\nlistener 1885',
    );
    expect(perListener.listeners.map((l) => l.security.dynsec?.configFile)).toEqual(['a.json', undefined]);
  });

  it('require_certificate false and use_identity_as_username false ask for nothing', () => {
    expect(config('listener 1884\nrequire_certificate false\nuse_identity_as_username false').listeners[0]!.tls).toBeUndefined();
  });
});

describe('include_dir', () => {
  it('reads *.conf in Mosquitto\'s order, names included files in messages, ignores nested include_dir', async () => {
    const dir = path.join(scratch, 'conf.d');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'b.conf'), 'listener 1002\ninclude_dir /elsewhere\n');
    writeFileSync(path.join(dir, 'B.conf'), 'listener 1001\n');
    writeFileSync(path.join(dir, 'a.conf'), 'listener 1000\n');
    writeFileSync(path.join(dir, 'c.conf.disabled'), 'listener 9999\n');
    writeFileSync(path.join(dir, '.conf'), 'listener 9998\n');
    const main = path.join(scratch, 'main.conf');
    writeFileSync(main, `allow_anonymous true\ninclude_dir ${dir}\nlistener 1003\n`);
    const { config: c, warnings } = await loadMosquittoConf(main);
    expect(c.listeners.map((l) => [l.port, l.origin])).toEqual([
      [1000, `${dir}/a.conf:1`],
      [1001, `${dir}/B.conf:1`],
      [1002, `${dir}/b.conf:1`],
      [1003, `${main}:3`],
    ]);
    expect(warnings).toEqual([
      `Warning: include_dir in an included file at ${dir}/b.conf:2 (ignored: only the main file may include).`,
    ]);
  });

  it('an error in an included file names that file and line; a missing directory names the include line', () => {
    const files = [{ path: '/etc/conf.d/x.conf', data: Buffer.from('\nmax_keepalive 1\n') }];
    expect(() => parseMosquittoConf('include_dir /etc/conf.d', FILE, { readIncludeDir: () => files })).toThrow(
      'Error: Invalid max_keepalive value (1).\nError found at /etc/conf.d/x.conf:2.',
    );
    expect(() => parseMosquittoConf('\ninclude_dir /nowhere/at/all', FILE)).toThrow("Error: Unable to open include_dir '/nowhere/at/all'.\nError found at mosquitto.conf:2.");
  });

  it('sorts names like Mosquitto\'s scmp_p: case-insensitive first, then upper before lower', () => {
    const names = ['b.conf', 'a.conf', 'B.conf', 'C.conf', 'ab.conf', 'A.conf', '_x.conf', '1.conf'];
    expect([...names].sort(compareIncludeNames)).toEqual(['1.conf', 'A.conf', 'a.conf', 'ab.conf', 'B.conf', 'b.conf', 'C.conf', '_x.conf']);
  });
});

describe('loadMosquittoConf', () => {
  it('refuses malformed UTF-8 by line, and files it cannot read in Mosquitto\'s words', async () => {
    const bad = path.join(scratch, 'bad-utf8.conf');
    writeFileSync(bad, Buffer.concat([Buffer.from('listener 1884\npassword_file /p\xc3', 'latin1'), Buffer.from('\n')]));
    await expect(loadMosquittoConf(bad)).rejects.toThrow(`Error: Malformed UTF-8 in configuration.\nError found at ${bad}:2.`);
    await expect(loadMosquittoConf(path.join(scratch, 'missing.conf'))).rejects.toThrow(`Error: Unable to open config file ${scratch}/missing.conf.`);
    await expect(loadMosquittoConf(scratch)).rejects.toThrow(`Error: Config file ${scratch} is a directory.`);
  });
});

describe('command line (-p, --bind, -v)', () => {
  it('-p sets the port of local-only mode, on both loopback addresses; 0 is allowed', () => {
    for (const port of [1884, 0]) {
      const { config: c, warnings } = applyCommandLine(defaultBrokerConfig(), { port });
      expect(warnings).toEqual([]);
      expect(c.listeners.map((l) => [l.host, l.port])).toEqual([['127.0.0.1', port], ['::1', port]]);
      expect(c.localOnly && c.security.allowAnonymous).toBe(true);
    }
  });

  it('--persist DIR [extra] turns persistence on with the store in DIR, over persistence_location', () => {
    const { config: c } = applyCommandLine({ ...defaultBrokerConfig(), persistenceLocation: '/elsewhere' }, { persist: '/srv/mqtt' });
    expect(c.persistence).toBe(true);
    expect(persistencePath(c)).toBe('/srv/mqtt/mqtt-broker.lmdb');
    expect(applyCommandLine(defaultBrokerConfig(), {}).config.persistence).toBe(false);
  });

  it('-p given several times opens local-only listeners on each port, like Mosquitto', () => {
    const { config: c } = applyCommandLine(defaultBrokerConfig(), { port: [1884, 1885] });
    expect(c.listeners.map((l) => [l.host, l.port])).toEqual([['127.0.0.1', 1884], ['::1', 1884], ['127.0.0.1', 1885], ['::1', 1885]]);
  });

  it('--bind to a loopback address stays local-only; another address refuses anonymous clients unless allowed', () => {
    const local = applyCommandLine(defaultBrokerConfig(), { bind: '127.0.0.1', port: 1884 });
    expect(local.config.listeners.map((l) => [l.host, l.port, l.security.allowAnonymous])).toEqual([['127.0.0.1', 1884, true]]);
    expect(local.warnings).toEqual([]);

    const open = applyCommandLine(defaultBrokerConfig(), { bind: '0.0.0.0' });
    expect(open.config.localOnly).toBe(false);
    expect(open.config.listeners.map((l) => [l.host, l.port, l.security.allowAnonymous])).toEqual([['0.0.0.0', 1883, false]]);
    expect(open.warnings).toEqual([
      'Warning: --bind 0.0.0.0 is not a loopback address, so anonymous clients are refused unless the configuration sets allow_anonymous true.',
    ]);

    const allowed = applyCommandLine(config('allow_anonymous true\npassword_file /p'), { bind: '0.0.0.0' });
    expect(allowed.config.listeners[0]!.security).toMatchObject({ allowAnonymous: true, passwordFile: '/p' });
    expect(allowed.config.listeners[0]!.security).toBe(allowed.config.security);
    expect(allowed.warnings).toEqual([]);
  });

  it('is ignored, with a warning, when the file defines listeners (Mosquitto ignores -p silently)', () => {
    const base = config('listener 1884\nallow_anonymous true');
    const { config: c, warnings } = applyCommandLine(base, { port: 1999, bind: '::' });
    expect(c.listeners).toEqual(base.listeners);
    expect(warnings).toEqual([
      'Warning: -p 1999 is ignored because the configuration defines listeners.',
      'Warning: --bind :: is ignored because the configuration defines listeners.',
    ]);
  });

  it('-v turns on every log type; the configuration given is not changed', () => {
    const base = config('log_type error');
    const { config: c } = applyCommandLine(base, { verbose: true, port: 1 });
    expect(c.verbose).toBe(true);
    expect(c.log.types).toEqual(ALL_LOG_TYPES);
    expect(base.log.types).toEqual(['error']);
    expect(base.verbose).toBe(false);
    expect(base.listeners.map((l) => l.port)).toEqual([1883, 1883]);
  });

  it('parses ports as Mosquitto words its refusal, and knows loopback addresses', () => {
    expect(parsePortArgument('0')).toBe(0);
    expect(parsePortArgument('65535')).toBe(65535);
    for (const bad of ['65536', '-1', 'x', '', '1.5']) expect(() => parsePortArgument(bad)).toThrow(`Error: Invalid port specified (${bad}).`);
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1'].every(isLoopbackAddress)).toBe(true);
    expect(['0.0.0.0', '::', '192.168.1.1', '10.127.0.1', 'example.com'].some(isLoopbackAddress)).toBe(false);
  });
});

/** Mosquitto's first "Error:" line and its "Error found at" line for a configuration, without timestamps. */
function mosquittoRefusal(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn('mosquitto', ['-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (log += d));
    // a configuration Mosquitto accepts would start a broker: that is a failed comparison, not a hang
    const guard = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    proc.on('error', reject);
    proc.on('exit', () => {
      clearTimeout(guard);
      const lines = log.split('\n').map((l) => l.replace(/^\d+: /, ''));
      resolve(lines.filter((l) => l.startsWith('Error')).join('\n'));
    });
  });
}

describeIfTool(['mosquitto'], 'errors compared with mosquitto 2.0', () => {
  const cases = [
    'listener 70000',
    'listener',
    'listener 0',
    '\n\nport 0',
    'allow_anonymous maybe',
    'allow_anonymous',
    'password_file',
    'password_file /a\npassword_file /b',
    'max_keepalive 5',
    'max_packet_size 10',
    'max_inflight_messages 70000',
    'sys_interval 70000',
    'message_size_limit 300000000',
    'listener 1884\nprotocol mqttsn',
    'listener 1884\nsocket_domain ipv5',
    'log_type loud',
    'log_dest printer',
    'log_dest file',
    'persistent_client_expiration 5',
    'allow_anonymous true\nper_listener_settings true',
    'address 10.0.0.1',
    '# comment\nfoo bar',
  ];
  it.each(cases)('%j', async (text) => {
    const file = path.join(scratch, `cmp-${cases.indexOf(text)}.conf`);
    writeFileSync(file, text + '\n');
    const theirs = await mosquittoRefusal(file);
    expect(theirs).toMatch(/^Error: .*\nError found at /);
    expect(() => parseMosquittoConf(text, file)).toThrow(theirs);
  });
});
