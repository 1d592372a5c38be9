/**
 * The table of command ids, the view id, context keys and tree item context values
 * (src/extension/contributions.ts) against package.json: nothing contributed that the code does not
 * know, nothing in the code that package.json does not contribute, no `when` clause naming an id of
 * ours that nobody sets, and no id of ours spelled out anywhere in src/ but in the table.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMMANDS, CONTEXT_KEYS, secretContextValue, TREE_ITEM_CONTEXT, VIEW_ID } from '../../../src/extension/contributions';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const OURS = /^kestraSecrets\./;

interface MenuItem {
  command: string;
  when?: string;
}

interface Manifest {
  activationEvents: string[];
  contributes: {
    commands: { command: string }[];
    menus: Record<string, MenuItem[]>;
    keybindings?: MenuItem[];
    views: Record<string, { id: string }[]>;
    viewsWelcome: { view: string; contents: string }[];
  };
}

/** One comparison or bare key of a `when` clause: `key`, `key == value`, `key != value`, `key =~ /regex/`. */
interface WhenTerm {
  key: string;
  operator?: '==' | '!=' | '=~';
  value?: string;
}

const TERM = /(!?)([A-Za-z_][\w.]*)\s*(?:(==|!=|=~)\s*(\/(?:\\.|[^/\\])*\/[a-z]*|[^\s&|)]+))?/g;

function whenTerms(clause: string): WhenTerm[] {
  return [...clause.matchAll(TERM)]
    .filter((match) => !['true', 'false'].includes(match[2]))
    .map((match) => ({ key: match[2], operator: match[3] as WhenTerm['operator'], value: match[4] }));
}

function regexOf(literal: string): RegExp {
  const end = literal.lastIndexOf('/');
  return new RegExp(literal.slice(1, end), literal.slice(end + 1));
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(file);
    return entry.name.endsWith('.ts') ? [file] : [];
  });
}

describe('contributions: the table of ids against package.json', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;
  const commandIds = new Set<string>(Object.values(COMMANDS));
  const contextKeys = new Set<string>(Object.values(CONTEXT_KEYS));
  const menuItems = [...Object.values(manifest.contributes.menus).flat(), ...(manifest.contributes.keybindings ?? [])];
  const whenClauses = menuItems.flatMap((item) => (item.when ? [item.when] : []));
  const terms = whenClauses.flatMap(whenTerms);
  /** Every context value a Secrets view item can carry. */
  const itemContextValues = new Set<string>([
    ...Object.values(TREE_ITEM_CONTEXT),
    ...[true, false].flatMap((readOnly) => [true, false].map((canReveal) => secretContextValue({ readOnly, canReveal }))),
  ]);

  it('contributes exactly the commands of the table', () => {
    const contributed = manifest.contributes.commands.map((command) => command.command);
    assert.equal(new Set(contributed).size, contributed.length, 'a command is contributed twice');
    assert.deepEqual(new Set(contributed), commandIds);
  });

  it('puts only commands of the table in menus, keybindings and welcome links', () => {
    for (const item of menuItems) assert.ok(commandIds.has(item.command), `${item.command} is in a menu but not in COMMANDS`);
    const links = manifest.contributes.viewsWelcome.flatMap((welcome) =>
      [...welcome.contents.matchAll(/\(command:([\w.]+)/g)].map((m) => m[1]),
    );
    assert.ok(links.length > 0);
    for (const link of links.filter((id) => OURS.test(id))) assert.ok(commandIds.has(link), `${link} is linked but not in COMMANDS`);
  });

  it('contributes the view of the table, which is what menus compare `view` with', () => {
    const views = Object.values(manifest.contributes.views)
      .flat()
      .map((view) => view.id);
    assert.deepEqual(views, [VIEW_ID]);
    assert.ok(manifest.activationEvents.includes(`onView:${VIEW_ID}`));
    for (const welcome of manifest.contributes.viewsWelcome) assert.equal(welcome.view, VIEW_ID);
    for (const term of terms.filter((candidate) => candidate.key === 'view')) assert.equal(term.value, VIEW_ID, `view == ${term.value}`);
  });

  it('reads in when clauses only context keys of the table, and reads every one of them', () => {
    const ours = terms.filter((term) => OURS.test(term.key)).map((term) => term.key);
    for (const key of ours) assert.ok(contextKeys.has(key), `when clause reads ${key}, which the code never sets`);
    for (const key of contextKeys) assert.ok(ours.includes(key), `${key} is set but no when clause reads it`);
  });

  it('matches in `viewItem` only context values the Secrets view gives its items', () => {
    const viewItemTerms = terms.filter((term) => term.key === 'viewItem');
    assert.ok(viewItemTerms.length > 0);
    for (const term of viewItemTerms) {
      assert.ok(term.value, `viewItem without a value in ${JSON.stringify(term)}`);
      if (term.operator === '=~') {
        const pattern = regexOf(term.value);
        assert.ok(
          [...itemContextValues].some((value) => pattern.test(value)),
          `viewItem =~ ${term.value} matches no item`,
        );
      } else {
        assert.ok(itemContextValues.has(term.value), `viewItem ${term.operator} ${term.value} names no item's context value`);
      }
    }
  });

  it('sets every context key of the table through the table, and no other', () => {
    const sources = sourceFiles(path.join(ROOT, 'src')).map((file) => fs.readFileSync(file, 'utf8'));
    const setKeys = sources.flatMap((text) => [...text.matchAll(/'setContext',\s*([^,]+),/g)].map((match) => match[1].trim()));
    assert.ok(setKeys.length > 0);
    for (const key of setKeys) assert.match(key, /^CONTEXT_KEYS\.\w+$/, `setContext with ${key}`);
    const names = new Set(setKeys.map((key) => key.slice('CONTEXT_KEYS.'.length)));
    assert.deepEqual(names, new Set(Object.keys(CONTEXT_KEYS)));
  });

  it('registers a handler for every command of the table, once', () => {
    const sources = sourceFiles(path.join(ROOT, 'src')).map((file) => fs.readFileSync(file, 'utf8'));
    const registered = sources.flatMap((text) =>
      [...text.matchAll(/\[COMMANDS\.(\w+)\]:|registerCommand\(\s*COMMANDS\.(\w+)/g)].map((match) => match[1] ?? match[2]),
    );
    assert.deepEqual([...registered].sort(), Object.keys(COMMANDS).sort());
  });

  it('spells command ids, the view id and context keys only in the table', () => {
    const ids = [...commandIds, ...contextKeys, VIEW_ID];
    const table = path.join(ROOT, 'src', 'extension', 'contributions.ts');
    for (const file of sourceFiles(path.join(ROOT, 'src')).filter((candidate) => candidate !== table)) {
      const text = fs.readFileSync(file, 'utf8');
      for (const id of ids) {
        assert.ok(!text.includes(`'${id}'`) && !text.includes(`"${id}"`), `${path.relative(ROOT, file)} spells '${id}'`);
      }
    }
  });
});

describe('contributions: when clause terms', () => {
  it('reads keys, comparisons and regular expressions', () => {
    assert.deepEqual(whenTerms('view == kestraSecrets.secrets && viewItem =~ /^secret\\b.*\\bwritable\\b/ && !editorReadonly'), [
      { key: 'view', operator: '==', value: 'kestraSecrets.secrets' },
      { key: 'viewItem', operator: '=~', value: '/^secret\\b.*\\bwritable\\b/' },
      { key: 'editorReadonly', operator: undefined, value: undefined },
    ]);
    assert.deepEqual(whenTerms('false'), []);
  });
});
