/**
 * Finds tests that skip on their own, read from the test sources' syntax
 * trees (TypeScript's parser, a devDependency):
 *   - a skip or todo not made by the helpers of requirements.ts: `t.skip()`,
 *     `test.skip()`, `describe.todo()`, `{ skip: … }` given to a test;
 *   - an early `return` in a test's body that says nothing: a test that
 *     returns early passes without skipping.  Allowed: `return helper(…)`,
 *     `if (helper(…)) return;`, `if (x …) return;` where x was set from
 *     helper(…) in the test (helper: any function that skips, directly or
 *     through another; found by reading every source), and a return right
 *     after an assertion in the same block (that branch checked something).
 * Every .ts file below the folder is read, subfolders included.
 * Only helpers: no side effects when loaded.
 */
import ts from "typescript";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";

export interface TestSource {
  /** The path below the scanned folder, with `/` (e.g. `support/x.ts`). */
  readonly file: string;
  readonly text: string;
}

/** A skip that is known and explained: `text` appears on the line. */
export interface AllowedSkip {
  readonly file: string;
  readonly text: string;
}

/** The file whose helpers are the one place that may call `t.skip`. */
export const SKIP_HELPERS_FILE = "support/requirements.ts";

/** Every .ts file below `dir`, subfolders included. */
export function readTestSources(dir: string): TestSource[] {
  const sources: TestSource[] = [];
  const visit = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.isFile() && entry.name.endsWith(".ts")) sources.push({ file: relative(dir, path).split(sep).join("/"), text: readFileSync(path, "utf8") });
    }
  };
  visit(dir);
  return sources.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

const TEST_CALLEES = new Set(["test", "it", "describe", "suite"]);
const SKIP_WORDS = new Set(["skip", "todo"]);

function parse(source: TestSource): ts.SourceFile {
  return ts.createSourceFile(source.file, source.text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
}

/** `test(…)`, `it(…)`, `t.test(…)`, `describe(…)`: a call that declares tests. */
function isTestCall(node: ts.Node): node is ts.CallExpression {
  if (!ts.isCallExpression(node)) return false;
  const callee = node.expression;
  if (ts.isIdentifier(callee)) return TEST_CALLEES.has(callee.text);
  return ts.isPropertyAccessExpression(callee) && callee.name.text === "test";
}

/** The function given to a test call as its body (not describe's). */
function testBody(call: ts.CallExpression): ts.FunctionLikeDeclaration | undefined {
  if (ts.isIdentifier(call.expression) && (call.expression.text === "describe" || call.expression.text === "suite")) return undefined;
  const fn = call.arguments.find((arg) => ts.isArrowFunction(arg) || ts.isFunctionExpression(arg));
  return fn as ts.FunctionLikeDeclaration | undefined;
}

function forEachDescendant(node: ts.Node, visit: (node: ts.Node) => void): void {
  ts.forEachChild(node, (child) => {
    visit(child);
    forEachDescendant(child, visit);
  });
}

/** The name and body of a named function: declarations, methods, `const f = (…) => …`. */
function namedFunction(node: ts.Node): { name: string; body: ts.Node } | undefined {
  if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.name !== undefined && node.body !== undefined && ts.isIdentifier(node.name)) {
    return { name: node.name.text, body: node.body };
  }
  if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer !== undefined && (ts.isArrowFunction(node.initializer) || ts.isFunctionExpression(node.initializer))) {
    return { name: node.name.text, body: node.initializer.body };
  }
  return undefined;
}

function calledName(call: ts.CallExpression): string | undefined {
  const callee = call.expression;
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  return undefined;
}

/** Whether `node` contains a call of `t.skip`/`x.todo` or of one of `helpers`. */
function callsSkip(node: ts.Node, helpers: ReadonlySet<string>): boolean {
  let found = false;
  const check = (n: ts.Node): void => {
    if (found || !ts.isCallExpression(n)) return;
    const callee = n.expression;
    if (ts.isPropertyAccessExpression(callee) && SKIP_WORDS.has(callee.name.text)) found = true;
    else if (ts.isIdentifier(callee) && helpers.has(callee.text)) found = true;
  };
  check(node);
  forEachDescendant(node, check);
  return found;
}

/** The functions that skip, directly or through one another, across all sources. */
export function skipHelpers(trees: readonly ts.SourceFile[]): Set<string> {
  const functions: { name: string; body: ts.Node }[] = [];
  for (const tree of trees) {
    forEachDescendant(tree, (node) => {
      const fn = namedFunction(node);
      if (fn !== undefined) functions.push(fn);
    });
  }
  const helpers = new Set<string>();
  for (let grew = true; grew; ) {
    grew = false;
    for (const fn of functions) {
      if (!helpers.has(fn.name) && callsSkip(fn.body, helpers)) {
        helpers.add(fn.name);
        grew = true;
      }
    }
  }
  return helpers;
}

