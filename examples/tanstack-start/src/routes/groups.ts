import { createFileRoute } from '@tanstack/react-router';
import { searchGroups } from '../groups.functions.js';

/** `GET /groups?q=`: the merged matches plus a warning per instance that could not answer. */
export const Route = createFileRoute('/groups')({
  server: {
    handlers: {
      // A failure is thrown as a Response (see errors.ts): Start answers with it.
      GET: async ({ request }) => Response.json(await searchGroups({ data: { q: new URL(request.url).searchParams.get('q') ?? '' } })),
    },
  },
});
