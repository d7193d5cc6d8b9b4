/** Whole stdin as bytes. */
export async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * stdin split at '\n' as raw bytes (binary-safe: no decoding, '\r' kept, empty lines kept as
 * empty messages, a last line without '\n' still yielded), like mosquitto_pub -l. Lines come in
 * batches, one per chunk read, so a fast producer costs one await per chunk, not per line.
 */
export async function* stdinLineBatches(input: AsyncIterable<Buffer | string> = process.stdin): AsyncGenerator<Buffer[]> {
  let rest: Buffer | null = null;
  for await (const raw of input) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    const lines: Buffer[] = [];
    let start = 0;
    let nl = chunk.indexOf(0x0a);
    if (nl !== -1 && rest) {
      lines.push(Buffer.concat([rest, chunk.subarray(0, nl)]));
      rest = null;
      start = nl + 1;
      nl = chunk.indexOf(0x0a, start);
    }
    while (nl !== -1) {
      lines.push(chunk.subarray(start, nl));
      start = nl + 1;
      nl = chunk.indexOf(0x0a, start);
    }
    if (start < chunk.length) rest = rest ? Buffer.concat([rest, chunk.subarray(start)]) : Buffer.from(chunk.subarray(start));
    if (lines.length > 0) yield lines;
  }
  if (rest && rest.length > 0) yield [rest];
}
