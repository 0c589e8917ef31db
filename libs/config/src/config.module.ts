import { Global, Module } from '@nestjs/common';
import { loadConfig } from './load-config.js';
import type { AppConfig } from './config.types.js';

/** Injection token for the parsed {@link AppConfig}. */
export const APP_CONFIG = Symbol('APP_CONFIG');

/**
 * Provides the configuration parsed once. `main.ts` parses it before Nest starts (so a bad
 * value exits with code 1 before anything connects) and hands the object in here.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig = loadConfig()) {
    return {
      module: ConfigModule,
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
