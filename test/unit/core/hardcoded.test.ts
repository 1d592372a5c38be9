import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { parseDocument } from 'yaml';
import { analyzeFlow } from '../../../src/core/flow';
import { checkFlow } from '../../../src/core/checks';
import { suggestKey, type HardcodedSecret } from '../../../src/core/hardcoded';
import { LineIndex } from '../../../src/core/lineIndex';
import type { Range } from '../../../src/core/types';

// Real-looking credentials, assembled so that no scanner mistakes this file for a leak.
const GITHUB = 'ghp_' + 'R8kq2Lw9Zt4Xv7Nm1Pb6Yc3Hd5Jf0Gs2Ua8E';
const GITHUB_PAT = 'github_pat_' + '11ABCDE7Q0aZ9kLmN3pQ4rS_5tUvW6xY7zA8bC9dE0fG1hI2jK3lM4nO5pQ6rS7tU8vW9xY0zA1bC2';
const SLACK_TOKEN = 'xoxb-' + '2210987654-4021987654321-q8Wz3Rt6Yu9Io2Pa5Sd7Fg1H';
const SLACK_HOOK = 'https://hooks.slack.com/services/' + 'T04QX7K2M/B05RZ9L3N/kP3wQ8zR2tY6uI9oA1sD4fG7';
const DISCORD_HOOK = 'https://discord.com/api/webhooks/' + '1187654321098765432/' + 'aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5bC7dE9fG1hJ3kL5m';
const TEAMS_HOOK =
  'https://acme.webhook.office.com/webhookb2/' +
  '3f2a9c1e-7b4d-4e8a-9f60-2c5d8e1a7b3c@9e8d7c6b-5a49-4f3e-8d2c-1b0a9f8e7d6c/IncomingWebhook/' +
  '8c1f4e7a2d5b9c3e6f0a1b4d7e2c5f8a/5b7c9d1e-3f5a-4b7c-9d1e-3f5a7b9c1d3e';
const OPENAI = 'sk-proj-' + 'Xq7Lm2Pz9Rt4Wv6Yb1Nc8Kd3Hf5Jg0Ss2Ua7EoQiTr';
const GOOGLE = 'AIza' + 'SyD3k9Qw2Er5Ty8Ui1Op4As7Df0Gh3Jk6LM';
const STRIPE = 'sk_live_' + '51Hq8Zk2Lm9Pw3Rt6Yv1Xb4Nc7';
const AWS_ID = 'AKIA' + 'Z7QW3RTY5UIO2PLK';
const AWS_SECRET = 'wJalrXUtnF' + 'EMI/K7MDENG/bPxRfiCYzq8Tk3Lp9m';
const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.' + 'eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkthdGUifQ.' + 'Qm3xT8aL0vR5nW2pK7zY4cJ9hF6dS1gB';
const PEM_BODY = [
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj',
  'MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu',
  'NMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ',
];
const PEM = `-----BEGIN PRIVATE KEY-----\n${PEM_BODY.join('\n')}\n-----END PRIVATE KEY-----`;

function flowWith(task: string): string {
  return `id: hello\nnamespace: company.team\ntasks:\n  - id: task\n${task.replace(/^/gm, '    ')}\n`;
}

function sliceOf(text: string, range: Range): string {
  const lines = new LineIndex(text);
  return text.slice(lines.offsetAt(range.start), lines.offsetAt(range.end));
}

function findings(text: string): HardcodedSecret[] {
  const analysis = analyzeFlow(text);
  assert.ok(analysis.isFlow, 'expected a flow');
  return analysis.hardcoded ?? [];
}

function only(text: string): HardcodedSecret {
  const found = findings(text);
  assert.equal(found.length, 1, `expected one finding, got ${found.map((f) => `${f.kind} ${f.property}`).join(', ') || 'none'}`);
  return found[0];
}

function applied(text: string, secret: HardcodedSecret, key: string): string {
  const { range, text: replacement } = secret.replacement(key);
  const lines = new LineIndex(text);
  return text.slice(0, lines.offsetAt(range.start)) + replacement + text.slice(lines.offsetAt(range.end));
}

