import { Command } from 'commander';
import { action } from '../cli/action.js';
import { CliError, UsageError } from '../cli/errors.js';
import { passwordProblem, usernameProblem } from '../auth/credentials.js';
import {
  DEFAULT_ITERATIONS, DEFAULT_SALT_BYTES, ITERATIONS_2_1, MAX_ITERATIONS, SALT_BYTES_2_1,
  hashPassword, verifyPassword, type HashOptions, type HashType,
} from '../auth/hash.js';
import { findUser, serialisePasswordFile, type PasswordFile } from '../auth/password-file.js';
import { emptyPasswordFile, hashPlainPasswords, removeUser, setUser } from '../auth/password-file-edit.js';
import { errnoText, loadPasswordFile, savePasswordFile } from '../auth/password-file-io.js';
import { passwordReader, PromptInterrupted } from '../auth/password-prompt.js';

interface PasswdOptions {
  H?: string;
  I?: string;
  c?: boolean;
  D?: boolean;
  b?: boolean;
  U?: boolean;
  check?: boolean;
  stdout?: boolean;
  compat?: string;
  saltBytes?: string;
}

type Mode = 'create' | 'update' | 'delete' | 'upgrade' | 'check';

interface PasswdRequest {
  mode: Mode;
  file: string;
  username: string;
  /** from -b; prompted for otherwise */
  password?: Buffer;
  hash: HashOptions;
  toStdout: boolean;
}

/** Exit codes beyond mosquitto_passwd's 0/1/2, for `--check`. */
const EXIT_WRONG_PASSWORD = 2;
const EXIT_NO_SUCH_USER = 3;
const EXIT_INTERRUPTED = 130;

export function passwdCommand(): Command {
  return new Command('passwd')
    .description('create and maintain Mosquitto password files (mosquitto_passwd 2.0 and 2.1 compatible)')
    .usage('[-H argon2id|sha512-pbkdf2|sha512|scram-sha-256|scram-sha-512] [-I iterations] [-c | -D] passwordfile username\n'
      + '       mqtt passwd [-H …] [-I …] [-c] -b passwordfile username password\n'
      + '       mqtt passwd -U passwordfile\n'
      + '       mqtt passwd --check [-b] passwordfile username [password]')
    .helpOption('--help', 'show help')
    .option('-b', 'batch mode: the password is the last argument')
    .option('-c', "create the file with just this user, replacing it if it exists; '-c -' prints the line instead")
    .option('-D', 'delete the user')
    .option('-H <hash>', 'sha512-pbkdf2 ($7$, the default), argon2id ($argon2id$, the default with --compat 2.1; Mosquitto 2.1 brokers only) or sha512 ($6$, for Mosquitto 1.6 and earlier); [extra] scram-sha-256 or scram-sha-512 ($scram-sha-256$…: SCRAM credentials for MQTT 5 --auth-method against mqtt broker only, 4096 rounds unless -I)')
    .option('-I <iterations>', `PBKDF2 iterations (default ${DEFAULT_ITERATIONS}, ${ITERATIONS_2_1} with --compat 2.1)`)
    .option('-U', 'hash the plain-text passwords of a file; lines already hashed are left alone')
    .option('--check', `verify the user's password: exit 0 if it matches, ${EXIT_WRONG_PASSWORD} if not, ${EXIT_NO_SUCH_USER} if no such user`)
    .option('--stdout', 'print the resulting file instead of writing it')
    .option('--compat <version>', `2.0 (default: $7$ with a ${DEFAULT_SALT_BYTES}-byte salt, any Mosquitto 2 broker) or 2.1 (argon2id by default, and $7$ with a ${SALT_BYTES_2_1}-byte salt and ${ITERATIONS_2_1} iterations; 2.1 brokers only)`)
    .option('--salt-bytes <n>', `salt size for $7$: ${DEFAULT_SALT_BYTES} or ${SALT_BYTES_2_1}`)
    .argument('[args...]')
    // mosquitto_passwd takes a -b password that starts with '-' as it is; unknown options are caught below
    .allowUnknownOption()
    .addHelpText('after', HELP_AFTER)
    .action(action<PasswdOptions>(async (opts, cmd) => {
      if (cmd.args.length === 0 && Object.keys(opts).length === 0) {
        // like mosquitto_passwd with no arguments: the usage, and a failure
        cmd.outputHelp({ error: true });
        return 1;
      }
      return runPasswd(parseRequest(opts, cmd.args));
    }));
}

