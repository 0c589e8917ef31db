import { ConfigError } from './config.error.js';
import { loadCliConfig } from './cli-config.js';

function problemsOf(env: Record<string, string | undefined>, flag?: string): { variable: string; message: string }[] {
  try {
    loadCliConfig(env, flag);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('loadCliConfig accepted the environment');
}

describe(loadCliConfig.name, () => {
  it('defaults to the local API on API_PORT, with no key', () => {
    expect(loadCliConfig({})).toEqual({ url: 'http://127.0.0.1:3000', apiKey: undefined });
    expect(loadCliConfig({ API_PORT: '3100' })).toEqual({ url: 'http://127.0.0.1:3100', apiKey: undefined });
  });

  it('reads TASK_SERVICE_URL without its trailing slash, and the key from the environment', () => {
    const sut = loadCliConfig({ TASK_SERVICE_URL: 'https://tasks.example.com/', TASK_SERVICE_API_KEY: 'env-key-0123456789abcdef' });

    expect(sut).toEqual({ url: 'https://tasks.example.com', apiKey: 'env-key-0123456789abcdef' });
  });

  it('lets --api-key win over TASK_SERVICE_API_KEY', () => {
    const sut = loadCliConfig({ TASK_SERVICE_API_KEY: 'env-key-0123456789abcdef' }, 'flag-key-0123456789abcdef');

    expect(sut.apiKey).toBe('flag-key-0123456789abcdef');
  });

  it.each(['ftp://host', 'http://user:pw@host', 'http://host/api/v1', 'http://host?x=1', 'not a url'])('refuses TASK_SERVICE_URL %s', (url) => {
    expect(problemsOf({ TASK_SERVICE_URL: url })).toEqual([{ variable: 'TASK_SERVICE_URL', message: expect.stringContaining('must be an http://') }]);
  });

  it('refuses a bad API_PORT when it makes the default URL', () => {
    expect(problemsOf({ API_PORT: '70000' }).map((p) => p.variable)).toEqual(['API_PORT', 'TASK_SERVICE_URL']);
  });

  it('refuses a key with spaces without echoing it', () => {
    const sut = problemsOf({}, 'secret with spaces');

    expect(sut).toEqual([{ variable: '--api-key', message: expect.stringContaining('value not shown') }]);
    expect(JSON.stringify(sut)).not.toContain('secret');
  });
});
