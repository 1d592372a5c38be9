import { strict as assert } from 'node:assert';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { startAwsSecretsManager, type FakeAwsSecretsManager } from './awsSecretsManager';

process.env.AWS_EC2_METADATA_DISABLED = 'true';

describe('fake AWS Secrets Manager, driven by the official SDK', () => {
  let fake: FakeAwsSecretsManager;
  let client: SecretsManagerClient;

  const clientWith = (accessKeyId: string, secretAccessKey: string, maxAttempts = 1) =>
    new SecretsManagerClient({ region: fake.region, endpoint: fake.url, credentials: { accessKeyId, secretAccessKey }, maxAttempts });

  beforeEach(async () => {
    fake = await startAwsSecretsManager();
    const [credentials] = fake.credentials;
    client = clientWith(credentials!.accessKeyId, credentials!.secretAccessKey);
  });
  afterEach(async () => {
    client.destroy();
    await fake.close();
  });

  it('creates, reads, updates, tags, describes and deletes a secret', async () => {
    const created = await client.send(
      new CreateSecretCommand({ Name: 'kestra/main/ns/KEY', SecretString: 'v1', Tags: [{ Key: 'namespace', Value: 'ns' }] }),
    );
    assert.match(created.ARN ?? '', /^arn:aws:secretsmanager:eu-west-1:\d{12}:secret:kestra\/main\/ns\/KEY-[0-9a-f]{6}$/);
    assert.equal((await client.send(new GetSecretValueCommand({ SecretId: 'kestra/main/ns/KEY' }))).SecretString, 'v1');
    await client.send(new PutSecretValueCommand({ SecretId: created.ARN, SecretString: 'v2' }));
    await client.send(new TagResourceCommand({ SecretId: created.ARN, Tags: [{ Key: 'key', Value: 'KEY' }] }));
    assert.equal((await client.send(new GetSecretValueCommand({ SecretId: created.ARN }))).SecretString, 'v2');
    const described = await client.send(new DescribeSecretCommand({ SecretId: created.ARN }));
    assert.deepEqual(described.Tags, [
      { Key: 'namespace', Value: 'ns' },
      { Key: 'key', Value: 'KEY' },
    ]);
    assert.ok(described.LastChangedDate instanceof Date);
    await client.send(new DeleteSecretCommand({ SecretId: created.ARN, ForceDeleteWithoutRecovery: false }));
    await assert.rejects(client.send(new GetSecretValueCommand({ SecretId: created.ARN })), { name: 'InvalidRequestException' });
    assert.equal((await client.send(new ListSecretsCommand({}))).SecretList?.length, 0);
    assert.equal(fake.writeRequests(), 4);
  });

  it('pages ListSecrets with NextToken and applies prefix filters with AND across keys', async () => {
    for (let i = 0; i < 250; i++) fake.seed(`app/s${i}`, `value-${i}`, { namespace: i % 2 ? 'odd' : 'even', key: `K${i}` });
    fake.seed('other/x', 'x', { namespace: 'odd' });
    const names: string[] = [];
    let token: string | undefined;
    let calls = 0;
    do {
      const page = await client.send(
        new ListSecretsCommand({
          MaxResults: 100,
          NextToken: token,
          Filters: [
            { Key: 'name', Values: ['app/'] },
            { Key: 'tag-value', Values: ['odd'] },
          ],
        }),
      );
      calls++;
      names.push(...(page.SecretList ?? []).map((secret) => secret.Name ?? ''));
      token = page.NextToken;
    } while (token);
    assert.equal(names.length, 125);
    assert.equal(calls, 2);
    assert.ok(names.every((name) => name.startsWith('app/')));
    await assert.rejects(client.send(new ListSecretsCommand({ MaxResults: 101 })), { name: 'ValidationException' });
    assert.equal(fake.count('GetSecretValue'), 0);
  });

  it('rejects unknown access keys and wrong signatures', async () => {
    const stranger = clientWith('AKIAUNKNOWN', 'whatever');
    await assert.rejects(stranger.send(new ListSecretsCommand({})), { name: 'UnrecognizedClientException' });
    const forger = clientWith(fake.credentials[0]!.accessKeyId, 'not-the-secret');
    await assert.rejects(forger.send(new ListSecretsCommand({})), { name: 'InvalidSignatureException' });
    stranger.destroy();
    forger.destroy();
  });

  it('injects throttling and 5xx that the SDK retries, and reports resource errors', async () => {
    fake.inject({ kind: 'throttle', count: 1 });
    fake.inject({ kind: 'server-error', count: 1, status: 503 });
    const retrying = clientWith(fake.credentials[0]!.accessKeyId, fake.credentials[0]!.secretAccessKey, 3);
    const result = await retrying.send(new ListSecretsCommand({}));
    assert.deepEqual(result.SecretList, []);
    assert.equal(fake.count('ListSecrets'), 3);
    fake.inject({ kind: 'throttle', count: 1 });
    await assert.rejects(client.send(new ListSecretsCommand({})), { name: 'ThrottlingException' });
    await assert.rejects(client.send(new GetSecretValueCommand({ SecretId: 'missing' })), { name: 'ResourceNotFoundException' });
    fake.seed('dup', 'x');
    await assert.rejects(client.send(new CreateSecretCommand({ Name: 'dup', SecretString: 'y' })), { name: 'ResourceExistsException' });
    retrying.destroy();
  });

  it('hangs a request until the client gives up', async () => {
    fake.inject({ kind: 'hang', count: 1 });
    const impatient = new SecretsManagerClient({
      region: fake.region,
      endpoint: fake.url,
      credentials: fake.credentials[0]!,
      maxAttempts: 1,
      requestHandler: { requestTimeout: 300, connectionTimeout: 300, throwOnRequestTimeout: true },
    });
    const started = Date.now();
    await assert.rejects(impatient.send(new ListSecretsCommand({})), (error: Error) => error.name === 'TimeoutError');
    assert.ok(Date.now() - started < 3000);
    impatient.destroy();
  });
});
