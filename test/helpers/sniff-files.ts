import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { conversation } from '../../scripts/sniff/fixtures.js';
import type { Conversation, ConversationOptions } from '../../scripts/sniff/tcp-builder.js';
import { LINKTYPE } from '../../src/sniff/link-types.js';
import { writeClassicPcap } from '../../src/sniff/pcap-writer.js';

/**
 * A temporary folder for the captures of one test file, removed after its tests: the function
 * returns the path of `name` in it, after writing `bytes` there if given.
 */
export function captureDir(): (name: string, bytes?: Buffer) => string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mqtt-sniff-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return (name, bytes) => {
    const file = path.join(dir, name);
    if (bytes) writeFileSync(file, bytes);
    return file;
  };
}

/**
 * A classic Ethernet pcap of one conversation that `stage` writes (127.0.0.1:40001 -> :1883 unless
 * `opts` says otherwise); `handshake: false` starts it mid-stream, as a late capture would.
 */
export function stagedCapture(stage: (c: Conversation) => void, opts: Partial<ConversationOptions> & { handshake?: boolean } = {}): Buffer {
  const c = conversation(opts);
  if (opts.handshake !== false) c.handshake();
  stage(c);
  return writeClassicPcap(c.frames, { linkType: LINKTYPE.ETHERNET });
}
