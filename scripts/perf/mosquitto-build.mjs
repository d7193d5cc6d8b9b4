// A Mosquitto other than the system's, for a benchmark's reference: PERF_*_MOSQUITTO names a
// binary, or a Debian release (trixie, bookworm, or their versions 2.0.21, 2.0.11) whose source
// package the conformance runner fetches and caches; its broker is then built once (gcc, make and
// libssl-dev are needed) and kept beside that cache.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { cacheDir, fetchSourcePackage, suiteNamed } from '../conformance/mosquitto-suite.mjs';

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : `exited ${r.status}: ${`${r.stderr}\n${r.stdout}`.trim().split('\n').slice(-3).join(' | ')}`;
    throw new Error(`building Mosquitto for the benchmark: ${cmd} ${args.slice(0, 3).join(' ')} ${why}`);
  }
}

/** The broker binary `spec` names: a path or command as it is, a Debian release's built once. */
export function mosquittoBinary(spec = 'mosquitto') {
  const suite = suiteNamed(spec);
  if (suite === undefined) return spec;
  const binary = path.join(cacheDir(), suite.name, 'mosquitto-broker');
  if (existsSync(binary)) return binary;
  const { orig } = fetchSourcePackage(suite, (line) => console.error(line));
  const work = mkdtempSync(path.join(cacheDir(), suite.name, 'build-'));
  try {
    console.error(`building ${suite.name}'s Mosquitto from ${path.basename(orig)} (once; kept as ${binary})`);
    run('tar', ['xzf', orig, '-C', work, '--strip-components=1']);
    // the broker alone: no cJSON (dynamic security), docs or websockets needed to bridge
    run('make', ['-C', path.join(work, 'src'), '-j2', 'mosquitto', 'WITH_CJSON=no', 'WITH_DOCS=no', 'WITH_WEBSOCKETS=no', 'WITH_SRV=no', 'WITH_SYSTEMD=no']);
    mkdirSync(path.dirname(binary), { recursive: true });
    renameSync(path.join(work, 'src', 'mosquitto'), binary);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return binary;
}
