import type { ReadStream } from 'node:tty';

/** Thrown when the user presses Ctrl-C at a prompt. */
export class PromptInterrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'PromptInterrupted';
  }
}

export interface PasswordReader {
  /** Prints the prompt and resolves to the bytes typed, or null at end of input. */
  read(prompt: string): Promise<Buffer | null>;
  /** Lets go of the input so the process can end. */
  close(): void;
}

type Input = NodeJS.ReadableStream & Partial<Pick<ReadStream, 'isTTY' | 'setRawMode'>>;

/**
 * On a terminal, reads with echo off (raw mode, so nothing typed is ever displayed); otherwise reads
 * one line per prompt, so scripts and tests can pipe `password\npassword\n` in as with mosquitto_passwd.
 */
export function passwordReader(input: Input, output: NodeJS.WritableStream): PasswordReader {
  return input.isTTY && input.setRawMode ? ttyReader(input, output) : lineReader(input, output);
}

function lineReader(input: Input, output: NodeJS.WritableStream): PasswordReader {
  let buffered = Buffer.alloc(0);
  let ended = false;
  let wake: (() => void) | undefined;
  const onData = (chunk: Buffer | string) => {
    buffered = Buffer.concat([buffered, typeof chunk === 'string' ? Buffer.from(chunk) : chunk]);
    wake?.();
  };
  const onEnd = () => {
    ended = true;
    wake?.();
  };
  input.on('data', onData);
  input.on('end', onEnd);
  input.on('error', onEnd);
  const nextLine = async (): Promise<Buffer | null> => {
    for (;;) {
      const nl = buffered.indexOf(0x0a);
      if (nl >= 0 || ended) {
        if (nl < 0 && buffered.length === 0) return null;
        const end = nl >= 0 ? nl : buffered.length;
        const line = buffered.subarray(0, end);
        buffered = buffered.subarray(nl >= 0 ? nl + 1 : end);
        // a CRLF pipe (a Windows-made file) must not put a CR into the password
        return line.at(-1) === 0x0d ? line.subarray(0, -1) : line;
      }
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  };
  return {
    async read(prompt) {
      output.write(prompt);
      const line = await nextLine();
      // as mosquitto_passwd does, so what follows a prompt starts on its own line
      output.write('\n');
      return line;
    },
    close() {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onEnd);
      input.pause();
    },
  };
}

function ttyReader(input: Input, output: NodeJS.WritableStream): PasswordReader {
  return {
    read(prompt) {
      input.setRawMode!(true);
      output.write(prompt);
      return new Promise((resolve, reject) => {
        let typed: number[] = [];
        const finish = (err: Error | null, value: Buffer | null = null) => {
          input.off('data', onData);
          input.setRawMode!(false);
          input.pause();
          // echo was off, so the user's Enter never moved the cursor down
          output.write('\n');
          if (err) reject(err);
          else resolve(value);
        };
        const onData = (chunk: Buffer | string) => {
          for (const byte of typeof chunk === 'string' ? Buffer.from(chunk) : chunk) {
            if (byte === 0x0d || byte === 0x0a) return finish(null, Buffer.from(typed));
            if (byte === 0x03) return finish(new PromptInterrupted());
            if (byte === 0x04 && typed.length === 0) return finish(null, null);
            if (byte === 0x15) typed = [];
            else if (byte === 0x7f || byte === 0x08) typed = dropLastChar(typed);
            else typed.push(byte);
          }
        };
        input.on('data', onData);
        input.resume();
      });
    },
    close() {
      input.pause();
    },
  };
}

/** Backspace removes a whole UTF-8 character, not its last byte. */
function dropLastChar(bytes: number[]): number[] {
  let end = bytes.length - 1;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.slice(0, Math.max(end, 0));
}
