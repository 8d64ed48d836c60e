/** The data-element columns (CSV header names) the simulated repository checks and keeps. */
export const COL = {
  action: 'Action type',
  eventTs: 'Event timestamp',
  execTs: 'Execution timestamp',
  uti: 'Unique transaction identifier (UTI)',
  usi: 'Unique swap identifier (USI)',
  cp1: 'Counterparty 1 (reporting counterparty)',
  submitter: 'Submitter identifier',
  notional1: 'Notional amount-Leg 1',
  notional2: 'Notional amount-Leg 2',
} as const;
