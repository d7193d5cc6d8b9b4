import type { TreeArgument, TreeCommand, TreeOption } from './command-tree.js';

/**
 * roff man(7) pages: generated sections (NAME, SYNOPSIS, DESCRIPTION, COMMANDS, OPTIONS) from the
 * command tree, merged with hand-written ones kept as a small markdown subset:
 *   `## HEADING` starts a section; blank lines separate blocks;
 *   a block indented by 4 spaces is an example (kept verbatim);
 *   `term` lines each followed by `: description` lines form a tagged list;
 *   `- item` lines form a bulleted list; anything else is a paragraph;
 *   inline: `code` and **text** are bold, *text* is italic.
 * Everything is escaped for both groff and mandoc, and lints clean with both.
 */

export interface PageMeta {
  /** file name without the section: 'mqtt-pub' */
  name: string;
  section: 1 | 5;
  /** what NAME says after the dash */
  summary: string;
  version: string;
  /** YYYY-MM-DD */
  date: string;
}

/** Hand-written sections by heading, in file order. */
export type ManSections = Map<string, string>;

/** Where hand-written sections go among the generated ones; others go before EXIT STATUS. */
const ORDER = ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'COMMANDS', 'OPTIONS', '*', 'EXIT STATUS', 'ENVIRONMENT', 'FILES', 'NOTES', 'EXAMPLES', 'SEE ALSO'];

export function parseManSections(markdown: string): ManSections {
  const sections: ManSections = new Map();
  let heading: string | undefined;
  for (const line of markdown.split('\n')) {
    const m = /^## (.+)$/.exec(line);
    if (m) {
      heading = m[1]!.trim();
      sections.set(heading, '');
    } else if (heading !== undefined) {
      sections.set(heading, sections.get(heading) + line + '\n');
    }
  }
  return sections;
}

// ---------------------------------------------------------------- escaping

/** Text for roff: backslashes, option dashes as \-, non-ASCII as \[uXXXX], no line starting with a control character. */
export function roffEscape(text: string, allDashes = false): string {
  return protectLines(escapeChars(text, allDashes));
}

