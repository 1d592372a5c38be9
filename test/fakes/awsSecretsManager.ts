/**
 * A loopback stand-in for AWS Secrets Manager speaking its real wire protocol: AWS JSON 1.1 over HTTP
 * (`POST /`, `X-Amz-Target: secretsmanager.<Operation>`), requests signed with SigV4 (the signature is
 * verified against the known credentials), errors as `{"__type", "message"}` with AWS's status codes.
 * Binds 127.0.0.1 on an ephemeral port. Faults can be injected for throttling, 5xx, latency and hangs.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeAwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface FakeAwsSecret {
  arn: string;
  name: string;
  description?: string;
  tags: { Key: string; Value: string }[];
  value?: string;
  binary?: string;
  versionId: string;
  created: number;
  lastChanged: number;
  deleted?: number;
}

export type AwsFault =
  | { kind: 'throttle'; count: number; target?: string }
  | { kind: 'server-error'; count: number; status?: number; target?: string }
  | { kind: 'latency'; count: number; ms: number; target?: string }
  | { kind: 'hang'; count: number; target?: string }
  | { kind: 'access-denied'; count: number; target?: string };

export interface FakeAwsOptions {
  credentials?: FakeAwsCredentials[];
  region?: string;
  accountId?: string;
}

export interface FakeAwsSecretsManager {
  url: string;
  region: string;
  credentials: FakeAwsCredentials[];
  secrets: Map<string, FakeAwsSecret>;
  requests: { target: string; accessKeyId?: string; body: Record<string, unknown> }[];
  /** Adds a secret directly (as an admin would in the console), bypassing the API. */
  seed(name: string, value: string | undefined, tags?: Record<string, string>, description?: string): FakeAwsSecret;
  writeRequests(): number;
  count(target: string): number;
  inject(fault: AwsFault): void;
  close(): Promise<void>;
}

export const WRITE_TARGETS = new Set([
  'CreateSecret',
  'PutSecretValue',
  'DeleteSecret',
  'TagResource',
  'UntagResource',
  'UpdateSecret',
  'RestoreSecret',
]);
const PAGE_MAX = 100;

