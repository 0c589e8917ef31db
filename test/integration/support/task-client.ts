import request from 'supertest';
import { type ApiUnderTest, eventually } from './suite.js';

/**
 * The API calls most suites make through supertest: create a task (expecting 201), read one
 * (expecting 200), and wait until a task has a status. `api` is read on each call, so a suite
 * can build the client before its `beforeAll` starts the API.
 */
export function taskClient(api: () => ApiUnderTest, defaultTimeoutMs = 20_000) {
  const http = () => request(api().getHttpServer());
  // supertest's body is untyped JSON; the suites read fields off it as they need.
  const create = async (body: Record<string, unknown>) => (await http().post('/api/v1/tasks').send(body).expect(201)).body;
  const get = async (id: string) => (await http().get(`/api/v1/tasks/${id}`).expect(200)).body;
  const until = (id: string, status: string, timeoutMs = defaultTimeoutMs) =>
    eventually(
      async () => {
        const task = await get(id);
        return task.status === status ? task : undefined;
      },
      timeoutMs,
      `task ${id} to be ${status}`,
    );
  return { create, get, until };
}
