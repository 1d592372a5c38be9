import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { readComposeFile } from '../../../src/core/compose';
import { ConfigError, parseConfigText } from '../../../src/core/config';
import { analyzeFlow } from '../../../src/core/flow';
import { DEFAULT_YAML_LIMITS, parseBoundedDocument, parseBoundedDocuments } from '../../../src/core/yamlSafe';

/** Eight anchors each merging the previous one four times, then a service environment merging the last four times (issue 13: 19 s for 391 bytes). */
function nestedMerges(levels: number, fan = 4): string {
  let text = 'x-a0: &a0 {SECRET_K: dg==}\n';
  for (let level = 1; level <= levels; level++) {
    text += `x-a${level}: &a${level} {<<: [${Array(fan)
      .fill(`*a${level - 1}`)
      .join(', ')}]}\n`;
  }
  return `${text}services:\n  kestra:\n    image: kestra/kestra\n    environment: {<<: [${Array(fan).fill(`*a${levels}`).join(', ')}]}\n`;
}

/** 20,000 plain aliases in a service environment (issue 13: 190 s). */
function manyAliases(count: number): string {
  let text = 'x-entry: &entry SECRET_K=dg==\nservices:\n  kestra:\n    image: kestra/kestra\n    environment:\n';
  for (let index = 0; index < count; index++) text += '      - *entry\n';
  return text;
}

function timed<T>(work: () => T): { result: T; ms: number } {
  const start = process.hrtime.bigint();
  const result = work();
  return { result, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

const COMPOSE_OPTIONS = { env: {}, projectEnv: {} };

describe('bounded YAML (yamlSafe)', () => {
  it('prevents nested merge keys from freezing the Compose reader: rejected within a second', () => {
    const text = nestedMerges(8);
    assert.ok(text.length < 460);
    const { result, ms } = timed(() => readComposeFile('/w/compose.yml', text, COMPOSE_OPTIONS));
    assert.deepEqual(result, []);
    assert.ok(ms < 1000, `took ${ms} ms`);
    const document = parseBoundedDocument(text);
    assert.equal(document.errors[0]?.code, 'RESOURCE_EXHAUSTION');
    assert.match(document.errors[0].message, /aliases and merge keys expand to more than 100000 nodes/);
  });

  it('prevents 20,000 aliases from freezing the Compose reader, the configuration and flow analysis', () => {
    const text = manyAliases(20_000);
    const compose = timed(() => readComposeFile('/w/compose.yml', text, COMPOSE_OPTIONS));
    assert.deepEqual(compose.result, []);
    const config = timed(() =>
      assert.throws(
        () => parseConfigText(text, { source: 'c.yml', env: {} }),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.match(error.message, /^c\.yml: invalid YAML at line \d+, column \d+: The YAML has 20000 aliases; the limit is 1000\.$/);
          return true;
        },
      ),
    );
    const flow = timed(() => analyzeFlow(`id: x\nnamespace: y\n${text}`));
    assert.match(flow.result.errors[0].message, /20000 aliases/);
    for (const { ms } of [compose, config, flow]) assert.ok(ms < 3000, `took ${ms} ms`);
  });

  it('still expands the merges and aliases real Compose files use', () => {
    const text = nestedMerges(2);
    const [service] = readComposeFile('/w/compose.yml', text, COMPOSE_OPTIONS);
    assert.deepEqual(
      service.environment.map((entry) => [entry.name, entry.value]),
      [['SECRET_K', 'dg==']],
    );
    const [listed] = readComposeFile('/w/compose.yml', manyAliases(3), COMPOSE_OPTIONS);
    assert.deepEqual(
      listed.environment.map((entry) => entry.name),
      ['SECRET_K'],
    );
  });

  it('prevents an alias of its own ancestor from looping (a merge of itself)', () => {
    const text = 'x: &a {<<: [*a, *a, *a], K: v}\nservices:\n  kestra:\n    image: kestra/kestra\n    environment: *a\n';
    const { result, ms } = timed(() => readComposeFile('/w/compose.yml', text, COMPOSE_OPTIONS));
    assert.deepEqual(result, []);
    assert.ok(ms < 1000);
    assert.match(parseBoundedDocument(text).errors[0].message, /alias inside the node it names \(\*a\)/);
  });

  it('prevents an alias without an anchor from surfacing as an unexpected exception', () => {
    assert.throws(
      () => parseConfigText('a: *nowhere\n', { source: 'c.yml', env: {} }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /an alias \(\*nowhere\) with no anchor of that name before it/);
        return true;
      },
    );
  });

  it('prevents reading text beyond the size limit, without parsing it', () => {
    const text = `k: ${'x'.repeat(DEFAULT_YAML_LIMITS.maxLength)}\n`;
    const [document] = parseBoundedDocuments(text);
    assert.match(document.errors[0].message, /too large to read as YAML \(\d+ characters; the limit is 1048576\)/);
    assert.equal(parseBoundedDocument('k: v', { limits: { maxLength: 3 } }).errors[0].code, 'RESOURCE_EXHAUSTION');
  });

  it('prevents the configuration from quoting source text in a limit message', () => {
    const text = 'secret: &s "sup3r-s3cret"\n' + Array.from({ length: 1001 }, (_, index) => `k${index}: *s`).join('\n');
    assert.throws(
      () => parseConfigText(text, { source: 'c.yml', env: {} }),
      (error: Error) => !error.message.includes('sup3r'),
    );
  });

  it('bounds time on arbitrary alias and merge shapes (fuzzed)', () => {
    const shape = fc.record({
      levels: fc.integer({ min: 0, max: 12 }),
      fan: fc.integer({ min: 1, max: 8 }),
      aliases: fc.integer({ min: 0, max: 3000 }),
    });
    fc.assert(
      fc.property(shape, ({ levels, fan, aliases }) => {
        const text = `x-entry: &entry v\n${nestedMerges(levels, fan)}  other:\n    environment:\n${'      - *entry\n'.repeat(aliases)}`;
        const { ms } = timed(() => {
          readComposeFile('/w/compose.yml', text, COMPOSE_OPTIONS);
          analyzeFlow(text);
          try {
            parseConfigText(text, { source: 'c.yml', env: {} });
          } catch (error) {
            assert.ok(error instanceof ConfigError, String(error));
          }
        });
        return ms < 2000;
      }),
      { numRuns: 25 },
    );
  });
});
