/**
 * Jest 30 on native ES modules (NestJS 12 ships ESM only): @swc/jest strips the types and keeps
 * `import`, jest runs under --experimental-vm-modules (see package.json scripts).
 */
const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
        target: 'es2022',
      },
      module: { type: 'es6' },
      sourceMaps: 'inline',
    },
  ],
};

const common = {
  transform,
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  moduleNameMapper: {
    '^#(config|database|messaging|tasks|observability|runtime|client)$': '<rootDir>/libs/$1/src/index.ts',
    '^#tasks/core$': '<rootDir>/libs/tasks/src/core.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testEnvironment: 'node',
};

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts', '<rootDir>/test/unit/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      // examples/ holds the example task types a user copies, each beside its test.
      testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts', '<rootDir>/examples/**/*.int-spec.ts'],
    },
  ],
};
