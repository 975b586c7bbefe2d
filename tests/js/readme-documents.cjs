// Reads the README's ```graphql blocks as one GraphQL document, for GraphQL Code Generator.
// Placeholders such as "rev_…" are plain strings to GraphQL, so the operations type-check as
// written.
const { readFileSync } = require('node:fs');
const { parse } = require('graphql');

module.exports = function readmeDocuments(path) {
  const text = readFileSync(path, 'utf8');
  const blocks = [...text.matchAll(/^```graphql\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  if (blocks.length === 0) {
    throw new Error(`${path} has no graphql blocks`);
  }
  return parse(blocks.join('\n'));
};
