/**
 * `npm run bench`: the numbers the issues ask for, measured in one run on this machine.
 *  - encoding a 10,000-line .env: in-process, as a whole CLI process, and the docs' shell loop;
 *  - `check` over 2,000 generated flows (5,000 references) as a whole process;
 *  - AWS listing economy against the loopback Secrets Manager: calls per listing, cache, coalescing;
 *  - editor activation and completion latency inside code-server (when it is installed).
 * Results are printed as a table and written to bench-results/bench.json.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { encodeDotenv } from '../src/core/secretEnv';
import { strictBase64Decode } from '../src/core/base64';
import { backendFactory } from '../src/backends/index';
import { SecretCatalog } from '../src/core/catalog';
import { parseConfigText } from '../src/core/config';
import { silentLogger } from '../src/core/log';
import { startAwsSecretsManager } from '../test/fakes/awsSecretsManager';
import { parseAllDocuments } from 'yaml';
import { checkFlow } from '../src/core/checks';
import { analyzeFlow } from '../src/core/flow';
import type { VisibleSecret, VisibleSecrets } from '../src/core/catalogTypes';

const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'bin', 'kestra-secrets');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-bench-'));

interface Row {
  benchmark: string;
  value: string;
  note: string;
}
const rows: Row[] = [];
const results: Record<string, unknown> = {};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function timeProcess(
  command: string,
  args: string[],
  options: { cwd?: string; shell?: boolean } = {},
): { ms: number; status: number | null } {
  const started = performance.now();
  const result = spawnSync(command, args, { cwd: options.cwd ?? work, stdio: ['ignore', 'ignore', 'pipe'], shell: options.shell });
  return { ms: performance.now() - started, status: result.status };
}

/** A realistic 10,000-line .env: comments, blank lines, export, quotes, long values, no final newline. */
function generateDotenv(lines: number): { text: string; variables: Map<string, string> } {
  const out: string[] = [];
  const variables = new Map<string, string>();
  for (let i = 0; out.length < lines; i++) {
    const key = `SERVICE_${i}_TOKEN`;
    switch (i % 10) {
      case 0:
        out.push(`# service ${i}`);
        break;
      case 1:
        out.push('');
        break;
      case 2: {
        const value = `tok-${i}-${'x'.repeat(80)}`; // longer than 57 bytes: GNU base64 wraps it
        out.push(`${key}=${value}`);
        variables.set(key, value);
        break;
      }
      case 3:
        out.push(`export ${key}="quoted value ${i}"`);
        variables.set(key, `quoted value ${i}`);
        break;
      case 4:
        out.push(`${key}='{"user":"u${i}","password":"p${i}"}'`);
        variables.set(key, `{"user":"u${i}","password":"p${i}"}`);
        break;
      default:
        out.push(`${key}=value-${i} # comment`);
        variables.set(key, `value-${i}`);
    }
  }
  return { text: out.join('\n'), variables };
}

function encodedLineCountAndCorrectness(file: string, expected: Map<string, string>): { lines: number; correct: number } {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n').filter((line) => line.length > 0);
  let correct = 0;
  for (const line of lines) {
    const match = /^SECRET_([^=]+)=(.*)$/.exec(line);
    if (!match) continue;
    const decoded = strictBase64Decode(match[2]);
    if (decoded !== undefined && expected.get(match[1]) === decoded.toString('utf8')) correct++;
  }
  return { lines: lines.length, correct };
}

