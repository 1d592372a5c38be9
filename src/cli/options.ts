/** Argument parsing shared by `check` and `list`, and building the catalog they query. */
import * as path from 'node:path';
import { ConfigError, defaultConfig, loadConfigFile, useServer } from '../core/config';
import { backendFactory } from '../backends/index';
import { SecretCatalog } from '../core/catalog';
import type { KestraSecretsConfig } from '../core/configTypes';
import { findConfigFile, resolveEnvSources, tenantFor } from '../core/setup';
import type { Logger } from '../core/log';
import { serverCredentialsFromEnv } from '../core/serverAuth';
import { untrustedEndpointMessage, untrustedEndpoints } from '../core/trust';
import type { CliIo } from './io';
import { CI_FORMATS, isCiFormat, type CiFormat } from './formats';

export class UsageError extends Error {}

export interface StoreOptions {
  positionals: string[];
  config?: string;
  server?: string;
  tenant?: string;
  envFiles: string[];
  /** The CI formats are `check`'s only; other commands refuse them. */
  format: 'text' | 'json' | CiFormat;
  namespace?: string;
  readValues: boolean;
  /** check: unverified references fail. */
  strict: boolean;
  /** A kestra-secrets.yml found in the workspace may send credentials to the addresses it names (core/trust.ts). */
  trustConfig: boolean;
  help: boolean;
}

export const TRUST_CONFIG_FLAG = '--trust-config';
const VALUE_FLAGS = new Set(['--config', '--server', '--tenant', '--encoded-env', '--format', '--namespace', '-n']);

/**
 * Node.js 20 claims `--env-file` wherever it appears on the command line, script arguments included, and
 * applies the file's NODE_OPTIONS before any of our code runs: a repository's `.env_encoded` could then
 * load code of its choosing. Our option therefore has a name Node does not read.
 */
const NODE_CLAIMED_FLAGS = new Set(['--env-file', '--env-file-if-exists']);

export function parseStoreOptions(argv: string[], allowed: readonly string[]): StoreOptions {
  const options: StoreOptions = {
    positionals: [],
    envFiles: [],
    format: 'text',
    readValues: false,
    strict: false,
    trustConfig: false,
    help: false,
  };
  for (let index = 0; index < argv.length; index++) {
    const [flag, inlineValue] = splitFlag(argv[index]);
    if (!flag.startsWith('-') || flag === '-') {
      options.positionals.push(flag);
      continue;
    }
    if (flag === '-h' || flag === '--help') {
      options.help = true;
      continue;
    }
    if (flag === TRUST_CONFIG_FLAG) {
      options.trustConfig = true;
      continue;
    }
    if (NODE_CLAIMED_FLAGS.has(flag)) {
      throw new UsageError(
        `'${flag}' is an option of Node.js itself, which reads that file before kestra-secrets starts; name an encoded env file with '--encoded-env FILE'.`,
      );
    }
    if (!allowed.includes(flag)) throw new UsageError(`unknown option '${flag}'`);
    if (flag === '--read-values') {
      options.readValues = true;
      continue;
    }
    if (flag === '--strict') {
      options.strict = true;
      continue;
    }
    if (!VALUE_FLAGS.has(flag)) throw new UsageError(`unknown option '${flag}'`);
    const value = inlineValue ?? argv[++index];
    if (value === undefined) throw new UsageError(`option '${flag}' needs a value`);
    applyValue(options, flag, value);
  }
  return options;
}

function splitFlag(arg: string): [string, string | undefined] {
  const equals = arg.indexOf('=');
  return arg.startsWith('--') && equals > 0 ? [arg.slice(0, equals), arg.slice(equals + 1)] : [arg, undefined];
}

function applyValue(options: StoreOptions, flag: string, value: string): void {
  switch (flag) {
    case '--config':
      options.config = value;
      break;
    case '--server':
      options.server = value;
      break;
    case '--tenant':
      options.tenant = value;
      break;
    case '--encoded-env':
      options.envFiles.push(value);
      break;
    case '--namespace':
    case '-n':
      options.namespace = value;
      break;
    case '--format':
      if (value !== 'text' && value !== 'json' && !isCiFormat(value)) {
        throw new UsageError(`--format must be one of text, json, ${CI_FORMATS.join(', ')}; not '${value}'`);
      }
      options.format = value;
      break;
  }
}

