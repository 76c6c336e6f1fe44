import { runDemo, startWorld } from './scenarios.js';
import { serveBff } from './serve.js';

/**
 * `npm run demo`: three real instances, one BFF built with switchyard, five scenarios printed as
 * tables and waterfalls, then a shard chapter (policies previewed, activated on two replicas and
 * rolled back) and tenants on their own PostgreSQL databases; exits 0 when everything is closed.
 * `npm run demo -- --serve`: keeps the instances and the BFF up for curl until Ctrl-C.
 */
async function serve(): Promise<void> {
  const world = await startWorld();
  const port = Number(process.env.PORT ?? 0);
  const bff = await serveBff(world, Number.isInteger(port) ? port : 0);
  const lines = [
    `switchyard demo BFF listening on ${bff.url}`,
    '',
    'instances:',
    ...world.instances.map((i) => `  ${i.id.padEnd(16)} ${i.url}`),
    '',
    'try:',
    `  curl '${bff.url}/search?q=eng'`,
    `  curl '${bff.url}/groups/acme-platform'`,
    `  curl '${bff.url}/groups/conf-board'                      # 404 NOT_FOUND (403s count as "not relevant")`,
    `  curl '${bff.url}/dashboard?fault.enterprise-acme=delay=600&fault.enterprise-conf=reset'`,
    `  curl '${bff.url}/profile?fault.cloud=status=503'          # 502 REQUIRED_INSTANCE_FAILED`,
    `  curl '${bff.url}/search?q=eng&report=1'                  # with the per-instance report`,
    '',
    'Ctrl-C to stop.',
  ];
  console.log(lines.join('\n'));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await bff.close();
  await world.close();
  console.log('\nstopped.');
}

async function main(): Promise<void> {
  if (process.argv.includes('--serve')) await serve();
  else await runDemo((line = '') => console.log(line));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
