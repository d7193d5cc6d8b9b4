import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Broker } from './broker.js';
import type { LogConfig, LogType } from './config/broker-config.js';
import { FileSink, stderrSink, stdoutSink, type LogSink } from './log.js';

/** `log_dest topic`: Mosquitto's topic for each log type (src/logging.c). */
export const LOG_TOPICS: Readonly<Record<LogType, string>> = {
  error: '$SYS/broker/log/E',
  warning: '$SYS/broker/log/W',
  notice: '$SYS/broker/log/N',
  information: '$SYS/broker/log/I',
  debug: '$SYS/broker/log/D',
  subscribe: '$SYS/broker/log/M/subscribe',
  unsubscribe: '$SYS/broker/log/M/unsubscribe',
  websockets: '$SYS/broker/log/WS',
  internal: '$SYS/broker/log/E',
};

/** Mosquitto's message expiry for log messages published on topics, seconds. */
const LOG_MESSAGE_EXPIRY = 20;

/**
 * `log_dest topic`: each line (time stamp included) published as Mosquitto does, QoS 2, not
 * retained, expiring after 20 s; never debug or internal lines, which would describe their own
 * delivery. Lines are published once the code that logged them has run (a microtask later), as
 * Mosquitto queues them: a line logged in the middle of routing a message does not route another
 * one inside it. A line logged while the pending ones are published is not published (it could
 * recurse).
 */
export class TopicSink implements LogSink {
  broker?: Broker;
  private pending: Array<[LogType, string]> = [];
  private publishing = false;

  write(type: LogType, line: string): void {
    if (!this.broker || this.publishing || type === 'debug' || type === 'internal') return;
    if (this.pending.push([type, line]) === 1) queueMicrotask(() => this.flush());
  }

  private flush(): void {
    const lines = this.pending;
    this.pending = [];
    this.publishing = true;
    try {
      for (const [type, line] of lines) {
        this.broker!.publish({
          topic: LOG_TOPICS[type],
          payload: Buffer.from(line),
          qos: 2,
          retain: false,
          expiresAt: Date.now() + LOG_MESSAGE_EXPIRY * 1000,
          properties: { messageExpiryInterval: LOG_MESSAGE_EXPIRY },
        });
      }
    } catch (err) {
      // a log line must never take the broker down
      process.stderr.write(`Error: log_dest topic: ${(err as Error).message}\n`);
    } finally {
      this.publishing = false;
    }
  }
}

/** syslog severities (RFC 5424) as Mosquitto picks them per log type. */
const SYSLOG_SEVERITY: Readonly<Record<LogType, number>> = {
  error: 3,
  warning: 4,
  notice: 5,
  information: 6,
  debug: 7,
  subscribe: 5,
  unsubscribe: 5,
  websockets: 7,
  internal: 3,
};

/** facility "daemon" unless log_facility names local0..local7 */
const DAEMON = 3;
const LOCAL0 = 16;

/** The syslog socket; MQTT_SYSLOG_SOCKET names another (tests use their own). */
export function syslogSocketPath(): string {
  return process.env.MQTT_SYSLOG_SOCKET || '/dev/log';
}

/**
 * `log_dest syslog`: lines go to the local syslog socket through one long-running `logger`
 * process (util-linux), each with its priority (`--prio-prefix`), since Node cannot write unix
 * datagrams itself. Tagged "mqtt" with the broker's pid, as Mosquitto tags "mosquitto[pid]".
 */
export class SyslogSink implements LogSink {
  private child?: ChildProcess;

  constructor(
    private readonly socket: string,
    private readonly facility: number,
    private readonly onError: (message: string) => void,
  ) {
    this.child = spawn('logger', ['--prio-prefix', '-t', 'mqtt', `--id=${process.pid}`, '-u', socket], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    this.child.on('error', (err) => {
      this.child = undefined;
      this.onError(`Warning: log_dest syslog: cannot run logger (${err.message}); nothing is logged to syslog.`);
    });
    this.child.on('exit', () => (this.child = undefined));
    this.child.stdin!.on('error', () => (this.child = undefined));
    // logging must never keep the broker from exiting
    this.child.unref();
    (this.child.stdin as unknown as { unref?: () => void }).unref?.();
  }

  write(type: LogType, line: string): void {
    const stdin = this.child?.stdin;
    if (!stdin || stdin.destroyed) return;
    // one line per message: a newline inside would start a new syslog entry without a priority
    stdin.write(`<${this.facility * 8 + SYSLOG_SEVERITY[type]}>${line.replace(/\n/g, ' ')}\n`);
  }

  close(): void {
    this.child?.stdin?.end();
  }
}

export interface LogSinks {
  sinks: LogSink[];
  /** set its broker once there is one, for `log_dest topic` */
  topic?: TopicSink;
  /** said at start: a destination that cannot work here */
  warnings: string[];
}

/**
 * The sinks a log configuration asks for. A log file that cannot be opened leaves, as in
 * Mosquitto, stderr with errors only; that is up to the caller (see onFileError).
 */
export function logSinksFrom(config: LogConfig, onFileError: (message: string) => void): LogSinks {
  const sinks: LogSink[] = [];
  const warnings: string[] = [];
  const { dest } = config;
  // the file before the console: whoever sees a line on stderr finds it in the file already
  if (dest.file !== undefined) sinks.push(new FileSink(dest.file, onFileError));
  if (dest.stdout) sinks.push(stdoutSink);
  if (dest.stderr) sinks.push(stderrSink);
  if (dest.syslog) {
    const socket = syslogSocketPath();
    if (!existsSync(socket)) warnings.push(`Warning: log_dest syslog: there is no syslog socket at ${socket} on this system; nothing is logged to syslog.`);
    else sinks.push(new SyslogSink(socket, config.facility === undefined ? DAEMON : LOCAL0 + config.facility, (m) => process.stderr.write(`${m}\n`)));
  }
  let topic: TopicSink | undefined;
  if (dest.topic) sinks.push((topic = new TopicSink()));
  return { sinks, topic, warnings };
}
