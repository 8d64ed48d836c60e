/**
 * The whole post-durability path in one start call, for the composition root (engine/main.ts):
 * intake (event_log -> submissions, rejections -> exceptions), dispatcher (channels -> ACK/NACK), alert monitor
 * (deadlines, NACK rate, stalled sources, storage lag -> webhooks/email), report scheduler, and the correction
 * service the console/API uses. Everything runs after the COMMIT that acknowledged the events, so a slow or
 * absent repository never holds the FEP.
 */
import type pg from 'pg';
import type { Registry } from 'prom-client';
import { AlertMonitor, DEFAULT_ALERT_RULES, type AlertRulesConfig, type MonitorProbes } from '../alerts/monitor.js';
import { EmailNotifier, WebhookNotifier, type Notifier, type SmtpConfig } from '../alerts/notifiers.js';
import { AlertService, DEFAULT_ALERT_SERVICE, type AlertServiceOptions } from '../alerts/service.js';
import { CorrectionError, CorrectionOutbox, CorrectionService, crashPoint, type ApprovedCorrection, type CorrectionEventSender } from '../exceptions/corrections.js';
import { log } from '../log.js';
import { createReportBuilder, DEFAULT_REPORTS_CONFIG, type ReportBuilder, type ReportsConfig } from '../reports/index.js';
import { ReportScheduler, type ScheduledReport } from '../scheduled/scheduler.js';
import { HttpsChannel } from './channels/https.js';
import { SftpChannel } from './channels/sftp.js';
import { DEFAULT_DISPATCHER, SubmissionDispatcher, type DispatcherOptions } from './dispatcher.js';
import { registerDeliveryMetrics } from './metrics.js';
import { DEFAULT_INTAKE, SubmissionIntake, type IntakeOptions } from './intake.js';
import { countByStatus } from './store.js';
import type { Channel, RepositoryConfig } from './types.js';

export interface SubmissionPathConfig {
  reports: ReportsConfig;
  repositories: RepositoryConfig[];
  intake: IntakeOptions;
  dispatcher: DispatcherOptions;
  alertRules: AlertRulesConfig;
  alertDelivery: AlertServiceOptions;
  webhooks: string[];
  smtp: SmtpConfig | undefined;
  schedule: ScheduledReport[];
  reportsDir: string;
}

export const DEFAULT_SUBMISSION_PATH: SubmissionPathConfig = {
  reports: DEFAULT_REPORTS_CONFIG,
  repositories: [],
  intake: DEFAULT_INTAKE,
  dispatcher: DEFAULT_DISPATCHER,
  alertRules: DEFAULT_ALERT_RULES,
  alertDelivery: DEFAULT_ALERT_SERVICE,
  webhooks: [],
  smtp: undefined,
  schedule: [
    { kind: 'daily-activity', at: '06:00' },
    { kind: 'open-trades', at: '06:00' },
    { kind: 'exceptions', at: '06:00' },
    { kind: 'stale-valuations', at: '06:00' },
    { kind: 'abnormal-notionals', at: '06:00' },
  ],
  reportsDir: 'reports',
};

export interface SubmissionPath {
  builder: ReportBuilder;
  intake: SubmissionIntake;
  dispatcher: SubmissionDispatcher;
  alerts: AlertService;
  monitor: AlertMonitor;
  scheduler: ReportScheduler;
  corrections: CorrectionService;
  /**
   * The checker approves a correction and it enters the engine as an event of the internal source (the same
   * actor path and rules as any event: it gets a seq, is stored once, judged, and owes submissions). Resolves
   * once the event is durable, with the rulebook's verdict; a correction the rulebook rejects goes back to
   * 'rejected' and its exception is open again. Needs `correctionSource` (serve gives it); throws CorrectionError
   * if absent. The approval puts the correction in the outbox: if this process dies before the event is stored,
   * the sweep sends it (once) after the restart.
   */
  approveCorrection(input: { correctionId: number; checker: string }): Promise<{ approved: ApprovedCorrection; event: SubmittedEvent }>;
  /**
   * The second half of approveCorrection, for a caller that approved through CorrectionService itself (the console
   * API): sends the correction's event now through the outbox (or returns the verdict of the one already stored).
   */
  sendCorrection(approved: ApprovedCorrection): Promise<SubmittedEvent>;
  /** Sends every approved correction whose event is not stored yet (serve does so at start and every correctionSweepMs). */
  sweepCorrections(): Promise<number>;
  /** For /healthz and logs: which repositories take which regimes (or that none is configured) and the path's counters. */
  describe(): SubmissionPathStatus;
  /** Call after a group commit: wakes the intake and the senders at once instead of at their next poll. */
  nudge(): void;
  stop(): Promise<void>;
}

/** An event the engine took from an internal source: where it is and what the rulebook said. */
export interface SubmittedEvent {
  sourceId: string;
  seq: number;
  status: 'accepted' | 'accepted_with_warnings' | 'rejected';
  findings: { rule: string; element: string; path: string; severity: 'error' | 'warning'; message: string }[];
}

/** A follower of the event log with events waiting and none taken for this long is stuck: /healthz says so (503). */
export const FOLLOWER_STALLED_MS = 60_000;

