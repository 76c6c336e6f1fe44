import { createFileRoute } from '@tanstack/react-router';
import { errorResponse } from '../errors.js';
import { searchGroups } from '../groups.functions.js';

/** `GET /groups?q=`: the merged matches plus a warning per instance that could not answer. */
export const Route = createFileRoute('/groups')({
  server: {
    handlers: {
      GET: async ({ request }) => {
        const q = new URL(request.url).searchParams.get('q') ?? '';
        try {
          return Response.json(await searchGroups({ data: { q } }));
        } catch (error) {
          return errorResponse(error);
        }
      },
    },
  },
});
