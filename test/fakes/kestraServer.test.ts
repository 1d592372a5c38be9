import { strict as assert } from 'node:assert';
import { startKestraServer, type FakeKestraServer } from './kestraServer';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { headers });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function send(url: string, method: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}

describe('fake Kestra server (wire protocol)', () => {
  let server: FakeKestraServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('EE: lists one namespace with the documented shape, paging and q filter', async () => {
    const secrets = Array.from({ length: 25 }, (_, index) => ({
      namespace: 'company.team',
      key: `KEY_${String(index).padStart(2, '0')}`,
      tags: { env: 'prod' },
    }));
    server = await startKestraServer({
      edition: 'ee',
      secrets: [...secrets, { namespace: 'company', key: 'PARENT', description: 'from the parent' }],
    });
    const base = `${server.url}/api/v1/main/secrets?filters%5Bnamespace%5D%5BEQUALS%5D=company.team`;
    const first = await getJson(`${base}&page=1&size=10`);
    assert.equal(first.status, 200);
    const body = first.body as { readOnly: boolean; results: Array<Record<string, unknown>>; total: number };
    assert.equal(body.readOnly, false);
    assert.equal(body.total, 25);
    assert.equal(body.results.length, 10);
    assert.deepEqual(body.results[0], { key: 'KEY_00', namespace: 'company.team', tags: [{ key: 'env', value: 'prod' }] });
    const last = (await getJson(`${base}&page=3&size=10`)).body as { results: unknown[] };
    assert.equal(last.results.length, 5);

    const parent = (await getJson(`${server.url}/api/v1/main/secrets?filters[namespace][EQUALS]=company`)).body as {
      results: unknown[];
    };
    assert.deepEqual(parent.results, [{ key: 'PARENT', namespace: 'company', description: 'from the parent', tags: [] }]);

    const searched = (await getJson(`${base}&filters[q][EQUALS]=key_1`)).body as { total: number };
    assert.equal(searched.total, 10);
  });

  it('OSS: namespace-less upper-cased keys, always read-only, namespace filter ignored, no writes', async () => {
    server = await startKestraServer({ edition: 'oss', readOnly: false, secrets: [{ key: 'db_password' }, { key: 'API' }] });
    const listing = await getJson(`${server.url}/api/v1/main/secrets?filters[namespace][EQUALS]=any.thing`);
    assert.deepEqual(listing.body, { readOnly: true, results: [{ key: 'API' }, { key: 'DB_PASSWORD' }], total: 2 });
    const inherited = await getJson(`${server.url}/api/v1/main/namespaces/a.b/inherited-secrets`);
    assert.deepEqual(inherited.body, { 'a.b': ['DB_PASSWORD', 'API'] });
    assert.equal(await send(`${server.url}/api/v1/main/namespaces/a.b/secrets`, 'PUT', { key: 'K', value: 'v' }), 405);
    assert.equal(server.writeCount, 1);
  });

  it('EE: inherited-secrets gives the parents keys per namespace', async () => {
    server = await startKestraServer({
      edition: 'ee',
      secrets: [
        { namespace: 'company', key: 'A' },
        { namespace: 'company.team', key: 'B' },
        { namespace: 'company.team.sub', key: 'C' },
        { namespace: 'other', key: 'D' },
      ],
    });
    const { body } = await getJson(`${server.url}/api/v1/main/namespaces/company.team.sub/inherited-secrets`);
    assert.deepEqual(body, { company: ['A'], 'company.team': ['B'] });
    const search = await getJson(`${server.url}/api/v1/main/namespaces/search?page=1&size=100`);
    assert.deepEqual(
      (search.body as { results: Array<{ id: string }> }).results.map((namespace) => namespace.id),
      ['company', 'company.team', 'company.team.sub', 'other'],
    );
  });

  it('EE: PUT, PATCH and DELETE change the store; values are kept but never listed', async () => {
    server = await startKestraServer({ edition: 'ee' });
    const root = `${server.url}/api/v1/main/namespaces/company/secrets`;
    const put = { key: 'TOKEN', value: 's3cr3t', description: 'api', tags: [{ key: 'team', value: 'x' }] };
    assert.equal(await send(root, 'PUT', put), 200);
    assert.equal(server.valueOf('company', 'TOKEN'), 's3cr3t');
    assert.equal(await send(`${root}/TOKEN`, 'PATCH', { key: 'TOKEN', description: 'new', tags: [] }), 200);
    const listed = await getJson(`${server.url}/api/v1/main/secrets`);
    assert.ok(!JSON.stringify(listed.body).includes('s3cr3t'));
    assert.deepEqual((listed.body as { results: unknown[] }).results, [
      { key: 'TOKEN', namespace: 'company', description: 'new', tags: [] },
    ]);
    assert.equal(await send(`${root}/TOKEN`, 'DELETE'), 200);
    assert.equal(await send(`${root}/TOKEN`, 'DELETE'), 404);
    assert.equal(await send(root, 'PUT', { key: 'EMPTY', value: '' }), 422);
    assert.equal(server.writeCount, 5);
  });

  it('EE read-only: writes refused with 403 and counted', async () => {
    server = await startKestraServer({ edition: 'ee', readOnly: true, secrets: [{ namespace: 'n', key: 'K' }] });
    assert.equal(await send(`${server.url}/api/v1/main/namespaces/n/secrets`, 'PUT', { key: 'K', value: 'v' }), 403);
    assert.equal(await send(`${server.url}/api/v1/main/namespaces/n/secrets/K`, 'DELETE'), 403);
    assert.equal(server.writeCount, 2);
    assert.equal(((await getJson(`${server.url}/api/v1/main/secrets`)).body as { readOnly: boolean }).readOnly, true);
  });

  it('checks basic and bearer auth; expireCredentials and forbid switch answers', async () => {
    server = await startKestraServer({ edition: 'ee', auth: { basic: { user: 'admin', password: 'pw' }, token: 'tok' } });
    const url = `${server.url}/api/v1/main/secrets`;
    assert.equal((await getJson(url)).status, 401);
    assert.equal((await getJson(url, { authorization: basic('admin', 'wrong') })).status, 401);
    assert.equal((await getJson(url, { authorization: 'Bearer nope' })).status, 401);
    assert.equal((await getJson(url, { authorization: basic('admin', 'pw') })).status, 200);
    assert.equal((await getJson(url, { authorization: 'Bearer tok' })).status, 200);
    assert.deepEqual(
      server.requests.map((request) => request.auth),
      ['none', 'basic', 'bearer', 'basic', 'bearer'],
    );
    server.forbid();
    assert.equal((await getJson(url, { authorization: 'Bearer tok' })).status, 403);
    server.expireCredentials();
    assert.equal((await getJson(url, { authorization: 'Bearer tok' })).status, 401);
    server.restore();
    assert.equal((await getJson(url, { authorization: 'Bearer tok' })).status, 200);
  });

  it('old servers: tenantless paths and the legacy-only listing', async () => {
    server = await startKestraServer({ edition: 'ee', tenantless: true, legacyOnly: true, secrets: [{ namespace: 'n', key: 'K' }] });
    assert.equal((await getJson(`${server.url}/api/v1/main/secrets`)).status, 404);
    assert.equal((await getJson(`${server.url}/api/v1/secrets`)).status, 404);
    assert.equal((await getJson(`${server.url}/api/v1/main/namespaces/n/secrets`)).status, 404);
    const legacy = await getJson(`${server.url}/api/v1/namespaces/n/secrets`);
    assert.equal(legacy.status, 200);
    assert.deepEqual((legacy.body as { results: unknown[] }).results, [{ key: 'K', namespace: 'n', tags: [] }]);
  });

  it('fault switches: failNext with Retry-After, goAwayAfter destroys sockets, hang never answers', async () => {
    server = await startKestraServer({ edition: 'ee' });
    const url = `${server.url}/api/v1/main/secrets`;
    server.failNext(503, 1, 2);
    const failed = await fetch(url);
    assert.equal(failed.status, 503);
    assert.equal(failed.headers.get('retry-after'), '2');
    await failed.arrayBuffer();
    assert.equal((await getJson(url)).status, 200);

    server.goAwayAfter(1);
    assert.equal((await getJson(url)).status, 200);
    await assert.rejects(fetch(url), TypeError);

    server.restore();
    server.hang();
    await assert.rejects(fetch(url, { signal: AbortSignal.timeout(200) }), (error: Error) => error.name === 'TimeoutError');
  });
});
