// Bundles the TypeScript ESM sources into one CommonJS file: a CJS bundle starts fastest
// (see ../shared/reference/packaging.md) and is what a Node SEA needs later.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/mqtt.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: false,
  legalComments: 'none',
  // optional native addons stay outside the bundle and are loaded lazily
  external: ['cap', 'bufferutil', 'utf-8-validate'],
  define: { __MQTT_VERSION__: JSON.stringify(pkg.version) },
  // import() of node: built-ins and optional addons becomes require(): a single executable's main
  // script has no dynamic import at all ("A dynamic import callback was not specified")
  supported: { 'dynamic-import': false },
  logLevel: 'warning',
});
