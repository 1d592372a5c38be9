/** `kestra-secrets encode` and `kestra-secrets decode`: the .env ⇄ SECRET_ file converters. */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DotenvSyntaxError, parseDotenv } from '../core/dotenv';
import { decodeEncodedEnv, encodeDotenv, type EncodeResult } from '../core/secretEnv';
import { encodedFileFor, namesOnlyFileFor } from '../core/setup';
import { InvalidUtf8Error } from '../core/textDecoding';
import { CliError, readTextInput, reportCliErrors, STDIO, writeTextOutput, type CliIo } from './io';

export type { CliIo } from './io';

const ENCODE_HELP = `Usage: kestra-secrets encode [FILE|-] [-o OUT] [--raw] [--names-only] [--force]

Encode a .env file to the form Kestra's open-source edition reads secrets from:
one SECRET_<KEY>=<base64> line per variable (standard base64, never wrapped).
FILE is read with Docker Compose's env_file rules: comments, blank lines, 'export',
quotes, escapes in double quotes, multi-line values, \${VAR} interpolation.
The key keeps its spelling; Kestra upper-cases it, so secret('db_pass') finds DB_PASS.

Arguments:
  FILE              the .env file to read (default: .env); '-' reads stdin
  -o, --output OUT  where to write (default: FILE's name + _encoded beside it, so .env gives
                    .env_encoded and prod.env gives prod.env_encoded; stdout for '-');
                    '-' writes to stdout
  --raw             write SECRET_<KEY>=<value> unencoded, for servers configured with
                    kestra.secret.encoding: RAW (multi-line values are refused)
  --names-only      write SECRET_<KEY>= lines without values to <encoded file>.example
                    (e.g. .env_encoded.example): safe to commit, and 'check' uses its names
                    when the encoded file is absent (CI); refreshes an existing names-only file
  -f, --force       replace OUT if it exists (it is replaced atomically)
  -h, --help        show this help

Warnings (duplicate keys, keys colliding once upper-cased, unset \${VAR}) go to stderr.
Exit codes: 0 written; 1 malformed FILE (FILE:LINE:COL: error: …, nothing written) or
OUT exists; 2 bad usage or FILE not found.
`;

const DECODE_HELP = `Usage: kestra-secrets decode [FILE|-] [-o OUT] [--force]

Turn a file of SECRET_<KEY>=<base64> lines back into a .env file that encodes to the
same secrets (values are quoted and escaped where Docker Compose needs it).
Values are decoded exactly as Kestra does: line breaks removed, then strict base64.

Arguments:
  FILE              the encoded file to read (default: .env_encoded); '-' reads stdin
  -o, --output OUT  where to write (default: stdout); '-' writes to stdout
  -f, --force       replace OUT if it exists (it is replaced atomically)
  -h, --help        show this help

Lines not starting with SECRET_ are skipped with a warning on stderr.
Exit codes: 0 written; 1 malformed FILE or invalid base64 (FILE:LINE:COL: error: …,
nothing written) or OUT exists; 2 bad usage or FILE not found.
`;

interface CodecArgs {
  input?: string;
  output?: string;
  raw: boolean;
  namesOnly: boolean;
  force: boolean;
  help: boolean;
}

function parseCodecArgs(argv: string[], command: 'encode' | 'decode'): CodecArgs {
  const options: ParseArgsConfig['options'] = {
    output: { type: 'string', short: 'o' },
    force: { type: 'boolean', short: 'f' },
    help: { type: 'boolean', short: 'h' },
  };
  if (command === 'encode') {
    options.raw = { type: 'boolean' };
    options['names-only'] = { type: 'boolean' };
  }
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('. ')[0] : String(error);
    throw new CliError(`${command}: ${detail}. Run 'kestra-secrets ${command} --help' for usage`, 2);
  }
  if (parsed.positionals.length > 1) {
    throw new CliError(
      `${command}: expected one input FILE, got ${parsed.positionals.length}. Run 'kestra-secrets ${command} --help' for usage`,
      2,
    );
  }
  const { values } = parsed;
  return {
    input: parsed.positionals[0],
    output: typeof values.output === 'string' ? values.output : undefined,
    raw: values.raw === true,
    namesOnly: values['names-only'] === true,
    force: values.force === true,
    help: values.help === true,
  };
}

