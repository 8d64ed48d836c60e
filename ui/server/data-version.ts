/**
 * A counter that moves whenever stored data the console shows may have changed: the projector's progress,
 * the console's own writes, and watermarks of tables the submission path writes (responses, audit entries,
 * new submissions), polled once a tick. Caches (search results) key on it.
 */
import type pg from 'pg';

export class DataVersion {
  value = 1;
  private watermark = '';
  private readonly listeners = new Set<(v: number) => void>();

  bump(): void {
    this.value++;
    for (const l of this.listeners) l(this.value);
  }

  onChange(l: (v: number) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Reads the watermarks (each an index look-up) and bumps when any moved. */
  async poll(db: pg.Pool): Promise<void> {
    const { rows } = await db.query<{ w: string }>(
      `SELECT concat_ws('/', (SELECT max(id) FROM submission_response), (SELECT max(id) FROM audit_log),
                             (SELECT max(created_at) FROM submission_batch), (SELECT max(id) FROM review_label)) AS w`);
    const w = rows[0]?.w ?? '';
    if (w !== this.watermark) {
      const first = this.watermark === '';
      this.watermark = w;
      if (!first) this.bump();
    }
  }
}
