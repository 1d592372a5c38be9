import { strict as assert } from 'node:assert';
import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { parseFilter, startGoogleSecretManager, type GoogleFake, type StoredGoogleSecret } from './googleSecretManager';

describe('fake Google Secret Manager, driven by the official client (REST transport)', () => {
  let fake: GoogleFake;
  let client: SecretManagerServiceClient;
  let parent: string;
  const savedDetection = process.env.METADATA_SERVER_DETECTION;

  beforeEach(async () => {
    process.env.METADATA_SERVER_DETECTION = 'none';
    fake = await startGoogleSecretManager({ maxPageSize: 3 });
    parent = `projects/${fake.project}`;
    const url = new URL(fake.url);
    client = new SecretManagerServiceClient({
      fallback: true,
      apiEndpoint: url.hostname,
      port: Number(url.port),
      protocol: 'http',
      credentials: JSON.parse(fake.serviceAccountKey()),
      projectId: fake.project,
    } as ConstructorParameters<typeof SecretManagerServiceClient>[0]);
  });

  afterEach(async () => {
    await client.close();
    await fake.close();
    if (savedDetection === undefined) delete process.env.METADATA_SERVER_DETECTION;
    else process.env.METADATA_SERVER_DETECTION = savedDetection;
  });

  it('pages a listing with nextPageToken and applies the label filter', async () => {
    for (let i = 0; i < 8; i++) fake.addSecret(`s${i}`, { labels: { namespace: i % 2 ? 'company-team' : 'other' } });
    const [all] = await client.listSecrets({ parent });
    assert.equal(all.length, 8);
    assert.equal(fake.requests.filter((request) => request.path.endsWith('/secrets')).length, 3);
    const [filtered] = await client.listSecrets({ parent, filter: 'labels.namespace="company-team"' });
    assert.deepEqual(
      filtered.map((secret) => secret.name?.split('/').pop()),
      ['s1', 's3', 's5', 's7'],
    );
    assert.deepEqual(filtered[0]?.labels, { namespace: 'company-team' });
  });

  it('creates, adds a version, accesses it, patches labels and deletes, counting writes', async () => {
    await client.createSecret({
      parent,
      secretId: 'db',
      secret: { replication: { automatic: {} }, labels: { key: 'db' }, annotations: { key: 'DB' } },
    });
    await client.addSecretVersion({ parent: `${parent}/secrets/db`, payload: { data: Buffer.from('s3cr3t') } });
    const [version] = await client.accessSecretVersion({ name: `${parent}/secrets/db/versions/latest` });
    assert.equal(Buffer.from(version.payload?.data as Uint8Array).toString(), 's3cr3t');
    const [secret] = await client.getSecret({ name: `${parent}/secrets/db` });
    assert.deepEqual(secret.annotations, { key: 'DB' });
    await client.updateSecret({
      secret: { name: `${parent}/secrets/db`, labels: { key: 'db', team: 'data' } },
      updateMask: { paths: ['labels'] },
    });
    assert.deepEqual(fake.secrets.get('db')?.labels, { key: 'db', team: 'data' });
    assert.deepEqual(fake.secrets.get('db')?.annotations, { key: 'DB' });
    await client.deleteSecret({ name: `${parent}/secrets/db` });
    assert.equal(fake.secrets.size, 0);
    assert.equal(fake.writeRequests(), 4);
  });

  it("answers errors in Google's JSON error shape (the REST client surfaces the HTTP status)", async () => {
    await assert.rejects(
      client.getSecret({ name: `${parent}/secrets/missing` }),
      (error: Error & { code?: number }) => error.code === 404 && /NOT_FOUND/.test(error.message),
    );
    fake.addSecret('dup', {});
    await assert.rejects(
      client.createSecret({ parent, secretId: 'dup', secret: { replication: { automatic: {} } } }),
      (error: Error & { code?: number }) => error.code === 409 && /ALREADY_EXISTS/.test(error.message),
    );
  });

  it('rejects a JWT signed by an unknown key as UNAUTHENTICATED', async () => {
    const other = await startGoogleSecretManager();
    const url = new URL(fake.url);
    const stranger = new SecretManagerServiceClient({
      fallback: true,
      apiEndpoint: url.hostname,
      port: Number(url.port),
      protocol: 'http',
      credentials: JSON.parse(other.serviceAccountKey()),
      projectId: fake.project,
    } as ConstructorParameters<typeof SecretManagerServiceClient>[0]);
    try {
      await assert.rejects(
        stranger.listSecrets({ parent }),
        (error: Error & { code?: number }) => error.code === 401 && /UNAUTHENTICATED/.test(error.message),
      );
    } finally {
      await stranger.close();
      await other.close();
    }
  });

  it('injects throttling as 429 RESOURCE_EXHAUSTED', async () => {
    fake.inject({ kind: 'status', status: 429, count: 1 });
    await assert.rejects(
      client.listSecrets({ parent }, { retry: null }),
      (error: Error & { code?: number }) => error.code === 429 && /RESOURCE_EXHAUSTED/.test(error.message),
    );
    const [after] = await client.listSecrets({ parent });
    assert.deepEqual(after, []);
  });
});

describe('fake Google Secret Manager filter subset', () => {
  const secret = (id: string, labels: Record<string, string>): StoredGoogleSecret => ({
    id,
    labels,
    annotations: {},
    createTime: '',
    versions: [],
  });

  it('treats OR as binding tighter than AND, and name: as a substring of the resource name', () => {
    const matches = parseFilter('labels.a="1" AND (labels.ns=x-y OR labels.ns=x_y) AND name:kestra', 'p');
    assert.equal(matches(secret('kestra_1', { a: '1', ns: 'x_y' })), true);
    assert.equal(matches(secret('kestra_2', { a: '2', ns: 'x-y' })), false);
    assert.equal(matches(secret('other', { a: '1', ns: 'x-y' })), false);
    assert.equal(parseFilter('labels.a=1 labels.b=2', 'p')(secret('s', { a: '1', b: '2' })), true);
    assert.equal(parseFilter('labels.a:*', 'p')(secret('s', { b: '1' })), false);
  });

  it('rejects what it does not implement', () => {
    assert.throws(() => parseFilter('create_time>"2020"', 'p'));
    assert.throws(() => parseFilter('(labels.a=1', 'p'));
  });
});
