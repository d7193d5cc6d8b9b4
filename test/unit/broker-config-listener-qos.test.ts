import { describe, expect, it } from 'vitest';
import { optionKind } from '../../src/broker/config/conf-parser.js';
import { parseMosquittoConf } from '../../src/broker/config/mosquitto-conf.js';
import { limitsFrom } from '../../src/broker/run-broker.js';

const parse = (text: string) => parseMosquittoConf(text, 'mosquitto.conf', { readIncludeDir: () => [] });

/** max_qos, max_topic_alias, upgrade_outgoing_qos and set_tcp_nodelay, as Mosquitto 2.0's src/conf.c reads them. */
describe('max_qos / maximum_qos (per listener)', () => {
  it('defaults to 2 on every listener, local-only ones included', () => {
    expect(parse('').config.listeners.map((l) => l.maxQos)).toEqual([2, 2]);
    expect(parse('listener 1884').config.listeners[0]!.maxQos).toBe(2);
  });

  it('applies to the listener it follows; both names are accepted, without warnings', () => {
    const { config, warnings } = parse('listener 1884\nmax_qos 1\nlistener 1885\nmaximum_qos 0\nlistener 1886');
    expect(warnings).toEqual([]);
    expect(config.listeners.map((l) => [l.port, l.maxQos])).toEqual([
      [1884, 1],
      [1885, 0],
      [1886, 2],
    ]);
  });

  it('before any listener it is the default listener’s (with port), or warned about as orphaned', () => {
    expect(parse('port 1999\nmax_qos 1\nlistener 1884').config.listeners.map((l) => [l.port, l.maxQos])).toEqual([
      [1884, 2],
      [1999, 1],
    ]);
    expect(parse('max_qos 1\nlistener 1884').warnings).toEqual([
      'Warning: "max_qos" at mosquitto.conf:1 comes before any listener, and no port or bind_address line creates the default listener it would apply to (ignored).',
    ]);
  });

  it('outside 0..2, or not a number, stops the broker (Mosquitto: "max_qos must be between 0 and 2 inclusive")', () => {
    expect(() => parse('listener 1884\nmax_qos 3')).toThrow('Error: max_qos must be between 0 and 2 inclusive (not 3).\nError found at mosquitto.conf:2.');
    expect(() => parse('listener 1884\nmaximum_qos -1')).toThrow('Error: maximum_qos must be between 0 and 2 inclusive (not -1).\nError found at mosquitto.conf:2.');
    expect(() => parse('listener 1884\nmax_qos one')).toThrow('Error: Invalid max_qos value (one).\nError found at mosquitto.conf:2.');
    expect(() => parse('listener 1884\nmax_qos')).toThrow('Error: Empty max_qos value in configuration.');
  });
});

describe('max_topic_alias (per listener)', () => {
  it('defaults to 10 (Mosquitto listener__set_defaults); 0 and 65535 are allowed', () => {
    expect(parse('listener 1884').config.listeners[0]!.maxTopicAlias).toBe(10);
    const { config, warnings } = parse('listener 1884\nmax_topic_alias 0\nlistener 1885\nmax_topic_alias 65535');
    expect(warnings).toEqual([]);
    expect(config.listeners.map((l) => l.maxTopicAlias)).toEqual([0, 65535]);
  });

  it('outside 0..65535 or not a number stops the broker', () => {
    expect(() => parse('listener 1884\nmax_topic_alias 65536')).toThrow('Error: Invalid max_topic_alias value (65536): it must be between 0 and 65535.\nError found at mosquitto.conf:2.');
    expect(() => parse('listener 1884\nmax_topic_alias -1')).toThrow('Error: Invalid max_topic_alias value (-1)');
    expect(() => parse('listener 1884\nmax_topic_alias ten')).toThrow('Error: Invalid max_topic_alias value (ten).');
    expect(() => parse('listener 1884\nmax_topic_alias')).toThrow('Error: Empty max_topic_alias value in configuration.');
  });
});

describe('upgrade_outgoing_qos and set_tcp_nodelay (global)', () => {
  it('defaults: upgrade false (as Mosquitto), TCP_NODELAY on (our deliberate difference: Mosquitto leaves Nagle on)', () => {
    const { config } = parse('listener 1884');
    expect(config.upgradeOutgoingQos).toBe(false);
    expect(config.setTcpNodelay).toBe(true);
    expect(limitsFrom(config).upgradeOutgoingQos).toBe(false);
  });

  it('are read as booleans, wherever they come (global options), without warnings', () => {
    const { config, warnings } = parse('listener 1884\nupgrade_outgoing_qos true\nset_tcp_nodelay false');
    expect(warnings).toEqual([]);
    expect(config.upgradeOutgoingQos).toBe(true);
    expect(config.setTcpNodelay).toBe(false);
    expect(limitsFrom(config).upgradeOutgoingQos).toBe(true);
    // `set_tcp_nodelay true` is what we do anyway: accepted silently
    expect(parse('set_tcp_nodelay true').warnings).toEqual([]);
  });

  it('a value that is not a boolean stops the broker', () => {
    expect(() => parse('upgrade_outgoing_qos yes')).toThrow('Error: Invalid upgrade_outgoing_qos value (yes).\nError found at mosquitto.conf:1.');
    expect(() => parse('set_tcp_nodelay 2')).toThrow('Error: Invalid set_tcp_nodelay value (2).\nError found at mosquitto.conf:1.');
  });
});

it('all four are supported options now, no longer ignored with a warning', () => {
  for (const name of ['max_qos', 'maximum_qos', 'max_topic_alias', 'upgrade_outgoing_qos', 'set_tcp_nodelay']) expect(optionKind(name)).toBe('supported');
});
