/**
 * Credentials for a Kestra server: an Enterprise API token (`Authorization: Bearer`) or basic auth
 * (mandatory in OSS since 0.24). The CLI reads them from the environment, the editor from SecretStorage;
 * both hand them to the backend as `BackendContext.credentials`. They never go to settings or logs.
 */

export type ServerCredentials = { token: string } | { username: string; password: string };

export const SERVER_TOKEN_ENV = 'KESTRA_API_TOKEN';
export const SERVER_USERNAME_ENV = 'KESTRA_USERNAME';
export const SERVER_PASSWORD_ENV = 'KESTRA_PASSWORD';

/** How to provide credentials, for messages. */
export const SERVER_CREDENTIALS_HINT =
  'In the editor run "Kestra Secrets: Set Credentials"; in the CLI set KESTRA_API_TOKEN, or KESTRA_USERNAME and KESTRA_PASSWORD.';

/**
 * `KESTRA_API_TOKEN`, else `KESTRA_USERNAME` + `KESTRA_PASSWORD`; undefined when neither is complete.
 * The token wins when both are set, as in Kestra's own extension. Surrounding whitespace (a pasted
 * trailing newline) is dropped; an empty variable counts as unset.
 */
export function serverCredentialsFromEnv(env: NodeJS.ProcessEnv): ServerCredentials | undefined {
  const token = env[SERVER_TOKEN_ENV]?.trim();
  if (token) return { token };
  const username = env[SERVER_USERNAME_ENV]?.trim();
  const password = env[SERVER_PASSWORD_ENV];
  if (username && password) return { username, password };
  return undefined;
}

/** Narrows a backend context's credential record: token first, then username + password. */
export function toServerCredentials(record: Record<string, string> | undefined): ServerCredentials | undefined {
  if (!record) return undefined;
  if (record.token) return { token: record.token };
  if (record.username && record.password !== undefined && record.password !== '') {
    return { username: record.username, password: record.password };
  }
  return undefined;
}

/** The `Authorization` header value for these credentials, or undefined when there are none. */
export function authorizationHeader(credentials: ServerCredentials | undefined): string | undefined {
  if (!credentials) return undefined;
  if ('token' in credentials) return `Bearer ${credentials.token}`;
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
}
