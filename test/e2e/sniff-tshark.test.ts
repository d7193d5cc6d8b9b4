import path from 'node:path';
import { expect, it } from 'vitest';
import { FIXTURES } from '../../scripts/sniff/fixtures.js';
import { runMqtt } from '../helpers/cli.js';
import { describeIfTool } from '../helpers/peers.js';
import { FIXTURE_DIR, sniffFixture } from '../helpers/sniff-run.js';
import { rowText, sniffRows, tsharkRows } from '../helpers/sniff-rows.js';

async function ourRows(file: string) {
  const r = await runMqtt(['sniff', '-r', path.join(FIXTURE_DIR, file), '--json', '-q']);
  // warnings (a frame cut by the snaplen) may be there; errors may not
  expect(r.stderr).not.toMatch(/Error/);
  expect(r.code).toBe(0);
  return sniffRows(r.stdout.toString()).map(rowText);
}

describeIfTool(['tshark'], 'sniff agrees with tshark on every capture tshark decodes', () => {
  for (const f of FIXTURES.filter((x) => !x.tsharkWrong)) {
    it(`${f.file}: same packets, times, endpoints, flags, ids, topics, payload sizes, client ids, versions and reason codes`, async () => {
      const theirs = tsharkRows(path.join(FIXTURE_DIR, f.file), f.tshark).map(rowText);
      expect(theirs.length).toBeGreaterThan(0);
      expect(await ourRows(f.file)).toEqual(theirs);
    });
  }

  for (const f of FIXTURES.filter((x) => x.tsharkWrong)) {
    it(`${f.file}: tshark ${f.tsharkWrong}; we print the truth`, async () => {
      const ours = await ourRows(f.file);
      // the truth is asserted packet by packet in test/unit/sniff-fixtures.test.ts
      expect(ours).toEqual(sniffFixture(f.file).rows.map(rowText));
      expect(tsharkRows(path.join(FIXTURE_DIR, f.file), f.tshark).map(rowText)).not.toEqual(ours);
    });
  }

  it('tshark needs -d for MQTT on another port; we find it by the CONNECT', async () => {
    const file = path.join(FIXTURE_DIR, 'link-types.pcapng');
    const without = tsharkRows(file).filter((r) => r.dst.endsWith(':18830') || r.src.endsWith(':18830'));
    expect(without).toEqual([]);
    expect((await ourRows('link-types.pcapng')).filter((r) => r.includes(':18830'))).toHaveLength(5);
  });
});
