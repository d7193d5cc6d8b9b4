/** A capture file the reader cannot make sense of (not a damaged tail, which is only a warning). */
export class CaptureFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaptureFormatError';
  }
}

/** Records larger than this are corruption, not packets (libpcap's own limit is 256 KiB by default). */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;