function benchEncode(): void {
  const { text, variables } = generateDotenv(10_000);
  const envFile = path.join(work, '.env');
  fs.writeFileSync(envFile, text);

  const inProcess: number[] = [];
  for (let run = 0; run < 7; run++) {
    const started = performance.now();
    encodeDotenv(text, { file: envFile });
    inProcess.push(performance.now() - started);
  }

  const cliRuns: number[] = [];
  for (let run = 0; run < 5; run++) {
    const { ms, status } = timeProcess(process.execPath, [cli, 'encode', envFile, '-o', path.join(work, 'ours.env_encoded'), '--force']);
    if (status !== 0) throw new Error('kestra-secrets encode failed during the benchmark');
    cliRuns.push(ms);
  }

  const loop = `while IFS='=' read -r key value; do echo "SECRET_$key=$(echo -n "$value" | base64)"; done < .env > loop.env_encoded`;
  const shell = timeProcess('bash', ['-c', loop]);

  const ours = encodedLineCountAndCorrectness(path.join(work, 'ours.env_encoded'), variables);
  const theirs = encodedLineCountAndCorrectness(path.join(work, 'loop.env_encoded'), variables);
  const cliMs = median(cliRuns);
  const speedup = shell.ms / cliMs;
  results.encode = {
    variables: variables.size,
    inProcessMs: median(inProcess),
    cliProcessMs: cliMs,
    shellLoopMs: shell.ms,
    speedup,
    ours,
    shellLoop: theirs,
  };
  rows.push(
    { benchmark: 'encode 10,000-line .env, in-process', value: `${median(inProcess).toFixed(1)} ms`, note: 'median of 7' },
    {
      benchmark: 'encode 10,000-line .env, whole CLI process',
      value: `${cliMs.toFixed(0)} ms`,
      note: `median of 5; ${ours.lines} lines, ${ours.correct}/${variables.size} values exact`,
    },
    {
      benchmark: "encode 10,000-line .env, the docs' shell loop",
      value: `${shell.ms.toFixed(0)} ms`,
      note: `${theirs.lines} lines, ${theirs.correct}/${variables.size} values exact`,
    },
    { benchmark: 'speed-up of the CLI over the shell loop', value: `${speedup.toFixed(0)}×`, note: 'acceptance: ≥ 50×' },
  );
}

/** 2,000 flows in 20 namespaces with 5,000 references, some missing, against one .env_encoded. */
function generateFlows(dir: string, flows: number, references: number): void {
  fs.mkdirSync(path.join(dir, 'flows'), { recursive: true });
  const keys = Array.from({ length: 200 }, (_, i) => `KEY_${i}`);
  const encoded = keys.map(
    (key, i) => `SECRET_${key}=${Buffer.from(i % 5 === 0 ? `{"user":"u${i}","password":"p"}` : `v${i}`).toString('base64')}`,
  );
  fs.writeFileSync(path.join(dir, '.env_encoded'), encoded.join('\n') + '\n');
  fs.writeFileSync(
    path.join(dir, 'docker-compose.yml'),
    'services:\n  kestra:\n    image: kestra/kestra:latest\n    env_file: .env_encoded\n',
  );
  let written = 0;
  for (let i = 0; i < flows; i++) {
    const count = Math.floor(references / flows) + (i < references % flows ? 1 : 0);
    const tasks: string[] = [];
    for (let r = 0; r < count; r++, written++) {
      const key = written % 50 === 0 ? `MISSING_${written}` : keys[written % keys.length];
      const subkey = written % 5 === 0 && !key.startsWith('MISSING') && Number(key.slice(4)) % 5 === 0 ? ", subkey='user'" : '';
      tasks.push(
        `  - id: task-${r}\n    type: io.kestra.plugin.core.log.Log\n    message: "Using {{ secret('${key}'${subkey}) }} for {{ inputs.name }}"`,
      );
    }
    fs.writeFileSync(
      path.join(dir, 'flows', `flow-${i}.yml`),
      `id: flow-${i}\nnamespace: company.team${i % 20}\ninputs:\n  - id: name\n    type: STRING\ntasks:\n${tasks.join('\n')}\n`,
    );
  }
}

