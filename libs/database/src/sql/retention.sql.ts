/**
 * Deletes up to $2 published outbox rows older than $1 hours. Small batches keep each delete
 * short, so it never holds locks the relay's claim would wait on; outbox_published_idx finds
 * them without scanning the backlog.
 */
export const DELETE_PUBLISHED_OUTBOX = /* sql */ `
DELETE FROM outbox
WHERE id IN (
  SELECT id FROM outbox
  WHERE published_at IS NOT NULL AND published_at < now() - make_interval(hours => $1)
  ORDER BY published_at
  LIMIT $2
)`;
