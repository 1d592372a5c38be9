/** Google service-account key files, checked before their content is stored. */
import { l10n } from './l10n';

/** Why a file is not a service-account key (without quoting its content), or undefined when it is one. */
export function serviceAccountProblem(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return l10n.t('The file is not JSON: choose the service-account key file downloaded from Google Cloud.');
  }
  const key = parsed as { type?: unknown; client_email?: unknown; private_key?: unknown };
  if (
    key === null ||
    typeof key !== 'object' ||
    key.type !== 'service_account' ||
    typeof key.client_email !== 'string' ||
    typeof key.private_key !== 'string'
  ) {
    return l10n.t('The file is not a service-account key (it needs "type": "service_account", "client_email" and "private_key").');
  }
  return undefined;
}
