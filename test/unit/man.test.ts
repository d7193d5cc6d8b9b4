import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfParser } from '../../src/broker/config/conf-parser.js';
import { BRIDGE_KEYWORDS } from '../../src/broker/config/bridge-options.js';
import { generatedFiles, MAN_SECTIONS_DIR } from '../../src/cli/generated-files.js';
import { markdownToRoff, parseManSections, roffEscape } from '../../src/cli/man-page.js';
import { buildProgram } from '../../src/cli/program.js';
import { ROOT } from '../helpers/cli.js';
import { describeIfTool } from '../helpers/peers.js';

const files = await generatedFiles(ROOT);
const manFiles = [...files.keys()].filter((f) => f.startsWith('man/'));
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

describe('man pages', () => {
  it.each(manFiles)('%s holds what the generator prints now (else: npm run gen)', (file) => {
    expect(read(file)).toBe(files.get(file));
  });

  it('man/ has no page the generator does not write, and package.json installs them all', () => {
    expect(readdirSync(path.join(ROOT, 'man')).map((f) => `man/${f}`).sort()).toEqual([...manFiles].sort());
    const pkg = JSON.parse(read('package.json'));
    expect(pkg.man.map((f: string) => f.replace(/^\.\//, '')).sort()).toEqual([...manFiles].sort());
  });

  it('a page per command, and one for the configuration file', () => {
    expect(manFiles.sort()).toEqual(
      ['mqtt.1', 'mqtt-pub.1', 'mqtt-sub.1', 'mqtt-rr.1', 'mqtt-test.1', 'mqtt-broker.1', 'mqtt-passwd.1', 'mqtt-bench.1', 'mqtt-sniff.1', 'mqtt-ctrl.1', 'mqtt-broker.conf.5'].map((f) => `man/${f}`).sort(),
    );
  });

  it('mqtt-broker.conf(5) documents exactly the options the parser reads', () => {
    const sections = parseManSections(read(`${MAN_SECTIONS_DIR}/mqtt-broker.conf.5.md`));
    const documented = new Set<string>();
    for (const [heading, body] of sections) {
      if (heading.endsWith('OPTIONS') && heading !== 'OTHER OPTIONS') continue; // refused and ignored ones
      // the section's own options are checked below; `connection` is the parser's
      if (heading === 'BRIDGES') {
        if (body.includes('\n`connection` *name*\n')) documented.add('connection');
        continue;
      }
      // terms: "`name` *value*", several per line separated by commas
      for (const term of body.split('\n').filter((l) => l.startsWith('`'))) {
        for (const m of term.matchAll(/(?:^|, )`([a-z][a-z0-9_.]*)`/g)) documented.add(m[1]!);
      }
    }
    const handlers = Object.keys((new ConfParser(() => []) as unknown as { handlers: object }).handlers);
    expect([...documented].sort()).toEqual(handlers.sort());
  });

  it('mqtt-broker.conf(5) BRIDGES names every option of a connection section', () => {
    const body = parseManSections(read(`${MAN_SECTIONS_DIR}/mqtt-broker.conf.5.md`)).get('BRIDGES') ?? '';
    for (const keyword of BRIDGE_KEYWORDS) expect(body, keyword).toContain(`\`${keyword}\``);
  });

  it("every exit code in a command's --help is in its page's EXIT STATUS", async () => {
    const program = await buildProgram();
    for (const cmd of program.commands) {
      const page = files.get(`man/mqtt-${cmd.name()}.1`);
      if (!page) continue;
      let help = '';
      cmd.configureOutput({ writeOut: (s) => void (help += s) });
      cmd.outputHelp();
      const block = /\n(?:Exit status:|Exit:)([\s\S]*?)(?:\n\n|$)/.exec(help)?.[1] ?? '';
      const codes = [...block.matchAll(/(?:^|\n|, )\s*(\d+)(?=[\s,-])/g)].map((m) => m[1]!);
      const exitStatus = /\.SH "EXIT STATUS"\n([\s\S]*?)(?:\n\.SH|$)/.exec(page)?.[1] ?? '';
      for (const code of codes) expect(exitStatus, `mqtt ${cmd.name()}: exit ${code}`).toContain(`\\fB${code}\\fR`);
    }
  });

  it('escapes for roff: backslashes, option dashes, leading dots, non-ASCII', () => {
    expect(roffEscape('a\\b --qos -q x-y')).toBe('a\\eb \\-\\-qos \\-q x-y');
    expect(roffEscape('.hidden')).toBe('\\&.hidden');
    expect(roffEscape('a … b')).toBe('a \\[u2026] b');
    expect(markdownToRoff('Text with `--opt` and *file*.\n\n    mqtt pub -t t\n\n`0`\n: ok')).toBe(
      ['Text with \\fB\\-\\-opt\\fR and \\fIfile\\fR.', '.PP', '.RS 4', '.EX', 'mqtt pub \\-t t', '.EE', '.RE', '.TP', '\\fB0\\fR', 'ok'].join('\n'),
    );
  });
});

describeIfTool(['mandoc', 'groff'], 'man pages lint clean', () => {
  const pages = manFiles.map((f) => path.join(ROOT, f));
  const output = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      const e = err as { stdout: string; stderr: string };
      return `${e.stdout}${e.stderr}`;
    }
  };

  it('mandoc -T lint -W warning prints nothing', () => {
    expect(output('mandoc', ['-T', 'lint', '-W', 'warning', ...pages])).toBe('');
  });

  it('groff -man -ww -z prints nothing', () => {
    expect(output('sh', ['-c', 'groff -man -ww -z "$@" 2>&1', 'groff', ...pages])).toBe('');
  });
});
