// Time and record formats exactly as Ruby Resque 3 writes them, so resque-web and Ruby code
// read what errand writes (and errand reads what they write).

const pad = (n: number) => String(n).padStart(2, '0');

/** `failed_at` of a failure entry: Ruby's strftime("%Y/%m/%d %H:%M:%S %Z") in UTC. */
export function resqueFailedAt(date = new Date()): string {
  return `${date.getUTCFullYear()}/${pad(date.getUTCMonth() + 1)}/${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} UTC`;
}

/** Heartbeats and `run_at`: Ruby's Time#iso8601 in UTC (second precision, `Z`). */
export function resqueIso(date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** `worker:<id>:started`: Ruby's Time#to_s, in UTC. */
export function resqueTimeToS(date = new Date()): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/** `worker:<id>`: what the worker is running, `{queue, run_at, payload}`. `payload` is JSON text. */
export function resqueWorkingOn(queue: string, payload: string, runAt: Date): string {
  return `{"queue":${JSON.stringify(queue)},"run_at":"${resqueIso(runAt)}","payload":${payload}}`;
}

/** A stored JSON object (failure entry, payload, working-on record), or undefined when it is not one. */
export function parseObject(raw: string | null | undefined): Record<string, unknown> | undefined {
  if (!raw) return undefined;
  try {
    const value = JSON.parse(raw);
    return value && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** When a payload was enqueued (errand's `enqueued_at`, epoch ms); Ruby Resque payloads have none. */
export function enqueuedAtOf(payload: string | null | undefined): number | undefined {
  const at = parseObject(payload)?.enqueued_at;
  return typeof at === 'number' ? at : undefined;
}

/**
 * A delayed job as resque-scheduler stores it in `delayed:<ts>`: `{"class","args","queue"}` in
 * that key order (Resque.encode of job_to_hash_with_queue), so the `timestamps:<json>` index and
 * Ruby's Resque.remove_delayed match it byte for byte. errand's own payload fields (id,
 * enqueued_at, attempt) have no place in it and are dropped.
 */
export function resqueSchedulerItem(queue: string, payload: string): string {
  const job = parseObject(payload);
  if (!job || typeof job.class !== 'string') throw new Error(`not a job payload: ${payload.slice(0, 80)}`);
  return JSON.stringify({ class: job.class, args: Array.isArray(job.args) ? job.args : [], queue });
}
