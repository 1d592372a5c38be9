/**
 * The backend factory: one `SecretBackend` per configured store. Each case requires its module only
 * when that backend is used; esbuild still bundles our (small) backend code, while the cloud SDKs
 * stay in their own lazily loaded chunks (see ./sdk.ts).
 */
import type { ServerOptions, SecretBackendConfig } from '../core/configTypes';
import { BackendError, type BackendContext, type SecretBackend } from '../core/store';

export type { ServerBackendFactory } from './kestraServer';

export function createBackend(config: SecretBackendConfig, context: BackendContext, server?: ServerOptions): SecretBackend {
  switch (config.type) {
    case 'env':
      return (require('./env') as typeof import('./env')).createEnvBackend(config, context);
    case 'aws-secret-manager':
      return (require('./aws') as typeof import('./aws')).createAwsBackend(config, context);
    case 'azure-key-vault':
      return (require('./azure') as typeof import('./azure')).createAzureBackend(config, context);
    case 'google-secret-manager':
      return (require('./google') as typeof import('./google')).createGoogleBackend(config, context);
    case 'vault':
      return (require('./vault') as typeof import('./vault')).createVaultBackend(config, context);
    case 'kestra-server':
      if (!server) throw missingServer();
      return (require('./kestraServer') as typeof import('./kestraServer')).createKestraServerBackend(config, context, server);
    default:
      return unknownType(config.type);
  }
}

function missingServer(): BackendError {
  return new BackendError(
    'config',
    'Kestra server',
    'connect',
    'no server is configured.',
    'Set `server: { url, tenant }` in the configuration file or the kestraSecrets.server setting.',
  );
}

function unknownType(type: never): never {
  throw new BackendError(
    'config',
    'Kestra Secrets',
    'create backend',
    `unknown backend type '${String(type)}'.`,
    'Check kestra.secret.type in the configuration.',
  );
}
