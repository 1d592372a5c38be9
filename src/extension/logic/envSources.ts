/**
 * The env store's sources for the editor: the same resolution as the CLI's (Compose files from each workspace
 * folder up to the repository root, the configured files, else every `.env_encoded` or its names-only stand-in),
 * confined to the workspace folders when the workspace is not trusted, and the files to watch. It reads and parses
 * the Compose files, tens of milliseconds of work, once: the env store takes them parsed (`composeProjects`), so the
 * editor's thread parses no YAML when the editor asks a worker for this (flowAnalyzer.ts).
 */
import * as path from 'node:path';
import { describeEnvSources, parseComposeProjects, type EnvSources } from '../../backends/env';
import { isInside, resolveEnvSources } from '../../core/setup';

export interface EditorEnvSourceRequest {
  /** The local workspace folders (absolute). */
  roots: string[];
  /** `kestraSecrets.envFiles` as found in the workspace (absolute). */
  configuredEnvFiles: string[];
  trusted: boolean;
}

export interface EditorEnvSources {
  envSources: EnvSources;
  /** Every file whose change changes what the env store knows (describeEnvSources). */
  watched: string[];
}

export function resolveEditorEnvSources(request: EditorEnvSourceRequest, env: NodeJS.ProcessEnv = process.env): EditorEnvSources {
  const { roots, trusted } = request;
  const base: EnvSources = { workspaceRoots: roots, envFiles: [], includeProcessEnv: false };
  const sources = roots.map((root) =>
    resolveEnvSources({ targets: [root], boundary: root, configuredEnvFiles: request.configuredEnvFiles }),
  );
  // Untrusted: the upward search may leave the workspace folder (a repository above it); read nothing there.
  const allowed = (file: string) => trusted || roots.some((root) => isInside(file, root));
  const composeFiles = [...new Set(sources.flatMap((source) => source.composeFiles))].filter(allowed);
  const composeProjects = parseComposeProjects({ ...base, composeFiles }, env);
  const fromCompose = new Set(describeEnvSources({ ...base, composeFiles, composeProjects }, env).map((file) => path.resolve(file)));
  const envFiles = [...new Set(sources.flatMap((source) => source.envFiles))].filter(
    (file) => !fromCompose.has(path.resolve(file)) && allowed(file),
  );
  const displayRoots = [...new Set([...roots, ...sources.flatMap((source) => source.displayRoots)])];
  const envSources: EnvSources = { ...base, workspaceRoots: displayRoots, composeFiles, composeProjects, envFiles };
  if (!trusted) envSources.confineToFolders = roots;
  return { envSources, watched: describeEnvSources(envSources, env) };
}
