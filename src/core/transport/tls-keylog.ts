import { closeSync, openSync, writeSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';

/** One descriptor per file for the life of the process (or worker): a bench opens thousands. */
const descriptors = new Map<string, number>();

function descriptor(file: string): number {
  let fd = descriptors.get(file);
  if (fd === undefined) {
    // the lines are session secrets: only the owner may read them
    fd = openSync(file, 'a', 0o600);
    descriptors.set(file, fd);
  }
  return fd;
}

/** Fails now (one-line error) rather than at the first handshake if the file cannot be written. */
export function checkKeylogFile(file: string): void {
  descriptor(file);
}

/**
 * Appends the socket's TLS secrets to `file` in the NSS key log format (SSLKEYLOGFILE: one
 * "CLIENT_RANDOM …" line for TLS 1.2, five "…_TRAFFIC_SECRET_0"/"…_HANDSHAKE_TRAFFIC_SECRET"
 * lines for TLS 1.3), which Wireshark/tshark and `mqtt sniff --tls-keylog` read. Written
 * synchronously as each line comes, so nothing is lost when the command exits at once.
 */
export function attachKeylog(socket: TLSSocket, file: string): void {
  const fd = descriptor(file);
  socket.on('keylog', (line: Buffer) => {
    writeSync(fd, line);
  });
}

/** For tests. */
export function closeKeylogFiles(): void {
  for (const fd of descriptors.values()) closeSync(fd);
  descriptors.clear();
}
