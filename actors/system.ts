import nact from 'nact';

/** The engine's actor system: counterparty actors now; report, submission and deadline actors later. */
export function startActorSystem(): nact.ActorSystemRef {
  // Unnamed on purpose: nact then generates a unique system id, so several engines can share a process (tests).
  return nact.start();
}

export function stopActorSystem(system: nact.ActorSystemRef): void {
  nact.stop(system);
}
