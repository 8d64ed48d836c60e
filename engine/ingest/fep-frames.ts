import { FepFrame, ErrorCode, EventStatus, Severity } from '../../proto/gen/fep.js';
import type { EventResult } from './source-tracker.js';

/** Encoders for the frames the engine sends. */
export const engineFrames = {
  welcome(lastAckedSeq: number, engineVersion: string): Uint8Array {
    return FepFrame.encode({ kind: { $case: 'welcome', value: { lastAckedSeq, engineVersion } } }).finish();
  },
  ack(upToSeq: number): Uint8Array {
    return FepFrame.encode({ kind: { $case: 'ack', value: { upToSeq } } }).finish();
  },
  error(code: ErrorCode, message: string): Uint8Array {
    return FepFrame.encode({ kind: { $case: 'error', value: { code, message } } }).finish();
  },
  result(r: EventResult): Uint8Array {
    return FepFrame.encode({
      kind: {
        $case: 'result',
        value: {
          seq: r.seq,
          status: STATUS[r.status],
          findings: r.findings.map((f) => ({ ...f, severity: f.severity === 'error' ? Severity.SEVERITY_ERROR : Severity.SEVERITY_WARNING })),
        },
      },
    }).finish();
  },
};

const STATUS = {
  accepted: EventStatus.EVENT_STATUS_ACCEPTED,
  accepted_with_warnings: EventStatus.EVENT_STATUS_ACCEPTED_WITH_WARNINGS,
  rejected: EventStatus.EVENT_STATUS_REJECTED,
} as const;
