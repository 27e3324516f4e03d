// Every default errand uses, in one place, so docs and code cannot drift apart.

export const defaults = {
  /** Redis key prefix; Resque's own default, so resque-web sees errand's data. */
  namespace: 'resque',
  /** Where the embedded store lives when neither ERRAND_URL nor REDIS_URL is set. */
  sqlitePath: './var/errand.db',
  queue: 'default',
  concurrency: 1,
  /** Resque's INTERVAL: the longest an idle worker goes without looking for unannounced jobs (its heartbeat looks more often). */
  pollIntervalMs: 5_000,
  /** How often a worker renews its registration. */
  heartbeatMs: 1_000,
  /** A worker's lease: not renewed for this long, it is dead and its jobs go back to their queues. */
  deadAfterMs: 5_000,
  /** A worker whose event loop has not answered for this long stops renewing its lease (and a supervisor replaces it). */
  stuckTimeoutMs: 30_000,
  /** How often each worker looks for dead workers and due scheduled jobs. */
  maintenanceMs: 1_000,
  /** A job in flight in this many worker deaths goes to failed (poison job). */
  maxDeaths: 3,
  /** Graceful stop: how long running jobs get before their signal aborts and they are put back. */
  shutdownTimeoutMs: 25_000,
  /** Jobs a worker may hold beyond the running ones; adapted to job duration up to this bound. */
  maxPrefetch: 1_000,
  /** Jobs moved per reserve call at most; also the size of one settle batch. */
  maxBatch: 1_000,
  /** Promotions of due scheduled jobs per maintenance pass. */
  promoteBatch: 1_000,
  /**
   * A payload naming a job this worker does not know (mid-deploy: new code enqueued it, old
   * workers still run) goes back to the scheduled set instead of failing, so a worker that knows
   * it runs it once deployed: first after 5 s, each wait twice the last up to 5 min (±20 %), for
   * 1 h in all; then it fails with UnknownJobError. The job's own retry attempts are not spent.
   */
  unknownJob: { firstDelayMs: 5_000, maxDelayMs: 300_000, jitter: 0.2, windowMs: 3_600_000 },
  retry: { attempts: 1, backoff: 'exponential' as const, delayMs: 1_000, jitter: 0.2, maxDelayMs: 3_600_000 },
  /**
   * A schedule's tick claimed later than this after its time (or after the next tick, if that
   * comes sooner) is late: skipped, unless the schedule catches up. Covers a slow start, a deploy
   * or a short store outage across a tick.
   */
  scheduleOnTimeMs: 60_000,
  /** The longest a scheduler's timer is armed for: it then looks at its clocks again. */
  scheduleMaxSleepMs: 3_600_000,
  /** Enqueue gives up after this long when the store cannot be reached. */
  connectTimeoutMs: 5_000,
  /**
   * SQLite: how often a worker's lease thread moves committed WAL pages into the database file
   * (a PASSIVE checkpoint), so the commits of jobs being enqueued and taken do not pay for it.
   */
  sqliteCheckpointMs: 250,
  /**
   * SQLite: the WAL size in pages (4 KiB each) at which a committing connection checkpoints
   * itself: the fallback when no worker's lease thread does it in time (no worker running, or
   * more writes between two of its checkpoints than this). SQLite's own default is 1000.
   */
  sqliteAutoCheckpointPages: 4_000,
} as const;
