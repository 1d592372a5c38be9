/** `kestra-secrets list`: the secrets a namespace can see, own and inherited, never their values. */
import type { SecretCatalog } from '../core/catalog';
import type { VisibleSecrets } from '../core/catalogTypes';
import type { CliIo } from './io';
import { createCliCatalog, parseStoreOptions, reportFailure, resolveConfig, UsageError } from './options';

const HELP = `Usage: kestra-secrets list [--namespace NS] [--config FILE] [--server URL] [--tenant T]
                           [--encoded-env FILE] [--read-values] [--format text|json]

Lists the secrets visible to NS (its own, then those inherited from parent namespaces), with the
namespace each resolves from, tags, sub-keys when known and the store's read-only state. Without
--namespace, lists every namespace the store knows. Values are never printed.
`;

export interface ListedSecrets {
  backend: string;
  readOnly: boolean;
  namespace: string;
  secrets: { key: string; namespace: string | null; tags: Record<string, string>; subkeys?: string[] }[];
}

export async function runList(argv: string[], io: CliIo): Promise<number> {
  let catalog: SecretCatalog | undefined;
  try {
    const options = parseStoreOptions(argv, ['--namespace', '-n', '--config', '--server', '--tenant', '--encoded-env', '--format', '--read-values']);
    if (options.help) {
      io.stdout.write(HELP);
      return 0;
    }
    if (options.format !== 'text' && options.format !== 'json') throw new UsageError(`list --format must be text or json, not '${options.format}'`);
    const config = await resolveConfig(options, io);
    catalog = createCliCatalog(config, options, options.positionals.length > 0 ? options.positionals : ['.'], io);
    const namespaces = options.namespace !== undefined ? [options.namespace] : await namespacesToList(catalog);
    const listings = await Promise.all(namespaces.map((namespace) => catalog!.visible(namespace)));
    const failed = listings.find((visible) => visible.error && !visible.stale);
    if (failed) {
      io.stderr.write(`kestra-secrets: ${failed.error}\n`);
      return 1;
    }
    const results = listings.map(toListed);
    if (options.format === 'json') {
      io.stdout.write(`${JSON.stringify(options.namespace !== undefined ? results[0] : results, null, 2)}\n`);
    } else {
      io.stdout.write(results.map((listing) => formatListing(listing)).join('\n'));
    }
    return 0;
  } catch (error) {
    return reportFailure(error, io);
  } finally {
    catalog?.dispose();
  }
}

async function namespacesToList(catalog: SecretCatalog): Promise<string[]> {
  const namespaces = await catalog.namespaces();
  // A namespace-less store (Kestra OSS env secrets) shows the same keys everywhere: list them once.
  return namespaces.length > 0 ? namespaces.sort() : [''];
}

export function toListed(visible: VisibleSecrets): ListedSecrets {
  return {
    backend: visible.backendType,
    readOnly: visible.readOnly,
    namespace: visible.namespace,
    // VisibleSecrets come sorted by key from the catalog.
    secrets: visible.secrets.map((secret) => ({
      key: secret.key,
      namespace: secret.fromNamespace ?? secret.namespace ?? null,
      tags: secret.tags ?? {},
      ...(secret.subkeys ? { subkeys: secret.subkeys } : {}),
    })),
  };
}

function formatListing(listing: ListedSecrets): string {
  const lock = listing.readOnly ? ' (read-only)' : ' (writable)';
  const header = `${listing.namespace || '(all namespaces)'} — ${listing.backend}${lock}: ${listing.secrets.length} secret(s)\n`;
  const width = Math.max(3, ...listing.secrets.map((secret) => secret.key.length));
  const rows = listing.secrets.map((secret) => {
    const from = secret.namespace === null ? '' : secret.namespace === listing.namespace ? secret.namespace : `${secret.namespace} (inherited)`;
    const tags = Object.entries(secret.tags).map(([key, value]) => `${key}=${value}`).join(',');
    const subkeys = secret.subkeys ? `subkeys: ${secret.subkeys.join(', ')}` : '';
    return `  ${secret.key.padEnd(width)}  ${[from, tags, subkeys].filter(Boolean).join('  ')}`.trimEnd() + '\n';
  });
  return header + rows.join('');
}
