import { PROPERTY_OPTION_HELP } from '../property-option.js';
import { defaultsFileCandidates } from './defaults-file.js';
import type { CommandKind } from './state.js';

const EXIT_STATUS: Record<CommandKind, string[]> = {
  pub: [
    '  0    published (with --repeat: every message); also when an MQTT v5 PUBACK/PUBREC refuses',
    '       a message (a warning is printed) unless --fail-on-reason, which exits with its reason code',
    '  1    bad arguments, or the connection could not be made (refused, DNS, TLS)',
    '  1-5, 128-162  the broker refused the connection: the CONNACK code',
    '  7    the connection was lost',
  ],
  sub: [
    '  0    -C count reached, -E, --retained-only done, Ctrl-C/SIGTERM after connecting, all',
    '       subscriptions denied, or a v5 DISCONNECT from the broker such as "Session taken over"',
    '       (like mosquitto_sub; we also say so on stderr for a takeover)',
    '  1    bad arguments, or the connection could not be made (refused, DNS, TLS)',
    '  1-5, 128-162  the broker refused the connection: the CONNACK code',
    '  27   -W deadline or --idle-timeout reached',
  ],
  rr: [
    '  0    a response was printed (with --count: every one), a v5 DISCONNECT from the broker, or the',
    '       response subscription was refused (like mosquitto_rr)',
    '  1    bad arguments, or the connection could not be made (refused, DNS, TLS)',
    '  1-5, 128-162  the broker refused the connection: the CONNACK code',
    '  7    the connection was lost',
    '  27   -W: no response in time',
  ],
  ctrl: [
    '  0    the command was carried out (and what it asked for printed)',
    '  1    [extra] the broker answered with an error, refused the connection, or did not answer',
    '       within 10 s (mosquitto_ctrl exits 0 then), or bad connection options',
    '  3    bad command arguments (mosquitto_ctrl\'s MOSQ_ERR_INVAL)',
    '  13   unknown command (MOSQ_ERR_UNKNOWN)',
  ],
};

/** The --help text after the options: defaults file, environment, -D names, exit status. */
export function commandHelpFooter(kind: CommandKind): string {
  const [ours, theirs] = defaultsFileCandidates(kind, { XDG_CONFIG_HOME: '$XDG_CONFIG_HOME' });
  return [
    '',
    'Options marked [extra] go beyond mosquitto_' + kind + ' 2.0; all others behave like its options.',
    '',
    'Defaults file:',
    `  Options are read first from ${ours} (without XDG_CONFIG_HOME: ~/.config/mqtt/${kind}),`,
    `  or, when that file does not exist, from mosquitto_${kind}'s own ${theirs}`,
    `  (~/.config/mosquitto_${kind}). One option per line, split at the first space so values`,
    '  may contain spaces ("-h broker.example", "--cafile /etc/ssl/ca.pem", "-P secret");',
    "  lines starting with '#' are comments. The command line comes after the file, and can",
    '  override its values but not remove its flags or its -t topics.',
    '',
    'Environment:',
    '  MQTT_PASSWORD  [extra] password used with -u (or a -L user) when -P is not given.',
    '',
    // ctrl sends no properties of its own choosing
    ...(kind === 'ctrl' ? [] : ['MQTT v5 properties for -D:', ...PROPERTY_OPTION_HELP.slice(2).map((line) => `  ${line}`)]),
    ...(kind === 'rr'
      ? [
          '',
          'Output of --json [extra]:',
          '  one object per response with latencyMs, the milliseconds from the request to its response;',
          '  with --count a last object {"requests","responses","latencyMs":{min,p50,p90,p99,max,mean}}.',
        ]
      : []),
    '',
    'Exit status:',
    ...EXIT_STATUS[kind],
  ].join('\n');
}
