// The GraphQL over HTTP specification's own audit (graphql-http's `auditServer`), run against the
// service with a bearer token added to every request, as a client of the service sends one.
//
// Usage: node audit.mjs <GraphQL endpoint URL> <bearer token>
// Prints one JSON object: the counts of MUST and SHOULD audits passed, and every failure.
import { auditServer } from 'graphql-http';

const [url, token] = process.argv.slice(2);
if (!url || !token) {
  console.error('usage: node audit.mjs <endpoint URL> <token>');
  process.exit(2);
}
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};
const results = await auditServer({ url, fetchFn });
const count = (level) => {
  const of = results.filter((r) => r.name.startsWith(level));
  return { passed: of.filter((r) => r.status === 'ok').length, of: of.length };
};
const failures = [];
for (const r of results.filter((r) => r.status !== 'ok')) {
  failures.push({ name: r.name, status: r.status, reason: r.reason });
}
console.log(JSON.stringify({ must: count('MUST'), should: count('SHOULD'), failures }));