/** The PATHs a command works on (absolute); default: the working directory. */
export function targetsOf(options: StoreOptions, io: CliIo): string[] {
  const roots = options.positionals.length > 0 ? options.positionals : ['.'];
  return roots.map((root) => path.resolve(io.cwd, root));
}

/**
 * --config, else the nearest kestra-secrets.yml from PATH up to the repository root (core/setup.ts, as
 * the editor finds it), else Kestra's env secrets; --server overrides the server block.
 */
export async function resolveConfig(options: StoreOptions, io: CliIo): Promise<KestraSecretsConfig> {
  const configFile = options.config ? path.resolve(io.cwd, options.config) : findConfigFile(targetsOf(options, io), io.cwd);
  const config = configFile ? await loadConfigFile(configFile, process.env) : defaultConfig();
  if (configFile && !options.config && !options.trustConfig) refuseUntrustedEndpoints(config, configFile, options.server !== undefined);
  if (options.server) {
    if (!/^https?:\/\//.test(options.server))
      throw new ConfigError('--server', `--server: expected an http(s) URL, got '${options.server}'`);
    // The server reports its own read-only state; the env default's `readOnly: true` must not leak in.
    config.secret = { ...config.secret, type: 'kestra-server', readOnly: false };
    useServer(config, { url: options.server, tenant: tenantFor(config, options.tenant) });
  } else if (options.tenant && config.server) {
    useServer(config, { ...config.server, tenant: options.tenant });
  }
  return config;
}

/** A discovered file must not send the environment's credentials to an address it chooses (core/trust.ts). */
function refuseUntrustedEndpoints(config: KestraSecretsConfig, configFile: string, serverGiven: boolean): void {
  // `--server URL` replaces the file's server block: that address is the user's own.
  const endpoints = untrustedEndpoints(config, process.env).filter((endpoint) => !(serverGiven && endpoint.path === 'server.url'));
  if (endpoints.length > 0) throw new ConfigError(endpoints[0].path, untrustedEndpointMessage(configFile, endpoints));
}

export function createCliCatalog(config: KestraSecretsConfig, options: StoreOptions, io: CliIo): SecretCatalog {
  const serverCredentials = serverCredentialsFromEnv(process.env);
  const sources = resolveEnvSources({
    targets: targetsOf(options, io),
    boundary: io.cwd,
    configuredEnvFiles: options.envFiles.map((file) => path.resolve(io.cwd, file)),
  });
  return new SecretCatalog(
    config,
    {
      log: stderrLogger(io),
      tenant: tenantFor(config),
      credentials: config.server ? serverCredentials : undefined,
      readValuesForSubkeys: options.readValues,
      env: process.env,
    },
    {
      factory: backendFactory({
        envSources: {
          workspaceRoots: sources.displayRoots,
          composeFiles: sources.composeFiles,
          envFiles: sources.envFiles,
          includeProcessEnv: true,
        },
      }),
    },
  );
}

/** Warnings and errors only: the CLI's stdout carries results. Never receives a secret value. */
function stderrLogger(io: CliIo): Logger {
  const write = (level: string) => (message: string) => io.stderr.write(`kestra-secrets: ${level}: ${message}\n`);
  const verbose = process.env.KESTRA_SECRETS_DEBUG === '1';
  const quiet = () => undefined;
  return {
    trace: quiet,
    debug: verbose ? write('debug') : quiet,
    info: verbose ? write('info') : quiet,
    warn: write('warning'),
    error: write('error'),
  };
}

/** Maps the errors of a check/list run to the documented exit codes. */
export function reportFailure(error: unknown, io: CliIo): number {
  if (error instanceof UsageError) {
    io.stderr.write(`kestra-secrets: ${error.message}\nRun 'kestra-secrets --help' for usage.\n`);
    return 2;
  }
  if (error instanceof ConfigError) {
    io.stderr.write(`kestra-secrets: configuration error: ${error.message}\n`);
    return 2;
  }
  io.stderr.write(`kestra-secrets: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
}