const HELP_AFTER = `
File format, one user per line (Mosquitto 2.0 reads $7$ and $6$; 2.1 all three; 1.6 only $6$):
  user:$7$<iterations>$<base64 12-byte salt>$<base64 64-byte PBKDF2-HMAC-SHA512>
  user:$6$<base64 12-byte salt>$<base64 SHA-512 of password then salt>
  user:$argon2id$v=19$m=47104,t=1,p=1$<unpadded base64 64-byte salt>$<unpadded base64 64-byte hash>
New files get mode 0600; updates are atomic and keep the file's mode, other lines stay byte for byte.
Only a regular file is read or written (a symlink's target is edited); devices, FIFOs, sockets are refused.
Exit: 0 ok, 1 error, 2 passwords do not match (or --check: wrong password), 3 --check: no such user.`;

function parseRequest(opts: PasswdOptions, args: string[]): PasswdRequest {
  const conflicts: Array<[boolean | undefined, boolean | undefined, string]> = [
    [opts.c, opts.D, '-c and -D'], [opts.c, opts.U, '-c and -U'], [opts.D, opts.U, '-D and -U'], [opts.b, opts.D, '-b and -D'],
    [opts.check, opts.c, '--check and -c'], [opts.check, opts.D, '--check and -D'], [opts.check, opts.U, '--check and -U'],
  ];
  for (const [a, b, what] of conflicts) if (a && b) throw new CliError(`Error: ${what} cannot be used together.`);
  const mode: Mode = opts.c ? 'create' : opts.D ? 'delete' : opts.U ? 'upgrade' : opts.check ? 'check' : 'update';
  const takesPassword = mode !== 'delete' && mode !== 'upgrade';
  const batch = Boolean(opts.b) && takesPassword;
  args.forEach((arg, i) => {
    // only the -b password may look like an option, as in mosquitto_passwd
    if (arg.length > 1 && arg.startsWith('-') && !(batch && i === 2)) throw new UsageError(`Unknown option '${arg}'`);
  });
  checkArgCount(mode, batch, args.length);
  const [file, username = '', password] = args as [string, string?, string?];
  const toStdout = Boolean(opts.stdout) || (mode === 'create' && file === '-');
  if (file === '-' && mode !== 'create') {
    throw new CliError("Error: '-' (standard output) only goes with -c; use --stdout to print an updated file.");
  }
  if (mode !== 'upgrade') rejectIf(usernameProblem(username));
  const request: PasswdRequest = { mode, file, username, hash: hashOptions(opts), toStdout };
  if (batch) {
    request.password = Buffer.from(password!, 'utf8');
    rejectIf(passwordProblem(request.password));
  }
  return request;
}

function checkArgCount(mode: Mode, batch: boolean, count: number): void {
  const wanted = mode === 'upgrade' ? 1 : batch ? 3 : 2;
  if (count === wanted) return;
  if (count > wanted && !batch && mode !== 'upgrade' && mode !== 'delete') {
    // mosquitto_passwd -c silently ignores a password given without -b; say so instead
    throw new CliError('Error: Too many arguments; to give the password on the command line use -b.');
  }
  const messages: Record<Mode, string> = {
    create: batch ? '-c argument given but password file, username, or password missing.' : '-c argument given but password file or username missing.',
    delete: '-D argument given but password file or username missing.',
    upgrade: '-U argument given but password file missing.',
    check: batch ? '--check -b needs password file, username and password.' : '--check needs password file and username.',
    update: batch ? '-b needs password file, username and password.' : 'Password file and username needed.',
  };
  // mosquitto_passwd's own one-line messages, without the usage hint
  throw new CliError(`Error: ${count > wanted ? 'Too many arguments.' : messages[mode]}`);
}

