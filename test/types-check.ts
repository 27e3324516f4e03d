// Type-level tests: `npm test` type-checks this file first, and every @ts-expect-error below
// must be an error. If job args stop being typed end to end, the build fails here.

import { createErrand, defineJob, defineSchedule, type JobContext } from '../src/index.ts';

const errand = createErrand({ url: 'redis://127.0.0.1:6379' });

const welcome = defineJob({ name: 'TypedWelcome', queue: 'email', async perform(userId: number, ctx: JobContext) { return ctx.attempt + userId; } });
void welcome.enqueue(42);
void errand.enqueue(welcome, 42);
void errand.enqueueIn('5m', welcome, 42);
void errand.enqueueAt(new Date(), welcome, 42);
void errand.enqueueBulk(welcome, [[1], [2]]);
// @ts-expect-error a string is not a userId
void welcome.enqueue('42');
// @ts-expect-error the arg is required
void welcome.enqueue();
// @ts-expect-error one arg only
void errand.enqueue(welcome, 42, 43);
// @ts-expect-error bulk items are arg tuples
void errand.enqueueBulk(welcome, [1, 2]);
// @ts-expect-error wrong type in a bulk item
void errand.enqueueBulk(welcome, [['x']]);

const report = defineJob({ name: 'TypedReport', async perform(title: string, options: { pages: number; draft?: boolean }) { return `${title}${options.pages}`; } });
void report.enqueue('Q3', { pages: 3 });
// @ts-expect-error pages must be a number
void report.enqueue('Q3', { pages: 'three' });
// @ts-expect-error options are required
void errand.enqueue(report, 'Q3');

const noArgs = defineJob({ name: 'TypedNoArgs', async perform() {} });
void noArgs.enqueue();
// @ts-expect-error takes no args
void noArgs.enqueue(1);

class Archive {
  static queue = 'file';
  static async perform(id: number, branch: string) {
    return `${id}${branch}`;
  }
}
void errand.enqueue(Archive, 44, 'masterbrew');
// @ts-expect-error args typed from the static perform
void errand.enqueue(Archive, 'masterbrew', 44);

class WithContext {
  static async perform(id: number, ctx: JobContext) {
    return ctx.id + id;
  }
}
void errand.enqueue(WithContext, 1);
// @ts-expect-error the context is not an arg
void errand.enqueue(WithContext, 1, {});

// @ts-expect-error a plain object is not a job
void errand.enqueue({ name: 'x' }, 1);

// errand.events(job): events typed with that job's args.
const welcomeEvents = errand.events(welcome);
welcomeEvents.on('completed', (event) => {
  const userId: number = event.args[0];
  const ms: number = event.durationMs;
  // @ts-expect-error userId is a number
  const wrong: string = event.args[0];
  void userId, ms, wrong;
});
welcomeEvents.on('failed', (event) => void event.error.class);
// @ts-expect-error no such event
welcomeEvents.on('finished', () => {});
// @ts-expect-error a started event has no duration
welcomeEvents.on('started', (event) => void event.durationMs);
errand.events({ queues: ['email'] }).on('enqueued', (event) => void [...event.args]);

// defineSchedule: a schedule's args are checked against the job's perform like any enqueue.
void defineSchedule({ name: 'typed-welcome', cron: '0 3 * * *', job: welcome, args: [42] });
void defineSchedule({ name: 'typed-report', every: '1h', job: report, args: ['Q3', { pages: 3 }] });
void defineSchedule({ name: 'typed-no-args', every: '1h', job: noArgs });
void defineSchedule({ name: 'typed-archive', every: '1h', job: Archive, args: [44, 'masterbrew'] });
void defineSchedule({ name: 'typed-context', every: '1h', job: WithContext, args: [1] });
// @ts-expect-error args are required when perform needs them
void defineSchedule({ name: 'typed-missing', cron: '0 3 * * *', job: welcome });
// @ts-expect-error a string is not a userId
void defineSchedule({ name: 'typed-wrong', cron: '0 3 * * *', job: welcome, args: ['42'] });
// @ts-expect-error one arg only
void defineSchedule({ name: 'typed-arity', cron: '0 3 * * *', job: welcome, args: [42, 43] });
// @ts-expect-error options are required
void defineSchedule({ name: 'typed-short', every: '1h', job: report, args: ['Q3'] });
// @ts-expect-error pages must be a number
void defineSchedule({ name: 'typed-deep', every: '1h', job: report, args: ['Q3', { pages: 'three' }] });
// @ts-expect-error takes no args
void defineSchedule({ name: 'typed-none', every: '1h', job: noArgs, args: [1] });
// @ts-expect-error args typed from the static perform
void defineSchedule({ name: 'typed-static', every: '1h', job: Archive, args: ['masterbrew', 44] });
// @ts-expect-error the context is not an arg
void defineSchedule({ name: 'typed-ctx', every: '1h', job: WithContext, args: [1, {}] });
