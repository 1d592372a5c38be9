import { strict as assert } from 'node:assert';
import nodeVault = require('node-vault');
import { startVault, type FakeVault } from './vault';

describe('fake Vault, driven by node-vault', () => {
  let fake: FakeVault;

  beforeEach(async () => {
    fake = await startVault({
      tokens: { 'app1-only': { paths: ['secret/data/app1', 'secret/metadata/app1', 'secret/subkeys/app1'], readOnly: true } },
      userpass: { alice: { password: 'wonderland' } },
      approle: { roles: { 'role-1': { secretId: 'secret-1' } } },
      mounts: { '': ['secret'], 'team-a': ['kv'] },
    });
  });
  afterEach(() => fake.close());

  const client = (options: nodeVault.VaultOptions = {}) => nodeVault({ endpoint: fake.url, token: fake.rootToken, ...options });

  it('answers health and token lookup', async () => {
    const vault = client();
    assert.equal((await vault.health()).sealed, false);
    assert.deepEqual((await vault.tokenLookupSelf()).data.policies, ['root']);
    await assert.rejects(
      client({ token: 'nope' }).tokenLookupSelf(),
      (error: nodeVault.ApiResponseError) => error.response.statusCode === 403 && error.message === 'permission denied',
    );
  });

  it('writes, reads, lists, reads subkeys and metadata, and deletes KV v2 secrets', async () => {
    const vault = client();
    await vault.write('secret/data/main/company/team/DB', { data: { value: 'pw' } });
    await vault.write('secret/data/main/company/ROOT', { data: { value: 'r' } });
    await vault.write('secret/data/app1/api', { data: { API_TOKEN: 't', keys: { a: 1 } } });
    assert.deepEqual((await vault.read('secret/data/main/company/team/DB')).data.data, { value: 'pw' });
    assert.deepEqual((await vault.list('secret/metadata/main/company')).data.keys, ['ROOT', 'team/']);
    assert.deepEqual((await client({ noCustomHTTPVerbs: true }).list('secret/metadata/main')).data.keys, ['company/']);
    assert.deepEqual((await vault.read('secret/subkeys/app1/api?depth=1')).data.subkeys, { API_TOKEN: null, keys: null });
    assert.deepEqual((await vault.read('secret/subkeys/app1/api')).data.subkeys, { API_TOKEN: null, keys: { a: null } });
    const metadata = (await vault.read('secret/metadata/main/company/team/DB')).data;
    assert.equal(metadata.current_version, 1);
    assert.match(metadata.updated_time, /^\d{4}-/);
    await vault.write('secret/metadata/main/company/team/DB', { custom_metadata: { namespace: 'company.team' } });
    assert.deepEqual((await vault.read('secret/data/main/company/team/DB')).data.metadata.custom_metadata, { namespace: 'company.team' });
    await vault.delete('secret/metadata/main/company/team/DB');
    await assert.rejects(
      vault.read('secret/data/main/company/team/DB'),
      (error: nodeVault.ApiResponseError) => error.response.statusCode === 404,
    );
    await assert.rejects(vault.list('secret/metadata/nothing'), (error: nodeVault.ApiResponseError) => error.response.statusCode === 404);
    assert.equal(fake.writeRequests(), 5);
  });

  it('logs in with userpass and AppRole, and rejects bad credentials', async () => {
    const vault = nodeVault({ endpoint: fake.url });
    const login = await vault.userpassLogin({ username: 'alice', password: 'wonderland' });
    assert.match(login.auth.client_token, /^hvs\./);
    assert.equal(vault.token, login.auth.client_token);
    await vault.write('secret/data/x', { data: { a: 'b' } });
    await assert.rejects(
      nodeVault({ endpoint: fake.url }).userpassLogin({ username: 'alice', password: 'no' }),
      /invalid username or password/,
    );
    const approle = nodeVault({ endpoint: fake.url });
    await approle.approleLogin({ role_id: 'role-1', secret_id: 'secret-1' });
    assert.deepEqual((await approle.read('secret/data/x')).data.data, { a: 'b' });
    await assert.rejects(
      nodeVault({ endpoint: fake.url }).approleLogin({ role_id: 'role-1', secret_id: 'wrong' }),
      /invalid role or secret ID/,
    );
    assert.equal(fake.writeRequests(), 1, 'logins are not counted as writes');
  });

  it('enforces token paths and read-only grants, and separates Vault namespaces', async () => {
    fake.seed('app1/db', { user: 'u' });
    fake.seed('app2/config', { x: 'y' });
    fake.seed('shared', { only: 'team-a' }, { namespace: 'team-a', mount: 'kv' });
    const limited = client({ token: 'app1-only' });
    assert.deepEqual((await limited.list('secret/metadata/app1')).data.keys, ['db']);
    await assert.rejects(limited.read('secret/data/app2/config'), (error: nodeVault.ApiResponseError) => error.response.statusCode === 403);
    await assert.rejects(
      limited.write('secret/data/app1/db', { data: {} }),
      (error: nodeVault.ApiResponseError) => error.response.statusCode === 403,
    );
    const teamA = client({ namespace: 'team-a' });
    assert.deepEqual((await teamA.read('kv/data/shared')).data.data, { only: 'team-a' });
    await assert.rejects(client().read('kv/data/shared'), (error: nodeVault.ApiResponseError) => error.response.statusCode === 404);
    assert.equal(fake.requests.at(-2)?.namespace, 'team-a');
  });

  it('injects 5xx and 429 with Retry-After, latency and hangs', async () => {
    fake.inject({ kind: 'status', status: 503, count: 1 });
    fake.inject({ kind: 'status', status: 429, count: 1, retryAfter: '1' });
    const vault = client();
    await assert.rejects(vault.read('secret/data/x'), (error: nodeVault.ApiResponseError) => error.response.statusCode === 503);
    await assert.rejects(vault.read('secret/data/x'), (error: nodeVault.ApiResponseError) => error.response.statusCode === 429);
    const retryAfter = await fetch(`${fake.url}/v1/secret/data/x`, { headers: { 'X-Vault-Token': fake.rootToken } });
    assert.equal(retryAfter.status, 404);
    fake.inject({ kind: 'status', status: 429, count: 1, retryAfter: '2' });
    assert.equal((await fetch(`${fake.url}/v1/sys/health`)).headers.get('retry-after'), '2');
    fake.inject({ kind: 'latency', ms: 150, count: 1 });
    const started = Date.now();
    await vault.health();
    assert.ok(Date.now() - started >= 140);
    fake.inject({ kind: 'hang', count: 1 });
    await assert.rejects(nodeVault({ endpoint: fake.url, token: fake.rootToken, requestOptions: { timeout: 200 } }).health(), /timeout/i);
  });
});