function hashOptions(opts: PasswdOptions): HashOptions {
  if (opts.compat !== undefined && opts.compat !== '2.0' && opts.compat !== '2.1') {
    throw new CliError(`Error: Unknown --compat version '${opts.compat}' (2.0 or 2.1).`);
  }
  const v21 = opts.compat === '2.1';
  // mosquitto_passwd 2.1 hashes with argon2id unless told otherwise
  const type: HashType = opts.H === undefined ? (v21 ? 'argon2id' : 'sha512-pbkdf2') : HASH_NAMES.includes(opts.H as HashType) ? (opts.H as HashType) : unknownHash(opts.H);
  if (type === 'argon2id') {
    // 2.1 fixes argon2id's cost (t=1, m=47104 KiB, p=1) and salt; its -I is for sha512-pbkdf2 only
    if (opts.I !== undefined) throw new CliError('Error: -I applies to sha512-pbkdf2 only; argon2id uses Mosquitto 2.1\'s fixed cost.');
    if (opts.saltBytes !== undefined) throw new CliError('Error: --salt-bytes applies to sha512-pbkdf2 only; argon2id always takes a 64-byte salt.');
    return { type };
  }
  if (type === 'scram-sha-256' || type === 'scram-sha-512') {
    // [extra] SCRAM credentials for MQTT 5 enhanced authentication: RFC 7677's 4096 rounds unless -I
    if (opts.saltBytes !== undefined) throw new CliError('Error: --salt-bytes does not apply to SCRAM (16-byte salt).');
    const iterations = opts.I === undefined ? undefined : /^\s*[0-9]+$/.test(opts.I) ? Number(opts.I) : 0;
    if (iterations !== undefined && (iterations < 1 || iterations > MAX_ITERATIONS)) throw new CliError(`Error: Number of iterations must be from 1 to ${MAX_ITERATIONS}.`);
    return { type, iterations };
  }
  let iterations = v21 ? ITERATIONS_2_1 : DEFAULT_ITERATIONS;
  if (opts.I !== undefined) {
    // mosquitto_passwd uses atoi(), so "abc" means 0 and gets the same message
    iterations = /^\s*[0-9]+$/.test(opts.I) ? Number(opts.I) : 0;
    if (iterations < 1) throw new CliError('Error: Number of iterations must be > 0.');
    if (iterations > MAX_ITERATIONS) throw new CliError(`Error: Number of iterations must be at most ${MAX_ITERATIONS}.`);
  }
  let saltBytes = v21 && type === 'sha512-pbkdf2' ? SALT_BYTES_2_1 : DEFAULT_SALT_BYTES;
  if (opts.saltBytes !== undefined) {
    saltBytes = Number(opts.saltBytes);
    if (saltBytes !== DEFAULT_SALT_BYTES && saltBytes !== SALT_BYTES_2_1) {
      throw new CliError(`Error: --salt-bytes must be ${DEFAULT_SALT_BYTES} or ${SALT_BYTES_2_1}.`);
    }
    if (type === 'sha512' && saltBytes !== DEFAULT_SALT_BYTES) {
      throw new CliError(`Error: $6$ (sha512) hashes take a ${DEFAULT_SALT_BYTES}-byte salt only.`);
    }
  }
  return { type, iterations, saltBytes };
}

const HASH_NAMES: readonly HashType[] = ['sha512-pbkdf2', 'sha512', 'argon2id', 'scram-sha-256', 'scram-sha-512'];

function unknownHash(name: string): never {
  throw new CliError(`Error: Unknown hash type '${name}'`);
}

function rejectIf(problem: string | undefined): void {
  if (problem) throw new CliError(`Error: ${problem}`);
}

