import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { z } from 'zod';
import * as contract from './index.js';

/**
 * The API contract is one module that the server, the web app, the CLI and the tests share. These
 * checks keep it that way: the contract stays loadable in a browser, the browser bundle needs
 * nothing from Node, the CLI keeps zod out of its start-up, and nobody types a server answer by
 * hand again (a copy that drifts is how the web app once read fields the server never sent).
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface ImportEdge {
  specifier: string;
  /** `import type` and `export type`: erased, so nothing is loaded at run time. */
  typeOnly: boolean;
}

function importsOf(file: string): ImportEdge[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const edges: ImportEdge[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const everyNameTypeOnly =
        clause !== undefined &&
        clause.name === undefined &&
        clause.namedBindings !== undefined &&
        ts.isNamedImports(clause.namedBindings) &&
        clause.namedBindings.elements.length > 0 &&
        clause.namedBindings.elements.every((element) => element.isTypeOnly);
      edges.push({
        specifier: node.moduleSpecifier.text,
        typeOnly: clause?.phaseModifier === ts.SyntaxKind.TypeKeyword || everyNameTypeOnly,
      });
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      edges.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      edges.push({ specifier: node.arguments[0].text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

/** The source file a relative specifier names (`./keys.js` is `./keys.ts` or `./keys.tsx`). */
function resolveRelative(from: string, specifier: string): string {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [
    base.replace(/\.js$/, '.ts'),
    base.replace(/\.js$/, '.tsx'),
    base,
    `${base}.ts`,
    `${base}.tsx`,
  ]) {
    if (existsSync(candidate) && !candidate.endsWith('/')) return candidate;
  }
  throw new Error(`${relative(root, from)} imports ${specifier}, which does not exist`);
}

/** Every file loaded at run time from `entry`, and every package specifier they load. */
function runtimeGraph(entry: string): { files: Set<string>; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const pending = [entry];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    if (!/\.tsx?$/.test(file)) continue;
    for (const edge of importsOf(file)) {
      if (edge.typeOnly) continue;
      if (edge.specifier.startsWith('.')) pending.push(resolveRelative(file, edge.specifier));
      else packages.set(edge.specifier, relative(root, file));
    }
  }
  return { files, packages };
}

function sourceFiles(folder: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist') found.push(...sourceFiles(path));
    } else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      found.push(path);
    }
  }
  return found;
}

/** The field names of every object the contract describes, at any depth, by where it sits. */
function contractObjects(): { name: string; fields: Set<string> }[] {
  const objects: { name: string; fields: Set<string> }[] = [];
  const seen = new Set<z.ZodType>();
  const walk = (schema: z.ZodType, name: string): void => {
    if (seen.has(schema)) return;
    seen.add(schema);
    const def = schema._zod.def as unknown as Record<string, unknown>;
    if (schema instanceof z.ZodObject) {
      const shape = schema.shape as Record<string, z.ZodType>;
      objects.push({ name, fields: new Set(Object.keys(shape)) });
      for (const [field, inner] of Object.entries(shape)) walk(inner, `${name}.${field}`);
      return;
    }
    for (const key of ['element', 'innerType', 'in', 'out']) {
      if (def[key] instanceof z.ZodType) walk(def[key], name);
    }
    if (Array.isArray(def.options)) {
      for (const option of def.options as unknown[]) {
        if (option instanceof z.ZodType) walk(option, name);
      }
    }
  };
  for (const [name, value] of Object.entries(contract)) {
    if (value instanceof z.ZodType) walk(value, name);
  }
  return objects;
}

interface HandWrittenShape {
  where: string;
  fields: string[];
  copies: string;
}

/**
 * Object types declared outside the contract whose fields (three or more) are all fields of one
 * object the contract describes: a hand-written copy of a server shape, whole or in part.
 */
function handWrittenCopies(files: readonly string[]): HandWrittenShape[] {
  const objects = contractObjects();
  const copies: HandWrittenShape[] = [];
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
    const visit = (node: ts.Node): void => {
      if (ts.isInterfaceDeclaration(node) || ts.isTypeLiteralNode(node)) {
        const fields = node.members
          .filter((member) => ts.isPropertySignature(member))
          .map((member) => member.name.getText(source).replace(/^['"]|['"]$/g, ''));
        const copied =
          fields.length >= 3
            ? objects.find((object) => fields.every((field) => object.fields.has(field)))
            : undefined;
        if (copied) {
          const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
          copies.push({
            where: `${relative(root, file)}:${line + 1}`,
            fields,
            copies: copied.name,
          });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return copies;
}

describe('the API contract (src/api)', () => {
  it('loads in a browser: nothing but zod and other Node-free source', () => {
    const { files, packages } = runtimeGraph(join(root, 'src/api/index.ts'));
    assert.deepEqual([...packages.keys()], ['zod']);
    const outside = [...files]
      .map((file) => relative(root, file))
      .filter((file) => !file.startsWith('src/api/') && !file.startsWith('src/text/'));
    assert.deepEqual(outside, [], 'the contract reaches into server, database or CLI code');
  });

  it('gives the web app a bundle that needs nothing from Node', () => {
    const { packages } = runtimeGraph(join(root, 'web/src/main.tsx'));
    const nodeOnly = [...packages].filter(
      ([specifier]) => specifier.startsWith('node:') || specifier === 'buffer',
    );
    assert.deepEqual(nodeOnly, []);
  });

  it('stays out of the CLI start-up: the CLI imports its types only', () => {
    const runtimeImports = sourceFiles(join(root, 'src/cli')).flatMap((file) =>
      importsOf(file)
        .filter((edge) => !edge.typeOnly && edge.specifier.startsWith('.'))
        .map((edge) => relative(root, resolveRelative(file, edge.specifier)))
        .filter((target) => target.startsWith('src/api/'))
        .map((target) => `${relative(root, file)} -> ${target}`),
    );
    assert.deepEqual(runtimeImports, []);
  });

  it('is the only description of a server answer: no hand-written copies in clients or tests', () => {
    const clients = [
      ...sourceFiles(join(root, 'web/src')),
      ...sourceFiles(join(root, 'src/cli')),
      ...sourceFiles(join(root, 'test')),
      ...sourceFiles(join(root, 'src')).filter(
        (file) => file.endsWith('.test.ts') && !file.startsWith(join(root, 'src/api/')),
      ),
    ];
    assert.deepEqual(handWrittenCopies(clients), []);
  });

  it('notices a copy when one is written', () => {
    // The web app's key summary before it came from the contract: a field short, and drifting.
    const folder = mkdtempSync(join(tmpdir(), 'keyhold-contract-'));
    try {
      const copy = join(folder, 'keys.ts');
      writeFileSync(
        copy,
        [
          'export interface FindMatch {',
          '  accountId: string;',
          '  email: string;',
          '  keys: { id: string; shortId: string; protectorId: string; deviceName: string }[];',
          '}',
        ].join('\n'),
      );
      // Both the match and the key inside it are copies, each named by its line.
      const lines = handWrittenCopies([copy]).map((shape) => shape.where.split(':').at(-1));
      assert.deepEqual(lines, ['1', '4']);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
