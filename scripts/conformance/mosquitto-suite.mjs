#!/usr/bin/env node
/**
 * Runs Mosquitto 2.0's own broker test suite (test/broker/*.py with test/mosq_test.py: third-party
 * conformance tests, written by others) against `mqtt broker`.
 *
 * Nothing of Mosquitto's code is kept in this repository. At run time the script fetches a Debian
 * release's source package of mosquitto with the ordinary apt client, from the Debian mirror this
 * machine's apt is configured with (deb-src entries derived from /etc/apt/sources.list.d/*.sources
 * and /etc/apt/sources.list, in a private apt directory), caches the downloaded files per suite,
 * extracts test/ from the upstream tarball (it brings the suite's own mosq_test.py) into a fresh
 * temporary directory, and puts a shim at src/mosquitto there: mosq_test.start_broker runs
 * `../../src/mosquitto -v -c FILE.conf` or `../../src/mosquitto -v -p PORT` from test/broker, and
 * the shim execs `node bin/mqtt broker "$@"`.
 *
 * Suites (each with its own lists in scripts/conformance/SUITE/):
 *   bookworm (alias 2.0.11)   Debian 12's mosquitto 2.0.11 (the default)
 *   trixie   (alias 2.0.21)   Debian 13's mosquitto 2.0.2x
 *
 *   node scripts/conformance/mosquitto-suite.mjs [options] [TEST|GROUP ...]
 *
 *   TEST|GROUP       a test (02-subpub-qos1 or 02-subpub-qos1.py) or a group (07); named tests run
 *                    even when the suite's excluded.txt lists them
 *   --suite NAME     bookworm or trixie (default bookworm; see above)
 *   --list FILE      run the tests named in FILE (one per line, # comments)
 *   --expected       run the suite's expected-pass.txt
 *   --json           one JSON document on stdout instead of lines
 *   -j, --jobs N     tests run at once (default 3; each has ports of its own)
 *   --timeout S      seconds one test may take (default 60)
 *   --retries N      run a failed test again, alone, up to N times (default 0): the suite has
 *                    fixed sleeps and 2-second broker start-up waits that a loaded machine can miss
 *   --base-port N    first port handed to tests (default 21880)
 *   --fetch-only     fetch and extract, run nothing
 *   --keep           keep the temporary tree (its path is printed)
 *   -v, --verbose    print the output of failing tests
 *
 * Without tests, lists or --expected: every test of groups 01-07 and 09-14, those listed
 * in the suite's excluded.txt reported as SKIP with the reason given there.
 *
 * Exit codes: 0 all run tests passed, 1 a test failed (or the suite fetched is not the version its
 * lists were written for), 2 usage, 3 the suite could not be fetched
 * (no network, no apt-get): callers may skip on 3.
 * Environment: MQTT_CONFORMANCE_CACHE overrides the cache directory
 * (default node_modules/.cache/mqtt-conformance; each suite caches in a subdirectory of its own).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
// 08 (TLS with the suite's own certificates, made again at run time: regenerateCerts) is left out
const DEFAULT_GROUPS = ['01', '02', '03', '04', '05', '06', '07', '09', '10', '11', '12', '13', '14'];

/**
 * The suites: a Debian release whose source package is fetched, and the upstream versions its
 * lists were written for (a mirror that moves to another one makes the run fail, not pass blindly).
 */
export const SUITES = {
  bookworm: { codename: 'bookworm', aliases: ['2.0.11'], version: /^2\.0\.11$/ },
  trixie: { codename: 'trixie', aliases: ['2.0.21'], version: /^2\.0\.2\d$/ },
};

/** The suite named NAME (or one of its aliases); undefined when there is none. */
export function suiteNamed(name) {
  for (const [key, suite] of Object.entries(SUITES)) {
    if (key === name || suite.aliases.includes(name)) return { name: key, ...suite, dir: path.join(HERE, key) };
  }
  return undefined;
}
const EXIT_FETCH_FAILED = 3;

