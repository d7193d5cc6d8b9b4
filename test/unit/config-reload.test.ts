import { describe, expect, it } from 'vitest';
import { applyReloadedConfig } from '../../src/broker/config-reload.js';
import { parseMosquittoConf } from '../../src/broker/config/mosquitto-conf.js';

const parse = (...lines: string[]) => parseMosquittoConf(lines.join('\n') + '\n', 'mosquitto.conf', { readIncludeDir: () => [] }).config;

describe('applyReloadedConfig: the security options of the file read again', () => {
  it('global options are copied into the running objects, which the listeners share', () => {
    const current = parse('listener 1883', 'allow_anonymous true', 'password_file /a.pw');
    const shared = current.listeners[0]!.security;
    const out = applyReloadedConfig(current, parse('listener 1883', 'acl_file /b.acl', 'psk_file /p'));
    expect(out).toEqual({ warnings: [] });
    expect(current.listeners[0]!.security).toBe(shared);
    expect(shared).toBe(current.security);
    // allow_anonymous no longer said: Mosquitto 2.0's default on a listener, false
    expect(shared).toMatchObject({ allowAnonymous: false, passwordFile: undefined, aclFile: '/b.acl', pskFile: '/p' });
  });

  it('per listener: each running listener takes the options of the listener with its port and address', () => {
    const current = parse('per_listener_settings true', 'listener 1883', 'allow_anonymous true', 'listener 1884 127.0.0.1', 'password_file /x.pw');
    const [a, b] = current.listeners.map((l) => l.security);
    const out = applyReloadedConfig(
      current,
      parse('per_listener_settings true', 'listener 1884 127.0.0.1', 'password_file /y.pw', 'listener 1883', 'acl_file /a.acl'),
    );
    expect(out.warnings).toEqual([]);
    expect(a).toMatchObject({ allowAnonymous: false, aclFile: '/a.acl', passwordFile: undefined });
    expect(b).toMatchObject({ allowAnonymous: false, passwordFile: '/y.pw' });
  });

  it('added and removed listeners wait for a restart, with a warning each', () => {
    const current = parse('listener 1883', 'allow_anonymous true');
    const out = applyReloadedConfig(current, parse('listener 1884', 'allow_anonymous false'));
    expect(out.warnings).toEqual([
      'Warning: listener 1884 is not running: it starts at restart.',
      'Warning: listener 1883 is no longer in the configuration: it stops at restart.',
    ]);
    expect(current.security.allowAnonymous).toBe(false);
    expect(current.listeners.map((l) => l.port)).toEqual([1883]);
  });

  it('per listener, a running listener the file no longer has refuses everyone until restart, as Mosquitto resets its options', () => {
    const current = parse('per_listener_settings true', 'listener 1883', 'allow_anonymous true', 'listener 1884', 'allow_anonymous true');
    const out = applyReloadedConfig(current, parse('per_listener_settings true', 'listener 1883', 'allow_anonymous true'));
    expect(out.warnings).toEqual(['Warning: listener 1884 is no longer in the configuration: it stops at restart.']);
    expect(current.listeners.map((l) => l.security.allowAnonymous)).toEqual([true, false]);
    expect(current.listeners[1]!.security.passwordFile).toBeUndefined();
  });

  it('a changed per_listener_settings refuses everyone until restart (fail closed)', () => {
    const current = parse('listener 1883', 'allow_anonymous true');
    const out = applyReloadedConfig(current, parse('per_listener_settings true', 'listener 1883', 'allow_anonymous true'));
    expect(out.blocked).toMatch(/per_listener_settings changed/);
    expect(out.warnings).toEqual(['Warning: per_listener_settings changed: it takes effect at restart.']);
  });
});

describe('applyReloadedConfig: the other options', () => {
  it('reloadable limits are taken over; a moved line changes nothing', () => {
    const current = parse('listener 1883', 'max_queued_messages 5', 'connection b', 'address 127.0.0.1:1884', 'topic # both');
    const out = applyReloadedConfig(
      current,
      parse('# moved', 'listener 1883', 'max_queued_messages 7', 'max_inflight_messages 3', 'retain_available false', 'sys_interval 0', 'message_size_limit 10', 'log_type all', 'connection_messages false', 'connection b', 'address 127.0.0.1:1884', 'topic # both'),
    );
    expect(out.warnings).toEqual([]);
    expect(current).toMatchObject({ maxQueuedMessages: 7, maxInflightMessages: 3, retainAvailable: false, sysInterval: 0, messageSizeLimit: 10 });
    expect(current.log).toMatchObject({ types: parse('log_type all').log.types, connectionMessages: false });
  });

  it('options that wait for a restart are named, one warning each, and not applied', () => {
    const current = parse('listener 1883', 'persistence false', 'max_queued_bytes 0');
    const out = applyReloadedConfig(
      current,
      parse('listener 1883', 'max_connections 4', 'max_qos 1', 'persistence true', 'persistence_location /tmp/x', 'log_dest stdout', 'max_queued_bytes 100', 'check_retain_source false'),
    );
    expect(out.warnings).toEqual([
      'Warning: max_queued_bytes changed: it takes effect at restart.',
      'Warning: persistence changed: it takes effect at restart.',
      'Warning: persistence_location changed: it takes effect at restart.',
      'Warning: check_retain_source changed: it takes effect at restart.',
      'Warning: log_dest changed: it takes effect at restart.',
      'Warning: max_connections of listener 1883 changed: it takes effect at restart.',
      'Warning: max_qos of listener 1883 changed: it takes effect at restart.',
    ]);
    expect(current).toMatchObject({ persistence: false, maxQueuedBytes: 0, checkRetainSource: true });
    expect(current.listeners[0]).toMatchObject({ maxConnections: -1, maxQos: 2 });
  });

  it('byte bounds change in place while both are counted', () => {
    const current = parse('listener 1883', 'max_queued_bytes 100');
    expect(applyReloadedConfig(current, parse('listener 1883', 'max_queued_bytes 200', 'max_inflight_bytes 50')).warnings).toEqual([]);
    expect(current).toMatchObject({ maxQueuedBytes: 200, maxInflightBytes: 50 });
  });
});
