/**
 * The backend factory: one `SecretBackend` per configured store. Each case requires its module only
 * when that backend is used; esbuild still bundles our (small) backend code, while the cloud SDKs
 * stay in their own lazily loaded chunks (see ./sdk.ts).
 */
import { BackendError, type BackendFactory } from '../core/store';
import type { EnvSources } from './env';

export type { EnvSources } from './env';

/** Inputs of particular stores that are not configuration: found in the workspace by the CLI or the editor. */
export interface BackendFactoryOptions {
  /** Where the env backend finds SECRET_ definitions; unset: nowhere (no file, not the process environment). */
  envSources?: EnvSources;
}

const NO_ENV_SOURCES: EnvSources = { workspaceRoots: [], envFiles: [] };

/** The factory the catalog is handed: every store is built from its configuration and the shared context. */
export function backendFactory(options: BackendFactoryOptions = {}): BackendFactory {
  return (config, context) => {
    switch (config.type) {
      case 'env':
        return (require('./env') as typeof import('./env')).envBackendFactory(options.envSources ?? NO_ENV_SOURCES)(config, context);
      case 'aws-secret-manager':
        return (require('./aws') as typeof import('./aws')).createAwsBackend(config, context);
      case 'azure-key-vault':
        return (require('./azure') as typeof import('./azure')).createAzureBackend(config, context);
      case 'google-secret-manager':
        return (require('./google') as typeof import('./google')).createGoogleBackend(config, context);
      case 'vault':
        return (require('./vault') as typeof import('./vault')).createVaultBackend(config, context);
      case 'kestra-server':
        return (require('./kestraServer') as typeof import('./kestraServer')).createKestraServerBackend(config, context);
      default:
        return unknownType(config.type);
    }
  };
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
