/**
 * Exponential backoff with full jitter for transport failures (never for NACKs: a NACK resent as is gets the
 * same NACK). Full jitter (a uniform delay in [0, min(cap, base * 2^attempt)]) spreads the retries of many
 * batches that failed together, so a repository coming back is not hit by all of them at once.
 */
export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
  /** Attempts (first send included) after which a submission is marked failed. */
  maxAttempts: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 500, maxMs: 60_000, maxAttempts: 12 };

/** Delay before attempt `attempt + 1`, given that `attempt` attempts (>= 1) have failed. */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
