/**
 * Where alerts go: webhooks (HTTP POST of the alert as JSON) and email (SMTP through nodemailer). Each notifier
 * reports failure by throwing; the alert service records every delivery, failed or not.
 */
import nodemailer from 'nodemailer';
import type { AlertView } from './types.js';

export interface Notifier {
  readonly channel: 'webhook' | 'email';
  /** Where (URL, address list), for the delivery record. */
  readonly target: string;
  deliver(alert: AlertView): Promise<void>;
}

export class WebhookNotifier implements Notifier {
  readonly channel = 'webhook' as const;
  constructor(readonly target: string, private readonly timeoutMs = 5_000, private readonly headers: Record<string, string> = {}) {}

  async deliver(alert: AlertView): Promise<void> {
    const res = await fetch(this.target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...this.headers },
      body: JSON.stringify({ type: 'swaprep.alert', alert }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    // Drain the body so the connection can be reused.
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new Error(`webhook ${this.target} answered HTTP ${res.status}`);
  }
}

export interface SmtpConfig {
  host: string;
  port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  user?: string;
  password?: string;
  from: string;
  to: string[];
  timeoutMs?: number;
}

export class EmailNotifier implements Notifier {
  readonly channel = 'email' as const;
  readonly target: string;
  private readonly transport: ReturnType<typeof nodemailer.createTransport>;

  constructor(private readonly config: SmtpConfig) {
    this.target = config.to.join(',');
    this.transport = nodemailer.createTransport({
      host: config.host,
      port: config.port,
      secure: config.secure,
      ...(config.user !== undefined ? { auth: { user: config.user, pass: config.password ?? '' } } : {}),
      connectionTimeout: config.timeoutMs ?? 10_000,
      greetingTimeout: config.timeoutMs ?? 10_000,
      socketTimeout: config.timeoutMs ?? 10_000,
    });
  }

  async deliver(alert: AlertView): Promise<void> {
    await this.transport.sendMail({
      from: this.config.from,
      to: this.config.to,
      subject: `[swaprep ${alert.severity}] ${alert.title}`,
      text: `${alert.title}\n\nrule: ${alert.rule}\nseverity: ${alert.severity}\nfirst seen: ${alert.firstAt}\noccurrences: ${alert.occurrences}\n\n${JSON.stringify(alert.detail, null, 2)}\n`,
      headers: { 'X-Swaprep-Alert-Id': String(alert.id), 'X-Swaprep-Alert-Rule': alert.rule },
    });
  }

  close(): void {
    this.transport.close();
  }
}
