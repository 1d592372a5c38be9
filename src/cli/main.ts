/**
 * `kestra-secrets`: encode/decode .env files to Kestra's SECRET_ form, check flows against the
 * configured secret store, list the secrets a namespace can see. Shares the core with the extension.
 */
import { runDecode, runEncode } from './encode';
import { runCheck } from './check';
import { runList } from './list';
import { redactingStream, type CliIo } from './io';
import { redact } from '../core/redaction';
import { cliVersion } from './version';

const USAGE = `Usage: kestra-secrets <command> [options]

Commands:
  encode [FILE|-] [-o OUT] [--raw] [--names-only] [--force]
      Encode a .env file (Docker Compose syntax) to Kestra's SECRET_<KEY>=<base64> form.
      Default FILE: .env; default OUT: FILE's name + _encoded beside it (.env_encoded,
      prod.env_encoded; stdout for -). --names-only: the names alone, to <OUT>.example.
  decode [FILE|-] [-o OUT] [--force]
      Turn an encoded file back into a .env that encodes to the same result (default: stdout).
  check [PATH...] [--config FILE] [--server URL] [--tenant T] [--encoded-env FILE] [--strict]
        [--format text|json|sarif|github|gitlab]
      Check every flow under PATH (default .) for missing secrets, missing sub-keys,
      non-JSON sub-key uses and invalid encoded values. Exit 1 when an error is found;
      references a source that can't be read may hold are unverified (--strict: errors).
  list [--namespace NS] [--config FILE] [--server URL] [--tenant T] [--encoded-env FILE] [--format text|json]
      List the secrets a namespace can see (own and inherited), never their values.

Options common to check and list:
  --config FILE        YAML file with a Kestra \`kestra.secret\` block (an application.yml works);
                       default: the nearest kestra-secrets.yml from PATH up to the repository root,
                       else Kestra's SECRET_ env secrets from the nearest Compose files (same search),
                       encoded env files and the process environment.
  --server URL         Ask a running Kestra server (credentials from KESTRA_API_TOKEN or
                       KESTRA_USERNAME + KESTRA_PASSWORD).
  --encoded-env FILE   An encoded env file to read SECRET_ variables from (repeatable); without it and
                       without a Compose file, every .env_encoded under PATH is read. (Not --env-file:
                       Node.js reads that option itself.)
  --trust-config       Let a kestra-secrets.yml found in the workspace send credentials from the
                       environment to the non-default addresses it names (see README, Security).
  -h, --help           Show help.

Exit codes: 0 ok, 1 problems found (or a file could not be processed), 2 bad usage or configuration.
`;

export async function main(argv: string[], given: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  // Messages go through redaction; stdout too where it carries a report, not where it carries the
  // output the user asked for (`encode -`, `decode -`).
  const io: CliIo = { ...given, stderr: redactingStream(given.stderr) };
  const reporting: CliIo = { ...io, stdout: redactingStream(given.stdout) };
  switch (command) {
    case 'encode':
      return runEncode(rest, io);
    case 'decode':
      return runDecode(rest, io);
    case 'check':
      return runCheck(rest, reporting);
    case 'list':
      return runList(rest, reporting);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      io.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    case '--version':
    case '-v':
      io.stdout.write(`${cliVersion()}\n`);
      return 0;
    default:
      io.stderr.write(`kestra-secrets: unknown command '${command}'\n\n${USAGE}`);
      return 2;
  }
}

if (require.main === module || process.env.KESTRA_SECRETS_CLI === '1' || isBinEntry()) {
  main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() })
    .then(exitWhenFlushed)
    .catch((error: unknown) => {
      process.stderr.write(redact(`kestra-secrets: ${error instanceof Error ? error.message : String(error)}\n`));
      process.exitCode = 2;
    });
}

/**
 * Exits once stdout and stderr are flushed: a store that never answered may still hold a socket open
 * after its timeout was reported, and the command's result must not wait for it.
 */
function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

function isBinEntry(): boolean {
  const entry = process.argv[1] ?? '';
  return /kestra-secrets(\.js)?$/.test(entry) || /[\\/]dist[\\/]cli\.js$/.test(entry);
}
