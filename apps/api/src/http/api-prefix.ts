/** Every task route lives under this prefix; /health, /ready, /metrics and /docs do not. */
export const API_PREFIX = 'api/v1';
