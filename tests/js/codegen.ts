// GraphQL Code Generator, as a front-end team would run it: the published schema and the
// README's operations, as TypeScript types. `npm run check-types` generates them and compiles
// them (and `usage.ts`, which uses them) with tsc.
import type { CodegenConfig } from '@graphql-codegen/cli';

const shared = {
  // Every custom scalar must be mapped: a new one fails the check until it is.
  strictScalars: true,
  // An upload is the browser's File, sent by the multipart request spec's clients.
  scalars: { Date: 'string', DateTime: 'string', JSON: 'unknown', Upload: 'File' },
  enumsAsTypes: true,
  useTypeImports: true,
};

const config: CodegenConfig = {
  schema: '../../schema.graphql',
  documents: {
    '../../README.md': { loader: './readme-documents.cjs' },
  },
  generates: {
    // Every type of the schema.
    'generated/schema.ts': {
      plugins: ['typescript'],
      config: shared,
    },
    // The result and variables of each of the README's operations, with the enums and inputs
    // they use.
    'generated/operations.ts': {
      plugins: ['typescript-operations'],
      config: shared,
    },
  },
};

export default config;
