import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MQTT_BIN = path.join(ROOT, 'bin/mqtt');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
}

/** A running process whose output can be awaited line by line (no fixed sleeps in tests). */
export class Running {
  stdout = Buffer.alloc(0);
  stderr = '';
  readonly done: Promise<RunResult>;
  private waiters: Array<() => void> = [];

  constructor(readonly proc: ChildProcess, timeoutMs: number) {
    proc.stdout!.on('data', (d: Buffer) => {
      this.stdout = Buffer.concat([this.stdout, d]);
      this.notify();
    });
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (d: string) => {
      this.stderr += d;
      this.notify();
    });
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    this.done = new Promise((resolve) => {
      proc.on('close', (code, signal) => {
        clearTimeout(timer);
        this.notify();
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }

  private notify() {
    for (const w of [...this.waiters]) w();
  }

  /** Resolves once stdout (as text) satisfies the predicate or matches the pattern. */
  waitForStdout(test: RegExp | ((s: string) => boolean), timeoutMs = 10_000): Promise<string> {
    return this.waitFor(() => this.stdout.toString('utf8'), test, timeoutMs, 'stdout');
  }

  waitForStderr(test: RegExp | ((s: string) => boolean), timeoutMs = 10_000): Promise<string> {
    return this.waitFor(() => this.stderr, test, timeoutMs, 'stderr');
  }

  private waitFor(get: () => string, test: RegExp | ((s: string) => boolean), timeoutMs: number, what: string) {
    const ok = () => (typeof test === 'function' ? test(get()) : test.test(get()));
    return new Promise<string>((resolve, reject) => {
      if (ok()) return resolve(get());
      const timer = setTimeout(() => {
        remove();
        reject(new Error(`timed out waiting for ${what} ${test}; stdout=${JSON.stringify(this.stdout.toString())} stderr=${JSON.stringify(this.stderr)}`));
      }, timeoutMs);
      const check = () => {
        if (ok()) {
          remove();
          resolve(get());
        } else if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
          // keep waiting only while output may still arrive; 'close' notifies once more
        }
      };
      const remove = () => {
        clearTimeout(timer);
        const i = this.waiters.indexOf(check);
        if (i >= 0) this.waiters.splice(i, 1);
      };
      this.waiters.push(check);
    });
  }

  kill(signal: NodeJS.Signals = 'SIGTERM') {
    this.proc.kill(signal);
  }
}

export function spawnCmd(cmd: string, args: string[], opts: RunOptions = {}): Running {
  const proc = spawn(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const running = new Running(proc, opts.timeoutMs ?? 15_000);
  proc.stdin!.on('error', () => {});
  if (opts.input !== undefined) proc.stdin!.end(opts.input);
  return running;
}

/** Spawns the built CLI (`bin/mqtt`). */
export function spawnMqtt(args: string[], opts: RunOptions = {}): Running {
  return spawnCmd(process.execPath, [MQTT_BIN, ...args], opts);
}

export function runMqtt(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = spawnMqtt(args, { input: '', ...opts });
  return r.done;
}

export function runCmd(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return spawnCmd(cmd, args, { input: '', ...opts }).done;
}
