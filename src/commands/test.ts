import { Command, Option } from 'commander';
import { checkClientOptions, processContext, resolveClientConfig } from '../cli/options/client-config.js';
import { connectionGroup } from '../cli/options/connection.js';
import { OptionCommand } from '../cli/options/option-command.js';
import { initialState } from '../cli/options/state.js';
import { tlsGroup } from '../cli/options/tls.js';
import { action } from '../cli/action.js';
import { UsageError } from '../cli/errors.js';
import type { ProtocolVersion } from '../core/protocol/types.js';
import { testTable } from '../output/test-report.js';
import { runBrokerTest } from './test-run.js';

const HELP_AFTER = `
Probes, per protocol version (MQTT 3.1.1 and 5; -V picks one): QoS 0/1/2 delivered at the QoS asked,
retained messages, + and # wildcards, shared subscriptions ($share/g/…), the longest client id, topic
and number of topic levels that work, and the round-trip latency (p50 of 20 QoS 0 messages). MQTT 5
adds what CONNACK announces (maximum QoS, retain/wildcard/shared/subscription-id availability, topic
alias maximum, receive maximum, maximum packet size, server keepalive) and checks session expiry,
subscription identifiers, no-local, retain-as-published, payload format and message expiry
forwarding, and topic aliases. Every probe uses its own topics under mqtt-test/ and cleans up its
retained messages.

Output: a table on a terminal; --json prints one object for scripts:
  {"broker": "mqtt://host:port", "results": {"3.1.1": {probe: value, …}, "5.0": {…}}}
  where a value is true/false, a number, a string saying what happened instead, or null.

Exit status: 0 when the broker accepted the connections (whatever it supports), 1 when it could not
be reached or refused every connection, or for bad arguments.`;

/** `mqtt test`: what does this broker support? Connection and TLS options as pub/sub. */
export function testCommand(): Command {
  const cmd: OptionCommand = new OptionCommand('test')
    .description('Probe a broker: which MQTT features and limits it supports, for 3.1.1 and 5 (a table, or --json).')
    .helpOption('--help', 'show help')
    .addGroups([connectionGroup, tlsGroup]);
  cmd.addOption(new Option('--json', 'one JSON object for scripts instead of the table').helpGroup('Output:'));
  cmd.addOption(new Option('--wait <ms>', 'how long a probe waits for a message that should arrive (default: 2000)').helpGroup('Output:'));
  cmd.addHelpText('after', HELP_AFTER);
  cmd.action(
    action(async (opts: { json?: boolean; wait?: string }) => {
      cmd.checkNoOperands();
      const state = initialState('pub');
      let versionGiven = false;
      for (const { spec, value } of cmd.events) {
        spec.apply(state, value);
        if (spec.flags.startsWith('-V')) versionGiven = true;
      }
      const waitMs = opts.wait === undefined ? 2000 : Number(opts.wait);
      if (!(waitMs >= 10 && waitMs <= 60_000) || !Number.isInteger(waitMs)) throw new UsageError(`Invalid --wait "${opts.wait}", it must be 10..60000 milliseconds.`);
      const ctx = processContext();
      const client = await resolveClientConfig(state, checkClientOptions(state), ctx);
      const versions: ProtocolVersion[] = versionGiven ? [state.conn.protocolVersion] : [4, 5];
      const report = await runBrokerTest({ client, versions, waitMs });
      process.stdout.write(opts.json || !process.stdout.isTTY ? `${JSON.stringify(report)}\n` : testTable(report));
      const reached = Object.values(report.results).some((r) => r.connect === 'ok');
      if (!reached) {
        const why = Object.values(report.results).map((r) => r.connect)[0];
        if (!state.conn.quiet) process.stderr.write(`Error: could not connect to ${report.broker}: ${String(why)}\n`);
        return 1;
      }
      return 0;
    }),
  );
  return cmd;
}
