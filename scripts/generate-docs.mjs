// `npm run gen`: writes completions/ (bash, zsh, fish) and man/ from the command tree and the
// hand-written sections in scripts/man-sections/ (src/cli/generated-files.ts says what goes
// where). The TypeScript is bundled on the fly with esbuild, so no TS runner is needed.
// The tests fail when the files here differ from what this would write: run it after changing
// an option, a command or a hand-written section, and commit the result.
import { build } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundle = path.join(tmpdir(), `mqtt-generate-docs-${process.pid}.cjs`);
await build({
  entryPoints: [path.join(root, 'src/cli/generated-files.ts')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // as in scripts/build.mjs: the optional native addons are never needed to describe the commands
  external: ['cap', 'bufferutil', 'utf-8-validate'],
  logLevel: 'warning',
});
try {
  const { generatedFiles } = createRequire(import.meta.url)(bundle);
  const files = await generatedFiles(root);
  const dirs = new Set([...files.keys()].map((f) => path.dirname(f)));
  for (const dir of dirs) {
    mkdirSync(path.join(root, dir), { recursive: true });
    // a page or script that is no longer generated goes away
    for (const name of readdirSync(path.join(root, dir))) {
      if (!files.has(`${dir}/${name}`)) {
        rmSync(path.join(root, dir, name));
        console.log(`removed ${dir}/${name}`);
      }
    }
  }
  for (const [file, text] of files) {
    const target = path.join(root, file);
    let old;
    try {
      old = readFileSync(target, 'utf8');
    } catch {
      old = undefined;
    }
    if (old === text) continue;
    writeFileSync(target, text);
    console.log(`${old === undefined ? 'wrote' : 'updated'} ${file}`);
  }
} finally {
  rmSync(bundle, { force: true });
}
