// Standard Schema v1 (standardschema.dev), the interface Zod, Valibot, ArkType and others
// implement: a schema carries `~standard` with a validate() that returns the value or issues.
// errand declares the interface itself (it is tiny and published), so it depends on no schema
// library. Used for a job's `args`: checked at enqueue and again in the worker before perform.
// Invariant: validateArgs() never throws for a schema's own verdict; it returns issues.

/** The interface, as published (types only; property names are the spec's). */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardSchemaV1.Props<Input, Output>;
}

export declare namespace StandardSchemaV1 {
  export interface Props<Input = unknown, Output = Input> {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => Result<Output> | Promise<Result<Output>>;
    readonly types?: Types<Input, Output> | undefined;
  }
  export type Result<Output> = SuccessResult<Output> | FailureResult;
  export interface SuccessResult<Output> {
    readonly value: Output;
    readonly issues?: undefined;
  }
  export interface FailureResult {
    readonly issues: ReadonlyArray<Issue>;
  }
  export interface Issue {
    readonly message: string;
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  export interface PathSegment {
    readonly key: PropertyKey;
  }
  export interface Types<Input = unknown, Output = Input> {
    readonly input: Input;
    readonly output: Output;
  }
  export type InferInput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['input'];
  export type InferOutput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['output'];
}

/** A schema whose values are argument lists: what a job's `args` must be. */
export type ArgsSchema = StandardSchemaV1<readonly unknown[], readonly unknown[]>;

/** A tuple type as a mutable array type, so it can type a rest parameter. */
type Mutable<T> = T extends readonly unknown[] ? [...T] : never;
/** What enqueue takes for a job with this schema (the schema's input). */
export type SchemaInput<S extends ArgsSchema> = Mutable<StandardSchemaV1.InferInput<S>>;
/** What perform receives for a job with this schema (the schema's output). */
export type SchemaOutput<S extends ArgsSchema> = Mutable<StandardSchemaV1.InferOutput<S>>;

export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  const props = (value as { '~standard'?: unknown })['~standard'];
  return typeof props === 'object' && props !== null && (props as { version?: unknown }).version === 1 && typeof (props as { validate?: unknown }).validate === 'function';
}

export type ArgsVerdict = { readonly ok: true; readonly value: unknown[] } | { readonly ok: false; readonly issues: readonly StandardSchemaV1.Issue[] };

/** Validates `args`; a schema that yields something other than an array is reported as an issue. */
export async function validateArgs(schema: StandardSchemaV1, args: readonly unknown[]): Promise<ArgsVerdict> {
  const result = await schema['~standard'].validate(args);
  if (result.issues) return { ok: false, issues: result.issues };
  if (!Array.isArray(result.value)) return { ok: false, issues: [{ message: `the args schema produced ${typeof result.value}, not an array of arguments` }] };
  return { ok: true, value: result.value };
}

/** An issue's path as `args[0].email`: numbers as indexes (args[0] = perform's first parameter), keys dotted. */
export function formatPath(path: StandardSchemaV1.Issue['path']): string {
  let out = 'args';
  for (const segment of path ?? []) {
    const key = typeof segment === 'object' && segment !== null ? segment.key : segment;
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}
