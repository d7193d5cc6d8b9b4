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

  it('a changed per_listener_settings refuses everyone until restart (fail closed)', () => {
    const current = parse('listener 1883', 'allow_anonymous true');
    const out = applyReloadedConfig(current, parse('per_listener_settings true', 'listener 1883', 'allow_anonymous true'));
    expect(out.blocked).toMatch(/per_listener_settings changed/);
    expect(out.warnings).toEqual(['Warning: per_listener_settings changed to true: it takes effect at restart.']);
  });
});
