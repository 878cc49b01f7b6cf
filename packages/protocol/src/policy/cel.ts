import { Environment, type ParseResult } from '@marcbachmann/cel-js';
import { IsotypError } from '../errors/isotyp-error.js';
import type { ChangeFacts, EnvironmentFacts } from './facts.js';

/** Longest condition text accepted; the policy schema enforces the same bound on the wire. */
export const MAX_CONDITION_LENGTH = 4096;
/**
 * Macros that loop over a list or map. Nesting them multiplies their cost, and CEL has no step
 * counter, so nesting is bounded at compile time and the loop cost is estimated before each run.
 */
const LOOP_MACROS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);
export const MAX_LOOP_NESTING = 2;
/** Upper bound on `AST nodes × (longest list)^(loop nesting)` for one evaluation. */
export const MAX_EVALUATION_COST = 10_000_000;
const LIMITS = { maxAstNodes: 512, maxDepth: 32, maxListElements: 64, maxMapEntries: 64, maxCallArguments: 8 };
// `matches` runs a backtracking JS RegExp over object names the change author chooses: a
// careless pattern would let any author stall both the control plane and the agent.
const FORBIDDEN_FUNCTIONS = new Set(['matches']);
const CACHE_SIZE = 512;

interface Compiled {
  run: ParseResult;
  nodes: number;
  loopDepth: number;
}

/** The outcome of one condition: a boolean, or why it could not be decided (fail closed). */
export type ConditionOutcome = { ok: true; value: boolean } | { ok: false; reason: string };

let celEnvironment: Environment | undefined;
const cache = new Map<string, Compiled>();

// Built on first use so that importing protocol (e.g. in the browser console) stays cheap.
function environment(): Environment {
  celEnvironment ??= new Environment({ limits: LIMITS })
    .registerType('ObjectFact', { schema: { kind: 'string', namespace: 'dyn', name: 'string', action: 'string' } })
    .registerVariable({
      name: 'change',
      schema: {
        bump: 'string',
        risk: 'string',
        dataLoss: 'bool',
        nonTransactional: 'bool',
        opCount: 'int',
        actions: 'map<string, int>',
        lintRules: 'list<string>',
        lintErrors: 'int',
        objects: 'list<ObjectFact>',
      },
    })
    .registerVariable({
      name: 'environment',
      schema: { id: 'string', name: 'string', privacyMode: 'string', project: 'string' },
    });
  return celEnvironment;
}

/**
 * Compiles a layer's `when` condition once (cached by its text) and type-checks it against the
 * `change` and `environment` facts. Throws ISOTYP_POLICY_INVALID naming the layer when the
 * text does not parse, names an unknown field, cannot yield a boolean or exceeds a limit.
 *
 * @example
 * compileCondition('change.dataLoss || change.bump == "major"', 'dba');
 */
export function compileCondition(when: string, layer: string): void {
  compiled(when, layer);
}

function compiled(when: string, layer: string): Compiled {
  const hit = cache.get(when);
  if (hit !== undefined) return hit;
  const invalid = (reason: string, cause?: unknown) =>
    new IsotypError('ISOTYP_POLICY_INVALID', `The condition of policy layer "${layer}" is invalid: ${reason}`, {
      hint: 'Fix the CEL expression in the policy and sign it again with the org root key.',
      details: { layer, reason },
      cause,
    });
  if (when.length > MAX_CONDITION_LENGTH) throw invalid(`longer than ${MAX_CONDITION_LENGTH} characters.`);
  let run: ParseResult;
  try {
    run = environment().parse(when);
  } catch (error) {
    throw invalid(summaryOf(error), error);
  }
  const checked = run.check();
  if (!checked.valid) throw invalid(summaryOf(checked.error), checked.error);
  if (checked.type !== 'bool' && checked.type !== 'dyn') throw invalid(`it yields ${checked.type}, not bool.`);
  const shape = measure(run.ast, 0);
  if (shape.forbidden !== undefined) throw invalid(`the function ${shape.forbidden}() is not allowed.`);
  if (shape.loopDepth > MAX_LOOP_NESTING) throw invalid(`loops nest deeper than ${MAX_LOOP_NESTING}.`);
  const entry = { run, nodes: shape.nodes, loopDepth: shape.loopDepth };
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(when, entry);
  return entry;
}

