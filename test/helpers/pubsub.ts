/**
 * Side-by-side runs of `mqtt pub/sub` and `mosquitto_pub/mosquitto_sub` against a real Mosquitto,
 * for the e2e parity tests (test/e2e/pubsub-*.test.ts). Everything waits for events: a
 * subscriber counts as ready once Mosquitto's log says it sent the SUBACK.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { type RunOptions, type RunResult, type Running, spawnCmd, spawnMqtt } from './cli.js';
import type { Mosquitto } from './mosquitto.js';

export type Tool = 'mosquitto' | 'mqtt';
export type Kind = 'pub' | 'sub';
/** mosquitto's clients first: the reference, then ours */
export const TOOLS: readonly Tool[] = ['mosquitto', 'mqtt'];
export const MOSQUITTO_PEERS = ['mosquitto', 'mosquitto_pub', 'mosquitto_sub'];
export const VERSIONS = [
  { name: 'MQTT 3.1.1', args: ['-V', '311'] },
  { name: 'MQTT 5', args: ['-V', '5'] },
] as const;

// No defaults file (~/.config/mosquitto_sub, ~/.config/mqtt/sub) may leak in from this machine.
const home = mkdtempSync(path.join(tmpdir(), 'mqtt-pubsub-home-'));
process.on('exit', () => rmSync(home, { recursive: true, force: true }));
export const CLEAN_ENV: Record<string, string | undefined> = { XDG_CONFIG_HOME: home, HOME: home, MQTT_PASSWORD: undefined, TZ: 'UTC' };

/** `mqtt <kind> …` or `mosquitto_<kind> …` with the clean environment. */
export function spawnClient(tool: Tool, kind: Kind, args: string[], opts: RunOptions = {}): Running {
  const o = { ...opts, env: { ...CLEAN_ENV, ...opts.env } };
  return tool === 'mqtt' ? spawnMqtt([kind, ...args], o) : spawnCmd(`mosquitto_${kind}`, args, o);
}

/** Runs to completion; stdin is closed at once unless `input` is given. */
export function runClient(tool: Tool, kind: Kind, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return spawnClient(tool, kind, args, { input: '', ...opts }).done;
}

/** -h/-p for the broker's plain listener (127.0.0.1: "localhost" may try ::1 first). */
export const at = (broker: Mosquitto, port = broker.port): string[] => ['-h', '127.0.0.1', '-p', String(port)];

let ids = 0;
/** A client id no other test uses (ids are matched in Mosquitto's log). */
export function uniqueId(prefix: string): string {
  return `${prefix}-${process.pid}-${++ids}`;
}

/** Resolves once Mosquitto has sent `id` its nth SUBACK; rejects if the client exits first. */
export async function subscribed(broker: Mosquitto, client: Running, id: string, nth = 1): Promise<void> {
  const line = `Sending SUBACK to ${id}\n`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const exited = client.done.then((r) => {
    throw new Error(`${id} exited (${r.code}) before its SUBACK: ${r.stderr}${r.stdout.toString()}`);
  });
  const acked = broker.waitForLog(new RegExp(`(?:${line}[\\s\\S]*?){${nth}}`));
  // whichever loses the race must not surface later as an unhandled rejection
  acked.catch(() => {});
  exited.catch(() => {});
  await Promise.race([acked, exited]);
}

export interface SubOptions extends RunOptions {
  /** client id (default: a unique one) */
  id?: string;
  /** the SUBACK to wait for when the id reconnects (default 1) */
  nth?: number;
}

/** Starts a subscriber (`-i id` is added) and resolves once it is subscribed. */
export async function startSub(broker: Mosquitto, tool: Tool, args: string[], opts: SubOptions = {}): Promise<Running> {
  const id = opts.id ?? uniqueId(tool);
  const client = spawnClient(tool, 'sub', ['-i', id, ...args], opts);
  await subscribed(broker, client, id, opts.nth);
  return client;
}

/** mosquitto_pub to the broker, which must succeed. */
export async function publish(broker: Mosquitto, args: string[], input?: string | Buffer): Promise<void> {
  const r = await runClient('mosquitto', 'pub', [...at(broker), ...args], input === undefined ? {} : { input });
  expect(r.code, r.stderr).toBe(0);
}

/** mosquitto's program names replaced by ours, so stderr texts compare. */
export function asOurs(text: string): string {
  return text.replace(/mosquitto_(pub|sub)/g, 'mqtt $1');
}

export interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout as latin1, so every byte shows in a diff */
  stdout: string;
  stderr: string;
}

export function outcome(r: RunResult): Outcome {
  return { code: r.code, signal: r.signal, stdout: r.stdout.toString('latin1'), stderr: asOurs(r.stderr) };
}

/** Same exit code (or signal), same stdout bytes, same stderr (program names aside). */
export function expectSameOutcome(ours: RunResult, theirs: RunResult): void {
  expect(outcome(ours)).toEqual(outcome(theirs));
}

/** Runs `scenario` for mosquitto's client and ours at the same time: the results by tool. */
export async function both<T>(scenario: (tool: Tool) => Promise<T>): Promise<Record<Tool, T>> {
  const [mosquitto, mqtt] = await Promise.all(TOOLS.map((tool) => scenario(tool)));
  return { mosquitto: mosquitto!, mqtt: mqtt! };
}

/** The 256 byte values, in order. */
export const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

/**
 * mosquitto_sub and `mqtt sub` with the same arguments, both subscribed before `act` runs (it
 * publishes what they should receive): their results, to compare.
 */
export async function subsSideBySide(
  broker: Mosquitto,
  args: string[],
  act: () => Promise<void>,
  opts: RunOptions = {},
): Promise<Record<Tool, RunResult>> {
  const subs = await both((tool) => startSub(broker, tool, [...at(broker), ...args], opts));
  await act();
  return both((tool) => subs[tool].done);
}

/** `-D <command> <property> <value>` options, one per entry (['user-property', key, value] too). */
export function properties(command: 'publish' | 'will' | 'subscribe', ...entries: string[][]): string[] {
  return entries.flatMap((entry) => ['-D', command, ...entry]);
}

export interface ScratchFiles {
  dir: string;
  /** a file holding ALL_BYTES */
  allBytes: string;
  /** writes a file in the directory and returns its path */
  file(name: string, data: Buffer | string): string;
  remove(): void;
}

/** A temporary directory for payload files, with `all-bytes.bin` already in it. */
export function scratchFiles(prefix: string): ScratchFiles {
  const dir = mkdtempSync(path.join(tmpdir(), `mqtt-${prefix}-`));
  const file = (name: string, data: Buffer | string) => {
    const p = path.join(dir, name);
    writeFileSync(p, data);
    return p;
  };
  return { dir, allBytes: file('all-bytes.bin', ALL_BYTES), file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