describe('hardcoded credentials in flows', () => {
  describe('properties that hold credentials', () => {
    it('flags a JDBC password, which the plugin does not mark but other plugins do, on its value', () => {
      const text = flowWith(
        'type: io.kestra.plugin.jdbc.postgresql.Query\nurl: jdbc:postgresql://db:5432/app\nusername: etl\npassword: k3stra\nsql: select 1',
      );
      const secret = only(text);
      assert.equal(secret.kind, 'credential-name');
      assert.equal(sliceOf(text, secret.range), 'k3stra');
      assert.equal(secret.property, 'password');
      assert.equal(secret.pluginType, 'io.kestra.plugin.jdbc.postgresql.Query');
      assert.match(secret.message, /the `password` of io\.kestra\.plugin\.jdbc\.postgresql\.Query is a credential written in clear/i);
      assert.equal(secret.suggestedKey, 'POSTGRES_PASSWORD');
    });

    it('flags a property the task type marks secret, nested paths included', () => {
      const s3 = only(
        flowWith(
          `type: io.kestra.plugin.aws.s3.Upload\nregion: eu-west-1\nbucket: my-bucket\nsecretKeyId: "Tq9/Lm3Zx7Pw2Rv5Ny8Kb1Hc4Jd6Fg0Sa3Ue9Xo"`,
        ),
      );
      assert.equal(s3.kind, 'marked-property');
      assert.equal(s3.suggestedKey, 'AWS_SECRET_KEY_ID');
      const git = only(
        flowWith('type: io.kestra.plugin.git.Clone\nurl: https://github.com/acme/flows\nusername: bot\npassword: pl41n-t3xt'),
      );
      assert.equal(git.kind, 'marked-property');
      const nested = only(
        flowWith(
          'type: io.kestra.plugin.elasticsearch.Search\nconnection:\n  hosts: [http://es:9200]\n  basicAuth:\n    username: elastic\n    password: Els4st1c!\nrequest: {}',
        ),
      );
      assert.equal(nested.kind, 'marked-property');
      assert.equal(nested.property, 'connection.basicAuth.password');
    });

    it('flags credential-named keys in variables, env maps, plugin defaults and input defaults', () => {
      const text = [
        'id: hello',
        'namespace: company.team',
        'variables:',
        '  db_password: Sup3rS3cret',
        'inputs:',
        '  - id: api_token',
        '    type: STRING',
        '    defaults: tok-4f9a8b7c6d5e',
        'tasks:',
        '  - id: run',
        '    type: io.kestra.plugin.scripts.python.Script',
        '    env:',
        '      STRIPE_API_KEY: rk9Fq2Lm7Zx3',
        '    script: print(1)',
        'pluginDefaults:',
        '  - type: io.kestra.plugin.jdbc.mysql',
        '    values:',
        '      password: mysq1-r00t',
      ].join('\n');
      const found = findings(text);
      assert.deepEqual(
        found.map((secret) => sliceOf(text, secret.range)),
        ['Sup3rS3cret', 'tok-4f9a8b7c6d5e', 'rk9Fq2Lm7Zx3', 'mysq1-r00t'],
      );
      assert.equal(found[1].property, 'api_token');
    });

    it('flags credentials whose spelling only resembles a placeholder or a counter', () => {
      for (const line of ['password: where2go', 'issuerSecret: s3cr3tIss']) {
        const text = flowWith(`type: io.kestra.plugin.core.http.Request\nuri: https://x.io\n${line}`);
        assert.equal(findings(text).length, 1, line);
      }
      assert.deepEqual(
        findings(flowWith('type: io.kestra.plugin.core.http.Request\nuri: https://x.io\nMaxTokens: "2048"\nuseToken: "yes-please"')),
        [],
      );
    });

    it('flags the default of a SECRET input whatever its name, and not of a STRING input', () => {
      const input = (type: string) =>
        `id: hello\nnamespace: company.team\ninputs:\n  - id: pg\n    type: ${type}\n    defaults: pl41n-v4lue\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n`;
      assert.equal(only(input('SECRET')).property, 'pg');
      assert.deepEqual(findings(input('STRING')), []);
    });

    it('stays quiet on expressions, empty values, placeholders, user names, hosts, regions, paths and prose', () => {
      const decoys = [
        `password: "{{ secret('POSTGRES_PASSWORD') }}"`,
        'password: "{{ inputs.pw }}"',
        'password: "{{ vars.db_password }}"',
        'password: ""',
        'password:',
        'password: "<password>"',
        'password: ${DB_PASSWORD}',
        'password: $DB_PASSWORD',
        'password: changeme',
        'password: xxxxxxxx',
        'password: "********"',
        'password: your-password-here',
        'password: DB_PASSWORD',
        'password: true',
        'username: admin',
        'user: etl_loader',
        'apiKey: my_api_key',
        'accessToken: sampleAccessToken',
        'privateKey: /secrets/id_rsa',
        'host: db.internal.example.com',
        'region: eu-west-1',
        'maxTokens: 4096',
        'token: The token used to call the API',
        'clientSecret: ops@example.com',
      ];
      for (const decoy of decoys) {
        assert.deepEqual(findings(flowWith(`type: io.kestra.plugin.jdbc.postgresql.Query\n${decoy}`)), [], decoy);
      }
    });

    it('never looks inside a description, at any level', () => {
      const text = `id: hello\nnamespace: company.team\ndescription: "password: ${GITHUB}"\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    description: |\n      Authorization: Bearer ${GITHUB}\n    message: hi\n`;
      assert.deepEqual(findings(text), []);
    });

    it('leaves user names alone even where a plugin marks them secret', () => {
      assert.deepEqual(
        findings(
          flowWith(
            'type: io.kestra.plugin.fs.sftp.Download\nhost: sftp.acme.io\nusername: ingest\nproxyUsername: proxy-user\nfrom: /in/a.csv',
          ),
        ),
        [],
      );
    });
  });

  describe('credentials inside URLs and connection strings', () => {
    it('flags only the password of scheme://user:password@host', () => {
      const text = flowWith('type: io.kestra.plugin.amqp.Publish\nhost: amqp://etl:R4bb1t-pw@mq.internal:5672/\nfrom: x');
      const secret = only(text);
      assert.equal(secret.kind, 'url-password');
      assert.equal(sliceOf(text, secret.range), 'R4bb1t-pw');
    });

    it('flags password= and pwd= in JDBC URLs and query strings', () => {
      const text = flowWith(
        'type: io.kestra.plugin.jdbc.sqlserver.Query\nurl: "jdbc:sqlserver://db:1433;databaseName=app;user=sa;password=Pa55w0rd!;"\nsql: select 1',
      );
      assert.equal(sliceOf(text, only(text).range), 'Pa55w0rd!');
      const query = flowWith('type: io.kestra.plugin.core.http.Request\nuri: https://api.acme.io/export?user=etl&pwd=9xKq2Lm7&format=csv');
      assert.equal(sliceOf(query, only(query).range), '9xKq2Lm7');
      assert.equal(only(query).suggestedKey, 'PASSWORD');
      const sas = flowWith(
        'type: io.kestra.plugin.core.http.Download\nuri: https://acme.blob.core.windows.net/in/a.csv?sv=2022-11-02&ss=b&sp=r&sig=q8Wz3Rt6Yu9Io2Pa5Sd7Fg1H%3D',
      );
      assert.equal(sliceOf(sas, only(sas).range), 'q8Wz3Rt6Yu9Io2Pa5Sd7Fg1H%3D', 'a SAS signature, URL-encoded');
    });

    it('stays quiet on URLs without a password, with an expression or a placeholder as password', () => {
      const decoys = [
        'url: jdbc:postgresql://db.internal:5432/app?sslmode=require',
        'url: https://user@github.com/acme/repo.git',
        `url: "postgresql://etl:{{ secret('PG') }}@db:5432/app"`,
        'url: postgresql://etl:<password>@db:5432/app',
        'url: postgresql://etl:${PGPASSWORD}@db:5432/app',
        'url: "jdbc:mysql://db:3306/app?user=etl&password={{ secret(\'MYSQL\') }}"',
        'url: "https://api.acme.io/items?pageToken=abc123&token=%(token)s"',
        'url: git@github.com:acme/flows.git',
        'script: engine = create_engine(f"postgresql://postgres:{password}@{host}:5432")',
      ];
      for (const decoy of decoys) assert.deepEqual(findings(flowWith(`type: io.kestra.plugin.core.http.Request\n${decoy}`)), [], decoy);
    });
  });

  describe('token shapes', () => {
    const shapes: [string, string, HardcodedSecret['kind']][] = [
      ['GitHub token', GITHUB, 'github-token'],
      ['GitHub fine-grained token', GITHUB_PAT, 'github-token'],
      ['Slack token', SLACK_TOKEN, 'slack-token'],
      ['Slack webhook', SLACK_HOOK, 'slack-webhook'],
      ['Discord webhook', DISCORD_HOOK, 'discord-webhook'],
      ['Teams webhook', TEAMS_HOOK, 'teams-webhook'],
      ['OpenAI key', OPENAI, 'openai-key'],
      ['Google API key', GOOGLE, 'google-api-key'],
      ['Stripe key', STRIPE, 'stripe-key'],
      ['AWS access key id', AWS_ID, 'aws-access-key-id'],
      ['JWT', JWT, 'jwt'],
    ];
    for (const [name, token, kind] of shapes) {
      it(`finds a ${name} in an unremarkable property, inside a longer string`, () => {
        const text = flowWith(`type: io.kestra.plugin.scripts.shell.Commands\ncommands:\n  - ./deploy --with ${token} --verbose`);
        const secret = only(text);
        assert.equal(secret.kind, kind);
        assert.equal(sliceOf(text, secret.range), token);
        assert.ok(!secret.message.includes(token.slice(0, 6)), 'the message names no part of the value');
      });
    }

    it('finds an AWS secret access key next to its key id, and a PEM private key', () => {
      const text = flowWith(
        `type: io.kestra.plugin.scripts.shell.Commands\nenv:\n  KEY_ID: ${AWS_ID}\n  KEY: ${AWS_SECRET}\ncommands: [aws s3 ls]`,
      );
      assert.deepEqual(
        findings(text).map((secret) => secret.kind),
        ['aws-access-key-id', 'aws-secret-access-key'],
      );
      const pem = flowWith(
        `type: io.kestra.plugin.scripts.shell.Commands\ncommands:\n  - |\n    cat > key <<EOF\n${PEM.replace(/^/gm, '    ')}\n    EOF`,
      );
      const secret = only(pem);
      assert.equal(secret.kind, 'private-key');
      assert.equal(sliceOf(pem, secret.range).replace(/\n\s+/g, '\n'), PEM);
    });

    it('finds a private key inside an inline service-account JSON', () => {
      const json = JSON.stringify({ type: 'service_account', private_key: `${PEM}\n` });
      const text = flowWith(`type: io.kestra.plugin.gcp.bigquery.Query\nserviceAccount: '${json}'\nsql: select 1`);
      const secret = only(text);
      assert.equal(secret.kind, 'marked-property');
      assert.equal(secret.value(), json);
    });

    it('stays quiet on decoys that only resemble tokens', () => {
      const decoys = [
        'ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
        'xoxb-...',
        'xoxb-your-token',
        'https://hooks.slack.com/services/XXXX/YYYY/ZZZZ',
        'https://discord.com/api/webhooks/<id>/<token>',
        'https://discord.com/developers/docs/resources/webhook',
        'https://acme.webhook.office.com/webhookb2/...',
        'sk-...',
        'sk-task-runner',
        'AKIAIOSFODNN7EXAMPLE',
        'AKIAXXXXXXXXXXXXXXXX',
        'eyJhbGciOi',
        '-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----',
        '-----BEGIN CERTIFICATE-----\nMIIB3DCCAYKgAwIBAgIUQ1Z2x3c4v5b6n7m8k9j0h1g2f3d4s5a6\n-----END CERTIFICATE-----',
        'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
        'a3f1c2e4b5d6a7f8091a2b3c4d5e6f708192a3b4',
        'task-ghp-runner skip_live_check',
      ];
      for (const decoy of decoys) {
        assert.deepEqual(findings(flowWith(`type: io.kestra.plugin.core.log.Log\nmessage: ${JSON.stringify(decoy)}`)), [], decoy);
      }
    });

    it('does not take a lone 40-character string for an AWS secret key', () => {
      assert.deepEqual(findings(flowWith(`type: io.kestra.plugin.core.log.Log\nmessage: ${AWS_SECRET}`)), []);
    });
  });

  describe('authorization headers', () => {
    it('flags the token of an Authorization header and an X-API-Key header', () => {
      const text = flowWith(
        `type: io.kestra.plugin.core.http.Request\nuri: https://api.acme.io\nheaders:\n  Authorization: "Bearer 7fK2mQ9xLp4Rz8Wt"\n  X-API-Key: 3b9c1d7e5f2a\n  Content-Type: application/json`,
      );
      const found = findings(text);
      assert.deepEqual(
        found.map((secret) => sliceOf(text, secret.range)),
        ['7fK2mQ9xLp4Rz8Wt', '3b9c1d7e5f2a'],
      );
      assert.deepEqual(
        found.map((secret) => secret.kind),
        ['authorization-header', 'authorization-header'],
      );
      assert.equal(found[1].suggestedKey, 'API_KEY');
    });

    it('flags a header written in a command', () => {
      const text = flowWith(
        'type: io.kestra.plugin.scripts.shell.Commands\ncommands:\n  - "curl -H \'Authorization: Bearer 7fK2mQ9xLp4Rz8Wt\' https://api.acme.io"',
      );
      assert.equal(sliceOf(text, only(text).range), '7fK2mQ9xLp4Rz8Wt');
    });

    it('stays quiet on headers built from expressions or placeholders', () => {
      const decoys = [
        `Authorization: "Bearer {{ secret('API_TOKEN') }}"`,
        'Authorization: "Bearer <token>"',
        'Authorization: "Basic ${CREDENTIALS}"',
        `X-API-Key: "{{ secret('KEY') }}"`,
        'Accept: application/json',
      ];
      for (const decoy of decoys) {
        assert.deepEqual(
          findings(flowWith(`type: io.kestra.plugin.core.http.Request\nuri: https://x.io\nheaders:\n  ${decoy}`)),
          [],
          decoy,
        );
      }
    });
  });

  describe('the hardcoded-secret problem', () => {
    it('is a warning on the value, and no problem text carries the value', () => {
      const text = flowWith('type: io.kestra.plugin.jdbc.postgresql.Query\npassword: k3stra-Pr0d\nurl: postgresql://etl:Zq8-pw-Lk2@db/app');
      const problems = checkFlow('flow.yml', analyzeFlow(text), () => undefined);
      assert.deepEqual(
        problems.map((problem) => [problem.code, problem.severity]),
        [
          ['hardcoded-secret', 'warning'],
          ['hardcoded-secret', 'warning'],
        ],
      );
      const serialised = JSON.stringify({ problems, analysis: analyzeFlow(text) });
      assert.ok(!serialised.includes('k3stra-Pr0d') && !serialised.includes('Zq8-pw-Lk2'), 'no value in problems or the analysis as JSON');
    });
  });

  describe('the replacement', () => {
    const cases: [string, string, string][] = [
      ['a plain scalar', 'password: k3stra', `{{ secret('KEY') }}`],
      ['a single-quoted scalar', "password: 'it''s-s3cret'", `{{ secret('KEY') }}`],
      ['a double-quoted scalar with escapes', 'password: "tab\\there"', `{{ secret('KEY') }}`],
      ['a URL password in a plain scalar', 'url: postgresql://etl:Zq8pw@db/app', `postgresql://etl:{{ secret('KEY') }}@db/app`],
      ['a URL password in a flow sequence', 'urls: [postgresql://etl:Zq8pw@db/app, other]', `postgresql://etl:{{ secret('KEY') }}@db/app`],
      ['a URL password in a single-quoted scalar', "url: 'postgresql://etl:Zq8pw@db/app'", `postgresql://etl:{{ secret('KEY') }}@db/app`],
      [
        'a token in a block scalar',
        `script: |\n  curl -H "Authorization: Bearer 7fK2mQ9xLp4Rz8Wt" https://x\n  echo done`,
        `curl -H "Authorization: Bearer {{ secret('KEY') }}" https://x\necho done\n`,
      ],
      ['a whole block scalar', `privateKey: |\n${PEM.replace(/^/gm, '  ')}\nother: 1`, `{{ secret('KEY') }}`],
    ];
    for (const [name, body, expected] of cases) {
      it(`keeps the YAML valid for ${name}, and the warning goes away`, () => {
        const text = flowWith(`type: io.kestra.plugin.core.http.Request\n${body}`);
        const secret = findings(text)[0];
        assert.ok(secret, 'a finding');
        const edited = applied(text, secret, 'KEY');
        const parsed = parseDocument(edited);
        assert.deepEqual(parsed.errors, []);
        const task = (parsed.toJS() as { tasks: Record<string, unknown>[] }).tasks[0];
        const key = body.split(':')[0];
        const value = Array.isArray(task[key]) ? (task[key] as string[])[0] : task[key];
        assert.equal(value, expected);
        assert.deepEqual(
          findings(edited).filter((found) => found.property === secret.property),
          [],
        );
      });
    }
  });

  it('proposes keys from the property and the plugin', () => {
    assert.equal(
      suggestKey('credential-name', { key: 'password', path: ['password'], pluginType: 'io.kestra.plugin.jdbc.mysql.Query' }),
      'MYSQL_PASSWORD',
    );
    assert.equal(
      suggestKey('marked-property', { key: 'apiKey', path: ['apiKey'], pluginType: 'io.kestra.plugin.openai.ChatCompletion' }),
      'OPENAI_API_KEY',
    );
    assert.equal(
      suggestKey('credential-name', {
        key: 'DB_PASSWORD',
        path: ['env', 'DB_PASSWORD'],
        pluginType: 'io.kestra.plugin.scripts.python.Script',
      }),
      'DB_PASSWORD',
    );
    assert.equal(suggestKey('github-token', { key: 'token', path: [] }), 'GITHUB_TOKEN');
    assert.equal(
      suggestKey('credential-name', { key: 'password', path: ['password'], pluginType: 'io.kestra.plugin.jdbc.postgresql' }),
      'POSTGRES_PASSWORD',
      'a plugin-defaults package',
    );
  });

  it('never throws and keeps ranges inside the text, whatever the values (fuzzed)', () => {
    const value = fc.oneof(
      fc.string(),
      fc.constantFrom(GITHUB, SLACK_HOOK, JWT, PEM, AWS_ID, 'amqp://u:p4ss@h/', 'a;password=x;b', '{{ secret("A") }}', 'Bearer abc'),
      fc.tuple(fc.string(), fc.constantFrom(GITHUB, 'postgresql://u:Zq8pw@db/x', OPENAI), fc.string()).map((parts) => parts.join('')),
    );
    const key = fc.constantFrom('password', 'apiKey', 'Authorization', 'url', 'message', 'description', 'token', 'user');
    fc.assert(
      fc.property(key, value, fc.constantFrom('plain', 'json', 'single', 'block'), (name, raw, style) => {
        const scalar =
          style === 'json'
            ? JSON.stringify(raw)
            : style === 'single'
              ? `'${raw.replace(/'/g, "''")}'`
              : style === 'block'
                ? `|\n${raw
                    .split('\n')
                    .map((line) => `      ${line}`)
                    .join('\n')}`
                : raw;
        const text = flowWith(`type: io.kestra.plugin.core.http.Request\n${name}: ${scalar}`);
        const analysis = analyzeFlow(text);
        for (const secret of analysis.hardcoded ?? []) {
          const lines = new LineIndex(text);
          assert.ok(lines.offsetAt(secret.range.start) <= lines.offsetAt(secret.range.end));
          assert.ok(!secret.message.includes(secret.value()) || secret.value().length < 3);
          if (parseDocument(text).errors.length > 0) continue;
          assert.deepEqual(parseDocument(applied(text, secret, 'K')).errors, []);
        }
      }),
      { numRuns: 400 },
    );
  });
});
