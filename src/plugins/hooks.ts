// Runs plugin hooks in Resque's order around enqueue and perform. Plugins given to createErrand
// run outside the job's own plugins. With no plugins a job goes straight to perform: the hot
// path pays nothing for a feature it does not use.

import type { JobSpec } from '../job/define.ts';
import type { JobContext, JobInfo, Plugin, WorkerInfoForHooks } from '../job/types.ts';
import type { DeadlineView } from '../job/timeout.ts';

/** The plugins that apply to a job: global first, then the job's own. */
export function pluginsFor(global: readonly Plugin[], spec: JobSpec): readonly Plugin[] {
  if (spec.plugins.length === 0) return global;
  if (global.length === 0) return spec.plugins;
  return [...global, ...spec.plugins];
}

/** False when a beforeEnqueue hook vetoed (returned false). */
export async function runBeforeEnqueue(plugins: readonly Plugin[], job: JobInfo): Promise<boolean> {
  for (const plugin of plugins) {
    if (plugin.beforeEnqueue && (await plugin.beforeEnqueue(job)) === false) return false;
  }
  return true;
}

export async function runAfterEnqueue(plugins: readonly Plugin[], job: JobInfo): Promise<void> {
  for (const plugin of plugins) if (plugin.afterEnqueue) await plugin.afterEnqueue(job);
}

export interface PerformResult {
  /** A beforePerform hook returned false: perform did not run. */
  skipped: boolean;
  result: unknown;
}

/**
 * beforePerform → aroundPerform (outermost plugin first) → perform → afterPerform; on an error,
 * onFailure hooks run and the error is rethrown for the retry policy to judge. A throwing hook
 * fails the attempt like a throwing perform; a throwing onFailure is logged. With a `deadline`
 * that has passed, the attempt already ended as a timeout (and its onFailure hooks ran for it),
 * so a late finish runs no afterPerform and a late error no second onFailure.
 */
export async function performWithHooks(spec: JobSpec, plugins: readonly Plugin[], job: JobInfo, ctx: JobContext, deadline?: DeadlineView): Promise<PerformResult> {
  if (plugins.length === 0) return { skipped: false, result: await spec.perform(job.args as unknown[], ctx) };
  try {
    for (const plugin of plugins) {
      if (plugin.beforePerform && (await plugin.beforePerform(job, ctx)) === false) return { skipped: true, result: undefined };
    }
    let next = async () => spec.perform(job.args as unknown[], ctx);
    for (let i = plugins.length - 1; i >= 0; i--) {
      const around = plugins[i]!.aroundPerform;
      if (around) {
        const inner = next;
        const plugin = plugins[i]!;
        next = () => around.call(plugin, job, inner, ctx);
      }
    }
    const result = await next();
    if (deadline?.expired) return { skipped: false, result };
    for (const plugin of plugins) if (plugin.afterPerform) await plugin.afterPerform(job, result, ctx);
    return { skipped: false, result };
  } catch (error) {
    if (!deadline?.expired) await runOnFailure(plugins, job, error, ctx);
    throw error;
  }
}

/** Every onFailure hook, in order; one that throws is logged and the next still runs. Never rejects. */
export async function runOnFailure(plugins: readonly Plugin[], job: JobInfo, error: unknown, ctx: JobContext): Promise<void> {
  for (const plugin of plugins) {
    if (!plugin.onFailure) continue;
    try {
      await plugin.onFailure(job, error, ctx);
    } catch (hookError) {
      ctx.log.error({ err: hookError, job: job.name }, 'onFailure hook threw; the job failure stands');
    }
  }
}

type WorkerHook = 'workerStart' | 'queueEmpty' | 'workerStop';

export async function runWorkerHook(plugins: readonly Plugin[], hook: WorkerHook, worker: WorkerInfoForHooks): Promise<void> {
  for (const plugin of plugins) {
    const fn = plugin[hook];
    if (fn) await fn.call(plugin, worker);
  }
}
