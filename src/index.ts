// errand's public API. Everything a user imports comes from here; nothing else is a contract.

export { defineJob } from './job/define.ts';
export type { AnyJob, ArgsOf, EnqueuedJob, JobArgs, JobDefinition, JobOptions, JobSpec, ResqueClass, SchemaJobOptions } from './job/define.ts';
export type { ArgsSchema, StandardSchemaV1 } from './job/standard-schema.ts';
export type { BackoffFn, JobContext, JobInfo, Plugin, RetryOptions, WorkerInfoForHooks } from './job/types.ts';
export type { Duration } from './job/duration.ts';
export type { JsonValue } from './job/json-safe.ts';
export { createErrand, Errand, type ErrandOptions, type MetricsOptions } from './client/errand.ts';
export { defineSchedule } from './scheduler/define.ts';
export type { ScheduleDefinition, ScheduleOptions } from './scheduler/define.ts';
export type { ScheduleContext } from './job/types.ts';
export type { SchedulingOptions } from './client/worker-handle.ts';
export { defaultErrand, setDefaultErrand } from './client/default.ts';
export { createDashboard, type Dashboard, type DashboardOptions } from './web/index.ts';
export type { WorkerHandle } from './client/worker-handle.ts';
export type { StopOptions, WorkerOptions } from './worker/worker.ts';
export type { Logger } from './log.ts';
export type { TracingOptions } from './tracing/options.ts';
export type { JobEvents } from './events/subscription.ts';
export type { CompletedEvent, EnqueuedEvent, FailedEvent, JobEvent, JobEventMap, RecoveredEvent, RetriedEvent, StartedEvent } from './events/types.ts';
export type { AdminStore, FailedEntry, JobState, Stats, Store } from './storage/types.ts';
export {
  ConfigError, ErrandError, InvalidArgsError, JobTimeoutError, MalformedPayloadError, NotJsonSafeError, PoisonJobError, StoreError, UnknownJobError,
  UnrecoverableError,
} from './errors.ts';
