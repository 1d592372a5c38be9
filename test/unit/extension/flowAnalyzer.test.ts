/**
 * Issue 12, point 7: flow analysis off the editor's thread. The worker protocol (a request in, the
 * analysis out, errors as answers) and the analyzer around the real bundled worker: the same analysis
 * as in-thread, and a worker that can't start or dies degrades to in-thread analysis, logged once.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { analyzeFlow } from '../../../src/core/flow';
import { resolveEditorEnvSources } from '../../../src/extension/logic/envSources';
import { answer, decodeAnalysis, encodeAnalysis, type AnalysisResponse, type FileOutcome } from '../../../src/extension/analysisProtocol';
import { EarlyWorker } from '../../../src/extension/earlyWorker';
import { analysisWorkerCount, AnalyzerStoppedError, FlowAnalyzer } from '../../../src/extension/flowAnalyzer';

const root = path.resolve(__dirname, '..', '..', '..');

function flowText(namespace: string, keys: string[]): string {
  const tasks = keys.map(
    (key, index) => `  - id: t${index}\n    type: io.kestra.plugin.core.log.Log\n    message: "{{ secret('${key}') }}"\n`,
  );
  return `id: f\nnamespace: ${namespace}\ntasks:\n${tasks.join('')}`;
}

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function recordingLog(): { warn(message: string): void; warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, warn: (message) => warnings.push(message) };
}

function outcomesOf(response: AnalysisResponse): unknown[] {
  assert.ok(response.ok, `expected an answer, got: ${response.ok ? '' : response.message}`);
  return response.outcomes;
}

describe('analysis worker protocol: a request in, the analysis out', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-analysis-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('answers a texts request with the whole analysis the core makes, in order, under the request id', () => {
    const texts = [flowText('team.a', ['A', 'B']), 'not: a flow\n', 'id: x\nnamespace: n\n  bad: : indent\n'];
    const response = answer({ id: 7, type: 'texts', texts });
    assert.equal(response.id, 7);
    const outcomes = outcomesOf(response) as { analysis: unknown; flowHeaderLines: boolean; ms: number }[];
    assert.deepEqual(
      outcomes.map((outcome) => outcome.analysis),
      texts.map(analyzeFlow),
    );
    assert.deepEqual(
      outcomes.map((outcome) => outcome.flowHeaderLines),
      [true, false, true],
    );
    assert.ok(outcomes.every((outcome) => outcome.ms >= 0));
  });

  it('reads files: a flow is analysed with its disk stamp, an unchanged stamp skips the read', () => {
    const file = path.join(dir, 'flow.yml');
    fs.writeFileSync(file, flowText('team.a', ['A']));
    const [first] = outcomesOf(answer({ id: 1, type: 'files', files: [{ path: file }] })) as FileOutcome[];
    assert.equal(first.kind, 'analysed');
    if (first.kind !== 'analysed') return;
    assert.match(first.stamp, /^disk:\d+:\d+$/);
    assert.deepEqual(first.analysis, analyzeFlow(fs.readFileSync(file, 'utf8')));
    const [again] = outcomesOf(answer({ id: 2, type: 'files', files: [{ path: file, knownStamp: first.stamp }] })) as FileOutcome[];
    assert.deepEqual(again, { path: file, kind: 'unchanged' });
  });

  it('reads a file as the editor does: a byte-order mark is dropped, so ranges match the document', () => {
    const text = flowText('team.a', ['A']);
    const file = path.join(dir, 'bom.yml');
    fs.writeFileSync(file, `\uFEFF${text}`);
    const [outcome] = outcomesOf(answer({ id: 1, type: 'files', files: [{ path: file }] })) as FileOutcome[];
    assert.equal(outcome.kind, 'analysed');
    if (outcome.kind === 'analysed') assert.deepEqual(outcome.analysis.references, analyzeFlow(text).references);
  });

  it('tells a non-flow, a missing file and a directory apart, and never reads the latter', () => {
    const plain = path.join(dir, 'plain.yml');
    fs.writeFileSync(plain, 'services:\n  web: {}\n');
    const folder = path.join(dir, 'folder.yml');
    fs.mkdirSync(folder);
    const files = [{ path: plain }, { path: path.join(dir, 'gone.yml') }, { path: folder }];
    const outcomes = outcomesOf(answer({ id: 3, type: 'files', files })) as FileOutcome[];
    assert.deepEqual(
      outcomes.map((outcome) => outcome.kind),
      ['not-a-flow', 'missing', 'not-a-file'],
    );
  });

  it('answers a batch in the order asked, though it analyses the smallest files first', () => {
    const big = path.join(dir, 'big-first.yml');
    fs.writeFileSync(
      big,
      flowText(
        'team.big',
        Array.from({ length: 300 }, (_, index) => `KEY_${index}`),
      ),
    );
    const small = path.join(dir, 'small-last.yml');
    fs.writeFileSync(small, flowText('team.small', ['ONLY']));
    const plain = path.join(dir, 'plain-middle.yml');
    fs.writeFileSync(plain, 'services:\n  web: {}\n');
    const files = [{ path: big }, { path: path.join(dir, 'gone-too.yml') }, { path: plain }, { path: small }];
    const outcomes = outcomesOf(answer({ id: 4, type: 'files', files })) as FileOutcome[];
    assert.deepEqual(
      outcomes.map((outcome) => [path.basename(outcome.path), outcome.kind]),
      [
        ['big-first.yml', 'analysed'],
        ['gone-too.yml', 'missing'],
        ['plain-middle.yml', 'not-a-flow'],
        ['small-last.yml', 'analysed'],
      ],
    );
    for (const outcome of outcomes) {
      if (outcome.kind === 'analysed') assert.deepEqual(outcome.analysis, analyzeFlow(fs.readFileSync(outcome.path, 'utf8')));
    }
  });

  it('encodes an analysis in parts of at most 100 list items that read back to the very same analysis', () => {
    const analysis = analyzeFlow(
      flowText(
        'team.a',
        Array.from({ length: 450 }, (_, index) => `KEY_${index}`),
      ),
    );
    const encoded = encodeAnalysis(analysis);
    const referenceParts = encoded.parts.filter((part) => part.field === 'references');
    assert.equal(referenceParts.length, 5);
    assert.ok(encoded.parts.every((part) => (JSON.parse(part.items) as unknown[]).length <= 100));
    assert.deepEqual(decodeAnalysis(encoded), analysis);
    const small = analyzeFlow(flowText('team.a', ['A']));
    assert.deepEqual(decodeAnalysis(encodeAnalysis(small)), small);
  });

  it('sends an analysis of at most 100 list items in all as one piece that reads back to the very same analysis', () => {
    const analysis = analyzeFlow(
      flowText(
        'team.a',
        Array.from({ length: 99 }, (_, index) => `KEY_${index}`),
      ),
    );
    // 99 references and the flow's namespace.
    assert.equal(analysis.references.length + (analysis.flowNamespaces?.length ?? 0), 100);
    const encoded = encodeAnalysis(analysis);
    assert.deepEqual(encoded.parts, []);
    assert.deepEqual(decodeAnalysis(encoded), analysis);
    assert.ok(encodeAnalysis(analyzeFlow(flowText('team.a', ['A', ...Array.from({ length: 99 }, () => 'C')]))).parts.length > 0);
  });

  it('answers a malformed request with an error message, never by throwing', () => {
    for (const request of [
      undefined,
      null,
      42,
      { id: 5 },
      { id: 5, type: 'texts', texts: [1] },
      { id: 5, type: 'files', files: [{}] },
      { id: 5, type: 'list', roots: ['/'], excludedFolders: [], limit: 10 },
      { id: 5, type: 'envSources', request: { roots: '/', configuredEnvFiles: [], trusted: true } },
      { id: 5, type: 'envSources', request: { roots: ['/'], configuredEnvFiles: [] } },
    ]) {
      const response = answer(request);
      assert.equal(response.ok, false, JSON.stringify(request));
      if (!response.ok) assert.match(response.message, /^The analysis worker .+\.$/);
    }
    assert.equal(answer({ id: 9, type: 'nope' }).id, 9);
  });
});

describe('analysis workers per machine: one core left to the editor, at most two workers', () => {
  it('runs one worker on one or two cores, two from three cores up, never more', () => {
    assert.deepEqual([1, 2, 3, 4, 8, 64].map(analysisWorkerCount), [1, 1, 2, 2, 2, 2]);
  });

  it('still runs one worker when the core count is unknown or odd', () => {
    assert.deepEqual([0, -1, Number.NaN, 2.5].map(analysisWorkerCount), [1, 1, 1, 1]);
  });
});

describe('FlowAnalyzer: analysis on the worker thread, in-thread when the worker fails', function () {
  this.timeout(60_000);
  let dir: string;
  let workerFile: string;
  const analyzers: FlowAnalyzer[] = [];
  const analyzer = (file: string | undefined, log = recordingLog(), poolSize = 1) => {
    const created = new FlowAnalyzer(file, log, poolSize);
    analyzers.push(created);
    return created;
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kestra-secrets-worker-'));
    workerFile = path.join(dir, 'analysisWorker.js');
    await esbuild.build({
      entryPoints: [path.join(root, 'src', 'extension', 'analysisWorker.ts')],
      outfile: workerFile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      logLevel: 'silent',
    });
  });
  afterEach(() => analyzers.splice(0).forEach((created) => created.dispose()));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives, through the real worker, exactly the analysis the core makes in-thread', async () => {
    const log = recordingLog();
    const worker = analyzer(workerFile, log);
    const texts = [
      flowText('team.a', ['A', 'B']),
      `${flowText('team.b', ['C'])}\n---\n${flowText('team.c', ['D'])}`,
      "id: x\nnamespace: n\ndescription: {{ secret('X') }}\n",
    ];
    const outcomes = await worker.analyzeTexts(texts);
    assert.deepEqual(
      outcomes.map((outcome) => outcome.analysis),
      texts.map(analyzeFlow),
    );
    const file = path.join(dir, 'flow.yml');
    fs.writeFileSync(file, texts[0]);
    const [fromDisk] = await worker.analyzeFiles([{ path: file }]);
    assert.equal(fromDisk.kind, 'analysed');
    assert.equal(worker.offThread, true);
    assert.deepEqual(log.warnings, []);
  });

  it("gives a big flow's analysis exactly, though it crosses from the worker in parts", async () => {
    const worker = analyzer(workerFile);
    const big = flowText(
      'team.a',
      Array.from({ length: 3000 }, (_, index) => `KEY_${index}`),
    );
    const [outcome] = await worker.analyzeTexts([big]);
    assert.deepEqual(outcome.analysis, analyzeFlow(big));
    assert.equal(outcome.analysis.references.length, 3000);
  });

  it("finds the env store's sources on a worker exactly as in-thread, and in-thread once workers fail", async () => {
    const project = path.join(dir, 'compose-project');
    fs.mkdirSync(path.join(project, 'flows'), { recursive: true });
    fs.writeFileSync(
      path.join(project, 'docker-compose.yml'),
      'services:\n  kestra:\n    image: kestra/kestra\n    env_file: .env_encoded\n',
    );
    fs.writeFileSync(path.join(project, '.env_encoded'), 'SECRET_A=QQ==\n');
    const request = { roots: [project], configuredEnvFiles: [], trusted: true };
    const expected = resolveEditorEnvSources(request);
    assert.deepEqual(expected.envSources.composeFiles, [path.join(project, 'docker-compose.yml')]);
    assert.ok(expected.watched.includes(path.join(project, '.env_encoded')), JSON.stringify(expected.watched));
    // Parsed there, so that the store built on the editor's thread parses no YAML.
    const parsed = expected.envSources.composeProjects?.map((project) =>
      project.sources.map(([file, sources]) => [file, sources.map((source) => source.service)]),
    );
    assert.deepEqual(parsed, [[[path.join(project, 'docker-compose.yml'), ['kestra']]]]);
    assert.deepEqual(await analyzer(workerFile, recordingLog(), 2).resolveEnvSources(request), expected);
    assert.deepEqual(await analyzer(undefined).resolveEnvSources(request), expected);
  });

  it('answers concurrent requests each with its own outcomes', async () => {
    const worker = analyzer(workerFile);
    const keys = Array.from({ length: 20 }, (_, index) => `KEY_${index}`);
    const answers = await Promise.all(keys.map((key) => worker.analyzeTexts([flowText('team.a', [key])])));
    assert.deepEqual(
      answers.map(([outcome]) => outcome.analysis.references[0].key),
      keys,
    );
  });

  it('spreads file batches over a pool of workers, each answer with its own files', async () => {
    const pool = analyzer(workerFile, recordingLog(), 2);
    const files = Array.from({ length: 8 }, (_, index) => {
      const file = path.join(dir, `pool-${index}.yml`);
      fs.writeFileSync(file, flowText(`team.${index}`, [`KEY_${index}`]));
      return { path: file };
    });
    const batches = await Promise.all([0, 2, 4, 6].map((start) => pool.analyzeFiles(files.slice(start, start + 2))));
    const keys = batches.flat().map((outcome) => (outcome.kind === 'analysed' ? outcome.analysis.references[0].key : outcome.kind));
    assert.deepEqual(
      keys,
      files.map((_, index) => `KEY_${index}`),
    );
    assert.equal(pool.offThread, true);
  });

  it('falls back to in-thread analysis when the worker file cannot start, and says so once', async () => {
    const log = recordingLog();
    const broken = analyzer(path.join(dir, 'no-such-worker.js'), log);
    const text = flowText('team.a', ['A']);
    const [first, second] = await Promise.all([broken.analyzeTexts([text]), broken.analyzeTexts([text])]);
    assert.deepEqual(first[0].analysis, analyzeFlow(text));
    assert.deepEqual(second[0].analysis, analyzeFlow(text));
    assert.equal((await broken.analyzeTexts([text]))[0].analysis.isFlow, true);
    assert.equal(broken.offThread, false);
    assert.equal(log.warnings.length, 1, log.warnings.join('\n'));
    assert.match(log.warnings[0], /^Flows are analysed on the editor's thread from now on.*: the analysis worker .+\.$/);
  });

  it('answers the requests a dying worker held, in-thread, and logs once', async () => {
    const dying = path.join(dir, 'dying.js');
    fs.writeFileSync(dying, "require('node:worker_threads').parentPort.on('message', () => process.exit(3));\n");
    const log = recordingLog();
    const worker = analyzer(dying, log, 2);
    const text = flowText('team.a', ['A']);
    const outcomes = await Promise.all([worker.analyzeTexts([text]), worker.analyzeTexts([text, text])]);
    assert.deepEqual(
      outcomes.map((batch) => batch.length),
      [1, 2],
    );
    assert.deepEqual(outcomes[1][1].analysis, analyzeFlow(text));
    assert.equal(log.warnings.length, 1, log.warnings.join('\n'));
    assert.match(log.warnings[0], /exit code 3/);
  });

  it('rejects an error answer instead of inventing an analysis', async () => {
    const refusing = path.join(dir, 'refusing.js');
    fs.writeFileSync(
      refusing,
      "const { parentPort } = require('node:worker_threads');\nparentPort.on('message', (r) => parentPort.postMessage({ id: r.id, ok: false, message: 'No.' }));\n",
    );
    const worker = analyzer(refusing);
    await assert.rejects(worker.analyzeTexts(['id: a\n']), /^Error: No\.$/);
  });

  it('yields to the event loop between files when analysing in-thread', async () => {
    const inThread = analyzer(undefined);
    const texts = Array.from({ length: 40 }, (_, index) =>
      flowText(
        `team.${index}`,
        Array.from({ length: 60 }, (_, key) => `KEY_${key}`),
      ),
    );
    let ranBetween = false;
    setImmediate(() => (ranBetween = true));
    const outcomes = await inThread.analyzeTexts(texts);
    assert.equal(outcomes.length, 40);
    assert.ok(ranBetween, 'a callback queued before the analysis ran before it ended');
  });

  it('adopts a worker started before it: the analysis goes through that worker, no other is started', async () => {
    const log = { ...recordingLog(), traces: [] as string[], trace: (message: string) => log.traces.push(message) };
    const early = EarlyWorker.start(workerFile);
    // Online before it is adopted, as when the extension's code takes longer to load than the worker to boot.
    await waitUntil(() => (early as unknown as { onlineAfterMs?: number }).onlineAfterMs !== undefined);
    const worker = new FlowAnalyzer(path.join(dir, 'never-started.js'), log, 1, early);
    analyzers.push(worker);
    const text = flowText('team.a', ['A']);
    const [outcome] = await worker.analyzeTexts([text]);
    assert.deepEqual(outcome.analysis, analyzeFlow(text));
    assert.equal(worker.offThread, true);
    assert.deepEqual(log.warnings, []);
    assert.equal(log.traces.filter((message) => /An analysis worker started in \d+ ms/.test(message)).length, 1, log.traces.join('\n'));
  });

  it('starts the rest of the pool beside the early worker, and stops the early one on dispose even if never used', async () => {
    const pooled = new FlowAnalyzer(workerFile, recordingLog(), 2, EarlyWorker.start(workerFile));
    analyzers.push(pooled);
    pooled.warmUp();
    assert.equal((pooled as unknown as { workers: unknown[] }).workers.length, 2);
    const unused = EarlyWorker.start(workerFile);
    const neverAsked = new FlowAnalyzer(workerFile, recordingLog(), 1, unused);
    neverAsked.dispose();
    assert.deepEqual(unused.adopt(), { failure: 'was already adopted' });
  });

  it('analyses in-thread, and says why once, when the early worker died before it was adopted', async () => {
    const dying = path.join(dir, 'dies-at-once.js');
    fs.writeFileSync(dying, 'process.exit(4);\n');
    const early = EarlyWorker.start(dying);
    await waitUntil(() => (early as unknown as { failure?: string }).failure !== undefined);
    const log = recordingLog();
    const worker = new FlowAnalyzer(workerFile, log, 1, early);
    analyzers.push(worker);
    const text = flowText('team.a', ['A']);
    const [outcome] = await worker.analyzeTexts([text]);
    assert.deepEqual(outcome.analysis, analyzeFlow(text));
    assert.equal(worker.offThread, false);
    assert.equal(log.warnings.length, 1, log.warnings.join('\n'));
    assert.match(log.warnings[0], /the analysis worker stopped with exit code 4/);
  });

  it('tells a worker that could not even be created, when the analyzer adopts it', async () => {
    const early = EarlyWorker.start(path.join(dir, 'no-such-worker.js'));
    const log = recordingLog();
    const worker = new FlowAnalyzer(undefined, log, 1, early);
    analyzers.push(worker);
    const [outcome] = await worker.analyzeTexts(['id: a\nnamespace: b\ntasks: []\n']);
    assert.equal(outcome.analysis.isFlow, true);
    assert.equal(worker.offThread, false);
    assert.equal(log.warnings.length, 1, log.warnings.join('\n'));
    assert.match(log.warnings[0], /the analysis worker (could not start|failed|stopped)/);
  });

  it('stops the worker on dispose: what is in flight and what comes later is rejected, not analysed', async () => {
    const worker = analyzer(workerFile);
    const big = flowText(
      'team.a',
      Array.from({ length: 3000 }, (_, index) => `KEY_${index}`),
    );
    const inFlight = worker.analyzeTexts([big]);
    worker.dispose();
    await assert.rejects(inFlight, AnalyzerStoppedError);
    await assert.rejects(worker.analyzeTexts(['id: a\n']), AnalyzerStoppedError);
  });
});