function escapeChars(text: string, allDashes: boolean): string {
  const out = text.replace(/\\/g, '\\e');
  const dashed = allDashes
    ? out.replace(/-/g, '\\-')
    : out.replace(/(^|[\s([{|"'=/,])(-+)(?=[\w[<$])/g, (_m, pre: string, dashes: string) => pre + '\\-'.repeat(dashes.length));
  return dashed.replace(/[^\x00-\x7f]/gu, (c) => `\\[u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`);
}

const protectLines = (text: string) => text.replace(/^([.'])/gm, '\\&$1');

/** Inline markdown (`code` and **text** bold, *text* italic) to roff fonts, the rest escaped. */
function inline(text: string): string {
  const parts = text.split(/(`[^`]+`|\*\*[^*]+\*\*|\*[^*\s][^*]*\*)/).map((part) => {
    if (/^`[^`]+`$/.test(part)) return `\\fB${escapeChars(part.slice(1, -1), true)}\\fR`;
    if (/^\*\*[^*]+\*\*$/.test(part)) return `\\fB${escapeChars(part.slice(2, -2), false)}\\fR`;
    if (/^\*[^*\s][^*]*\*$/.test(part)) return `\\fI${escapeChars(part.slice(1, -1), false)}\\fR`;
    return escapeChars(part, false);
  });
  return protectLines(parts.join(''));
}

// ---------------------------------------------------------------- markdown blocks

/** One section's markdown body as roff (it starts right after .SH: no paragraph macro first). */
export function markdownToRoff(body: string): string {
  const out: string[] = [];
  let atStart = true;
  const paragraph = () => {
    if (!atStart) out.push('.PP');
    atStart = false;
  };
  for (const block of body.split(/\n\s*\n/).map((b) => b.replace(/^\n+|\s+$/g, '')).filter(Boolean)) {
    const lines = block.split('\n');
    if (lines.every((l) => l.startsWith('    ') || l.trim() === '')) {
      paragraph();
      out.push('.RS 4', '.EX', ...lines.map((l) => roffEscape(l.slice(4), true)), '.EE', '.RE');
    } else if (lines.length > 1 && lines[1]!.startsWith(': ')) {
      for (const item of tagged(lines)) out.push('.TP', inline(item.term), inline(item.text));
      atStart = false;
    } else if (lines[0]!.startsWith('- ')) {
      for (const item of block.split(/\n(?=- )/)) out.push('.IP \\(bu 2', inline(item.slice(2).replace(/\n\s*/g, '\n')));
      atStart = false;
    } else {
      paragraph();
      out.push(...lines.map((l) => inline(l.trim())));
    }
  }
  return out.join('\n');
}

/** `term` / `: text` pairs; a line indented under the text continues it. */
function tagged(lines: string[]): Array<{ term: string; text: string }> {
  const items: Array<{ term: string; text: string }> = [];
  for (const line of lines) {
    if (line.startsWith(': ')) items[items.length - 1]!.text += `${items[items.length - 1]!.text ? '\n' : ''}${line.slice(2)}`;
    else if (/^\s/.test(line) && items.length) items[items.length - 1]!.text += `\n${line.trim()}`;
    else items.push({ term: line, text: '' });
  }
  return items;
}

// ---------------------------------------------------------------- generated parts

function valueTerm(name: string, optional: boolean, variadic = false): string {
  const v = `\\fI${roffEscape(name)}\\fR${variadic ? '\\&...' : ''}`;
  return optional ? `[${v}]` : v;
}

function optionItem(o: TreeOption): string {
  const names = o.names.map((n) => `\\fB${roffEscape(n, true)}\\fR`).join(', ');
  const value = o.valueName === undefined ? '' : ` ${valueTerm(o.valueName, o.optionalValue)}`;
  return ['.TP', names + value, roffEscape(o.description)].join('\n');
}

const argumentTerm = (a: TreeArgument) => valueTerm(a.name, !a.required, a.variadic);

/** Options grouped under their --help headings (.SS), or one plain list when there is one group. */
function optionList(options: TreeOption[]): string {
  const groups = new Map<string, TreeOption[]>();
  for (const o of options) groups.set(groupOf(o), [...(groups.get(groupOf(o)) ?? []), o]);
  if (groups.size === 1) return options.map(optionItem).join('\n');
  return [...groups].map(([heading, list]) => [`.SS ${roffQuote(heading)}`, ...list.map(optionItem)].join('\n')).join('\n');
}

const groupOf = (o: TreeOption) => o.group ?? 'Options';
const roffQuote = (s: string) => `"${roffEscape(s).replace(/"/g, '\\(dq')}"`;
const commandName = (cmd: TreeCommand) => cmd.path.join(' ');

function synopsis(cmd: TreeCommand): string {
  // commander's usage may hold several lines, each after the first starting with the command again
  return cmd.usage
    .split('\n')
    .map((line) => line.trim().replace(new RegExp(`^${commandName(cmd)} `), ''))
    .map((line) => `.B ${commandName(cmd)}\n${roffEscape(line)}`)
    .join('\n.br\n');
}

/** --help's one line about a command, as a sentence. */
const sentence = (text: string) => text.charAt(0).toUpperCase() + text.slice(1).replace(/([^.])$/, '$1.');

/** A subcommand as a tagged item: name, arguments, description, and its page or its arguments. */
function commandItem(cmd: TreeCommand, pageOf: (cmd: TreeCommand) => string | undefined): string {
  const term = [`\\fB${roffEscape(cmd.name)}\\fR`, ...cmd.arguments.map(argumentTerm)].join(' ');
  const lines = ['.TP', term, roffEscape(sentence(cmd.description))];
  const page = pageOf(cmd);
  if (page) lines.push(`See\n.BR ${page} (1).`);
  else for (const a of cmd.arguments) if (a.description) lines.push('.br', `${argumentTerm(a)}: ${roffEscape(a.description)}`);
  return lines.join('\n');
}

/**
 * Option groups shared word for word by every subcommand that has them (bench's Run and
 * Connection options): documented once instead of once per subcommand.
 */
function sharedGroups(commands: TreeCommand[]): Set<string> {
  const texts = new Map<string, string[]>();
  for (const cmd of commands) {
    const own = new Map<string, string>();
    for (const o of cmd.options) own.set(groupOf(o), (own.get(groupOf(o)) ?? '') + optionItem(o));
    for (const [g, text] of own) texts.set(g, [...(texts.get(g) ?? []), text]);
  }
  return new Set([...texts].filter(([, list]) => list.length > 1 && list.every((t) => t === list[0])).map(([g]) => g));
}

/**
 * The page of one command. The root lists its commands, each documented on its own page or
 * right there; a command with subcommands (bench) documents them on its page, each with the
 * options only it has, then the options they share.
 */
export function commandPage(
  cmd: TreeCommand,
  meta: PageMeta,
  hand: ManSections,
  pageOf: (cmd: TreeCommand) => string | undefined,
): string {
  const generated = new Map<string, string>([
    ['SYNOPSIS', synopsis(cmd)],
    ['DESCRIPTION', roffEscape(sentence(cmd.description))],
  ]);
  if (cmd.path.length === 1 || cmd.commands.length === 0) {
    if (cmd.commands.length > 0) generated.set('COMMANDS', cmd.commands.map((c) => commandItem(c, pageOf)).join('\n'));
    generated.set('OPTIONS', optionList(cmd.options));
  } else {
    const shared = sharedGroups(cmd.commands);
    const sections = cmd.commands.map((c) => {
      const heading = [roffQuote(commandName(c)), ...c.arguments.map(argumentTerm)].join(' ');
      const own = c.options.filter((o) => !shared.has(groupOf(o)));
      return [`.SS ${heading}`, roffEscape(sentence(c.description)), ...own.map(optionItem)].join('\n');
    });
    generated.set('COMMANDS', sections.join('\n'));
    const all = [...cmd.options, ...cmd.commands.flatMap((c) => c.options)].filter((o) => shared.has(groupOf(o)));
    // once each: the same option of every subcommand
    generated.set('OPTIONS', optionList([...new Map(all.map((o) => [`${groupOf(o)}\n${o.flags}`, o])).values()]));
  }
  return renderPage(meta, generated, hand);
}

/** A page with generated and hand-written sections merged: generated text first within a section. */
export function renderPage(meta: PageMeta, generated: Map<string, string>, hand: ManSections): string {
  const title = meta.name.toUpperCase();
  const lines = [
    `.\\" ${meta.name}.${meta.section}: generated by \`npm run gen\` (src/cli/man-page.ts, scripts/man-sections/): do not edit`,
    `.TH ${roffQuote(title)} ${meta.section} ${meta.date} ${roffQuote(`mqtt ${meta.version}`)} ${roffQuote(meta.section === 1 ? 'User Commands' : 'File Formats')}`,
    '.SH NAME',
    `${roffEscape(meta.name)} \\- ${roffEscape(meta.summary)}`,
  ];
  const headings = [...new Set([...generated.keys(), ...hand.keys()])];
  const rank = (h: string) => (ORDER.includes(h) ? ORDER.indexOf(h) : ORDER.indexOf('*'));
  headings.sort((a, b) => rank(a) - rank(b));
  for (const heading of headings) {
    const parts = [generated.get(heading), hand.has(heading) ? markdownToRoff(hand.get(heading)!) : undefined].filter((p): p is string => !!p);
    if (parts.length === 0) continue;
    lines.push(`.SH ${heading.includes(' ') ? roffQuote(heading) : heading}`, parts.join('\n.PP\n'));
  }
  return lines.join('\n') + '\n';
}