class AwsFailure extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const notFound = () => new AwsFailure(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");

export async function startAwsSecretsManager(options: FakeAwsOptions = {}): Promise<FakeAwsSecretsManager> {
  const region = options.region ?? 'eu-west-1';
  const accountId = options.accountId ?? '123456789012';
  const credentials = options.credentials ?? [{ accessKeyId: 'AKIAFAKEFAKEFAKE0001', secretAccessKey: 'fake-secret-access-key' }];
  const secrets = new Map<string, FakeAwsSecret>();
  const requests: FakeAwsSecretsManager['requests'] = [];
  const faults: AwsFault[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const now = () => Date.now() / 1000;

  const makeSecret = (name: string, value: string | undefined, tags: Record<string, string>, description?: string): FakeAwsSecret => {
    listingCache.clear();
    const suffix = randomBytes(3).toString('hex');
    const secret: FakeAwsSecret = {
      arn: `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${suffix}`,
      name,
      description,
      tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      value,
      versionId: randomBytes(16).toString('hex'),
      created: now(),
      lastChanged: now(),
    };
    secrets.set(name, secret);
    return secret;
  };

  const find = (id: unknown): FakeAwsSecret | undefined => {
    if (typeof id !== 'string') return undefined;
    return secrets.get(id) ?? [...secrets.values()].find((secret) => secret.arn === id);
  };
  const findLive = (id: unknown): FakeAwsSecret => {
    const secret = find(id);
    if (!secret) throw notFound();
    if (secret.deleted)
      throw new AwsFailure(
        400,
        'InvalidRequestException',
        "You can't perform this operation on the secret because it was marked for deletion.",
      );
    return secret;
  };
  const mergeTags = (secret: FakeAwsSecret, tags: unknown) => {
    for (const tag of (tags as { Key: string; Value: string }[] | undefined) ?? []) {
      const existing = secret.tags.find((t) => t.Key === tag.Key);
      if (existing) existing.Value = tag.Value;
      else secret.tags.push({ Key: tag.Key, Value: tag.Value });
    }
  };
  const describe = (secret: FakeAwsSecret) => ({
    ARN: secret.arn,
    Name: secret.name,
    ...(secret.description !== undefined ? { Description: secret.description } : {}),
    LastChangedDate: secret.lastChanged,
    CreatedDate: secret.created,
    ...(secret.deleted ? { DeletedDate: secret.deleted } : {}),
    Tags: secret.tags.map((tag) => ({ ...tag })),
    SecretVersionsToStages: { [secret.versionId]: ['AWSCURRENT'] },
  });

  /** Listings by filter, so paging through 10,000 secrets doesn't refilter them per page; cleared on writes. */
  const listingCache = new Map<string, FakeAwsSecret[]>();
  const operations: Record<string, (body: Record<string, unknown>) => unknown> = {
    ListSecrets(body) {
      const max = body.MaxResults === undefined ? PAGE_MAX : Number(body.MaxResults);
      if (!Number.isInteger(max) || max < 1 || max > PAGE_MAX)
        throw new AwsFailure(
          400,
          'ValidationException',
          "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100",
        );
      const filters = (body.Filters as { Key: string; Values: string[] }[] | undefined) ?? [];
      const cacheKey = JSON.stringify([filters, Boolean(body.IncludePlannedDeletion)]);
      const cached = listingCache.get(cacheKey);
      const matching =
        cached ??
        [...secrets.values()].filter(
          (secret) => (body.IncludePlannedDeletion || !secret.deleted) && filters.every((filter) => matchesFilter(secret, filter)),
        );
      listingCache.set(cacheKey, matching);
      const start = body.NextToken === undefined ? 0 : decodeToken(body.NextToken);
      const page = matching.slice(start, start + max);
      const next = start + max < matching.length ? Buffer.from(JSON.stringify({ offset: start + max })).toString('base64') : undefined;
      return { SecretList: page.map(describe), ...(next ? { NextToken: next } : {}) };
    },
    DescribeSecret(body) {
      const secret = find(body.SecretId);
      if (!secret) throw notFound();
      return describe(secret);
    },
    GetSecretValue(body) {
      const secret = findLive(body.SecretId);
      if (secret.value === undefined && secret.binary === undefined)
        throw new AwsFailure(
          400,
          'ResourceNotFoundException',
          "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
        );
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: secret.versionId,
        ...(secret.value !== undefined ? { SecretString: secret.value } : { SecretBinary: secret.binary }),
        VersionStages: ['AWSCURRENT'],
        CreatedDate: secret.lastChanged,
      };
    },
    CreateSecret(body) {
      const name = body.Name;
      if (typeof name !== 'string' || !/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name))
        throw new AwsFailure(
          400,
          'ValidationException',
          'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
        );
      const existing = secrets.get(name);
      if (existing?.deleted)
        throw new AwsFailure(
          400,
          'InvalidRequestException',
          "You can't create this secret because a secret with this name is already scheduled for deletion.",
        );
      if (existing) throw new AwsFailure(400, 'ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
      const secret = makeSecret(name, body.SecretString as string | undefined, {}, body.Description as string | undefined);
      mergeTags(secret, body.Tags);
      return { ARN: secret.arn, Name: secret.name, VersionId: secret.versionId };
    },
    PutSecretValue(body) {
      const secret = findLive(body.SecretId);
      secret.value = body.SecretString as string;
      secret.versionId = randomBytes(16).toString('hex');
      secret.lastChanged = now();
      return { ARN: secret.arn, Name: secret.name, VersionId: secret.versionId, VersionStages: ['AWSCURRENT'] };
    },
    UpdateSecret(body) {
      const secret = findLive(body.SecretId);
      if (body.Description !== undefined) secret.description = body.Description as string;
      if (body.SecretString !== undefined) {
        secret.value = body.SecretString as string;
        secret.versionId = randomBytes(16).toString('hex');
      }
      secret.lastChanged = now();
      return { ARN: secret.arn, Name: secret.name, ...(body.SecretString !== undefined ? { VersionId: secret.versionId } : {}) };
    },
    TagResource(body) {
      mergeTags(findLive(body.SecretId), body.Tags);
      return {};
    },
    UntagResource(body) {
      const secret = findLive(body.SecretId);
      const keys = new Set((body.TagKeys as string[] | undefined) ?? []);
      secret.tags = secret.tags.filter((tag) => !keys.has(tag.Key));
      return {};
    },
    DeleteSecret(body) {
      const secret = find(body.SecretId);
      if (!secret) throw notFound();
      if (body.ForceDeleteWithoutRecovery) secrets.delete(secret.name);
      else secret.deleted = now() + 86400 * Number(body.RecoveryWindowInDays ?? 30);
      return { ARN: secret.arn, Name: secret.name, DeletionDate: secret.deleted ?? now() };
    },
    RestoreSecret(body) {
      const secret = find(body.SecretId);
      if (!secret) throw notFound();
      delete secret.deleted;
      return { ARN: secret.arn, Name: secret.name };
    },
  };

  const takeFault = (target: string): AwsFault | undefined => {
    const index = faults.findIndex((fault) => fault.count > 0 && (!fault.target || fault.target === target));
    if (index < 0) return undefined;
    const fault = faults[index] as AwsFault;
    fault.count--;
    if (fault.count === 0) faults.splice(index, 1);
    return fault;
  };

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void handle(request, Buffer.concat(chunks), response);
    });
  });

  const reply = (response: http.ServerResponse, status: number, body: unknown) => {
    if (response.destroyed) return;
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'Content-Type': 'application/x-amz-json-1.1',
      'Content-Length': Buffer.byteLength(text),
      'x-amzn-RequestId': randomBytes(16).toString('hex'),
    });
    response.end(text);
  };
  const fail = (response: http.ServerResponse, failure: AwsFailure) =>
    reply(response, failure.status, { __type: failure.type, message: failure.message, Message: failure.message });

  async function handle(request: http.IncomingMessage, raw: Buffer, response: http.ServerResponse) {
    const targetHeader = String(request.headers['x-amz-target'] ?? '');
    const target = targetHeader.startsWith('secretsmanager.') ? targetHeader.slice('secretsmanager.'.length) : targetHeader;
    let body: Record<string, unknown> = {};
    try {
      body = raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      return fail(response, new AwsFailure(400, 'SerializationException', 'Malformed JSON body'));
    }
    const auth = verifySignature(request, raw, credentials);
    requests.push({ target, accessKeyId: auth.accessKeyId, body });
    if (request.method !== 'POST' || request.url !== '/')
      return fail(response, new AwsFailure(404, 'UnknownOperationException', 'Unknown operation'));
    if (!String(request.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1'))
      return fail(response, new AwsFailure(400, 'SerializationException', 'Unexpected content type'));
    if (auth.failure) return fail(response, auth.failure);

    const fault = takeFault(target);
    if (fault?.kind === 'hang') return; // never answers; the client's timeout must fire
    if (fault?.kind === 'latency') await new Promise((resolve) => setTimeout(resolve, fault.ms));
    if (fault?.kind === 'throttle') return fail(response, new AwsFailure(400, 'ThrottlingException', 'Rate exceeded'));
    if (fault?.kind === 'server-error')
      return fail(response, new AwsFailure(fault.status ?? 500, 'InternalServiceError', 'An error occurred on the server side.'));
    if (fault?.kind === 'access-denied')
      return fail(
        response,
        new AwsFailure(
          400,
          'AccessDeniedException',
          `User: arn:aws:iam::${accountId}:user/fake is not authorized to perform: secretsmanager:${target}`,
        ),
      );

    const operation = operations[target];
    if (target !== 'ListSecrets') listingCache.clear();
    if (!operation) return fail(response, new AwsFailure(400, 'UnknownOperationException', `Unknown operation ${targetHeader}`));
    try {
      reply(response, 200, operation(body));
    } catch (error) {
      if (error instanceof AwsFailure) return fail(response, error);
      reply(response, 500, { __type: 'InternalServiceError', message: 'fake failure' });
    }
  }

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    region,
    credentials,
    secrets,
    requests,
    seed: (name, value, tags = {}, description) => makeSecret(name, value, tags, description),
    writeRequests: () => requests.filter((entry) => WRITE_TARGETS.has(entry.target)).length,
    count: (target) => requests.filter((entry) => entry.target === target).length,
    inject: (fault) => void faults.push({ ...fault }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function decodeToken(token: unknown): number {
  try {
    const offset = (JSON.parse(Buffer.from(String(token), 'base64').toString('utf8')) as { offset: unknown }).offset;
    if (typeof offset === 'number' && offset >= 0) return offset;
  } catch {
    // fall through
  }
  throw new AwsFailure(400, 'InvalidNextTokenException', 'The NextToken value is invalid.');
}

/** AWS filter semantics: values are prefix matches (a leading `!` negates), OR within a filter. */
function matchesFilter(secret: FakeAwsSecret, filter: { Key: string; Values: string[] }): boolean {
  const candidates = (): string[] => {
    switch (filter.Key) {
      case 'name':
        return [secret.name];
      case 'description':
        return secret.description ? [secret.description] : [];
      case 'tag-key':
        return secret.tags.map((tag) => tag.Key);
      case 'tag-value':
        return secret.tags.map((tag) => tag.Value);
      case 'all':
        return [secret.name, secret.description ?? '', ...secret.tags.flatMap((tag) => [tag.Key, tag.Value])];
      default:
        throw new AwsFailure(400, 'ValidationException', `Invalid filter key ${filter.Key}`);
    }
  };
  const values = candidates();
  return filter.Values.some((wanted) =>
    wanted.startsWith('!') ? !values.some((value) => value.startsWith(wanted.slice(1))) : values.some((value) => value.startsWith(wanted)),
  );
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** Verifies a SigV4 `Authorization` header against the known credentials. */
function verifySignature(
  request: http.IncomingMessage,
  body: Buffer,
  credentials: FakeAwsCredentials[],
): { accessKeyId?: string; failure?: AwsFailure } {
  const header = String(request.headers.authorization ?? '');
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      header,
    );
  if (!match) return { failure: new AwsFailure(400, 'IncompleteSignatureException', 'Authorization header requires a SigV4 signature.') };
  const [, accessKeyId, date, region, service, signedHeaders, signature] = match as unknown as string[];
  const known = credentials.find((entry) => entry.accessKeyId === accessKeyId);
  if (!known)
    return {
      accessKeyId,
      failure: new AwsFailure(400, 'UnrecognizedClientException', 'The security token included in the request is invalid.'),
    };
  if (known.sessionToken !== undefined && request.headers['x-amz-security-token'] !== known.sessionToken) {
    return {
      accessKeyId,
      failure: new AwsFailure(400, 'UnrecognizedClientException', 'The security token included in the request is invalid.'),
    };
  }
  const names = (signedHeaders as string).split(';');
  const canonicalHeaders = names
    .map(
      (name) =>
        `${name}:${String(request.headers[name] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const payloadHash = typeof request.headers['x-amz-content-sha256'] === 'string' ? request.headers['x-amz-content-sha256'] : sha256(body);
  const [path, query = ''] = (request.url ?? '/').split('?');
  const canonicalQuery = query.split('&').filter(Boolean).sort().join('&');
  const canonicalRequest = [request.method, path, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${known.secretAccessKey}`, date as string);
  for (const part of [region as string, service as string, 'aws4_request']) key = hmac(key, part);
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  if (expected !== signature) {
    return {
      accessKeyId,
      failure: new AwsFailure(
        400,
        'InvalidSignatureException',
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
      ),
    };
  }
  return { accessKeyId };
}
