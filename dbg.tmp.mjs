import pg from 'pg';
const { migrate } = await import('./dist/engine/store/migrate.js');
const { copySubmissions, applyOutcomes } = await import('./dist/engine/submission/store.js');
const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
await admin.connect(); await admin.query('DROP DATABASE IF EXISTS dbg_probe'); await admin.query('CREATE DATABASE dbg_probe'); await admin.end();
const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:5432/dbg_probe', max: 8 });
const c = await pool.connect(); await migrate(c); c.release();
const db = await pool.connect(); db.on('end', () => console.error('END'));
const now = Date.now();
const N = Number(process.argv[2]);
const rows = []; for (let i = 0; i < N; i++) rows.push({ id: 'S' + i, regime: 'cftc-part45', repository: 'sim', sourceId: 'c', seq: i, tradeKey: 'T', counterparty1: 'CP', submitter: 'CP', actionType: 'NEWT', format: 'json', payload: '{"a":"' + 'x'.repeat(Number(process.argv[3] ?? 0)) + '"}', dueAtMs: now, disseminateAtMs: null, correctionId: null, batchId: 'B', leaseUntilMs: now });
await db.query('BEGIN'); await copySubmissions(db, rows, now); await db.query('COMMIT');
const t = setTimeout(() => { console.error('stuck'); process.exit(2); }, 8000);
await db.query('BEGIN');
try { const r = await applyOutcomes(db, rows.map((s) => ({ submissionId: s.id, outcome: 'ACK', codes: [], batchId: 'B' })), now, { batchId: 'B', ids: rows.map((s) => s.id) }); console.error('applied', r.settled.length); } catch (e) { console.error('err', e.message); }
clearTimeout(t);
await db.query('COMMIT');
db.release(); await pool.end();