class UsageError extends Error {}
class FetchError extends Error {}
/** the fetched suite is not the version its lists were written for */
class VersionError extends Error {}

// ---------------------------------------------------------------------------------------------
// command line

function parseArgs(argv) {
  const opts = { suite: suiteNamed('bookworm'), expected: false, json: false, jobs: 3, timeout: 60, retries: 0, basePort: 21880, fetchOnly: false, keep: false, verbose: false, lists: [], names: [] };
  const value = (i, flag) => {
    if (i + 1 >= argv.length) throw new UsageError(`${flag} needs a value`);
    return argv[i + 1];
  };
  const int = (text, flag, min, max) => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max) throw new UsageError(`${flag}: expected a number ${min}..${max}, got "${text}"`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--json':
        opts.json = true;
        break;
      case '--list':
        opts.lists.push(path.resolve(value(i++, a)));
        break;
      case '--expected':
        opts.expected = true; // the suite's list, once the suite is known
        break;
      case '--suite': {
        const name = value(i++, a);
        opts.suite = suiteNamed(name);
        if (!opts.suite) throw new UsageError(`--suite: expected one of ${Object.entries(SUITES).map(([k, v]) => [k, ...v.aliases].join('|')).join(', ')}, got "${name}"`);
        break;
      }
      case '-j':
      case '--jobs':
        opts.jobs = int(value(i++, a), a, 1, 32);
        break;
      case '--timeout':
        opts.timeout = int(value(i++, a), a, 1, 3600);
        break;
      case '--retries':
        opts.retries = int(value(i++, a), a, 0, 5);
        break;
      case '--base-port':
        opts.basePort = int(value(i++, a), a, 1024, 65000);
        break;
      case '--fetch-only':
        opts.fetchOnly = true;
        break;
      case '--keep':
        opts.keep = true;
        break;
      case '-v':
      case '--verbose':
        opts.verbose = true;
        break;
      case '-h':
      case '--help':
        opts.help = true;
        break;
      default:
        if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
        opts.names.push(a);
    }
  }
  if (opts.expected) opts.lists.push(path.join(opts.suite.dir, 'expected-pass.txt'));
  return opts;
}

/** Test names from a list file: one per line, `#` starts a comment. */
export function readNameList(file) {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map(testName);
}

/**
 * excluded.txt: groups of test names, each right after `#` comment lines that say why. Returns
 * name -> reason (the comment lines just before the group, joined); a comment block followed by a
 * blank line belongs to no group.
 */