function refuseOverwritingInput(input: string, output: string, io: CliIo): void {
  if (input !== STDIO && output !== STDIO && path.resolve(io.cwd, input) === path.resolve(io.cwd, output)) {
    throw new CliError(`the output ${output} is the input file; choose another with -o`, 2);
  }
}

type Convert = (text: string, file: string) => EncodeResult;

/** Reads, converts and writes; a malformed input is reported like a compiler error and nothing is written. */
async function convert(
  inputSpec: string,
  outputSpec: string,
  args: CodecArgs,
  io: CliIo,
  run: Convert,
  verb: string,
  mode?: number,
): Promise<number> {
  refuseOverwritingInput(inputSpec, outputSpec, io);
  let input: Awaited<ReturnType<typeof readTextInput>>;
  let result: EncodeResult;
  try {
    input = await readTextInput(inputSpec, io);
    result = run(input.text, input.displayName);
  } catch (error) {
    if (error instanceof InvalidUtf8Error) {
      io.stderr.write(`${error.file}:${error.line}:${error.column}: error: ${error.reason}\n`);
      return 1;
    }
    if (!(error instanceof DotenvSyntaxError)) throw error;
    io.stderr.write(`${error.file}:${error.line + 1}:${error.column + 1}: error: ${error.reason}\n`);
    return 1;
  }
  for (const warning of result.warnings) io.stderr.write(`${warning}\n`);
  await writeTextOutput(outputSpec, result.text, io, { force: args.force, mode });
  const target = outputSpec === STDIO ? 'stdout' : outputSpec;
  const plural = result.count === 1 ? '' : 's';
  io.stderr.write(`kestra-secrets: ${verb} ${result.count} variable${plural} from ${input.displayName} to ${target}\n`);
  return 0;
}

export async function runEncode(argv: string[], io: CliIo): Promise<number> {
  return reportCliErrors(io, async () => {
    const args = parseCodecArgs(argv, 'encode');
    if (args.help) {
      io.stdout.write(ENCODE_HELP);
      return 0;
    }
    const input = args.input ?? '.env';
    if (args.namesOnly) return encodeNamesOnly(input, args, io);
    const output = args.output ?? (input === STDIO ? STDIO : encodedFileFor(input));
    return convert(input, output, args, io, (text, file) => encodeDotenv(text, { file, raw: args.raw }), 'encoded');
  });
}

/**
 * `encode --names-only`: the keys of FILE as `SECRET_<KEY>=` lines, no values, in the names-only file
 * that stands in for the encoded file where it is absent. An existing names-only file is refreshed.
 */
async function encodeNamesOnly(input: string, args: CodecArgs, io: CliIo): Promise<number> {
  if (args.raw) throw new CliError('encode: --names-only writes no values, so --raw has no meaning with it', 2);
  const output = args.output ?? (input === STDIO ? STDIO : namesOnlyFileFor(encodedFileFor(input)));
  const refresh = output !== STDIO && (await holdsNamesOnly(path.resolve(io.cwd, output)));
  const header = `# Names only, no values (kestra-secrets encode --names-only ${input === STDIO ? '-' : path.basename(input)}): commit this file, not the secrets.\n`;
  const namesOnly = (text: string, file: string): EncodeResult => {
    const encoded = encodeDotenv(text, { file });
    return { ...encoded, text: header + encoded.text.replace(/^(SECRET_[^=\n]*)=.*$/gm, '$1=') };
  };
  return convert(input, output, { ...args, force: args.force || refresh }, io, namesOnly, 'wrote the names of', 0o644);
}

/** True when the file exists and every variable in it is empty: replacing it can't lose a secret. */
async function holdsNamesOnly(file: string): Promise<boolean> {
  try {
    return parseDotenv(await fsp.readFile(file, 'utf8'), file).entries.every((entry) => entry.value === '');
  } catch {
    return false;
  }
}

export async function runDecode(argv: string[], io: CliIo): Promise<number> {
  return reportCliErrors(io, async () => {
    const args = parseCodecArgs(argv, 'decode');
    if (args.help) {
      io.stdout.write(DECODE_HELP);
      return 0;
    }
    const input = args.input ?? '.env_encoded';
    return convert(input, args.output ?? STDIO, args, io, (text, file) => decodeEncodedEnv(text, { file }), 'decoded');
  });
}
