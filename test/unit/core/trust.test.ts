import { strict as assert } from 'node:assert';
import { parseConfigText } from '../../../src/core/config';
import { untrustedEndpoints } from '../../../src/core/trust';

function endpoints(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  return untrustedEndpoints(parseConfigText(text, { source: 'kestra-secrets.yml', env }), env).map(
    (found) => `${found.path} <- ${found.credentials}`,
  );
}

describe('trust model of a discovered configuration file', () => {
  it('flags a remote Vault address that would receive VAULT_TOKEN or credentials from placeholders', () => {
    const remote = 'kestra:\n  secret:\n    type: vault\n    vault:\n      address: https://vault.elsewhere.example\n';
    assert.deepEqual(endpoints(remote, { VAULT_TOKEN: 't' }), ['kestra.secret.vault.address <- VAULT_TOKEN']);
    const placeholder = `${remote}      token: { token: "\${MY_TOKEN}" }\n`;
    assert.deepEqual(endpoints(placeholder, { MY_TOKEN: 't' }), ['kestra.secret.vault.address <- credentials from ${…} placeholders']);
    assert.deepEqual(endpoints(remote, {}), [], 'no credential to send');
    assert.deepEqual(
      endpoints(remote, { VAULT_TOKEN: 't', VAULT_ADDR: 'https://vault.elsewhere.example/' }),
      [],
      'the address the user chose',
    );
    assert.deepEqual(endpoints(`${remote}      token: { token: literal-in-the-file }\n`, { VAULT_TOKEN: 't' }), [], "the file's own token");
  });

  it('allows loopback addresses and Azure Key Vault domains, flags other hosts', () => {
    assert.deepEqual(endpoints('server: { url: "http://127.0.0.1:8080" }', { KESTRA_API_TOKEN: 't' }), []);
    assert.deepEqual(endpoints('server: { url: "http://localhost:8080" }', { KESTRA_API_TOKEN: 't' }), []);
    assert.deepEqual(endpoints('server: { url: "https://kestra.example" }', { KESTRA_USERNAME: 'u', KESTRA_PASSWORD: 'p' }), [
      'server.url <- KESTRA_USERNAME and KESTRA_PASSWORD',
    ]);
    const azure = (uri: string) => `kestra:\n  secret:\n    type: azure-key-vault\n    azure-key-vault: { key-vault-uri: "${uri}" }\n`;
    assert.deepEqual(endpoints(azure('https://team.vault.azure.net')), []);
    assert.deepEqual(
      endpoints(azure('http://team.vault.azure.net')),
      ['kestra.secret.azure-key-vault.key-vault-uri <- the Azure default credential chain'],
      'plain http is not Key Vault',
    );
    assert.deepEqual(endpoints(azure('https://vault.azure.net.elsewhere.example')), [
      'kestra.secret.azure-key-vault.key-vault-uri <- the Azure default credential chain',
    ]);
  });

  it('flags an AWS override only with credentials it does not hold, and any Google override', () => {
    const aws =
      'kestra:\n  secret:\n    type: aws-secret-manager\n    aws-secret-manager: { region: eu-west-1, endpoint-override: "https://aws.elsewhere.example"';
    assert.deepEqual(endpoints(`${aws} }\n`), ['kestra.secret.aws-secret-manager.endpoint-override <- the AWS default credential chain']);
    assert.deepEqual(endpoints(`${aws}, access-key-id: AKIDFILE, secret-key-id: file-secret }\n`), []);
    const google =
      'namespaces:\n  company.team: { type: google-secret-manager, google-secret-manager: { project: p, service-account: "{}", endpoint-override: "https://g.elsewhere.example" } }\n';
    assert.deepEqual(endpoints(google), [
      'namespaces.company.team.google-secret-manager.endpoint-override <- a token signed with the service account',
    ]);
  });
});
