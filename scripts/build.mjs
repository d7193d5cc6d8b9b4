// Bundles the TypeScript ESM sources into one CommonJS file: a CJS bundle starts fastest
// (see ../shared/reference/packaging.md) and is what a Node SEA needs later.
import { build } from 'esbuild';
import { bundleOptions } from './bundle-options.mjs';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  ...bundleOptions,
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/mqtt.cjs',
  sourcemap: false,
  legalComments: 'none',
  define: { __MQTT_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
});

// A build id on the bundle's last line, then its V8 code cache (scripts/code-cache.cjs says why),
// made in a fresh node so the cache matches what bin/mqtt runs. The warm-up parses pub's and sub's
// options and prints their help into the void, so those functions are in the cache as well.
const bundleFile = 'dist/mqtt.cjs';
const bundleText = readFileSync(bundleFile, 'utf8');
const id = createHash('sha256').update(bundleText).digest('hex').slice(0, 16);
writeFileSync(bundleFile, `${bundleText.replace(/\n?$/, '\n')}// build-id: ${id}\n`);
copyFileSync('scripts/code-cache.cjs', 'dist/code-cache.cjs');
const warm = spawnSync(
  process.execPath,
  [
    '-e',
    `require('./dist/code-cache.cjs').writeCache(require('path').resolve(${JSON.stringify(bundleFile)}), async (m) => {
       const write = process.stdout.write;
       process.stdout.write = () => true;
       try {
         for (const argv of [['pub', '--help'], ['sub', '--help'], ['--version']]) await m.main(['node', 'mqtt', ...argv]);
       } finally { process.stdout.write = write; }
     }).catch((e) => { console.error(e.message); process.exit(1); })`,
  ],
  { stdio: ['ignore', 'inherit', 'inherit'] },
);
// the cache only speeds start-up: without it bin/mqtt compiles as usual
if (warm.status !== 0) console.warn('build: no V8 code cache for dist/mqtt.cjs (start-up is slower, nothing else changes)');
