/** `kestra-secrets list`: the secrets a namespace can see, own and inherited, never their values. */
import type { SecretCatalog } from '../core/catalog';
import { describeIncompleteCause, type VisibleSecrets } from '../core/catalogTypes';
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
  secrets: { key: string; namespace: string | null; tags: Record<string, string>; subkeys?: string[]; namesOnly?: true }[];
}

export async function runList(argv: string[], io: CliIo): Promise<number> {
  let catalog: SecretCatalog | undefined;
  try {
    const options = parseStoreOptions(argv, [
      '--namespace',
      '-n',
      '--config',
      '--server',
      '--tenant',
      '--encoded-env',
      '--format',
      '--read-values',
    ]);
    if (options.help) {
      io.stdout.write(HELP);
      return 0;
    }
    if (options.format !== 'text' && options.format !== 'json')
      throw new UsageError(`list --format must be text or json, not '${options.format}'`);
    const config = await resolveConfig(options, io);
    catalog = createCliCatalog(config, options, io);
    const listed = options.namespace !== undefined ? { namespaces: [options.namespace], errors: [] } : await namespacesToList(catalog);
    if (listed.errors.length > 0) {
      // A store that can't say which namespaces it has would otherwise look like an empty one.
      for (const error of listed.errors) io.stderr.write(`kestra-secrets: ${error}\n`);
      return 1;
    }
    const { namespaces } = listed;
    const listings = await Promise.all(namespaces.map((namespace) => catalog!.visible(namespace)));
    const failed = listings.find((visible) => visible.error && !visible.stale);
    if (failed) {
      io.stderr.write(`kestra-secrets: ${failed.error}\n`);
      return 1;
    }
    reportIncomplete(listings, io);
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

/** A listing that may lack keys says why, once per cause. */
function reportIncomplete(listings: VisibleSecrets[], io: CliIo): void {
  const written = new Set<string>();
  for (const cause of listings.flatMap((visible) => visible.incomplete ?? [])) {
    if (written.has(cause.id)) continue;
    written.add(cause.id);
    io.stderr.write(`kestra-secrets: warning: ${describeIncompleteCause(cause)}\n`);
  }
}

async function namespacesToList(catalog: SecretCatalog): Promise<{ namespaces: string[]; errors: string[] }> {
  const { namespaces, errors } = await catalog.namespacesWithErrors();
  // A namespace-less store (Kestra OSS env secrets) shows the same keys everywhere: list them once.
  return { namespaces: namespaces.length > 0 ? namespaces.sort() : [''], errors };
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
      ...(secret.namesOnly ? { namesOnly: true as const } : {}),
    })),
  };
}

function formatListing(listing: ListedSecrets): string {
  const lock = listing.readOnly ? ' (read-only)' : ' (writable)';
  const header = `${listing.namespace || '(all namespaces)'} — ${listing.backend}${lock}: ${listing.secrets.length} secret(s)\n`;
  const width = Math.max(3, ...listing.secrets.map((secret) => secret.key.length));
  const rows = listing.secrets.map((secret) => {
    const from =
      secret.namespace === null ? '' : secret.namespace === listing.namespace ? secret.namespace : `${secret.namespace} (inherited)`;
    const tags = Object.entries(secret.tags)
      .map(([key, value]) => `${key}=${value}`)
      .join(',');
    const subkeys = secret.subkeys ? `subkeys: ${secret.subkeys.join(', ')}` : '';
    const namesOnly = secret.namesOnly ? '(name only)' : '';
    return `  ${secret.key.padEnd(width)}  ${[from, tags, subkeys, namesOnly].filter(Boolean).join('  ')}`.trimEnd() + '\n';
  });
  return header + rows.join('');
}
