// Writes the crafted captures of fixtures.ts to test/fixtures/sniff/ (TypeScript bundled on the fly
// with esbuild, so no TS runner is needed). The recorded one comes from record-real.sh.
import { build } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, '../../test/fixtures/sniff');
const bundle = path.join(tmpdir(), `sniff-fixtures-${process.pid}.mjs`);
await build({ entryPoints: [path.join(here, 'fixtures.ts')], outfile: bundle, bundle: true, platform: 'node', format: 'esm', logLevel: 'warning',
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" } });
try {
  const { FIXTURES } = await import(bundle);
  mkdirSync(out, { recursive: true });
  for (const f of FIXTURES) {
    if (!f.build) continue;
    const bytes = f.build();
    writeFileSync(path.join(out, f.file), bytes);
    console.log(`${f.file}: ${bytes.length} bytes`);
  }
} finally {
  rmSync(bundle, { force: true });
}
