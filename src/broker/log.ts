export type LogLevel = 'error' | 'warning' | 'notice' | 'information' | 'debug';

/**
 * Broker log lines like Mosquitto's ("1700000000: New connection from …") on stderr. Errors and
 * warnings always print; notices and information only with -v or matching log_type lines.
 */
export class BrokerLog {
  constructor(
    private readonly enabled: Set<LogLevel> = new Set(['error', 'warning']),
    private readonly write: (line: string) => void = (line) => process.stderr.write(line),
  ) {}

  static verbose(): BrokerLog {
    return new BrokerLog(new Set(['error', 'warning', 'notice', 'information']));
  }

  log(level: LogLevel, message: string): void {
    if (!this.enabled.has(level)) return;
    this.write(`${Math.floor(Date.now() / 1000)}: ${message}\n`);
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
}
