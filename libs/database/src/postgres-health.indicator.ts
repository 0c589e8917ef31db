import { Injectable } from '@nestjs/common';
import { DatabaseService } from './database.service.js';

/** `/ready`'s Postgres check: a `SELECT 1` answered within 1 s (the probe bounds it the same way). Has the shape of observability's HealthIndicator. */
@Injectable()
export class PostgresHealthIndicator {
  readonly name = 'postgres';

  constructor(private readonly database: DatabaseService) {}

  async check(): Promise<{ up: boolean }> {
    return { up: await this.database.ping(1000) };
  }
}
