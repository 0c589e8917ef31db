// Load generators of `npm run bench`: a fixed number of callers in a loop for a fixed time.
import http from 'node:http';

export const now = () => Number(process.hrtime.bigint()) / 1e6;
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `op` in `concurrency` loops for `warmupMs` (not counted), then for `ms`; returns
 * operations per second and each operation's latency in ms. `op` returns how many items it
 * handled (1 when it returns nothing), so a batch counts its rows.
 */
export async function closedLoop({ concurrency, ms, warmupMs = 0, op }) {
  const latencies = [];
  let items = 0;
  let measuring = false;
  let stop = false;
  const loops = Array.from({ length: concurrency }, async () => {
    while (!stop) {
      const t0 = now();
      const n = (await op()) ?? 1;
      if (measuring && !stop) {
        latencies.push(now() - t0);
        items += typeof n === 'number' ? n : 1;
      }
    }
  });
  await sleep(warmupMs);
  measuring = true;
  const t0 = now();
  await sleep(ms);
  stop = true;
  const elapsed = now() - t0;
  await Promise.all(loops);
  return { rate: items / (elapsed / 1000), latencies, items };
}

/** Runs `op` `total` times with `concurrency` in flight; returns operations per second. */
export async function countedLoop({ total, concurrency, op }) {
  let next = 0;
  const t0 = now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        await op();
      }
    }),
  );
  return total / ((now() - t0) / 1000);
}

/**
 * One JSON request; resolves { status, body } and rejects on a status other than `expect`. A
 * request on a kept-alive socket that the server closed meanwhile (it never reached the server)
 * is sent again once on a new socket.
 */
export async function request(agent, port, method, path, body, expect) {
  try {
    return await requestOnce(agent, port, method, path, body, expect);
  } catch (error) {
    if (!error.reusedSocket || !['ECONNRESET', 'EPIPE'].includes(error.code)) throw error;
    return requestOnce(agent, port, method, path, body, expect);
  }
}

function requestOnce(agent, port, method, path, body, expect) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers = data === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) };
    const req = http.request({ host: '127.0.0.1', port, path, method, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (expect !== undefined && res.statusCode !== expect) {
          reject(new Error(`${method} ${path} answered ${res.statusCode}: ${text.slice(0, 300)}`));
          return;
        }
        let parsed = null;
        try {
          parsed = text ? JSON.parse(text) : null;
        } catch {
          parsed = text;
        }
        resolve({ status: res.statusCode, body: parsed });
      });
    });
    req.on('error', (error) => {
      error.reusedSocket = req.reusedSocket;
      reject(error);
    });
    req.end(data);
  });
}
