import { Command } from 'commander';
import { action } from '../cli/program.js';

export function subCommand(): Command {
  return new Command('sub')
    .description('sub (not yet implemented)')
    .helpOption('--help', 'show help')
    .action(action(async () => {
      process.stderr.write('Error: not implemented\n');
      return 1;
    }));
}
