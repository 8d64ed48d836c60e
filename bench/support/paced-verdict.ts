/**
 * The verdict on a paced run. Keeping up means all of: the path settled events as fast as they came in over
 * the steady half, the backlog did not grow, and the driver really ingested at the target rate (else the run
 * says nothing about the target). Judged on at least 3 samples: a run too short to sample says nothing.
 */
export function pacedVerdict(targetRate: number, ingestedRate: number, settledRate: number, slope: number, steadySamples: number): 'keeps up' | 'growing' | 'ingest short' | 'too short' {
  if (steadySamples < 3) return 'too short';
  // A path falling behind what did come in is growing whatever the driver reached; one that kept up with a
  // driver short of the target says nothing about the target.
  if (settledRate < 0.95 * ingestedRate || slope > 0.02 * targetRate) return 'growing';
  return ingestedRate < 0.95 * targetRate ? 'ingest short' : 'keeps up';
}
