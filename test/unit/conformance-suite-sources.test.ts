import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without type declarations
import { derivedSourceEntries, suiteNamed } from '../../scripts/conformance/mosquitto-suite.mjs';

/**
 * The deb-src entries mosquitto-suite.mjs gives its private apt directory: the machine's own Debian
 * mirror (the entries for its release), pointed at the suite's release; nothing else of the
 * machine's sources (security, updates, third parties).
 */

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function etcApt(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mqtt-etc-apt-'));
  dirs.push(dir);
  mkdirSync(path.join(dir, 'sources.list.d'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

describe('derivedSourceEntries', () => {
  it("deb822: the stanza holding the machine's release, as deb-src of the suite's release", () => {
    const dir = etcApt({
      'sources.list.d/debian.sources': [
        'Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg',
        'Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\nComponents: main',
      ].join('\n\n'),
      'sources.list.d/other.sources': 'Types: deb\nURIs: https://vendor.example/apt\nSuites: nodistro\nComponents: main',
    });
    const { deb822, oneLine } = derivedSourceEntries('trixie', 'bookworm', dir);
    expect(deb822).toBe(
      'Types: deb-src\nURIs: http://mirror.example/debian\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n',
    );
    expect(oneLine).toBe('');
  });

  it('one-line entries, options kept; disabled stanzas and other releases left out', () => {
    const dir = etcApt({
      'sources.list': 'deb [arch=amd64] http://mirror.example/debian bookworm main contrib\ndeb http://mirror.example/debian bookworm-updates main\n# deb http://x bookworm main\n',
      'sources.list.d/off.sources': 'Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\nComponents: main\nEnabled: no',
    });
    const { deb822, oneLine } = derivedSourceEntries('bookworm', 'bookworm', dir);
    expect(oneLine).toBe('deb-src [arch=amd64] http://mirror.example/debian bookworm main contrib\n');
    expect(deb822).toBe('');
  });

  it("nothing when no entry is for the machine's release", () => {
    const dir = etcApt({ 'sources.list': 'deb http://mirror.example/debian bookworm main\n' });
    expect(derivedSourceEntries('trixie', 'sid', dir)).toEqual({ deb822: '', oneLine: '' });
  });
});

describe('suiteNamed', () => {
  it('knows the suites by name and by the Mosquitto version they carry', () => {
    expect(suiteNamed('2.0.11')?.name).toBe('bookworm');
    expect(suiteNamed('trixie')?.codename).toBe('trixie');
    expect(suiteNamed('2.0.21')?.name).toBe('trixie');
    expect(suiteNamed('sid')).toBeUndefined();
  });
});
