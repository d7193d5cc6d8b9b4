import { closeSync, openSync, writeSync } from 'node:fs';
import type { LogType } from './config/broker-config.js';
import { localTime } from '../output/local-time.js';
import { strftime } from '../output/strftime.js';

export type { LogType } from './config/broker-config.js';
/** The levels most log lines use; subscribe, unsubscribe, websockets and internal are types too. */
export type LogLevel = 'error' | 'warning' | 'notice' | 'information' | 'debug';

/** Where a log line goes: stderr, a file, $SYS/broker/log/…, syslog. */
export interface LogSink {
  /** `line` has the time stamp and no newline; `message` is the bare text (syslog stamps its own) */
  write(type: LogType, line: string, message: string): void;
  /** logrotate moved the file away: open the path again (SIGHUP) */
  reopen?(): void;
  close?(): void;
}

export interface BrokerLogOptions {
  types?: Iterable<LogType>;
  sinks?: LogSink[];
  /** prefix lines with the time (Mosquitto log_timestamp) */
  timestamp?: boolean;
  /** strftime format of that time; undefined = Unix seconds, as Mosquitto */
  timestampFormat?: string;
  /** log clients connecting and disconnecting (Mosquitto connection_messages) */
  connectionMessages?: boolean;
}

/** Longest log line, as Mosquitto's. */
const LOG_LINE_MAX = 999;

/** stderr, the default destination; writes to a file or pipe are synchronous, so nothing is lost at exit. */
export const stderrSink: LogSink = { write: (_type, line) => process.stderr.write(`${line}\n`) };
export const stdoutSink: LogSink = { write: (_type, line) => process.stdout.write(`${line}\n`) };

/**
 * `log_dest file PATH`: appended to, one synchronous write a line (a crash loses nothing), and
 * opened again on SIGHUP so logrotate can move it away. When it cannot be opened Mosquitto says so
 * on stderr and runs on; so does this.
 */
export class FileSink implements LogSink {
  private fd: number | undefined;

  constructor(
    readonly path: string,
    private readonly onError: (message: string) => void = (m) => process.stderr.write(`${m}\n`),
  ) {
    this.open();
  }

  private open(): void {
    try {
      this.fd = openSync(this.path, 'a', 0o640);
    } catch {
      this.fd = undefined;
      this.onError(`Error: Unable to open log file ${this.path} for writing.`);
    }
  }

  write(_type: LogType, line: string): void {
    if (this.fd === undefined) return;
    try {
      writeSync(this.fd, `${line}\n`);
    } catch {
      // a full disk must not stop the broker
    }
  }

  reopen(): void {
    this.close();
    this.open();
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * Broker log lines as Mosquitto writes them: "1700000000: New connection from …" (or the time
 * as log_timestamp_format says), filtered by log_type, sent to every log_dest.
 */
export class BrokerLog {
  private types!: Set<LogType>;
  private readonly sinks: LogSink[];
  private timestamp!: boolean;
  private timestampFormat?: string;
  /** the fields below change only through configure (a reload) */
  connectionMessages!: boolean;
  /** log_type debug is on: packet lines are wanted (checked on every packet, so a field) */
  debugOn!: boolean;
  /**
   * connection() lines go somewhere: checked before building one, since every connect and every
   * close would otherwise format a line (a client's address and port among it) for nothing
   */
  connectionsOn!: boolean;
  /**
   * Lines naming a client by its address may be written after its socket has closed, when the
   * address can no longer be asked for: with these on, listeners read it at accept (see
   * listeners.ts); otherwise only when a line needs it.
   */
  peersNamed!: boolean;

  constructor(opts: BrokerLogOptions = {}) {
    this.sinks = opts.sinks ?? [stderrSink];
    this.configure(opts);
  }

  /**
   * log_type, log_timestamp, log_timestamp_format and connection_messages, at start and again on
   * a reload (SIGHUP), as Mosquitto reloads them; the destinations stay as they were opened.
   */
  configure(opts: Omit<BrokerLogOptions, 'sinks'>): void {
    this.types = new Set(opts.types ?? ['error', 'warning']);
    this.timestamp = opts.timestamp ?? true;
    this.timestampFormat = opts.timestampFormat;
    this.connectionMessages = opts.connectionMessages ?? true;
    this.debugOn = this.enabled('debug');
    this.connectionsOn = this.connectionMessages && this.enabled('notice');
    this.peersNamed = this.enabled('notice') || this.enabled('information') || this.debugOn;
  }

  static verbose(): BrokerLog {
    return new BrokerLog({ types: ['error', 'warning', 'notice', 'information'] });
  }

  /** Whether lines of this type go anywhere: callers skip building costly messages otherwise. */
  enabled(type: LogType): boolean {
    return this.sinks.length > 0 && this.types.has(type);
  }

  log(type: LogType, message: string): void {
    if (!this.enabled(type)) return;
    // a line is cut at Mosquitto's 999 characters (its char log_line[1000]): a client's 65,535-byte
    // client id would otherwise make lines that fill a stderr pipe nobody reads yet, and a
    // synchronous write to a full pipe stops the whole broker (Mosquitto's 01-connect-575314)
    if (message.length > LOG_LINE_MAX) message = message.slice(0, LOG_LINE_MAX);
    let line = this.timestamp ? `${this.stamp()}: ${message}` : message;
    if (line.length > LOG_LINE_MAX) line = line.slice(0, LOG_LINE_MAX);
    for (const sink of this.sinks) sink.write(type, line, message);
  }

  private stamp(): string {
    const seconds = Math.floor(Date.now() / 1000);
    // Mosquitto hands the format to strftime with localtime(), as mosquitto_sub's -F @ does
    return this.timestampFormat === undefined ? String(seconds) : strftime(this.timestampFormat, localTime(seconds));
  }

  error(m: string): void {
    this.log('error', m);
  }
  warning(m: string): void {
    this.log('warning', m);
  }
  notice(m: string): void {
    this.log('notice', m);
  }
  info(m: string): void {
    this.log('information', m);
  }
  debug(m: string): void {
    this.log('debug', m);
  }
  subscribe(m: string): void {
    this.log('subscribe', m);
  }
  unsubscribe(m: string): void {
    this.log('unsubscribe', m);
  }

  /** A client connecting or going (notice), unless connection_messages is false. */
  connection(m: string): void {
    if (this.connectionsOn) this.log('notice', m);
  }

  /** SIGHUP: log files are opened again. */
  reopen(): void {
    for (const sink of this.sinks) sink.reopen?.();
  }

  close(): void {
    for (const sink of this.sinks) sink.close?.();
  }
}