/**
 * Evaluates a layer's condition. Anything but a boolean — a runtime error such as a missing
 * field, a non-boolean value, an over-budget evaluation — is reported as `{ ok: false }` so the
 * caller can fail closed. Compilation problems throw ISOTYP_POLICY_INVALID.
 *
 * @example
 * const outcome = evaluateCondition('environment.name == "prod"', 'prod', facts, env);
 * const applies = !outcome.ok || outcome.value;
 */
export function evaluateCondition(
  when: string,
  layer: string,
  change: ChangeFacts,
  env: EnvironmentFacts,
): ConditionOutcome {
  const { run, nodes, loopDepth } = compiled(when, layer);
  const longest = Math.max(
    LIMITS.maxListElements,
    change.objects?.length ?? 0,
    change.lintRules.length,
    Object.keys(change.actions).length,
  );
  if (nodes * longest ** loopDepth > MAX_EVALUATION_COST) {
    return {
      ok: false,
      reason: `evaluation would exceed the cost budget (${longest} items, loops nested ${loopDepth})`,
    };
  }
  let value: unknown;
  try {
    value = run({ change: toCel(change), environment: { ...env } });
  } catch (error) {
    return { ok: false, reason: summaryOf(error) };
  }
  if (typeof value !== 'boolean') return { ok: false, reason: `the condition yielded ${describe(value)}, not a bool` };
  return { ok: true, value };
}

// CEL integers are BigInt; the library refuses a JS number where an `int` is declared.
function toCel(change: ChangeFacts): Record<string, unknown> {
  return {
    ...change,
    opCount: BigInt(change.opCount),
    lintErrors: BigInt(change.lintErrors),
    actions: Object.fromEntries(Object.entries(change.actions).map(([action, n]) => [action, BigInt(n)])),
    lintRules: [...change.lintRules],
    ...(change.objects === undefined ? {} : { objects: change.objects.map((o) => ({ ...o })) }),
  };
}

interface Shape {
  nodes: number;
  loopDepth: number;
  forbidden?: string;
}

// Walks the parsed (pre-expansion) AST: `rcall` is [name, receiver, args], `call` is [name, args].
function measure(value: unknown, depth: number): Shape {
  if (Array.isArray(value)) return combine(value.map((item) => measure(item, depth)));
  if (typeof value !== 'object' || value === null || !('op' in value) || !('args' in value)) {
    return { nodes: 0, loopDepth: depth };
  }
  const { op, args } = value as { op: string; args: unknown };
  let inner: Shape;
  if ((op === 'rcall' || op === 'call') && Array.isArray(args) && typeof args[0] === 'string') {
    const name = args[0];
    const isLoop = op === 'rcall' && LOOP_MACROS.has(name);
    inner = combine([measure(args.slice(1, -1), depth), measure(args.at(-1), isLoop ? depth + 1 : depth)]);
    if (FORBIDDEN_FUNCTIONS.has(name)) inner.forbidden = name;
  } else {
    inner = measure(args, depth);
  }
  return { ...inner, nodes: inner.nodes + 1 };
}

function combine(shapes: Shape[]): Shape {
  return shapes.reduce<Shape>(
    (acc, s) => ({
      nodes: acc.nodes + s.nodes,
      loopDepth: Math.max(acc.loopDepth, s.loopDepth),
      ...((acc.forbidden ?? s.forbidden) === undefined ? {} : { forbidden: acc.forbidden ?? s.forbidden }),
    }),
    { nodes: 0, loopDepth: 0 },
  );
}

function summaryOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // CEL errors carry a one-line summary; their message adds a multi-line source excerpt.
  return 'summary' in error && typeof error.summary === 'string' ? error.summary : error.message;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return 'an int';
  return Array.isArray(value) ? 'a list' : `a ${typeof value}`;
}
