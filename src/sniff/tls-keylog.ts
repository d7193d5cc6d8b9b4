import { readFileSync } from 'node:fs';

/** The secrets of one TLS session, by NSS label (CLIENT_RANDOM, CLIENT_TRAFFIC_SECRET_0, …). */
export type SessionSecrets = Map<string, Buffer>;

/** An NSS key log (SSLKEYLOGFILE, `--tls-keylog`): client random (hex) -> that session's secrets. */
export type KeyLog = Map<string, SessionSecrets>;

/** Parses key log text; comments, blank and unknown lines are skipped as Wireshark does. */
export function parseKeyLog(text: string): KeyLog {
  const log: KeyLog = new Map();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_0-9]+) ([0-9a-fA-F]{64}) ([0-9a-fA-F]+)\s*$/.exec(line);
    if (!m) continue;
    const random = m[2]!.toLowerCase();
    let secrets = log.get(random);
    if (!secrets) log.set(random, (secrets = new Map()));
    secrets.set(m[1]!, Buffer.from(m[3]!, 'hex'));
  }
  return log;
}

export function readKeyLog(file: string): KeyLog {
  return parseKeyLog(readFileSync(file, 'utf8'));
}