async function runPasswd(req: PasswdRequest): Promise<number> {
  try {
    switch (req.mode) {
      case 'create':
        return await emit(req, setUser(emptyPasswordFile(), req.username, await newHash(req)));
      case 'update': {
        const file = await load(req.file);
        return await emit(req, setUser(file, req.username, await newHash(req)));
      }
      case 'delete': {
        const { file, removed } = removeUser(await load(req.file), req.username);
        if (removed === 0) throw new CliError(`Warning: User ${req.username} not found in password file.`);
        return await emit(req, file);
      }
      case 'upgrade': {
        const { file, hashed } = await hashPlainPasswords(await load(req.file), (pw) => hashPassword(pw, req.hash));
        // nothing to hash: leave the file (and its mtime) alone
        return hashed === 0 && !req.toStdout ? 0 : await emit(req, file);
      }
      case 'check':
        return await check(req);
    }
  } catch (err) {
    if (err instanceof PromptInterrupted) return EXIT_INTERRUPTED;
    throw err;
  }
}

async function newHash(req: PasswdRequest) {
  return hashPassword(req.password ?? (await askPassword(true)), req.hash);
}

async function check(req: PasswdRequest): Promise<number> {
  const file = await load(req.file, false);
  const entry = findUser(file, req.username);
  if (!entry) {
    process.stderr.write(`Warning: User ${req.username} not found in password file.\n`);
    return EXIT_NO_SUCH_USER;
  }
  if (entry.decoded.kind !== 'hashed') {
    const what = entry.decoded.kind === 'plain' ? 'a plain-text password, which Mosquitto 2 ignores (hash it with -U)'
      : entry.decoded.kind === 'unsupported' ? `a ${entry.decoded.scheme} hash, which neither mqtt nor Mosquitto can verify`
        : `an invalid hash (${entry.decoded.reason})`;
    throw new CliError(`Error: User ${req.username} has ${what}.`);
  }
  const password = req.password ?? (await askPassword(false));
  if (await verifyPassword(password, entry.decoded.hash)) return 0;
  process.stderr.write(`Error: Wrong password for user ${req.username}.\n`);
  return EXIT_WRONG_PASSWORD;
}

/** Prompts like mosquitto_passwd: empty or end of input is "Empty password." (1), a mismatch exits 2. */
async function askPassword(confirm: boolean): Promise<Buffer> {
  const reader = passwordReader(process.stdin, process.stderr);
  try {
    const first = await reader.read('Password: ');
    if (!first?.length) throw new CliError('Error: Empty password.');
    if (confirm) {
      const second = await reader.read('Reenter password: ');
      if (!second?.length) throw new CliError('Error: Empty password.');
      if (!first.equals(second)) throw new CliError('Error: Passwords do not match.', 2);
    }
    rejectIf(passwordProblem(first));
    return first;
  } finally {
    reader.close();
  }
}

/** Reads the file; a file we rewrite must be sound, as mosquitto_passwd insists. */
async function load(path: string, strict = true): Promise<PasswordFile> {
  let file: PasswordFile;
  try {
    file = await loadPasswordFile(path);
  } catch (err) {
    throw new CliError(`Error: Unable to open password file ${path}. ${errnoText(err)}.`);
  }
  const corrupt = file.problems.find((p) => p.kind === 'corrupt');
  if (strict && corrupt) throw new CliError(`Error: Corrupt password file at line ${corrupt.line}: ${corrupt.reason}.`);
  return file;
}

async function emit(req: PasswdRequest, file: PasswordFile): Promise<number> {
  warnUnsupported(req, file);
  if (req.toStdout) {
    process.stdout.write(serialisePasswordFile(file));
    return 0;
  }
  try {
    await savePasswordFile(req.file, file);
  } catch (err) {
    throw new CliError(`Error: Unable to write password file ${req.file}. ${errnoText(err)}.`);
  }
  return 0;
}

/** Lines we keep but cannot vouch for: said once, by line number, never dropped. */
function warnUnsupported(req: PasswdRequest, file: PasswordFile): void {
  for (const p of file.problems) {
    if (p.kind !== 'unsupported' || (req.mode !== 'upgrade' && p.username === req.username)) continue;
    process.stderr.write(`Warning: line ${p.line}: user ${p.username} has an unsupported ${p.reason}; kept as it is.\n`);
  }
}
