/** Kestra namespace helpers: validity and the child-first inheritance chain. */

const NAMESPACE_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
const MAX_NAMESPACE_LENGTH = 150;

/** Kestra's rule: lower-case letters, digits, `.`, `_`, `-`, starting with a letter or digit, at most 150 chars. */
export function isValidNamespace(ns: string): boolean {
  return ns.length <= MAX_NAMESPACE_LENGTH && NAMESPACE_PATTERN.test(ns);
}

/** The namespace then each parent, nearest first: "a.b.c" → ["a.b.c", "a.b", "a"]. */
export function namespaceChain(ns: string): string[] {
  const chain: string[] = [];
  for (let current = ns; current !== ''; current = parentOf(current)) {
    chain.push(current);
  }
  return chain;
}

function parentOf(ns: string): string {
  const lastDot = ns.lastIndexOf('.');
  return lastDot < 0 ? '' : ns.slice(0, lastDot);
}