function benchCheck(): void {
  const dir = path.join(work, 'flows-workspace');
  generateFlows(dir, 2_000, 5_000);
  const runs: number[] = [];
  let problems = 0;
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    const result = spawnSync(process.execPath, [cli, 'check', dir, '--format', 'json'], {
      cwd: work,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    runs.push(performance.now() - started);
    if (result.status !== 1) throw new Error(`check exited ${result.status}: ${result.stderr}`);
    problems = (JSON.parse(result.stdout) as unknown[]).length;
  }
  results.check = { flows: 2_000, references: 5_000, wholeProcessMs: median(runs), problems };
  rows.push({
    benchmark: 'check 2,000 flows / 5,000 references, whole process',
    value: `${median(runs).toFixed(0)} ms`,
    note: `median of 3; ${problems} problems found (100 planted); acceptance: < 2 s`,
  });
}

/**
 * `check`'s own work (YAML with source tokens, every template through the Pebble parser, the
 * lookups) against a bare `yaml` parse of the same 2,000 files, both in-process on texts already
 * read: the ratio issue 9 bounds at 1.5×.
 */
function benchCheckVersusYaml(): void {
  const dir = path.join(work, 'flows-workspace', 'flows');
  const texts = fs.readdirSync(dir).map((name) => fs.readFileSync(path.join(dir, name), 'utf8'));
  const visible: VisibleSecrets = {
    namespace: 'company.team0',
    backendType: 'env',
    backendLabel: 'Kestra SECRET_ environment variables',
    readOnly: true,
    caseInsensitive: true,
    secrets: Array.from({ length: 200 }, (_, i): VisibleSecret => ({
      key: `KEY_${i}`,
      source: '.env_encoded',
      inherited: false,
      shadows: [],
    })),
  };
  const bare = (): void => {
    for (const text of texts) parseAllDocuments(text);
  };
  const checked = (): void => {
    for (const [index, text] of texts.entries()) checkFlow(`flow-${index}.yml`, analyzeFlow(text), () => visible);
  };
  // CPU time of this process, alternating the two so that the machine's other load hits both alike.
  const cpuMs = (work: () => void): number => {
    const started = process.cpuUsage();
    work();
    const used = process.cpuUsage(started);
    return (used.user + used.system) / 1000;
  };
  bare();
  checked();
  const yamlRuns: number[] = [];
  const checkRuns: number[] = [];
  for (let round = 0; round < 9; round++) {
    yamlRuns.push(cpuMs(bare));
    checkRuns.push(cpuMs(checked));
  }
  const yamlMs = median(yamlRuns);
  const checkMs = median(checkRuns);
  const ratio = checkMs / yamlMs;
  results.checkVersusYaml = { flows: texts.length, yamlMs, checkMs, ratio };
  rows.push({
    benchmark: 'check 2,000 flows vs a bare yaml parse, in-process',
    value: `${ratio.toFixed(2)}×`,
    note: `CPU time, median of 9 alternating runs: ${checkMs.toFixed(0)} ms vs ${yamlMs.toFixed(0)} ms (parseAllDocuments); acceptance: ≤ 1.5×`,
  });
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(root, 'dist', 'cli.js'))) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  benchEncode();
  benchCheck();
  benchCheckVersusYaml();
  for (const extra of extraBenchmarks) await extra(rows, results);
  printTable();
  fs.mkdirSync(path.join(root, 'bench-results'), { recursive: true });
  fs.writeFileSync(
    path.join(root, 'bench-results', 'bench.json'),
    JSON.stringify(
      { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadAverage: os.loadavg(), ...results },
      null,
      2,
    ),
  );
  fs.rmSync(work, { recursive: true, force: true });
}

type ExtraBenchmark = (rows: Row[], results: Record<string, unknown>) => Promise<void>;
const extraBenchmarks: ExtraBenchmark[] = [benchAwsListing, benchEditor];

/** Issue 4: listing economy against the loopback Secrets Manager, through the catalog the editor uses. */
async function benchAwsListing(rows: Row[], results: Record<string, unknown>): Promise<void> {
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  const fake = await startAwsSecretsManager();
  try {
    for (let i = 0; i < 10_000; i++)
      fake.seed(`kestra/main/analytics/KEY_${i}`, `value-${i}`, { namespace: 'analytics', key: `KEY_${i}`, prefix: 'kestra' });
    const [credentials] = fake.credentials;
    const config = parseConfigText(
      [
        'kestra:',
        '  secret:',
        '    type: aws-secret-manager',
        '    read-only: true',
        '    cache: { enabled: true, maximum-size: 1000, expire-after-write: 60s }',
        '    aws-secret-manager:',
        `      region: ${fake.region}`,
        `      endpoint-override: ${fake.url}`,
        `      access-key-id: ${credentials.accessKeyId}`,
        `      secret-key-id: ${credentials.secretAccessKey}`,
      ].join('\n'),
      { source: 'bench', env: {} },
    );
    const catalog = new SecretCatalog(
      config,
      { log: silentLogger, tenant: 'main', readValuesForSubkeys: false, env: {} },
      { factory: backendFactory() },
    );
    const started = performance.now();
    const first = await catalog.visible('analytics');
    const firstMs = performance.now() - started;
    const firstCalls = { list: fake.count('ListSecrets'), get: fake.count('GetSecretValue') };
    await catalog.visible('analytics');
    const secondCalls = fake.count('ListSecrets') - firstCalls.list;
    catalog.refresh();
    const before = fake.count('ListSecrets');
    await Promise.all(Array.from({ length: 50 }, () => catalog.visible('analytics')));
    const concurrentListings = (fake.count('ListSecrets') - before) / firstCalls.list;
    catalog.dispose();
    results.awsListing = {
      secrets: first.secrets.length,
      firstMs,
      listSecretsCalls: firstCalls.list,
      getSecretValueCalls: firstCalls.get,
      secondListingCalls: secondCalls,
      concurrentListings,
      writeRequests: fake.writeRequests(),
    };
    rows.push(
      {
        benchmark: 'AWS: list 10,000 secrets (ListSecrets calls)',
        value: `${firstCalls.list}`,
        note: `${first.secrets.length} secrets in ${firstMs.toFixed(0)} ms; ${firstCalls.get} GetSecretValue; acceptance: ≤ 100 and 0`,
      },
      { benchmark: 'AWS: second listing within the cache TTL (calls)', value: `${secondCalls}`, note: 'acceptance: 0' },
      {
        benchmark: 'AWS: 50 concurrent completions (listings made)',
        value: `${concurrentListings}`,
        note: `after a refresh; ${fake.count('ListSecrets') - before} paged calls in all; acceptance: 1 listing`,
      },
    );
  } finally {
    await fake.close();
  }
}

