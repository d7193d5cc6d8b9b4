import { compileFormat } from '../../output/format-template.js';
import { UsageError } from '../errors.js';
import type { OptionGroup } from './option-command.js';
import type { OptionState } from './state.js';

export const outputGroup: OptionGroup = {
  heading: 'Output:',
  specs: [
    {
      flags: '-v, --verbose',
      description: 'print "topic payload" ("topic (null)" for an empty payload)',
      apply: (s) => void (s.sub.verbose = true),
    },
    {
      flags: '-N',
      description: "don't add a newline after each message (also with -F)",
      apply: (s) => void (s.sub.noEol = true),
    },
    {
      flags: '-F <format>',
      description:
        'output format: %t topic, %p payload, %x/%X hex payload, %l length, %q QoS, %r retain, %m message id, %j/%J JSON, %I/%U time, %A %C %D %E %F %P %R %S v5 properties, @… strftime, \\n \\t \\e … escapes; %[-][0][width][.precision]',
      missing: '-F argument given but no format specified.',
      apply: (s, v) => {
        // checked now, like mosquitto, so a bad format fails before connecting
        compileFormat(v!);
        s.sub.format = v!;
      },
    },
    {
      flags: '--pretty',
      description: 'multi-line JSON for %j and %J',
      apply: (s) => void (s.sub.pretty = true),
    },
    {
      flags: '--json',
      description:
        '[extra] one JSON object per line, always valid: topic, qos, retain, v5 properties, payload (base64 with "encoding" when not UTF-8)',
      apply: (s) => void (s.sub.json = true),
    },
  ],
};

export function checkOutput(state: OptionState): void {
  if (state.sub.json && state.sub.format !== undefined) throw new UsageError('--json and -F cannot be used together.');
}