export function readExclusions(file) {
  const reasons = new Map();
  if (!existsSync(file)) return reasons;
  let comment = [];
  let inGroup = false;
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '') {
      if (!inGroup) comment = [];
      continue;
    }
    if (line.startsWith('#')) {
      if (inGroup) comment = [];
      inGroup = false;
      comment.push(line.replace(/^#+\s*/, ''));
      continue;
    }
    inGroup = true;
    reasons.set(testName(line.replace(/#.*/, '').trim()), comment.join(' ') || 'excluded');
  }
  return reasons;
}

const testName = (s) => path.basename(s).replace(/\.py$/, '');

// ---------------------------------------------------------------------------------------------
// fetching: Debian's source package through apt-get, cached

export function cacheDir() {
  return process.env.MQTT_CONFORMANCE_CACHE || path.join(REPO, 'node_modules', '.cache', 'mqtt-conformance');
}

/** This machine's Debian release (VERSION_CODENAME of os-release), undefined elsewhere. */
function hostCodename(osRelease = '/etc/os-release') {
  if (!existsSync(osRelease)) return undefined;
  return /^VERSION_CODENAME=["']?([a-z]+)/m.exec(readFileSync(osRelease, 'utf8'))?.[1];
}

/**
 * deb-src entries for Debian release `target` on the mirror this machine's apt already uses for its
 * own release `host`: deb822 stanzas of /etc/apt/sources.list.d/*.sources whose `Types` hold deb
 * and whose `Suites` hold `host` become `Types: deb-src` / `Suites: target` (the same URIs and
 * Signed-By), and one-line `deb URI host ...` entries of the *.list files become
 * `deb-src URI target ...`. Other repositories (-security, -updates, third parties) are left out.
 * No host is named here.
 */
export function derivedSourceEntries(target, host = hostCodename(), etcApt = '/etc/apt') {
  const deb822 = [];
  const oneLine = [];
  if (!host) return { deb822: '', oneLine: '' };
  const dir = path.join(etcApt, 'sources.list.d');
  const files = existsSync(dir) ? readdirSync(dir).sort().map((f) => path.join(dir, f)) : [];
  for (const f of [path.join(etcApt, 'sources.list'), ...files]) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'utf8');
    if (f.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const types = /^Types:\s*(.*)$/im.exec(stanza);
        const suites = /^Suites:\s*(.*)$/im.exec(stanza);
        if (!types || !types[1].split(/\s+/).includes('deb')) continue;
        if (!suites || !suites[1].split(/\s+/).includes(host)) continue;
        if (/^Enabled:\s*no/im.test(stanza)) continue;
        deb822.push(stanza.trim().replace(/^Types:.*$/im, 'Types: deb-src').replace(/^Suites:.*$/im, `Suites: ${target}`));
      }
    } else if (f.endsWith('.list') || f === path.join(etcApt, 'sources.list')) {
      for (const line of text.split('\n')) {
        const m = /^\s*deb\s+((?:\[[^\]]*\]\s+)?\S+)\s+(\S+)\s+(.*)$/.exec(line);
        if (m && m[2] === host) oneLine.push(`deb-src ${m[1]} ${target} ${m[3].trim()}`);
      }
    }
  }
  return { deb822: deb822.join('\n\n') + (deb822.length ? '\n' : ''), oneLine: oneLine.join('\n') + (oneLine.length ? '\n' : '') };
}

/** Runs a command for the fetch; `label` names it in the error (apt's -o options are long). */
function run(cmd, args, opts = {}, label = `${cmd} ${args.join(' ')}`) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.error) throw new FetchError(`${label}: ${r.error.message}`);
  if (r.status !== 0) {
    const out = `${r.stderr}\n${r.stdout}`.trim().split('\n').slice(-4).join(' | ');
    throw new FetchError(`${label} exited ${r.status}: ${out}`);
  }
  return r.stdout;
}

/** The suite's cached source package files; downloads them when they are not there yet. */
export function fetchSourcePackage(suite, log) {
  const cache = path.join(cacheDir(), suite.name);
  const download = path.join(cache, 'download');
  const find = () => (existsSync(download) ? readdirSync(download).find((f) => /^mosquitto_.*\.orig\.tar\.gz$/.test(f)) : undefined);
  let orig = find();
  if (orig) return { orig: path.join(download, orig), fetched: false };

  const host = hostCodename();
  const { deb822, oneLine } = derivedSourceEntries(suite.codename, host);
  if (!deb822 && !oneLine) {
    throw new FetchError(`no deb entry for this machine's Debian release (${host ?? 'none in /etc/os-release'}) in /etc/apt/sources.list or /etc/apt/sources.list.d to derive a ${suite.codename} deb-src from`);
  }
  // a private apt directory per fetch, so that two runs fetching at once do not meet
  mkdirSync(cache, { recursive: true });
  const apt = mkdtempSync(path.join(cache, 'apt-'));
  for (const d of ['sources.list.d', 'lists/partial', 'cache/archives/partial', 'download-tmp']) mkdirSync(path.join(apt, d), { recursive: true });
  if (deb822) writeFileSync(path.join(apt, 'sources.list.d', 'derived-src.sources'), deb822);
  if (oneLine) writeFileSync(path.join(apt, 'sources.list.d', 'derived-src.list'), oneLine);
  const o = [
    ['Dir::Etc::SourceList', '/dev/null'],
    ['Dir::Etc::SourceParts', path.join(apt, 'sources.list.d')],
    ['Dir::State::Lists', path.join(apt, 'lists')],
    ['Dir::Cache', path.join(apt, 'cache')],
    ['Dir::Cache::pkgcache', ''],
    ['Dir::Cache::srcpkgcache', ''],
    // our own directories: no need for apt's unprivileged download user, nor for the system lock
    ['APT::Sandbox::User', 'root'],
    ['Debug::NoLocking', '1'],
  ].flatMap(([k, v]) => ['-o', `${k}=${v}`]);
  log(`fetching ${suite.codename}'s mosquitto source package with apt-get (deb-src derived from this machine's apt sources)`);
  try {
    run('apt-get', [...o, '-qq', 'update'], {}, 'apt-get update (deb-src)');
    const tmp = path.join(apt, 'download-tmp');
    run('apt-get', [...o, '-qq', 'source', '--download-only', 'mosquitto'], { cwd: tmp }, 'apt-get source --download-only mosquitto');
    mkdirSync(download, { recursive: true });
    // the tarball last: its presence is what marks the cache complete
    const files = readdirSync(tmp).sort((a, b) => Number(a.endsWith('.orig.tar.gz')) - Number(b.endsWith('.orig.tar.gz')));
    for (const f of files) renameSync(path.join(tmp, f), path.join(download, f));
  } finally {
    // the package lists were only needed for this download
    rmSync(apt, { recursive: true, force: true });
  }
  orig = find();
  if (!orig) throw new FetchError('apt-get source did not leave a mosquitto_*.orig.tar.gz');
  return { orig: path.join(download, orig), fetched: true };
}

