import { SqliteStore } from '../src/storage/sqlite/store.ts';
import Database from 'better-sqlite3';
const path = `/tmp/sq/t${Date.now()}/x.db`;
const s = SqliteStore.open({ path, busyTimeoutMs: 2000 });
await s.push([{ queue: 'a', payload: '{"class":"A","args":[1]}' }, { queue: 'b', payload: 'b1' }, { queue: 'a', payload: 'a2' }]);
await s.register({ id: 'h:1:a,b', queues: ['a', 'b'], startedAt: new Date() });
const r = await s.reserve('h:1:a,b', ['b', 'a'], 2);
console.log(r);
console.log(await s.settle('h:1:a,b', [{ token: r[0]!.token, kind: 'done' }]));
console.log(await s.admin().stats());
const db = new Database(path);
for (const sql of ["EXPLAIN QUERY PLAN UPDATE jobs SET worker = 'x' WHERE id IN (SELECT id FROM jobs WHERE queue = 'a' AND worker IS NULL ORDER BY pos LIMIT 5) RETURNING id",
  "EXPLAIN QUERY PLAN DELETE FROM jobs WHERE worker = 'x' AND id IN (SELECT value FROM json_each('[1,2]'))",
  "EXPLAIN QUERY PLAN SELECT id FROM jobs WHERE worker='x' ORDER BY id"]) console.log(db.prepare(sql).all());
await s.close();
