/**
 * The whole post-durability path in one start call, for the composition root (engine/main.ts):
 * intake (event_log -> submissions, rejections -> exceptions), dispatcher (channels -> ACK/NACK), alert monitor
 * (deadlines, NACK rate, stalled sources, storage lag -> webhooks/email), report scheduler, and the correction
 * service the console/API uses. Everything runs after the COMMIT that acknowledged the events, so a slow or
 * absent repository never holds the FEP.
 */
import type pg from 'pg';
import { AlertMonitor, DEFAULT_ALERT_RULES, type AlertRulesConfig, type MonitorProbes } from '../alerts/monitor.js';
import { EmailNotifier, WebhookNotifier, type Notifier, type SmtpConfig } from '../alerts/notifiers.js';
import { AlertService, DEFAULT_ALERT_SERVICE, type AlertServiceOptions } from '../alerts/service.js';
import { CorrectionService } from '../exceptions/corrections.js';
import { createReportBuilder, DEFAULT_REPORTS_CONFIG, type ReportBuilder, type ReportsConfig } from '../reports/index.js';
import { ReportScheduler, type ScheduledReport } from '../scheduled/scheduler.js';
import { HttpsChannel } from './channels/https.js';
import { SftpChannel } from './channels/sftp.js';
import { DEFAULT_DISPATCHER, SubmissionDispatcher, type DispatcherOptions } from './dispatcher.js';
import { DEFAULT_INTAKE, SubmissionIntake, type IntakeOptions } from './intake.js';
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
  /** Call after a group commit: wakes the intake and the senders at once instead of at their next poll. */
  nudge(): void;
  stop(): Promise<void>;
}

export function channelFor(repo: RepositoryConfig, builder: ReportBuilder): Channel {
  return repo.channel.kind === 'https' ? new HttpsChannel(repo.channel) : new SftpChannel(repo.channel, (r) => builder.csvHeader(r));
}

export function startSubmissionPath(pool: pg.Pool, config: SubmissionPathConfig, clock: () => number = Date.now, probes: MonitorProbes = {}): SubmissionPath {
  const builder = createReportBuilder(config.reports);
  const channels = new Map(config.repositories.map((r) => [r.name, channelFor(r, builder)] as const));
  const intake = new SubmissionIntake(pool, builder, config.repositories, clock, config.intake);
  const dispatcher = new SubmissionDispatcher(pool, config.repositories, channels, clock, config.dispatcher);
  const notifiers: Notifier[] = config.webhooks.map((url) => new WebhookNotifier(url));
  const email = config.smtp ? new EmailNotifier(config.smtp) : undefined;
  if (email) notifiers.push(email);
  const alerts = new AlertService(pool, notifiers, clock, config.alertDelivery);
  const monitor = new AlertMonitor(pool, alerts, clock, config.alertRules, probes);
  const scheduler = new ReportScheduler(pool, config.schedule, config.reportsDir, clock);
  intake.onInserted = () => dispatcher.nudge();
  intake.start();
  dispatcher.start();
  monitor.start();
  scheduler.start();
  return {
    builder, intake, dispatcher, alerts, monitor, scheduler,
    corrections: new CorrectionService(pool, clock),
    nudge: () => {
      intake.nudge();
      dispatcher.nudge();
    },
    stop: async () => {
      scheduler.stop();
      await monitor.stop();
      await intake.stop();
      await dispatcher.stop();
      email?.close();
    },
  };
}