function isFunctionLike(node: ts.Node): boolean {
  return ts.isFunctionLike(node) || ts.isClassLike(node);
}

/** An assertion statement: `assert(…)`, `assert.equal(…)`, `assert.ok(…)`, … */
function isAssertion(statement: ts.Statement): boolean {
  if (!ts.isExpressionStatement(statement)) return false;
  let expression = statement.expression;
  if (ts.isAwaitExpression(expression)) expression = expression.expression;
  if (!ts.isCallExpression(expression)) return false;
  const callee = expression.expression;
  return (ts.isIdentifier(callee) && callee.text === "assert") || (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === "assert");
}

function identifiersIn(node: ts.Node): Set<string> {
  const names = new Set<string>();
  if (ts.isIdentifier(node)) names.add(node.text);
  forEachDescendant(node, (n) => {
    if (ts.isIdentifier(n)) names.add(n.text);
  });
  return names;
}

/** Why an early return in a test body is not a silent skip, or undefined when it may be one. */
function earlyReturnExplained(ret: ts.ReturnStatement, body: ts.Node, helpers: ReadonlySet<string>, fromHelpers: ReadonlySet<string>): boolean {
  if (ret.expression !== undefined && callsSkip(ret.expression, helpers)) return true;
  const block = ret.parent;
  if (ts.isBlock(block)) {
    const before = block.statements.slice(0, block.statements.indexOf(ret));
    if (before.some(isAssertion)) return true;
  }
  for (let node: ts.Node = ret; node !== body; node = node.parent) {
    const parent = node.parent;
    if (ts.isIfStatement(parent) && node !== parent.expression) {
      const condition = parent.expression;
      if (callsSkip(condition, helpers)) return true;
      if ([...identifiersIn(condition)].some((name) => fromHelpers.has(name))) return true;
      return false;
    }
  }
  return false;
}

function lineOf(tree: ts.SourceFile, node: ts.Node): { line: number; text: string } {
  const { line } = tree.getLineAndCharacterOfPosition(node.getStart(tree));
  return { line: line + 1, text: tree.text.split("\n")[line]!.trim() };
}

/**
 * The skips `sources` make on their own, as `file:line: why: code`; empty
 * when every skip goes through the helpers (or is in `allowed`).
 */
export function findSilentSkips(sources: readonly TestSource[], allowed: readonly AllowedSkip[] = []): string[] {
  const trees = sources.map(parse);
  const helpers = skipHelpers(trees);
  const offending: string[] = [];
  trees.forEach((tree, index) => {
    const file = sources[index]!.file;
    const report = (node: ts.Node, why: string): void => {
      const { line, text } = lineOf(tree, node);
      if (allowed.some((a) => a.file === file && text.includes(a.text))) return;
      offending.push(`${file}:${line}: ${why}: ${text}`);
    };
    forEachDescendant(tree, (node) => {
      // A skip or todo of its own: t.skip(), test.skip(), describe.todo().
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && SKIP_WORDS.has(node.expression.name.text) && file !== SKIP_HELPERS_FILE) {
        report(node, `calls .${node.expression.name.text}() itself`);
      }
      if (!isTestCall(node)) return;
      // { skip: … } or { todo: … } given to a test.
      for (const arg of node.arguments) {
        if (!ts.isObjectLiteralExpression(arg)) continue;
        for (const property of arg.properties) {
          if (property.name !== undefined && ts.isIdentifier(property.name) && SKIP_WORDS.has(property.name.text)) report(property, `gives a test { ${property.name.text}: … }`);
        }
      }
      const fn = testBody(node);
      if (fn?.body === undefined || !ts.isBlock(fn.body)) return;
      const body = fn.body;
      // Names set, in this test, from a call of a helper that skips: `const cert = tls(t)`.
      const fromHelpers = new Set<string>();
      const visit = (n: ts.Node): void => {
        if (n !== fn && isFunctionLike(n)) return;
        if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer !== undefined && callsSkip(n.initializer, helpers)) fromHelpers.add(n.name.text);
        if (ts.isReturnStatement(n) && n !== body.statements.at(-1) && !earlyReturnExplained(n, body, helpers, fromHelpers)) {
          report(n, "returns early without a skip (a test that returns passes)");
        }
        ts.forEachChild(n, visit);
      };
      ts.forEachChild(body, visit);
    });
  });
  return offending;
}
