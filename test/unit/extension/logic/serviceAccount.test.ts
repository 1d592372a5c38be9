/** A Google key file is checked before it is stored, and the reason never quotes its content. */
import { strict as assert } from 'node:assert';
import { serviceAccountProblem } from '../../../../src/extension/logic/serviceAccount';

describe('Google service-account key files', () => {
  it('accepts a service-account key', () => {
    const key = { type: 'service_account', client_email: 'a@b.iam.gserviceaccount.com', private_key: '-----BEGIN PRIVATE KEY-----' };
    assert.equal(serviceAccountProblem(JSON.stringify(key)), undefined);
  });

  it('refuses other files with a reason that does not quote them', () => {
    for (const text of ['not json: s3cr3t-value', JSON.stringify({ type: 'authorized_user', private_key: 's3cr3t-value' }), 'null']) {
      const problem = serviceAccountProblem(text);
      assert.ok(problem, text);
      assert.ok(!problem.includes('s3cr3t-value'), problem);
    }
  });
});
