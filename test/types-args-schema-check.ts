// Type-level tests of jobs typed by an args schema (Standard Schema): `npm run typecheck` checks
// this file (tsconfig includes test/), and every @ts-expect-error below must be an error.
// perform's parameters come from the schema's output, enqueue's from its input.

import * as v from 'valibot';
import { z } from 'zod';
import { createErrand, defineJob, type JobContext, type StandardSchemaV1 } from '../src/index.ts';

const errand = createErrand({ url: 'redis://127.0.0.1:6379' });
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const same = <A, B>(ok: Equal<A, B>) => ok;

const welcome = defineJob({
  name: 'SchemaWelcome',
  args: z.tuple([z.number()]),
  perform(userId, ctx) {
    same<typeof userId, number>(true);
    same<typeof ctx, JobContext>(true);
    return userId + 1;
  },
});
void welcome.enqueue(42);
void errand.enqueue(welcome, 42);
void errand.enqueueIn('5m', welcome, 42);
void errand.enqueueBulk(welcome, [[1], [2]]);
// @ts-expect-error a string is not a userId
void welcome.enqueue('42');
// @ts-expect-error the arg is required
void errand.enqueue(welcome);
// @ts-expect-error one arg only
void errand.enqueue(welcome, 42, 43);
// @ts-expect-error wrong type in a bulk item
void errand.enqueueBulk(welcome, [['x']]);

// perform gets the output (a transform's result), enqueue takes the input.
const stamped = defineJob({
  name: 'SchemaStamped',
  args: z.tuple([z.string().transform((text) => text.length), z.object({ tags: z.array(z.string()).optional() })]),
  perform(length, options) {
    same<typeof length, number>(true);
    same<typeof options, { tags?: string[] | undefined }>(true);
  },
});
void stamped.enqueue('hello', {});
void stamped.enqueue('hello', { tags: ['a'] });
// @ts-expect-error enqueue takes the input (a string), not the output
void stamped.enqueue(5, {});
// @ts-expect-error tags are strings
void stamped.enqueue('hello', { tags: [1] });

// Valibot, the same way.
const report = defineJob({
  name: 'SchemaReport',
  args: v.tuple([v.string(), v.object({ pages: v.number() })]),
  perform(title, options) {
    same<typeof title, string>(true);
    same<typeof options, { pages: number }>(true);
  },
});
void report.enqueue('Q3', { pages: 3 });
// @ts-expect-error pages must be a number
void report.enqueue('Q3', { pages: 'three' });

// A perform annotated against the schema is an error.
// @ts-expect-error the schema says number, perform says string
defineJob({
  name: 'SchemaMismatch',
  args: z.tuple([z.number()]),
  perform(userId: string) {
    return userId;
  },
});

// The schema must describe an argument list.
// @ts-expect-error an object schema is not an argument list
defineJob({ name: 'SchemaNotAList', args: z.object({ id: z.number() }), perform() {} });

// Any Standard Schema works, hand-written included.
const handMade: StandardSchemaV1<[id: number], [id: number]> = {
  '~standard': { version: 1, vendor: 'hand', validate: (value) => ({ value: value as [number] }) },
};
const custom = defineJob({ name: 'SchemaHandMade', args: handMade, perform(id) { same<typeof id, number>(true); } });
void custom.enqueue(1);
// @ts-expect-error typed by the hand-made schema
void custom.enqueue('1');
