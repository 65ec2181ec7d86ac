import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import type { ReadmeBlock } from './extract.js';

/** A README block written out as a module, with what it takes from the prelude and the other blocks. */
export interface GeneratedBlock {
  block: ReadmeBlock;
  path: string;
  /** Lines added before the block's first line (imports, the fragment's wrapper). */
  offset: number;
}

const PRELUDE = join(import.meta.dirname, 'prelude.ts');
const FRAGMENT_SCOPE = join(import.meta.dirname, 'fragment-scope.ts');

/**
 * Writes each block to `outDir` as `<file>` (a block named `// order.process.ts`; a test file
 * `x.spec.ts` as `x.spec.example.ts`) or `block-<line>.ts`.
 * A block gets, as imports, every name it uses without declaring or importing it, from: the named
 * blocks' exports (the README's own files), then `prelude.ts` (the app's stand-ins: its other
 * messages, handlers, services and variables). A fragment is compiled inside an async function body
 * (its imports hoisted, `export` dropped) and may also use the names of `fragment-scope.ts` (the
 * library's and Nest's, which a fragment does not import).
 */
export function generateBlocks(blocks: readonly ReadmeBlock[], outDir: string): GeneratedBlock[] {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const named = new Map<string, string>();
  const types = new Set<string>();
  const exportsOf = (code: string): Set<string> => {
    const names = topLevelNames(code);
    for (const name of names.types) types.add(name);
    return names.exported;
  };
  for (const block of blocks) {
    if (!block.file) continue;
    for (const name of exportsOf(block.code)) named.set(name, `./${block.file.replace(/\.ts$/, '.js')}`);
  }
  const prelude = exportsOf(readFileSync(PRELUDE, 'utf8'));
  const fragmentScope = exportsOf(readFileSync(FRAGMENT_SCOPE, 'utf8'));
  return blocks.map((block) => {
    const own = topLevelNames(block.code);
    const file = block.file ?? `block-${block.line}.ts`;
    const path = join(outDir, outputName(file));
    const used = identifiers(block.code);
    const wanted = (name: string) => used.has(name) && !own.declared.has(name);
    // Each missing name from the first scope that has it: the README's own files, the prelude, then
    // (fragments only) the library's and Nest's names.
    const self = `./${file.replace(/\.ts$/, '.js')}`;
    const modulePath = (target: string) => `./${relative(outDir, target).replace(/\.ts$/, '.js')}`;
    const scopes: (readonly [Iterable<string>, (name: string) => string])[] = [
      [named.keys(), (name) => named.get(name)!],
      [prelude, () => modulePath(PRELUDE)],
      ...(block.fragment ? [[fragmentScope, () => modulePath(FRAGMENT_SCOPE)] as const] : []),
    ];
    const sources = new Map<string, string[]>();
    const taken = new Set<string>();
    for (const [names, sourceOf] of scopes) {
      for (const name of names) {
        const from = sourceOf(name);
        if (!wanted(name) || taken.has(name) || from === self) continue;
        taken.add(name);
        sources.set(from, [...(sources.get(from) ?? []), types.has(name) ? `type ${name}` : name]);
      }
    }
    const header = [...sources].map(([from, names]) => `import { ${names.join(', ')} } from '${from}';`);
    let body = block.code;
    if (block.fragment) {
      const { imports, rest } = splitImports(block.code);
      header.push(...imports);
      body = `export async function readmeFragment(): Promise<void> {\n${rest.replace(/^export /gm, '')}\n}`;
    }
    writeFileSync(path, `${header.join('\n')}\n${body}\n`);
    return { block, path, offset: header.length + (block.fragment ? 1 : 0) };
  });
}

/** A README test file keeps its name but for a suffix, so that no test runner picks it up by itself. */
export function outputName(file: string): string {
  return file.replace(/\.(e2e-spec|spec|test)\.ts$/, '.$1.example.ts');
}

/** Type-checks the generated blocks with the repo's tsconfig (strict, nodenext, the library's paths). */
export function typeCheck(generated: readonly GeneratedBlock[], tsconfig: string): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    tsconfig,
    { noEmit: true },
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  )!;
  const program = ts.createProgram({
    rootNames: generated.map((entry) => entry.path),
    options: { ...config.options, noEmit: true },
  });
  const problems: string[] = [];
  for (const entry of generated) {
    const source = program.getSourceFile(entry.path)!;
    const diagnostics = [
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ];
    for (const diagnostic of diagnostics) {
      const { line } = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      const readmeLine = entry.block.line + Math.max(0, line - entry.offset);
      problems.push(
        `README.md:${readmeLine}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`,
      );
    }
  }
  return problems;
}

interface Names {
  /** Declared or imported at the top level. */
  declared: Set<string>;
  exported: Set<string>;
  /** Exported names that are types only: imported with `type` (isolatedModules, decorator metadata). */
  types: Set<string>;
}

function topLevelNames(code: string): Names {
  const source = ts.createSourceFile('block.ts', code, ts.ScriptTarget.ES2022, true);
  const declared = new Set<string>();
  const exported = new Set<string>();
  const types = new Set<string>();
  for (const statement of source.statements) {
    const isExported = ts.canHaveModifiers(statement)
      ? (ts.getModifiers(statement) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
      : false;
    const names: string[] = [];
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.name) names.push(clause.name.text);
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamedImports(bindings)) names.push(...bindings.elements.map((e) => e.name.text));
      if (bindings && ts.isNamespaceImport(bindings)) names.push(bindings.name.text);
    } else if (
      ts.isExportDeclaration(statement) &&
      statement.exportClause &&
      ts.isNamedExports(statement.exportClause)
    ) {
      for (const element of statement.exportClause.elements) {
        exported.add(element.name.text);
        if (statement.isTypeOnly || element.isTypeOnly) types.add(element.name.text);
      }
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations)
        if (ts.isIdentifier(declaration.name)) names.push(declaration.name.text);
    } else if (
      (ts.isClassDeclaration(statement) ||
        ts.isFunctionDeclaration(statement) ||
        ts.isInterfaceDeclaration(statement) ||
        ts.isTypeAliasDeclaration(statement) ||
        ts.isEnumDeclaration(statement)) &&
      statement.name
    ) {
      names.push(statement.name.text);
    }
    const typeOnly = ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement);
    for (const name of names) {
      declared.add(name);
      if (isExported) exported.add(name);
      if (isExported && typeOnly) types.add(name);
    }
  }
  return { declared, exported, types };
}

function identifiers(code: string): Set<string> {
  const found = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node)) found.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile('block.ts', code, ts.ScriptTarget.ES2022, true));
  return found;
}

function splitImports(code: string): { imports: string[]; rest: string } {
  const source = ts.createSourceFile('block.ts', code, ts.ScriptTarget.ES2022, true);
  const imports = source.statements.filter(ts.isImportDeclaration);
  let rest = code;
  for (const statement of [...imports].reverse())
    rest = rest.slice(0, statement.getStart()) + rest.slice(statement.getEnd());
  return { imports: imports.map((statement) => statement.getText()), rest };
}
