import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { seaModule } from '../core/runtime/single-executable.js';
import { SEA_SNAPSHOT_ASSET } from '../core/runtime/worker-script.js';

/**
 * The broker runs in a child Node started with a 1 MB young-generation semi-space. With V8's
 * default (up to 16 MB per semi-space, 32 MB in all) a burst of connects grows the young
 * generation, and it is never given back while the connections sit idle: measured, 7.7 KB of RSS
 * per idle connection at 5,000 against 5.4 KB with the flag (issue 16). V8 reads the flag only
 * when the heap is made, so `v8.setFlagsFromString` at run time changes nothing (measured), and
 * Node 20 has no execve: the only ways are a child process or a Worker, and a Worker would need
 * signals, stdout and exit codes relayed. The fd soft limit needs nothing from us: Node raises it
 * to the hard limit at start (as Mosquitto does), in the child as in any Node process.
 */
const SEMI_SPACE_FLAG = '--max-semi-space-size=1';
/** Set in the child: it is the broker, not a launcher. Also the way to opt out (`MQTT_BROKER_HEAP=keep`). */
const MARK = 'MQTT_BROKER_HEAP';

/** Whether this process should start the broker in a child rather than run it itself. */
export function brokerNeedsChild(): boolean {
  if (process.env[MARK] !== undefined) return false;
  // started with a young generation size of its own choosing: keep it
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return !given.some((a) => a.startsWith('--max-semi-space-size') || a.startsWith('--max_semi_space_size'));
}

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs this same command line again in a child with the flag, and resolves to its exit code.
 * The child gets stdin/stdout/stderr as they are, so its output (the port line, the log) is the
 * broker's. It has its own process group, so a Ctrl-C reaches it once (forwarded from here), not
 * twice; SIGINT, SIGTERM and SIGHUP sent to this process are passed on. If this process dies
 * without a word (SIGKILL), the IPC channel closes and the child stops as on SIGTERM (see
 * stopWithLauncher). Resolves to undefined when the child cannot be started: the caller then runs
 * the broker itself.
 */
export async function runBrokerInChild(): Promise<number | undefined> {
  const executable = await singleExecutable();
  // a single executable started from a V8 startup snapshot refuses to start under any V8 flag
  // ("built with different V8 configurations", exit 14): the broker runs in this process, with
  // V8's default young generation
  if (executable === 'snapshot') return undefined;
  const sea = executable === 'plain';
  // a single executable is started with its arguments only (Node repeats argv[0] as argv[1] for it)
  const args = sea ? process.argv.slice(2) : [...process.execArgv, ...process.argv.slice(1)];
  // NODE_OPTIONS rather than an argument: a single executable takes its arguments as the
  // application's, but reads V8 flags from NODE_OPTIONS like any Node. Its code cache was made
  // with V8's default flags, so V8 rejects it under this one, and Node says so on stderr with a
  // plain "Warning" (no code): the broker then starts without the cache, which is all it means
  const flags = sea ? `${SEMI_SPACE_FLAG} --disable-warning=Warning` : SEMI_SPACE_FLAG;
  const env: NodeJS.ProcessEnv = { ...process.env, [MARK]: 'child', NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${flags}`.trim() };
  // glibc gives each thread that mallocs an arena of its own, and V8's compiler threads leave
  // theirs holding pages once a burst of connects has been compiled for: one arena for all
  // measured 4.2 KB of RSS per idle connection at 5,000 against 5.0 KB, with CPU per connect and
  // per message unchanged within the noise of two runs each (issue 16). Other C libraries ignore it; a value given is kept.
  env.MALLOC_ARENA_MAX ??= '1';
  return new Promise((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(process.execPath, args, {
        env,
        stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
        detached: true,
      });
    } catch {
      resolve(undefined);
      return;
    }
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const handlers = FORWARDED.map((s) => [s, forward(s)] as const);
    for (const [s, h] of handlers) process.on(s, h);
    let spawned = false;
    child.once('spawn', () => (spawned = true));
    child.once('error', () => {
      if (!spawned) {
        for (const [s, h] of handlers) process.off(s, h);
        resolve(undefined);
      }
    });
    child.once('exit', (code, signal) => {
      ignoreLateStopSignals();
      for (const [s, h] of handlers) process.off(s, h);
      // a child ended by a signal: this process reports it the shell's way
      resolve(code ?? 128 + ((signal && constants.signals[signal]) || 1));
    });
  });
}

/**
 * After the broker has stopped (or its child has exited) this process only flushes stdout and
 * stderr and exits; a stop signal that arrives meanwhile must not end it with status 143 in
 * place of its own. Such late ones are common: the launcher forwards the signal a whole process
 * group already had, and under a tracer (strace) or load a signal is delivered late. Nothing to
 * undo: the process is about to exit.
 */
export function ignoreLateStopSignals(): void {
  for (const s of FORWARDED) if (!process.listeners(s).includes(ignoreSignal)) process.on(s, ignoreSignal);
}
function ignoreSignal(): void {}

/** In the child: calls `stop` when the launcher goes away (its IPC channel closes). */
export function stopWithLauncher(stop: () => void): void {
  if (process.env[MARK] !== 'child') return;
  // the launcher died while this process was still starting: the channel is already closed
  if (!process.channel || !process.connected) {
    stop();
    return;
  }
  // the channel alone must not keep the broker's process alive once it has stopped
  process.channel.unref();
  process.once('disconnect', stop);
}

/**
 * Whether this is a single executable, and whether it starts from a startup snapshot
 * (scripts/build-binary.mjs then embeds the SEA_SNAPSHOT_ASSET marker).
 */
async function singleExecutable(): Promise<'plain' | 'snapshot' | undefined> {
  const sea = await seaModule();
  if (sea === undefined) return undefined;
  try {
    sea.getRawAsset(SEA_SNAPSHOT_ASSET);
    return 'snapshot';
  } catch {
    return 'plain'; // no such asset
  }
}
