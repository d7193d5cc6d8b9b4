import { Command } from 'commander';
import { action } from '../cli/program.js';

export function pubCommand(): Command {
  return new Command('pub')
    .description('pub (not yet implemented)')
    .helpOption('--help', 'show help')
    .action(action(async () => {
      process.stderr.write('Error: not implemented\n');
      return 1;
    }));
}
