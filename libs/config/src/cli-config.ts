import { ConfigError, type ConfigProblem } from './config.error.js';

/** What the command line (`task-service`, apps/cli) needs to reach the API. */
export interface CliConfig {
  /** TASK_SERVICE_URL: the API's base URL, without `/api/v1`. */
  url: string;
  /** TASK_SERVICE_API_KEY: sent as `Authorization: Bearer`; undefined sends none. Never printed. */
  apiKey: string | undefined;
}

/** The defaults of the command line's variables: the URL follows API_PORT, as `npm start` serves it. */
export const CLI_CONFIG_DEFAULTS = {
  TASK_SERVICE_URL: 'http://127.0.0.1:$API_PORT',
  TASK_SERVICE_API_KEY: '',
} as const;

/**
 * Reads the command line's variables once. TASK_SERVICE_URL defaults to
 * `http://127.0.0.1:<API_PORT or 3000>`; a URL that is not http(s), or carries a path other than
 * `/`, a query or credentials, is refused with the variable named. `apiKeyFlag` (`--api-key`)
 * wins over TASK_SERVICE_API_KEY. The key's value never appears in an error.
 */
export function loadCliConfig(env: Record<string, string | undefined>, apiKeyFlag?: string): CliConfig {
  const problems: ConfigProblem[] = [];
  const port = env.API_PORT?.trim() || '3000';
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    problems.push({ variable: 'API_PORT', message: `must be a whole number from 1 to 65535 when TASK_SERVICE_URL is not set (got '${port}')` });
  }
  const url = (env.TASK_SERVICE_URL?.trim() || `http://127.0.0.1:${port}`).replace(/\/+$/, '');
  if (!isBaseUrl(url)) {
    problems.push({
      variable: 'TASK_SERVICE_URL',
      message: `must be an http:// or https:// URL of the API with no path, query or credentials, like http://127.0.0.1:3000 (got '${url}')`,
    });
  }
  const key = apiKeyFlag ?? env.TASK_SERVICE_API_KEY;
  const apiKey = key === undefined || key.trim() === '' ? undefined : key.trim();
  if (apiKey !== undefined && !/^[\x21-\x7e]{1,256}$/.test(apiKey)) {
    problems.push({
      variable: apiKeyFlag === undefined ? 'TASK_SERVICE_API_KEY' : '--api-key',
      message: 'must be one API key of at most 256 printable characters without spaces (value not shown)',
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { url, apiKey };
}

function isBaseUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      url.username === '' &&
      url.password === '' &&
      url.search === '' &&
      url.hash === '' &&
      url.pathname === '/'
    );
  } catch {
    return false;
  }
}
