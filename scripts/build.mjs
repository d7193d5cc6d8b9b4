// Bundles the TypeScript ESM sources into CommonJS files: a CJS bundle starts fastest (see
// ../shared/reference/packaging.md) and is what a Node SEA needs later.
//   dist/mqtt.cjs      every command;
//   dist/mqtt-pub.cjs  `mqtt pub` alone (bin/mqtt runs it when the first word is `pub`): less than
//                      half the code to compile and load for the shell-loop case (issue 16).
// Each gets a build id on its last line and a V8 code cache warmed by running it (code-cache.cjs).
import { build } from 'esbuild';
import { bundleOptions, aloneBundle } from './bundle-options.mjs';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const common = {
  ...bundleOptions,
  entryPoints: ['src/cli/main.ts'],
  sourcemap: false,
  legalComments: 'none',
  define: { __MQTT_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
};

const pub = aloneBundle('pub');
await Promise.all([
  build({ ...common, outfile: 'dist/mqtt.cjs' }),
  build({ ...common, outfile: pub.file, plugins: [pub.plugin] }).then(pub.check),
]);
copyFileSync('scripts/code-cache.cjs', 'dist/code-cache.cjs');

// Warm-ups run in the fresh node that writes the cache, so the functions they compile are in the
// cache too: help for pub and sub, the version, and a real one-shot publish to a stand-in broker
// on 127.0.0.1 (CONNECT, CONNACK, PUBLISH, DISCONNECT), which is what shell loops run.
const WARM_FULL = [['pub', '--help'], ['sub', '--help'], ['--version'], 'publish'];
const WARM_PUB = [['pub', '--help'], 'publish'];
for (const [file, warm] of [['dist/mqtt.cjs', WARM_FULL], [pub.file, WARM_PUB]]) writeCodeCache(file, warm);

function writeCodeCache(bundleFile, warm) {
  // a build id on the bundle's last line, then its V8 code cache (scripts/code-cache.cjs says why)
  const bundleText = readFileSync(bundleFile, 'utf8');
  const id = createHash('sha256').update(bundleText).digest('hex').slice(0, 16);
  writeFileSync(bundleFile, `${bundleText.replace(/\n?$/, '\n')}// build-id: ${id}\n`);
  const result = spawnSync(
    process.execPath,
    [
      '-e',
      `require('./dist/code-cache.cjs').writeCache(require('path').resolve(${JSON.stringify(bundleFile)}), async (m) => {
         const write = process.stdout.write;
         process.stdout.write = () => true;
         try {
           for (const argv of ${JSON.stringify(warm)}) {
             if (argv === 'publish') await require('./scripts/code-cache-warm.cjs').warmPublish(m);
             else await m.main(['node', 'mqtt', ...argv]);
           }
         } finally { process.stdout.write = write; }
       }).catch((e) => { console.error(e.message); process.exit(1); })`,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  // the cache only speeds start-up: without it bin/mqtt compiles as usual
  if (result.status !== 0) console.warn(`build: no V8 code cache for ${bundleFile} (start-up is slower, nothing else changes)`);
}
