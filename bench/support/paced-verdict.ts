/**
 * The verdict on a paced run. Keeping up means all of: the driver really ingested at the target rate (else
 * the run says nothing about the target), the path settled events as fast as they came in over the steady
 * half, and the backlog did not grow. Judged on at least 3 samples: a run too short to sample says nothing.
 */
export function pacedVerdict(targetRate: number, ingestedRate: number, settledRate: number, slope: number, steadySamples: number): 'keeps up' | 'growing' | 'ingest short' | 'too short' {
  if (steadySamples < 3) return 'too short';
  if (ingestedRate < 0.95 * targetRate) return 'ingest short';
  return settledRate >= 0.95 * ingestedRate && slope <= 0.02 * targetRate ? 'keeps up' : 'growing';
}
