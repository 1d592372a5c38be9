import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { runDecode, runEncode, type CliIo } from '../../../src/cli/encode';
import { strictBase64Decode } from '../../../src/core/base64';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks).toString('utf8');
}

async function run(command: typeof runEncode, argv: string[], cwd: string, stdinText?: string): Promise<Run> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = collect(stdout);
  const err = collect(stderr);
  stdin.end(stdinText ?? '');
  const io: CliIo = { stdin, stdout, stderr, cwd };
  const code = await command(argv, io);
  return { code, stdout: out(), stderr: err() };
}

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'dotenv', name), 'utf8');

describe('kestra-secrets encode / decode (in-process)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-encode-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const file = (name: string) => path.join(dir, name);
  const read = (name: string) => fs.readFileSync(file(name), 'utf8');
  const listing = (folder = dir) => fs.readdirSync(folder).sort();

  it('encodes ./.env to ./.env_encoded by default, private to the user', async () => {
    fs.writeFileSync(file('.env'), 'DB_PASSWORD=s3cret\nexport TOKEN="x y"\n');
    const result = await run(runEncode, [], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(read('.env_encoded'), 'SECRET_DB_PASSWORD=czNjcmV0\nSECRET_TOKEN=eCB5\n');
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, 'kestra-secrets: encoded 2 variables from .env to .env_encoded\n');
    assert.equal(fs.statSync(file('.env_encoded')).mode & 0o777, 0o600);
    assert.deepEqual(listing(), ['.env', '.env_encoded']);
  });

  it('writes the default output beside the input file', async () => {
    fs.mkdirSync(file('deploy'));
    fs.writeFileSync(file('deploy/.env'), 'A=1');
    const result = await run(runEncode, ['deploy/.env'], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(read('deploy/.env_encoded'), 'SECRET_A=MQ==\n');
  });

  it('reads stdin and writes stdout with -', async () => {
    const result = await run(runEncode, ['-'], dir, 'A=1\nB=2');
    assert.equal(result.code, 0);
    assert.equal(result.stdout, 'SECRET_A=MQ==\nSECRET_B=Mg==\n');
    assert.match(result.stderr, /from <stdin> to stdout/);
    assert.deepEqual(listing(), []);
  });

  it('writes to stdout with -o - and to a named file with -o / --output=', async () => {
    fs.writeFileSync(file('.env'), 'A=1\n');
    assert.equal((await run(runEncode, ['-o', '-'], dir)).stdout, 'SECRET_A=MQ==\n');
    assert.equal((await run(runEncode, ['.env', '--output=out.env'], dir)).code, 0);
    assert.equal(read('out.env'), 'SECRET_A=MQ==\n');
  });

  it('refuses to overwrite an existing output unless --force, replacing it atomically', async () => {
    fs.writeFileSync(file('.env'), 'A=new\n');
    fs.writeFileSync(file('.env_encoded'), 'SECRET_A=b2xk\n');
    const refused = await run(runEncode, [], dir);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, 'kestra-secrets: .env_encoded already exists; nothing was written. Use --force to overwrite it\n');
    assert.equal(read('.env_encoded'), 'SECRET_A=b2xk\n');
    const forced = await run(runEncode, ['--force'], dir);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(read('.env_encoded'), 'SECRET_A=bmV3\n');
    assert.deepEqual(listing(), ['.env', '.env_encoded']);
  });

  it('reports a malformed file like a compiler, writes nothing and never shows the value', async () => {
    fs.writeFileSync(file('.env'), 'OK=1\nPASSWORD="hunter2\n');
    const result = await run(runEncode, [], dir);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, '.env:2:10: error: unclosed double quote: the value starting here never ends\n');
    assert.ok(!result.stderr.includes('hunter2'));
    assert.deepEqual(listing(), ['.env']);
  });

  it('prints warnings to stderr and still writes', async () => {
    fs.writeFileSync(file('.env'), 'key=1\nKEY=2\nKEY=3\n');
    const result = await run(runEncode, ['-o', '-'], dir);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, 'SECRET_key=MQ==\nSECRET_KEY=Mw==\n');
    const warnings = result.stderr.split('\n').filter((line) => line.includes('warning:'));
    assert.equal(warnings.length, 2);
    assert.match(warnings[0], /^\.env:3:1: warning: KEY is defined again/);
    assert.match(warnings[1], /^\.env:3:1: warning: KEY and key \(line 1\) both become the Kestra secret 'KEY'/);
  });

  it('--raw writes values unencoded and refuses multi-line values', async () => {
    fs.writeFileSync(file('.env'), 'A=plain value\n');
    const raw = await run(runEncode, ['--raw', '-o', '-'], dir);
    assert.equal(raw.stdout, 'SECRET_A=plain value\n');
    fs.writeFileSync(file('multi.env'), 'A="l1\nl2"\n');
    const refused = await run(runEncode, ['multi.env', '--raw'], dir);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^multi\.env:1:3: error: the value of A spans several lines/);
    assert.ok(!fs.existsSync(file('.env_encoded')));
  });

  it('exits 2 on bad usage or a missing input, with help on --help', async () => {
    for (const argv of [['--bogus'], ['-o'], ['a', 'b'], ['missing.env'], ['.env_encoded']]) {
      const result = await run(runEncode, argv, dir);
      assert.equal(result.code, 2, `${argv.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /^kestra-secrets: /);
    }
    assert.equal((await run(runDecode, ['--raw'], dir)).code, 2);
    const help = await run(runEncode, ['--help'], dir);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: kestra-secrets encode \[FILE\|-\] \[-o OUT\] \[--raw\] \[--names-only\] \[--force\]/);
    assert.match((await run(runDecode, ['-h'], dir)).stdout, /^Usage: kestra-secrets decode/);
  });

  it('decodes ./.env_encoded to stdout by default', async () => {
    fs.writeFileSync(file('.env_encoded'), 'SECRET_A=MQ==\nSECRET_MSG=aGVsbG8gIyB3b3JsZA==\nPLAIN=x\n');
    const result = await run(runDecode, [], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "A=1\nMSG='hello # world'\n");
    assert.match(result.stderr, /\.env_encoded:3:1: warning: PLAIN does not start with SECRET_/);
  });

  it('fails on invalid base64 with its position and writes nothing', async () => {
    fs.writeFileSync(file('.env_encoded'), 'SECRET_A=MQ==\nSECRET_B=not-base64\n');
    const result = await run(runDecode, ['-o', 'plain.env'], dir);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^\.env_encoded:2:10: error: SECRET_B is not valid base64, so Kestra drops it: character 4 is URL-safe/);
    assert.deepEqual(listing(), ['.env_encoded']);
  });

  it('decode then encode reproduces the encoded file exactly', async () => {
    fs.writeFileSync(file('.env'), fixture('every-rule.env'));
    assert.equal((await run(runEncode, [], dir)).code, 0);
    const encoded = read('.env_encoded');
    assert.equal((await run(runDecode, ['-o', 'decoded.env'], dir)).code, 0);
    assert.equal((await run(runEncode, ['decoded.env', '-o', 'again'], dir)).code, 0);
    assert.equal(read('again'), encoded);
    for (const line of encoded.trim().split('\n')) {
      assert.ok(strictBase64Decode(line.slice(line.indexOf('=') + 1)) !== undefined, line);
    }
  });
});