/** Issue 3: activation and completion latency inside code-server (scripts/vscode/bench.mjs prints JSON). */
async function benchEditor(rows: Row[], results: Record<string, unknown>): Promise<void> {
  if (process.env.KESTRA_SECRETS_BENCH_EDITOR === '0') {
    rows.push({ benchmark: 'editor benchmarks', value: 'skipped', note: 'KESTRA_SECRETS_BENCH_EDITOR=0' });
    return;
  }
  const script = path.join(root, 'scripts', 'vscode', 'bench.mjs');
  const run = spawnSync(process.execPath, [script, '--no-build'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 15 * 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (run.status !== 0) {
    rows.push({ benchmark: 'editor benchmarks', value: 'failed', note: `scripts/vscode/bench.mjs exited ${run.status}` });
    return;
  }
  const editor = JSON.parse(run.stdout) as EditorBench;
  results.editor = editor;
  const provider = editor.completionProvider;
  const typing = editor.typing;
  rows.push(
    {
      benchmark: `editor activation, workspace of ${editor.flows} flows`,
      value: `${editor.activationMs.toFixed(1)} ms`,
      note: `inside code-server; first diagnostics pass done ${(editor.catalogReadyMs / 1000).toFixed(1)} s later, in the background; acceptance: < 50 ms`,
    },
    {
      benchmark: `editor first diagnostics pass, ${editor.flows} flows (activation to last diagnostic)`,
      value: `${editor.catalogReadyMs.toFixed(0)} ms`,
      note: `median of ${editor.firstPassRuns.length} fresh editors (${editor.firstPassRuns.map((ms) => ms.toFixed(0)).join(', ')} ms), each after one run of \`check\` on the same flows, whole process: median ${editor.cliCheck.median.toFixed(0)} ms (${editor.cliCheck.runs.join(', ')} ms); per turn (an editor against the \`check\` just before it): median ${editor.firstPassRatio.median.toFixed(2)}×, ${editor.firstPassRatio.inSum.toFixed(2)}× in sum, within \`check\`'s time in ${editor.firstPassRatio.withinCheck} of ${editor.firstPassRatio.perTurn.length}; acceptance: ≤ check, per turn and in sum: ${firstPassWithinCheck(editor.firstPassRatio) ? 'met' : 'NOT met'}; our code's longest block meanwhile, in a profiled session (${editor.firstPassProfiledMs.toFixed(0)} ms with the profiler): ${blockNote(editor.firstPassOurs)}; the thread's longest stall, any code: ${editor.firstPassLoop.maxMs.toFixed(1)} ms`,
    },
    ...(editor.workerAlone
      ? [
          {
            benchmark: `the same ${editor.flows} flows through one fresh analysis worker alone, inside the editor`,
            value: `${editor.workerAlone.median.toFixed(0)} ms`,
            note: `median of ${editor.workerAlone.runs.length} (${editor.workerAlone.runs.join(', ')} ms), each in an editor above once its first pass was done and the window had settled; per turn against \`check\`: median ${editor.workerAlone.perTurnAgainstCheck.toFixed(2)}×; the first pass's time beyond this is the editor's side of it (activation, listing, configuration, checks, the workbench)`,
          },
        ]
      : []),
    {
      benchmark: `our code's longest block of the extension host, typing in a ${editor.bigFlowLines}-line flow`,
      value: `${typing.ours.maxMs.toFixed(1)} ms`,
      note: `${typing.keystrokes} keystrokes 40 ms apart, a completion request after each, until the diagnostics show the typed key (${typing.lastKeystrokeToDiagnosticMs.toFixed(0)} ms after the last keystroke); ${blockNote(typing.ours)}; acceptance: ≤ 16 ms: ${typing.ours.maxMs <= 16 ? 'met' : 'NOT met'}`,
    },
    {
      benchmark: `the extension host's longest stall, any code, same typing`,
      value: `${typing.loop.maxMs.toFixed(1)} ms`,
      note: `every extension, VS Code's own work and the machine's load: p99 ${typing.loop.p99Ms.toFixed(1)} ms, longest GC pause ${typing.loop.longestGcMs.toFixed(1)} ms; the same span untouched: max ${typing.idleLoop.maxMs.toFixed(1)} ms, p99 ${typing.idleLoop.p99Ms.toFixed(1)} ms`,
    },
    ...(provider
      ? [
          {
            benchmark: `completion in a ${editor.bigFlowLines}-line flow, provider p95`,
            value: `${provider.p95.toFixed(2)} ms`,
            note: `p50 ${provider.p50.toFixed(2)} ms over ${provider.samples} requests (time inside the provider); acceptance: < 10 ms`,
          },
        ]
      : []),
    {
      benchmark: 'completion, whole executeCompletionItemProvider round trip, p95',
      value: `${editor.completion.p95.toFixed(1)} ms`,
      note: `p50 ${editor.completion.p50.toFixed(1)} ms; the same command where our provider answers nothing: p95 ${editor.commandBaseline.p95.toFixed(1)} ms`,
    },
  );
}

interface Percentiles {
  p50: number;
  p95: number;
  samples: number;
}

interface LoopDelay {
  maxMs: number;
  p99Ms: number;
  meanMs: number;
  samples: number;
  longestGcMs: number;
}

/** Our code's stretches on the extension host's thread, from a CPU profile of it (test/integration/ourBlocks.ts). */
interface OurBlocks {
  maxMs: number;
  maxOnCpuMs: number;
  over16ms: number;
  totalMs: number;
  spanMs: number;
  longest: { ms: number; onCpuMs: number; entry: string; hottest: string }[];
}

/**
 * The first pass is within `check`'s time only when each editor is, against the `check` run just before it: by the
 * median turn and in sum. A median of editors against a median of `check` runs taken minutes apart says "met" on a
 * lucky draw (1,619 against 1,627 ms in a run whose turns were 1.02× in median and 1.04× in sum).
 */
function firstPassWithinCheck(ratio: { median: number; inSum: number }): boolean {
  return ratio.median <= 1 && ratio.inSum <= 1;
}

function blockNote(ours: OurBlocks): string {
  const longest = ours.longest[0];
  return `${ours.maxMs.toFixed(1)} ms (${ours.maxOnCpuMs.toFixed(1)} ms on the CPU; in ${longest?.entry ?? 'nothing'}), ${ours.over16ms} over 16 ms, ${ours.totalMs.toFixed(0)} ms of ours in ${(ours.spanMs / 1000).toFixed(1)} s`;
}

interface EditorBench {
  activationMs: number;
  catalogReadyMs: number;
  firstPassRuns: number[];
  firstPassProfiledMs: number;
  firstPassLoop: LoopDelay;
  firstPassOurs: OurBlocks;
  typing: { ours: OurBlocks; loop: LoopDelay; idleLoop: LoopDelay; keystrokes: number; lastKeystrokeToDiagnosticMs: number };
  cliCheck: Percentiles & { median: number; runs: number[] };
  firstPassRatio: { perTurn: number[]; median: number; inSum: number; withinCheck: number };
  workerAlone?: { median: number; runs: number[]; perTurnAgainstCheck: number };
  loadAverage: { beforeEditor: number[]; afterEditor: number[] };
  flows: number;
  bigFlowLines: number;
  completion: Percentiles;
  commandBaseline: Percentiles;
  completionProvider?: Percentiles;
}

function printTable(): void {
  const widths = [Math.max(...rows.map((row) => row.benchmark.length)), Math.max(...rows.map((row) => row.value.length))];
  console.log(`\n${'benchmark'.padEnd(widths[0])}  ${'result'.padStart(widths[1])}  note`);
  console.log(`${'-'.repeat(widths[0])}  ${'-'.repeat(widths[1])}  ----`);
  for (const row of rows) console.log(`${row.benchmark.padEnd(widths[0])}  ${row.value.padStart(widths[1])}  ${row.note}`);
  console.log(
    `\nmachine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${os
      .loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
