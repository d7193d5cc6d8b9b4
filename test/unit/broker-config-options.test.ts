import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { optionKind } from '../../src/broker/config/conf-parser.js';
import { loadMosquittoConf, parseMosquittoConf } from '../../src/broker/config/mosquitto-conf.js';
import { ROOT } from '../helpers/cli.js';

const parse = (text: string) => parseMosquittoConf(text, 'mosquitto.conf', { readIncludeDir: () => [] });

/** Option names the man page lists: the first bold word of each entry, and those after ", ". */
function manPageOptions(): string[] {
  const man = readFileSync(path.join(ROOT, 'man/mqtt-broker.conf.5'), 'utf8').split('\n');
  const names = new Set<string>();
  man.forEach((line, i) => {
    if (man[i - 1] !== '.TP') return;
    for (const m of line.matchAll(/(?:^|, )\\fB([a-z][a-z0-9_.]*)\\fR/g)) names.add(m[1]!);
  });
  return [...names];
}

describe('every option is supported, refused, ignored with a warning, or an error', () => {
  const options = manPageOptions();

  it('the man page lists the options (sanity: the list is read)', () => {
    expect(options).toEqual(expect.arrayContaining(['listener', 'password_file', 'acl_file', 'log_dest', 'crlfile', 'pid_file']));
    expect(options.length).toBeGreaterThan(40);
  });

  it.each(options)('%s is known', (name) => {
    expect(optionKind(name)).not.toBe('unknown');
  });

  it('a misspelt option is an error naming file:line, as Mosquitto says it (exit 3 comes from the CLI)', () => {
    expect(() => parse('listener 1884\nacl_flie acl')).toThrow('Error: Unknown configuration variable "acl_flie".\nError found at mosquitto.conf:2.');
    expect(optionKind('acl_flie')).toBe('unknown');
    // own properties only: these are not options
    for (const name of ['constructor', 'toString', '__proto__']) expect(optionKind(name)).toBe('unknown');
  });

  it('the kinds', () => {
    expect(optionKind('acl_file')).toBe('supported');
    expect(optionKind('log_facility')).toBe('supported');
    expect(optionKind('pid_file')).toBe('ignored');
    expect(optionKind('psk_file')).toBe('supported');
    expect(optionKind('tls_engine')).toBe('refused');
    expect(optionKind('plugin_opt_config_file')).toBe('supported');
    expect(optionKind('autosave_interval')).toBe('supported');
    expect(optionKind('remote_username')).toBe('bridge');
  });
});

describe('logging options', () => {
  it('log_dest syslog and log_facility', () => {
    const { config, warnings } = parse('log_dest syslog\nlog_facility 5');
    expect(warnings).toEqual([]);
    expect(config.log.dest).toEqual({ stderr: false, stdout: false, topic: false, syslog: true });
    expect(config.log.facility).toBe(5);
    expect(() => parse('log_facility 8')).toThrow('Error: Invalid log_facility value (8).\nError found at mosquitto.conf:1.');
  });

  it('log_dest none clears syslog too', () => {
    expect(parse('log_dest syslog\nlog_dest none').config.log.dest).toEqual({ stderr: false, stdout: false, topic: false, file: undefined, syslog: false });
  });
});

describe("Debian's default mosquitto.conf", () => {
  it.skipIf(!existsSync('/etc/mosquitto/mosquitto.conf'))('parses as it is (read only), with warnings for what is ignored', async () => {
    const { config, warnings } = await loadMosquittoConf('/etc/mosquitto/mosquitto.conf');
    expect(config.localOnly).toBe(true);
    expect(config.log.dest.file).toBeDefined();
    expect(warnings.join('\n')).toMatch(/pid_file/);
  });
});
