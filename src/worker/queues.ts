// Parses the queue list a worker watches, as Resque and Sidekiq users write it:
// 'a,b,c' strict priority, '*' every queue, 'a:3,b:1' weighted (each fetch orders the queues by
// a weighted draw, so 'a' comes first about three times as often as 'b' and none starves).

import { ConfigError } from '../errors.ts';
import { validateQueueName } from '../job/names.ts';

export type QueueSelection =
  | { kind: 'all' }
  | { kind: 'strict'; queues: string[] }
  | { kind: 'weighted'; queues: { name: string; weight: number }[] };

export function parseQueues(input: string | readonly string[]): QueueSelection {
  const parts = (typeof input === 'string' ? input.split(',') : [...input]).map((part) => part.trim()).filter(Boolean);
  if (parts.length === 0) throw new ConfigError('no queues given: name them (--queues critical,default), or use * for every queue');
  if (parts.includes('*')) {
    if (parts.length > 1) throw new ConfigError(`'*' means every queue and cannot be combined with others: got ${parts.join(',')}`);
    return { kind: 'all' };
  }
  const weighted = parts.some((part) => part.includes(':'));
  const entries = parts.map((part) => {
    const [name, weightText] = part.split(':');
    validateQueueName(name);
    const weight = weightText === undefined ? 1 : Number(weightText);
    if (!Number.isInteger(weight) || weight < 1) throw new ConfigError(`queue weight in "${part}" must be a whole number >= 1`);
    return { name, weight };
  });
  const names = new Set(entries.map((entry) => entry.name));
  if (names.size !== entries.length) throw new ConfigError(`a queue is listed twice in ${parts.join(',')}`);
  return weighted ? { kind: 'weighted', queues: entries } : { kind: 'strict', queues: entries.map((entry) => entry.name) };
}

/** The queue names to reserve from, in the order to try them this time. */
export function queueOrder(selection: QueueSelection, random: () => number = Math.random): string[] | '*' {
  if (selection.kind === 'all') return '*';
  if (selection.kind === 'strict') return selection.queues;
  const pool = [...selection.queues];
  const order: string[] = [];
  while (pool.length > 0) {
    let ticket = random() * pool.reduce((sum, queue) => sum + queue.weight, 0);
    const index = pool.findIndex((queue) => (ticket -= queue.weight) < 0);
    order.push(pool.splice(index === -1 ? pool.length - 1 : index, 1)[0]!.name);
  }
  return order;
}

/** The names for a worker id: Resque's `host:pid:q1,q2`. */
export function queueLabel(selection: QueueSelection): string {
  if (selection.kind === 'all') return '*';
  return selection.kind === 'strict' ? selection.queues.join(',') : selection.queues.map((q) => q.name).join(',');
}