export interface SubmissionPathStatus {
  repositories: { name: string; channel: 'https' | 'sftp'; regimes: string[] }[];
  /** Set while the intake is stuck (events waiting, none taken for a minute). */
  stalled?: string;
  /** Set when no repository is configured: submissions are generated and stay pending. */
  note?: string;
  intake: SubmissionIntake['stats'];
  dispatcher: SubmissionDispatcher['stats'];
}

export interface SubmissionPathDeps {
  clock?: () => number;
  probes?: MonitorProbes;
  /** The engine's internal FEP source approved corrections enter through (serve: `console`); none: they wait in the outbox. */
  correctionSource?: CorrectionEventSender;
  /** How often the correction outbox is swept for approved corrections with no stored event (ms, default 10 s). */
  correctionSweepMs?: number;
  /** The engine's metrics registry: the delivery path's metrics join it (engine/submission/metrics.ts). */
  metrics?: Registry;
}

export function channelFor(repo: RepositoryConfig, builder: ReportBuilder): Channel {
  return repo.channel.kind === 'https' ? new HttpsChannel(repo.channel) : new SftpChannel(repo.channel, (r) => builder.csvHeader(r));
}

export function startSubmissionPath(pool: pg.Pool, config: SubmissionPathConfig, deps: SubmissionPathDeps = {}): SubmissionPath {
  const clock = deps.clock ?? Date.now;
  const builder = createReportBuilder(config.reports);
  const channels = new Map(config.repositories.map((r) => [r.name, channelFor(r, builder)] as const));
  const intake = new SubmissionIntake(pool, builder, config.repositories, clock, config.intake);
  const delivery = deps.metrics ? registerDeliveryMetrics(deps.metrics, pool, clock) : undefined;
  const dispatcher = new SubmissionDispatcher(pool, config.repositories, channels, clock, config.dispatcher, delivery?.hooks ?? {});
  const notifiers: Notifier[] = config.webhooks.map((url) => new WebhookNotifier(url));
  const email = config.smtp ? new EmailNotifier(config.smtp) : undefined;
  if (email) notifiers.push(email);
  const alerts = new AlertService(pool, notifiers, clock, config.alertDelivery);
  const monitor = new AlertMonitor(pool, alerts, clock, config.alertRules, deps.probes ?? {});
  const scheduler = new ReportScheduler(pool, config.schedule, config.reportsDir, clock, { reports: config.reports, repositories: config.repositories });
  intake.sink = dispatcher;
  const corrections = new CorrectionService(pool, clock);
  const unrouted = config.reports.regimes.filter((g) => !config.repositories.some((r) => r.regimes.includes(g)));
  const note = config.repositories.length === 0
    ? 'no repository is configured (SWAPREP_SDR or SWAPREP_CONFIG): submissions are generated and stay pending'
    : unrouted.length > 0 ? `no repository is configured for ${unrouted.join(', ')}: those submissions stay pending` : undefined;
  if (note) log('warn', `submission: ${note}`);
  for (const r of config.repositories) log('info', `submission: ${r.regimes.join(', ')} -> ${r.name} (${r.channel.kind}${r.channel.kind === 'https' ? ' ' + r.channel.url : ` ${r.channel.host}:${r.channel.port}`}, ${r.format}, batches of ${r.maxBatch})`);
  void dispatcher.assignUnrouted().then((n) => n > 0 && log('info', `submission: ${n} pending submission(s) made before a repository was configured are now routed`),
    (err: unknown) => log('warn', `submission: routing earlier pending submissions: ${(err as Error).message}`));
  intake.start();
  dispatcher.start();
  monitor.start();
  scheduler.start();
  // Approved corrections: the approval wrote the outbox entry; the outbox sends the event now, and its sweep (at
  // start and on a timer) whatever a crash or a failure left unsent.
  const outbox = deps.correctionSource ? new CorrectionOutbox(pool, deps.correctionSource, clock, deps.correctionSweepMs ?? 10_000) : undefined;
  outbox?.start();
  const sendCorrection = async (approved: ApprovedCorrection): Promise<SubmittedEvent> => {
    if (!outbox) throw new CorrectionError('this engine has no internal source to send corrections through');
    crashPoint('correction-approved');
    return outbox.send(approved.correction.id);
  };
  return {
    builder, intake, dispatcher, alerts, monitor, scheduler, corrections, sendCorrection,
    approveCorrection: async (input) => {
      if (!outbox) throw new CorrectionError('this engine has no internal source to send corrections through');
      const approved = await corrections.approve(input);
      return { approved, event: await sendCorrection(approved) };
    },
    sweepCorrections: () => (outbox ? outbox.sweep() : Promise.resolve(0)),
    describe: () => ({
      repositories: config.repositories.map((r) => ({ name: r.name, channel: r.channel.kind, regimes: [...r.regimes] })),
      ...(note ? { note } : {}),
      ...(intake.stalledForMs() > FOLLOWER_STALLED_MS
        ? { stalled: `the submission intake has taken no event for ${Math.round(intake.stalledForMs() / 1000)} s with ${intake.stats.backlog} waiting` } : {}),
      intake: { ...intake.stats },
      dispatcher: { ...dispatcher.stats },
    }),
    nudge: () => {
      intake.nudge();
      dispatcher.nudge();
    },
    stop: async () => {
      await outbox?.stop();
      scheduler.stop();
      await monitor.stop();
      await intake.stop();
      await dispatcher.stop();
      email?.close();
    },
  };
}

/** Counts per status, for health and tests. */
export { countByStatus };
