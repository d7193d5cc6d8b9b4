import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCmd, spawnCmd } from '../helpers/cli.js';

// `npm start` runs scripts/demo.mjs. It used to hang in about a third of the runs: `mqtt sub -C 3`
// exited together with the last `mqtt pub`, before the demo attached its exit listener, so the
// demo waited for a 'close' event already gone. Twenty runs in a row catch that reliably.
const DEMO = path.join(ROOT, 'scripts/demo.mjs');
const RUNS = 20;

/** The `mqtt` children of a process, from /proc (Linux). */
function childrenOf(ppid: number): Array<{ pid: number; args: string[] }> {
  const found: Array<{ pid: number; args: string[] }> = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // the field after "(comm)" is the state, then the parent's pid
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== ppid) continue;
      found.push({ pid: Number(name), args: readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0') });
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

/** Running (a zombie waiting for its new parent to reap it counts as ended). */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

describe('npm start (scripts/demo.mjs)', () => {
  it(`completes ${RUNS} times in a row, each within its deadline`, async () => {
    const durations: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const started = Date.now();
      const r = await runCmd(process.execPath, [DEMO], { timeoutMs: 30_000 });
      durations.push(Date.now() - started);
      const context = `run ${i + 1}: code=${r.code} signal=${r.signal} stdout=${r.stdout} stderr=${r.stderr}`;
      expect(r.code, context).toBe(0);
      expect(r.stdout.toString(), context).toContain('Round trip OK: 3 messages published and received');
      expect(r.stdout.toString(), context).toMatch(/demo\/temperature 25\.5\n {2}demo\/humidity 40\n {2}demo\/door open\n/);
    }
    console.log(`demo runs: ${durations.map((d) => (d / 1000).toFixed(2)).join(' ')} s`);
  }, 400_000);

  it('fails with a message naming what it waited for, and kills its children, when a child stops answering', async () => {
    const demo = spawnCmd(process.execPath, [DEMO], { env: { MQTT_DEMO_DEADLINE_MS: '3000' }, timeoutMs: 30_000 });
    await demo.waitForStdout(/\$ mqtt sub .* &\n/);
    const sub = childrenOf(demo.proc.pid!).find((c) => c.args.includes('sub'));
    const broker = childrenOf(demo.proc.pid!).find((c) => c.args.includes('broker'));
    expect(sub, 'the demo runs mqtt sub as its child').toBeDefined();
    expect(broker, 'the demo runs mqtt broker as its child').toBeDefined();
    // a sub that never exits: stopped, it receives the messages but cannot act on them
    process.kill(sub!.pid, 'SIGSTOP');
    const r = await demo.done;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^demo: timed out after 3 s waiting for mqtt sub -C 3 to exit after its third message$/m);
    // SIGKILL ends a stopped process too; the kernel delivers it asynchronously: poll, with a deadline
    const deadline = Date.now() + 5000;
    while ((alive(sub!.pid) || alive(broker!.pid)) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    expect(alive(sub!.pid), 'mqtt sub killed by the demo').toBe(false);
    expect(alive(broker!.pid), 'mqtt broker killed by the demo').toBe(false);
  }, 40_000);
});
