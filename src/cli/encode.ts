/** `kestra-secrets encode` and `kestra-secrets decode`: the .env ⇄ SECRET_ file converters. */
import * as path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { decodeEncodedEnv, DotenvSyntaxError, encodeDotenv, type EncodeResult } from '../core/dotenv';
import { CliError, readTextInput, reportCliErrors, STDIO, writeTextOutput, type CliIo } from './io';

export type { CliIo } from './io';

const ENCODE_HELP = `Usage: kestra-secrets encode [FILE|-] [-o OUT] [--raw] [--force]

Encode a .env file to the form Kestra's open-source edition reads secrets from:
one SECRET_<KEY>=<base64> line per variable (standard base64, never wrapped).
FILE is read with Docker Compose's env_file rules: comments, blank lines, 'export',
quotes, escapes in double quotes, multi-line values, \${VAR} interpolation.
The key keeps its spelling; Kestra upper-cases it, so secret('db_pass') finds DB_PASS.

Arguments:
  FILE              the .env file to read (default: .env); '-' reads stdin
  -o, --output OUT  where to write (default: .env_encoded beside FILE, stdout for '-');
                    '-' writes to stdout
  --raw             write SECRET_<KEY>=<value> unencoded, for servers configured with
                    kestra.secret.encoding: RAW (multi-line values are refused)
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
  force: boolean;
  help: boolean;
}

function parseCodecArgs(argv: string[], command: 'encode' | 'decode'): CodecArgs {
  const options: ParseArgsConfig['options'] = {
    output: { type: 'string', short: 'o' },
    force: { type: 'boolean', short: 'f' },
    help: { type: 'boolean', short: 'h' },
  };
  if (command === 'encode') options.raw = { type: 'boolean' };
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('. ')[0] : String(error);
    throw new CliError(`${command}: ${detail}. Run 'kestra-secrets ${command} --help' for usage`, 2);
  }
  if (parsed.positionals.length > 1) {
    throw new CliError(`${command}: expected one input FILE, got ${parsed.positionals.length}. Run 'kestra-secrets ${command} --help' for usage`, 2);
  }
  const { values } = parsed;
  return {
    input: parsed.positionals[0],
    output: typeof values.output === 'string' ? values.output : undefined,
    raw: values.raw === true,
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
async function convert(inputSpec: string, outputSpec: string, args: CodecArgs, io: CliIo, run: Convert, verb: string): Promise<number> {
  refuseOverwritingInput(inputSpec, outputSpec, io);
  const input = await readTextInput(inputSpec, io);
  let result: EncodeResult;
  try {
    result = run(input.text, input.displayName);
  } catch (error) {
    if (!(error instanceof DotenvSyntaxError)) throw error;
    io.stderr.write(`${error.file}:${error.line + 1}:${error.column + 1}: error: ${error.reason}\n`);
    return 1;
  }
  for (const warning of result.warnings) io.stderr.write(`${warning}\n`);
  await writeTextOutput(outputSpec, result.text, io, { force: args.force });
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
    const output = args.output ?? (input === STDIO ? STDIO : path.join(path.dirname(input), '.env_encoded'));
    return convert(input, output, args, io, (text, file) => encodeDotenv(text, { file, raw: args.raw }), 'encoded');
  });
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