/** Extracts test/ of the upstream tarball into a fresh directory and installs the broker shim. */
function prepareTree(orig, suite) {
  const work = mkdtempSync(path.join(os.tmpdir(), 'mqtt-conformance-'));
  let top;
  try {
    top = run('tar', ['tzf', orig]).split('\n')[0].split('/')[0];
    run('tar', ['xzf', orig, '-C', work, `${top}/test`]);
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
  const root = path.join(work, top);
  mkdirSync(path.join(root, 'src'), { recursive: true });
  const shim = path.join(root, 'src', 'mosquitto');
  const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
  writeFileSync(shim, `#!/bin/sh\n# mosq_test.start_broker runs this: our broker in Mosquitto's place\nexec ${q(process.execPath)} ${q(path.join(REPO, 'bin', 'mqtt'))} broker "$@"\n`);
  chmodSync(shim, 0o755);
  const version = /^mosquitto-(.*)$/.exec(top)?.[1] ?? top;
  if (!suite.version.test(version)) {
    rmSync(work, { recursive: true, force: true });
    throw new VersionError(`${suite.codename} now carries mosquitto ${version}, not the version its lists in ${path.relative(REPO, suite.dir)} were written for (${suite.version.source}): update them`);
  }
  const brokerDir = path.join(root, 'test', 'broker');
  try {
    checkBridgeCleanSessionWrappers(brokerDir);
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
  return { work, root, brokerDir, version };
}

/**
 * The one change made to a test: 2.0.2x's 06-bridge-clean-session-csX-lcsY.py run
 * 06-bridge-clean-session-core.py with subprocess.run and then end with status 0 whatever it
 * returned, so they would pass with a bridge that fails every check. They are made to exit with
 * the core's status, as the single 06-bridge-clean-session.py of 2.0.11 does.
 */
function checkBridgeCleanSessionWrappers(brokerDir) {
  for (const name of readdirSync(brokerDir)) {
    if (!/^06-bridge-clean-session-cs[TF]-lcs[TFN]\.py$/.test(name)) continue;
    const file = path.join(brokerDir, name);
    const text = readFileSync(file, 'utf8');
    const checked = text.replace(/^subprocess\.run\((\['\.\/06-bridge-clean-session-core\.py'.*\])\)$/m, 'exit(subprocess.run($1).returncode)');
    if (checked === text) throw new VersionError(`${name} no longer runs 06-bridge-clean-session-core.py as mosquitto-suite.mjs expects: update checkBridgeCleanSessionWrappers`);
    writeFileSync(file, checked);
  }
}

/**
 * The suite's certificates (test/ssl) are made once upstream and expire: bookworm's 2.0.11 ones on
 * 2025-02-23, and trixie's intermediate CA cannot be read by OpenSSL 3 at all. The suite ships
 * the script that made them (test/ssl/gen.sh: the same CAs, names, an expired pair dated 2012, a
 * revoked client and its CRL): run it with openssl in our temporary tree, a few seconds, before
 * the group 08 tests that use them. Returns an error message, or undefined.
 */
function regenerateCerts(root) {
  const dir = path.join(root, 'test', 'ssl');
  if (!existsSync(path.join(dir, 'gen.sh'))) return `${path.join(dir, 'gen.sh')} is missing`;
  const r = spawnSync('sh', ['gen.sh'], { cwd: dir, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.error) return `sh gen.sh: ${r.error.message}`;
  if (r.status !== 0 || !existsSync(path.join(dir, 'all-ca.crt'))) return `sh gen.sh (test/ssl) exited ${r.status}: ${`${r.stderr}`.trim().split('\n').slice(-3).join(' | ')}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// running

/** Tests in the tree: NN-name.py, helpers aside. */
function listTests(brokerDir) {
  return readdirSync(brokerDir)
    .filter((f) => /^\d\d-.*\.py$/.test(f) && !/-helper\.py$/.test(f))
    .map(testName)
    .sort();
}

/** How many ports a test takes on its command line: mosq_test.get_port(N) wants exactly N. */
function portsNeeded(brokerDir, name) {
  const src = readFileSync(path.join(brokerDir, `${name}.py`), 'utf8');
  let n = 1;
  for (const m of src.matchAll(/get_port\((\d+)\)/g)) n = Math.max(n, Number(m[1]));
  return n;
}

function portFree(port, host) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', (err) => resolve(err.code === 'EADDRNOTAVAIL' || err.code === 'EAFNOSUPPORT'));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** A block of `count` consecutive free ports for a slot, starting at its own base. */
async function freeBlock(base, count) {
  for (let start = base; start < 65000; start += 1000) {
    let ok = true;
    for (let p = start; p < start + count && ok; p++) ok = (await portFree(p, '127.0.0.1')) && (await portFree(p, '::1'));
    if (ok) return Array.from({ length: count }, (_, i) => start + i);
  }
  throw new Error(`no free ports near ${base}`);
}

/** process groups of the tests running now, killed when the script is interrupted */
const running = new Set();

function killGroup(pid) {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* gone already */
  }
}

/**
 * Tests that signal the broker and act on the answer at once (SIGHUP, then at once a SUBSCRIBE
 * whose answer depends on the reloaded ACL). Mosquitto notes the signal in the process the test
 * started, before its next packet; `mqtt broker` passes signals on from that process to its broker
 * child, and the packet can overtake the signal. These run the broker in the process the test
 * starts (MQTT_BROKER_HEAP=keep, the documented opt-out of the child), so the order is the same.
 */
const SIGNALLED_AT_ONCE = new Set(['04-retain-check-source']);

function runOne(brokerDir, name, ports, timeoutSeconds) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn('python3', [`./${name}.py`, ...ports.map(String)], {
      cwd: brokerDir,
      detached: true, // own process group: a timeout kills the test and the broker it started
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', ...(SIGNALLED_AT_ONCE.has(name) && { MQTT_BROKER_HEAP: 'keep' }) },
    });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    running.add(child.pid);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeoutSeconds * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      killGroup(child.pid); // a broker left behind by a failed test must not keep its port
      running.delete(child.pid);
      const output = Buffer.concat(chunks).toString('utf8').replace(/\0/g, '');
      const seconds = (Date.now() - started) / 1000;
      if (code === 0 && !timedOut) return resolve({ name, status: 'PASS', seconds });
      const reason = timedOut ? `timed out after ${timeoutSeconds} s` : failureReason(output, code, signal);
      resolve({ name, status: 'FAIL', seconds, reason, output });
    });
  });
}

/** The line that says what went wrong: mosq_test prints "FAIL: ..." and the packets it compared. */
function failureReason(output, code, signal) {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const fail = lines.findIndex((l) => l.startsWith('FAIL'));
  if (fail >= 0) return lines.slice(fail, fail + 3).join(' / ').slice(0, 400);
  const error = [...lines].reverse().find((l) => /Error|error:|Exception/.test(l));
  if (error) return error.slice(0, 300);
  const proto = lines.find((l) => l.startsWith('proto_ver='));
  return `exited ${signal ?? code}${proto ? ` (${proto})` : ''}`;
}

async function runAll(brokerDir, names, opts, onResult) {
  const results = new Array(names.length);
  let next = 0;
  const slot = async (index) => {
    const base = opts.basePort + index * 4;
    while (next < names.length) {
      const i = next++;
      const name = names[i];
      if (!existsSync(path.join(brokerDir, `${name}.py`))) {
        results[i] = { name, status: 'FAIL', seconds: 0, reason: 'no such test in this version of the suite' };
      } else {
        const ports = await freeBlock(base, portsNeeded(brokerDir, name));
        results[i] = await runOne(brokerDir, name, ports, opts.timeout);
      }
      if (results[i].status === 'FAIL' && opts.retries > 0 && results[i].seconds > 0) retry.push(i);
      else onResult(i, results[i]);
    }
  };
  const retry = [];
  await Promise.all(Array.from({ length: Math.min(opts.jobs, names.length) }, (_, k) => slot(k)));
  // failures again, one at a time on a quieter machine; the first failure's reason is kept
  for (const i of retry.sort((a, b) => a - b)) {
    const first = results[i];
    for (let attempt = 1; attempt <= opts.retries; attempt++) {
      const ports = await freeBlock(opts.basePort, portsNeeded(brokerDir, first.name));
      const again = await runOne(brokerDir, first.name, ports, opts.timeout);
      if (again.status === 'PASS') {
        results[i] = { ...again, retried: attempt, firstFailure: first.reason };
        break;
      }
      results[i] = { ...first, retried: attempt };
    }
    onResult(i, results[i]);
  }
  return results;
}

// ---------------------------------------------------------------------------------------------

const HELP = readFileSync(fileURLToPath(import.meta.url), 'utf8').match(/\/\*\*([\s\S]*?)\*\//)[1].replace(/^ \* ?/gm, '');

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`mosquitto-suite: ${err.message}\n`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const say = (line) => (opts.json ? process.stderr : process.stdout).write(`${line}\n`);
  const t0 = Date.now();

  let tree;
  try {
    const log = (m) => process.stderr.write(`${m}\n`);
    const { orig, fetched } = fetchSourcePackage(opts.suite, log);
    try {
      tree = prepareTree(orig, opts.suite);
    } catch (err) {
      if (fetched || !(err instanceof FetchError)) throw err;
      // a damaged cache: fetch again
      log(`cached ${path.basename(orig)} is unusable (${err.message}); fetching again`);
      rmSync(path.dirname(orig), { recursive: true, force: true });
      tree = prepareTree(fetchSourcePackage(opts.suite, log).orig, opts.suite);
    }
  } catch (err) {
    if (err instanceof VersionError) {
      process.stderr.write(`mosquitto-suite: ${err.message}\n`);
      if (opts.json) process.stdout.write(`${JSON.stringify({ error: 'version', message: err.message })}\n`);
      return 1;
    }
    if (!(err instanceof FetchError)) throw err;
    const message = `cannot fetch Mosquitto's test suite: ${err.message}`;
    if (opts.json) process.stdout.write(`${JSON.stringify({ error: 'fetch', message })}\n`);
    else process.stderr.write(`mosquitto-suite: ${message}\n`);
    return EXIT_FETCH_FAILED;
  }
  const cleanup = () => {
    if (!opts.keep) rmSync(tree.work, { recursive: true, force: true });
  };
  if (opts.keep) say(`mosquitto ${tree.version} test suite in ${tree.brokerDir}`);
  if (opts.fetchOnly) {
    say(`mosquitto ${tree.version} test suite: ${listTests(tree.brokerDir).length} tests, fetched`);
    cleanup();
    return 0;
  }
  if (!existsSync(path.join(REPO, 'dist', 'mqtt.cjs'))) {
    process.stderr.write('mosquitto-suite: dist/mqtt.cjs is missing: run `npm run build` first\n');
    cleanup();
    return 2;
  }

  // what to run: named tests and groups run as asked; the default set skips the excluded ones
  const all = listTests(tree.brokerDir);
  const exclusions = readExclusions(path.join(opts.suite.dir, 'excluded.txt'));
  const selected = [];
  const skipped = [];
  if (opts.names.length || opts.lists.length) {
    for (const n of opts.names) {
      const name = testName(n);
      const group = /^\d\d$/.test(name) ? all.filter((t) => t.startsWith(`${name}-`)) : [name];
      if (group.length === 0) process.stderr.write(`mosquitto-suite: no tests in group ${name}\n`);
      selected.push(...group);
    }
    for (const f of opts.lists) selected.push(...readNameList(f));
  } else {
    for (const t of all) {
      if (!DEFAULT_GROUPS.includes(t.slice(0, 2))) continue;
      if (exclusions.has(t)) skipped.push({ name: t, status: 'SKIP', reason: exclusions.get(t) });
      else selected.push(t);
    }
  }
  const names = [...new Set(selected)];
  if (names.some((n) => n.startsWith('08-'))) {
    const problem = regenerateCerts(tree.root);
    if (problem) process.stderr.write(`mosquitto-suite: could not make the suite's certificates again (group 08 will fail): ${problem}\n`);
  }

  // one line per test, in name order: a finished test prints when those before it have
  const order = [...names.map((name, i) => ({ name, i })), ...skipped.map((s) => ({ name: s.name, skip: s }))].sort((a, b) =>
    a.name.localeCompare(b.name),
  );
  const done = new Map();
  let printed = 0;
  const line = (r) =>
    r.status === 'SKIP'
      ? `SKIP ${r.name}: ${r.reason}`
      : `${r.status} ${r.name} (${r.seconds.toFixed(1)} s)${r.retried ? ` [run ${r.retried + 1} times]` : ''}${r.reason ? `: ${r.reason}` : ''}`;
  const flush = () => {
    while (printed < order.length) {
      const o = order[printed];
      const r = o.skip ?? done.get(o.i);
      if (!r) return;
      say(line(r));
      if (opts.verbose && r.status === 'FAIL' && r.output) say(r.output.replace(/^/gm, '    | ').trimEnd());
      printed++;
    }
  };
  flush();
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      for (const pid of running) killGroup(pid);
      cleanup();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
  const results = await runAll(tree.brokerDir, names, opts, (i, r) => {
    done.set(i, r);
    flush();
  });
  cleanup();

  const passed = results.filter((r) => r.status === 'PASS').length;
  const failed = results.length - passed;
  const seconds = (Date.now() - t0) / 1000;
  const summary = `mosquitto ${tree.version} broker tests against mqtt broker: ${results.length} run, ${passed} passed, ${failed} failed, ${skipped.length} skipped (${seconds.toFixed(0)} s)`;
  say(summary);
  if (opts.json) {
    const tests = [...results, ...skipped]
      .map(({ output, ...r }) => (r.status === 'FAIL' && output ? { ...r, output: output.slice(-4000) } : r))
      .sort((a, b) => a.name.localeCompare(b.name));
    process.stdout.write(
      `${JSON.stringify({ suite: `mosquitto ${tree.version} test/broker`, total: { run: results.length, passed, failed, skipped: skipped.length }, seconds, tests }, null, 1)}\n`,
    );
  }
  return failed > 0 ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`mosquitto-suite: ${err.stack ?? err}\n`);
      process.exit(1);
    },
  );
}
