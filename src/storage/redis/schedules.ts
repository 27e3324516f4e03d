// The Redis side of recurring schedules (see ../schedule-types.ts): one hash per schedule name
// under `<ns>:errand:schedules:`, changed only by claim.lua, declare-schedules.lua and
// pause-schedule.lua. Lifecycle: made once per RedisStore (Store.schedules()), shares its
// connection. Invariant: every tick decision reads Redis's clock inside the script.

import type { Redis } from 'ioredis';
import type { ClaimOutcome, ClaimResult, ScheduleDeclaration, ScheduleState, ScheduleStore, TickClaim } from '../schedule-types.ts';
import { scheduleStateOf } from '../schedule-types.ts';
import type { RedisKeys } from './keys.ts';
import type { ScriptCall, ScriptName } from './scripts.ts';

type Call = <T>(what: string, run: () => Promise<T>) => Promise<T>;

export class RedisSchedules implements ScheduleStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly scripts: Record<ScriptName, ScriptCall>,
    private readonly call: Call,
  ) {}

  async declare(schedules: readonly ScheduleDeclaration[]): Promise<{ states: ScheduleState[]; storeNow: number }> {
    const k = this.keys;
    const args = schedules.flatMap((s) => [s.name, s.definition]);
    const reply = (await this.call('declare schedules', () =>
      this.scripts['declare-schedules']([k.scheduleNames, ...schedules.map((s) => k.scheduleRecord(s.name))], args),
    )) as [number, ...(string | string[])[]];
    const states: ScheduleState[] = [];
    for (let i = 1; i < reply.length; i += 2) states.push(scheduleStateOf(reply[i] as string, pairs(reply[i + 1] as string[])));
    return { states, storeNow: Number(reply[0]) };
  }

  claim(c: TickClaim): Promise<ClaimResult> {
    return this.send('tick', c.name, c.queue, [
      c.tick, Math.floor(c.onTimeMs), Math.floor(c.catchUpMs), c.skipIfRunning ? '1' : '0', c.queue, c.jobId, c.payload, c.caughtUpPayload,
    ]);
  }

  async runNow(name: string, queue: string, payload: string, jobId: string): Promise<void> {
    await this.send('now', name, queue, [0, 0, 0, '0', queue, jobId, payload, payload]);
  }

  private async send(mode: 'tick' | 'now', name: string, queue: string, rest: (string | number)[]): Promise<ClaimResult> {
    const k = this.keys;
    const [outcome, storeNow, cursor] = (await this.call('claim', () =>
      this.scripts.claim(
        [k.scheduleRecord(name), k.scheduleNames, k.queues, k.queue(queue), k.leases],
        [name, mode, ...rest, k.wakeChannel, k.queuePrefix, k.inflightPrefix],
      ),
    )) as [string, number, number];
    return { outcome: outcome as ClaimOutcome, storeNow: Number(storeNow), cursor: cursor >= 0 ? Number(cursor) : undefined };
  }

  async setPaused(name: string, paused: boolean): Promise<boolean> {
    const k = this.keys;
    const done = await this.call('pause schedule', () => this.scripts['pause-schedule']([k.scheduleNames, k.scheduleRecord(name)], [name, paused ? '1' : '0']));
    return Number(done) === 1;
  }

  async list(): Promise<ScheduleState[]> {
    const names = (await this.call('list schedules', () => this.redis.smembers(this.keys.scheduleNames))).sort();
    if (names.length === 0) return [];
    const records = await this.call('list schedules', async () => {
      const pipeline = this.redis.pipeline();
      for (const name of names) pipeline.hgetall(this.keys.scheduleRecord(name));
      return (await pipeline.exec()) ?? [];
    });
    return names.map((name, i) => scheduleStateOf(name, (records[i]?.[1] ?? {}) as Record<string, string>));
  }
}

function pairs(flat: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}
