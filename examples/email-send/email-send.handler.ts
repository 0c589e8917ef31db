import { Injectable, Logger } from '@nestjs/common';
import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';
import {
  PermanentTaskError,
  TaskHandler,
  TransientTaskError,
  type TaskContext,
  type TaskErrorInfo,
  type TaskHandlerContract,
  type TaskHookContext,
} from '#tasks';

/** What a caller sends: checked by the API before the task is written, and by the worker before it runs. */
export class EmailSendPayload {
  @IsEmail()
  to!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(200)
  subject!: string;

  @IsString()
  @MaxLength(100_000)
  text!: string;
}

/** The task's result: the mail provider's id of the message it accepted. */
export interface EmailSendResult {
  messageId: string;
}

/** Where the mail API is and how to authenticate: operator configuration, never the payload. */
export interface MailApiSettings {
  url: URL;
  token: string | undefined;
}

/**
 * Reads `MAIL_API_URL` (required, http or https) and `MAIL_API_TOKEN` (optional, sent as a bearer
 * token). A missing or bad URL stops the worker at boot with the variable named, as the service's
 * own configuration does. In your deployment, move these two into libs/config (config.types.ts,
 * load-config.ts, README's table, .env.example) and inject `APP_CONFIG` as http.request does.
 */
export function readMailApiSettings(env: NodeJS.ProcessEnv = process.env): MailApiSettings {
  const raw = env.MAIL_API_URL;
  let url: URL | undefined;
  try {
    url = raw ? new URL(raw) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw new Error(`MAIL_API_URL must be the mail API's http or https URL, e.g. https://mail.example.com/v1/messages (got ${raw ? `'${raw}'` : 'nothing'})`);
  return { url, token: env.MAIL_API_TOKEN || undefined };
}

/** How long one call to the mail API may take before the attempt fails (and is retried). */
const MAIL_API_TIMEOUT_MS = 10_000;

/**
 * Sends one email through an HTTP mail API: `POST MAIL_API_URL` with `{to, subject, text}`, and
 * the provider answers `{id}`.
 *
 * - A 2xx completes the task with `{messageId}`.
 * - A 4xx other than 408 and 429 is the provider refusing this message (a bad address, a
 *   suppressed recipient, a wrong token): retrying cannot fix it, so the task fails for good.
 * - A 5xx, 408, 429, a network error or a time-out is retried on this type's own ladder:
 *   exponential from 2 s, at most 5 minutes between attempts, 5 attempts in all.
 * - The task id goes out as `Idempotency-Key`, so a retry after a lost answer does not send the
 *   mail twice at a provider that honours the key.
 *
 * It calls `fetch` directly rather than dispatching the built-in `http.request`: that type takes
 * its URL from the payload, so any caller could point it anywhere, and `HTTP_TASK_ALLOWED_HOSTS`
 * exists to keep it off internal addresses. Here the URL comes from the operator's configuration
 * and a caller only chooses the recipient and the text, so there is no host to allow-list.
 */
@Injectable()
@TaskHandler({
  type: 'email.send',
  payload: EmailSendPayload,
  description: 'Sends one email {to, subject, text} through the mail API at MAIL_API_URL; 4xx fails for good, 5xx is retried.',
  maxAttempts: 5,
  retry: { backoff: 'exponential', initialDelaySeconds: 2, maxDelaySeconds: 300 },
  timeoutSeconds: 30,
  concurrency: 8,
})
export class EmailSendHandler implements TaskHandlerContract<EmailSendPayload, EmailSendResult> {
  private readonly logger = new Logger(EmailSendHandler.name);
  private readonly settings = readMailApiSettings();

  async run(payload: EmailSendPayload, context: TaskContext): Promise<EmailSendResult> {
    let response: Response;
    try {
      response = await fetch(this.settings.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': context.taskId,
          ...(this.settings.token ? { authorization: `Bearer ${this.settings.token}` } : {}),
        },
        body: JSON.stringify({ to: payload.to, subject: payload.subject, text: payload.text }),
        // Stops at once on cancel or the type's time-out, and on a provider that hangs.
        signal: AbortSignal.any([context.signal, AbortSignal.timeout(MAIL_API_TIMEOUT_MS)]),
      });
    } catch (error) {
      if (context.signal.aborted) throw context.signal.reason;
      throw new TransientTaskError(`mail API unreachable: ${(error as Error).message}`);
    }
    const body = await response.text();
    if (response.ok) {
      const messageId = messageIdOf(body);
      if (!messageId) throw new PermanentTaskError(`mail API answered ${response.status} without a message id`);
      return { messageId };
    }
    const detail = `mail API answered ${response.status}: ${body.slice(0, 200)}`;
    if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) throw new PermanentTaskError(detail);
    throw new TransientTaskError(detail);
  }

  /** After COMPLETED is committed: the provider's id, for whoever follows a mail that went astray. */
  onSuccess(result: EmailSendResult, context: TaskHookContext): void {
    this.logger.log(`email sent: task ${context.taskId}, provider message id ${result.messageId}`);
  }

  /** After each failed attempt is committed; only the last one (no retry follows) needs a person. */
  onError(error: Error, context: TaskHookContext, { willRetry }: TaskErrorInfo): void {
    if (willRetry) return;
    this.logger.error(`email not sent: task ${context.taskId} ${context.status} after ${context.attempt} of ${context.maxAttempts} attempts: ${error.message}`);
  }
}

function messageIdOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { id?: unknown };
    return typeof parsed.id === 'string' && parsed.id ? parsed.id : undefined;
  } catch {
    return undefined;
  }
}
